/* store/pg.c - PostgreSQL behind the lfr_store interface (libpq): one
 * database for a force's central servers.
 *
 * Each statement runs when first stepped, with its parameters typed (so
 * PostgreSQL need not guess what "?3 IS NULL" is), and its rows are read
 * whole: the policy code updates rows while it steps through another
 * statement, which one connection cannot do with rows still coming.
 * Values read back as SQLite gives them: booleans as 1 and 0, NULL as ""
 * or 0, BYTEA as its bytes. */
#include "internal.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's type ids for what is bound and read (pg_type.h). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25
#define OID_FLOAT8 701

/* The one lock every writer takes at begin: the audit chain and the
 * policy's check-then-write steps are serialised, as SQLite's are. */
#define WRITE_LOCK "5001002" /* any constant; the same in every process */

typedef struct {
    lfr_store base;
    PGconn *conn;
    char *url; /* to connect again */
    int in_tx; /* a transaction was begun and has not ended */
    int changes;
} pg_store;

typedef struct {
    unsigned int type;
    char *value; /* NULL binds NULL */
    int len;
    int binary;
} pg_param;

typedef struct {
    lfr_stmt base;
    char *sql;
    int n_params;
    pg_param *params;
    PGresult *res;
    int row, rows;
    unsigned char **decoded; /* BYTEA columns of the current row */
    size_t *decoded_len;
    int n_cols;
} pg_stmt;

#define CONN(s) (((pg_store *)(s))->conn)
#define PST(st) ((pg_stmt *)(st))

/* PostgreSQL's SQLSTATE classes, as lfr codes. */
static int sqlstate_code(const char *state)
{
    if (!state) return LFR_EIO;
    if (!strncmp(state, "23", 2)) return LFR_EREFUSED; /* integrity: unique, foreign key */
    if (!strcmp(state, "P0001")) return LFR_EREFUSED;  /* a trigger's RAISE */
    if (!strncmp(state, "53", 2)) return LFR_ENOMEM;   /* out of resources */
    return LFR_EIO; /* as SQLite's "locked": the store failed, not the request */
}

static int pg_fail(lfr_ctx *ctx, PGconn *conn, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg) msg = PQerrorMessage(conn);
    /* Said as SQLite says it: another writer held on past lock_timeout. */
    if (state && !strcmp(state, "55P03")) msg = "the database is locked";
    size_t n = strcspn(msg, "\n");
    return lfr_fail(ctx, sqlstate_code(state), "database: %s: %.*s", what, (int)n, msg);
}

static int ensure_connected(lfr_ctx *ctx, lfr_store *base);

/* Runs SQL without parameters; res (if given) gets the last result. */
static int run(lfr_ctx *ctx, lfr_store *s, const char *sql, PGresult **res, const char *what)
{
    int rc = ensure_connected(ctx, s);
    if (rc) return rc;
    PGresult *r = PQexec(CONN(s), sql);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        rc = pg_fail(ctx, CONN(s), r, what);
        PQclear(r);
        return rc;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return LFR_OK;
}

static int pg_exec(lfr_ctx *ctx, lfr_store *s, const char *sql)
{
    return run(ctx, s, sql, NULL, "running SQL");
}

static void pg_close(lfr_store *s)
{
    PQfinish(CONN(s));
    lfr_free(((pg_store *)s)->url);
    lfr_free(s);
}

static void pg_rollback(lfr_store *s);

static int pg_begin(lfr_ctx *ctx, lfr_store *s)
{
    int rc = run(ctx, s, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")", NULL,
                 "beginning a transaction");
    ((pg_store *)s)->in_tx = 1;
    if (rc) pg_rollback(s); /* no lock (a timeout): no transaction either */
    return rc;
}

