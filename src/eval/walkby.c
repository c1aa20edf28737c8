/* eval/walkby.c - scoring a walk-by run against its ground truth: who on
 * the watchlist was found, false and duplicate alerts, time to alert (the
 * rules are in lfr/eval.h; they are those of celeba_dev's score_walkby.py,
 * so the two agree on the same alerts). */
#include "lfr/eval.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct passer {
    int pid;
    char identity[LFR_ID_MAX];
    int on_watchlist;
    int64_t first, last, first_full; /* first_full -1: never fully in view */
    int n_boxes;
    float (*boxes)[5]; /* frame, x, y, w, h; frames rising */
} passer;

struct lfr_walkby {
    double fps;
    int n;
    passer *p;
};

void lfr_walkby_free(lfr_walkby *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++)
        lfr_free(w->p[i].boxes);
    lfr_free(w->p);
    lfr_free(w);
}

static int bad_truth(lfr_ctx *ctx, const char *path, int index, const char *what)
{
    return lfr_fail(ctx, LFR_EFORMAT, "%s: passer %d: %s", path, index, what);
}

/* An identity may be written as a number (celeba_dev) or a string. */
static int read_identity(const json_t *v, char *out)
{
    if (json_is_integer(v))
        snprintf(out, LFR_ID_MAX, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < LFR_ID_MAX)
        snprintf(out, LFR_ID_MAX, "%s", json_string_value(v));
    else
        return -1;
    return 0;
}

static int read_passer(lfr_ctx *ctx, const char *path, int i, const json_t *j, passer *p)
{
    const json_t *ff = json_object_get(j, "first_full_frame");
    const json_t *boxes = json_object_get(j, "boxes");
    if (!json_is_integer(json_object_get(j, "pid")) ||
        read_identity(json_object_get(j, "identity"), p->identity) ||
        !json_is_boolean(json_object_get(j, "on_watchlist")) ||
        !json_is_integer(json_object_get(j, "first_frame")) ||
        !json_is_integer(json_object_get(j, "last_frame")) ||
        !(json_is_integer(ff) || json_is_null(ff) || !ff) || !json_is_array(boxes))
        return bad_truth(ctx, path, i,
                         "needs pid, identity, on_watchlist, first_frame, last_frame, "
                         "first_full_frame (or null) and boxes");
    p->pid = (int)json_integer_value(json_object_get(j, "pid"));
    p->on_watchlist = json_is_true(json_object_get(j, "on_watchlist"));
    p->first = json_integer_value(json_object_get(j, "first_frame"));
    p->last = json_integer_value(json_object_get(j, "last_frame"));
    p->first_full = json_is_integer(ff) ? json_integer_value(ff) : -1;
    if (p->last < p->first) return bad_truth(ctx, path, i, "last_frame before first_frame");
    size_t n = json_array_size(boxes);
    if (n > 10000000) return bad_truth(ctx, path, i, "too many boxes");
    p->boxes = lfr_calloc(n ? n : 1, sizeof *p->boxes);
    if (!p->boxes) return lfr_fail(ctx, LFR_ENOMEM, "walk-by truth: out of memory");
    p->n_boxes = (int)n;
    for (size_t k = 0; k < n; k++) {
        const json_t *b = json_array_get(boxes, k);
        if (json_array_size(b) < 5)
            return bad_truth(ctx, path, i, "a box is not [frame, x, y, w, h, ...]");
        for (int c = 0; c < 5; c++) {
            if (!json_is_number(json_array_get(b, (size_t)c)))
                return bad_truth(ctx, path, i, "a box holds something that is not a number");
            p->boxes[k][c] = (float)json_number_value(json_array_get(b, (size_t)c));
        }
        if (k > 0 && !(p->boxes[k][0] > p->boxes[k - 1][0]))
            return bad_truth(ctx, path, i, "boxes are not in rising frame order");
    }
    return LFR_OK;
}

