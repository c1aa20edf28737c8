/* eval/verify.c - the LFW 10-fold verification protocol and the true accept
 * rate at a fixed false accept rate. */
#include "lfr/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scored {
    float score;
    int same;
} scored;

static int by_score_asc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

/* The threshold (accept score >= t) with the most correct decisions. */
static double best_threshold(scored *s, int n)
{
    qsort(s, (size_t)n, sizeof *s, by_score_asc);
    int n_same = 0;
    for (int i = 0; i < n; i++)
        n_same += s[i].same;
    /* With t below every score all are accepted: correct = n_same. Moving t
     * past score i rejects pair i: +1 if different, -1 if same. */
    int correct = n_same, best = n_same;
    double best_t = n ? s[0].score - 1e-6 : 0;
    for (int i = 0; i < n; i++) {
        correct += s[i].same ? -1 : 1;
        if (i + 1 < n && s[i + 1].score == s[i].score) continue;
        if (correct > best) {
            best = correct;
            best_t = i + 1 < n ? (s[i].score + s[i + 1].score) / 2 : s[i].score + 1e-6;
        }
    }
    return best_t;
}

static int by_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

int lfr_verify_eval(lfr_ctx *ctx, const lfr_pairs *p, const float *scores, const uint8_t *failed,
                    lfr_verify_result *r)
{
    memset(r, 0, sizeof *r);
    if (p->n_folds < 2 || p->n_folds > 10)
        return lfr_fail(ctx, LFR_EINVAL, "verification needs 2..10 folds, got %d", p->n_folds);
    int n = p->n_pairs;
    scored *train = lfr_alloc((size_t)(n ? n : 1) * sizeof *train);
    float *impostor = lfr_alloc((size_t)(n ? n : 1) * sizeof *impostor);
    if (!train || !impostor) {
        lfr_free(train);
        lfr_free(impostor);
        return lfr_fail(ctx, LFR_ENOMEM, "verification: out of memory");
    }
    r->n_pairs = n;
    for (int i = 0; i < n; i++) {
        r->n_same += p->pairs[i].same;
        r->n_failed_pairs += failed[i] != 0;
    }
    r->n_diff = n - r->n_same;
    double sum = 0, sum2 = 0;
    for (int f = 0; f < p->n_folds; f++) {
        int nt = 0;
        for (int i = 0; i < n; i++)
            if (p->pairs[i].fold != f && !failed[i])
                train[nt++] = (scored){scores[i], p->pairs[i].same};
        double t = best_threshold(train, nt);
        int correct = 0, total = 0;
        for (int i = 0; i < n; i++) {
            if (p->pairs[i].fold != f) continue;
            total++;
            if (!failed[i] && (scores[i] >= t) == (p->pairs[i].same != 0)) correct++;
        }
        double acc = total ? (double)correct / total : 0;
        r->fold_accuracy[f] = acc;
        r->fold_threshold[f] = t;
        sum += acc;
        sum2 += acc * acc;
    }
    int k = p->n_folds;
    r->accuracy_mean = sum / k;
    double var = (sum2 - sum * sum / k) / (k - 1);
    r->accuracy_std = var > 0 ? sqrt(var) : 0;

    /* TAR at FAR: allow floor(far * impostors) false accepts; a pair without
     * a face is never accepted. */
    r->far_target = 1e-3;
    int ni = 0;
    for (int i = 0; i < n; i++)
        if (!p->pairs[i].same) impostor[ni++] = failed[i] ? -INFINITY : scores[i];
    qsort(impostor, (size_t)ni, sizeof *impostor, by_float_desc);
    int allowed = (int)floor(r->far_target * ni + 1e-9);
    double t = allowed < ni ? nextafterf(impostor[allowed], INFINITY) : -1.0;
    int accepted = 0;
    for (int i = 0; i < n; i++)
        if (p->pairs[i].same && !failed[i] && scores[i] >= t) accepted++;
    for (int i = 0; i < ni; i++)
        r->n_false_accepts += impostor[i] >= t;
    r->threshold_at_far = t;
    r->tar_at_far = r->n_same ? (double)accepted / r->n_same : 0;
    lfr_free(train);
    lfr_free(impostor);
    return LFR_OK;
}