static int pg_commit(lfr_ctx *ctx, lfr_store *s)
{
    /* PostgreSQL answers COMMIT of a failed transaction with a rollback
     * and no error: said here, so no failure inside one goes unseen. */
    if (PQtransactionStatus(CONN(s)) == PQTRANS_INERROR) {
        pg_rollback(s);
        return lfr_fail(ctx, LFR_EIO,
                        "database: a statement of the transaction failed: "
                        "nothing of it was kept");
    }
    int rc = run(ctx, s, "COMMIT", NULL, "committing");
    ((pg_store *)s)->in_tx = 0;
    return rc;
}

static int pg_in_transaction(lfr_store *s)
{
    return PQtransactionStatus(CONN(s)) != PQTRANS_IDLE;
}

static void pg_rollback(lfr_store *s)
{
    if (pg_in_transaction(s)) PQclear(PQexec(CONN(s), "ROLLBACK"));
    ((pg_store *)s)->in_tx = 0;
}

static int pg_snapshot(lfr_ctx *ctx, lfr_store *s, const char *path)
{
    (void)s;
    (void)path;
    return lfr_fail(ctx, LFR_EINVAL,
                    "a PostgreSQL database is backed up with pg_dump (docs/deploy.md), not "
                    "lfr backup, which copies an SQLite file");
}

static int pg_reclaim(lfr_ctx *ctx, lfr_store *s)
{
    /* Dead rows' space is marked free and then written over by new rows;
     * what lingers meanwhile of a photo, template or crop is sealed. */
    /* Alone (VACUUM runs in no transaction), and without the statement
     * time limit: a large database takes longer than a request may. */
    int rc = run(ctx, s, "SET statement_timeout = 0", NULL, "reclaiming deleted rows");
    if (!rc) rc = run(ctx, s, "VACUUM", NULL, "reclaiming deleted rows");
    int reset = run(ctx, s, "SET statement_timeout = '60s'", NULL, "reclaiming deleted rows");
    return rc ? rc : reset;
}

static int pg_notify(lfr_ctx *ctx, lfr_store *s, const char *channel, const char *payload)
{
    const char *values[2] = {channel, payload};
    PGresult *r = PQexecParams(CONN(s), "SELECT pg_notify($1, $2)", 2, NULL, values, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? LFR_OK
                                                  : pg_fail(ctx, CONN(s), r, "sending a message");
    PQclear(r);
    return rc;
}

static int pg_listen(lfr_ctx *ctx, lfr_store *s, const char *channel)
{
    char sql[96];
    snprintf(sql, sizeof sql, "LISTEN %s", channel); /* a checked plain name */
    return run(ctx, s, sql, NULL, "listening for messages");
}

static int pg_next_message(lfr_ctx *ctx, lfr_store *s, int timeout_ms, char **payload)
{
    PGconn *conn = CONN(s);
    PGnotify *n = PQnotifies(conn);
    if (!n) {
        struct pollfd fd = {.fd = PQsocket(conn), .events = POLLIN};
        if (fd.fd < 0) return lfr_fail(ctx, LFR_EIO, "database: the connection is gone");
        int ready = poll(&fd, 1, timeout_ms);
        if (ready < 0 && errno != EINTR)
            return lfr_fail(ctx, LFR_EIO, "database: waiting for messages: %s", strerror(errno));
        if (ready > 0 && !PQconsumeInput(conn)) return pg_fail(ctx, conn, NULL, "reading messages");
        n = PQnotifies(conn);
    }
    if (!n) return 0;
    *payload = lfr_strdup(n->extra);
    PQfreemem(n);
    return *payload ? 1 : lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
}

static int pg_read_version(lfr_ctx *ctx, lfr_store *s, int *version)
{
    *version = 0;
    PGresult *r = NULL;
    /* Read from the catalog's table, not through to_regclass: its cache
     * may not yet show a table another process made while this one waited
     * for the lock. */
    int rc = run(ctx, s,
                 "SELECT count(*) > 0 FROM pg_catalog.pg_tables WHERE schemaname = "
                 "current_schema() AND tablename = 'lfr_schema'",
                 &r, "reading the schema version");
    if (rc) return rc;
    int exists = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists) return LFR_OK; /* a new database */
    if ((rc = run(ctx, s, "SELECT version FROM lfr_schema", &r, "reading the schema version")))
        return rc;
    if (PQntuples(r) == 1) *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return LFR_OK;
}

