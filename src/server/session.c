/* server/session.c - login sessions (SEC-3: they expire, absolutely and
 * when idle), their CSRF tokens, and the lock-out of a user name after
 * repeated failed logins. Kept in memory: a restart logs everyone out. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAX_SESSIONS 1024
#define MAX_THROTTLED 4096
#define LOCK_AFTER_FAILURES 5  /* of one name from one address */
#define ADDRESS_LOCK_AFTER 100 /* of any names from one address (a station shares one) */
#define LOCK_MS (5 * 60 * 1000)
#define MAX_SESSIONS_PER_USER 8

typedef struct throttle {
    char name[128]; /* "NAME ADDRESS", or " ADDRESS" for the address alone */
    int failures;
    int64_t locked_until_ms, last_ms;
} throttle;

struct session_table {
    pthread_mutex_t lock;
    session sessions[MAX_SESSIONS];
    int n;
    throttle throttled[MAX_THROTTLED];
    int n_throttled;
    int max_age_ms, idle_ms;
};

int sessions_new(session_table **out, int max_age_ms, int idle_ms)
{
    session_table *t = lfr_calloc(1, sizeof *t);
    if (!t) return LFR_ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    t->max_age_ms = max_age_ms;
    t->idle_ms = idle_ms;
    *out = t;
    return LFR_OK;
}

void sessions_free(session_table *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->lock);
    lfr_wipe_free(t, sizeof *t);
}

static void random_hex(char out[65])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, 65, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

static int expired(const session_table *t, const session *s, int64_t now)
{
    return now - s->created_ms > t->max_age_ms || now - s->seen_ms > t->idle_ms;
}

/* Drops expired sessions; under the lock. */
static void sweep(session_table *t, int64_t now)
{
    for (int i = 0; i < t->n;) {
        if (expired(t, &t->sessions[i], now)) {
            t->sessions[i] = t->sessions[--t->n];
            sodium_memzero(&t->sessions[t->n], sizeof(session));
        } else {
            i++;
        }
    }
}

int sessions_open(session_table *t, const lfr_actor *actor, session *out)
{
    int64_t now = server_now_ms();
    pthread_mutex_lock(&t->lock);
    sweep(t, now);
    /* A user's oldest session gives way to their newest, so nobody can fill
     * the table and log the others out. */
    int mine = 0, oldest = -1;
    for (int i = 0; i < t->n; i++)
        if (t->sessions[i].actor.id == actor->id) {
            mine++;
            if (oldest < 0 || t->sessions[i].seen_ms < t->sessions[oldest].seen_ms) oldest = i;
        }
    if (mine >= MAX_SESSIONS_PER_USER) {
        t->sessions[oldest] = t->sessions[--t->n];
        sodium_memzero(&t->sessions[t->n], sizeof(session));
    }
    if (t->n == MAX_SESSIONS) {
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    session *s = &t->sessions[t->n++];
    memset(s, 0, sizeof *s);
    random_hex(s->token);
    random_hex(s->csrf);
    s->actor = *actor;
    s->created_ms = s->seen_ms = now;
    *out = *s;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

int sessions_find(session_table *t, const char *token, int refresh, session *out)
{
    if (!token || strlen(token) != 64) return -1;
    int64_t now = server_now_ms();
    int found = -1;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->n; i++) {
        session *s = &t->sessions[i];
        /* Constant time, so timing does not reveal how much of a token matched. */
        if (sodium_memcmp(s->token, token, 64) == 0) {
            if (!expired(t, s, now)) {
                if (refresh) s->seen_ms = now;
                *out = *s;
                found = 0;
            }
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void sessions_close(session_table *t, const char *token)
{
    if (!token || strlen(token) != 64) return;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->n; i++)
        if (sodium_memcmp(t->sessions[i].token, token, 64) == 0) {
            t->sessions[i] = t->sessions[--t->n];
            sodium_memzero(&t->sessions[t->n], sizeof(session));
            break;
        }
    pthread_mutex_unlock(&t->lock);
}

void sessions_close_user(session_table *t, const char *name)
{
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->n;) {
        if (!strcmp(t->sessions[i].actor.name, name)) {
            t->sessions[i] = t->sessions[--t->n];
            sodium_memzero(&t->sessions[t->n], sizeof(session));
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

/* The entry of a name, created if need be. A full table forgets the entry
 * left alone longest that holds no lock, so a flood of made-up names
 * cannot lift a lock; NULL when every entry is a live lock. */
static throttle *throttle_of(session_table *t, const char *name, int64_t now)
{
    for (int i = 0; i < t->n_throttled; i++)
        if (!strcmp(t->throttled[i].name, name)) return &t->throttled[i];
    if (t->n_throttled == MAX_THROTTLED) {
        int oldest = -1;
        for (int i = 0; i < t->n_throttled; i++)
            if (t->throttled[i].locked_until_ms <= now &&
                (oldest < 0 || t->throttled[i].last_ms < t->throttled[oldest].last_ms))
                oldest = i;
        if (oldest < 0) return NULL;
        t->throttled[oldest] = t->throttled[--t->n_throttled];
    }
    throttle *th = &t->throttled[t->n_throttled++];
    memset(th, 0, sizeof *th);
    snprintf(th->name, sizeof th->name, "%s", name);
    th->last_ms = now;
    return th;
}

/* Seconds until the entry may try; else counts this try as a failure
 * (before the password is checked, so tries sent all at once cannot pass
 * the lock together) and locks it at the limit. Under the table's lock. */
static int throttle_try(session_table *t, const char *key, int limit, int64_t now)
{
    throttle *th = throttle_of(t, key, now);
    if (!th) return LOCK_MS / 1000;
    if (th->locked_until_ms > now) return (int)((th->locked_until_ms - now + 999) / 1000);
    th->last_ms = now;
    if (++th->failures >= limit) {
        th->locked_until_ms = now + LOCK_MS;
        th->failures = 0;
    }
    return 0;
}

int sessions_login_begin(session_table *t, const char *name, const char *address)
{
    /* A name is locked for the address its failures came from, so nobody
     * elsewhere can lock an officer out; an address spraying many names is
     * locked on its own. */
    char by_name[128], by_address[128];
    snprintf(by_name, sizeof by_name, "%s %s", name, address);
    snprintf(by_address, sizeof by_address, " %s", address);
    int64_t now = server_now_ms();
    pthread_mutex_lock(&t->lock);
    int wait = throttle_try(t, by_address, ADDRESS_LOCK_AFTER, now);
    if (!wait) wait = throttle_try(t, by_name, LOCK_AFTER_FAILURES, now);
    pthread_mutex_unlock(&t->lock);
    return wait;
}

void sessions_login_succeeded(session_table *t, const char *name, const char *address)
{
    char by_name[128];
    snprintf(by_name, sizeof by_name, "%s %s", name, address);
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < t->n_throttled; i++)
        if (!strcmp(t->throttled[i].name, by_name)) {
            t->throttled[i] = t->throttled[--t->n_throttled];
            break;
        }
    pthread_mutex_unlock(&t->lock);
}
