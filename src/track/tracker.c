/* track/tracker.c - IoU tracking with motion prediction from frame times
 * and two-stage association (see lfr/track.h for the rules). */
#include "lfr/track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Past this gap a prediction stops following the velocity: someone hidden
 * for a while has probably slowed or turned. */
#define COAST_MS 80.0f

typedef struct track_state {
    lfr_track pub;
    float mx1, my1, mx2, my2;      /* box when last matched */
    int64_t seen_ms;               /* frame time when last matched */
    float vx1, vy1, vx2, vy2;      /* box velocity per millisecond, smoothed */
    float app[LFR_APPEARANCE_DIM]; /* smoothed colour histogram; all 0: none */
    int has_app;
} track_state;

struct lfr_tracker {
    lfr_tracker_params p;
    track_state *tracks;
    lfr_track *view; /* public copies for lfr_tracker_tracks */
    int n, cap;
    int *ended;
    int n_ended, cap_ended;
    int next_id;
    int64_t now_ms; /* this update's frame time */
    /* per-update scratch */
    int *det_used;
    int det_cap;
    const float *app; /* this update's detection appearances, or NULL */
};

static void take_appearance(lfr_tracker *t, track_state *s, int det)
{
    if (!t->app) return;
    const float *a = t->app + (size_t)det * LFR_APPEARANCE_DIM;
    float norm = 0;
    for (int k = 0; k < LFR_APPEARANCE_DIM; k++) {
        s->app[k] = s->has_app ? 0.8f * s->app[k] + 0.2f * a[k] : a[k];
        norm += s->app[k] * s->app[k];
    }
    norm = norm > 0 ? 1.0f / sqrtf(norm) : 0;
    for (int k = 0; k < LFR_APPEARANCE_DIM; k++)
        s->app[k] *= norm;
    s->has_app = 1;
}

static float app_similarity(const track_state *s, const float *a)
{
    float d = 0;
    for (int k = 0; k < LFR_APPEARANCE_DIM; k++)
        d += s->app[k] * a[k];
    return d;
}

lfr_tracker_params lfr_tracker_default_params(void)
{
    /* Keep in step with the comments in lfr/track.h. */
    return (lfr_tracker_params){.high_score = 0.8f,
                                .low_score = 0.5f,
                                .iou_min = 0.3f,
                                .min_hits = 2,
                                .max_missed_ms = 3000,
                                .max_tracks = 256,
                                .appearance_min = 0.85f,
                                .rejoin_widths = 3.0f};
}

int lfr_tracker_new(lfr_ctx *ctx, const lfr_tracker_params *p, lfr_tracker **out)
{
    *out = NULL;
    lfr_tracker_params d = lfr_tracker_default_params();
    if (!p) p = &d;
    if (!(p->low_score > 0 && p->low_score <= p->high_score && p->high_score <= 1) ||
        !(p->iou_min > 0 && p->iou_min < 1) || p->min_hits < 1 || p->max_missed_ms < 0 ||
        p->max_tracks < 1 || p->max_tracks > 100000 || !(p->appearance_min > 0) ||
        p->appearance_min > 1 || p->rejoin_widths < 0)
        return lfr_fail(ctx, LFR_EINVAL, "tracker parameters out of range");
    lfr_tracker *t = lfr_calloc(1, sizeof *t);
    if (!t) return lfr_fail(ctx, LFR_ENOMEM, "tracker: out of memory");
    t->p = *p;
    t->cap = p->max_tracks;
    t->tracks = lfr_calloc((size_t)t->cap, sizeof *t->tracks);
    t->view = lfr_calloc((size_t)t->cap, sizeof *t->view);
    t->cap_ended = t->cap;
    t->ended = lfr_calloc((size_t)t->cap_ended, sizeof *t->ended);
    if (!t->tracks || !t->view || !t->ended) {
        lfr_tracker_free(t);
        return lfr_fail(ctx, LFR_ENOMEM, "tracker: out of memory");
    }
    t->next_id = 1;
    *out = t;
    return LFR_OK;
}

