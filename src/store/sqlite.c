/* store/sqlite.c - SQLite behind the lfr_store interface: one file, WAL,
 * for one machine (a van, a trial). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define MAX_SQL_BYTES (1 << 20)

typedef struct {
    lfr_store base;
    sqlite3 *db;
} sqlite_store;

typedef struct {
    lfr_stmt base;
    sqlite3_stmt *st;
} sqlite_stmt;

#define DB(s) (((sqlite_store *)(s))->db)
#define ST(st) (((sqlite_stmt *)(st))->st)

static int db_fail(lfr_ctx *ctx, sqlite3 *db, int sqlite_rc, const char *what)
{
    int code = sqlite_rc == SQLITE_NOMEM                                   ? LFR_ENOMEM
               : sqlite_rc == SQLITE_CONSTRAINT                            ? LFR_EREFUSED
               : sqlite_rc == SQLITE_CORRUPT || sqlite_rc == SQLITE_NOTADB ? LFR_EFORMAT
                                                                           : LFR_EIO;
    return lfr_fail(ctx, code, "database: %s: %s", what,
                    db ? sqlite3_errmsg(db) : sqlite3_errstr(sqlite_rc));
}

static int sqlite_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path)
{
    /* VACUUM INTO reads in one transaction: writers carry on, and the copy
     * is the database at one moment. */
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, s, "VACUUM INTO ?", &st);
    if (rc == LFR_OK) rc = lfr_stmt_bind_text(ctx, st, 1, path);
    if (rc == LFR_OK && lfr_stmt_step(ctx, st) < 0) rc = lfr_errcode(ctx);
    lfr_stmt_free(st);
    return rc;
}

