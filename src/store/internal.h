/* store/internal.h - private to the store module: the two backends behind
 * one interface, and their schema migrations. */
#ifndef LFR_STORE_INTERNAL_H
#define LFR_STORE_INTERNAL_H

#include "lfr/store.h"

/* What each backend provides; store.c calls through it. A backend's store
 * and statement structs start with lfr_store and lfr_stmt. */
typedef struct store_ops {
    void (*close)(lfr_store *s);
    int (*exec)(lfr_ctx *ctx, lfr_store *s, const char *sql);
    int (*begin)(lfr_ctx *ctx, lfr_store *s);
    int (*commit)(lfr_ctx *ctx, lfr_store *s);
    void (*rollback)(lfr_store *s);
    int (*in_transaction)(lfr_store *s);
    int (*snapshot)(lfr_ctx *ctx, lfr_store *s, const char *path);
    int (*reclaim)(lfr_ctx *ctx, lfr_store *s); /* NULL: nothing to do */
    /* NULL where the backend has no messages between processes. */
    int (*notify)(lfr_ctx *ctx, lfr_store *s, const char *channel, const char *payload);
    int (*listen)(lfr_ctx *ctx, lfr_store *s, const char *channel);
    int (*next_message)(lfr_ctx *ctx, lfr_store *s, int timeout_ms, char **payload);
    /* The schema version, 0 for a new database; set inside a migration's
     * transaction. */
    int (*read_version)(lfr_ctx *ctx, lfr_store *s, int *version);
    int (*write_version)(lfr_ctx *ctx, lfr_store *s, int version);
    int (*prepare)(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out);
    int (*bind_text)(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v);
    int (*bind_null)(lfr_ctx *ctx, lfr_stmt *st, int i);
    int (*bind_int64)(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v);
    int (*bind_double)(lfr_ctx *ctx, lfr_stmt *st, int i, double v);
    int (*bind_blob)(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n);
    int (*step)(lfr_ctx *ctx, lfr_stmt *st);
    int (*reset)(lfr_ctx *ctx, lfr_stmt *st);
    const char *(*text)(lfr_stmt *st, int col);
    int64_t (*int64)(lfr_stmt *st, int col);
    double (*real)(lfr_stmt *st, int col);
    const void *(*blob)(lfr_stmt *st, int col, size_t *n);
    int (*is_null)(lfr_stmt *st, int col);
    void (*stmt_free)(lfr_stmt *st);
    int64_t (*last_id)(lfr_store *s);
    int (*changes)(lfr_store *s);
} store_ops;

struct lfr_store {
    const store_ops *ops;
    const char *const *migrations; /* this backend's dialect */
    int version;
};

struct lfr_stmt {
    lfr_store *s;
};

/* Each backend connects; store.c migrates. */
int store_sqlite_open(lfr_ctx *ctx, const char *path, lfr_store **out);
int store_pg_open(lfr_ctx *ctx, const char *url, lfr_store **out);

/* Migration i (from 1) brings the schema from version i-1 to i, in each
 * dialect. Append only: a released migration is never edited. */
#define STORE_N_MIGRATIONS 15
extern const char *const store_migrations_sqlite[];
extern const char *const store_migrations_pg[];

/* A URL as it may be shown: who, where and which database, nothing else
 * (libpq parses it, as it will when connecting). */
void store_pg_display_name(const char *url, char *buf, size_t len);

/* SQL as written for SQLite, as PostgreSQL takes it: ?N and ? become $N
 * (quoted text left alone), instr( becomes strpos(. Returns a string to
 * lfr_free and the highest parameter number, or NULL out of memory. */
char *store_pg_sql(const char *sql, int *n_params);

#endif
