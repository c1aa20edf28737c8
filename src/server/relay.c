/* server/relay.c - events shared by the servers on one PostgreSQL database
 * (issue 17): each server delivers its own events to the consoles
 * connected to it at once, sends them as messages on the database, and
 * delivers the other servers' it receives, so an alert raised where a deployment's cameras run
 * reaches operators logged in to any server. With SQLite there is one server, and events stay in
 * the process. */
#include "internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CHANNEL "lfr_events"
#define WAIT_MS 250
#define RETRY_MS 1000
/* PostgreSQL's limit on a message; a bigger event stays in this server. */
#define MAX_PAYLOAD 7900

struct event_relay {
    event_hub *hub;
    char *db;
    char node_id[128];         /* this server: its own events are delivered here already */
    int64_t retry_ms;          /* after a failed send, none is tried before then */
    pthread_mutex_t send_lock; /* guards send and send_ctx */
    lfr_store *send;           /* opened at the first send, again after a failure */
    lfr_ctx *send_ctx;
    pthread_t thread;
    atomic_int stop;
};

static void deliver(event_relay *r, const char *payload)
{
    json_error_t err;
    json_t *msg = json_loads(payload, 0, &err);
    const char *type = json_string_value(json_object_get(msg, "type"));
    const char *from = json_string_value(json_object_get(msg, "from"));
    json_t *data = json_object_get(msg, "data");
    if (type && json_is_object(data) && !(from && !strcmp(from, r->node_id)))
        events_deliver(r->hub, type, json_incref(data));
    json_decref(msg);
}

static void pause_ms(event_relay *r, int ms)
{
    for (int waited = 0; waited < ms && !atomic_load(&r->stop); waited += 50)
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
}

static void *relay_thread(void *arg)
{
    event_relay *r = arg;
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return NULL;
    lfr_store *in = NULL;
    int failing = 0;
    while (!atomic_load(&r->stop)) {
        if (!in && (lfr_store_open(ctx, r->db, &in) || lfr_store_listen(ctx, in, CHANNEL))) {
            char m[600];
            if (!failing++)
                slog(LOG_ERROR, "events.relay", "msg=%s", log_quote(lfr_errmsg(ctx), m, sizeof m));
            lfr_store_close(in);
            in = NULL;
            pause_ms(r, RETRY_MS);
            continue;
        }
        if (failing) slog(LOG_INFO, "events.relay", "msg=\"listening again\"");
        failing = 0;
        char *payload = NULL;
        int rc = lfr_store_next_message(ctx, in, WAIT_MS, &payload);
        if (rc == 1) deliver(r, payload);
        lfr_free(payload);
        if (rc < 0) {
            lfr_store_close(in);
            in = NULL;
        }
    }
    lfr_store_close(in);
    lfr_ctx_free(ctx);
    return NULL;
}

int relay_new(lfr_ctx *ctx, const char *db, const char *node_id, event_hub *hub, event_relay **out)
{
    *out = NULL;
    event_relay *r = lfr_calloc(1, sizeof *r);
    if (!r || !(r->db = lfr_strdup(db)) || lfr_ctx_new(&r->send_ctx)) {
        if (r) lfr_free(r->db);
        lfr_free(r);
        return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    r->hub = hub;
    snprintf(r->node_id, sizeof r->node_id, "%s", node_id);
    pthread_mutex_init(&r->send_lock, NULL);
    if (pthread_create(&r->thread, NULL, relay_thread, r)) {
        pthread_mutex_destroy(&r->send_lock);
        lfr_ctx_free(r->send_ctx);
        lfr_free(r->db);
        lfr_free(r);
        return lfr_fail(ctx, LFR_ENOMEM, "cannot start the events relay");
    }
    *out = r;
    return LFR_OK;
}

int relay_send(event_relay *r, const char *type, const json_t *data)
{
    json_t *msg = json_pack("{s:s,s:s,s:O}", "from", r->node_id, "type", type, "data", data);
    char *payload = msg ? json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(msg);
    int rc = LFR_EINVAL;
    if (payload && strlen(payload) <= MAX_PAYLOAD) {
        pthread_mutex_lock(&r->send_lock);
        /* The database gone: the runner and cameras that publish must not
         * wait on a connection each time; try again after a pause. */
        int64_t now = server_now_ms();
        if (!r->send && now >= r->retry_ms) lfr_store_open(r->send_ctx, r->db, &r->send);
        rc = r->send ? lfr_store_notify(r->send_ctx, r->send, CHANNEL, payload) : LFR_EIO;
        if (rc && r->send) {
            lfr_store_close(r->send);
            r->send = NULL;
        }
        if (rc) r->retry_ms = now + RETRY_MS;
        pthread_mutex_unlock(&r->send_lock);
    }
    free(payload);
    return rc;
}

void relay_free(event_relay *r)
{
    if (!r) return;
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    lfr_store_close(r->send);
    lfr_ctx_free(r->send_ctx);
    pthread_mutex_destroy(&r->send_lock);
    lfr_free(r->db);
    lfr_free(r);
}
