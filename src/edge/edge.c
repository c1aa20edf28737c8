/* edge/edge.c - the node at work. Once a poll it asks the centre what to
 * run (a version it already has is answered in a line) and makes its
 * pipelines match: a deployment placed on it starts with its templates,
 * opened into locked memory only; one the centre no longer lists (stopped,
 * suspended, ended) stops and its templates are wiped. Without the centre
 * it goes on within the authorised window for as long as each deployment
 * allows, then wipes. Alerts are sealed to the centre and queued on disk
 * at once; a sender thread delivers them oldest first, each until the
 * centre has it. Counts go up as aggregates. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lfr/match.h"
#include "lfr/pipeline.h"

#define MAX_RUNS 8
#define MAX_CAMERAS 16
#define MAX_ENDED 64
#define SLICE_MS 50
#define STATES_MS 1000 /* the least time between counts sent for new camera states */
#define MAX_UNSENT 64  /* stopped runs' last counts kept while the centre cannot take them */
/* The largest crop an alert carries: sealed and in base64 twice, it stays
 * well inside the centre's 1 MiB request. */
#define MAX_CROP_BYTES (256 * 1024)
/* A deployment that could not start is tried again after this long, then
 * twice as long each time, up to five minutes. */
#define START_RETRY_MS 10000
#define START_RETRY_MAX_MS (5 * 60 * 1000)

typedef struct camera_count {
    char name[LFR_ID_MAX];
    lfr_pipeline_stats reported; /* what the centre has */
    atomic_int state;            /* lfr_camera_state, set on the camera's thread */
    int reported_state;          /* the last the centre took; -1 none */
} camera_count;

/* One deployment's pipeline on this node. */
typedef struct run {
    struct lfr_edge *e;
    int64_t deployment, end_ms;
    int64_t walk_test; /* 0: live; else this walk test runs on the blue list (ACC-3) */
    int64_t offline_ms;
    double threshold;
    unsigned char cameras_digest[16]; /* of its camera list, to see it change */
    int64_t *entries;                 /* the entry ids its gallery holds */
    int n_entries;
    lfr_pipeline *pipeline;
    lfr_gallery *gallery;
    pthread_t thread;
    atomic_int done;
    int rc;
    char msg[512];
    camera_count cams[MAX_CAMERAS];
    int n_cams;
    char run_id[33]; /* this run's counts are totals under it */
} run;

struct lfr_edge {
    const lfr_engine *engine;
    char dir[PATH_MAX];
    lfr_edge_params params;
    node_keys *keys;
    node_state st;
    edge_link *poll, *send;
    atomic_int stop;
    pthread_mutex_t lock; /* with wake: the sender's sleep */
    pthread_cond_t wake;
    pthread_t sender;
    char version[33];         /* of the assignment the pipelines match; "" none */
    int64_t heard_ms;         /* monotonic: the centre's last answer */
    int unreachable, pending; /* said once each, until it changes */
    run *runs[MAX_RUNS];
    int n_runs;
    struct {
        int64_t deployment, walk_test;
    } ended[MAX_ENDED]; /* runs whose sources ended by themselves, or past their window */
    int n_ended;
    int64_t counts_ms;
    int64_t states_ms;          /* monotonic: the last counts sent for a camera's new state */
    int64_t states_wait_ms;     /* the least wait before the next such: grows while refused */
    int64_t retry_ms;           /* monotonic: when to ask again for what failed to start; 0 none */
    int64_t retry_delay_ms;     /* the wait before that: doubles while starts fail */
    json_t *unsent[MAX_UNSENT]; /* stopped runs' last counts, oldest first */
    int n_unsent;
};

static int64_t mono_ms(void)
{
    return lfr_now_us() / 1000;
}

/* One line on stderr: ids and counts, never anything of a face. */
static void elog(const char *level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void elog(const char *level, const char *event, const char *fmt, ...)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s %s\n", when, level, event, line);
}

lfr_edge_params lfr_edge_default_params(void)
{
    return (lfr_edge_params){.poll_ms = 1000, .counts_ms = 10000};
}

/* ---- alerts: sealed and queued on the camera's thread ---- */

