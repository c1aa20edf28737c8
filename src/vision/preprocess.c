/* vision/preprocess.c - image region to a network's input tensor.
 *
 * One pass does crop, resize, colour order and normalisation, so no
 * intermediate image is made (and none is left to wipe).
 */
#include "internal.h"

#include <stdlib.h>

/* Writes one output pixel's 3 channel values (0-255) into the tensor. */
static inline void put_pixel(float *tensor, size_t i, size_t plane, const manifest *m,
                             const int *order, const float *v)
{
    if (m->colour == COLOUR_GREY) {
        tensor[i] = (0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2] - m->mean) * m->scale;
        return;
    }
    for (int c = 0; c < 3; c++)
        tensor[(size_t)c * plane + i] = (v[order[c]] - m->mean) * m->scale;
}

/* The tensor plane each image channel (R, G, B) goes to, in the manifest's
 * colour order. */
static void channel_planes(float *tensor, size_t plane, const int *order, float *dst[3])
{
    for (int c = 0; c < 3; c++)
        dst[order[c]] = tensor + (size_t)c * plane;
}

/* The region at its own size (a detector run at the frame's size): each
 * value converted and normalised, no sampling. The same values as the
 * bilinear path gives at scale 1, about ten times faster. */
static void copy_inside(const lfr_image *img, int x0, int y0, int out_w, int out_h,
                        const manifest *m, const int *order, float *tensor)
{
    size_t plane = (size_t)out_w * (size_t)out_h, row = (size_t)img->width * 3;
    float mean = m->mean, scale = m->scale;
    float *dst[3];
    channel_planes(tensor, plane, order, dst);
    for (int y = 0; y < out_h; y++) {
        const uint8_t *s = img->rgb + (size_t)(y0 + y) * row + (size_t)x0 * 3;
        size_t at = (size_t)y * (size_t)out_w;
        if (m->colour == COLOUR_GREY) {
            for (int x = 0; x < out_w; x++, s += 3) {
                float v[3] = {s[0], s[1], s[2]};
                put_pixel(tensor, at + (size_t)x, plane, m, order, v);
            }
            continue;
        }
        float *d0 = dst[0] + at, *d1 = dst[1] + at, *d2 = dst[2] + at;
        for (int x = 0; x < out_w; x++, s += 3) {
            d0[x] = ((float)s[0] - mean) * scale;
            d1[x] = ((float)s[1] - mean) * scale;
            d2[x] = ((float)s[2] - mean) * scale;
        }
    }
}

/* Bilinear resize of a region inside the image, with the column taps
 * computed once: the per-frame detector input is the engine's largest
 * pre-processing cost. Returns 0 if it cannot allocate (caller falls back). */
