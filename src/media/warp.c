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

/* The three channels of one pixel as lfr_image_sample gives each (the same
 * taps, weights and order of sums, so the same bytes), rounded; the taps
 * and weights worked out once for all three. */
static void sample_rgb(const lfr_image *img, float x, float y, uint8_t *out)
{
    int x0 = (int)(x >= 0 ? x : x - 1.0f), y0 = (int)(y >= 0 ? y : y - 1.0f);
    float fx = x - (float)x0, fy = y - (float)y0;
    float v[3] = {0.0f, 0.0f, 0.0f};
    for (int dy = 0; dy <= 1; dy++) {
        int yy = y0 + dy;
        if (yy < 0 || yy >= img->height) continue;
        float wy = dy ? fy : 1.0f - fy;
        for (int dx = 0; dx <= 1; dx++) {
            int xx = x0 + dx;
            if (xx < 0 || xx >= img->width) continue;
            float w = (dx ? fx : 1.0f - fx) * wy;
            const uint8_t *p = img->rgb + ((size_t)yy * (size_t)img->width + (size_t)xx) * 3;
            v[0] += w * p[0];
            v[1] += w * p[1];
            v[2] += w * p[2];
        }
    }
    for (int c = 0; c < 3; c++) {
        float r = v[c] + 0.5f;
        out[c] = r >= 255.0f ? 255 : (uint8_t)r;
    }
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
            sample_rgb(src, (float)sx, (float)sy, d);
        }
    }
    return LFR_OK;
}
