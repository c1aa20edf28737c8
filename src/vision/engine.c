/* vision/engine.c - the three networks together: faces of a still image at
 * the scales it needs, landmarks, alignment and embedding (one embedder, or
 * a fusion of several whose members may run on threads of their own).
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct lfr_engine {
    lfr_engine_params p;
    lfr_model *detector;
    lfr_model *landmarks;
    lfr_model *embedder;
};

lfr_engine_params lfr_engine_default_params(void)
{
    /* Keep in step with the field comments in lfr/vision.h. */
    return (lfr_engine_params){
        .model_dir = NULL,
        .detector = "ultraface_anysize",
        .landmarks = "landmark68",
        .embedder = "fusion_512_192",
        .detect_max_side_px = 1920,
        .detect_min_side_px = 240,
        .detect_score_min = 0.0f,
        .max_faces = 256,
        .embed_flip = 0,
        .fusion_parallel = 1,
    };
}

static int expect_kind(lfr_ctx *ctx, const lfr_model *m, lfr_model_kind kind, const char *role)
{
    if (lfr_model_kind_of(m) == kind) return LFR_OK;
    return lfr_fail(ctx, LFR_EMODEL, "model '%s' is not a %s", lfr_model_name(m), role);
}

int lfr_engine_new(lfr_ctx *ctx, lfr_runtime *rt, const lfr_engine_params *p, lfr_engine **out)
{
    *out = NULL;
    lfr_engine_params defaults = lfr_engine_default_params();
    if (!p) p = &defaults;
    if (p->detect_max_side_px < 64 || p->detect_min_side_px < 16 ||
        p->detect_min_side_px > p->detect_max_side_px || p->max_faces < 1)
        return lfr_fail(ctx, LFR_EINVAL,
                        "engine parameters: detect sides %d..%d px or max_faces %d out of range",
                        p->detect_min_side_px, p->detect_max_side_px, p->max_faces);
    lfr_engine *e = lfr_calloc(1, sizeof *e);
    if (!e) return lfr_fail(ctx, LFR_ENOMEM, "engine: out of memory");
    e->p = *p;
    e->p.model_dir = NULL; /* borrowed only during loading */
    int rc;
    if ((rc = lfr_model_load(ctx, rt, p->model_dir, p->detector, &e->detector)) ||
        (rc = expect_kind(ctx, e->detector, LFR_MODEL_DETECTOR, "face detector")) ||
        (rc = lfr_model_load(ctx, rt, p->model_dir, p->landmarks, &e->landmarks)) ||
        (rc = expect_kind(ctx, e->landmarks, LFR_MODEL_LANDMARKS, "landmark model")) ||
        (rc = lfr_model_load(ctx, rt, p->model_dir, p->embedder, &e->embedder)) ||
        (rc = expect_kind(ctx, e->embedder, LFR_MODEL_EMBEDDER, "face embedder")))
        goto fail;
    if (!e->embedder->man.n_members && e->embedder->man.n_align_points != 5) {
        rc = lfr_fail(ctx, LFR_EMODEL, "model '%s': alignment needs 5 reference points, has %d",
                      e->embedder->man.name, e->embedder->man.n_align_points);
        goto fail;
    }
    /* The names were borrowed; keep them pointing at our manifests. */
    e->p.detector = e->detector->man.name;
    e->p.landmarks = e->landmarks->man.name;
    e->p.embedder = e->embedder->man.name;
    *out = e;
    return LFR_OK;
fail:
    lfr_engine_free(e);
    return rc;
}

void lfr_engine_free(lfr_engine *e)
{
    if (!e) return;
    lfr_model_free(e->detector);
    lfr_model_free(e->landmarks);
    lfr_model_free(e->embedder);
    lfr_free(e);
}

int lfr_engine_embedding_size(const lfr_engine *e)
{
    return e->embedder->man.embedding_size;
}

float lfr_engine_threshold(const lfr_engine *e)
{
    return e->embedder->man.threshold;
}