static int resize_inside(const lfr_image *img, float x0, float y0, float sx, float sy, int out_w,
                         int out_h, const manifest *m, const int *order, float *tensor)
{
    int *xi = lfr_alloc((size_t)out_w * sizeof *xi);
    float *xf = lfr_alloc((size_t)out_w * sizeof *xf);
    if (!xi || !xf) {
        lfr_free(xi);
        lfr_free(xf);
        return 0;
    }
    int last_x = img->width - 1, last_y = img->height - 1;
    for (int x = 0; x < out_w; x++) {
        float fx = x0 + ((float)x + 0.5f) * sx - 0.5f;
        if (fx < 0) fx = 0;
        if (fx > (float)last_x) fx = (float)last_x;
        xi[x] = (int)fx;
        if (xi[x] >= last_x) xi[x] = last_x > 0 ? last_x - 1 : 0;
        xf[x] = last_x > 0 ? fx - (float)xi[x] : 0.0f;
    }
    size_t plane = (size_t)out_w * (size_t)out_h;
    size_t row_bytes = (size_t)img->width * 3;
    int step = last_x > 0 ? 3 : 0, grey = m->colour == COLOUR_GREY;
    float mean = m->mean, scale = m->scale;
    float *dst[3];
    channel_planes(tensor, plane, order, dst);
    for (int y = 0; y < out_h; y++) {
        float fy = y0 + ((float)y + 0.5f) * sy - 0.5f;
        if (fy < 0) fy = 0;
        if (fy > (float)last_y) fy = (float)last_y;
        int yi = (int)fy;
        if (yi >= last_y) yi = last_y > 0 ? last_y - 1 : 0;
        float wy = last_y > 0 ? fy - (float)yi : 0.0f;
        const uint8_t *r0 = img->rgb + (size_t)yi * row_bytes;
        const uint8_t *r1 = last_y > 0 ? r0 + row_bytes : r0;
        size_t at = (size_t)y * (size_t)out_w;
        for (int x = 0; x < out_w; x++) {
            const uint8_t *a = r0 + (size_t)xi[x] * 3, *b = r1 + (size_t)xi[x] * 3;
            float wx = xf[x], v[3];
            for (int c = 0; c < 3; c++) {
                float top = a[c] + wx * (float)(a[c + step] - a[c]);
                float bot = b[c] + wx * (float)(b[c + step] - b[c]);
                v[c] = top + wy * (bot - top);
            }
            if (grey) {
                put_pixel(tensor, at + (size_t)x, plane, m, order, v);
            } else {
                dst[0][at + (size_t)x] = (v[0] - mean) * scale;
                dst[1][at + (size_t)x] = (v[1] - mean) * scale;
                dst[2][at + (size_t)x] = (v[2] - mean) * scale;
            }
        }
    }
    lfr_free(xi);
    lfr_free(xf);
    return 1;
}

/* Exactly half size (1080p to 540p): the mean of each 2x2 block, which is
 * both faster than bilinear taps and free of aliasing. */
static void halve_inside(const lfr_image *img, int x0, int y0, int out_w, int out_h,
                         const manifest *m, const int *order, float *tensor)
{
    size_t plane = (size_t)out_w * (size_t)out_h, row = (size_t)img->width * 3;
    if (m->colour == COLOUR_GREY) {
        for (int y = 0; y < out_h; y++) {
            const uint8_t *r0 = img->rgb + (size_t)(y0 + 2 * y) * row + (size_t)x0 * 3;
            for (int x = 0; x < out_w; x++) {
                const uint8_t *a = r0 + (size_t)x * 6, *b = a + row;
                float v[3];
                for (int c = 0; c < 3; c++)
                    v[c] = (float)(a[c] + a[c + 3] + b[c] + b[c + 3]) * 0.25f;
                put_pixel(tensor, (size_t)y * (size_t)out_w + (size_t)x, plane, m, order, v);
            }
        }
        return;
    }
    /* Colour: the sum of four pixels scaled straight into each plane. */
    float k = 0.25f * m->scale, off = -m->mean * m->scale;
    float *dst[3];
    channel_planes(tensor, plane, order, dst);
    for (int y = 0; y < out_h; y++) {
        const uint8_t *a = img->rgb + (size_t)(y0 + 2 * y) * row + (size_t)x0 * 3;
        const uint8_t *b = a + row;
        float *d0 = dst[0] + (size_t)y * out_w, *d1 = dst[1] + (size_t)y * out_w,
              *d2 = dst[2] + (size_t)y * out_w;
        for (int x = 0; x < out_w; x++, a += 6, b += 6) {
            d0[x] = (float)(a[0] + a[3] + b[0] + b[3]) * k + off;
            d1[x] = (float)(a[1] + a[4] + b[1] + b[4]) * k + off;
            d2[x] = (float)(a[2] + a[5] + b[2] + b[5]) * k + off;
        }
    }
}

/* One output row of shrink_by_factor from its column sums; inlined with k
 * a constant for the common factor so the compiler unrolls the taps. */
