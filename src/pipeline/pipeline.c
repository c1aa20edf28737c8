/* pipeline/pipeline.c - per-camera workers: newest frame -> detect -> track
 * -> embed views into the track's template -> search -> alert (the rules
 * are in lfr/pipeline.h). */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* A camera's per-frame scratch: the crops and tensors of a few faces at
 * once (about 230 KiB each with a fused embedder); more go to the pool. */
#define FRAME_SCRATCH_BYTES ((size_t)1 << 20)
#define LATENCY_SAMPLES 65536
#define RECENT_ALERTS 64 /* identities remembered per camera for repeat_alert_ms */

typedef struct track_state {
    int id;
    int embeds;            /* views summed into sum */
    int64_t last_embed_ms; /* stream time of the last view embedded */
    float *sum;            /* quality-weighted sum of the views' unit templates */
    int alerted;
} track_state;

typedef struct recent_alert {
    char identity[LFR_ID_MAX];
    int64_t pts_ms; /* the camera's clock when alerted */
} recent_alert;

typedef struct camera {
    struct lfr_pipeline *p;
    char id[LFR_ID_MAX];
    char *url;
    lfr_video_params vp;
    lfr_video *video;
    lfr_tracker *tracker;
    track_state *states;
    int n_states, cap_states;
    pthread_t thread;
    int started;
    int rc;
    char msg[1024];
    int64_t dropped_seen;
    int last_state;                     /* reported to on_camera; -1 none yet */
    recent_alert recent[RECENT_ALERTS]; /* a ring, newest at n_recent - 1 */
    int n_recent;
    /* The camera's clock (frame_clock): stream time, never going back. */
    int64_t clock_ms, last_pts_ms, last_captured_us;
    int clock_started;
    int64_t last_live_us;     /* when the live view last went out */
    int64_t view_cost_us;     /* a view's wall time lately (a moving average) */
    lfr_pipeline_stats stats; /* this camera's share, under the pipeline's lock */
} camera;

struct lfr_pipeline {
    lfr_pipeline_params p;
    const lfr_engine *engine;
    lfr_gallery *gallery;
    lfr_alert_fn on_alert;
    void *alert_arg;
    lfr_wipe_probe_fn wipe_probe;
    void *wipe_arg;
    lfr_camera_fn on_camera;
    void *camera_arg;
    lfr_live_wanted_fn live_wanted;
    lfr_live_fn on_live;
    void *live_arg;
    int live_interval_ms;
    camera *cams;
    int n_cams;
    atomic_int stop;
    _Atomic float threshold; /* p.threshold, changeable while running */
    pthread_mutex_t lock;    /* guards stats, latency and alert delivery */
    lfr_pipeline_stats stats;
    int64_t *latency;
    int64_t n_latency;
    int64_t started_us, ended_us;
};

lfr_pipeline_params lfr_pipeline_default_params(void)
{
    /* Keep in step with the comments in lfr/pipeline.h. */
    lfr_pipeline_params p = {.threshold = 0.45f,
                             .detect_native_max_px = 960,
                             .detect_long_side_px = 640,
                             .min_eye_px = 16.0f,
                             .max_yaw_deg = 40.0f,
                             .max_pitch_deg = 35.0f,
                             .min_sharpness = 20.0f,
                             .max_embeds_per_track = 16,
                             .embed_interval_ms = 160,
                             .repeat_alert_ms = 30000,
                             .crop_jpeg_quality = 85};
    p.tracker = lfr_tracker_default_params();
    return p;
}

