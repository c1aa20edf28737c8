/* lfr/store.h - the database behind the governance code.
 *
 * A small interface over SQL so the policy code never sees the database
 * itself. Two backends: SQLite (a file: one machine) and PostgreSQL (a
 * postgresql:// URL: a force's central servers). The SQL is written once,
 * in the subset both run; the PostgreSQL backend turns ?N into $N and sends
 * parameters typed. SQLite runs with WAL (a crash loses no committed
 * write), foreign keys on and a busy timeout. The schema's migrations are
 * applied in order at open, each in its own transaction.
 *
 * Threads: a store is one connection: one thread at a time. Open one per
 * thread (REQUIREMENTS: one connection per thread).
 */
#ifndef LFR_STORE_H
#define LFR_STORE_H

#include "lfr/base.h"

typedef struct lfr_store lfr_store;
typedef struct lfr_stmt lfr_stmt;

/* Opens (creating an SQLite file if need be) and migrates. db is a file's
 * path or a postgresql:// URL (libpq's form; the database must exist). */
int lfr_store_open(lfr_ctx *ctx, const char *db, lfr_store **out);
/* Whether db names a PostgreSQL database rather than a file. */
int lfr_store_is_url(const char *db);
/* The database as it may be shown, logged or audited: a file's path, or
 * a URL without its password (in the user part or a password= setting). */
void lfr_store_display_name(const char *db, char *buf, size_t len);
/* Where the files that go with a database are kept (the watchlist key,
 * the audit anchor: base + ".key", ...): an SQLite file's own path; for a
 * URL, the database's name in $LFR_STATE_DIR (default the working folder):
 * postgresql://host/lfr gives $LFR_STATE_DIR/lfr. */
void lfr_store_files_base(const char *db, char *buf, size_t len);
void lfr_store_close(lfr_store *s);
/* Version of the schema after migrations. */
int lfr_store_schema_version(lfr_store *s);

/* Runs SQL without parameters (may hold several statements). */
int lfr_store_exec(lfr_ctx *ctx, lfr_store *s, const char *sql);
/* A consistent copy of the database at path (a new file), made while it
 * is in use: what a backup seals. */
int lfr_store_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path);

/* BEGIN / COMMIT / ROLLBACK. Writers take the database's one write lock at
 * begin (SQLite's BEGIN IMMEDIATE; a transaction-wide advisory lock on
 * PostgreSQL), so a transaction never fails half-way for lack of it and
 * check-then-write steps hold across processes. */
int lfr_store_begin(lfr_ctx *ctx, lfr_store *s);
int lfr_store_commit(lfr_ctx *ctx, lfr_store *s);
void lfr_store_rollback(lfr_store *s);
int lfr_store_in_transaction(lfr_store *s);

/* Prepared statements: parameters are 1-based, columns 0-based. */
int lfr_stmt_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out);
int lfr_stmt_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v); /* NULL: a NULL text */
/* A NULL of the column's type (a number left unset). */
int lfr_stmt_bind_null(lfr_ctx *ctx, lfr_stmt *st, int i);
int lfr_stmt_bind_int64(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v);
int lfr_stmt_bind_double(lfr_ctx *ctx, lfr_stmt *st, int i, double v);
int lfr_stmt_bind_blob(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n);
/* 1: a row is ready; 0: done; < 0: an error (message in ctx). */
int lfr_stmt_step(lfr_ctx *ctx, lfr_stmt *st);
int lfr_stmt_reset(lfr_ctx *ctx, lfr_stmt *st);
/* Column values of the current row; text is "" for NULL, borrowed until the
 * next step. */
const char *lfr_stmt_text(lfr_stmt *st, int col);
int64_t lfr_stmt_int64(lfr_stmt *st, int col);
double lfr_stmt_double(lfr_stmt *st, int col);
const void *lfr_stmt_blob(lfr_stmt *st, int col, size_t *n);
int lfr_stmt_is_null(lfr_stmt *st, int col);
void lfr_stmt_free(lfr_stmt *st);

/* Frees the space of deleted rows, so what they held is overwritten in
 * time: PostgreSQL keeps a deleted row's bytes until VACUUM (SQLite's
 * secure_delete overwrites them at once: nothing to do). Outside a
 * transaction; after retention deletes. */
int lfr_store_reclaim(lfr_ctx *ctx, lfr_store *s);

/* Messages between the processes on one PostgreSQL database (NOTIFY and
 * LISTEN; a channel is a plain lower-case name). SQLite has none:
 * LFR_EINVAL. A store that listens is used for nothing else. */
int lfr_store_notify(lfr_ctx *ctx, lfr_store *s, const char *channel, const char *payload);
int lfr_store_listen(lfr_ctx *ctx, lfr_store *s, const char *channel);
/* Waits up to timeout_ms: 1 with the next message's payload in *payload
 * (lfr_free it), 0 when none came, < 0 when the connection failed. */
int lfr_store_next_message(lfr_ctx *ctx, lfr_store *s, int timeout_ms, char **payload);

/* Row id of the last insert, rows changed by the last statement. */
int64_t lfr_store_last_id(lfr_store *s);
int lfr_store_changes(lfr_store *s);

#endif
