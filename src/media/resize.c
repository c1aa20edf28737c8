/* media/resize.c - resizing and mirroring images.
 *
 * Resizing is separable: each axis gets a table of source taps per output
 * sample, applied to rows then columns. Up to 2x down an axis uses bilinear
 * taps with pixel centres aligned (src = (dst + 0.5) * scale - 0.5); beyond
 * that, bilinear would skip source pixels and alias, so each output sample
 * averages the source area it covers (a box filter).
 */
#include "internal.h"

#include <math.h>
#include <string.h>

typedef struct axis {
    int taps;   /* source samples per output sample */
    int *idx;   /* [n_dst * taps] source index */
    float *wgt; /* [n_dst * taps] weights, summing to 1 per output sample */
} axis;

static void axis_free(axis *a)
{
    lfr_free(a->idx);
    lfr_free(a->wgt);
    a->idx = NULL;
    a->wgt = NULL;
}

static int axis_init(lfr_ctx *ctx, axis *a, int n_src, int n_dst)
{
    double scale = (double)n_src / n_dst;
    int area = scale > 2.0;
    a->taps = area ? (int)ceil(scale) + 1 : 2;
    size_t n = (size_t)n_dst * (size_t)a->taps;
    a->idx = lfr_alloc(n * sizeof *a->idx);
    a->wgt = lfr_alloc(n * sizeof *a->wgt);
    if (!a->idx || !a->wgt) {
        axis_free(a);
        return lfr_fail(ctx, LFR_ENOMEM, "image resize: out of memory");
    }
    for (int i = 0; i < n_dst; i++) {
        int *idx = a->idx + (size_t)i * a->taps;
        float *wgt = a->wgt + (size_t)i * a->taps;
        if (area) {
            double x0 = i * scale, x1 = (i + 1) * scale;
            int j0 = (int)floor(x0);
            for (int t = 0; t < a->taps; t++) {
                int j = j0 + t;
                double cover = fmin(x1, j + 1.0) - fmax(x0, (double)j);
                idx[t] = j < n_src ? j : n_src - 1;
                wgt[t] = j < n_src && cover > 0 ? (float)(cover / scale) : 0.0f;
            }
        } else {
            double pos = (i + 0.5) * scale - 0.5;
            if (pos < 0) pos = 0;
            if (pos > n_src - 1) pos = n_src - 1;
            int j = (int)floor(pos);
            double f = pos - j;
            idx[0] = j;
            idx[1] = j + 1 < n_src ? j + 1 : j;
            wgt[0] = (float)(1.0 - f);
            wgt[1] = (float)f;
        }
    }
    return LFR_OK;
}

static uint8_t to_u8(float v)
{
    v += 0.5f;
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

int lfr_image_resize(lfr_ctx *ctx, const lfr_image *src, int w, int h, lfr_image **out)
{
    if (!out) return lfr_fail(ctx, LFR_EINVAL, "image resize: no output pointer");
    *out = NULL;
    if (!lfr_media_image_ok(src)) return lfr_fail(ctx, LFR_EINVAL, "image resize: invalid image");
    if (w < 1 || h < 1) return lfr_fail(ctx, LFR_EINVAL, "image resize: invalid size %dx%d", w, h);

    axis ax = {0}, ay = {0};
    float *rows = NULL;
    size_t rows_n = (size_t)src->height * (size_t)w * 3;
    lfr_image *dst = NULL;
    int rc = axis_init(ctx, &ax, src->width, w);
    if (rc) goto fail;
    rc = axis_init(ctx, &ay, src->height, h);
    if (rc) goto fail;
    /* Horizontal pass: src->height rows of w output pixels. */
    rows = lfr_alloc(rows_n * sizeof *rows);
    if (!rows) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "image resize: out of memory");
        goto fail;
    }
    rc = lfr_image_new(ctx, w, h, &dst);
    if (rc) goto fail;

    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->rgb + (size_t)y * (size_t)src->width * 3;
        float *r = rows + (size_t)y * (size_t)w * 3;
        for (int x = 0; x < w; x++) {
            const int *idx = ax.idx + (size_t)x * ax.taps;
            const float *wgt = ax.wgt + (size_t)x * ax.taps;
            float acc[3] = {0, 0, 0};
            for (int t = 0; t < ax.taps; t++)
                for (int c = 0; c < 3; c++)
                    acc[c] += wgt[t] * s[(size_t)idx[t] * 3 + c];
            memcpy(r + (size_t)x * 3, acc, sizeof acc);
        }
    }
    for (int y = 0; y < h; y++) {
        const int *idx = ay.idx + (size_t)y * ay.taps;
        const float *wgt = ay.wgt + (size_t)y * ay.taps;
        uint8_t *d = dst->rgb + (size_t)y * (size_t)w * 3;
        for (size_t i = 0; i < (size_t)w * 3; i++) {
            float acc = 0;
            for (int t = 0; t < ay.taps; t++)
                acc += wgt[t] * rows[(size_t)idx[t] * (size_t)w * 3 + i];
            d[i] = to_u8(acc);
        }
    }
    lfr_wipe_free(rows, rows_n * sizeof *rows);
    axis_free(&ax);
    axis_free(&ay);
    *out = dst;
    return LFR_OK;

fail:
    lfr_image_free(dst);
    lfr_wipe_free(rows, rows_n * sizeof *rows);
    axis_free(&ax);
    axis_free(&ay);
    return rc;
}

int lfr_image_flip(lfr_ctx *ctx, const lfr_image *src, lfr_image **out)
{
    if (!out) return lfr_fail(ctx, LFR_EINVAL, "image flip: no output pointer");
    *out = NULL;
    if (!lfr_media_image_ok(src)) return lfr_fail(ctx, LFR_EINVAL, "image flip: invalid image");
    lfr_image *dst;
    int rc = lfr_media_image_like(ctx, src, &dst);
    if (rc) return rc;
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->rgb + (size_t)y * (size_t)src->width * 3;
        uint8_t *d = dst->rgb + (size_t)y * (size_t)src->width * 3;
        for (int x = 0; x < src->width; x++)
            memcpy(d + (size_t)(src->width - 1 - x) * 3, s + (size_t)x * 3, 3);
    }
    *out = dst;
    return LFR_OK;
}
