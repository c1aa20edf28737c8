/* media/warp.c - affine warps, used to cut aligned face crops. */
#include "internal.h"

#include <math.h>

int lfr_affine_invert(const lfr_affine *a, lfr_affine *inv)
{
    const double *m = a->m;
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i])) return 0;
    double det = m[0] * m[4] - m[1] * m[3];
    /* Relative test: a map that shrinks area a trillion-fold is singular for
     * any image we warp. */
    double norm = fabs(m[0]) + fabs(m[1]) + fabs(m[3]) + fabs(m[4]);
    if (det == 0.0 || !isfinite(det) || fabs(det) <= 1e-12 * norm * norm) return 0;
    double r = 1.0 / det;
    lfr_affine o = {{
        m[4] * r,
        -m[1] * r,
        (m[1] * m[5] - m[2] * m[4]) * r,
        -m[3] * r,
        m[0] * r,
        (m[2] * m[3] - m[0] * m[5]) * r,
    }};
    for (int i = 0; i < 6; i++)
        if (!isfinite(o.m[i])) return 0;
    *inv = o;
    return 1;
}

int lfr_image_warp(lfr_ctx *ctx, const lfr_image *src, const lfr_affine *dst_from_src,
                   lfr_image *dst)
{
    if (!lfr_media_image_ok(src) || !lfr_media_image_ok(dst) || !dst_from_src)
        return lfr_fail(ctx, LFR_EINVAL, "image warp: invalid image or map");
    if (dst->rgb == src->rgb) return lfr_fail(ctx, LFR_EINVAL, "image warp: dst is src");
    lfr_affine inv;
    if (!lfr_affine_invert(dst_from_src, &inv))
        return lfr_fail(ctx, LFR_EINVAL, "image warp: the map is singular");
    const double *m = inv.m;
    for (int y = 0; y < dst->height; y++) {
        uint8_t *d = dst->rgb + (size_t)y * (size_t)dst->width * 3;
        for (int x = 0; x < dst->width; x++, d += 3) {
            double sx = m[0] * x + m[1] * y + m[2];
            double sy = m[3] * x + m[4] * y + m[5];
            /* Wholly outside (this also keeps huge values away from the
             * int conversion in lfr_image_sample). */
            if (!(sx > -1.0 && sy > -1.0 && sx < src->width && sy < src->height)) {
                d[0] = d[1] = d[2] = 0;
                continue;
            }
            float v[3];
            lfr_image_sample(src, (float)sx, (float)sy, v);
            for (int c = 0; c < 3; c++) {
                float r = v[c] + 0.5f;
                d[c] = r >= 255.0f ? 255 : (uint8_t)r;
            }
        }
    }
    return LFR_OK;
}