int lfr_pipeline_new(lfr_ctx *ctx, const lfr_engine *engine, lfr_gallery *gallery,
                     const lfr_pipeline_params *p, lfr_alert_fn on_alert, void *arg,
                     lfr_pipeline **out)
{
    *out = NULL;
    lfr_pipeline_params d = lfr_pipeline_default_params();
    if (!p) p = &d;
    if (!(p->threshold > -1 && p->threshold <= 1) || p->detect_long_side_px < 64 ||
        p->detect_native_max_px < 64 || p->max_embeds_per_track < 1 || p->embed_interval_ms < 0 ||
        p->repeat_alert_ms < 0 || p->crop_jpeg_quality < 1 || p->crop_jpeg_quality > 100)
        return lfr_fail(ctx, LFR_EINVAL, "pipeline parameters out of range");
    if (lfr_gallery_dim(gallery) != lfr_engine_embedding_size(engine))
        return lfr_fail(ctx, LFR_EMODEL,
                        "the watchlist holds %d-d templates, the engine makes %d-d",
                        lfr_gallery_dim(gallery), lfr_engine_embedding_size(engine));
    lfr_pipeline *pl = lfr_calloc(1, sizeof *pl);
    if (!pl || !(pl->latency = lfr_alloc(LATENCY_SAMPLES * sizeof(int64_t)))) {
        lfr_free(pl);
        return lfr_fail(ctx, LFR_ENOMEM, "pipeline: out of memory");
    }
    pl->p = *p;
    atomic_store(&pl->threshold, p->threshold);
    pl->engine = engine;
    pl->gallery = gallery;
    pl->on_alert = on_alert;
    pl->alert_arg = arg;
    pthread_mutex_init(&pl->lock, NULL);
    *out = pl;
    return LFR_OK;
}

int lfr_pipeline_add_source(lfr_ctx *ctx, lfr_pipeline *p, const char *camera_id, const char *url,
                            const lfr_video_params *vp)
{
    if (!camera_id || !*camera_id || strlen(camera_id) >= LFR_ID_MAX)
        return lfr_fail(ctx, LFR_EINVAL, "camera id must be 1..%d bytes", LFR_ID_MAX - 1);
    camera *nc = lfr_realloc(p->cams, (size_t)(p->n_cams + 1) * sizeof *nc);
    if (!nc) return lfr_fail(ctx, LFR_ENOMEM, "pipeline: out of memory");
    p->cams = nc;
    camera *c = &p->cams[p->n_cams];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", camera_id);
    c->url = lfr_strdup(url);
    if (!c->url) return lfr_fail(ctx, LFR_ENOMEM, "pipeline: out of memory");
    c->vp = vp ? *vp : lfr_video_default_params();
    c->last_state = -1;
    p->n_cams++;
    return LFR_OK;
}

void lfr_pipeline_set_wipe_probe(lfr_pipeline *p, lfr_wipe_probe_fn fn, void *arg)
{
    p->wipe_probe = fn;
    p->wipe_arg = arg;
}

void lfr_pipeline_set_live_callback(lfr_pipeline *p, lfr_live_wanted_fn wanted, lfr_live_fn fn,
                                    void *arg, int max_fps)
{
    p->live_wanted = wanted;
    p->on_live = fn;
    p->live_arg = arg;
    p->live_interval_ms = 1000 / (max_fps < 1 ? 1 : max_fps > 25 ? 25 : max_fps);
}

void lfr_pipeline_set_camera_callback(lfr_pipeline *p, lfr_camera_fn fn, void *arg)
{
    p->on_camera = fn;
    p->camera_arg = arg;
}

static void report_state(camera *c)
{
    lfr_pipeline *p = c->p;
    if (!p->on_camera) return;
    char msg[512];
    lfr_camera_state s = lfr_video_state(c->video, msg, sizeof msg);
    if ((int)s == c->last_state) return;
    c->last_state = (int)s;
    pthread_mutex_lock(&p->lock);
    p->on_camera(c->id, s, msg, p->camera_arg);
    pthread_mutex_unlock(&p->lock);
}

int lfr_pipeline_set_threshold(lfr_ctx *ctx, lfr_pipeline *p, float threshold)
{
    if (!(threshold >= -1 && threshold <= 1))
        return lfr_fail(ctx, LFR_EINVAL, "threshold %g is not in [-1, 1]", (double)threshold);
    atomic_store(&p->threshold, threshold);
    return LFR_OK;
}

float lfr_pipeline_threshold(lfr_pipeline *p)
{
    return atomic_load(&p->threshold);
}

void lfr_pipeline_stop(lfr_pipeline *p)
{
    atomic_store(&p->stop, 1);
}