void lfr_tracker_free(lfr_tracker *t)
{
    if (!t) return;
    lfr_wipe_free(t->tracks, (size_t)t->cap * sizeof *t->tracks);
    lfr_free(t->view);
    lfr_free(t->ended);
    lfr_free(t->det_used);
    lfr_free(t);
}

static float iou_box(float ax1, float ay1, float ax2, float ay2, const lfr_face *b)
{
    lfr_face a = {.x1 = ax1, .y1 = ay1, .x2 = ax2, .y2 = ay2};
    return lfr_face_iou(&a, b);
}

typedef struct candidate {
    float iou;
    int track, det;
} candidate;

static int by_iou_desc(const void *a, const void *b)
{
    float x = ((const candidate *)a)->iou, y = ((const candidate *)b)->iou;
    return (x < y) - (x > y);
}

/* Greedy matching by IoU of predicted boxes with the detections whose score
 * is in [lo, hi). Greedy on sorted overlaps equals the optimal assignment
 * in all but contrived crowded cases and costs far less. */
/* Overlap of a predicted box with a detection, or for a track that has
 * been missing (its prediction has drifted), a score from how near the
 * centres are relative to the face size, so the same face reappearing close
 * by after an occlusion keeps its id. */
static float affinity(const track_state *s, float px1, float py1, float px2, float py2,
                      const lfr_face *d, float iou_min)
{
    float iou = iou_box(px1, py1, px2, py2, d);
    if (iou >= iou_min || s->pub.missed == 0) return iou;
    float tw = px2 - px1, dw = d->x2 - d->x1;
    if (!(tw > 0 && dw > 0) || dw > 2 * tw || tw > 2 * dw) return 0;
    float dx = (px1 + px2 - d->x1 - d->x2) / 2, dy = (py1 + py2 - d->y1 - d->y2) / 2;
    float dist = sqrtf(dx * dx + dy * dy) / fmaxf(tw, dw);
    /* Below iou_min so that true overlaps are preferred in the greedy order. */
    return dist < 1.0f ? iou_min * (1.0f - dist) * 0.99f + 1e-6f : 0;
}

/* Where the track's box should be now: its last match moved by its
 * velocity over the time since, so frames dropped under load widen the step
 * instead of splitting the track; past COAST_MS the motion fades out. */
static void predict(const lfr_tracker *t, const track_state *s, float *px1, float *py1, float *px2,
                    float *py2)
{
    float dt = (float)(t->now_ms - s->seen_ms);
    if (dt < 0) dt = 0;
    if (dt > COAST_MS) dt = COAST_MS + COAST_MS * (1.0f - expf(-(dt - COAST_MS) / COAST_MS));
    *px1 = s->mx1 + s->vx1 * dt;
    *py1 = s->my1 + s->vy1 * dt;
    *px2 = s->mx2 + s->vx2 * dt;
    *py2 = s->my2 + s->vy2 * dt;
}

/* Takes detection f as the track's new position. */
static void take_match(lfr_tracker *t, track_state *s, const lfr_face *f, int keep_velocity)
{
    float dt = (float)(t->now_ms - s->seen_ms);
    if (keep_velocity && dt > 0) {
        /* Exponential smoothing keeps one jittery box from flinging the
         * prediction. */
        const float a = 0.5f;
        s->vx1 = a * (f->x1 - s->mx1) / dt + (1 - a) * s->vx1;
        s->vy1 = a * (f->y1 - s->my1) / dt + (1 - a) * s->vy1;
        s->vx2 = a * (f->x2 - s->mx2) / dt + (1 - a) * s->vx2;
        s->vy2 = a * (f->y2 - s->my2) / dt + (1 - a) * s->vy2;
    } else if (!keep_velocity) {
        s->vx1 = s->vy1 = s->vx2 = s->vy2 = 0;
    }
    s->pub.x1 = s->mx1 = f->x1;
    s->pub.y1 = s->my1 = f->y1;
    s->pub.x2 = s->mx2 = f->x2;
    s->pub.y2 = s->my2 = f->y2;
    s->seen_ms = t->now_ms;
    s->pub.hits++;
    s->pub.missed = 0;
}