const lfr_model *lfr_engine_model(const lfr_engine *e, lfr_model_kind kind)
{
    return kind == LFR_MODEL_DETECTOR    ? e->detector
           : kind == LFR_MODEL_LANDMARKS ? e->landmarks
                                         : e->embedder;
}

int lfr_engine_detect_at(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, int in_w,
                         int in_h, float score_min, lfr_face **faces, int *n_faces)
{
    return detector_run(ctx, e->detector, img, in_w, in_h,
                        score_min > 0 ? score_min : e->p.detect_score_min, faces, n_faces);
}

int lfr_engine_landmarks(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, lfr_face *face)
{
    return landmarks_run(ctx, e->landmarks, img, face);
}

/* The scales a still is searched at: the image brought within the side
 * limits, then halved while it is large, since UltraFace finds faces of
 * about 10 to 250 input pixels and each halving covers the next octave. */
static int pyramid(const lfr_engine *e, const lfr_image *img, float scales[8])
{
    const manifest *m = &e->detector->man;
    if (m->input_w) {
        scales[0] = 1.0f;
        return 1;
    }
    float big = (float)(img->width > img->height ? img->width : img->height);
    float small = (float)(img->width < img->height ? img->width : img->height);
    float s = 1.0f;
    if (big > (float)e->p.detect_max_side_px)
        s = (float)e->p.detect_max_side_px / big;
    else if (small < (float)e->p.detect_min_side_px)
        s = (float)e->p.detect_min_side_px / small;
    int n = 0;
    scales[n++] = s;
    while (n < 8 && big * s > 400.0f) {
        s /= 2.0f;
        scales[n++] = s;
    }
    return n;
}

/* Widest face (in network input pixels) a level is trusted with: below
 * UltraFace's largest prior of 256 px, with a margin. */
#define MAX_WHOLE_FACE_PX 200.0f

static int input_side(const manifest *m, int img_side, float s, int fixed)
{
    if (m->input_w) return fixed;
    int v = (int)lroundf((float)img_side * s);
    return v < 16 ? 16 : v;
}

int lfr_engine_detect(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, lfr_face **faces,
                      int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    float scales[8];
    int n_scales = pyramid(e, img, scales);
    const manifest *m = &e->detector->man;
    lfr_face *all = NULL;
    int n_all = 0, rc = LFR_OK;
    for (int i = 0; i < n_scales; i++) {
        lfr_face *level = NULL;
        int n_level = 0;
        rc = detector_run(ctx, e->detector, img, input_side(m, img->width, scales[i], m->input_w),
                          input_side(m, img->height, scales[i], m->input_h), e->p.detect_score_min,
                          &level, &n_level);
        if (rc) goto fail;
        /* A face wider than the detector's largest prior comes out cut into
         * pieces (DESIGN.md); a coarser level sees it whole, so a level
         * keeps only the faces it can see whole, the coarsest all. */
        int kept = 0;
        for (int k = 0; k < n_level; k++)
            if (i == n_scales - 1 || (level[k].x2 - level[k].x1) * scales[i] <= MAX_WHOLE_FACE_PX)
                level[kept++] = level[k];
        n_level = kept;
        if (n_level) {
            lfr_face *grown = lfr_realloc(all, (size_t)(n_all + n_level) * sizeof *all);
            if (!grown) {
                lfr_free(level);
                rc = lfr_fail(ctx, LFR_ENOMEM, "detection: out of memory");
                goto fail;
            }
            all = grown;
            memcpy(all + n_all, level, (size_t)n_level * sizeof *all);
            n_all += n_level;
        }
        lfr_free(level);
    }
    n_all = faces_nms(all, n_all, m->nms_iou);
    if (n_all > e->p.max_faces) n_all = e->p.max_faces;
    for (int i = 0; i < n_all; i++)
        if ((rc = landmarks_run(ctx, e->landmarks, img, &all[i]))) goto fail;
    if (n_all == 0) {
        lfr_free(all);
        all = NULL;
    }
    *faces = all;
    *n_faces = n_all;
    return LFR_OK;
fail:
    lfr_free(all);
    return rc;
}