static void on_alert(const lfr_alert *a, void *arg)
{
    run *r = arg;
    struct lfr_edge *e = r->e;
    uint8_t rnd[16];
    char hex[33], origin[64];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(origin, sizeof origin, "%lld-%s", (long long)e->st.id, hex);
    /* JSON has no NaN: a measure that could not be taken goes as 0. */
    const double q[4] = {a->quality.eye_distance_px, a->quality.yaw_deg, a->quality.pitch_deg,
                         a->quality.sharpness};
    double qv[4];
    for (int i = 0; i < 4; i++)
        qv[i] = isfinite(q[i]) ? q[i] : 0;
    json_t *j = json_pack("{s:s,s:I,s:I,s:s,s:I,s:i,s:f,s:{s:f,s:f,s:f,s:f}}", "origin", origin,
                          "deployment", (json_int_t)r->deployment, "entry",
                          (json_int_t)strtoll(a->identity, NULL, 10), "camera", a->camera,
                          "time_ms", (json_int_t)a->time_unix_ms, "track", a->track_id, "score",
                          isfinite(a->score_cos) ? a->score_cos : 0, "quality", "eye_distance_px",
                          qv[0], "yaw_deg", qv[1], "pitch_deg", qv[2], "sharpness", qv[3]);
    if (j && r->walk_test) json_object_set_new(j, "walk_test", json_integer(r->walk_test));
    char *head = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    /* The crop goes into locked memory only, and leaves sealed. One too
     * large for the centre to take (sealed, then in base64 again) would hold
     * up the queue for ever: the alert goes without it. */
    size_t crop_len = a->crop_jpeg_len <= MAX_CROP_BYTES && !r->walk_test ? a->crop_jpeg_len : 0;
    if (a->crop_jpeg_len > MAX_CROP_BYTES)
        elog("WARN", "alert.crop",
             "deployment=%lld msg=\"a %zu-byte crop is over %d: sent "
             "without it\"",
             (long long)r->deployment, a->crop_jpeg_len, MAX_CROP_BYTES);
    size_t b64_len = sodium_base64_ENCODED_LEN(crop_len, sodium_base64_VARIANT_ORIGINAL);
    size_t cap = (head ? strlen(head) : 0) + b64_len + 16;
    char *plain = head ? lfr_locked_alloc(cap) : NULL;
    uint8_t *sealed = NULL;
    size_t plain_len = 0;
    if (plain) {
        memcpy(plain, "{\"crop\":\"", 9);
        sodium_bin2base64(plain + 9, b64_len, a->crop_jpeg, crop_len,
                          sodium_base64_VARIANT_ORIGINAL);
        plain_len = strlen(plain);
        plain_len += (size_t)snprintf(plain + plain_len, cap - plain_len, "\",%s", head + 1);
        if ((sealed = lfr_alloc(crypto_box_SEALBYTES + plain_len)))
            crypto_box_seal(sealed, (const uint8_t *)plain, plain_len, e->st.centre_pk);
    }
    lfr_ctx *ctx = NULL;
    int rc = sealed && lfr_ctx_new(&ctx) == LFR_OK
                 ? queue_put(ctx, e->dir, sealed, crypto_box_SEALBYTES + plain_len)
                 : LFR_ENOMEM;
    if (rc)
        elog("ERROR", "alert.lost", "deployment=%lld msg=\"%s\"", (long long)r->deployment,
             ctx ? lfr_errmsg(ctx) : "out of memory");
    else if (r->walk_test)
        elog("INFO", "walktest.hit_queued", "deployment=%lld walk_test=%lld origin=%s",
             (long long)r->deployment, (long long)r->walk_test, origin);
    else
        elog("INFO", "alert.queued", "deployment=%lld origin=%s", (long long)r->deployment, origin);
    lfr_ctx_free(ctx);
    lfr_free(sealed);
    lfr_locked_free(plain);
    if (head) sodium_memzero(head, strlen(head));
    free(head);
    pthread_mutex_lock(&e->lock);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
}

/* Sleeps up to ms, or until woken or stopped. */
static void sender_wait(struct lfr_edge *e, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->lock);
    if (!atomic_load(&e->stop)) pthread_cond_timedwait(&e->wake, &e->lock, &until);
    pthread_mutex_unlock(&e->lock);
}

/* Sends the oldest waiting alert: 1 when it is done with (delivered, or
 * refused for good), 0 when it must wait. */
