/* server/guard.c - the connection guard: slow clients may not hold the
 * server's connections (issue 13 item 1, "slowloris").
 *
 * libmicrohttpd's own timeout is an idle timeout: a client sending one byte
 * every few seconds keeps its connection for ever, and a few hundred such
 * clients take every connection. The guard gives each request a deadline
 * instead: its headers must have arrived within header_s of the connection
 * opening (or of the previous response on a kept-alive connection), its
 * body within body_s of the headers. A watchdog thread shuts down the
 * socket of any request past its deadline, which makes libmicrohttpd close
 * the connection. Once three quarters of the connections are taken, the
 * deadlines shrink to a fifth, and requests without a live session are
 * refused with 503 (guard_crowded), so those already logged in keep being
 * served. A response being sent (an event stream included) has no
 * deadline. The number of connections per client address is bounded by
 * libmicrohttpd (MHD_OPTION_PER_IP_CONNECTION_LIMIT). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum stage { WAIT_HEADERS, WAIT_BODY, REPLYING };

typedef struct watched {
    int fd;
    enum stage stage;
    int64_t since_ms; /* when the current stage began */
    struct watched *prev, *next;
} watched;

/* New connections of one client address: a token bucket. */
typedef struct rate_slot {
    uint32_t addr;
    double tokens;
    int64_t last_ms;
} rate_slot;

#define RATE_SLOTS 256

struct guard {
    pthread_mutex_t lock;
    rate_slot rates[RATE_SLOTS];
    double rate_per_s;    /* new connections an address may open a second; 0: no bound */
    atomic_llong refused; /* connections refused at accept for coming too fast */
    pthread_cond_t wake;
    watched *head;
    int count, limit;
    int header_ms, body_ms;
    int stop;
    pthread_t thread;
    atomic_llong closed; /* connections cut for missing a deadline */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int crowded_locked(const guard *g)
{
    return g->count * 4 >= g->limit * 3;
}

static void *watchdog(void *arg)
{
    guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t now = mono_ms();
        /* Under pressure, a fifth of the time. */
        int div = crowded_locked(g) ? 5 : 1;
        for (watched *w = g->head; w; w = w->next) {
            int64_t limit = w->stage == WAIT_HEADERS ? g->header_ms / div
                            : w->stage == WAIT_BODY  ? g->body_ms / div
                                                     : -1;
            if (limit >= 0 && now - w->since_ms > limit && w->fd >= 0) {
                shutdown(w->fd, SHUT_RDWR);
                w->fd = -1; /* once */
                atomic_fetch_add(&g->closed, 1);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int guard_new(guard **out, int limit, int header_s, int body_s, int rate_per_s)
{
    *out = NULL;
    guard *g = calloc(1, sizeof *g);
    if (!g) return -1;
    g->rate_per_s = rate_per_s;
    g->limit = limit;
    g->header_ms = header_s * 1000;
    g->body_ms = body_s * 1000;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&g->thread, NULL, watchdog, g)) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return -1;
    }
    *out = g;
    return 0;
}

void guard_free(guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) {
        watched *w = g->head;
        g->head = w->next;
        free(w);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        watched *w = calloc(1, sizeof *w);
        if (!w || !info) {
            free(w); /* unwatched: libmicrohttpd's idle timeout still applies */
            *socket_context = NULL;
            return;
        }
        w->fd = info->connect_fd;
        w->stage = WAIT_HEADERS;
        w->since_ms = mono_ms();
        pthread_mutex_lock(&g->lock);
        w->next = g->head;
        if (g->head) g->head->prev = w;
        g->head = w;
        g->count++;
        pthread_mutex_unlock(&g->lock);
        *socket_context = w;
        return;
    }
    watched *w = *socket_context;
    if (!w) return;
    pthread_mutex_lock(&g->lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next) w->next->prev = w->prev;
    g->count--;
    pthread_mutex_unlock(&g->lock);
    free(w);
    *socket_context = NULL;
}

static void set_stage(guard *g, struct MHD_Connection *conn, enum stage stage)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    watched *w = info ? info->socket_context : NULL;
    if (!w) return;
    pthread_mutex_lock(&g->lock);
    if (w->stage != stage) {
        w->stage = stage;
        w->since_ms = mono_ms();
    }
    pthread_mutex_unlock(&g->lock);
}

void guard_headers_done(guard *g, struct MHD_Connection *conn)
{
    set_stage(g, conn, WAIT_BODY);
}

void guard_replying(guard *g, struct MHD_Connection *conn)
{
    set_stage(g, conn, REPLYING);
}

void guard_request_done(guard *g, struct MHD_Connection *conn)
{
    /* A kept-alive connection waits for its next request's headers. */
    set_stage(g, conn, WAIT_HEADERS);
}

int guard_crowded(guard *g)
{
    pthread_mutex_lock(&g->lock);
    int crowded = crowded_locked(g);
    pthread_mutex_unlock(&g->lock);
    return crowded;
}

long long guard_closed(guard *g)
{
    return atomic_load(&g->closed);
}

long long guard_refused(guard *g)
{
    return atomic_load(&g->refused);
}

/* A flood of short connections costs a thread each before any request is
 * read, in the kernel where no niceness holds it back: an address opening
 * them faster than rate_per_s (bursts of twice that) is refused at accept,
 * before a thread exists. */
void guard_yield_to_cameras(int nice)
{
    static _Thread_local int niced;
    if (niced >= nice) return;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
    niced = nice;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    guard *g = cls;
    /* The listener too: a flood of connections costs it an accept and a
     * thread each, and that work must not come out of the cameras' share.
     * Not the lowest: the officer's next connection waits on it. */
    guard_yield_to_cameras(10);
    if (g->rate_per_s <= 0 || !addr || addr->sa_family != AF_INET ||
        len < (socklen_t)sizeof(struct sockaddr_in))
        return MHD_YES;
    uint32_t a = ((const struct sockaddr_in *)addr)->sin_addr.s_addr;
    int64_t now = mono_ms();
    pthread_mutex_lock(&g->lock);
    rate_slot *slot = &g->rates[(a * 2654435761u) >> 24];
    if (slot->addr != a || slot->last_ms == 0) {
        slot->addr = a;
        slot->tokens = 2 * g->rate_per_s;
        slot->last_ms = now;
    }
    slot->tokens += (double)(now - slot->last_ms) * g->rate_per_s / 1000.0;
    if (slot->tokens > 2 * g->rate_per_s) slot->tokens = 2 * g->rate_per_s;
    slot->last_ms = now;
    int ok = slot->tokens >= 1;
    if (ok) slot->tokens -= 1;
    pthread_mutex_unlock(&g->lock);
    if (!ok) atomic_fetch_add(&g->refused, 1);
    return ok ? MHD_YES : MHD_NO;
}
