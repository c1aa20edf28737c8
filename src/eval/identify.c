/* eval/identify.c - the open-set 1:N protocol: FNIR at fixed FPIR, rank-1.
 *
 * The gallery is a real lfr_gallery, searched exactly as a deployment
 * searches its watchlist.
 */
#include "lfr/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int float_desc(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a < b) - (a > b);
}

static int pair_desc(const void *x, const void *y)
{
    float a = ((const lfr_scored_pair *)x)->score, b = ((const lfr_scored_pair *)y)->score;
    return (a < b) - (a > b);
}

int lfr_eval_identify(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                      int dim, lfr_identify_result *r)
{
    memset(r, 0, sizeof *r);
    int n = set->n, rc = LFR_OK;
    int *count = lfr_calloc((size_t)set->n_names, sizeof(int));
    int *enrolled = lfr_alloc((size_t)set->n_names * sizeof(int)); /* image index or -1 */
    float *mate_score = lfr_alloc((size_t)n * sizeof(float));
    float *nonmated = lfr_alloc((size_t)n * sizeof(float));
    lfr_scored_pair *nm_pairs = lfr_alloc((size_t)n * sizeof(lfr_scored_pair));
    lfr_gallery *g = NULL;
    r->probe_image = lfr_alloc((size_t)n * sizeof(int));
    r->probe_mated = lfr_alloc((size_t)n);
    r->probe_score = lfr_alloc((size_t)n * sizeof(float));
    if (!count || !enrolled || !mate_score || !nonmated || !nm_pairs || !r->probe_image ||
        !r->probe_mated || !r->probe_score) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "identify: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        count[set->label[i]]++;
    /* Enrol the first photo with a face of each identity with 2+ photos. */
    for (int k = 0; k < set->n_names; k++)
        enrolled[k] = -1;
    lfr_gallery_params gp = lfr_gallery_default_params();
    gp.dim = dim;
    gp.model = "evaluation";
    gp.locked = 0; /* a public set (LFW: 11 MB of templates), bigger than the pool */
    if ((rc = lfr_gallery_new(ctx, &gp, &g))) goto done;
    for (int i = 0; i < n; i++) {
        int id = set->label[i];
        if (count[id] < 2 || enrolled[id] >= 0 || !found[i]) continue;
        char key[LFR_ID_MAX];
        snprintf(key, sizeof key, "%d", id);
        if ((rc = lfr_gallery_add(ctx, g, key, emb + (size_t)i * dim, 1))) goto done;
        enrolled[id] = i;
        r->n_gallery++;
    }
    int n_nm = 0, n_m = 0;
    for (int i = 0; i < n; i++) {
        int id = set->label[i];
        int mated = count[id] >= 2;
        if (mated && enrolled[id] == i) continue; /* the enrolled photo itself */
        r->probe_image[r->n_probes] = i;
        r->probe_mated[r->n_probes] = (uint8_t)mated;
        r->probe_score[r->n_probes++] = -INFINITY;
        if (!found[i]) {
            r->n_no_face++;
            if (mated)
                mate_score[n_m++] = -INFINITY; /* a miss at every threshold */
            else
                r->n_nonmated++; /* never a false positive */
            if (mated) r->n_mated++;
            continue;
        }
        lfr_match m;
        int got = 0;
        if ((rc = lfr_gallery_search(ctx, g, emb + (size_t)i * dim, 1, &m, &got))) goto done;
        if (!got) continue;
        int top_id = atoi(m.identity);
        if (mated) {
            r->n_mated++;
            int hit = top_id == id;
            mate_score[n_m++] = hit ? m.score_cos : -INFINITY;
            r->probe_score[r->n_probes - 1] = hit ? m.score_cos : -INFINITY;
            r->rank1_hits += hit;
        } else {
            r->n_nonmated++;
            nm_pairs[n_nm] = (lfr_scored_pair){i, enrolled[top_id], m.score_cos};
            nonmated[n_nm++] = m.score_cos;
            r->probe_score[r->n_probes - 1] = m.score_cos;
        }
    }
    r->rank1 = r->n_mated ? (double)r->rank1_hits / r->n_mated : 0;
    lfr_wilson95(r->rank1_hits, r->n_mated, &r->rank1_lo, &r->rank1_hi);
    qsort(nonmated, (size_t)n_nm, sizeof *nonmated, float_desc);
    qsort(nm_pairs, (size_t)n_nm, sizeof *nm_pairs, pair_desc);
    for (int k = 0; k < n_nm && k < LFR_EVAL_TOP; k++)
        r->top_false[r->n_top_false++] = nm_pairs[k];
    static const double targets[3] = {1e-1, 1e-2, 1e-3};
    for (int p = 0; p < 3; p++) {
        lfr_identify_point *pt = &r->points[p];
        pt->fpir_target = targets[p];
        long allowed = (long)floor(targets[p] * r->n_nonmated + 1e-9);
        pt->threshold = allowed < n_nm ? nextafterf(nonmated[allowed], INFINITY) : -1.0;
        for (int k = 0; k < n_nm; k++)
            pt->false_positives += nonmated[k] >= pt->threshold;
        lfr_wilson95(pt->false_positives, r->n_nonmated, &pt->fpir_lo, &pt->fpir_hi);
        for (int k = 0; k < n_m; k++)
            pt->false_negatives += !(mate_score[k] >= pt->threshold);
        pt->fnir = r->n_mated ? (double)pt->false_negatives / r->n_mated : 0;
        lfr_wilson95(pt->false_negatives, r->n_mated, &pt->fnir_lo, &pt->fnir_hi);
    }
done:
    if (rc) lfr_identify_result_free(r);
    lfr_gallery_free(g);
    lfr_free(count);
    lfr_free(enrolled);
    lfr_free(mate_score);
    lfr_free(nonmated);
    lfr_free(nm_pairs);
    return rc;
}

void lfr_identify_result_free(lfr_identify_result *r)
{
    lfr_free(r->probe_image);
    lfr_free(r->probe_mated);
    lfr_free(r->probe_score);
    r->probe_image = NULL;
    r->probe_mated = NULL;
    r->probe_score = NULL;
    r->n_probes = 0;
}