static int send_one(lfr_ctx *ctx, struct lfr_edge *e, const char *name, int failures)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int64_t age = 0;
    if (queue_read(ctx, e->dir, name, &data, &len, &age)) {
        elog("ERROR", "alert.unreadable", "file=%s msg=\"%s\"", name, lfr_errmsg(ctx));
        return 0;
    }
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = lfr_alloc(b64_len);
    json_t *body = NULL, *reply = NULL;
    long status = 0;
    int rc = b64 ? LFR_OK : LFR_ENOMEM;
    if (!rc) {
        sodium_bin2base64(b64, b64_len, data, len, sodium_base64_VARIANT_ORIGINAL);
        /* Sent before, or raised a while ago: it waited for the link. */
        body = json_pack("{s:s,s:i}", "sealed", b64, "attempt", failures + (age > 2000));
        rc = link_post(ctx, e->send, "/api/node/alerts", body, &status, &reply);
    }
    json_decref(body);
    lfr_free(b64);
    lfr_free(data);
    int done = 0, aside = 0;
    const char *msg =
        json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
    const char *code = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    if (!rc && (status == 200 || status == 201)) {
        elog("INFO", "alert.delivered", "file=%s alert=%lld repeat=%d waited_ms=%lld", name,
             (long long)json_integer_value(json_object_get(reply, "id")),
             json_is_true(json_object_get(reply, "repeat")), (long long)age);
        done = 1;
    } else if (!rc && status == 409 && code && !strcmp(code, "refused")) {
        /* The deployment stopped before it arrived: the centre recorded it
         * as lost; sending it again would change nothing. */
        elog("WARN", "alert.refused", "file=%s msg=\"%s\"", name, msg ? msg : "");
        done = 1;
    } else if (!rc && status == 400) {
        /* The centre will never take it as it is: kept aside, sealed, so
         * one bad alert holds up none behind it. */
        elog("ERROR", "alert.rejected", "file=%s status=%ld msg=\"%s\"", name, status,
             msg ? msg : "");
        aside = 1;
    }
    json_decref(reply);
    if ((done && queue_drop(ctx, e->dir, name)) || (aside && queue_set_aside(ctx, e->dir, name))) {
        elog("ERROR", "queue", "msg=\"%s\"", lfr_errmsg(ctx));
        return 0;
    }
    return done || aside;
}

static void *sender_thread(void *arg)
{
    struct lfr_edge *e = arg;
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return NULL;
    char last[64] = "";
    int failures = 0;
    while (!atomic_load(&e->stop)) {
        char name[64];
        int have = queue_oldest(ctx, e->dir, name);
        if (have <= 0) {
            sender_wait(e, 1000);
            continue;
        }
        if (strcmp(name, last)) {
            snprintf(last, sizeof last, "%s", name);
            failures = 0;
        }
        if (!send_one(ctx, e, name, failures)) {
            failures++;
            sender_wait(e, 1000);
        }
    }
    lfr_ctx_free(ctx);
    return NULL;
}

/* ---- pipelines ---- */

static void *pipeline_thread(void *arg)
{
    run *r = arg;
    r->rc = lfr_pipeline_run_alone(r->pipeline, r->msg, sizeof r->msg);
    atomic_store(&r->done, 1);
    return NULL;
}

static void counts_lost(const json_t *body, const char *why)
{
    elog("WARN", "counts.lost", "deployment=%lld run=%s msg=\"%s\"",
         (long long)json_integer_value(json_object_get(body, "deployment")),
         json_string_value(json_object_get(body, "run")), why);
}

/* A stopped run's last counts the centre could not take (the link was down
 * as it stopped), kept until it can; the oldest goes if too many wait. */
static void keep_unsent(struct lfr_edge *e, json_t *body)
{
    if (e->n_unsent == MAX_UNSENT) {
        counts_lost(e->unsent[0], "too many runs' counts waiting for the centre");
        json_decref(e->unsent[0]);
        memmove(e->unsent, e->unsent + 1, (MAX_UNSENT - 1) * sizeof *e->unsent);
        e->n_unsent--;
    }
    e->unsent[e->n_unsent++] = body;
    json_int_t frames = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(body, "cameras"), i, c)
    {
        frames += json_integer_value(json_object_get(c, "frames"));
    }
    elog("INFO", "counts.kept",
         "deployment=%lld run=%s frames=%lld msg=\"until the centre can take them\"",
         (long long)json_integer_value(json_object_get(body, "deployment")),
         json_string_value(json_object_get(body, "run")), (long long)frames);
}

/* Sends the kept counts, oldest first, while the centre answers; one it
 * refuses (4xx) is dropped and logged. */
static void send_unsent(lfr_ctx *ctx, struct lfr_edge *e)
{
    while (e->n_unsent) {
        long status = 0;
        json_t *reply = NULL;
        int rc = link_post(ctx, e->poll, "/api/node/counts", e->unsent[0], &status, &reply);
        json_decref(reply);
        if (rc || status < 200 || status >= 500) return; /* again later */
        if (status != 200) counts_lost(e->unsent[0], "the centre refused them");
        json_decref(e->unsent[0]);
        memmove(e->unsent, e->unsent + 1, (size_t)(e->n_unsent - 1) * sizeof *e->unsent);
        e->n_unsent--;
    }
}

/* The run's totals go up; the centre adds what they add to the last ones
 * it took for this run, so a batch whose answer was lost counts once.
 * Returns 0 if the centre did not take them; a stopping run's (last) are
 * then kept for later. A walk test's run sends none: it is not the
 * deployment's processing (nor is it on the centre). */