static track_state *state_of(camera *c, int track_id)
{
    for (int i = 0; i < c->n_states; i++)
        if (c->states[i].id == track_id) return &c->states[i];
    if (c->n_states == c->cap_states) {
        int ncap = c->cap_states ? c->cap_states * 2 : 32;
        track_state *ns = lfr_realloc(c->states, (size_t)ncap * sizeof *ns);
        if (!ns) return NULL;
        c->states = ns;
        c->cap_states = ncap;
    }
    int dim = lfr_gallery_dim(c->p->gallery);
    float *sum = lfr_locked_calloc((size_t)dim, sizeof(float));
    if (!sum) return NULL;
    track_state *s = &c->states[c->n_states++];
    memset(s, 0, sizeof *s);
    s->id = track_id;
    s->sum = sum;
    return s;
}

/* Forgets what the track's views were: its template goes. */
static void clear_views(track_state *s, int dim)
{
    lfr_wipe(s->sum, (size_t)dim * sizeof(float));
    s->embeds = 0;
    s->last_embed_ms = 0;
}

static void forget_track(camera *c, int track_id)
{
    for (int i = 0; i < c->n_states; i++) {
        if (c->states[i].id != track_id) continue;
        lfr_locked_free(c->states[i].sum);
        c->states[i] = c->states[--c->n_states];
        lfr_wipe(&c->states[c->n_states], sizeof(track_state));
        return;
    }
}

/* How good a view is for recognition: resolution, discounted by pose.
 * 0 when it is not usable at all. */
static float view_quality(const lfr_pipeline_params *p, const lfr_face_quality *q)
{
    if (q->eye_distance_px < p->min_eye_px || fabsf(q->yaw_deg) > p->max_yaw_deg ||
        fabsf(q->pitch_deg) > p->max_pitch_deg || q->sharpness < p->min_sharpness)
        return 0.0f;
    float pose = cosf(q->yaw_deg * 0.01745f) * cosf(q->pitch_deg * 0.01745f);
    return q->eye_distance_px * pose;
}

/* Whether the identity was alerted on this camera within the repeat window
 * of the camera's clock. */
static int alerted_recently(const camera *c, const char *identity, int64_t now_ms, int64_t window)
{
    int n = c->n_recent < RECENT_ALERTS ? c->n_recent : RECENT_ALERTS;
    for (int i = 0; i < n; i++) {
        const recent_alert *r = &c->recent[i];
        if (now_ms - r->pts_ms < window && !strcmp(r->identity, identity)) return 1;
    }
    return 0;
}

static void remember_alert(camera *c, const char *identity, int64_t pts_ms)
{
    recent_alert *r = &c->recent[c->n_recent++ % RECENT_ALERTS];
    snprintf(r->identity, sizeof r->identity, "%s", identity);
    r->pts_ms = pts_ms;
}

/* The face with some margin, as JPEG, for the operator to look at. */
static int encode_crop(lfr_ctx *ctx, const lfr_image *frame, const lfr_face *f, int quality,
                       uint8_t **jpeg, size_t *len)
{
    float w = f->x2 - f->x1, h = f->y2 - f->y1, side = fmaxf(w, h) * 1.6f;
    float cx = (f->x1 + f->x2) / 2, cy = (f->y1 + f->y2) / 2;
    int out = (int)fminf(fmaxf(side, 32.0f), 512.0f);
    lfr_image *crop = NULL;
    int rc = lfr_image_new_locked(ctx, out, out, &crop);
    if (rc) return rc;
    float s = side / (float)out;
    lfr_affine map = {{1 / s, 0, -(cx - side / 2) / s, 0, 1 / s, -(cy - side / 2) / s}};
    rc = lfr_image_warp(ctx, frame, &map, crop);
    if (rc == LFR_OK) rc = lfr_image_encode(ctx, crop, LFR_IMAGE_JPEG, quality, jpeg, len);
    lfr_image_free(crop);
    return rc;
}