static int pg_write_version(lfr_ctx *ctx, lfr_store *s, int version)
{
    char sql[64];
    snprintf(sql, sizeof sql, "UPDATE lfr_schema SET version = %d", version);
    return pg_exec(ctx, s, sql);
}

static void clear_row(pg_stmt *st)
{
    for (int c = 0; st->decoded && c < st->n_cols; c++) {
        if (st->decoded[c]) PQfreemem(st->decoded[c]);
        st->decoded[c] = NULL;
    }
}

static void clear_result(pg_stmt *st)
{
    clear_row(st);
    lfr_free(st->decoded);
    lfr_free(st->decoded_len);
    st->decoded = NULL;
    st->decoded_len = NULL;
    st->n_cols = 0;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->rows = 0;
}

static void clear_params(pg_stmt *st)
{
    for (int i = 0; i < st->n_params; i++) {
        lfr_free(st->params[i].value);
        st->params[i] = (pg_param){.type = OID_TEXT};
    }
}

static int pg_prepare(lfr_ctx *ctx, lfr_store *s, const char *sql, lfr_stmt **out)
{
    pg_stmt *st = lfr_calloc(1, sizeof *st);
    if (!st) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    st->base.s = s;
    st->row = -1;
    st->sql = store_pg_sql(sql, &st->n_params);
    if (st->n_params > 0) st->params = lfr_calloc((size_t)st->n_params, sizeof *st->params);
    if (!st->sql || (st->n_params > 0 && !st->params)) {
        lfr_free(st->sql);
        lfr_free(st);
        return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    }
    clear_params(st);
    *out = &st->base;
    return LFR_OK;
}

/* Keeps a copy of the value: the caller's buffer may go before the step. */
static int bind(lfr_ctx *ctx, lfr_stmt *base, int i, unsigned int type, const void *v, size_t n,
                int binary)
{
    pg_stmt *st = PST(base);
    if (i < 1 || i > st->n_params)
        return lfr_fail(ctx, LFR_EINTERNAL, "database: no parameter %d in the statement", i);
    pg_param *p = &st->params[i - 1];
    lfr_free(p->value);
    *p = (pg_param){.type = type, .binary = binary};
    if (!v) return LFR_OK;
    if (n > 0x7fffffff) return lfr_fail(ctx, LFR_ELIMIT, "database: a value over 2 GB");
    p->value = lfr_alloc(n + 1);
    if (!p->value) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    memcpy(p->value, v, n);
    p->value[n] = '\0';
    p->len = (int)n;
    return LFR_OK;
}

static int pg_bind_text(lfr_ctx *ctx, lfr_stmt *st, int i, const char *v)
{
    return bind(ctx, st, i, OID_TEXT, v, v ? strlen(v) : 0, 0);
}

static int pg_bind_null(lfr_ctx *ctx, lfr_stmt *st, int i)
{
    return bind(ctx, st, i, 0, NULL, 0, 0); /* type 0: the column's, found by PostgreSQL */
}

static int pg_bind_int64(lfr_ctx *ctx, lfr_stmt *st, int i, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return bind(ctx, st, i, OID_INT8, buf, (size_t)n, 0);
}

static int pg_bind_double(lfr_ctx *ctx, lfr_stmt *st, int i, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    return bind(ctx, st, i, OID_FLOAT8, buf, (size_t)n, 0);
}

static int pg_bind_blob(lfr_ctx *ctx, lfr_stmt *st, int i, const void *v, size_t n)
{
    /* A zero-length blob is still a value, not NULL. */
    return bind(ctx, st, i, OID_BYTEA, v ? v : "", n, 1);
}

