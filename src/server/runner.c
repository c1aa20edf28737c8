/* server/runner.c - runs live deployments and walk tests. Once a tick (and
 * at once when an officer starts, stops or suspends one) it ends what must
 * end (end times, lapsed urgent authorisations), applies retention at start
 * and hourly, and makes the running pipelines match what may process now:
 * a pipeline starts with its deployment's reviewed watchlist (or, for a
 * walk test, its blue list) and authorised threshold, and stops, wiping its
 * gallery, the moment it may no longer process. Pipeline counts of live
 * deployments go to the database every tick. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define MAX_LIVE 32
#define MAX_CAMERAS 16
#define RETENTION_EVERY_MS (3600 * 1000)

typedef struct camera_view {
    char name[LFR_ID_MAX];
    char state[16];
    char message[256];
    lfr_pipeline_stats reported; /* counts already written to the database */
    lfr_pipeline_stats last;     /* at the previous tick, for rates */
    double fps, faces_per_s;     /* over the last tick */
} camera_view;

typedef struct live {
    struct runner *r;
    int64_t deployment;
    int64_t walk_test; /* 0: the deployment is live; else this walk test runs */
    lfr_pipeline *pipeline;
    lfr_gallery *gallery;
    pthread_t thread;
    atomic_int done;
    int rc;
    char msg[512];
    camera_view cams[MAX_CAMERAS];
    int n_cams;
    int64_t last_tick_ms;
    lfr_pipeline_stats all; /* the deployment's, at the last tick */
    double threshold;       /* what the cameras use: the deployment's, within a tick */
    json_t *cameras;        /* from the store, until the pipeline is launched */
    int64_t lease_until_ms; /* this server's hold on the cameras, as last renewed */
} live;

/* How long a server's hold on a deployment's cameras lasts unrenewed: a
 * few ticks, so a server that dies hands its cameras over within seconds
 * (issue 17: within 10 s at the default tick). */
#define LEASE_MIN_MS 6000
#define LEASE_TICKS 3

static int64_t lease_ttl_ms(const struct lfr_server *srv)
{
    int64_t ttl = (int64_t)srv->cfg.tick_ms * LEASE_TICKS;
    return ttl < LEASE_MIN_MS ? LEASE_MIN_MS : ttl;
}

/* An alert waiting to be recorded. Camera threads hand alerts over while
 * holding their pipeline's lock, so they must not wait for the database:
 * the runner records them, woken at once. When the store fails (a full
 * disk), an alert stays queued and is tried again every tick until it is
 * written; its crop waits sealed with a key of this process alone. */
typedef struct pending_alert {
    int64_t deployment, walk_test, time_ms;
    char camera[LFR_ID_MAX], identity[LFR_ID_MAX];
    int track_id;
    double score;
    lfr_face_quality quality;
    uint8_t *sealed; /* nonce || secretbox(crop) */
    size_t sealed_len;
    int64_t queued_us; /* monotonic */
    int attempts;      /* failed writes so far */
} pending_alert;

#define MAX_PENDING 1024
#define MAX_LOST 64

struct runner {
    struct lfr_server *srv;
    lfr_ctx *ctx; /* the runner thread's */
    pthread_t thread;
    int started;
    pthread_mutex_t lock; /* guards lives, cams' views, stop, woken */
    pthread_cond_t wake;
    int stop, woken;
    live *lives[MAX_LIVE];
    int n_lives;
    lfr_running ended_by_themselves[256]; /* pipelines that ran to their end: not restarted */
    int n_ended;
    int64_t last_retention_ms;
    atomic_llong last_tick_ms;  /* when the runner last went round: /readyz */
    pthread_mutex_t queue_lock; /* a leaf: nothing else is taken under it */
    pending_alert queue[MAX_PENDING];
    int n_queued;
    unsigned char *queue_key; /* seals queued crops; locked memory, this process only */
    char store_error[256];    /* why the head of the queue waits; "" when nothing waits */
    /* Alerts that could not be kept, by deployment, until audited. */
    struct {
        int64_t deployment;
        int n;
        char why[96];
    } lost[MAX_LOST];
    int n_lost;
};

static camera_view *view_of(live *l, const char *camera)
{
    for (int i = 0; i < l->n_cams; i++)
        if (!strcmp(l->cams[i].name, camera)) return &l->cams[i];
    return NULL;
}

static void on_camera(const char *camera, lfr_camera_state state, const char *msg, void *arg)
{
    live *l = arg;
    pthread_mutex_lock(&l->r->lock);
    camera_view *v = view_of(l, camera);
    if (v) {
        snprintf(v->state, sizeof v->state, "%s", lfr_camera_state_name(state));
        snprintf(v->message, sizeof v->message, "%s", msg ? msg : "");
    }
    pthread_mutex_unlock(&l->r->lock);
    char c[LFR_ID_MAX + 8], m[600];
    slog(state == LFR_CAM_RECONNECTING || state == LFR_CAM_FAILED ? LOG_WARN : LOG_INFO, "camera",
         "deployment=%lld camera=%s state=%s msg=%s", (long long)l->deployment,
         log_quote(camera, c, sizeof c), lfr_camera_state_name(state), log_quote(msg, m, sizeof m));
    events_publish(l->r->srv->events, "camera",
                   json_pack("{s:I,s:s,s:s,s:s}", "deployment", (json_int_t)l->deployment, "camera",
                             camera, "state", lfr_camera_state_name(state), "message",
                             msg ? msg : ""));
}