static int send_counts(lfr_ctx *ctx, struct lfr_edge *e, run *r, int last)
{
    if (r->walk_test) return 1;
    json_t *cams = json_array();
    lfr_pipeline_stats now[MAX_CAMERAS];
    int changed = 0;
    int state[MAX_CAMERAS];
    for (int i = 0; i < r->n_cams; i++) {
        camera_count *c = &r->cams[i];
        if (lfr_pipeline_camera_stats(r->pipeline, c->name, &now[i])) now[i] = c->reported;
        state[i] = atomic_load(&c->state);
        changed |= now[i].frames_processed != c->reported.frames_processed ||
                   now[i].tracks != c->reported.tracks ||
                   now[i].templates_compared != c->reported.templates_compared ||
                   state[i] != c->reported_state;
        json_array_append_new(cams, json_pack("{s:s,s:I,s:I,s:I,s:s}", "name", c->name, "frames",
                                              (json_int_t)now[i].frames_processed, "faces",
                                              (json_int_t)now[i].tracks, "compared",
                                              (json_int_t)now[i].templates_compared, "state",
                                              lfr_camera_state_name((lfr_camera_state)state[i])));
    }
    json_t *body = changed ? json_pack("{s:I,s:s,s:o}", "deployment", (json_int_t)r->deployment,
                                       "run", r->run_id, "cameras", cams)
                           : NULL,
           *reply = NULL;
    if (!changed) json_decref(cams);
    long status = 0;
    int taken = !body;
    /* A stopping run does not wait on a link known to be down. */
    if (body && !(last && e->unreachable))
        taken =
            !link_post(ctx, e->poll, "/api/node/counts", body, &status, &reply) && status == 200;
    if (body && taken)
        for (int i = 0; i < r->n_cams; i++) {
            r->cams[i].reported = now[i];
            r->cams[i].reported_state = state[i];
        }
    if (body && !taken && last && (status == 0 || status >= 500)) {
        keep_unsent(e, body);
        body = NULL;
    }
    json_decref(body);
    json_decref(reply);
    return taken;
}

/* A camera's state changed (its thread): kept for the next counts, which go
 * up at once (the operators' monitor shows it), and logged. The source's
 * message stays here: it may name the camera's address. */
static void on_camera(const char *camera, lfr_camera_state state, const char *msg, void *arg)
{
    (void)msg;
    run *r = arg;
    for (int i = 0; i < r->n_cams; i++)
        if (!strcmp(r->cams[i].name, camera)) atomic_store(&r->cams[i].state, (int)state);
    elog(state == LFR_CAM_FAILED || state == LFR_CAM_RECONNECTING ? "WARN" : "INFO", "camera.state",
         "deployment=%lld camera=%s state=%s", (long long)r->deployment, camera,
         lfr_camera_state_name(state));
}

/* True when a camera's state is not yet at the centre. */
static int states_unreported(const run *r)
{
    if (r->walk_test) return 0;
    for (int i = 0; i < r->n_cams; i++)
        if (atomic_load(&r->cams[i].state) != r->cams[i].reported_state) return 1;
    return 0;
}

/* Stops a run and wipes its templates (freeing the gallery wipes it). */
static void run_stop(lfr_ctx *ctx, struct lfr_edge *e, int i, const char *why)
{
    run *r = e->runs[i];
    lfr_pipeline_stop(r->pipeline);
    pthread_join(r->thread, NULL);
    /* The monitor is told its cameras ended, unless one failed; one never
     * opened when the run failed is why it failed. */
    for (int k = 0; k < r->n_cams; k++) {
        int was = atomic_load(&r->cams[k].state);
        if (was != LFR_CAM_FAILED)
            atomic_store(&r->cams[k].state,
                         was == LFR_CAM_CONNECTING && r->rc ? LFR_CAM_FAILED : LFR_CAM_ENDED);
    }
    /* The templates first: the counts may wait on the link. */
    lfr_gallery_free(r->gallery);
    r->gallery = NULL;
    send_counts(ctx, e, r, 1);
    lfr_pipeline_free(r->pipeline);
    elog("INFO", "deployment.stopped", "deployment=%lld msg=\"templates wiped: %s\"",
         (long long)r->deployment, why);
    lfr_free(r->entries);
    lfr_free(r);
    e->runs[i] = e->runs[--e->n_runs];
}

static void cameras_digest(const json_t *cams, unsigned char out[16])
{
    char *text = json_dumps(cams, JSON_COMPACT | JSON_SORT_KEYS);
    crypto_generichash(out, 16, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0,
                       NULL, 0);
    free(text);
}

/* Opens a deployment's sealed templates into a new gallery (the entry ids
 * into r->entries). */