static int execute(lfr_ctx *ctx, pg_stmt *st)
{
    pg_store *s = (pg_store *)st->base.s;
    int n = st->n_params;
    unsigned int types[n > 0 ? n : 1];
    const char *values[n > 0 ? n : 1];
    int lengths[n > 0 ? n : 1], formats[n > 0 ? n : 1];
    for (int i = 0; i < n; i++) {
        types[i] = st->params[i].type;
        values[i] = st->params[i].value;
        lengths[i] = st->params[i].len;
        formats[i] = st->params[i].binary;
    }
    int rc = ensure_connected(ctx, &s->base);
    if (rc) return rc;
    PGresult *r = PQexecParams(s->conn, st->sql, n, types, values, lengths, formats, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        rc = pg_fail(ctx, s->conn, r, "running a statement");
        PQclear(r);
        return rc;
    }
    const char *changed = PQcmdTuples(r);
    s->changes = *changed ? atoi(changed) : 0;
    st->res = r;
    st->rows = PQntuples(r);
    st->n_cols = PQnfields(r);
    if (st->n_cols > 0) {
        st->decoded = lfr_calloc((size_t)st->n_cols, sizeof *st->decoded);
        st->decoded_len = lfr_calloc((size_t)st->n_cols, sizeof *st->decoded_len);
        if (!st->decoded || !st->decoded_len) {
            clear_result(st);
            return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
        }
    }
    return LFR_OK;
}

static int pg_step(lfr_ctx *ctx, lfr_stmt *base)
{
    pg_stmt *st = PST(base);
    if (!st->res) {
        int rc = execute(ctx, st);
        if (rc) return rc;
    }
    clear_row(st);
    if (st->row + 1 >= st->rows) {
        st->row = st->rows;
        return 0;
    }
    st->row++;
    return 1;
}

static int pg_reset(lfr_ctx *ctx, lfr_stmt *base)
{
    (void)ctx;
    clear_result(PST(base));
    clear_params(PST(base));
    return LFR_OK;
}

static int has_value(pg_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < st->rows && col >= 0 && col < st->n_cols &&
           !PQgetisnull(st->res, st->row, col);
}

static const char *pg_column_text(lfr_stmt *base, int col)
{
    pg_stmt *st = PST(base);
    if (!has_value(st, col)) return "";
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == OID_BOOL) return v[0] == 't' ? "1" : "0";
    return v;
}

static int64_t pg_column_int64(lfr_stmt *st, int col)
{
    return strtoll(pg_column_text(st, col), NULL, 10);
}

static double pg_column_real(lfr_stmt *st, int col)
{
    return strtod(pg_column_text(st, col), NULL);
}

static const void *pg_column_blob(lfr_stmt *base, int col, size_t *n)
{
    pg_stmt *st = PST(base);
    *n = 0;
    if (!has_value(st, col)) return NULL;
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) != OID_BYTEA) {
        *n = (size_t)PQgetlength(st->res, st->row, col);
        return v;
    }
    if (!st->decoded[col])
        st->decoded[col] = PQunescapeBytea((const unsigned char *)v, &st->decoded_len[col]);
    *n = st->decoded[col] ? st->decoded_len[col] : 0;
    return st->decoded[col];
}

static int pg_column_is_null(lfr_stmt *base, int col)
{
    pg_stmt *st = PST(base);
    return !has_value(st, col);
}

static void pg_stmt_free(lfr_stmt *base)
{
    pg_stmt *st = PST(base);
    clear_result(st);
    clear_params(st);
    lfr_free(st->params);
    lfr_free(st->sql);
    lfr_free(st);
}

static int64_t pg_last_id(lfr_store *s)
{
    /* The identity the connection's last INSERT drew: sessions never see
     * each other's. */
    PGresult *r = PQexec(CONN(s), "SELECT lastval()");
    int64_t id = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                     ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
                     : 0;
    PQclear(r);
    return id;
}

static int pg_changes(lfr_store *s)
{
    return ((pg_store *)s)->changes;
}