/* The live view: made while someone watches this camera's feed. */
static int on_live_wanted(const char *camera, void *arg)
{
    live *l = arg;
    return feeds_wanted(l->r->srv->feeds, l->deployment, camera);
}

static void on_live_picture(const lfr_live_frame *f, void *arg)
{
    live *l = arg;
    feeds_publish(l->r->srv->feeds, l->deployment, f->camera, f->jpeg, f->jpeg_len);
}

int runner_camera_live(runner *r, int64_t deployment, const char *camera)
{
    int on = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n_lives && !on; i++) {
        live *l = r->lives[i];
        if (l->deployment != deployment || atomic_load(&l->done)) continue;
        camera_view *v = view_of(l, camera);
        on = v && strcmp(v->state, "ended") && strcmp(v->state, "failed");
    }
    pthread_mutex_unlock(&r->lock);
    return on;
}

/* Counts an alert that could not be kept, for the audit log; queue_lock held. */
static void note_lost(runner *r, int64_t deployment, const char *why)
{
    char q[300];
    slog(LOG_ERROR, "alert.lost", "deployment=%lld msg=%s", (long long)deployment,
         log_quote(why, q, sizeof q));
    for (int i = 0; i < r->n_lost; i++)
        if (r->lost[i].deployment == deployment && !strcmp(r->lost[i].why, why)) {
            r->lost[i].n++;
            return;
        }
    if (r->n_lost == MAX_LOST) return; /* named on stderr above */
    r->lost[r->n_lost].deployment = deployment;
    r->lost[r->n_lost].n = 1;
    snprintf(r->lost[r->n_lost].why, sizeof r->lost[r->n_lost].why, "%s", why);
    r->n_lost++;
}

/* An alert from a camera thread (under its pipeline's lock): queued, its
 * crop sealed. A walk test's hit keeps no face. */
static void on_alert(const lfr_alert *a, void *arg)
{
    live *l = arg;
    runner *r = l->r;
    size_t sealed_len =
        a->crop_jpeg_len && !l->walk_test
            ? crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + a->crop_jpeg_len
            : 0;
    uint8_t *sealed = sealed_len ? lfr_alloc(sealed_len) : NULL;
    if (sealed) {
        randombytes_buf(sealed, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, a->crop_jpeg, a->crop_jpeg_len,
                              sealed, r->queue_key);
    }
    pthread_mutex_lock(&r->queue_lock);
    if (r->n_queued < MAX_PENDING) {
        pending_alert *q = &r->queue[r->n_queued++];
        memset(q, 0, sizeof *q);
        q->deployment = l->deployment;
        q->walk_test = l->walk_test;
        q->time_ms = a->time_unix_ms;
        snprintf(q->camera, sizeof q->camera, "%s", a->camera);
        snprintf(q->identity, sizeof q->identity, "%s", a->identity);
        q->track_id = a->track_id;
        q->score = a->score_cos;
        q->quality = a->quality;
        q->sealed = sealed;
        q->sealed_len = sealed ? sealed_len : 0;
        q->queued_us = lfr_now_us();
        sealed = NULL;
    } else {
        note_lost(r, l->deployment, "the queue of alerts waiting for the database was full");
    }
    pthread_mutex_unlock(&r->queue_lock);
    if (sealed) lfr_wipe_free(sealed, sealed_len);
    runner_wake(r);
}

/* A walk test's hit: to the test's result and the operator's screen,
 * never to an engagement officer. The database lock is held. */
static void record_hit(runner *r, const pending_alert *q)
{
    int64_t entry = strtoll(q->identity, NULL, 10);
    if (lfr_walktest_hit(r->ctx, r->srv->policy, q->walk_test, entry, q->camera, q->time_ms,
                         q->score)) {
        char m[600];
        slog(LOG_ERROR, "walktest.hit_lost", "walk_test=%lld msg=%s", (long long)q->walk_test,
             log_quote(lfr_errmsg(r->ctx), m, sizeof m));
        return;
    }
    events_publish(r->srv->events, "walktest",
                   json_pack("{s:I,s:I,s:I,s:s,s:I,s:f}", "deployment", (json_int_t)q->deployment,
                             "walk_test", (json_int_t)q->walk_test, "entry", (json_int_t)entry,
                             "camera", q->camera, "time_ms", (json_int_t)q->time_ms, "score",
                             q->score));
}

/* Writes one queued alert (its crop sealed for the store) and announces
 * it; the database lock is held. 1: the store failed, so it waits for the
 * next try; 0: done with it, written or refused (the policy refuses an
 * alert whose deployment stopped in the meantime). */
