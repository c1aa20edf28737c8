/* vision/detector.c - one pass of an SSD-style face detector, box decoding and
 * non-maximum suppression.
 *
 * Two output forms are understood, as the manifest says: boxes already
 * decoded to frame-relative corners ("corners", the published 320x240
 * UltraFace), or raw regressions against priors generated here for whatever
 * input size is run ("priors", the resolution-free UltraFace).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float clamp01(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

static size_t prior_count(const manifest *m, int in_w, int in_h)
{
    size_t n = 0;
    for (int l = 0; l < m->n_levels; l++) {
        size_t fw = (size_t)((in_w + m->strides[l] - 1) / m->strides[l]);
        size_t fh = (size_t)((in_h + m->strides[l] - 1) / m->strides[l]);
        n += fw * fh * (size_t)m->n_sizes[l];
    }
    return n;
}

/* Appends a face (frame-relative corners scaled to the image). */
static int push_face(lfr_face **faces, int *n, int *cap, float x1, float y1, float x2, float y2,
                     float score, float img_w, float img_h)
{
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 64;
        lfr_face *nf = lfr_realloc(*faces, (size_t)ncap * sizeof **faces);
        if (!nf) return LFR_ENOMEM;
        *faces = nf;
        *cap = ncap;
    }
    lfr_face *f = &(*faces)[(*n)++];
    memset(f, 0, sizeof *f);
    f->x1 = clamp01(x1) * img_w;
    f->y1 = clamp01(y1) * img_h;
    f->x2 = clamp01(x2) * img_w;
    f->y2 = clamp01(y2) * img_h;
    f->score = score;
    return LFR_OK;
}

/* A prior sits at the centre of its feature cell, (i + 0.5) * stride input
 * pixels. The published graph spaces them width / ceil(width / stride)
 * apart instead, which is the same only when the stride divides the input:
 * at 960x540 or 640x360 boxes drift by up to half a cell towards the far
 * edge, and the landmarks found in them drift too. With cell centres the
 * 5 points on the dlib annotations are 0.039 inter-eye distances off
 * instead of 0.066 (test_vision), and stills and LFW match better
 * (docs/accuracy.md, engine revision 5). */
static int decode_priors(const manifest *m, int in_w, int in_h, const float *scores,
                         const float *reg, float score_min, float img_w, float img_h,
                         lfr_face **faces, int *n, int *cap)
{
    size_t k = 0;
    for (int l = 0; l < m->n_levels; l++) {
        int s = m->strides[l];
        int fw = (in_w + s - 1) / s, fh = (in_h + s - 1) / s;
        for (int j = 0; j < fh; j++) {
            for (int i = 0; i < fw; i++) {
                for (int a = 0; a < m->n_sizes[l]; a++, k++) {
                    float score = scores[2 * k + 1];
                    if (score < score_min) continue;
                    float pcx = clamp01(((float)i + 0.5f) * (float)s / (float)in_w);
                    float pcy = clamp01(((float)j + 0.5f) * (float)s / (float)in_h);
                    float pw = clamp01(m->min_sizes[l][a] / (float)in_w);
                    float ph = clamp01(m->min_sizes[l][a] / (float)in_h);
                    const float *r = reg + 4 * k;
                    float cx = pcx + r[0] * m->center_variance * pw;
                    float cy = pcy + r[1] * m->center_variance * ph;
                    float w = pw * expf(r[2] * m->size_variance);
                    float h = ph * expf(r[3] * m->size_variance);
                    if (push_face(faces, n, cap, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2,
                                  score, img_w, img_h))
                        return LFR_ENOMEM;
                }
            }
        }
    }
    return LFR_OK;
}

static int by_score_desc(const void *a, const void *b)
{
    float sa = ((const lfr_face *)a)->score, sb = ((const lfr_face *)b)->score;
    return (sa < sb) - (sa > sb);
}

