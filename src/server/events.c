/* server/events.c - server-sent events: new alerts and camera and
 * deployment changes pushed to every console that listens, so the alert
 * queue fills without reloading. The last events are kept in a ring; a
 * listener that falls behind it is told to re-read ("resync"). Each stream
 * re-checks its session, so logging out or expiry ends it. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define RING 256
#define KEEPALIVE_S 15

struct event_hub {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *ring[RING]; /* formatted SSE blocks; ring[seq % RING] */
    int64_t next_seq; /* seq of the next event; events are 1.. */
    int shutdown;
    event_relay *relay; /* several servers: events go round through it */
};

typedef struct listener {
    event_hub *hub;
    struct lfr_server *srv;
    char token[65];
    int64_t seen; /* last seq sent */
    char *pending;
    size_t pending_len, pending_off;
} listener;

int events_new(event_hub **out)
{
    event_hub *h = lfr_calloc(1, sizeof *h);
    if (!h) return LFR_ENOMEM;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->changed, &attr);
    pthread_condattr_destroy(&attr);
    h->next_seq = 1;
    *out = h;
    return LFR_OK;
}

void events_free(event_hub *h)
{
    if (!h) return;
    for (int i = 0; i < RING; i++)
        free(h->ring[i]);
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
    lfr_free(h);
}

void events_set_relay(event_hub *h, event_relay *relay)
{
    h->relay = relay;
}

void events_publish(event_hub *h, const char *type, json_t *data)
{
    /* Here at once, whatever the database does; then to the other
     * servers (a failed send is theirs to miss, not this one's). */
    if (h->relay && data) relay_send(h->relay, type, data);
    events_deliver(h, type, data);
}

void events_deliver(event_hub *h, const char *type, json_t *data)
{
    char *json = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!json) return;
    pthread_mutex_lock(&h->lock);
    int64_t seq = h->next_seq++;
    size_t len = strlen(json) + strlen(type) + 64;
    char *block = malloc(len);
    if (block)
        snprintf(block, len, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq, type, json);
    free(h->ring[seq % RING]);
    h->ring[seq % RING] = block;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    free(json);
}

void events_shutdown(event_hub *h)
{
    pthread_mutex_lock(&h->lock);
    h->shutdown = 1;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

/* Collects what the listener has not seen, waiting up to the keep-alive
 * period; under the hub's lock. Returns -1 when the stream should end. */
static int collect(listener *l)
{
    event_hub *h = l->hub;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += KEEPALIVE_S;
    while (!h->shutdown && h->next_seq - 1 == l->seen)
        if (pthread_cond_timedwait(&h->changed, &h->lock, &deadline)) break;
    if (h->shutdown) return -1;
    int64_t last = h->next_seq - 1;
    if (last == l->seen) {
        l->pending = strdup(": keep-alive\n\n");
    } else if (last - l->seen > RING - 1) {
        /* Fell behind the ring: the console re-reads its lists. */
        l->pending = strdup("event: resync\ndata: {}\n\n");
        l->seen = last;
    } else {
        size_t total = 0;
        for (int64_t s = l->seen + 1; s <= last; s++)
            total += h->ring[s % RING] ? strlen(h->ring[s % RING]) : 0;
        l->pending = malloc(total + 1);
        if (l->pending) {
            l->pending[0] = '\0';
            size_t at = 0;
            for (int64_t s = l->seen + 1; s <= last; s++)
                if (h->ring[s % RING]) {
                    size_t n = strlen(h->ring[s % RING]);
                    memcpy(l->pending + at, h->ring[s % RING], n + 1);
                    at += n;
                }
        }
        l->seen = last;
    }
    if (!l->pending) return -1;
    l->pending_len = strlen(l->pending);
    l->pending_off = 0;
    return 0;
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    listener *l = cls;
    if (!l->pending) {
        session s;
        if (atomic_load(&l->srv->stopping) || sessions_find(l->srv->sessions, l->token, 0, &s))
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&l->hub->lock);
        int rc = collect(l);
        pthread_mutex_unlock(&l->hub->lock);
        if (rc) return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = l->pending_len - l->pending_off;
    if (n > max) n = max;
    memcpy(buf, l->pending + l->pending_off, n);
    l->pending_off += n;
    if (l->pending_off == l->pending_len) {
        free(l->pending);
        l->pending = NULL;
    }
    return (ssize_t)n;
}

static void free_listener(void *cls)
{
    listener *l = cls;
    free(l->pending);
    lfr_wipe_free(l, sizeof *l);
}

struct MHD_Response *events_response(event_hub *h, struct lfr_server *srv, const char *token)
{
    listener *l = lfr_calloc(1, sizeof *l);
    if (!l) return NULL;
    l->hub = h;
    l->srv = srv;
    snprintf(l->token, sizeof l->token, "%s", token);
    pthread_mutex_lock(&h->lock);
    l->seen = h->next_seq - 1; /* from now on; the console reads the lists first */
    pthread_mutex_unlock(&h->lock);
    /* The first block says the stream is open, so the console knows. */
    l->pending = strdup("retry: 2000\nevent: hello\ndata: {}\n\n");
    l->pending_len = l->pending ? strlen(l->pending) : 0;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, l, free_listener);
    if (!resp) free_listener(l);
    return resp;
}