static const store_ops pg_ops = {
    .close = pg_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .snapshot = pg_snapshot,
    .reclaim = pg_reclaim,
    .notify = pg_notify,
    .listen = pg_listen,
    .next_message = pg_next_message,
    .read_version = pg_read_version,
    .write_version = pg_write_version,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .reset = pg_reset,
    .text = pg_column_text,
    .int64 = pg_column_int64,
    .real = pg_column_real,
    .blob = pg_column_blob,
    .is_null = pg_column_is_null,
    .stmt_free = pg_stmt_free,
    .last_id = pg_last_id,
    .changes = pg_changes,
};

/* Notices (an IF NOT EXISTS that found the thing) are not errors. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects (again, after a lost connection) and sets the session up. A
 * URL libpq cannot parse is not quoted back: its error would show the
 * password. */
static int connect_db(lfr_ctx *ctx, pg_store *s, const char *url)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    PQfreemem(why);
    if (!opts) return lfr_fail(ctx, LFR_EINVAL, "database: the PostgreSQL URL does not parse");
    PQconninfoFree(opts);
    /* A dead peer is found within a minute, not after the kernel's two
     * hours; a server that does not answer fails the start, not hangs it.
     * The URL's own settings win. */
    const char *const keys[] = {"connect_timeout",
                                "keepalives",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "dbname",
                                NULL};
    const char *const values[] = {"10", "1", "30", "10", "3", url, NULL};
    if (s->conn) PQfinish(s->conn);
    s->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(s->conn) != CONNECTION_OK) return pg_fail(ctx, s->conn, NULL, "connecting");
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    /* Commits reach the disk before they are acknowledged (a crash loses
     * no alert or audit record); a lock held too long fails the request
     * rather than hanging it. */
    return run(ctx, &s->base,
               "SET synchronous_commit = on; SET lock_timeout = '5s'; "
               "SET statement_timeout = '60s'; SET TIME ZONE 'UTC'",
               NULL, "setting up the connection");
}

/* A connection lost (the database restarted, failed over) is made again
 * before the next statement outside a transaction: the server carries on
 * once the database is back. Inside one, its work is lost: it fails. */
static int ensure_connected(lfr_ctx *ctx, lfr_store *base)
{
    pg_store *s = (pg_store *)base;
    if (PQstatus(s->conn) == CONNECTION_OK) return LFR_OK;
    if (s->in_tx) return lfr_fail(ctx, LFR_EIO, "database: the connection was lost");
    return connect_db(ctx, s, s->url);
}

int store_pg_open(lfr_ctx *ctx, const char *url, lfr_store **out)
{
    pg_store *s = lfr_calloc(1, sizeof *s);
    if (!s) return lfr_fail(ctx, LFR_ENOMEM, "database: out of memory");
    s->base.ops = &pg_ops;
    s->base.migrations = store_migrations_pg;
    s->url = lfr_strdup(url);
    int rc = s->url ? connect_db(ctx, s, url) : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (rc) {
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return LFR_OK;
}

void store_pg_display_name(const char *url, char *buf, size_t len)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    PQfreemem(why);
    if (!opts) {
        snprintf(buf, len, "postgresql://(a URL that does not parse)");
        return;
    }
    const char *user = "", *host = "", *port = "", *name = "";
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = o->val ? o->val : "";
        if (!strcmp(o->keyword, "user")) user = v;
        if (!strcmp(o->keyword, "host")) host = v;
        if (!strcmp(o->keyword, "port")) port = v;
        if (!strcmp(o->keyword, "dbname")) name = v;
    }
    /* What says which database it is; no password, no other setting. */
    int socket = host[0] == '/';
    snprintf(buf, len, "postgresql://%s%s%s%s%s/%s%s%s", user, *user ? "@" : "", socket ? "" : host,
             *port ? ":" : "", port, name, socket ? "?host=" : "", socket ? host : "");
    PQconninfoFree(opts);
}
