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
    for (int c = 0; c < 3; c++) tensor[(size_t)c * plane + i] = (v[order[c]] - m->mean) * m->scale;
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
    for (int y = 0; y < out_h; y++) {
        float fy = y0 + ((float)y + 0.5f) * sy - 0.5f;
        if (fy < 0) fy = 0;
        if (fy > (float)last_y) fy = (float)last_y;
        int yi = (int)fy;
        if (yi >= last_y) yi = last_y > 0 ? last_y - 1 : 0;
        float wy = last_y > 0 ? fy - (float)yi : 0.0f;
        const uint8_t *r0 = img->rgb + (size_t)yi * row_bytes;
        const uint8_t *r1 = last_y > 0 ? r0 + row_bytes : r0;
        for (int x = 0; x < out_w; x++) {
            const uint8_t *a = r0 + (size_t)xi[x] * 3, *b = r1 + (size_t)xi[x] * 3;
            int step = last_x > 0 ? 3 : 0;
            float wx = xf[x], v[3];
            for (int c = 0; c < 3; c++) {
                float top = a[c] + wx * (float)(a[c + step] - a[c]);
                float bot = b[c] + wx * (float)(b[c + step] - b[c]);
                v[c] = top + wy * (bot - top);
            }
            put_pixel(tensor, (size_t)y * (size_t)out_w + (size_t)x, plane, m, order, v);
        }
    }
    lfr_free(xi);
    lfr_free(xf);
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
    if (inside && taps_x == 1 && taps_y == 1 &&
        resize_inside(img, x0, y0, sx, sy, out_w, out_h, m, order, tensor))
        return;
    float norm = 1.0f / (float)(taps_x * taps_y);
    for (int y = 0; y < out_h; y++) {
        for (int x = 0; x < out_w; x++) {
            float acc[3] = {0, 0, 0};
            for (int ty = 0; ty < taps_y; ty++) {
                float syy = y0 + ((float)y + (ty + 0.5f) / (float)taps_y) * sy - 0.5f;
                for (int tx = 0; tx < taps_x; tx++) {
                    float sxx = x0 + ((float)x + (tx + 0.5f) / (float)taps_x) * sx - 0.5f;
                    for (int c = 0; c < 3; c++) acc[c] += lfr_image_sample(img, sxx, syy, c);
                }
            }
            for (int c = 0; c < 3; c++) acc[c] *= norm;
            put_pixel(tensor, (size_t)y * (size_t)out_w + (size_t)x, plane, m, order, acc);
        }
    }
}