static int record_alert(runner *r, const pending_alert *q)
{
    struct lfr_server *srv = r->srv;
    size_t crop_len =
        q->sealed_len ? q->sealed_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES : 0;
    uint8_t *crop = crop_len ? lfr_alloc(crop_len) : NULL;
    if (crop && crypto_secretbox_open_easy(crop, q->sealed + crypto_secretbox_NONCEBYTES,
                                           q->sealed_len - crypto_secretbox_NONCEBYTES, q->sealed,
                                           r->queue_key)) {
        lfr_wipe_free(crop, crop_len);
        crop = NULL; /* cannot happen: recorded without its crop rather than lost */
    }
    json_t *qj = json_pack("{s:f,s:f,s:f,s:f}", "eye_distance_px", q->quality.eye_distance_px,
                           "yaw_deg", q->quality.yaw_deg, "pitch_deg", q->quality.pitch_deg,
                           "sharpness", q->quality.sharpness);
    char *qtext = qj ? json_dumps(qj, JSON_COMPACT) : NULL;
    json_decref(qj);
    lfr_alert_record rec = {.deployment = q->deployment,
                            .entry = strtoll(q->identity, NULL, 10),
                            .camera = q->camera,
                            .time_ms = q->time_ms,
                            .track_id = q->track_id,
                            .score = q->score,
                            .quality_json = qtext,
                            .crop_jpeg = crop,
                            .crop_len = crop ? crop_len : 0,
                            .waited_ms = q->attempts ? (lfr_now_us() - q->queued_us) / 1000 : 0};
    int64_t id = 0;
    int rc = lfr_alert_record_new(r->ctx, srv->policy, &rec, &id), wait = 0;
    free(qtext);
    if (crop) lfr_wipe_free(crop, crop_len);
    if (rc == LFR_EIO || rc == LFR_ENOMEM) {
        /* The store failed, not the alert: it waits, and the operator sees it. */
        char m[600];
        if (!r->store_error[0])
            slog(LOG_ERROR, "alert.waiting", "deployment=%lld msg=%s", (long long)q->deployment,
                 log_quote(lfr_errmsg(r->ctx), m, sizeof m));
        pthread_mutex_lock(&r->queue_lock);
        snprintf(r->store_error, sizeof r->store_error, "%s", lfr_errmsg(r->ctx));
        pthread_mutex_unlock(&r->queue_lock);
        wait = 1;
    } else if (rc) {
        char m[600];
        slog(LOG_WARN, "alert.refused", "deployment=%lld msg=%s", (long long)q->deployment,
             log_quote(lfr_errmsg(r->ctx), m, sizeof m));
        if (q->attempts) {
            pthread_mutex_lock(&r->queue_lock);
            note_lost(r, q->deployment, "the deployment stopped before the database came back");
            pthread_mutex_unlock(&r->queue_lock);
        }
    } else {
        char c[LFR_ID_MAX + 8];
        /* Ids only: who the watchlist says it is stays in the database. */
        slog(LOG_INFO, "alert", "alert=%lld deployment=%lld camera=%s", (long long)id,
             (long long)q->deployment, log_quote(q->camera, c, sizeof c));
        events_publish(srv->events, "alert",
                       json_pack("{s:I,s:I,s:s,s:I,s:f}", "id", (json_int_t)id, "deployment",
                                 (json_int_t)q->deployment, "camera", q->camera, "time_ms",
                                 (json_int_t)q->time_ms, "score", q->score));
    }
    return wait;
}

/* Audits the alerts that could not be kept; the database lock is held. */
static void audit_lost(runner *r)
{
    pthread_mutex_lock(&r->queue_lock);
    for (int i = 0; i < r->n_lost;) {
        if (lfr_alerts_lost(r->ctx, r->srv->policy, r->lost[i].deployment, r->lost[i].n,
                            r->lost[i].why)) {
            i++; /* the store still fails: next tick */
            continue;
        }
        r->lost[i] = r->lost[--r->n_lost];
    }
    pthread_mutex_unlock(&r->queue_lock);
}

/* Records the queued alerts in order, and the walk tests' hits; the
 * database lock is held. The first that must wait for the store stops the
 * round: the rest wait behind it. */
static void record_alerts(runner *r)
{
    for (;;) {
        pending_alert q;
        pthread_mutex_lock(&r->queue_lock);
        int have = r->n_queued > 0;
        if (have) q = r->queue[0]; /* only this thread removes from the queue */
        pthread_mutex_unlock(&r->queue_lock);
        if (!have) break;
        int wait = 0;
        if (q.walk_test)
            record_hit(r, &q);
        else
            wait = record_alert(r, &q);
        pthread_mutex_lock(&r->queue_lock);
        if (wait) {
            r->queue[0].attempts++;
        } else {
            memmove(r->queue, r->queue + 1, (size_t)(--r->n_queued) * sizeof q);
            r->store_error[0] = '\0'; /* the store answered */
        }
        pthread_mutex_unlock(&r->queue_lock);
        if (wait) break;
        if (q.sealed) lfr_wipe_free(q.sealed, q.sealed_len);
    }
    audit_lost(r);
}

static void *pipeline_thread(void *arg)
{
    live *l = arg;
    l->rc = lfr_pipeline_run_alone(l->pipeline, l->msg, sizeof l->msg);
    atomic_store(&l->done, 1);
    runner_wake(l->r);
    return NULL;
}

