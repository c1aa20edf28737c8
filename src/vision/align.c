/* vision/align.c - 5-point similarity alignment and embedding similarity.
 *
 * A similarity (rotation, uniform scale, translation) keeps the face's
 * proportions, which the embedder was trained on; a 3-point affine would
 * shear them and measurably hurts recognition (DESIGN.md).
 */
#include "internal.h"

#include <math.h>

int lfr_similarity_fit(lfr_ctx *ctx, const float (*src)[2], const float (*dst)[2], int n,
                       lfr_affine *out)
{
    if (n < 2) return lfr_fail(ctx, LFR_EINVAL, "alignment needs at least 2 points, got %d", n);
    double msx = 0, msy = 0, mdx = 0, mdy = 0;
    for (int i = 0; i < n; i++) {
        msx += src[i][0];
        msy += src[i][1];
        mdx += dst[i][0];
        mdy += dst[i][1];
    }
    msx /= n;
    msy /= n;
    mdx /= n;
    mdy /= n;
    /* Least squares for x' = a x - b y + tx, y' = b x + a y + ty on centred
     * points has this closed form. */
    double num_a = 0, num_b = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double sx = src[i][0] - msx, sy = src[i][1] - msy;
        double dx = dst[i][0] - mdx, dy = dst[i][1] - mdy;
        num_a += sx * dx + sy * dy;
        num_b += sx * dy - sy * dx;
        den += sx * sx + sy * sy;
    }
    if (!(den > 1e-9) || !isfinite(den))
        return lfr_fail(ctx, LFR_EINVAL, "alignment points are degenerate (all in one place)");
    double a = num_a / den, b = num_b / den;
    if (!(a * a + b * b > 1e-12))
        return lfr_fail(ctx, LFR_EINVAL, "alignment has no solution for these points");
    out->m[0] = a;
    out->m[1] = -b;
    out->m[2] = mdx - (a * msx - b * msy);
    out->m[3] = b;
    out->m[4] = a;
    out->m[5] = mdy - (b * msx + a * msy);
    return LFR_OK;
}

float lfr_cosine(const float *a, const float *b, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}