static int open_templates(lfr_ctx *ctx, struct lfr_edge *e, run *r, const char *b64, int dim,
                          const char *model)
{
    size_t b64_len = strlen(b64), len = 0;
    uint8_t *sealed = lfr_alloc(b64_len + 1);
    if (!sealed) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (sodium_base642bin(sealed, b64_len + 1, b64, b64_len, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        len < crypto_box_SEALBYTES) {
        lfr_free(sealed);
        return lfr_fail(ctx, LFR_EFORMAT, "deployment %lld: its templates are not base64",
                        (long long)r->deployment);
    }
    size_t plain_len = len - crypto_box_SEALBYTES, rec = 8 + (size_t)dim * sizeof(float);
    uint8_t *plain = lfr_locked_alloc(plain_len ? plain_len : 1);
    float *tpl = lfr_locked_alloc((size_t)dim * sizeof(float));
    int rc = !plain || !tpl ? lfr_locked_fail(ctx, "a deployment's templates") : LFR_OK;
    if (!rc && crypto_box_seal_open(plain, sealed, len, e->keys->box_pk, e->keys->box_sk))
        rc = lfr_fail(ctx, LFR_EFORMAT,
                      "deployment %lld: its templates are not sealed to this node's key",
                      (long long)r->deployment);
    lfr_free(sealed);
    if (!rc && plain_len % rec)
        rc = lfr_fail(ctx, LFR_EFORMAT, "deployment %lld: its templates are not %d-d",
                      (long long)r->deployment, dim);
    int n = (int)(plain_len / rec);
    lfr_gallery_params gp = lfr_gallery_default_params();
    gp.dim = dim;
    gp.model = model;
    gp.quantize_int8 = 1;
    if (!rc && !(r->entries = lfr_calloc((size_t)n + 1, sizeof *r->entries)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (!rc) rc = lfr_gallery_new(ctx, &gp, &r->gallery);
    for (int i = 0; !rc && i < n; i++) {
        const uint8_t *p = plain + (size_t)i * rec;
        uint64_t id = 0;
        for (int b = 0; b < 8; b++)
            id |= (uint64_t)p[b] << (8 * b);
        memcpy(tpl, p + 8, (size_t)dim * sizeof(float)); /* aligned */
        char ident[LFR_ID_MAX];
        snprintf(ident, sizeof ident, "%lld", (long long)id);
        r->entries[r->n_entries++] = (int64_t)id;
        rc = lfr_gallery_add(ctx, r->gallery, ident, tpl, 1);
    }
    lfr_locked_free(tpl);
    lfr_locked_free(plain);
    return rc;
}

static int run_start(lfr_ctx *ctx, struct lfr_edge *e, const json_t *d, int dim, const char *model)
{
    if (e->n_runs == MAX_RUNS)
        return lfr_fail(ctx, LFR_ELIMIT, "this node runs %d deployments at most", MAX_RUNS);
    json_t *cams = json_object_get(d, "cameras");
    const char *templates = json_string_value(json_object_get(d, "templates"));
    if (!json_is_array(cams) || json_array_size(cams) == 0 || json_array_size(cams) > MAX_CAMERAS ||
        !templates)
        return lfr_fail(ctx, LFR_EFORMAT, "deployment %lld: 1 to %d cameras and templates expected",
                        (long long)json_integer_value(json_object_get(d, "id")), MAX_CAMERAS);
    run *r = lfr_calloc(1, sizeof *r);
    if (!r) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    r->e = e;
    r->deployment = json_integer_value(json_object_get(d, "id"));
    r->walk_test = json_integer_value(json_object_get(d, "walk_test"));
    r->end_ms = json_integer_value(json_object_get(d, "end_ms"));
    r->offline_ms = json_integer_value(json_object_get(d, "max_offline_s")) * 1000;
    r->threshold = json_number_value(json_object_get(d, "threshold"));
    uint8_t rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(r->run_id, sizeof r->run_id, rnd, sizeof rnd);
    cameras_digest(cams, r->cameras_digest);
    int rc = open_templates(ctx, e, r, templates, dim, model);
    lfr_pipeline_params pp = lfr_pipeline_default_params();
    pp.threshold = (float)r->threshold; /* the authorised one (DEP-6) */
    if (!rc) rc = lfr_pipeline_new(ctx, e->engine, r->gallery, &pp, on_alert, r, &r->pipeline);
    size_t i;
    json_t *c;
    json_array_foreach(cams, i, c)
    {
        if (rc) break;
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *source = json_string_value(json_object_get(c, "source"));
        if (!name || !source) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "a camera without a name or source");
            break;
        }
        lfr_video_params vp = lfr_video_default_params();
        vp.realtime = 1; /* a file plays at its own pace, like a camera */
        rc = lfr_pipeline_add_source(ctx, r->pipeline, name, source, &vp);
        camera_count *cc = &r->cams[r->n_cams++];
        snprintf(cc->name, sizeof cc->name, "%s", name);
        atomic_init(&cc->state, LFR_CAM_CONNECTING);
        cc->reported_state = -1;
    }
    if (!rc) lfr_pipeline_set_camera_callback(r->pipeline, on_camera, r);
    if (!rc && pthread_create(&r->thread, NULL, pipeline_thread, r))
        rc = lfr_fail(ctx, LFR_ENOMEM, "cannot start a pipeline thread");
    if (rc) {
        lfr_pipeline_free(r->pipeline);
        lfr_gallery_free(r->gallery);
        lfr_free(r->entries);
        lfr_free(r);
        return rc;
    }
    e->runs[e->n_runs++] = r;
    elog("INFO", "deployment.running", "deployment=%lld walk_test=%lld cameras=%d entries=%d",
         (long long)r->deployment, (long long)r->walk_test, r->n_cams, r->n_entries);
    return LFR_OK;
}

/* The assignment's entry for a deployment's run (live, or that walk test). */
static const json_t *listed(const json_t *deps, int64_t id, int64_t walk_test)
{
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d)
    {
        if (json_integer_value(json_object_get(d, "id")) == id &&
            json_integer_value(json_object_get(d, "walk_test")) == walk_test)
            return d;
    }
    return NULL;
}

