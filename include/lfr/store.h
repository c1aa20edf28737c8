/* lfr/store.h - the database behind the governance code.
 *
 * A small interface over SQL so the policy code never sees SQLite itself: a
 * PostgreSQL backend can sit behind the same functions later. SQLite runs
 * with WAL (a crash loses no committed write), foreign keys on and a busy
 * timeout; the schema's migrations are applied in order at open, each in
 * its own transaction.
 *
 * Threads: a store is one connection: one thread at a time. Open one per
 * thread (REQUIREMENTS: one connection per thread).
 */
#ifndef LFR_STORE_H
#define LFR_STORE_H

#include "lfr/base.h"

typedef struct lfr_store lfr_store;
typedef struct lfr_stmt lfr_stmt;

/* Opens (creating if need be) and migrates. path ":memory:" for tests. */
int lfr_store_open(lfr_ctx *ctx, const char *path, lfr_store **out);
void lfr_store_close(lfr_store *s);
/* Version of the schema after migrations. */
int lfr_store_schema_version(lfr_store *s);

/* Runs SQL without parameters (may hold several statements). */
int lfr_store_exec(lfr_ctx *ctx, lfr_store *s, const char *sql);
/* A consistent copy of the database at path (a new file), made while it
 * is in use: what a backup seals. */
int lfr_store_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Writers take the lock at begin, so a
 * transaction never fails half-way for lack of it. */
int lfr_store_begin(lfr_ctx *ctx, lfr_store *s);
int lfr_store_commit(lfr_ctx *ctx, lfr_store *s);
void lfr_store_rollback(lfr_store *s);

/* Prepared statements: parameters are 1-based, columns 0-based. */
int lfr_stmt_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out);
int lfr_stmt_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v); /* NULL binds NULL */
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

/* Row id of the last insert, rows changed by the last statement. */
int64_t lfr_store_last_id(lfr_store *s);
int lfr_store_changes(lfr_store *s);

#endif