/* Writes the counts since the last flush; the database lock is held. */
static void flush_counts(runner *r, live *l, int64_t now)
{
    for (int i = 0; i < l->n_cams; i++) {
        camera_view *v = &l->cams[i];
        lfr_pipeline_stats s;
        if (lfr_pipeline_camera_stats(l->pipeline, v->name, &s)) continue;
        int64_t frames = s.frames_processed - v->reported.frames_processed;
        int64_t faces = s.tracks - v->reported.tracks;
        int64_t compared = s.templates_compared - v->reported.templates_compared;
        /* A walk test is not the deployment's processing: not in its figures. */
        if (!l->walk_test && (frames || faces || compared) &&
            lfr_deployment_count(r->ctx, r->srv->policy, l->deployment, v->name, frames, faces,
                                 compared, now) == LFR_OK)
            v->reported = s;
        double dt = l->last_tick_ms ? (double)(now - l->last_tick_ms) / 1000.0 : 0;
        pthread_mutex_lock(&r->lock);
        if (dt > 0) {
            v->fps = (double)(s.frames_processed - v->last.frames_processed) / dt;
            v->faces_per_s = (double)(s.faces_detected - v->last.faces_detected) / dt;
        }
        v->last = s;
        pthread_mutex_unlock(&r->lock);
    }
    lfr_pipeline_stats all;
    lfr_pipeline_stats_get(l->pipeline, &all);
    pthread_mutex_lock(&r->lock);
    l->all = all;
    pthread_mutex_unlock(&r->lock);
    l->last_tick_ms = now;
}

static void live_free(live *l)
{
    if (!l) return;
    json_decref(l->cameras);
    lfr_pipeline_free(l->pipeline);
    lfr_gallery_free(l->gallery); /* wipes the templates */
    lfr_free(l);
}

/* What a deployment's pipeline needs from the store: its cameras and its
 * gallery; the database lock is held. */
static int live_prepare(runner *r, const lfr_running *d, live **out)
{
    lfr_ctx *ctx = r->ctx;
    struct lfr_server *srv = r->srv;
    *out = NULL;
    json_t *cameras = NULL;
    live *l = lfr_calloc(1, sizeof *l);
    if (!l) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    l->r = r;
    l->deployment = d->id;
    l->walk_test = d->walk_test;
    /* Prepared only once this tick took or renewed the lease. */
    l->lease_until_ms = server_now_ms() + lease_ttl_ms(srv);
    int rc = lfr_camera_list(ctx, srv->policy, NULL, d->id, &cameras);
    if (!rc && json_array_size(cameras) == 0)
        rc = lfr_fail(ctx, LFR_EINVAL, "deployment %lld has no cameras", (long long)d->id);
    if (!rc && json_array_size(cameras) > MAX_CAMERAS)
        rc = lfr_fail(ctx, LFR_ELIMIT, "deployment %lld has more than %d cameras", (long long)d->id,
                      MAX_CAMERAS);
    if (!rc)
        rc = d->walk_test
                 ? lfr_bluelist_gallery(ctx, srv->policy, d->id, srv->engine, &l->gallery)
                 : lfr_watchlist_gallery(ctx, srv->policy, d->id, srv->engine, &l->gallery);
    /* The model version of the published record (PUB-3). */
    if (!rc && !d->walk_test)
        rc = lfr_deployment_record_model(
            ctx, srv->policy, d->id,
            lfr_model_name(lfr_engine_model(srv->engine, LFR_MODEL_EMBEDDER)), server_now_ms());
    l->threshold = d->threshold;
    l->cameras = cameras;
    if (rc) {
        live_free(l);
        return rc;
    }
    *out = l;
    return LFR_OK;
}

/* Opens the cameras and starts the pipeline, without the database lock:
 * a camera may take its time to answer, and the server must not wait. */
static int live_launch(runner *r, live *l)
{
    lfr_ctx *ctx = r->ctx;
    struct lfr_server *srv = r->srv;
    lfr_pipeline_params pp = lfr_pipeline_default_params();
    /* The authorised threshold is what every alert must reach (DEP-6). */
    pp.threshold = (float)l->threshold;
    int rc = lfr_pipeline_new(ctx, srv->engine, l->gallery, &pp, on_alert, l, &l->pipeline);
    size_t i;
    json_t *c;
    json_array_foreach(l->cameras, i, c)
    {
        if (rc) break;
        const char *name = json_string_value(json_object_get(c, "name"));
        lfr_video_params vp = lfr_video_default_params();
        vp.realtime = 1; /* a file source plays at its own pace, like a camera */
        rc = lfr_pipeline_add_source(ctx, l->pipeline, name,
                                     json_string_value(json_object_get(c, "source")), &vp);
        camera_view *v = &l->cams[l->n_cams++];
        snprintf(v->name, sizeof v->name, "%s", name);
        snprintf(v->state, sizeof v->state, "connecting");
    }
    json_decref(l->cameras);
    l->cameras = NULL;
    if (!rc) {
        lfr_pipeline_set_camera_callback(l->pipeline, on_camera, l);
        lfr_pipeline_set_live_callback(l->pipeline, on_live_wanted, on_live_picture, l,
                                       LIVE_VIEW_FPS);
        if (pthread_create(&l->thread, NULL, pipeline_thread, l))
            rc = lfr_fail(ctx, LFR_ENOMEM, "cannot start a pipeline thread");
    }
    return rc;
}