int align_for(lfr_ctx *ctx, const lfr_model *emb, const lfr_image *img, const lfr_face *face,
              lfr_image **out)
{
    *out = NULL;
    const manifest *m = &emb->man;
    lfr_affine map;
    int rc = lfr_similarity_fit(ctx, (const float(*)[2])face->points,
                                (const float(*)[2])m->align_points, 5, &map);
    if (rc) return rc;
    lfr_image *crop = NULL;
    if ((rc = lfr_image_new_locked(ctx, m->input_w, m->input_h, &crop))) return rc;
    if ((rc = lfr_image_warp(ctx, img, &map, crop))) {
        lfr_image_free(crop);
        return rc;
    }
    *out = crop;
    return LFR_OK;
}

int lfr_engine_align(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, const lfr_face *face,
                     lfr_image **out)
{
    const lfr_model *emb = e->embedder->man.n_members ? e->embedder->members[0] : e->embedder;
    return align_for(ctx, emb, img, face, out);
}

/* Runs the embedder on an aligned crop and adds the result into acc. */
static int embed_crop(lfr_ctx *ctx, const lfr_model *emb, const lfr_image *crop, float *tensor,
                      float *acc)
{
    const manifest *m = &emb->man;
    preprocess_region(crop, 0, 0, (float)crop->width, (float)crop->height, m->input_w, m->input_h,
                      m, tensor);
    int64_t shape[4] = {1, m->colour == COLOUR_GREY ? 1 : 3, m->input_h, m->input_w};
    ort_output out;
    int rc = ort_run(ctx, emb, tensor, shape, &out);
    if (rc) return rc;
    if (out.count != (size_t)m->embedding_size)
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: produced %zu values, the manifest says %d", m->name,
                      out.count, m->embedding_size);
    else
        for (int i = 0; i < m->embedding_size; i++)
            acc[i] += out.data[i];
    ort_output_free(&out, 1);
    return rc;
}

/* Multiplies v by scale / |v|; LFR_EMODEL for a zero or non-finite v. */
static int normalise(lfr_ctx *ctx, const char *name, float *v, int dim, double scale)
{
    double norm = 0;
    for (int i = 0; i < dim; i++)
        norm += (double)v[i] * v[i];
    if (!(norm > 1e-12) || !isfinite(norm))
        return lfr_fail(ctx, LFR_EMODEL, "%s: produced a zero or non-finite embedding", name);
    float k = (float)(scale / sqrt(norm));
    for (int i = 0; i < dim; i++)
        v[i] *= k;
    return LFR_OK;
}

/* One network's embedding of the face, times scale, L2 norm scale. */
static int embed_single(lfr_ctx *ctx, const lfr_model *emb, int flip, const lfr_image *img,
                        const lfr_face *face, double scale, float *out)
{
    const manifest *m = &emb->man;
    int dim = m->embedding_size;
    size_t tensor_len = (size_t)3 * (size_t)m->input_w * (size_t)m->input_h;
    lfr_image *crop = NULL, *mirror = NULL;
    float *tensor = NULL;
    int rc = align_for(ctx, emb, img, face, &crop);
    if (rc) return rc;
    tensor = lfr_scratch_alloc(tensor_len * sizeof(float));
    if (!tensor) {
        rc = lfr_locked_fail(ctx, "embedding");
        goto done;
    }
    memset(out, 0, (size_t)dim * sizeof(float));
    if ((rc = embed_crop(ctx, emb, crop, tensor, out))) goto done;
    if (flip) {
        if ((rc = lfr_image_flip(ctx, crop, &mirror)) ||
            (rc = embed_crop(ctx, emb, mirror, tensor, out)))
            goto done;
    }
    rc = normalise(ctx, m->name, out, dim, scale);
done:
    if (rc) lfr_wipe(out, (size_t)dim * sizeof(float));
    lfr_scratch_free(tensor);
    lfr_image_free(mirror);
    lfr_image_free(crop);
    return rc;
}

/* One member of a fusion, on a thread of its own: its own ctx, its error
 * copied out. */
typedef struct member_job {
    const lfr_model *emb;
    int flip;
    const lfr_image *img;
    const lfr_face *face;
    double scale;
    float *out;
    int rc;
    char msg[512];
} member_job;

