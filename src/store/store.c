/* store/store.c - the lfr_store interface: picks the backend from the
 * database's name, migrates it, and passes each call to the backend. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lfr_store_is_url(const char *db)
{
    return db && (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11));
}

/* The database's name in a URL: the path after the host, before any '?'. */
static void url_db_name(const char *url, char *buf, size_t len)
{
    const char *p = strstr(url, "://") + 3;
    const char *slash = strchr(p, '/');
    size_t n = 0;
    if (slash) {
        slash++;
        n = strcspn(slash, "?#");
    }
    if (n == 0 || n >= len || memchr(slash, '/', n))
        snprintf(buf, len, "lfr");
    else
        snprintf(buf, len, "%.*s", (int)n, slash);
}

void lfr_store_files_base(const char *db, char *buf, size_t len)
{
    if (!lfr_store_is_url(db)) {
        snprintf(buf, len, "%s", db);
        return;
    }
    const char *dir = getenv("LFR_STATE_DIR");
    char name[256];
    url_db_name(db, name, sizeof name);
    snprintf(buf, len, "%s/%s", dir && *dir ? dir : ".", name);
}

void lfr_store_display_name(const char *db, char *buf, size_t len)
{
    if (lfr_store_is_url(db))
        store_pg_display_name(db, buf, len);
    else
        snprintf(buf, len, "%s", db);
}

static int channel_check(lfr_ctx *ctx, const lfr_store *s, const char *channel)
{
    if (!s->ops->notify)
        return lfr_fail(ctx, LFR_EINVAL,
                        "messages between servers need PostgreSQL: an SQLite database has "
                        "one server");
    size_t n = channel ? strspn(channel, "abcdefghijklmnopqrstuvwxyz_") : 0;
    if (n == 0 || n > 63 || channel[n])
        return lfr_fail(ctx, LFR_EINVAL, "a channel is a lower-case name");
    return LFR_OK;
}

int lfr_store_notify(lfr_ctx *ctx, lfr_store *s, const char *channel, const char *payload)
{
    int rc = channel_check(ctx, s, channel);
    return rc ? rc : s->ops->notify(ctx, s, channel, payload);
}

int lfr_store_listen(lfr_ctx *ctx, lfr_store *s, const char *channel)
{
    int rc = channel_check(ctx, s, channel);
    return rc ? rc : s->ops->listen(ctx, s, channel);
}

int lfr_store_next_message(lfr_ctx *ctx, lfr_store *s, int timeout_ms, char **payload)
{
    *payload = NULL;
    int rc = channel_check(ctx, s, "any");
    return rc ? rc : s->ops->next_message(ctx, s, timeout_ms, payload);
}

int lfr_store_reclaim(lfr_ctx *ctx, lfr_store *s)
{
    return s->ops->reclaim ? s->ops->reclaim(ctx, s) : LFR_OK;
}

static int migrate(lfr_ctx *ctx, lfr_store *s)
{
    int rc = s->ops->read_version(ctx, s, &s->version);
    while (!rc && s->version < STORE_N_MIGRATIONS) {
        if ((rc = lfr_store_begin(ctx, s))) return rc;
        /* Read again under the write lock: another process opening the
         * same new database may have run this step meanwhile. */
        if ((rc = s->ops->read_version(ctx, s, &s->version)) || s->version >= STORE_N_MIGRATIONS) {
            lfr_store_rollback(s);
            break;
        }
        int next = s->version + 1;
        if ((rc = lfr_store_exec(ctx, s, s->migrations[s->version])) ||
            (rc = s->ops->write_version(ctx, s, next)) || (rc = lfr_store_commit(ctx, s))) {
            lfr_store_rollback(s);
            return lfr_fail_prefix(ctx, "migration %d", next);
        }
        s->version = next;
    }
    if (!rc && s->version > STORE_N_MIGRATIONS)
        rc = lfr_fail(ctx, LFR_EFORMAT,
                      "database: schema version %d is newer than this build knows (%d)", s->version,
                      STORE_N_MIGRATIONS);
    return rc;
}

int lfr_store_open(lfr_ctx *ctx, const char *db, lfr_store **out)
{
    *out = NULL;
    lfr_store *s = NULL;
    int rc = lfr_store_is_url(db) ? store_pg_open(ctx, db, &s) : store_sqlite_open(ctx, db, &s);
    if (!rc && (rc = migrate(ctx, s))) {
        lfr_store_close(s);
        s = NULL;
    }
    if (rc) {
        /* Never the URL itself in a message: it may carry a password. */
        lfr_fail_prefix(ctx, "%s", lfr_store_is_url(db) ? "PostgreSQL" : db);
    }
    *out = s;
    return rc;
}

void lfr_store_close(lfr_store *s)
{
    if (s) s->ops->close(s);
}

int lfr_store_schema_version(lfr_store *s)
{
    return s->version;
}

int lfr_store_exec(lfr_ctx *ctx, lfr_store *s, const char *sql)
{
    return s->ops->exec(ctx, s, sql);
}

int lfr_store_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path)
{
    return s->ops->snapshot(ctx, s, path);
}

int lfr_store_begin(lfr_ctx *ctx, lfr_store *s)
{
    return s->ops->begin(ctx, s);
}

int lfr_store_commit(lfr_ctx *ctx, lfr_store *s)
{
    return s->ops->commit(ctx, s);
}

void lfr_store_rollback(lfr_store *s)
{
    s->ops->rollback(s);
}

int lfr_store_in_transaction(lfr_store *s)
{
    return s->ops->in_transaction(s);
}

int lfr_stmt_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out)
{
    *out = NULL;
    return s->ops->prepare(ctx, s, sql, out);
}

int lfr_stmt_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v)
{
    return st->s->ops->bind_text(ctx, st, i, v);
}

int lfr_stmt_bind_null(lfr_ctx *ctx, lfr_stmt *st, int i)
{
    return st->s->ops->bind_null(ctx, st, i);
}

int lfr_stmt_bind_int64(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v)
{
    return st->s->ops->bind_int64(ctx, st, i, v);
}

int lfr_stmt_bind_double(lfr_ctx *ctx, lfr_stmt *st, int i, double v)
{
    return st->s->ops->bind_double(ctx, st, i, v);
}

int lfr_stmt_bind_blob(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n)
{
    return st->s->ops->bind_blob(ctx, st, i, v, n);
}

int lfr_stmt_step(lfr_ctx *ctx, lfr_stmt *st)
{
    return st->s->ops->step(ctx, st);
}

int lfr_stmt_reset(lfr_ctx *ctx, lfr_stmt *st)
{
    return st->s->ops->reset(ctx, st);
}

const char *lfr_stmt_text(lfr_stmt *st, int col)
{
    return st->s->ops->text(st, col);
}

int64_t lfr_stmt_int64(lfr_stmt *st, int col)
{
    return st->s->ops->int64(st, col);
}

double lfr_stmt_double(lfr_stmt *st, int col)
{
    return st->s->ops->real(st, col);
}

const void *lfr_stmt_blob(lfr_stmt *st, int col, size_t *n)
{
    return st->s->ops->blob(st, col, n);
}

int lfr_stmt_is_null(lfr_stmt *st, int col)
{
    return st->s->ops->is_null(st, col);
}

void lfr_stmt_free(lfr_stmt *st)
{
    if (st) st->s->ops->stmt_free(st);
}

int64_t lfr_store_last_id(lfr_store *s)
{
    return s->ops->last_id(s);
}

int lfr_store_changes(lfr_store *s)
{
    return s->ops->changes(s);
}