static int associate(lfr_tracker *t, const lfr_face *dets, int n_dets, float lo, float hi,
                     int *track_matched)
{
    int max_c = t->n * n_dets;
    if (max_c == 0) return 0;
    candidate *c = lfr_alloc((size_t)max_c * sizeof *c);
    if (!c) return -1;
    int nc = 0;
    for (int i = 0; i < t->n; i++) {
        if (track_matched[i]) continue;
        const track_state *s = &t->tracks[i];
        float px1, py1, px2, py2;
        predict(t, s, &px1, &py1, &px2, &py2);
        for (int d = 0; d < n_dets; d++) {
            if (t->det_used[d] || dets[d].score < lo || dets[d].score >= hi) continue;
            float a = affinity(s, px1, py1, px2, py2, &dets[d], t->p.iou_min);
            if (a > 0 && (a >= t->p.iou_min || s->pub.missed > 0)) c[nc++] = (candidate){a, i, d};
        }
    }
    qsort(c, (size_t)nc, sizeof *c, by_iou_desc);
    for (int k = 0; k < nc; k++) {
        int i = c[k].track, d = c[k].det;
        if (track_matched[i] || t->det_used[d]) continue;
        track_matched[i] = 1;
        t->det_used[d] = 1;
        track_state *s = &t->tracks[i];
        const lfr_face *f = &dets[d];
        /* After a gap, someone else may have stepped into the same place. */
        s->pub.rejoined = s->pub.missed > 2;
        take_match(t, s, f, 1);
        s->pub.det_index = d;
        if (s->pub.hits >= t->p.min_hits) s->pub.confirmed = 1;
        take_appearance(t, s, d);
    }
    lfr_free(c);
    return 0;
}

/* A confident detection that matched nothing by position may be a lost
 * track's face coming back after the person turned away: re-join the most
 * similar lost track in colour, if close enough and similar enough. */
static void rejoin_lost(lfr_tracker *t, const lfr_face *dets, int n_dets, int *track_matched)
{
    if (!t->app) return;
    for (int d = 0; d < n_dets; d++) {
        if (t->det_used[d] || dets[d].score < t->p.high_score) continue;
        const float *a = t->app + (size_t)d * LFR_APPEARANCE_DIM;
        float dw = dets[d].x2 - dets[d].x1;
        float dcx = (dets[d].x1 + dets[d].x2) / 2, dcy = (dets[d].y1 + dets[d].y2) / 2;
        int best = -1;
        float best_sim = t->p.appearance_min;
        for (int i = 0; i < t->n; i++) {
            track_state *s = &t->tracks[i];
            if (track_matched[i] || !s->pub.confirmed || !s->has_app || s->pub.missed == 0)
                continue;
            float tw = s->pub.x2 - s->pub.x1;
            if (dw > 2 * tw || tw > 2 * dw) continue;
            float dx = (s->pub.x1 + s->pub.x2) / 2 - dcx, dy = (s->pub.y1 + s->pub.y2) / 2 - dcy;
            /* Someone hidden for longer may have walked further. */
            float lost_s = (float)(t->now_ms - s->seen_ms) / 1000.0f;
            if (sqrtf(dx * dx + dy * dy) > t->p.rejoin_widths * fmaxf(tw, dw) * (1.0f + lost_s))
                continue;
            float sim = app_similarity(s, a);
            if (sim > best_sim) best_sim = sim, best = i;
        }
        if (best < 0) continue;
        track_state *s = &t->tracks[best];
        track_matched[best] = 1;
        t->det_used[d] = 1;
        take_match(t, s, &dets[d], 0);
        s->pub.det_index = d;
        s->pub.rejoined = 1;
        take_appearance(t, s, d);
    }
}

