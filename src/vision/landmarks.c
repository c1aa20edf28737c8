/* vision/landmarks.c - 68 facial points from a detection, reduced to the 5
 * the aligner uses.
 *
 * The crop follows how the network was trained: a square of side
 * crop_scale * sqrt(w * h) on the box centre, moved left by shift_x * side.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#define LM_GREY_SIDE 64

/* Means of 68-point indices (0-based) for eye centres and mouth corners. */
static void five_from_68(const float *p, float side, float x0, float y0, float out[5][2])
{
    static const int groups[5][4] = {
        {37, 38, 40, 41}, {43, 44, 46, 47}, {30, -1, -1, -1}, {48, 60, -1, -1}, {54, 64, -1, -1}};
    for (int g = 0; g < 5; g++) {
        float sx = 0, sy = 0;
        int n = 0;
        for (int k = 0; k < 4 && groups[g][k] >= 0; k++, n++) {
            sx += p[2 * groups[g][k]];
            sy += p[2 * groups[g][k] + 1];
        }
        out[g][0] = x0 + sx / (float)n * side;
        out[g][1] = y0 + sy / (float)n * side;
    }
}

int landmarks_run(lfr_ctx *ctx, const lfr_model *lm, const lfr_image *img,
                               lfr_face *face)
{
    const manifest *m = &lm->man;
    float w = face->x2 - face->x1, h = face->y2 - face->y1;
    if (!(w > 1.0f && h > 1.0f))
        return lfr_fail(ctx, LFR_EINVAL, "%s: face box %.1fx%.1f is too small", m->name, w, h);
    float side = m->crop_scale * sqrtf(w * h);
    float cx = (face->x1 + face->x2) / 2 + m->crop_shift_x * side;
    float cy = (face->y1 + face->y2) / 2;
    float x0 = cx - side / 2, y0 = cy - side / 2;
    size_t n_in = (size_t)m->input_w * (size_t)m->input_h;
    float tensor[LM_GREY_SIDE * LM_GREY_SIDE];
    float *input = n_in <= LM_GREY_SIDE * LM_GREY_SIDE ? tensor : lfr_alloc(n_in * sizeof(float));
    if (!input) return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", m->name);
    preprocess_region(img, x0, y0, side, side, m->input_w, m->input_h, m, input);
    int64_t shape[4] = {1, 1, m->input_h, m->input_w};
    ort_output out;
    int rc = ort_run(ctx, lm, input, shape, &out);
    if (rc == LFR_OK) {
        if (out.count != (size_t)(2 * m->n_points)) {
            rc = lfr_fail(ctx, LFR_EMODEL, "%s: %zu outputs, expected %d", m->name, out.count,
                          2 * m->n_points);
        } else {
            five_from_68(out.data, side, x0, y0, face->points);
            /* Quality reads the same normalised grey crop the network saw;
             * undo the manifest's scaling to get 0-255 grey levels. */
            if (m->input_w == LM_GREY_SIDE && m->input_h == LM_GREY_SIDE) {
                float grey[LM_GREY_SIDE * LM_GREY_SIDE];
                for (size_t i = 0; i < n_in; i++) grey[i] = input[i] / m->scale + m->mean;
                quality_measure(img, face, grey);
                lfr_wipe(grey, sizeof grey);
            } else {
                quality_measure(img, face, NULL);
            }
        }
        ort_output_free(&out, 1);
    }
    lfr_wipe(input, n_in * sizeof(float));
    if (input != tensor) lfr_free(input);
    return rc;
}