static inline __attribute__((always_inline)) void
block_means(const uint16_t *restrict cols, int k, int out_w, size_t at, float inv,
            const manifest *m, const int *order, size_t plane, float *tensor, float *restrict d0,
            float *restrict d1, float *restrict d2)
{
    float mean = m->mean, scale = m->scale;
    for (int x = 0; x < out_w; x++) {
        const uint16_t *c = cols + (size_t)x * (size_t)k * 3;
        uint32_t acc[3] = {0, 0, 0};
        for (int j = 0; j < k; j++) {
            acc[0] += c[3 * j];
            acc[1] += c[3 * j + 1];
            acc[2] += c[3 * j + 2];
        }
        float v[3] = {(float)acc[0] * inv, (float)acc[1] * inv, (float)acc[2] * inv};
        if (m->colour == COLOUR_GREY) {
            put_pixel(tensor, at + (size_t)x, plane, m, order, v);
        } else {
            d0[at + (size_t)x] = (v[0] - mean) * scale;
            d1[at + (size_t)x] = (v[1] - mean) * scale;
            d2[at + (size_t)x] = (v[2] - mean) * scale;
        }
    }
}

/* Shrinking by a whole factor k of 3 or more (1080p to 640x360): the mean of
 * each k x k block, as shrink_inside computes it, with the k rows summed
 * first into one row of column sums over contiguous bytes. Returns 0 if it
 * cannot allocate. */
static int shrink_by_factor(const lfr_image *img, int x0, int y0, int k, int out_w, int out_h,
                            const manifest *m, const int *order, float *tensor)
{
    size_t plane = (size_t)out_w * (size_t)out_h, row = (size_t)img->width * 3;
    size_t span = (size_t)out_w * (size_t)k * 3;
    uint16_t *cols = lfr_alloc(span * sizeof *cols); /* k * 255 fits for k <= 257 */
    if (!cols) return 0;
    float inv = 1.0f / (float)(k * k);
    float *dst[3];
    channel_planes(tensor, plane, order, dst);
    for (int y = 0; y < out_h; y++) {
        const uint8_t *restrict s = img->rgb + (size_t)(y0 + k * y) * row + (size_t)x0 * 3;
        uint16_t *restrict sums = cols;
        for (size_t i = 0; i < span; i++)
            sums[i] = s[i];
        for (int r = 1; r < k; r++) {
            s += row;
            for (size_t i = 0; i < span; i++)
                sums[i] = (uint16_t)(sums[i] + s[i]);
        }
        size_t at = (size_t)y * (size_t)out_w;
        if (k == 3)
            block_means(sums, 3, out_w, at, inv, m, order, plane, tensor, dst[0], dst[1], dst[2]);
        else
            block_means(sums, k, out_w, at, inv, m, order, plane, tensor, dst[0], dst[1], dst[2]);
    }
    lfr_wipe_free(cols, span * sizeof *cols); /* sums of the frame's pixels */
    return 1;
}

/* Shrinking by more than 2 inside the image: each output pixel is the mean
 * of the source pixels its area covers (a box filter), with the column
 * spans computed once. Returns 0 if it cannot allocate. */
static int shrink_inside(const lfr_image *img, float x0, float y0, float sx, float sy, int out_w,
                         int out_h, const manifest *m, const int *order, float *tensor)
{
    int *xa = lfr_alloc((size_t)out_w * 2 * sizeof *xa);
    if (!xa) return 0;
    for (int x = 0; x < out_w; x++) {
        int a = (int)(x0 + x * sx), b = (int)(x0 + (x + 1) * sx);
        if (b <= a) b = a + 1;
        if (b > img->width) b = img->width;
        if (a >= b) a = b - 1;
        xa[2 * x] = a;
        xa[2 * x + 1] = b;
    }
    size_t plane = (size_t)out_w * (size_t)out_h, row = (size_t)img->width * 3;
    for (int y = 0; y < out_h; y++) {
        int ya = (int)(y0 + y * sy), yb = (int)(y0 + (y + 1) * sy);
        if (yb <= ya) yb = ya + 1;
        if (yb > img->height) yb = img->height;
        if (ya >= yb) ya = yb - 1;
        for (int x = 0; x < out_w; x++) {
            uint32_t acc[3] = {0, 0, 0};
            for (int yy = ya; yy < yb; yy++) {
                const uint8_t *p = img->rgb + (size_t)yy * row + (size_t)xa[2 * x] * 3;
                for (int xx = xa[2 * x]; xx < xa[2 * x + 1]; xx++, p += 3) {
                    acc[0] += p[0];
                    acc[1] += p[1];
                    acc[2] += p[2];
                }
            }
            float inv = 1.0f / (float)((yb - ya) * (xa[2 * x + 1] - xa[2 * x]));
            float v[3] = {acc[0] * inv, acc[1] * inv, acc[2] * inv};
            put_pixel(tensor, (size_t)y * (size_t)out_w + (size_t)x, plane, m, order, v);
        }
    }
    lfr_free(xa);
    return 1;
}