int lfr_tracker_update(lfr_ctx *ctx, lfr_tracker *t, int64_t t_ms, const lfr_face *dets, int n_dets,
                       const float *appearance)
{
    if (n_dets < 0) return lfr_fail(ctx, LFR_EINVAL, "tracker: negative detection count");
    t->now_ms = t_ms;
    if (n_dets > t->det_cap) {
        int *nu = lfr_realloc(t->det_used, (size_t)n_dets * sizeof *nu);
        if (!nu) return lfr_fail(ctx, LFR_ENOMEM, "tracker: out of memory");
        t->det_used = nu;
        t->det_cap = n_dets;
    }
    int *matched = lfr_calloc((size_t)(t->n ? t->n : 1), sizeof *matched);
    if (!matched) return lfr_fail(ctx, LFR_ENOMEM, "tracker: out of memory");
    if (n_dets) memset(t->det_used, 0, (size_t)n_dets * sizeof *t->det_used);
    t->n_ended = 0;
    for (int i = 0; i < t->n; i++) {
        t->tracks[i].pub.det_index = -1;
        t->tracks[i].pub.rejoined = 0;
    }
    t->app = appearance;
    if (associate(t, dets, n_dets, t->p.high_score, 2.0f, matched) ||
        associate(t, dets, n_dets, t->p.low_score, t->p.high_score, matched)) {
        lfr_free(matched);
        t->app = NULL;
        return lfr_fail(ctx, LFR_ENOMEM, "tracker: out of memory");
    }
    rejoin_lost(t, dets, n_dets, matched);
    /* Unmatched tracks coast on their prediction, then end. Unconfirmed
     * ones end at the first miss: one stray detection is not a person. */
    int w = 0;
    for (int i = 0; i < t->n; i++) {
        track_state *s = &t->tracks[i];
        if (!matched[i]) {
            s->pub.missed++;
            predict(t, s, &s->pub.x1, &s->pub.y1, &s->pub.x2, &s->pub.y2);
            if (t_ms - s->seen_ms > t->p.max_missed_ms || !s->pub.confirmed) {
                t->ended[t->n_ended++] = s->pub.id;
                continue;
            }
        }
        t->tracks[w++] = *s;
    }
    if (w < t->n) lfr_wipe(&t->tracks[w], (size_t)(t->n - w) * sizeof *t->tracks);
    t->n = w;
    lfr_free(matched);
    /* Confident detections left over start tracks. */
    for (int d = 0; d < n_dets && t->n < t->cap; d++) {
        if (t->det_used[d] || dets[d].score < t->p.high_score) continue;
        track_state *s = &t->tracks[t->n++];
        memset(s, 0, sizeof *s);
        s->pub.id = t->next_id++;
        s->seen_ms = t_ms;
        take_match(t, s, &dets[d], 0);
        s->pub.det_index = d;
        s->pub.confirmed = t->p.min_hits <= 1;
        take_appearance(t, s, d);
    }
    t->app = NULL;
    for (int i = 0; i < t->n; i++)
        t->view[i] = t->tracks[i].pub;
    return LFR_OK;
}

const lfr_track *lfr_tracker_tracks(const lfr_tracker *t, int *n)
{
    *n = t->n;
    return t->view;
}

const int *lfr_tracker_ended(const lfr_tracker *t, int *n)
{
    *n = t->n_ended;
    return t->ended;
}

void lfr_tracker_finish(lfr_tracker *t)
{
    t->n_ended = 0;
    for (int i = 0; i < t->n; i++)
        t->ended[t->n_ended++] = t->tracks[i].pub.id;
    t->n = 0;
}

int lfr_tracker_started(const lfr_tracker *t)
{
    return t->next_id - 1;
}
