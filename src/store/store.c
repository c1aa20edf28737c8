/* store/store.c - SQLite behind the lfr_store interface. */
#include "internal.h"
#include "lfr/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define MAX_SQL_BYTES (1 << 20)

struct lfr_store {
    sqlite3 *db;
    int version;
};

struct lfr_stmt {
    lfr_store *s;
    sqlite3_stmt *st;
};

static int db_fail(lfr_ctx *ctx, sqlite3 *db, int sqlite_rc, const char *what)
{
    int code = sqlite_rc == SQLITE_NOMEM                                   ? LFR_ENOMEM
               : sqlite_rc == SQLITE_CONSTRAINT                            ? LFR_EREFUSED
               : sqlite_rc == SQLITE_CORRUPT || sqlite_rc == SQLITE_NOTADB ? LFR_EFORMAT
                                                                           : LFR_EIO;
    return lfr_fail(ctx, code, "database: %s: %s", what,
                    db ? sqlite3_errmsg(db) : sqlite3_errstr(sqlite_rc));
}

int lfr_store_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path)
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

int lfr_store_exec(lfr_ctx *ctx, lfr_store *s, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &err);
    if (rc == SQLITE_OK) return LFR_OK;
    int code = rc == SQLITE_NOMEM ? LFR_ENOMEM : rc == SQLITE_CONSTRAINT ? LFR_EREFUSED : LFR_EIO;
    lfr_fail(ctx, code, "database: %s", err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return code;
}

static int read_version(lfr_ctx *ctx, lfr_store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) return db_fail(ctx, s->db, rc, "reading the schema version");
    rc = sqlite3_step(st);
    s->version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (s->version < 0) return db_fail(ctx, s->db, rc, "reading the schema version");
    return LFR_OK;
}

static int migrate(lfr_ctx *ctx, lfr_store *s)
{
    int rc = read_version(ctx, s);
    if (rc) return rc;
    if (s->version > store_n_migrations)
        return lfr_fail(ctx, LFR_EFORMAT,
                        "database: schema version %d is newer than this build knows (%d)",
                        s->version, store_n_migrations);
    while (s->version < store_n_migrations) {
        if ((rc = lfr_store_begin(ctx, s))) return rc;
        /* Read again under the write lock: another process opening the
         * same new database may have run this step meanwhile. */
        if ((rc = read_version(ctx, s))) {
            lfr_store_rollback(s);
            return rc;
        }
        if (s->version >= store_n_migrations) {
            lfr_store_rollback(s);
            break;
        }
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", s->version + 1);
        if ((rc = lfr_store_exec(ctx, s, store_migrations[s->version])) ||
            (rc = lfr_store_exec(ctx, s, pragma)) || (rc = lfr_store_commit(ctx, s))) {
            lfr_store_rollback(s);
            return lfr_fail_prefix(ctx, "migration %d", s->version + 1);
        }
        s->version++;
    }
    return LFR_OK;
}

int lfr_store_open(lfr_ctx *ctx, const char *path, lfr_store **out)
{
    *out = NULL;
    /* Password hashes, the audit log and sealed photos: readable by the
     * owner only. SQLite gives the journal and shared-memory files the
     * database file's mode, so creating it 0600 covers them. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return lfr_fail(ctx, LFR_EIO, "%s: cannot create: %s", path, strerror(errno));
    lfr_store *s = lfr_calloc(1, sizeof *s);
    if (!s) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(ctx, s->db, rc, path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* Bound what untrusted input could make SQLite hold. */
    sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024);
    sqlite3_limit(s->db, SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES);
    if ((rc = lfr_store_exec(ctx, s, "PRAGMA journal_mode = WAL")) ||
        (rc = lfr_store_exec(ctx, s, "PRAGMA foreign_keys = ON")) ||
        (rc = lfr_store_exec(ctx, s, "PRAGMA synchronous = FULL")) ||
        /* Deleted rows (alerts past retention, watchlists destroyed) are
         * overwritten, and temporary tables never reach /var/tmp: set
         * here, not left to how SQLite was built. */
        (rc = lfr_store_exec(ctx, s, "PRAGMA secure_delete = ON")) ||
        (rc = lfr_store_exec(ctx, s, "PRAGMA temp_store = MEMORY")) || (rc = migrate(ctx, s))) {
        lfr_fail_prefix(ctx, "%s", path);
        goto fail;
    }
    *out = s;
    return LFR_OK;
fail:
    lfr_store_close(s);
    return rc;
}

void lfr_store_close(lfr_store *s)
{
    if (!s) return;
    sqlite3_close_v2(s->db);
    lfr_free(s);
}

int lfr_store_schema_version(lfr_store *s)
{
    return s->version;
}

int lfr_store_begin(lfr_ctx *ctx, lfr_store *s)
{
    return lfr_store_exec(ctx, s, "BEGIN IMMEDIATE");
}

int lfr_store_commit(lfr_ctx *ctx, lfr_store *s)
{
    return lfr_store_exec(ctx, s, "COMMIT");
}

void lfr_store_rollback(lfr_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int lfr_stmt_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out)
{
    *out = NULL;
    lfr_stmt *st = lfr_calloc(1, sizeof *st);
    if (!st) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    st->s = s;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st->st, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(ctx, s->db, rc, "preparing a statement");
        lfr_free(st);
        return rc;
    }
    *out = st;
    return LFR_OK;
}

static int bind_result(lfr_ctx *ctx, lfr_stmt *st, int rc)
{
    return rc == SQLITE_OK ? LFR_OK : db_fail(ctx, st->s->db, rc, "binding a parameter");
}

int lfr_stmt_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v)
{
    return bind_result(ctx, st,
                       v ? sqlite3_bind_text(st->st, i, v, -1, SQLITE_TRANSIENT)
                         : sqlite3_bind_null(st->st, i));
}

int lfr_stmt_bind_int64(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v)
{
    return bind_result(ctx, st, sqlite3_bind_int64(st->st, i, v));
}

int lfr_stmt_bind_double(lfr_ctx *ctx, lfr_stmt *st, int i, double v)
{
    return bind_result(ctx, st, sqlite3_bind_double(st->st, i, v));
}

int lfr_stmt_bind_blob(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n)
{
    return bind_result(ctx, st, sqlite3_bind_blob64(st->st, i, v, n, SQLITE_TRANSIENT));
}

int lfr_stmt_step(lfr_ctx *ctx, lfr_stmt *st)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return db_fail(ctx, st->s->db, rc, "running a statement");
}

int lfr_stmt_reset(lfr_ctx *ctx, lfr_stmt *st)
{
    sqlite3_reset(st->st);
    int rc = sqlite3_clear_bindings(st->st);
    return rc == SQLITE_OK ? LFR_OK : db_fail(ctx, st->s->db, rc, "resetting a statement");
}

const char *lfr_stmt_text(lfr_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st->st, col);
    return t ? (const char *)t : "";
}

int64_t lfr_stmt_int64(lfr_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

double lfr_stmt_double(lfr_stmt *st, int col)
{
    return sqlite3_column_double(st->st, col);
}

const void *lfr_stmt_blob(lfr_stmt *st, int col, size_t *n)
{
    const void *b = sqlite3_column_blob(st->st, col);
    *n = (size_t)sqlite3_column_bytes(st->st, col);
    return b;
}

int lfr_stmt_is_null(lfr_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void lfr_stmt_free(lfr_stmt *st)
{
    if (!st) return;
    sqlite3_finalize(st->st);
    lfr_free(st);
}

int64_t lfr_store_last_id(lfr_store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int lfr_store_changes(lfr_store *s)
{
    return sqlite3_changes(s->db);
}