static void *member_thread(void *arg)
{
    member_job *j = arg;
    lfr_ctx *c = NULL;
    if (lfr_ctx_new(&c)) {
        j->rc = LFR_ENOMEM;
        snprintf(j->msg, sizeof j->msg, "embedding: out of memory");
        return NULL;
    }
    j->rc = embed_single(c, j->emb, j->flip, j->img, j->face, j->scale, j->out);
    if (j->rc) snprintf(j->msg, sizeof j->msg, "%s", lfr_errmsg(c));
    lfr_ctx_free(c);
    return NULL;
}

static int embed_fusion(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img,
                        const lfr_face *face, float *out)
{
    const lfr_model *fu = e->embedder;
    int n = fu->man.n_members;
    member_job jobs[MANIFEST_MAX_MEMBERS];
    pthread_t tid[MANIFEST_MAX_MEMBERS];
    int started[MANIFEST_MAX_MEMBERS] = {0};
    float *o = out;
    for (int i = 0; i < n; i++) {
        jobs[i] = (member_job){.emb = fu->members[i],
                               .flip = e->p.embed_flip,
                               .img = img,
                               .face = face,
                               .scale = sqrt((double)fu->man.member_weight[i]),
                               .out = o};
        o += fu->members[i]->man.embedding_size;
    }
    /* Members 1.. on their own threads (or here if a thread cannot start),
     * member 0 on this one. */
    for (int i = 1; i < n && e->p.fusion_parallel; i++)
        started[i] = pthread_create(&tid[i], NULL, member_thread, &jobs[i]) == 0;
    int rc = embed_single(ctx, jobs[0].emb, jobs[0].flip, img, face, jobs[0].scale, jobs[0].out);
    for (int i = 1; i < n; i++) {
        if (started[i]) {
            pthread_join(tid[i], NULL);
            if (rc == LFR_OK && jobs[i].rc) rc = lfr_fail(ctx, jobs[i].rc, "%s", jobs[i].msg);
        } else if (rc == LFR_OK) {
            rc =
                embed_single(ctx, jobs[i].emb, jobs[i].flip, img, face, jobs[i].scale, jobs[i].out);
        }
    }
    /* The weights sum to 1, so the template has unit length already;
     * normalising again only removes rounding. */
    if (rc == LFR_OK) rc = normalise(ctx, fu->man.name, out, fu->man.embedding_size, 1.0);
    if (rc) lfr_wipe(out, (size_t)fu->man.embedding_size * sizeof(float));
    return rc;
}

int lfr_engine_embed(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, const lfr_face *face,
                     float *out)
{
    if (e->embedder->man.n_members) return embed_fusion(ctx, e, img, face, out);
    return embed_single(ctx, e->embedder, e->p.embed_flip, img, face, 1.0, out);
}

#define CONFIDENT_SCORE 0.95f

int lfr_main_face(const lfr_face *faces, int n, int img_w, int img_h)
{
    int any_confident = 0;
    for (int i = 0; i < n; i++)
        any_confident |= faces[i].score >= CONFIDENT_SCORE;
    /* A face holding the centre counts four times its area: it wins unless
     * another face is twice as wide, so a small false detection that
     * happens to sit on the centre does not beat the real face. */
    float cx = img_w / 2.0f, cy = img_h / 2.0f;
    int best = -1;
    float best_weight = -1;
    for (int i = 0; i < n; i++) {
        const lfr_face *f = &faces[i];
        if (any_confident && f->score < CONFIDENT_SCORE) continue;
        int centred = f->x1 <= cx && cx <= f->x2 && f->y1 <= cy && cy <= f->y2;
        float weight = (f->x2 - f->x1) * (f->y2 - f->y1) * (centred ? 4.0f : 1.0f);
        if (weight > best_weight) {
            best = i;
            best_weight = weight;
        }
    }
    return best;
}

