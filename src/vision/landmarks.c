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

/* One pass of the network on the crop centred at (cx, cy); with mirror set,
 * the crop is flipped left-right before the network sees it and the points
 * are flipped back, so the pass sees the face as in a mirror. */
static int landmark_pass(lfr_ctx *ctx, const lfr_model *lm, const lfr_image *img, float cx,
                         float cy, float side, int mirror, float *input, float out5[5][2])
{
    const manifest *m = &lm->man;
    float x0 = cx - side / 2, y0 = cy - side / 2;
    preprocess_region(img, x0, y0, side, side, m->input_w, m->input_h, m, input);
    if (mirror) {
        for (int y = 0; y < m->input_h; y++) {
            float *row = input + (size_t)y * (size_t)m->input_w;
            for (int a = 0, b = m->input_w - 1; a < b; a++, b--) {
                float t = row[a];
                row[a] = row[b];
                row[b] = t;
            }
        }
    }
    int64_t shape[4] = {1, 1, m->input_h, m->input_w};
    ort_output out;
    int rc = ort_run(ctx, lm, input, shape, &out);
    if (rc) return rc;
    if (out.count != (size_t)(2 * m->n_points)) {
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: %zu outputs, expected %d", m->name, out.count,
                      2 * m->n_points);
    } else {
        five_from_68(out.data, side, x0, y0, out5);
        if (mirror) {
            /* Back to the image: x mirrors about the crop centre, and the
             * mirror's left eye and mouth corner are the face's right ones. */
            float tmp[5][2];
            static const int swap[5] = {1, 0, 2, 4, 3};
            for (int k = 0; k < 5; k++) {
                tmp[swap[k]][0] = 2 * cx - out5[k][0];
                tmp[swap[k]][1] = out5[k][1];
            }
            memcpy(out5, tmp, sizeof tmp);
        }
    }
    ort_output_free(&out, 1);
    return rc;
}

int landmarks_run(lfr_ctx *ctx, const lfr_model *lm, const lfr_image *img, lfr_face *face)
{
    const manifest *m = &lm->man;
    float w = face->x2 - face->x1, h = face->y2 - face->y1;
    if (!(w > 1.0f && h > 1.0f))
        return lfr_fail(ctx, LFR_EINVAL, "%s: face box %.1fx%.1f is too small", m->name, w, h);
    size_t n_in = (size_t)m->input_w * (size_t)m->input_h;
    float *input = lfr_alloc(n_in * sizeof(float));
    if (!input) return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", m->name);
    /* The network is noisy by a few pixels; the mean of a direct and a
     * mirrored pass halves that noise and aligns faces measurably better
     * (docs/accuracy.md). The mirrored crop is shifted the other way, so it
     * is exactly what the mirror image would have given. */
    float side = m->crop_scale * sqrtf(w * h);
    float bx = (face->x1 + face->x2) / 2, cy = (face->y1 + face->y2) / 2;
    float direct[5][2], mirrored[5][2];
    int rc = landmark_pass(ctx, lm, img, bx - m->crop_shift_x * side, cy, side, 1, input, mirrored);
    if (rc == LFR_OK)
        rc = landmark_pass(ctx, lm, img, bx + m->crop_shift_x * side, cy, side, 0, input, direct);
    if (rc == LFR_OK) {
        for (int k = 0; k < 5; k++)
            for (int c = 0; c < 2; c++)
                face->points[k][c] = (direct[k][c] + mirrored[k][c]) / 2;
        /* Quality reads the grey crop of the direct pass, as 0-255 levels. */
        if (m->input_w == LM_GREY_SIDE && m->input_h == LM_GREY_SIDE) {
            for (size_t i = 0; i < n_in; i++)
                input[i] = input[i] / m->scale + m->mean;
            quality_measure(face, input);
        } else {
            quality_measure(face, NULL);
        }
    }
    lfr_wipe_free(input, n_in * sizeof(float));
    return rc;
}
