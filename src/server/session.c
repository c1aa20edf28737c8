/* server/session.c - login sessions (SEC-3: they expire, absolutely and
 * when idle), their CSRF tokens, and the lock-out of a user name after
 * repeated failed logins. Kept in the database (policy/sessions.c), on a
 * connection of their own, so that every server on it knows them: a user
 * logged in through one server is logged in at all, and a lock-out holds
 * whichever server a guess goes to. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LOCK_AFTER_FAILURES 5  /* of one name from one address */
#define ADDRESS_LOCK_AFTER 100 /* of any names from one address (a station shares one) */
#define LOCK_MS (5 * 60 * 1000)
#define MAX_SESSIONS_PER_USER 8
#define REFRESH_MS 5000 /* a session's last use is written at most this often */

struct session_table {
    pthread_mutex_t lock; /* one statement at a time on the store */
    lfr_store *store;
    lfr_ctx *ctx;
    int max_age_ms, idle_ms;
};

int sessions_new(lfr_ctx *ctx, const char *db, session_table **out, int max_age_ms, int idle_ms)
{
    *out = NULL;
    session_table *t = lfr_calloc(1, sizeof *t);
    if (!t || lfr_ctx_new(&t->ctx)) {
        lfr_free(t);
        return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    int rc = lfr_store_open(t->ctx, db, &t->store);
    if (rc) {
        lfr_fail(ctx, rc, "sessions: %s", lfr_errmsg(t->ctx));
        lfr_ctx_free(t->ctx);
        lfr_free(t);
        return rc;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->max_age_ms = max_age_ms;
    t->idle_ms = idle_ms;
    *out = t;
    return LFR_OK;
}

void sessions_free(session_table *t)
{
    if (!t) return;
    lfr_store_close(t->store);
    lfr_ctx_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    lfr_free(t);
}

static void random_hex(char out[65])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, 65, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

/* What the database keeps of a token: its SHA-256, so a copy of the
 * database opens no session. */
static int token_hash(const char *token, char out[65])
{
    if (!token || strlen(token) != 64) return -1;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, 64);
    sodium_bin2hex(out, 65, h, sizeof h);
    return 0;
}

static void log_failure(session_table *t, const char *what)
{
    char m[600];
    slog(LOG_ERROR, "sessions", "what=%s msg=%s", what, log_quote(lfr_errmsg(t->ctx), m, sizeof m));
}

int sessions_open(session_table *t, const lfr_actor *actor, session *out)
{
    memset(out, 0, sizeof *out);
    random_hex(out->token);
    random_hex(out->csrf);
    out->actor = *actor;
    out->created_ms = out->seen_ms = server_now_ms();
    char hash[65];
    token_hash(out->token, hash);
    pthread_mutex_lock(&t->lock);
    int rc = lfr_session_save(t->ctx, t->store, hash, out->csrf, actor, out->created_ms,
                              MAX_SESSIONS_PER_USER);
    if (rc) log_failure(t, "open");
    pthread_mutex_unlock(&t->lock);
    if (rc) sodium_memzero(out, sizeof *out);
    return rc ? -1 : 0;
}

int sessions_find(session_table *t, const char *token, int refresh, session *out)
{
    char hash[65];
    if (token_hash(token, hash)) return -1;
    lfr_session_rec rec;
    pthread_mutex_lock(&t->lock);
    int rc = lfr_session_load(t->ctx, t->store, hash, server_now_ms(), t->max_age_ms, t->idle_ms,
                              REFRESH_MS, refresh, &rec);
    if (rc && rc != LFR_ENOENT) log_failure(t, "find");
    pthread_mutex_unlock(&t->lock);
    if (rc) return -1;
    snprintf(out->token, sizeof out->token, "%s", token);
    snprintf(out->csrf, sizeof out->csrf, "%s", rec.csrf);
    out->actor = rec.actor;
    out->created_ms = rec.created_ms;
    out->seen_ms = rec.seen_ms;
    sodium_memzero(&rec, sizeof rec);
    return 0;
}

void sessions_close(session_table *t, const char *token)
{
    char hash[65];
    if (token_hash(token, hash)) return;
    pthread_mutex_lock(&t->lock);
    if (lfr_session_delete(t->ctx, t->store, hash)) log_failure(t, "close");
    pthread_mutex_unlock(&t->lock);
}

void sessions_close_user(session_table *t, const char *name)
{
    pthread_mutex_lock(&t->lock);
    if (lfr_session_delete_user(t->ctx, t->store, name)) log_failure(t, "close_user");
    pthread_mutex_unlock(&t->lock);
}

int sessions_login_begin(session_table *t, const char *name, const char *address)
{
    /* A name is locked for the address its failures came from, so nobody
     * elsewhere can lock an officer out; an address spraying many names is
     * locked on its own. */
    char by_name[192], by_address[128];
    snprintf(by_name, sizeof by_name, "%s %s", name, address);
    snprintf(by_address, sizeof by_address, " %s", address);
    int64_t now = server_now_ms();
    int wait = 0;
    pthread_mutex_lock(&t->lock);
    int rc =
        lfr_login_throttle(t->ctx, t->store, by_address, ADDRESS_LOCK_AFTER, now, LOCK_MS, &wait);
    if (!rc && !wait)
        rc =
            lfr_login_throttle(t->ctx, t->store, by_name, LOCK_AFTER_FAILURES, now, LOCK_MS, &wait);
    if (rc) log_failure(t, "login");
    pthread_mutex_unlock(&t->lock);
    /* The store failing: no log-in until it answers, rather than none
     * counted. */
    return rc ? LOCK_MS / 1000 : wait;
}

void sessions_login_succeeded(session_table *t, const char *name, const char *address)
{
    char by_name[192];
    snprintf(by_name, sizeof by_name, "%s %s", name, address);
    pthread_mutex_lock(&t->lock);
    if (lfr_login_throttle_clear(t->ctx, t->store, by_name)) log_failure(t, "login");
    pthread_mutex_unlock(&t->lock);
}
