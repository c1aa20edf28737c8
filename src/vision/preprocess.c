/* vision/preprocess.c - image region to a network's input tensor.
 *
 * One pass does crop, resize, colour order and normalisation, so no
 * intermediate image is made (and none is left to wipe).
 */
#include "internal.h"

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
            size_t i = (size_t)y * (size_t)out_w + (size_t)x;
            if (m->colour == COLOUR_GREY) {
                float g = (0.299f * acc[0] + 0.587f * acc[1] + 0.114f * acc[2]) * norm;
                tensor[i] = (g - m->mean) * m->scale;
            } else {
                for (int c = 0; c < 3; c++)
                    tensor[(size_t)c * plane + i] = (acc[order[c]] * norm - m->mean) * m->scale;
            }
        }
    }
}