int lfr_walkby_load(lfr_ctx *ctx, const char *truth_path, lfr_walkby **out)
{
    *out = NULL;
    json_error_t err;
    json_t *root = json_load_file(truth_path, JSON_REJECT_DUPLICATES, &err);
    if (!root) return lfr_fail(ctx, LFR_EFORMAT, "%s: line %d: %s", truth_path, err.line, err.text);
    const json_t *passers = json_object_get(root, "passers");
    const json_t *fps = json_object_get(root, "fps");
    int rc = LFR_OK;
    lfr_walkby *w = lfr_calloc(1, sizeof *w);
    if (!w)
        rc = lfr_fail(ctx, LFR_ENOMEM, "walk-by truth: out of memory");
    else if (!json_is_array(passers) || json_array_size(passers) == 0 || !json_is_number(fps) ||
             !(json_number_value(fps) > 0))
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: needs fps and a list of passers", truth_path);
    else if (!(w->p = lfr_calloc(json_array_size(passers), sizeof *w->p)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "walk-by truth: out of memory");
    if (rc == LFR_OK) {
        w->fps = json_number_value(fps);
        for (size_t i = 0; i < json_array_size(passers) && rc == LFR_OK; i++, w->n++)
            rc = read_passer(ctx, truth_path, (int)i, json_array_get(passers, i), &w->p[i]);
    }
    json_decref(root);
    if (rc) {
        lfr_walkby_free(w);
        return rc;
    }
    *out = w;
    return LFR_OK;
}

/* The passer's box in a frame, or NULL when not in view then. */
static const float *box_at(const passer *p, int64_t frame)
{
    int lo = 0, hi = p->n_boxes - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        float f = p->boxes[mid][0];
        if (f == (float)frame) return p->boxes[mid];
        if (f < (float)frame)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* The passer an alert's box centre lies on, nearest first. */
static const passer *attribute(const lfr_walkby *w, const lfr_walkby_alert *a)
{
    float cx = (a->box[0] + a->box[2]) / 2, cy = (a->box[1] + a->box[3]) / 2;
    const passer *best = NULL;
    float best_d = 0;
    for (int i = 0; i < w->n; i++) {
        const float *b = box_at(&w->p[i], a->frame);
        if (!b) continue;
        float bx = b[1] + b[3] / 2, by = b[2] + b[4] / 2;
        if (fabsf(cx - bx) > b[3] || fabsf(cy - by) > b[4]) continue;
        float d = (cx - bx) * (cx - bx) + (cy - by) * (cy - by);
        if (!best || d < best_d) best = &w->p[i], best_d = d;
    }
    return best;
}

static int by_frame(const void *a, const void *b)
{
    int64_t x = ((const lfr_walkby_alert *)a)->frame, y = ((const lfr_walkby_alert *)b)->frame;
    return (x > y) - (x < y);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    if (n == 0) return -1;
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The q-quantile as the nearest rank (v sorted). */
static double quantile(const double *v, int n, double q)
{
    if (n == 0) return -1;
    int k = (int)floor(q * (n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

/* Which passer a correct alert found, or NULL with why it is false. */
static const passer *judge(const lfr_walkby *w, const lfr_walkby_alert *a, int grace,
                           const char **why)
{
    const passer *named = NULL;
    for (int i = 0; i < w->n && !named; i++) {
        const passer *p = &w->p[i];
        if (p->on_watchlist && !strcmp(p->identity, a->identity) && p->first <= a->frame &&
            a->frame <= p->last + grace)
            named = p;
    }
    const passer *on = attribute(w, a);
    /* Within the grace, after the face has left: no box to be on. */
    if (!on && named && a->frame > named->last) on = named;
    *why = !on                 ? "on nobody"
           : !on->on_watchlist ? "on a non-enrolled passer"
                               : "wrong identity on a watchlisted passer";
    return named && named == on ? named : NULL;
}

int lfr_walkby_score(lfr_ctx *ctx, const lfr_walkby *w, const lfr_walkby_alert *alerts, int n,
                     int grace_frames, lfr_walkby_result *out)
{
    memset(out, 0, sizeof *out);
    lfr_walkby_alert *sorted = lfr_alloc((size_t)(n ? n : 1) * sizeof *sorted);
    int64_t *found_at = lfr_alloc((size_t)w->n * sizeof *found_at);
    double *lat = lfr_alloc((size_t)w->n * sizeof *lat),
           *lat_full = lfr_alloc((size_t)w->n * sizeof *lat_full);
    if (!sorted || !found_at || !lat || !lat_full) {
        lfr_free(sorted);
        lfr_free(found_at);
        lfr_free(lat);
        lfr_free(lat_full);
        return lfr_fail(ctx, LFR_ENOMEM, "walk-by scoring: out of memory");
    }
    if (n) memcpy(sorted, alerts, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, by_frame);
    for (int i = 0; i < w->n; i++)
        found_at[i] = -1;
    for (int k = 0; k < n; k++) {
        const char *why = NULL;
        const passer *p = judge(w, &sorted[k], grace_frames, &why);
        if (p) {
            int64_t *f = &found_at[p - w->p];
            if (*f >= 0)
                out->duplicates++;
            else
                *f = sorted[k].frame;
            continue;
        }
        if (out->n_false_listed < LFR_WALKBY_MAX_LISTED)
            snprintf(out->false_listed[out->n_false_listed++], sizeof out->false_listed[0],
                     "frame %lld identity %s: %s", (long long)sorted[k].frame, sorted[k].identity,
                     why);
        out->false_alerts++;
    }
    int n_lat = 0, n_full = 0;
    for (int i = 0; i < w->n; i++) {
        const passer *p = &w->p[i];
        out->passers++;
        if (!p->on_watchlist) continue;
        out->watchlisted++;
        if (found_at[i] < 0) {
            if (out->n_missed < LFR_WALKBY_MAX_LISTED)
                snprintf(out->missed[out->n_missed++], sizeof out->missed[0], "pid %d identity %s",
                         p->pid, p->identity);
            continue;
        }
        out->found++;
        lat[n_lat++] = (double)(found_at[i] - p->first);
        if (p->first_full >= 0) lat_full[n_full++] = (double)(found_at[i] - p->first_full);
    }
    out->fps = w->fps;
    out->tpir = out->watchlisted ? (double)out->found / out->watchlisted : 0;
    lfr_wilson95(out->found, out->watchlisted, &out->tpir_lo, &out->tpir_hi);
    double lo = 0, hi = 0;
    lfr_wilson95(out->false_alerts, out->passers, &lo, &hi);
    out->false_per_1000 = 1000.0 * out->false_alerts / out->passers;
    out->false_hi = 1000.0 * hi;
    out->latency_median = median(lat, n_lat);
    out->latency_p90 = quantile(lat, n_lat, 0.9);
    out->latency_full_median = median(lat_full, n_full);
    lfr_free(sorted);
    lfr_free(found_at);
    lfr_free(lat);
    lfr_free(lat_full);
    return LFR_OK;
}