static int sqlite_exec(lfr_ctx *ctx, lfr_store *s, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(DB(s), sql, NULL, NULL, &err);
    if (rc == SQLITE_OK) return LFR_OK;
    int code = rc == SQLITE_NOMEM ? LFR_ENOMEM : rc == SQLITE_CONSTRAINT ? LFR_EREFUSED : LFR_EIO;
    lfr_fail(ctx, code, "database: %s", err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return code;
}

static int sqlite_read_version(lfr_ctx *ctx, lfr_store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(DB(s), "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) return db_fail(ctx, DB(s), rc, "reading the schema version");
    rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (*version < 0) return db_fail(ctx, DB(s), rc, "reading the schema version");
    return LFR_OK;
}

static int sqlite_write_version(lfr_ctx *ctx, lfr_store *s, int version)
{
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version);
    return sqlite_exec(ctx, s, pragma);
}

static void sqlite_close(lfr_store *s)
{
    sqlite3_close_v2(DB(s));
    lfr_free(s);
}

static int sqlite_begin(lfr_ctx *ctx, lfr_store *s)
{
    return sqlite_exec(ctx, s, "BEGIN IMMEDIATE");
}

static int sqlite_commit(lfr_ctx *ctx, lfr_store *s)
{
    return sqlite_exec(ctx, s, "COMMIT");
}

static void sqlite_rollback(lfr_store *s)
{
    if (!sqlite3_get_autocommit(DB(s))) sqlite3_exec(DB(s), "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_in_transaction(lfr_store *s)
{
    return !sqlite3_get_autocommit(DB(s));
}

static int sqlite_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out)
{
    sqlite_stmt *st = lfr_calloc(1, sizeof *st);
    if (!st) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    st->base.s = s;
    int rc = sqlite3_prepare_v2(DB(s), sql, -1, &st->st, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(ctx, DB(s), rc, "preparing a statement");
        lfr_free(st);
        return rc;
    }
    *out = &st->base;
    return LFR_OK;
}

static int bind_result(lfr_ctx *ctx, lfr_stmt *st, int rc)
{
    return rc == SQLITE_OK ? LFR_OK : db_fail(ctx, DB(st->s), rc, "binding a parameter");
}

static int sqlite_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v)
{
    return bind_result(ctx, st,
                       v ? sqlite3_bind_text(ST(st), i, v, -1, SQLITE_TRANSIENT)
                         : sqlite3_bind_null(ST(st), i));
}

static int sqlite_bind_null(lfr_ctx *ctx, lfr_stmt *st, int i)
{
    return bind_result(ctx, st, sqlite3_bind_null(ST(st), i));
}

static int sqlite_bind_int64(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v)
{
    return bind_result(ctx, st, sqlite3_bind_int64(ST(st), i, v));
}

static int sqlite_bind_double(lfr_ctx *ctx, lfr_stmt *st, int i, double v)
{
    return bind_result(ctx, st, sqlite3_bind_double(ST(st), i, v));
}

static int sqlite_bind_blob(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n)
{
    return bind_result(ctx, st, sqlite3_bind_blob64(ST(st), i, v, n, SQLITE_TRANSIENT));
}

static int sqlite_step(lfr_ctx *ctx, lfr_stmt *st)
{
    int rc = sqlite3_step(ST(st));
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return db_fail(ctx, DB(st->s), rc, "running a statement");
}

static int sqlite_reset(lfr_ctx *ctx, lfr_stmt *st)
{
    sqlite3_reset(ST(st));
    int rc = sqlite3_clear_bindings(ST(st));
    return rc == SQLITE_OK ? LFR_OK : db_fail(ctx, DB(st->s), rc, "resetting a statement");
}

static const char *sqlite_column_text(lfr_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(ST(st), col);
    return t ? (const char *)t : "";
}

static int64_t sqlite_column_int64(lfr_stmt *st, int col)
{
    return sqlite3_column_int64(ST(st), col);
}

static double sqlite_column_real(lfr_stmt *st, int col)
{
    return sqlite3_column_double(ST(st), col);
}

static const void *sqlite_column_blob(lfr_stmt *st, int col, size_t *n)
{
    const void *b = sqlite3_column_blob(ST(st), col);
    *n = (size_t)sqlite3_column_bytes(ST(st), col);
    return b;
}

static int sqlite_column_is_null(lfr_stmt *st, int col)
{
    return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

static void sqlite_stmt_free(lfr_stmt *st)
{
    sqlite3_finalize(ST(st));
    lfr_free(st);
}

static int64_t sqlite_last_id(lfr_store *s)
{
    return sqlite3_last_insert_rowid(DB(s));
}

static int sqlite_changes(lfr_store *s)
{
    return sqlite3_changes(DB(s));
}

static const store_ops sqlite_ops = {
    .close = sqlite_close,
    .exec = sqlite_exec,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .in_transaction = sqlite_in_transaction,
    .snapshot = sqlite_snapshot,
    .read_version = sqlite_read_version,
    .write_version = sqlite_write_version,
    .prepare = sqlite_prepare,
    .bind_text = sqlite_bind_text,
    .bind_null = sqlite_bind_null,
    .bind_int64 = sqlite_bind_int64,
    .bind_double = sqlite_bind_double,
    .bind_blob = sqlite_bind_blob,
    .step = sqlite_step,
    .reset = sqlite_reset,
    .text = sqlite_column_text,
    .int64 = sqlite_column_int64,
    .real = sqlite_column_real,
    .blob = sqlite_column_blob,
    .is_null = sqlite_column_is_null,
    .stmt_free = sqlite_stmt_free,
    .last_id = sqlite_last_id,
    .changes = sqlite_changes,
};

int store_sqlite_open(lfr_ctx *ctx, const char *path, lfr_store **out)
{
    /* Password hashes, the audit log and sealed photos: readable by the
     * owner only. SQLite gives the journal and shared-memory files the
     * database file's mode, so creating it 0600 covers them. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return lfr_fail(ctx, LFR_EIO, "cannot create: %s", strerror(errno));
    sqlite_store *s = lfr_calloc(1, sizeof *s);
    if (!s) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    s->base.ops = &sqlite_ops;
    s->base.migrations = store_migrations_sqlite;
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(ctx, s->db, rc, "opening");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* Bound what untrusted input could make SQLite hold. */
    sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024);
    sqlite3_limit(s->db, SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES);
    lfr_store *b = &s->base;
    if ((rc = sqlite_exec(ctx, b, "PRAGMA journal_mode = WAL")) ||
        (rc = sqlite_exec(ctx, b, "PRAGMA foreign_keys = ON")) ||
        (rc = sqlite_exec(ctx, b, "PRAGMA synchronous = FULL")) ||
        /* Deleted rows (alerts past retention, watchlists destroyed) are
         * overwritten, and temporary tables never reach /var/tmp: set
         * here, not left to how SQLite was built. */
        (rc = sqlite_exec(ctx, b, "PRAGMA secure_delete = ON")) ||
        (rc = sqlite_exec(ctx, b, "PRAGMA temp_store = MEMORY")))
        goto fail;
    *out = b;
    return LFR_OK;
fail:
    sqlite_close(&s->base);
    return rc;
}