void preprocess_region(const lfr_image *img, float x0, float y0, float w, float h, int out_w,
                       int out_h, const manifest *m, float *tensor)
{
    float sx = w / (float)out_w, sy = h / (float)out_h;
    size_t plane = (size_t)out_w * (size_t)out_h;
    const int rgb_order[3] = {0, 1, 2}, bgr_order[3] = {2, 1, 0};
    const int *order = m->colour == COLOUR_BGR ? bgr_order : rgb_order;
    /* Downscaling by more than 2 would alias with plain bilinear sampling:
     * average a small grid of samples per output pixel instead. */
    int taps_x = sx > 2.0f ? (int)(sx / 2.0f + 0.5f) + 1 : 1;
    int taps_y = sy > 2.0f ? (int)(sy / 2.0f + 0.5f) + 1 : 1;
    if (taps_x > 4) taps_x = 4;
    if (taps_y > 4) taps_y = 4;
    int inside = x0 >= 0 && y0 >= 0 && x0 + w <= (float)img->width && y0 + h <= (float)img->height;
    int whole = inside && x0 == (float)(int)x0 && y0 == (float)(int)y0;
    int factor = sx == sy && sx >= 1.0f && sx <= 16.0f && sx == (float)(int)sx ? (int)sx : 0;
    if (whole && factor == 1) {
        copy_inside(img, (int)x0, (int)y0, out_w, out_h, m, order, tensor);
        return;
    }
    if (whole && factor == 2) {
        halve_inside(img, (int)x0, (int)y0, out_w, out_h, m, order, tensor);
        return;
    }
    if (whole && factor >= 3 && factor <= 16 &&
        shrink_by_factor(img, (int)x0, (int)y0, factor, out_w, out_h, m, order, tensor))
        return;
    if (inside && taps_x == 1 && taps_y == 1 &&
        resize_inside(img, x0, y0, sx, sy, out_w, out_h, m, order, tensor))
        return;
    if (inside && sx >= 1.0f && sy >= 1.0f &&
        shrink_inside(img, x0, y0, sx, sy, out_w, out_h, m, order, tensor))
        return;
    float norm = 1.0f / (float)(taps_x * taps_y);
    for (int y = 0; y < out_h; y++) {
        for (int x = 0; x < out_w; x++) {
            float acc[3] = {0, 0, 0};
            for (int ty = 0; ty < taps_y; ty++) {
                float syy = y0 + ((float)y + (ty + 0.5f) / (float)taps_y) * sy - 0.5f;
                for (int tx = 0; tx < taps_x; tx++) {
                    float sxx = x0 + ((float)x + (tx + 0.5f) / (float)taps_x) * sx - 0.5f;
                    float v[3];
                    lfr_image_sample(img, sxx, syy, v);
                    for (int c = 0; c < 3; c++)
                        acc[c] += v[c];
                }
            }
            for (int c = 0; c < 3; c++)
                acc[c] *= norm;
            put_pixel(tensor, (size_t)y * (size_t)out_w + (size_t)x, plane, m, order, acc);
        }
    }
}
