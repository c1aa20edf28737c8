/* eval/fuse.c - score-level fusion of embedders, calibrated on pairs apart
 * from the test pairs (see lfr/eval.h for why it reduces to scaled
 * concatenation). */
#include "lfr/eval.h"

#include <math.h>
#include <string.h>

int lfr_impostor_sd(lfr_ctx *ctx, const lfr_pairs *pairs, const float *emb, const uint8_t *found,
                    int dim, double *sd)
{
    double sum = 0, sum2 = 0;
    long n = 0;
    for (int i = 0; i < pairs->n_pairs; i++) {
        const lfr_pair *p = &pairs->pairs[i];
        if (p->same || !found[p->a] || !found[p->b]) continue;
        double s = lfr_cosine(emb + (size_t)p->a * dim, emb + (size_t)p->b * dim, dim);
        sum += s;
        sum2 += s * s;
        n++;
    }
    if (n < 10)
        return lfr_fail(ctx, LFR_EINVAL, "fusion: %ld impostor pairs to calibrate on, need 10", n);
    double var = (sum2 - sum * sum / n) / (n - 1);
    if (!(var > 1e-12)) return lfr_fail(ctx, LFR_EINVAL, "fusion: impostor scores do not vary");
    *sd = sqrt(var);
    return LFR_OK;
}

int lfr_fuse(lfr_ctx *ctx, int n_models, const float *const *emb, const int *dims, const double *sd,
             const uint8_t *const *found, int n, float *out, uint8_t *found_out)
{
    if (n_models < 2 || n_models > 8)
        return lfr_fail(ctx, LFR_EINVAL, "fusion: 2 to 8 models, not %d", n_models);
    int total = 0;
    double norm2 = 0;
    for (int m = 0; m < n_models; m++) {
        total += dims[m];
        norm2 += 1.0 / (n_models * sd[m]);
    }
    for (int i = 0; i < n; i++) {
        float *o = out + (size_t)i * total;
        found_out[i] = 1;
        for (int m = 0; m < n_models; m++)
            found_out[i] &= found[m][i] != 0;
        if (!found_out[i]) {
            memset(o, 0, (size_t)total * sizeof(float));
            continue;
        }
        for (int m = 0; m < n_models; m++) {
            /* sqrt of the weight, then the constant norm: unit length. */
            float k = (float)sqrt(1.0 / (n_models * sd[m]) / norm2);
            const float *e = emb[m] + (size_t)i * dims[m];
            for (int d = 0; d < dims[m]; d++)
                o[d] = k * e[d];
            o += dims[m];
        }
    }
    return LFR_OK;
}