/* Stops a pipeline and waits for its threads; without the database lock. */
static void live_halt(live *l)
{
    lfr_pipeline_stop(l->pipeline);
    pthread_join(l->thread, NULL);
}

/* Writes a halted pipeline's last counts, and how each camera's run ended,
 * and frees it; db lock held. */
static void live_retire(runner *r, live *l, int64_t now)
{
    flush_counts(r, l, now);
    for (int i = 0; i < l->n_cams && !l->walk_test; i++) {
        camera_view *v = &l->cams[i];
        /* Still running when halted: the deployment stopped it. */
        int ended_itself = !strcmp(v->state, "ended") || !strcmp(v->state, "failed");
        lfr_camera_stopped(r->ctx, r->srv->policy, l->deployment, v->name, v->last.frames_dropped,
                           ended_itself ? v->state : "stopped",
                           ended_itself ? v->message
                                        : "stopped with the deployment (stopped, suspended or "
                                          "past its end time)",
                           now);
    }
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n_lives; i++)
        if (r->lives[i] == l) r->lives[i] = r->lives[--r->n_lives];
    pthread_mutex_unlock(&r->lock);
    /* Stopped here (not ended by themselves, which keeps the lease, or
     * another server would start them again): another server may run
     * them at once, not after the lease runs out. */
    if (!atomic_load(&l->done) &&
        lfr_runner_release(r->ctx, r->srv->policy, r->srv->node_id, l->deployment)) {
        char m[600];
        slog(LOG_ERROR, "lease", "deployment=%lld msg=%s", (long long)l->deployment,
             log_quote(lfr_errmsg(r->ctx), m, sizeof m));
    }
    events_publish(r->srv->events, "deployment",
                   json_pack("{s:I,s:b,s:I}", "id", (json_int_t)l->deployment, "running", 0,
                             "walk_test", (json_int_t)l->walk_test));
    live_free(l);
}

static void live_stop(runner *r, live *l, int64_t now)
{
    live_halt(l);
    live_retire(r, l, now);
}

/* Whether a live pipeline or an entry of ended_by_themselves runs what the
 * running list says. */
static int same_run(int64_t deployment, int64_t walk_test, const lfr_running *d)
{
    return deployment == d->id && walk_test == d->walk_test;
}

static int ended_by_itself(runner *r, const lfr_running *d)
{
    for (int i = 0; i < r->n_ended; i++)
        if (same_run(r->ended_by_themselves[i].id, r->ended_by_themselves[i].walk_test, d))
            return 1;
    return 0;
}

/* People taken off a live deployment's watchlist leave its running gallery
 * (the search stops naming them) at the next tick. */
static void drop_removed(runner *r, live *l)
{
    int max = 0, n = 0;
    int64_t *ids = NULL;
    int rc = lfr_watchlist_removed(r->ctx, r->srv->policy, l->deployment, NULL, 0, &max);
    if (rc || max == 0) goto done;
    if (!(ids = lfr_alloc((size_t)max * sizeof *ids)))
        rc = lfr_fail(r->ctx, LFR_ENOMEM, "out of memory");
    else
        rc = lfr_watchlist_removed(r->ctx, r->srv->policy, l->deployment, ids, max, &n);
done:
    if (rc) {
        char m[600];
        slog(LOG_ERROR, "watchlist.removed", "deployment=%lld msg=%s", (long long)l->deployment,
             log_quote(lfr_errmsg(r->ctx), m, sizeof m));
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        char id[LFR_ID_MAX];
        snprintf(id, sizeof id, "%lld", (long long)ids[i]);
        if (lfr_gallery_remove(r->ctx, l->gallery, id) == LFR_OK)
            slog(LOG_INFO, "watchlist.entry_off",
                 "deployment=%lld entry=%s "
                 "msg=\"entry %s taken off the running watchlist\"",
                 (long long)l->deployment, id, id);
    }
    lfr_free(ids);
}

/* Whatever the policy records as a live deployment's threshold is what its
 * cameras use (DEP-6): a change by the authorising officer reaches them at
 * the next tick. */
static void apply_threshold(runner *r, live *l, const lfr_running *running, int n_running)
{
    for (int j = 0; j < n_running; j++) {
        if (running[j].id != l->deployment || running[j].threshold == l->threshold) continue;
        if (lfr_pipeline_set_threshold(r->ctx, l->pipeline, (float)running[j].threshold)) {
            char m[600];
            slog(LOG_ERROR, "deployment.threshold", "deployment=%lld msg=%s",
                 (long long)l->deployment, log_quote(lfr_errmsg(r->ctx), m, sizeof m));
            return;
        }
        pthread_mutex_lock(&r->lock);
        l->threshold = running[j].threshold;
        pthread_mutex_unlock(&r->lock);
        slog(LOG_INFO, "deployment.threshold", "deployment=%lld threshold=%.3f",
             (long long)l->deployment, l->threshold);
    }
}