int lfr_engine_embed_main(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, float *out,
                          lfr_face *face, int *n_faces)
{
    lfr_face *faces = NULL;
    int n = 0;
    if (n_faces) *n_faces = 0;
    int rc = lfr_engine_detect(ctx, e, img, &faces, &n);
    if (rc) return rc;
    if (n_faces) *n_faces = n;
    if (n == 0) return lfr_fail(ctx, LFR_ENOFACE, "no face found");
    int best = lfr_main_face(faces, n, img->width, img->height);
    rc = lfr_engine_embed(ctx, e, img, &faces[best], out);
    if (rc == LFR_OK && face) *face = faces[best];
    lfr_free(faces);
    return rc;
}

lfr_enrol_params lfr_enrol_default_params(void)
{
    /* Keep in step with the comments in lfr/vision.h. */
    return (lfr_enrol_params){
        .min_eye_px = 20.0f, .max_yaw_deg = 25.0f, .max_pitch_deg = 25.0f, .min_sharpness = 20.0f};
}

#define VERIFY_SIDE 160

/* A second look at a detection: the detector run again on the face and its
 * surroundings alone, brought to a size where a face is about half the
 * view. A face is found again with confidence; a pattern on a shirt or a
 * body, which passed once by chance among the thousands of boxes of the
 * whole photo, usually is not. Returns the best score found on the same
 * spot, 0 if none. */
static int second_look(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, const lfr_face *f,
                       float *score)
{
    *score = 0;
    float side = 2 * fmaxf(f->x2 - f->x1, f->y2 - f->y1);
    float cx = (f->x1 + f->x2) / 2, cy = (f->y1 + f->y2) / 2, k = VERIFY_SIDE / side;
    lfr_image *view = NULL;
    int rc = lfr_image_new(ctx, VERIFY_SIDE, VERIFY_SIDE, &view);
    if (rc) return rc;
    lfr_affine map = {{k, 0, VERIFY_SIDE / 2.0 - k * cx, 0, k, VERIFY_SIDE / 2.0 - k * cy}};
    lfr_face *found = NULL;
    int n = 0;
    if ((rc = lfr_image_warp(ctx, img, &map, view)) == LFR_OK)
        rc = lfr_engine_detect_at(ctx, e, view, VERIFY_SIDE, VERIFY_SIDE, 0, &found, &n);
    const float q = VERIFY_SIDE / 4.0f;
    lfr_face spot = {.x1 = q, .y1 = q, .x2 = 3 * q, .y2 = 3 * q};
    for (int i = 0; rc == LFR_OK && i < n; i++)
        if (lfr_face_iou(&found[i], &spot) >= 0.3f && found[i].score > *score)
            *score = found[i].score;
    lfr_free(found);
    lfr_image_free(view);
    return rc;
}

/* Why the face cannot make a template, or NULL if it can. */
static const char *unusable(const lfr_enrol_params *p, const lfr_face_quality *q)
{
    if (q->eye_distance_px < p->min_eye_px) return "too small (inter-eye distance)";
    if (fabsf(q->yaw_deg) > p->max_yaw_deg) return "turned sideways (yaw)";
    if (fabsf(q->pitch_deg) > p->max_pitch_deg) return "tilted up or down (pitch)";
    if (q->sharpness < p->min_sharpness) return "blurred";
    if (q->brightness < 40 || q->brightness > 220 || q->clipped > 0.1f) return "badly exposed";
    return NULL;
}