static int has_entry(const json_t *ids, int64_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) if (json_integer_value(v) == id) return 1;
    return 0;
}

/* A running deployment follows the centre: its threshold, entries taken
 * off its list, its window. 1 when it must start afresh instead (its
 * cameras changed). */
static int run_follow(lfr_ctx *ctx, run *r, const json_t *d)
{
    unsigned char digest[16];
    cameras_digest(json_object_get(d, "cameras"), digest);
    if (memcmp(digest, r->cameras_digest, sizeof digest)) return 1;
    r->end_ms = json_integer_value(json_object_get(d, "end_ms"));
    r->offline_ms = json_integer_value(json_object_get(d, "max_offline_s")) * 1000;
    double t = json_number_value(json_object_get(d, "threshold"));
    if (t != r->threshold && !lfr_pipeline_set_threshold(ctx, r->pipeline, (float)t)) {
        r->threshold = t;
        elog("INFO", "deployment.threshold", "deployment=%lld threshold=%.3f",
             (long long)r->deployment, t);
    }
    const json_t *ids = json_object_get(d, "entry_ids");
    for (int i = 0; i < r->n_entries; i++) {
        if (has_entry(ids, r->entries[i])) continue;
        char ident[LFR_ID_MAX];
        snprintf(ident, sizeof ident, "%lld", (long long)r->entries[i]);
        if (!lfr_gallery_remove(ctx, r->gallery, ident))
            elog("INFO", "watchlist.entry_off", "deployment=%lld entry=%s",
                 (long long)r->deployment, ident);
        r->entries[i--] = r->entries[--r->n_entries];
    }
    return 0;
}

static int ended_by_itself(struct lfr_edge *e, int64_t id, int64_t walk_test)
{
    for (int i = 0; i < e->n_ended; i++)
        if (e->ended[i].deployment == id && e->ended[i].walk_test == walk_test) return 1;
    return 0;
}

static void note_ended(struct lfr_edge *e, int64_t id, int64_t walk_test)
{
    if (e->n_ended == MAX_ENDED) return;
    e->ended[e->n_ended].deployment = id;
    e->ended[e->n_ended++].walk_test = walk_test;
}