/* A deployment whose cameras could not start: said once, not retried
 * until it stops running and runs again. */
static void cannot_start(runner *r, const lfr_running *d)
{
    char m[600];
    slog(LOG_ERROR, "cameras.cannot_start", "deployment=%lld msg=%s", (long long)d->id,
         log_quote(lfr_errmsg(r->ctx), m, sizeof m));
    if (r->n_ended < 256) r->ended_by_themselves[r->n_ended++] = *d;
}

/* The running deployments this server holds (or takes) the lease of; the
 * rest are another server's. A renewal that fails keeps what runs here
 * while the lease it last set lasts, since no other server could have it
 * before then; on SQLite, whose file no other machine writes, as long as
 * writes fail. db lock held. */
static int keep_leased(runner *r, lfr_running *running, int n_running)
{
    struct lfr_server *srv = r->srv;
    /* Read now, not at the tick's start: the database lock may have been
     * waited for, and a lease set from a stale time runs out early. */
    int64_t now = server_now_ms(), ttl = lease_ttl_ms(srv);
    int n = 0;
    for (int j = 0; j < n_running; j++) {
        int held = 0;
        int rc =
            lfr_runner_lease(r->ctx, srv->policy, srv->node_id, running[j].id, now, ttl, &held);
        live *here = NULL;
        for (int i = 0; i < r->n_lives; i++)
            if (r->lives[i]->deployment == running[j].id) here = r->lives[i];
        if (rc) {
            char m[600];
            slog(LOG_ERROR, "lease", "deployment=%lld msg=%s", (long long)running[j].id,
                 log_quote(lfr_errmsg(r->ctx), m, sizeof m));
            held = here && (now < here->lease_until_ms || !lfr_store_is_url(srv->db_path));
        } else if (held && here) {
            here->lease_until_ms = now + ttl;
        }
        if (held) running[n++] = running[j];
    }
    return n;
}

static void tick(runner *r)
{
    struct lfr_server *srv = r->srv;
    int64_t now = server_now_ms();
    atomic_store(&r->last_tick_ms, now);
    pthread_mutex_lock(&srv->db_lock);
    record_alerts(r);
    int n_ended = 0;
    char m[600];
    if (lfr_policy_tick(r->ctx, srv->policy, now, &n_ended))
        slog(LOG_ERROR, "tick", "msg=%s", log_quote(lfr_errmsg(r->ctx), m, sizeof m));
    if (now - r->last_retention_ms >= RETENTION_EVERY_MS) {
        int n = 0;
        if (lfr_policy_retention(r->ctx, srv->policy, now, srv->cfg.retention_days, &n))
            slog(LOG_ERROR, "retention", "msg=%s", log_quote(lfr_errmsg(r->ctx), m, sizeof m));
        else if (n)
            slog(LOG_INFO, "retention", "alerts_deleted=%d", n);
        r->last_retention_ms = now;
    }
    lfr_running running[MAX_LIVE];
    int n_running = 0;
    if (lfr_deployments_running(r->ctx, srv->policy, now, 0, running, MAX_LIVE, &n_running))
        slog(LOG_ERROR, "tick", "msg=%s", log_quote(lfr_errmsg(r->ctx), m, sizeof m));
    n_running = keep_leased(r, running, n_running);
    /* Stop what may no longer run, and what ran to its end. */
    live *halting[MAX_LIVE], *starting[MAX_LIVE];
    int n_halting = 0, n_starting = 0;
    for (int i = r->n_lives - 1; i >= 0; i--) {
        live *l = r->lives[i];
        int wanted = 0;
        for (int j = 0; j < n_running; j++)
            wanted |= same_run(l->deployment, l->walk_test, &running[j]);
        if (wanted && !atomic_load(&l->done)) {
            if (!l->walk_test) {
                apply_threshold(r, l, running, n_running);
                drop_removed(r, l);
            }
            continue;
        }
        if (atomic_load(&l->done) && r->n_ended < 256) {
            r->ended_by_themselves[r->n_ended++] =
                (lfr_running){.id = l->deployment, .walk_test = l->walk_test};
            if (l->rc)
                slog(LOG_ERROR, "cameras.failed", "deployment=%lld msg=%s",
                     (long long)l->deployment, log_quote(l->msg, m, sizeof m));
        }
        halting[n_halting++] = l;
    }
    /* A deployment no longer running (suspended, ended) forgets that its
     * sources had ended: when it runs again, its cameras start afresh. */
    for (int i = 0; i < r->n_ended;) {
        int still = 0;
        for (int j = 0; j < n_running; j++)
            still |= same_run(r->ended_by_themselves[i].id, r->ended_by_themselves[i].walk_test,
                              &running[j]);
        if (still)
            i++;
        else
            r->ended_by_themselves[i] = r->ended_by_themselves[--r->n_ended];
    }
    /* Start what should run and does not. */
    for (int j = 0; j < n_running; j++) {
        int have = ended_by_itself(r, &running[j]);
        for (int i = 0; i < r->n_lives; i++)
            have |= same_run(r->lives[i]->deployment, r->lives[i]->walk_test, &running[j]);
        if (have) continue;
        live *l = NULL;
        if (live_prepare(r, &running[j], &l)) {
            cannot_start(r, &running[j]);
            continue;
        }
        starting[n_starting++] = l;
    }
    pthread_mutex_unlock(&srv->db_lock);
    /* Cameras stop and open without the database lock (issue 13 item 7):
     * a source slow to answer holds up its own pipeline, not the server. */
    for (int i = 0; i < n_halting; i++)
        live_halt(halting[i]);
    for (int i = 0; i < n_starting; i++) {
        if (live_launch(r, starting[i])) {
            lfr_running d = {.id = starting[i]->deployment, .walk_test = starting[i]->walk_test};
            cannot_start(r, &d);
            live_free(starting[i]);
            starting[i] = NULL;
        }
    }
    pthread_mutex_lock(&srv->db_lock);
    for (int i = 0; i < n_halting; i++)
        live_retire(r, halting[i], now);
    for (int i = 0; i < n_starting; i++) {
        live *l = starting[i];
        if (!l) continue;
        pthread_mutex_lock(&r->lock);
        r->lives[r->n_lives++] = l;
        pthread_mutex_unlock(&r->lock);
        events_publish(srv->events, "deployment",
                       json_pack("{s:I,s:b,s:I}", "id", (json_int_t)l->deployment, "running", 1,
                                 "walk_test", (json_int_t)l->walk_test));
    }
    for (int i = 0; i < r->n_lives; i++)
        flush_counts(r, r->lives[i], now);
    record_alerts(r);
    pthread_mutex_unlock(&srv->db_lock);
    if (n_ended) events_publish(srv->events, "deployment", json_pack("{s:i}", "ended", n_ended));
}