int lfr_engine_enrol(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img,
                     const lfr_enrol_params *p, float *tpl, lfr_face *face)
{
    lfr_enrol_params d = lfr_enrol_default_params();
    if (!p) p = &d;
    lfr_face *faces = NULL;
    int n = 0;
    int rc = lfr_engine_detect(ctx, e, img, &faces, &n);
    if (rc) return rc;
    if (n == 0) return lfr_fail(ctx, LFR_ENOFACE, "no face found (WL-5)");
    int main_face = lfr_main_face(faces, n, img->width, img->height);
    const lfr_face *m = &faces[main_face];
    /* A person's face cannot hold another's, so a box centred inside the
     * main face, or lying a quarter or more on it, is a false one (on a
     * forehead, a cheek, a collar). A face under a third of the main one's
     * width, or under half of it and too small to be enrolled itself, is a
     * bystander in the background: it leaves no doubt about whose photo
     * this is (WL-5 asks for one usable face). */
    int n_real = 1;
    for (int i = 0; i < n && rc == LFR_OK; i++) {
        const lfr_face *f = &faces[i];
        float fx = (f->x1 + f->x2) / 2, fy = (f->y1 + f->y2) / 2;
        float ix = fminf(f->x2, m->x2) - fmaxf(f->x1, m->x1);
        float iy = fminf(f->y2, m->y2) - fmaxf(f->y1, m->y1);
        float on_main = ix > 0 && iy > 0 ? ix * iy / ((f->x2 - f->x1) * (f->y2 - f->y1)) : 0;
        int part = (fx > m->x1 && fx < m->x2 && fy > m->y1 && fy < m->y2) || on_main >= 0.25f;
        float w = f->x2 - f->x1, main_w = m->x2 - m->x1;
        int background =
            3 * w < main_w || (2 * w < main_w && f->quality.eye_distance_px < p->min_eye_px);
        if (i == main_face || part || background || f->score < CONFIDENT_SCORE) continue;
        float again = 0;
        rc = second_look(ctx, e, img, f, &again);
        n_real += again >= CONFIDENT_SCORE;
    }
    const lfr_face_quality *q = &m->quality;
    const char *why = NULL;
    if (rc == LFR_OK && n_real != 1)
        rc = lfr_fail(ctx, LFR_EINVAL, "%d faces found, exactly one is needed (WL-5)", n_real);
    else if (rc == LFR_OK && m->score < CONFIDENT_SCORE)
        rc = lfr_fail(ctx, LFR_EINVAL,
                      "the only face found is uncertain (detector score %.2f, at least %.2f "
                      "needed): it may not be a face (WL-5)",
                      m->score, CONFIDENT_SCORE);
    else if (rc == LFR_OK && (why = unusable(p, q)))
        rc =
            lfr_fail(ctx, LFR_EINVAL,
                     "the face is %s: inter-eye %.0f px (min %.0f), yaw %.0f (max %.0f), pitch "
                     "%.0f deg (max %.0f), sharpness %.0f (min %.0f), brightness %.0f (WL-5)",
                     why, q->eye_distance_px, p->min_eye_px, q->yaw_deg, p->max_yaw_deg,
                     q->pitch_deg, p->max_pitch_deg, q->sharpness, p->min_sharpness, q->brightness);
    else if (rc == LFR_OK)
        rc = lfr_engine_embed(ctx, e, img, m, tpl);
    if (rc == LFR_OK && face) *face = *m;
    lfr_free(faces);
    return rc;
}

static int need_points(lfr_ctx *ctx, const manifest *m)
{
    if (m->n_points_op >= 2) return LFR_OK;
    return lfr_fail(ctx, LFR_EMODEL,
                    "model '%s' has no measured operating points (run lfr eval fmr "
                    "--update-manifest)",
                    m->name);
}

int lfr_engine_threshold_for_fmr(lfr_ctx *ctx, const lfr_engine *e, double fmr, float *threshold)
{
    return lfr_model_threshold_for_fmr(ctx, e->embedder, fmr, threshold);
}

int lfr_engine_fmr_at(lfr_ctx *ctx, const lfr_engine *e, float threshold, double *fmr)
{
    return lfr_model_fmr_at(ctx, e->embedder, threshold, fmr);
}

int lfr_model_threshold_for_fmr(lfr_ctx *ctx, const lfr_model *model, double fmr, float *threshold)
{
    const manifest *m = &model->man;
    int rc = need_points(ctx, m);
    if (rc) return rc;
    int n = m->n_points_op;
    if (!(fmr <= m->op_fmr[0] && fmr >= m->op_fmr[n - 1]))
        return lfr_fail(ctx, LFR_ELIMIT,
                        "FMR %.1e is outside the measured range %.0e .. %.0e of '%s'", fmr,
                        m->op_fmr[n - 1], m->op_fmr[0], m->name);
    for (int i = 1; i < n; i++) {
        if (fmr < m->op_fmr[i]) continue;
        double f = (log(fmr) - log(m->op_fmr[i - 1])) / (log(m->op_fmr[i]) - log(m->op_fmr[i - 1]));
        *threshold =
            (float)(m->op_threshold[i - 1] + f * (m->op_threshold[i] - m->op_threshold[i - 1]));
        return LFR_OK;
    }
    *threshold = (float)m->op_threshold[n - 1];
    return LFR_OK;
}