/* Makes the pipelines match a new assignment. */
static void apply(lfr_ctx *ctx, struct lfr_edge *e, const json_t *doc)
{
    const char *model = json_string_value(json_object_get(doc, "model"));
    int dim = (int)json_integer_value(json_object_get(doc, "dim"));
    const char *own = lfr_model_name(lfr_engine_model(e->engine, LFR_MODEL_EMBEDDER));
    const json_t *deps = json_object_get(doc, "deployments");
    if (!model || strcmp(model, own) || dim != lfr_engine_embedding_size(e->engine)) {
        elog("ERROR", "assignment",
             "msg=\"the centre's templates are of %s; this node runs %s: "
             "install the same models\"",
             model ? model : "no model", own);
        deps = NULL; /* nothing runs on templates it cannot use */
    }
    for (int i = e->n_runs - 1; i >= 0; i--)
        if (!listed(deps, e->runs[i]->deployment, e->runs[i]->walk_test))
            run_stop(ctx, e, i,
                     "the centre no longer runs it here (stopped, suspended, ended, or its walk "
                     "test over)");
    for (int i = 0; i < e->n_ended;)
        if (listed(deps, e->ended[i].deployment, e->ended[i].walk_test))
            i++;
        else
            e->ended[i] = e->ended[--e->n_ended];
    int failed = 0;
    size_t k;
    json_t *d;
    json_array_foreach(deps, k, d)
    {
        int64_t id = json_integer_value(json_object_get(d, "id"));
        int64_t walk_test = json_integer_value(json_object_get(d, "walk_test"));
        int i = 0;
        while (i < e->n_runs && e->runs[i]->deployment != id)
            i++;
        if (i < e->n_runs && run_follow(ctx, e->runs[i], d))
            run_stop(ctx, e, i, "its cameras changed");
        else if (i < e->n_runs || ended_by_itself(e, id, walk_test))
            continue;
        /* By this node's clock the window is over: not started, not retried. */
        if (json_integer_value(json_object_get(d, "end_ms")) <= edge_wall_us() / 1000) {
            note_ended(e, id, walk_test);
            continue;
        }
        if (run_start(ctx, e, d, dim, model)) {
            elog("ERROR", "deployment.cannot_start", "deployment=%lld msg=\"%s\"", (long long)id,
                 lfr_errmsg(ctx));
            /* Asked for again then, less often each time it fails. */
            e->retry_ms = mono_ms() + e->retry_delay_ms;
            failed = 1;
        }
    }
    e->retry_delay_ms = !failed                                      ? START_RETRY_MS
                        : e->retry_delay_ms * 2 > START_RETRY_MAX_MS ? START_RETRY_MAX_MS
                                                                     : e->retry_delay_ms * 2;
    json_t *refused;
    json_array_foreach(json_object_get(doc, "refused"), k, refused)
        elog("ERROR", "deployment.refused", "deployment=%lld msg=\"%s\"",
             (long long)json_integer_value(json_object_get(refused, "id")),
             json_string_value(json_object_get(refused, "why")));
    /* Kept even when refused: the same refusal is not logged every poll. */
    const char *version = json_string_value(json_object_get(doc, "version"));
    snprintf(e->version, sizeof e->version, "%s", version ? version : "");
}

/* Asks the centre what to run. LFR_EREFUSED when it says this node is
 * revoked. */
static int poll_centre(lfr_ctx *ctx, struct lfr_edge *e)
{
    json_t *body = e->version[0] ? json_pack("{s:s}", "have", e->version) : json_object();
    json_t *reply = NULL;
    long status = 0;
    int rc = link_post(ctx, e->poll, "/api/node/assignment", body, &status, &reply);
    json_decref(body);
    const char *code = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    const char *msg =
        json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
    if (!rc && status == 403 && code && !strcmp(code, "node_revoked")) {
        rc = lfr_fail(ctx, LFR_EREFUSED, "the centre has revoked this node: %s", msg ? msg : "");
    } else if (!rc && status == 403 && code && !strcmp(code, "node_pending")) {
        if (!e->pending)
            elog("INFO", "node.pending", "msg=\"waiting for an administrator's approval\"");
        e->pending = 1;
        e->heard_ms = mono_ms();
    } else if (rc || status != 200) {
        if (!e->unreachable)
            elog("WARN", "centre.unreachable", "status=%ld msg=\"%s\"", status,
                 rc    ? lfr_errmsg(ctx)
                 : msg ? msg
                       : "");
        e->unreachable = 1;
        rc = LFR_OK;
    } else {
        if (e->unreachable) elog("INFO", "centre.reachable", "msg=\"heard from the centre again\"");
        e->unreachable = e->pending = 0;
        e->heard_ms = mono_ms();
        if (!json_is_true(json_object_get(reply, "unchanged"))) apply(ctx, e, reply);
    }
    json_decref(reply);
    return rc;
}

/* What must stop without the centre's word: past the window's end, or
 * silent for longer than allowed; and what ended by itself. */
static void enforce(lfr_ctx *ctx, struct lfr_edge *e)
{
    int64_t now = edge_wall_us() / 1000, silent = mono_ms() - e->heard_ms;
    for (int i = e->n_runs - 1; i >= 0; i--) {
        run *r = e->runs[i];
        char why[700];
        if (now >= r->end_ms) {
            note_ended(e, r->deployment, r->walk_test);
            run_stop(ctx, e, i, "the authorised window has ended");
        } else if (silent > r->offline_ms) {
            snprintf(why, sizeof why, "no word from the centre for %lld s (%lld s allowed)",
                     (long long)(silent / 1000), (long long)(r->offline_ms / 1000));
            run_stop(ctx, e, i, why);
            e->version[0] = '\0'; /* starts again when the centre answers */
        } else if (atomic_load(&r->done)) {
            snprintf(why, sizeof why, "its sources ended%s%s", r->rc ? ": " : "", r->msg);
            note_ended(e, r->deployment, r->walk_test);
            run_stop(ctx, e, i, why);
        }
    }
}

/* How long the next exchange with the centre may take before a run's end
 * or silence allowance falls due (at least a second; 0: no run). */