static void *runner_thread(void *arg)
{
    runner *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        pthread_mutex_unlock(&r->lock);
        tick(r);
        pthread_mutex_lock(&r->lock);
        if (r->woken || r->stop) {
            r->woken = 0;
            continue;
        }
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        int64_t ns = deadline.tv_nsec + (int64_t)r->srv->cfg.tick_ms * 1000000;
        deadline.tv_sec += ns / 1000000000;
        deadline.tv_nsec = ns % 1000000000;
        while (!r->woken && !r->stop)
            if (pthread_cond_timedwait(&r->wake, &r->lock, &deadline)) break;
        r->woken = 0;
    }
    pthread_mutex_unlock(&r->lock);
    /* Shutting down: every pipeline stops, every gallery is wiped. */
    pthread_mutex_lock(&r->srv->db_lock);
    int64_t now = server_now_ms();
    while (r->n_lives)
        live_stop(r, r->lives[r->n_lives - 1], now);
    record_alerts(r);
    pthread_mutex_unlock(&r->srv->db_lock);
    return NULL;
}

int64_t runner_idle_ms(runner *r)
{
    int64_t last = atomic_load(&r->last_tick_ms);
    return last ? server_now_ms() - last : -1;
}

int runner_new(lfr_ctx *ctx, struct lfr_server *srv, runner **out)
{
    *out = NULL;
    runner *r = sodium_init() < 0 ? NULL : lfr_calloc(1, sizeof *r);
    if (!r || lfr_ctx_new(&r->ctx) || !(r->queue_key = sodium_malloc(crypto_secretbox_KEYBYTES))) {
        if (r) lfr_ctx_free(r->ctx);
        lfr_free(r);
        return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    crypto_secretbox_keygen(r->queue_key);
    r->srv = srv;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->queue_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &attr);
    pthread_condattr_destroy(&attr);
    /* Retention runs at start (PRI-3), then hourly. */
    r->last_retention_ms = 0;
    if (pthread_create(&r->thread, NULL, runner_thread, r)) {
        runner_free(r);
        return lfr_fail(ctx, LFR_ENOMEM, "cannot start the runner thread");
    }
    r->started = 1;
    *out = r;
    return LFR_OK;
}

void runner_wake(runner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->woken = 1;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

void runner_free(runner *r)
{
    if (!r) return;
    if (r->started) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    for (int i = 0; i < r->n_queued; i++)
        if (r->queue[i].sealed) lfr_wipe_free(r->queue[i].sealed, r->queue[i].sealed_len);
    sodium_free(r->queue_key); /* wiped */
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->queue_lock);
    pthread_mutex_destroy(&r->lock);
    lfr_ctx_free(r->ctx);
    lfr_free(r);
}

