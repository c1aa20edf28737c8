/* eval/fmr.c - false match and false non-match rates over every pair of a
 * labelled set, down to FMR 1e-7.
 *
 * LFW has about 87 million impostor pairs: they are scored with the
 * gallery's vector kernel, counted in a fine histogram, and the highest
 * EXACT_TAIL of them kept exactly, which is where the low-FMR thresholds
 * live (1e-7 x 87 million is 9 pairs).
 */
#include "lfr/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_TAIL 200000
#define FINE_BINS 200000 /* over [-1, 1]: 1e-5 wide */

typedef struct tail {
    lfr_scored_pair *v; /* min-heap on score */
    int n, cap;
} tail;

static void tail_push(tail *t, float s, int a, int b)
{
    int i;
    if (t->n < t->cap) {
        i = t->n++;
        while (i > 0 && t->v[(i - 1) / 2].score > s) {
            t->v[i] = t->v[(i - 1) / 2];
            i = (i - 1) / 2;
        }
    } else {
        if (s <= t->v[0].score) return;
        i = 0;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= t->n) break;
            if (c + 1 < t->n && t->v[c + 1].score < t->v[c].score) c++;
            if (t->v[c].score >= s) break;
            t->v[i] = t->v[c];
            i = c;
        }
    }
    t->v[i] = (lfr_scored_pair){a, b, s};
}

static int fine_bin(float s)
{
    int b = (int)floorf((s + 1.0f) * (FINE_BINS / 2));
    return b < 0 ? 0 : b >= FINE_BINS ? FINE_BINS - 1 : b;
}

static int pair_desc(const void *x, const void *y)
{
    float a = ((const lfr_scored_pair *)x)->score, b = ((const lfr_scored_pair *)y)->score;
    return (a < b) - (a > b);
}

static int float_asc(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* Genuine pairs rejected at threshold t: scores are sorted ascending. */
static long count_below(const float *sorted, long n, double t)
{
    long lo = 0, hi = n;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (sorted[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The operating point at an FMR target: the lowest threshold that accepts
 * at most target x impostors, exact from the tail when it reaches that far,
 * else from the fine histogram at a bin edge (1e-5 resolution). */
static void point_at(const lfr_fmr_result *r, double target, const tail *t, const long *fine,
                     const float *gen, long n_gen, lfr_fmr_point *pt)
{
    memset(pt, 0, sizeof *pt);
    pt->fmr_target = target;
    long allowed = (long)floor(target * (double)r->n_impostor + 1e-9);
    double thr;
    if (allowed < t->n) {
        thr = nextafterf(t->v[allowed].score, INFINITY);
        long fm = 0;
        while (fm < t->n && t->v[fm].score >= thr)
            fm++;
        pt->false_matches = fm;
    } else {
        long above = 0;
        int b = FINE_BINS - 1;
        while (b > 0 && above + fine[b] <= allowed)
            above += fine[b--];
        thr = (double)(b + 1) / (FINE_BINS / 2) - 1.0;
        pt->false_matches = above;
    }
    pt->threshold = thr;
    lfr_wilson95(pt->false_matches, r->n_impostor, &pt->fmr_lo, &pt->fmr_hi);
    pt->false_non_matches = count_below(gen, n_gen, thr);
    pt->fnmr = n_gen ? (double)pt->false_non_matches / (double)n_gen : 0;
    lfr_wilson95(pt->false_non_matches, n_gen, &pt->fnmr_lo, &pt->fnmr_hi);
}

int lfr_eval_fmr(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                 int dim, lfr_fmr_result *r)
{
    memset(r, 0, sizeof *r);
    int n = set->n;
    long n_gen = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            n_gen += set->label[i] == set->label[j];
    float *gen = lfr_alloc((size_t)(n_gen ? n_gen : 1) * sizeof(float));
    float *scores = lfr_alloc((size_t)n * sizeof(float));
    long *fine = lfr_calloc(FINE_BINS, sizeof(long));
    tail t = {lfr_alloc(EXACT_TAIL * sizeof(lfr_scored_pair)), 0, EXACT_TAIL};
    if (!gen || !scores || !fine || !t.v) {
        lfr_free(gen), lfr_free(scores), lfr_free(fine), lfr_free(t.v);
        return lfr_fail(ctx, LFR_ENOMEM, "fmr: out of memory");
    }
    r->n_images = n;
    long g = 0;
    for (int i = 0; i < n; i++) {
        r->n_no_face += !found[i];
        int rest = n - i - 1;
        if (rest <= 0) break;
        const float *a = emb + (size_t)i * dim;
        lfr_dot_rows_f32(a, emb + (size_t)(i + 1) * dim, rest, dim, scores);
        for (int k = 0; k < rest; k++) {
            int j = i + 1 + k;
            /* No face: never a match, so a rejected genuine pair and an
             * impostor pair correctly rejected. */
            float s = found[i] && found[j] ? scores[k] : -1.0f;
            if (set->label[i] == set->label[j]) {
                gen[g++] = s;
                r->hist_genuine[fine_bin(s) / (FINE_BINS / 200)]++;
            } else {
                r->n_impostor++;
                fine[fine_bin(s)]++;
                r->hist_impostor[fine_bin(s) / (FINE_BINS / 200)]++;
                if (t.n < t.cap || s > t.v[0].score) tail_push(&t, s, i, j);
            }
        }
    }
    r->n_genuine = n_gen;
    qsort(gen, (size_t)n_gen, sizeof *gen, float_asc);
    qsort(t.v, (size_t)t.n, sizeof *t.v, pair_desc);
    for (int k = 0; k < t.n && k < LFR_EVAL_TOP; k++)
        r->top_false[r->n_top_false++] = t.v[k];

    static const double targets[5] = {1e-3, 1e-4, 1e-5, 1e-6, 1e-7};
    for (int p = 0; p < 5; p++)
        point_at(r, targets[p], &t, fine, gen, n_gen, &r->points[p]);
    for (int d = 0; d <= 70; d++)
        point_at(r, pow(10.0, -7.0 + d / 10.0), &t, fine, gen, n_gen, &r->det[r->n_det++]);
    lfr_free(gen);
    lfr_free(scores);
    lfr_free(fine);
    lfr_free(t.v);
    return LFR_OK;
}