float lfr_face_iou(const lfr_face *a, const lfr_face *b)
{
    float ix = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float iy = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    if (ix <= 0 || iy <= 0) return 0.0f;
    float inter = ix * iy;
    float ua = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return ua > 0 ? inter / ua : 0.0f;
}

/* Share of a's area inside b. */
static float inside_share(const lfr_face *a, const lfr_face *b)
{
    float ix = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float iy = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    float area = (a->x2 - a->x1) * (a->y2 - a->y1);
    return ix > 0 && iy > 0 && area > 0 ? ix * iy / area : 0.0f;
}

int faces_nms(lfr_face *faces, int n, float iou_max)
{
    if (n > 1) qsort(faces, (size_t)n, sizeof *faces, by_score_desc);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        /* Besides overlapping boxes, drop one lying mostly inside a better
         * box: a face filling more than the detector's largest prior comes
         * out as a whole-face box plus boxes on its parts (chin, mouth). */
        for (int j = 0; j < kept && keep; j++)
            if (lfr_face_iou(&faces[i], &faces[j]) > iou_max ||
                inside_share(&faces[i], &faces[j]) > 0.8f)
                keep = 0;
        if (keep) faces[kept++] = faces[i];
    }
    return kept;
}

int detector_run(lfr_ctx *ctx, const lfr_model *det, const lfr_image *img, int in_w, int in_h,
                 float score_min, lfr_face **faces, int *n_faces)
{
    const manifest *m = &det->man;
    *faces = NULL;
    *n_faces = 0;
    if (m->input_w && (in_w != m->input_w || in_h != m->input_h))
        return lfr_fail(ctx, LFR_EINVAL, "%s: runs only at %dx%d, not %dx%d", m->name, m->input_w,
                        m->input_h, in_w, in_h);
    if (in_w < 16 || in_h < 16 || in_w > 8192 || in_h > 8192)
        return lfr_fail(ctx, LFR_EINVAL, "%s: input size %dx%d outside 16..8192", m->name, in_w,
                        in_h);
    if (score_min <= 0) score_min = m->score_threshold;
    size_t plane = (size_t)in_w * (size_t)in_h;
    float *tensor = lfr_alloc(3 * plane * sizeof(float));
    if (!tensor) return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory for the input", m->name);
    preprocess_region(img, 0, 0, (float)img->width, (float)img->height, in_w, in_h, m, tensor);
    int64_t shape[4] = {1, 3, in_h, in_w};
    ort_output out[2];
    int rc = ort_run(ctx, det, tensor, shape, out);
    lfr_wipe_free(tensor, 3 * plane * sizeof(float));
    if (rc) return rc;

    size_t n = out[0].count / 2;
    if (out[1].count != 4 * n || (m->decode == DECODE_PRIORS && n != prior_count(m, in_w, in_h))) {
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: %zu scores and %zu boxes do not fit %dx%d input",
                      m->name, out[0].count, out[1].count, in_w, in_h);
        goto done;
    }
    int cap = 0;
    float iw = (float)img->width, ih = (float)img->height;
    if (m->decode == DECODE_PRIORS) {
        rc = decode_priors(m, in_w, in_h, out[0].data, out[1].data, score_min, iw, ih, faces,
                           n_faces, &cap);
    } else {
        for (size_t k = 0; k < n && rc == LFR_OK; k++) {
            const float *b = out[1].data + 4 * k;
            float score = out[0].data[2 * k + 1];
            if (score >= score_min)
                rc = push_face(faces, n_faces, &cap, b[0], b[1], b[2], b[3], score, iw, ih);
        }
    }
    if (rc) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory for detections", m->name);
        goto done;
    }
    *n_faces = faces_nms(*faces, *n_faces, m->nms_iou);
done:
    ort_output_free(out, 2);
    if (rc) {
        lfr_free(*faces);
        *faces = NULL;
        *n_faces = 0;
    }
    return rc;
}
