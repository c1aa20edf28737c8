/* vision/calibrate.c - the ranges a network's inner tensors take on
 * calibration images, from which tools/quantize_int8.py makes its int8
 * version. The network given is the "augmented" one (its inner tensors made
 * outputs); it is fed exactly as the model it derives from is fed. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct range_set {
    lfr_tensor_range *r;
    int n, cap;
    int failed; /* out of memory while adding */
} range_set;

static void widen(range_set *s, const char *name, const float *data, size_t count)
{
    int i = 0;
    while (i < s->n && strcmp(s->r[i].name, name))
        i++;
    if (i == s->n) {
        if (s->n == s->cap) {
            int ncap = s->cap ? 2 * s->cap : 64;
            lfr_tensor_range *nr = lfr_realloc(s->r, (size_t)ncap * sizeof *nr);
            if (!nr) {
                s->failed = 1;
                return;
            }
            s->r = nr;
            s->cap = ncap;
        }
        memset(&s->r[i], 0, sizeof s->r[i]);
        snprintf(s->r[i].name, sizeof s->r[i].name, "%s", name);
        s->r[i].min = INFINITY;
        s->r[i].max = -INFINITY;
        s->n++;
    }
    for (size_t k = 0; k < count; k++) {
        if (data[k] < s->r[i].min) s->r[i].min = data[k];
        if (data[k] > s->r[i].max) s->r[i].max = data[k];
    }
}

static void on_tensor(const char *name, const float *data, size_t count, void *arg)
{
    widen(arg, name, data, count);
}

/* Runs the augmented network on a tensor, widening the ranges. */
static int feed(lfr_ctx *ctx, lfr_runtime *rt, void *session, const char *what, const manifest *m,
                float *tensor, int w, int h, range_set *set)
{
    int channels = m->colour == COLOUR_GREY ? 1 : 3;
    size_t n = (size_t)channels * (size_t)w * (size_t)h;
    widen(set, m->input_name, tensor, n);
    int64_t shape[4] = {1, channels, h, w};
    int rc = ort_run_every_output(ctx, rt, session, what, tensor, shape, on_tensor, set);
    if (rc == LFR_OK && set->failed) rc = lfr_fail(ctx, LFR_ENOMEM, "calibrate: out of memory");
    return rc;
}

/* A detector's view: the whole image, scaled. */
static int feed_scaled(lfr_ctx *ctx, lfr_runtime *rt, void *session, const char *what,
                       const manifest *m, const lfr_image *img, float scale, range_set *set)
{
    int w = (int)lroundf((float)img->width * scale), h = (int)lroundf((float)img->height * scale);
    w = w < 16 ? 16 : w;
    h = h < 16 ? 16 : h;
    size_t bytes = (size_t)3 * (size_t)w * (size_t)h * sizeof(float);
    float *tensor = lfr_alloc(bytes);
    if (!tensor) return lfr_fail(ctx, LFR_ENOMEM, "calibrate: out of memory");
    preprocess_region(img, 0, 0, (float)img->width, (float)img->height, w, h, m, tensor);
    int rc = feed(ctx, rt, session, what, m, tensor, w, h, set);
    lfr_wipe_free(tensor, bytes);
    return rc;
}

/* An embedder's view: the main face's aligned crop (none: skipped). */
static int feed_face(lfr_ctx *ctx, lfr_runtime *rt, void *session, const char *what,
                     const lfr_engine *engine, const lfr_model *model, const lfr_image *img,
                     range_set *set)
{
    const manifest *m = &model->man;
    lfr_face *faces = NULL;
    lfr_image *crop = NULL;
    int n = 0;
    int rc = lfr_engine_detect(ctx, engine, img, &faces, &n);
    if (rc || n == 0) {
        lfr_free(faces);
        return rc;
    }
    size_t bytes = (size_t)3 * (size_t)m->input_w * (size_t)m->input_h * sizeof(float);
    float *tensor = lfr_alloc(bytes);
    if (!tensor) rc = lfr_fail(ctx, LFR_ENOMEM, "calibrate: out of memory");
    if (rc == LFR_OK)
        rc = align_for(ctx, model, img, &faces[lfr_main_face(faces, n, img->width, img->height)],
                       &crop);
    if (rc == LFR_OK) {
        preprocess_region(crop, 0, 0, (float)crop->width, (float)crop->height, m->input_w,
                          m->input_h, m, tensor);
        rc = feed(ctx, rt, session, what, m, tensor, m->input_w, m->input_h, set);
    }
    if (tensor) lfr_wipe_free(tensor, bytes);
    lfr_image_free(crop);
    lfr_wipe_free(faces, (size_t)n * sizeof *faces);
    return rc;
}

int lfr_calibrate(lfr_ctx *ctx, lfr_runtime *rt, const char *model_dir, const char *model_name,
                  const char *augmented_path, char *const *images, int n_images,
                  const float *scales, int n_scales, lfr_tensor_range **ranges, int *n_ranges)
{
    *ranges = NULL;
    *n_ranges = 0;
    lfr_model *model = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    void *session = NULL;
    range_set set = {0};
    lfr_engine *engine = NULL;
    int rc = lfr_model_load(ctx, rt, model_dir, model_name, &model);
    if (rc) return rc;
    const manifest *m = &model->man;
    int detector = m->kind == LFR_MODEL_DETECTOR && !m->input_w;
    if (!detector && !(m->kind == LFR_MODEL_EMBEDDER && !m->n_members)) {
        rc = lfr_fail(ctx, LFR_EINVAL,
                      "calibrate: '%s' is neither a detector of any input size nor a single "
                      "embedder",
                      m->name);
        goto done;
    }
    if ((rc = lfr_read_file(ctx, augmented_path, (size_t)1 << 30, &bytes, &len)) ||
        (rc = ort_session_new(ctx, rt, bytes, len, augmented_path, &session)))
        goto done;
    if (!detector) {
        /* An embedder sees the aligned crops of the faces the engine finds. */
        lfr_engine_params ep = lfr_engine_default_params();
        ep.model_dir = model_dir;
        ep.embedder = model_name;
        if ((rc = lfr_engine_new(ctx, rt, &ep, &engine))) goto done;
        n_scales = 1;
    }
    for (int i = 0; i < n_images && rc == LFR_OK; i++) {
        lfr_image *img = NULL;
        if ((rc = lfr_image_load(ctx, images[i], NULL, &img))) break;
        for (int k = 0; k < n_scales && rc == LFR_OK; k++)
            rc = detector ? feed_scaled(ctx, rt, session, augmented_path, m, img, scales[k], &set)
                          : feed_face(ctx, rt, session, augmented_path, engine, model, img, &set);
        lfr_image_free(img);
    }
done:
    lfr_engine_free(engine);
    ort_session_free(rt, session);
    lfr_free(bytes);
    lfr_model_free(model);
    if (rc) {
        lfr_free(set.r);
        return rc;
    }
    *ranges = set.r;
    *n_ranges = set.n;
    return LFR_OK;
}
