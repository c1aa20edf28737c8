/* server/feeds.c - the live pictures operators watch (issue 15): one feed
 * per camera being watched, holding only its newest view (strangers
 * already blurred by the pipeline), replaced and wiped frame by frame and
 * gone, wiped, when its last viewer leaves. Cameras make views only for a
 * feed that has viewers. Each viewer gets the pictures as an MJPEG stream
 * (multipart/x-mixed-replace), never stored by the browser (no-store). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_FEEDS 64
#define BOUNDARY "lfrframe"
#define WAIT_STEP_MS 1000 /* a viewer looks up again this often while no picture comes */

typedef struct feed {
    int64_t deployment;
    char camera[LFR_ID_MAX];
    int viewers;
    int64_t seq; /* pictures so far */
    uint8_t *jpeg;
    size_t len;
} feed;

struct feed_table {
    pthread_mutex_t lock;
    pthread_cond_t fresh; /* a picture came, or a feed ended */
    feed feeds[MAX_FEEDS];
};

int feeds_new(feed_table **out)
{
    feed_table *t = lfr_calloc(1, sizeof *t);
    if (!t) return LFR_ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->fresh, NULL);
    *out = t;
    return LFR_OK;
}

static void drop_picture(feed *f)
{
    if (f->jpeg) lfr_wipe_free(f->jpeg, f->len);
    f->jpeg = NULL;
    f->len = 0;
}

void feeds_free(feed_table *t)
{
    if (!t) return;
    for (int i = 0; i < MAX_FEEDS; i++)
        drop_picture(&t->feeds[i]);
    pthread_cond_destroy(&t->fresh);
    pthread_mutex_destroy(&t->lock);
    lfr_free(t);
}

void feeds_shutdown(feed_table *t)
{
    pthread_mutex_lock(&t->lock);
    pthread_cond_broadcast(&t->fresh);
    pthread_mutex_unlock(&t->lock);
}

/* The feed of a camera, or NULL; lock held. */
static feed *find(feed_table *t, int64_t deployment, const char *camera)
{
    for (int i = 0; i < MAX_FEEDS; i++)
        if (t->feeds[i].viewers && t->feeds[i].deployment == deployment &&
            !strcmp(t->feeds[i].camera, camera))
            return &t->feeds[i];
    return NULL;
}

int feeds_wanted(feed_table *t, int64_t deployment, const char *camera)
{
    pthread_mutex_lock(&t->lock);
    int wanted = find(t, deployment, camera) != NULL;
    pthread_mutex_unlock(&t->lock);
    return wanted;
}

void feeds_publish(feed_table *t, int64_t deployment, const char *camera, const uint8_t *jpeg,
                   size_t len)
{
    uint8_t *copy = lfr_alloc(len);
    if (!copy) return; /* this picture is skipped; the next may fit */
    memcpy(copy, jpeg, len);
    pthread_mutex_lock(&t->lock);
    feed *f = find(t, deployment, camera);
    if (f) {
        drop_picture(f);
        f->jpeg = copy;
        f->len = len;
        f->seq++;
        copy = NULL;
        pthread_cond_broadcast(&t->fresh);
    }
    pthread_mutex_unlock(&t->lock);
    if (copy) lfr_wipe_free(copy, len); /* nobody watches any more */
}

/* A viewer: its place in the feed, and the part it is sending. */
typedef struct viewer {
    struct lfr_server *srv;
    int64_t deployment;
    char camera[LFR_ID_MAX];
    int64_t seen; /* the last picture sent */
    char *part;   /* boundary, headers, the JPEG */
    size_t part_len, part_off;
} viewer;

static void end_part(viewer *v)
{
    if (v->part) lfr_wipe_free(v->part, v->part_len);
    v->part = NULL;
    v->part_len = v->part_off = 0;
}

/* Waits for a picture newer than the last sent and copies it out as the
 * next part; -1 when the stream is over (server stopping, camera no
 * longer live). */
static int next_part(viewer *v)
{
    feed_table *t = v->srv->feeds;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        feed *f = find(t, v->deployment, v->camera);
        if (!f || atomic_load(&v->srv->stopping)) break;
        if (f->seq > v->seen && f->jpeg) {
            char head[128];
            int hn = snprintf(head, sizeof head,
                              "--" BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: "
                              "%zu\r\n\r\n",
                              f->len);
            v->part_len = (size_t)hn + f->len + 2;
            v->part = lfr_alloc(v->part_len);
            if (v->part) {
                memcpy(v->part, head, (size_t)hn);
                memcpy(v->part + hn, f->jpeg, f->len);
                memcpy(v->part + hn + f->len, "\r\n", 2);
                v->part_off = 0;
                v->seen = f->seq;
            }
            pthread_mutex_unlock(&t->lock);
            return v->part ? 0 : -1;
        }
        if (!runner_camera_live(v->srv->runner, v->deployment, v->camera)) break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WAIT_STEP_MS / 1000;
        pthread_cond_timedwait(&t->fresh, &t->lock, &until);
    }
    pthread_mutex_unlock(&t->lock);
    return -1;
}

static ssize_t read_pictures(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    viewer *v = cls;
    if (!v->part && next_part(v)) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = v->part_len - v->part_off;
    if (n > max) n = max;
    memcpy(buf, v->part + v->part_off, n);
    v->part_off += n;
    if (v->part_off == v->part_len) end_part(v);
    return (ssize_t)n;
}

static void viewer_left(void *cls)
{
    viewer *v = cls;
    feed_table *t = v->srv->feeds;
    pthread_mutex_lock(&t->lock);
    feed *f = find(t, v->deployment, v->camera);
    if (f && --f->viewers == 0) drop_picture(f);
    pthread_mutex_unlock(&t->lock);
    end_part(v);
    char c[LFR_ID_MAX + 8];
    slog(LOG_INFO, "live.view.end", "deployment=%lld camera=%s", (long long)v->deployment,
         log_quote(v->camera, c, sizeof c));
    lfr_wipe_free(v, sizeof *v);
}

struct MHD_Response *feeds_response(struct lfr_server *srv, int64_t deployment, const char *camera,
                                    const char *user)
{
    viewer *v = lfr_calloc(1, sizeof *v);
    if (!v) return NULL;
    v->srv = srv;
    v->deployment = deployment;
    snprintf(v->camera, sizeof v->camera, "%s", camera);
    feed_table *t = srv->feeds;
    pthread_mutex_lock(&t->lock);
    feed *f = find(t, deployment, camera);
    for (int i = 0; !f && i < MAX_FEEDS; i++) {
        if (t->feeds[i].viewers) continue;
        f = &t->feeds[i];
        memset(f, 0, sizeof *f);
        f->deployment = deployment;
        snprintf(f->camera, sizeof f->camera, "%s", camera);
    }
    if (f) {
        f->viewers++;
        v->seen = f->seq;
    }
    pthread_mutex_unlock(&t->lock);
    if (!f) {
        lfr_free(v);
        return NULL;
    }
    char c[LFR_ID_MAX + 8], u[96];
    slog(LOG_INFO, "live.view", "deployment=%lld camera=%s user=%s", (long long)deployment,
         log_quote(camera, c, sizeof c), log_quote(user, u, sizeof u));
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  read_pictures, v, viewer_left);
    if (!resp) viewer_left(v);
    return resp;
}