static int64_t poll_budget_ms(struct lfr_edge *e)
{
    int64_t budget = 0, wall = edge_wall_us() / 1000, mono = mono_ms();
    for (int i = 0; i < e->n_runs; i++) {
        int64_t to_end = e->runs[i]->end_ms - wall;
        int64_t to_silence = e->heard_ms + e->runs[i]->offline_ms - mono;
        int64_t due = to_end < to_silence ? to_end : to_silence;
        if (!budget || due < budget) budget = due;
    }
    return e->n_runs && budget < 1000 ? 1000 : budget;
}

int lfr_edge_new(lfr_ctx *ctx, const lfr_engine *engine, const char *state_dir,
                 const lfr_edge_params *params, lfr_edge **out)
{
    *out = NULL;
    struct lfr_edge *e = lfr_calloc(1, sizeof *e);
    if (!e) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    e->engine = engine;
    e->params = params ? *params : lfr_edge_default_params();
    e->states_wait_ms = STATES_MS;
    if (e->params.poll_ms < 100) e->params.poll_ms = 100;
    e->retry_delay_ms = START_RETRY_MS;
    snprintf(e->dir, sizeof e->dir, "%s", state_dir);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->wake, NULL);
    int rc = node_keys_load(ctx, state_dir, 0, &e->keys);
    if (!rc) rc = node_state_load(ctx, state_dir, &e->st);
    if (!rc)
        rc = link_new(ctx, e->st.centre, e->st.ca, e->st.id, e->keys, e->st.centre_sign_pk,
                      &e->poll);
    if (!rc)
        rc = link_new(ctx, e->st.centre, e->st.ca, e->st.id, e->keys, e->st.centre_sign_pk,
                      &e->send);
    if (rc) {
        lfr_edge_free(e);
        return rc;
    }
    *out = e;
    return LFR_OK;
}

int lfr_edge_run(lfr_ctx *ctx, lfr_edge *e)
{
    if (pthread_create(&e->sender, NULL, sender_thread, e))
        return lfr_fail(ctx, LFR_ENOMEM, "cannot start the sender thread");
    elog("INFO", "node.start", "node=%lld centre=%s waiting_alerts=%d", (long long)e->st.id,
         e->st.centre, queue_count(e->dir));
    e->heard_ms = mono_ms();
    int rc = LFR_OK;
    int64_t next_poll = 0;
    while (!atomic_load(&e->stop)) {
        int64_t now = mono_ms();
        if (e->retry_ms && now >= e->retry_ms) {
            e->retry_ms = 0;
            e->version[0] = '\0';
        }
        if (now >= next_poll) {
            next_poll = now + e->params.poll_ms;
            /* A dead link holds the loop no longer than the first window's
             * end or silence allowance that falls due. */
            link_set_timeout(e->poll, poll_budget_ms(e));
            if ((rc = poll_centre(ctx, e))) break;
        }
        enforce(ctx, e);
        if (!e->unreachable && now - e->counts_ms >= e->params.counts_ms) {
            send_unsent(ctx, e);
            for (int i = 0; i < e->n_runs; i++)
                send_counts(ctx, e, e->runs[i], 0);
            e->counts_ms = now;
        } else if (!e->unreachable && now - e->states_ms >= e->states_wait_ms) {
            /* A camera that starts, is lost or fails is told at once; should
             * the centre not take it, again after 1 s, 2 s... up to the
             * counts' own interval. */
            for (int i = 0; i < e->n_runs; i++)
                if (states_unreported(e->runs[i])) {
                    int taken = send_counts(ctx, e, e->runs[i], 0);
                    e->states_ms = now;
                    e->states_wait_ms = taken ? STATES_MS
                                        : e->states_wait_ms * 2 > e->params.counts_ms
                                            ? e->params.counts_ms
                                            : e->states_wait_ms * 2;
                }
        }
        struct timespec slice = {0, SLICE_MS * 1000000L};
        nanosleep(&slice, NULL);
    }
    char why[600];
    snprintf(why, sizeof why, "%s", rc ? lfr_errmsg(ctx) : "the node stopped");
    while (e->n_runs)
        run_stop(ctx, e, e->n_runs - 1, why);
    if (!e->unreachable) send_unsent(ctx, e);
    for (; e->n_unsent; e->n_unsent--) {
        counts_lost(e->unsent[e->n_unsent - 1], "the node stopped before the centre took them");
        json_decref(e->unsent[e->n_unsent - 1]);
    }
    atomic_store(&e->stop, 1);
    pthread_mutex_lock(&e->lock);
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->sender, NULL);
    if (rc) lfr_fail(ctx, rc, "%s", why);
    return rc;
}

void lfr_edge_stop(lfr_edge *e)
{
    atomic_store(&e->stop, 1);
}

void lfr_edge_free(lfr_edge *e)
{
    if (!e) return;
    link_free(e->poll);
    link_free(e->send);
    lfr_locked_free(e->keys);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->wake);
    lfr_free(e);
}