/* f of the way from a to b on a log scale. */
static double log_mix(double a, double b, double f)
{
    a = fmax(a, 1e-12);
    b = fmax(b, 1e-12);
    return exp(log(a) + f * (log(b) - log(a)));
}

int lfr_model_fmr_in_the_wild(lfr_ctx *ctx, const lfr_model *model, float threshold,
                              lfr_fmr_claim *out)
{
    const manifest *m = &model->man;
    memset(out, 0, sizeof *out);
    if (m->n_wild == 0)
        return lfr_fail(ctx, LFR_EMODEL,
                        "model '%s' has no operating points measured in the wild (run lfr eval "
                        "fmr --update-manifest --in-the-wild DATA)",
                        m->name);
    out->data = m->wild_data;
    int n = m->n_wild;
    if (threshold < m->wild_threshold[0] || threshold > m->wild_threshold[n - 1])
        return lfr_fail(ctx, LFR_ELIMIT,
                        "threshold %.3f is outside the range %.3f .. %.3f measured in the wild "
                        "for '%s'",
                        threshold, m->wild_threshold[0], m->wild_threshold[n - 1], m->name);
    /* Between two points, on log FMR as for the first set; the interval
     * likewise, from the bounds of the two points. */
    int i = 1;
    while (i < n - 1 && threshold > m->wild_threshold[i])
        i++;
    double span = n > 1 ? m->wild_threshold[i] - m->wild_threshold[i - 1] : 0;
    double f = span > 0 ? (threshold - m->wild_threshold[i - 1]) / span : 0;
    int a = n > 1 ? i - 1 : 0, b = n > 1 ? i : 0;
    out->fmr = log_mix(m->wild_fmr[a], m->wild_fmr[b], f);
    out->lo = log_mix(m->wild_lo[a], m->wild_lo[b], f);
    out->hi = log_mix(m->wild_hi[a], m->wild_hi[b], f);
    return LFR_OK;
}

const char *lfr_model_operating_data(const lfr_model *model)
{
    return model->man.op_data[0] ? model->man.op_data : "data not named in the manifest";
}

int lfr_model_threshold_floor(lfr_ctx *ctx, const lfr_model *model, float *floor)
{
    if (isnan(model->man.floor))
        return lfr_fail(ctx, LFR_EMODEL,
                        "model '%s' has no validated threshold floor (run lfr eval fmr --groups "
                        "FILE --find-floor --update-manifest)",
                        model->man.name);
    *floor = (float)model->man.floor;
    return LFR_OK;
}

int lfr_model_fmr_at(lfr_ctx *ctx, const lfr_model *model, float threshold, double *fmr)
{
    const manifest *m = &model->man;
    int rc = need_points(ctx, m);
    if (rc) return rc;
    int n = m->n_points_op;
    if (threshold < m->op_threshold[0] || threshold > m->op_threshold[n - 1])
        return lfr_fail(ctx, LFR_ELIMIT,
                        "threshold %.3f is outside the measured range %.3f .. %.3f of '%s'",
                        threshold, m->op_threshold[0], m->op_threshold[n - 1], m->name);
    for (int i = 1; i < n; i++) {
        if (threshold > m->op_threshold[i]) continue;
        double f =
            (threshold - m->op_threshold[i - 1]) / (m->op_threshold[i] - m->op_threshold[i - 1]);
        *fmr = exp(log(m->op_fmr[i - 1]) + f * (log(m->op_fmr[i]) - log(m->op_fmr[i - 1])));
        return LFR_OK;
    }
    *fmr = m->op_fmr[n - 1];
    return LFR_OK;
}