json_t *runner_monitor(runner *r, int64_t deployment)
{
    json_t *doc =
        json_pack("{s:I,s:b,s:[],s:I,s:f}", "deployment", (json_int_t)deployment, "running", 0,
                  "cameras", "faces_total", (json_int_t)0, "latency_p95_ms", 0.0);
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n_lives; i++) {
        live *l = r->lives[i];
        if (l->deployment != deployment) continue;
        json_object_set_new(doc, "running", json_true());
        json_object_set_new(doc, "threshold", json_real(l->threshold));
        /* The cameras search the blue list, not the watchlist (ACC-3). */
        json_object_set_new(doc, "walk_test",
                            l->walk_test ? json_integer(l->walk_test) : json_null());
        json_int_t faces = 0;
        for (int k = 0; k < l->n_cams; k++) {
            camera_view *v = &l->cams[k];
            json_array_append_new(
                json_object_get(doc, "cameras"),
                json_pack("{s:s,s:s,s:s,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I}", "name", v->name, "state",
                          v->state, "message", v->message, "fps", v->fps, "faces_per_s",
                          v->faces_per_s, "frames", (json_int_t)v->last.frames_processed, "dropped",
                          (json_int_t)v->last.frames_dropped, "faces", (json_int_t)v->last.tracks,
                          "faces_detected", (json_int_t)v->last.faces_detected, "compared",
                          (json_int_t)v->last.templates_compared, "alerts",
                          (json_int_t)v->last.alerts));
            faces += v->last.tracks;
        }
        json_object_set_new(doc, "faces_total", json_integer(faces));
        /* Alerts raised but not yet written, because the database fails. */
        int waiting = 0;
        pthread_mutex_lock(&r->queue_lock);
        for (int k = 0; k < r->n_queued; k++)
            waiting += r->queue[k].deployment == deployment && !r->queue[k].walk_test;
        json_object_set_new(doc, "alerts_waiting", json_integer(waiting));
        json_object_set_new(doc, "alert_store_error",
                            waiting && r->store_error[0] ? json_string(r->store_error)
                                                         : json_null());
        pthread_mutex_unlock(&r->queue_lock);
        json_object_set_new(doc, "latency_p95_ms",
                            json_real((double)l->all.latency_p95_us / 1000.0));
    }
    pthread_mutex_unlock(&r->lock);
    return doc;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void print_label(FILE *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') fputc('\\', out);
        if (*v == '\n')
            fputs("\\n", out);
        else
            fputc(*v, out);
    }
}

/* The per-camera families: name, help, and the count they show. */
typedef struct camera_family {
    const char *name, *type, *help;
} camera_family;

static double camera_value(const camera_view *v, int family)
{
    switch (family) {
    case 0:
        return (double)v->last.frames_processed;
    case 1:
        return (double)v->last.frames_dropped;
    case 2:
        return (double)v->last.tracks;
    case 3:
        return (double)v->last.templates_compared;
    case 4:
        return (double)v->last.views_deferred;
    case 5:
        return (double)v->last.alerts;
    default:
        return v->fps;
    }
}

void runner_metrics(runner *r, FILE *out)
{
    static const camera_family families[] = {
        {"lfr_camera_frames_total", "counter", "Frames processed, per live camera."},
        {"lfr_camera_frames_dropped_total", "counter",
         "Frames dropped because the camera's worker was behind, per live camera."},
        {"lfr_camera_faces_total", "counter", "Faces seen (tracks started), per live camera."},
        {"lfr_camera_views_compared_total", "counter",
         "Views of faces embedded and searched against the watchlist, per live camera."},
        {"lfr_camera_views_deferred_total", "counter",
         "Views put off to a later frame because the next frame was waiting, per live camera."},
        {"lfr_camera_alerts_total", "counter", "Alerts raised, per live camera."},
        {"lfr_camera_fps", "gauge",
         "Frames processed per second at the last tick, per live camera."},
    };
    pthread_mutex_lock(&r->lock);
    for (int m = 0; m < (int)(sizeof families / sizeof *families); m++) {
        metrics_family(out, families[m].name, families[m].type, families[m].help);
        for (int i = 0; i < r->n_lives; i++)
            for (int k = 0; k < r->lives[i]->n_cams; k++) {
                const camera_view *v = &r->lives[i]->cams[k];
                fprintf(out, "%s{deployment=\"%lld\",camera=\"", families[m].name,
                        (long long)r->lives[i]->deployment);
                print_label(out, v->name);
                fprintf(out, "\"} %.17g\n", camera_value(v, m));
            }
    }
    metrics_family(out, "lfr_pipeline_latency_seconds", "summary",
                   "From a frame's decoding to the end of its processing, per live deployment "
                   "(quantiles of its last 65536 frames).");
    for (int i = 0; i < r->n_lives; i++) {
        const lfr_pipeline_stats *a = &r->lives[i]->all;
        long long dep = (long long)r->lives[i]->deployment;
        static const double q[] = {0.5, 0.95, 0.99};
        const int64_t us[] = {a->latency_p50_us, a->latency_p95_us, a->latency_p99_us};
        for (int k = 0; k < 3; k++)
            fprintf(out, "lfr_pipeline_latency_seconds{deployment=\"%lld\",quantile=\"%g\"} %g\n",
                    dep, q[k], (double)us[k] / 1e6);
        fprintf(out, "lfr_pipeline_latency_seconds_sum{deployment=\"%lld\"} %g\n", dep,
                (double)a->latency_sum_us / 1e6);
        fprintf(out, "lfr_pipeline_latency_seconds_count{deployment=\"%lld\"} %lld\n", dep,
                (long long)a->frames_processed);
    }
    pthread_mutex_unlock(&r->lock);
}