static void raise_alert(camera *c, lfr_ctx *ctx, const lfr_image *frame, const lfr_frame_info *info,
                        const lfr_track *t, const lfr_face *f, const lfr_match *m, int views)
{
    lfr_pipeline *p = c->p;
    uint8_t *jpeg = NULL;
    size_t len = 0;
    /* An alert without its picture is still an alert: the operator sees
     * that the crop is missing. */
    if (encode_crop(ctx, frame, f, p->p.crop_jpeg_quality, &jpeg, &len)) {
        jpeg = NULL;
        len = 0;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    lfr_alert a = {.camera = c->id,
                   .time_unix_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
                   .frame_index = info->index,
                   .pts_ms = info->pts_ms,
                   .track_id = t->id,
                   .score_cos = m->score_cos,
                   .views = views,
                   .box = {f->x1, f->y1, f->x2, f->y2},
                   .quality = f->quality,
                   .crop_jpeg = jpeg,
                   .crop_jpeg_len = len,
                   .latency_us = lfr_now_us() - info->captured_us};
    snprintf(a.identity, sizeof a.identity, "%s", m->identity);
    pthread_mutex_lock(&p->lock);
    p->stats.alerts++;
    c->stats.alerts++;
    if (p->on_alert) p->on_alert(&a, p->alert_arg);
    pthread_mutex_unlock(&p->lock);
    if (jpeg) lfr_wipe_free(jpeg, len);
}

/* Adds a view's template to the track's sum (tpl is overwritten) and leaves the
 * normalised sum in tpl. */
static void add_view(track_state *s, float *tpl, int dim, float weight)
{
    double norm = 0;
    for (int i = 0; i < dim; i++) {
        s->sum[i] += weight * tpl[i];
        norm += (double)s->sum[i] * s->sum[i];
    }
    float k = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0;
    for (int i = 0; i < dim; i++)
        tpl[i] = s->sum[i] * k;
}

/* The track's state if it wants a view on this frame, else NULL (*rc says
 * whether that is for want of memory). */
static track_state *wants_view(camera *c, lfr_ctx *ctx, int64_t now_ms, const lfr_track *t, int dim,
                               int *rc)
{
    *rc = LFR_OK;
    if (!t->confirmed || t->det_index < 0) return NULL;
    track_state *s = state_of(c, t->id);
    if (!s) {
        *rc = lfr_fail(ctx, LFR_ENOMEM, "pipeline: out of memory");
        return NULL;
    }
    if (t->rejoined) {
        /* Found again after a gap: it may be someone else, so its views
         * are judged afresh (an alert it raised still stands, and the
         * camera will not repeat it). */
        clear_views(s, dim);
        s->alerted = 0;
    }
    if (s->alerted || s->embeds >= c->p->p.max_embeds_per_track) return NULL;
    /* Views close in time are nearly the same picture: spacing them lets
     * the sum average different blur, noise and compression. */
    if (s->embeds > 0 && now_ms - s->last_embed_ms < c->p->p.embed_interval_ms) return NULL;
    return s;
}

/* Embeds one view of a track into its template, searches with the
 * template, decides, and wipes the search's copy. */
static int consider_view(camera *c, lfr_ctx *ctx, const lfr_image *frame,
                         const lfr_frame_info *info, int64_t now_ms, const lfr_track *t,
                         track_state *s, lfr_face *f, float *tpl, int dim)
{
    lfr_pipeline *p = c->p;
    int rc = lfr_engine_landmarks(ctx, p->engine, frame, f);
    if (rc) return rc;
    float q = view_quality(&p->p, &f->quality);
    if (q <= 0) return LFR_OK;
    if ((rc = lfr_engine_embed(ctx, p->engine, frame, f, tpl))) {
        lfr_wipe(tpl, (size_t)dim * sizeof(float));
        return rc;
    }
    add_view(s, tpl, dim, q);
    s->embeds++;
    s->last_embed_ms = now_ms;
    lfr_match m;
    int n = 0;
    rc = lfr_gallery_search(ctx, p->gallery, tpl, 1, &m, &n);
    /* The comparison is done: the search's copy goes now, match or not. */
    lfr_wipe(tpl, (size_t)dim * sizeof(float));
    if (p->wipe_probe) p->wipe_probe(tpl, (size_t)dim * sizeof(float), p->wipe_arg);
    if (rc == LFR_OK) {
        pthread_mutex_lock(&p->lock);
        p->stats.templates_compared++;
        c->stats.templates_compared++;
        pthread_mutex_unlock(&p->lock);
        if (n > 0 && m.score_cos >= atomic_load(&p->threshold)) {
            s->alerted = 1;
            if (!alerted_recently(c, m.identity, now_ms, p->p.repeat_alert_ms)) {
                remember_alert(c, m.identity, now_ms);
                raise_alert(c, ctx, frame, info, t, f, &m, s->embeds);
            }
        }
    }
    lfr_wipe(&m, sizeof m);
    return rc;
}

/* The camera's clock for tracking, view spacing and the repeat window: the
 * source's timestamps while they advance, the wall clock between frames
 * where they are missing or start again (a live stream reconnected), so it
 * never goes back and tracks always age. */
static int64_t frame_clock(camera *c, const lfr_frame_info *info)
{
    if (c->clock_started) {
        int64_t step = info->pts_ms - c->last_pts_ms;
        if (info->pts_ms < 0 || c->last_pts_ms < 0 || step <= 0 || step > 10000)
            step = (info->captured_us - c->last_captured_us) / 1000;
        c->clock_ms += step > 0 ? step : 0;
    }
    c->clock_started = 1;
    c->last_pts_ms = info->pts_ms;
    c->last_captured_us = info->captured_us;
    return c->clock_ms;
}

/* Frames up to 960 px are searched whole: smaller footage has no pixels to
 * spare. A larger frame (720p, 1080p) is shrunk to 640: on the walk-by
 * videos and the 1080p walking clip that loses under 0.5% of the faces
 * large enough to recognise, and halves the detector's time (see
 * docs/benchmarks.md). */
void lfr_pipeline_detect_size(const lfr_pipeline_params *p, int w, int h, int *in_w, int *in_h)
{
    int long_side = w > h ? w : h;
    float s = long_side > p->detect_native_max_px ? (float)p->detect_long_side_px / long_side : 1;
    if (s > 1) s = 1;
    *in_w = (int)lroundf(w * s);
    *in_h = (int)lroundf(h * s);
    if (*in_w < 16) *in_w = 16;
    if (*in_h < 16) *in_h = 16;
}

/* The frame's faces, at the detector's size for it. */
static int find_faces(camera *c, lfr_ctx *ctx, const lfr_image *frame, lfr_face **faces, int *n)
{
    lfr_pipeline *p = c->p;
    int in_w, in_h;
    lfr_pipeline_detect_size(&p->p, frame->width, frame->height, &in_w, &in_h);
    return lfr_engine_detect_at(ctx, p->engine, frame, in_w, in_h, p->p.tracker.low_score, faces,
                                n);
}

typedef struct view_wanted {
    const lfr_track *track;
    int state;   /* index in the camera's states (which may move as they grow) */
    int embeds;  /* views the track has */
    float width; /* of the face's box, px */
} view_wanted;

/* Fewest views first (a new face's first search before anyone's tenth),
 * then the larger face. */
static int cmp_view_wanted(const void *a, const void *b)
{
    const view_wanted *x = a, *y = b;
    if (x->embeds != y->embeds) return x->embeds - y->embeds;
    return (x->width < y->width) - (x->width > y->width);
}

/* Whether a camera that drops frames (live, or a file in real time) should
 * put the view off: its next frame is waiting, or will be before the view
 * is done. A dropped frame loses every face in it, its tracking and the
 * views it held, while a view put off is still wanted on a later frame.
 * A file read at full speed waits, so it gets every view. */
static int view_would_cost_a_frame(camera *c)
{
    if (lfr_video_behind(c->video)) return 1;
    int64_t due = lfr_video_next_due_us(c->video);
    return due && lfr_now_us() + c->view_cost_us > due;
}

/* Embeds the views the tracks want, most needed first, while they cost no
 * frame (above). Only a face never searched yet goes ahead of the next
 * frame (one a frame), so a busy camera still searches everyone it sees. */
static int embed_views(camera *c, lfr_ctx *ctx, const lfr_image *frame, const lfr_frame_info *info,
                       int64_t now_ms, lfr_face *faces, float *tpl, int dim)
{
    int n_tracks = 0, n_wanted = 0, rc = LFR_OK;
    const lfr_track *tracks = lfr_tracker_tracks(c->tracker, &n_tracks);
    if (n_tracks == 0) return LFR_OK;
    view_wanted *wanted = lfr_scratch_alloc((size_t)n_tracks * sizeof *wanted);
    if (!wanted) return lfr_locked_fail(ctx, "pipeline: views wanted");
    for (int i = 0; i < n_tracks && rc == LFR_OK; i++) {
        track_state *s = wants_view(c, ctx, now_ms, &tracks[i], dim, &rc);
        if (!s) continue;
        const lfr_face *f = &faces[tracks[i].det_index];
        wanted[n_wanted++] =
            (view_wanted){&tracks[i], (int)(s - c->states), s->embeds, f->x2 - f->x1};
    }
    qsort(wanted, (size_t)n_wanted, sizeof *wanted, cmp_view_wanted);
    for (int i = 0; i < n_wanted && rc == LFR_OK; i++) {
        if ((i > 0 || wanted[i].embeds > 0) && view_would_cost_a_frame(c)) {
            pthread_mutex_lock(&c->p->lock);
            c->p->stats.views_deferred += n_wanted - i;
            c->stats.views_deferred += n_wanted - i;
            pthread_mutex_unlock(&c->p->lock);
            break;
        }
        const lfr_track *t = wanted[i].track;
        int64_t start = lfr_now_us();
        rc = consider_view(c, ctx, frame, info, now_ms, t, &c->states[wanted[i].state],
                           &faces[t->det_index], tpl, dim);
        int64_t took = lfr_now_us() - start;
        c->view_cost_us = c->view_cost_us ? (c->view_cost_us * 3 + took) / 4 : took;
    }
    lfr_scratch_free(wanted);
    return rc;
}

/* The live view, when someone watches and it is due: the frame's faces
 * (detections, and tracks the detector missed this time), each blurred
 * unless its track alerted. A view that cannot be made is skipped: the
 * camera carries on. */
static void send_live_view(camera *c, lfr_ctx *ctx, const lfr_image *frame,
                           const lfr_frame_info *info, const lfr_face *faces, int n)
{
    lfr_pipeline *p = c->p;
    int64_t now = lfr_now_us();
    if (!p->on_live || now - c->last_live_us < (int64_t)p->live_interval_ms * 1000 ||
        !p->live_wanted(c->id, p->live_arg))
        return;
    c->last_live_us = now;
    int n_tracks = 0;
    const lfr_track *tracks = lfr_tracker_tracks(c->tracker, &n_tracks);
    live_face *lf = lfr_scratch_alloc((size_t)(n + n_tracks + 1) * sizeof *lf);
    if (!lf) return;
    int m = 0;
    for (int i = 0; i < n; i++)
        lf[m++] = (live_face){{faces[i].x1, faces[i].y1, faces[i].x2, faces[i].y2}, 0};
    for (int i = 0; i < n_tracks; i++) {
        const lfr_track *t = &tracks[i];
        track_state *s = NULL;
        for (int k = 0; k < c->n_states && !s; k++)
            if (c->states[k].id == t->id) s = &c->states[k];
        int alerted = s && s->alerted;
        if (t->det_index >= 0)
            lf[t->det_index].alerted = alerted;
        else
            lf[m++] = (live_face){{t->x1, t->y1, t->x2, t->y2}, alerted};
    }
    live_view v;
    if (live_view_make(ctx, frame, lf, m, &v) == LFR_OK) {
        lfr_live_frame f = {.camera = c->id,
                            .frame_index = info->index,
                            .width = v.width,
                            .height = v.height,
                            .jpeg = v.jpeg,
                            .jpeg_len = v.len,
                            .n_faces = v.n,
                            .boxes = (const float(*)[4])v.boxes,
                            .alerted = v.alerted};
        p->on_live(&f, p->live_arg);
        live_view_free(&v);
    }
    lfr_scratch_free(lf);
}

static int process_frame(camera *c, lfr_ctx *ctx, const lfr_image *frame,
                         const lfr_frame_info *info, float *tpl, int dim)
{
    lfr_pipeline *p = c->p;
    int64_t now_ms = frame_clock(c, info);
    lfr_face *faces = NULL;
    int n = 0;
    int rc = find_faces(c, ctx, frame, &faces, &n);
    float *app = NULL;
    if (rc == LFR_OK && n > 0) {
        app = lfr_scratch_alloc((size_t)n * LFR_APPEARANCE_DIM * sizeof(float));
        if (!app) rc = lfr_locked_fail(ctx, "pipeline: faces' appearance");
        for (int i = 0; app && i < n; i++)
            lfr_appearance(frame, &faces[i], app + (size_t)i * LFR_APPEARANCE_DIM);
    }
    if (rc == LFR_OK) rc = lfr_tracker_update(ctx, c->tracker, now_ms, faces, n, app);
    lfr_scratch_free(app);
    if (rc == LFR_OK) rc = embed_views(c, ctx, frame, info, now_ms, faces, tpl, dim);
    if (rc == LFR_OK) send_live_view(c, ctx, frame, info, faces, n);
    if (rc == LFR_OK) {
        int n_ended = 0;
        const int *ended = lfr_tracker_ended(c->tracker, &n_ended);
        for (int i = 0; i < n_ended; i++)
            forget_track(c, ended[i]);
    }
    if (faces) lfr_wipe_free(faces, (size_t)n * sizeof *faces);
    int64_t latency = lfr_now_us() - info->captured_us;
    lfr_video_stats vs;
    lfr_video_stats_get(c->video, &vs);
    pthread_mutex_lock(&p->lock);
    p->stats.frames_processed++;
    p->stats.faces_detected += n;
    p->stats.frames_dropped += vs.dropped - c->dropped_seen;
    c->stats.frames_processed++;
    c->stats.faces_detected += n;
    c->stats.frames_dropped = vs.dropped;
    c->stats.frames_decoded = vs.decoded;
    c->stats.tracks = lfr_tracker_started(c->tracker);
    c->dropped_seen = vs.dropped;
    p->latency[p->n_latency++ % LATENCY_SAMPLES] = latency;
    p->stats.latency_sum_us += latency;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void *camera_thread(void *arg)
{
    camera *c = arg;
    lfr_pipeline *p = c->p;
    lfr_ctx *ctx = NULL;
    int dim = lfr_engine_embedding_size(p->engine);
    float *tpl = NULL;
    lfr_arena *scratch = NULL;
    if (lfr_ctx_new(&ctx) || !(tpl = lfr_locked_calloc((size_t)dim, sizeof(float))) ||
        lfr_arena_new(ctx, FRAME_SCRATCH_BYTES, &scratch)) {
        c->rc = !ctx ? LFR_ENOMEM : tpl ? lfr_errcode(ctx) : lfr_locked_fail(ctx, "template");
        snprintf(c->msg, sizeof c->msg, "camera %s: %s", c->id,
                 ctx ? lfr_errmsg(ctx) : "out of memory");
        lfr_locked_free(tpl);
        lfr_ctx_free(ctx);
        return NULL;
    }
    lfr_arena_use(scratch);
    while (!atomic_load(&p->stop)) {
        lfr_image *frame = NULL;
        lfr_frame_info info;
        int rc = lfr_video_next(ctx, c->video, 200, &frame, &info);
        report_state(c);
        if (rc == LFR_EEND) break;
        if (rc) {
            c->rc = rc;
            snprintf(c->msg, sizeof c->msg, "camera %s: %s", c->id, lfr_errmsg(ctx));
            break;
        }
        if (!frame) continue; /* nothing yet: a live source reconnecting */
        rc = process_frame(c, ctx, frame, &info, tpl, dim);
        lfr_image_free(frame);
        lfr_arena_reset(scratch); /* nothing of the frame's faces outlives it */
        if (rc) {
            c->rc = rc;
            snprintf(c->msg, sizeof c->msg, "camera %s: %s", c->id, lfr_errmsg(ctx));
            break;
        }
    }
    lfr_tracker_finish(c->tracker);
    int n_ended = 0;
    const int *ended = lfr_tracker_ended(c->tracker, &n_ended);
    for (int i = 0; i < n_ended; i++)
        forget_track(c, ended[i]);
    lfr_locked_free(tpl);
    lfr_arena_use(NULL);
    lfr_arena_free(scratch);
    lfr_ctx_free(ctx);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int lfr_pipeline_run_alone(lfr_pipeline *p, char *msg, size_t len)
{
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) {
        snprintf(msg, len, "out of memory");
        return LFR_ENOMEM;
    }
    int rc = lfr_pipeline_run(ctx, p);
    snprintf(msg, len, "%s", rc ? lfr_errmsg(ctx) : "");
    lfr_ctx_free(ctx);
    return rc;
}

int lfr_pipeline_run(lfr_ctx *ctx, lfr_pipeline *p)
{
    if (p->n_cams == 0) return lfr_fail(ctx, LFR_EINVAL, "pipeline: no sources");
    int rc = lfr_core_dumps_off(ctx);
    if (rc) return rc;
    /* Stats are read from other threads while this runs: under the lock. */
    pthread_mutex_lock(&p->lock);
    p->started_us = lfr_now_us();
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_cams && rc == LFR_OK; i++) {
        camera *c = &p->cams[i];
        c->p = p;
        if ((rc = lfr_video_open(ctx, c->url, &c->vp, &c->video)) ||
            (rc = lfr_tracker_new(ctx, &p->p.tracker, &c->tracker)))
            break;
        if (pthread_create(&c->thread, NULL, camera_thread, c)) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "camera %s: cannot start its thread", c->id);
            break;
        }
        c->started = 1;
    }
    if (rc) lfr_pipeline_stop(p);
    for (int i = 0; i < p->n_cams; i++) {
        camera *c = &p->cams[i];
        if (c->started) pthread_join(c->thread, NULL);
        c->started = 0;
        lfr_video_stats vs = {0};
        if (c->video) lfr_video_stats_get(c->video, &vs);
        if (rc == LFR_OK && c->rc) rc = lfr_fail(ctx, c->rc, "%s", c->msg);
        pthread_mutex_lock(&p->lock);
        p->stats.frames_decoded += vs.decoded;
        if (c->tracker) p->stats.tracks += lfr_tracker_started(c->tracker);
        pthread_mutex_unlock(&p->lock);
        lfr_video_free(c->video);
        c->video = NULL;
        lfr_tracker_free(c->tracker);
        c->tracker = NULL;
    }
    pthread_mutex_lock(&p->lock);
    p->ended_us = lfr_now_us();
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void lfr_pipeline_stats_get(lfr_pipeline *p, lfr_pipeline_stats *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->stats;
    int64_t n = p->n_latency < LATENCY_SAMPLES ? p->n_latency : LATENCY_SAMPLES;
    int64_t *copy = n ? lfr_alloc((size_t)n * sizeof(int64_t)) : NULL;
    if (copy) memcpy(copy, p->latency, (size_t)n * sizeof(int64_t));
    int64_t end = p->ended_us ? p->ended_us : lfr_now_us();
    out->seconds = p->started_us ? (double)(end - p->started_us) / 1e6 : 0;
    pthread_mutex_unlock(&p->lock);
    if (copy) {
        qsort(copy, (size_t)n, sizeof *copy, cmp_i64);
        out->latency_p50_us = copy[n / 2];
        out->latency_p95_us = copy[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
        out->latency_p99_us = copy[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
        lfr_free(copy);
    }
}

int lfr_pipeline_camera_stats(lfr_pipeline *p, const char *camera_id, lfr_pipeline_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n_cams; i++) {
        if (strcmp(p->cams[i].id, camera_id)) continue;
        pthread_mutex_lock(&p->lock);
        *out = p->cams[i].stats;
        int64_t end = p->ended_us ? p->ended_us : lfr_now_us();
        out->seconds = p->started_us ? (double)(end - p->started_us) / 1e6 : 0;
        pthread_mutex_unlock(&p->lock);
        return LFR_OK;
    }
    return LFR_ENOENT;
}

void lfr_pipeline_free(lfr_pipeline *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_cams; i++) {
        lfr_free(p->cams[i].url);
        for (int k = 0; k < p->cams[i].n_states; k++)
            lfr_locked_free(p->cams[i].states[k].sum);
        lfr_wipe_free(p->cams[i].states, (size_t)p->cams[i].cap_states * sizeof(track_state));
    }
    lfr_free(p->cams);
    lfr_free(p->latency);
    pthread_mutex_destroy(&p->lock);
    lfr_free(p);
}
