/* tests/test_vision.c - the face engine with the real models: detection,
 * landmarks, alignment, embedding, model checks, threads. */
#include "testutil.h"

#include "lfr/vision.h"
#include "vision/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the largest template these tests embed (the default fusion's
 * is 704 floats). */
#define MAX_DIM 2048

static lfr_ctx *ctx;
static lfr_runtime *rt;
static lfr_engine *engine;

static int setup_engine(void **state)
{
    (void)state;
    if (lfr_ctx_new(&ctx) || lfr_runtime_new(ctx, NULL, &rt)) return -1;
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = test_model_dir();
    if (lfr_engine_new(ctx, rt, &p, &engine)) {
        fprintf(stderr, "engine: %s (run scripts/setup.sh)\n", lfr_errmsg(ctx));
        return -1;
    }
    return 0;
}

static int teardown_engine(void **state)
{
    (void)state;
    lfr_engine_free(engine);
    lfr_runtime_free(rt);
    lfr_ctx_free(ctx);
    return 0;
}

static lfr_image *load(const char *rel)
{
    const char *path = test_data_path(rel);
    assert_non_null(path);
    lfr_image *img = NULL;
    if (lfr_image_load(ctx, path, NULL, &img)) fail_msg("%s: %s", rel, lfr_errmsg(ctx));
    return img;
}

static void test_default_params(void **state)
{
    (void)state;
    lfr_engine_params p = lfr_engine_default_params();
    assert_string_equal(p.detector, "ultraface_anysize");
    assert_string_equal(p.landmarks, "landmark68");
    assert_string_equal(p.embedder, "fusion_512_192");
    assert_int_equal(p.detect_max_side_px, 1920);
    assert_int_equal(p.detect_min_side_px, 240);
    assert_int_equal(p.max_faces, 256);
    assert_int_equal(p.embed_flip, 0);
    assert_int_equal(p.fusion_parallel, 1);
    assert_int_equal(lfr_runtime_default_params().intra_op_threads, 1);
    /* The default embedder is the fusion of the 512-d and 192-d networks. */
    assert_int_equal(lfr_engine_embedding_size(engine), 512 + 192);
    assert_int_equal(lfr_model_n_members(lfr_engine_model(engine, LFR_MODEL_EMBEDDER)), 2);
}

/* The reference for preprocess_region: the region's k x k block means
 * (k 1 = the pixels themselves) in double, normalised, in the manifest's
 * channel order. */
static double block_reference(const lfr_image *img, int x0, int y0, int k, int x, int y, int ch,
                              const manifest *m)
{
    double sum = 0;
    for (int yy = 0; yy < k; yy++)
        for (int xx = 0; xx < k; xx++)
            sum += img->rgb[((size_t)(y0 + k * y + yy) * (size_t)img->width +
                             (size_t)(x0 + k * x + xx)) *
                                3 +
                            (size_t)ch];
    return (sum / (k * k) - m->mean) * m->scale;
}

/* The grey value the manifest's normalisation gives the region's k x k block
 * means. */
static double grey_reference(const lfr_image *img, int x0, int y0, int k, int x, int y,
                             const manifest *m)
{
    double v[3];
    for (int ch = 0; ch < 3; ch++)
        v[ch] = block_reference(img, x0, y0, k, x, y, ch, m) / m->scale + m->mean;
    return (0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2] - m->mean) * m->scale;
}

/* preprocess_region's fast paths (a region at its own size, halved, shrunk
 * by a whole factor, as the detector's frames are) give the block means of
 * the region, in RGB, BGR and grey; the bilinear path gives values within
 * each sample's 2x2 neighbourhood, in the manifest's channel order. */
static void test_preprocess_paths(void **state)
{
    (void)state;
    lfr_image *img = NULL;
    assert_int_equal(lfr_image_new(ctx, 97 * 6, 61 * 6, &img), LFR_OK);
    uint32_t seed = 12345;
    for (size_t i = 0; i < (size_t)img->width * (size_t)img->height * 3; i++) {
        seed = seed * 1103515245u + 12345u;
        img->rgb[i] = (uint8_t)(seed >> 16);
    }
    /* Whole frames, regions inside, and regions with an offset that end on
     * the last row and column (where a read past the image would show). */
    static const struct {
        int k, x0, y0, w, h;
    } cases[] = {{1, 0, 0, 97 * 6, 61 * 6}, {1, 13, 7, 200, 150}, {1, 2, 6, 97 * 6 - 2, 60 * 6},
                 {2, 0, 0, 97 * 3, 61 * 3}, {2, 6, 4, 100, 90},   {2, 2, 2, 97 * 3 - 1, 61 * 3 - 1},
                 {3, 0, 0, 97 * 2, 61 * 2}, {3, 9, 3, 50, 40},    {3, 3, 3, 193, 121},
                 {6, 0, 0, 97, 61},         {4, 1, 2, 60, 50},    {4, 2, 2, 145, 91}};
    static const colour_order orders[] = {COLOUR_RGB, COLOUR_BGR, COLOUR_GREY};
    for (int o = 0; o < 3; o++) {
        manifest m = {.colour = orders[o], .mean = 127.5f, .scale = 1 / 128.0f};
        int grey = orders[o] == COLOUR_GREY;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            int k = cases[c].k, x0 = cases[c].x0, y0 = cases[c].y0, w = cases[c].w, h = cases[c].h;
            size_t plane = (size_t)w * (size_t)h;
            float *t = calloc(3 * plane, sizeof(float));
            assert_non_null(t);
            preprocess_region(img, (float)x0, (float)y0, (float)(w * k), (float)(h * k), w, h, &m,
                              t);
            double worst = 0;
            for (int pl = 0; pl < (grey ? 1 : 3); pl++) {
                int ch = orders[o] == COLOUR_BGR ? 2 - pl : pl;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        double want = grey ? grey_reference(img, x0, y0, k, x, y, &m)
                                           : block_reference(img, x0, y0, k, x, y, ch, &m);
                        double got = t[(size_t)pl * plane + (size_t)y * (size_t)w + (size_t)x];
                        worst = fmax(worst, fabs(got - want));
                    }
            }
            /* Colour copies are exact; anything else is float arithmetic. */
            if (worst > (k == 1 && !grey ? 0.0 : 1e-5))
                fail_msg("case %zu (factor %d, colour order %d): off by %g", c, k, o, worst);
            free(t);
        }
    }
    /* Bilinear at 1.5x down, in BGR: each value lies within the range of
     * the 2x2 pixels around its sample point, in its channel's plane. */
    manifest m = {.colour = COLOUR_BGR, .mean = 0.0f, .scale = 1.0f};
    int w = 100, h = 60;
    float *t = calloc(3 * (size_t)w * (size_t)h, sizeof(float));
    assert_non_null(t);
    preprocess_region(img, 0, 0, 150, 90, w, h, &m, t);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int xi = (int)((x + 0.5f) * 1.5f - 0.5f), yi = (int)((y + 0.5f) * 1.5f - 0.5f);
            for (int ch = 0; ch < 3; ch++) {
                float lo = 255, hi = 0;
                for (int dy = 0; dy <= 1; dy++)
                    for (int dx = 0; dx <= 1; dx++) {
                        size_t at =
                            ((size_t)(yi + dy) * (size_t)img->width + (size_t)(xi + dx)) * 3;
                        lo = fminf(lo, img->rgb[at + (size_t)ch]);
                        hi = fmaxf(hi, img->rgb[at + (size_t)ch]);
                    }
                size_t plane = (size_t)(2 - ch); /* BGR: blue first */
                float got = t[plane * (size_t)w * (size_t)h + (size_t)y * (size_t)w + (size_t)x];
                if (got < lo - 1e-3f || got > hi + 1e-3f)
                    fail_msg("bilinear (%d,%d) channel %d: %g outside %g..%g", x, y, ch, got, lo,
                             hi);
            }
        }
    free(t);
    lfr_image_free(img);
}

/* A known similarity applied to the reference points is recovered exactly,
 * and so is its inverse; degenerate points are refused. */
static void test_similarity_recovered(void **state)
{
    (void)state;
    const float ref[5][2] = {{38.2946f, 51.6963f},
                             {73.5318f, 51.5014f},
                             {56.0252f, 71.7366f},
                             {41.5493f, 92.3655f},
                             {70.7299f, 92.2041f}};
    double angle = 0.3, scale = 2.7, tx = 123.0, ty = -45.5;
    double a = scale * cos(angle), b = scale * sin(angle);
    float moved[5][2];
    for (int i = 0; i < 5; i++) {
        moved[i][0] = (float)(a * ref[i][0] - b * ref[i][1] + tx);
        moved[i][1] = (float)(b * ref[i][0] + a * ref[i][1] + ty);
    }
    lfr_affine fit;
    assert_int_equal(
        lfr_similarity_fit(ctx, (const float(*)[2])ref, (const float(*)[2])moved, 5, &fit), LFR_OK);
    const double want[6] = {a, -b, tx, b, a, ty};
    for (int i = 0; i < 6; i++)
        assert_true(fabs(fit.m[i] - want[i]) < 1e-3);
    /* Noise on the points moves the fit only a little. */
    moved[2][0] += 1.0f;
    assert_int_equal(
        lfr_similarity_fit(ctx, (const float(*)[2])ref, (const float(*)[2])moved, 5, &fit), LFR_OK);
    assert_true(fabs(fit.m[0] - a) < 0.05);
    float same[5][2] = {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}};
    assert_int_equal(
        lfr_similarity_fit(ctx, (const float(*)[2])same, (const float(*)[2])ref, 5, &fit),
        LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "degenerate"));
}

/* An image warped by a known transform, then aligned from the transformed
 * landmarks, gives back the crop of the original. */
static void test_alignment_undoes_warp(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/dlib_examples/johns/John_Savage/000296_01099007.jpg");
    lfr_image *img = load("samples/dlib_examples/johns/John_Savage/000296_01099007.jpg");
    lfr_face *faces = NULL;
    int n = 0;
    assert_int_equal(lfr_engine_detect(ctx, engine, img, &faces, &n), LFR_OK);
    assert_true(n >= 1);
    lfr_image *crop1 = NULL;
    assert_int_equal(lfr_engine_align(ctx, engine, img, &faces[0], &crop1), LFR_OK);

    /* Rotate by 20 degrees, scale 1.5, shift: a 400x400 canvas. */
    double ang = 20 * M_PI / 180, s = 1.5;
    lfr_affine t = {{s * cos(ang), -s * sin(ang), 150, s * sin(ang), s * cos(ang), 20}};
    lfr_image *big = NULL;
    assert_int_equal(lfr_image_new(ctx, 400, 400, &big), LFR_OK);
    assert_int_equal(lfr_image_warp(ctx, img, &t, big), LFR_OK);
    lfr_face moved = faces[0];
    for (int i = 0; i < 5; i++) {
        float x = faces[0].points[i][0], y = faces[0].points[i][1];
        moved.points[i][0] = (float)(t.m[0] * x + t.m[1] * y + t.m[2]);
        moved.points[i][1] = (float)(t.m[3] * x + t.m[4] * y + t.m[5]);
    }
    lfr_image *crop2 = NULL;
    assert_int_equal(lfr_engine_align(ctx, engine, big, &moved, &crop2), LFR_OK);
    assert_int_equal(crop1->width, 112);
    double diff = 0;
    size_t npx = (size_t)crop1->width * crop1->height * 3;
    for (size_t i = 0; i < npx; i++)
        diff += fabs((double)crop1->rgb[i] - crop2->rgb[i]);
    diff /= (double)npx;
    print_message("mean abs difference after warp + re-alignment: %.2f grey levels\n", diff);
    assert_true(diff < 6.0);
    lfr_image_free(crop1);
    lfr_image_free(crop2);
    lfr_image_free(big);
    lfr_image_free(img);
    lfr_free(faces);
}

/* dlib's annotated photos: ground-truth boxes and 68 points per face. */
typedef struct gt_face {
    float x, y, w, h;
    float pts[68][2];
} gt_face;

static int read_attr(const char *s, const char *name, float *out)
{
    char key[32];
    snprintf(key, sizeof key, " %s='", name);
    const char *p = strstr(s, key);
    if (!p) return -1;
    *out = strtof(p + strlen(key), NULL);
    return 0;
}

static void check_dlib_file(const char *xml_rel, int *n_big, int *n_found, int *n_lm_ok,
                            double *err_sum)
{
    const char *xml_path = test_data_path(xml_rel);
    assert_non_null(xml_path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", xml_path);
    *strrchr(dir, '/') = '\0';
    FILE *f = fopen(xml_path, "r");
    assert_non_null(f);
    char line[1024];
    lfr_image *img = NULL;
    lfr_face *faces = NULL;
    int n = 0, in_box = 0;
    gt_face gt;
    while (fgets(line, sizeof line, f)) {
        char *p;
        if ((p = strstr(line, "<image file='"))) {
            lfr_image_free(img);
            lfr_free(faces);
            img = NULL;
            faces = NULL;
            char name[256], path[4400];
            sscanf(p + 13, "%255[^']", name);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            assert_int_equal(lfr_image_load(ctx, path, NULL, &img), LFR_OK);
            assert_int_equal(lfr_engine_detect(ctx, engine, img, &faces, &n), LFR_OK);
        } else if (strstr(line, "<box ")) {
            memset(&gt, 0, sizeof gt);
            assert_int_equal(read_attr(line, "top", &gt.y), 0);
            assert_int_equal(read_attr(line, "left", &gt.x), 0);
            assert_int_equal(read_attr(line, "width", &gt.w), 0);
            assert_int_equal(read_attr(line, "height", &gt.h), 0);
            in_box = 1;
        } else if (in_box && (p = strstr(line, "<part name='"))) {
            int k = atoi(p + 12);
            assert_true(k >= 0 && k < 68);
            read_attr(line, "x", &gt.pts[k][0]);
            read_attr(line, "y", &gt.pts[k][1]);
        } else if (in_box && strstr(line, "</box>")) {
            in_box = 0;
            if (gt.w < 40 || gt.h < 40) continue;
            (*n_big)++;
            lfr_face g = {.x1 = gt.x, .y1 = gt.y, .x2 = gt.x + gt.w, .y2 = gt.y + gt.h};
            int best = -1;
            float best_iou = 0;
            for (int i = 0; i < n; i++) {
                float iou = lfr_face_iou(&g, &faces[i]);
                if (iou > best_iou) best_iou = iou, best = i;
            }
            if (best_iou < 0.5f) {
                print_message("missed face %.0f,%.0f %.0fx%.0f in %s (best IoU %.2f)\n", gt.x, gt.y,
                              gt.w, gt.h, xml_rel, best_iou);
                continue;
            }
            (*n_found)++;
            /* The same 5 points from dlib's 68, error over the eye distance. */
            static const int idx[5][4] = {{37, 38, 40, 41},
                                          {43, 44, 46, 47},
                                          {30, 30, 30, 30},
                                          {48, 60, 48, 60},
                                          {54, 64, 54, 64}};
            float want[5][2];
            for (int k = 0; k < 5; k++) {
                want[k][0] = want[k][1] = 0;
                for (int j = 0; j < 4; j++) {
                    want[k][0] += gt.pts[idx[k][j]][0] / 4;
                    want[k][1] += gt.pts[idx[k][j]][1] / 4;
                }
            }
            float eye = hypotf(want[1][0] - want[0][0], want[1][1] - want[0][1]);
            float err = 0;
            for (int k = 0; k < 5; k++)
                err += hypotf(faces[best].points[k][0] - want[k][0],
                              faces[best].points[k][1] - want[k][1]) /
                       5;
            *err_sum += err / eye;
            if (err / eye < 0.15f)
                (*n_lm_ok)++;
            else
                print_message("landmark error %.2f of the eye distance\n", err / eye);
        }
    }
    fclose(f);
    lfr_image_free(img);
    lfr_free(faces);
}

static void test_detect_dlib_annotations(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/dlib_examples/faces/testing_with_face_landmarks.xml");
    int n_big = 0, n_found = 0, n_lm_ok = 0;
    double err_sum = 0;
    check_dlib_file("samples/dlib_examples/faces/training_with_face_landmarks.xml", &n_big,
                    &n_found, &n_lm_ok, &err_sum);
    check_dlib_file("samples/dlib_examples/faces/testing_with_face_landmarks.xml", &n_big, &n_found,
                    &n_lm_ok, &err_sum);
    double mean_err = err_sum / n_found;
    print_message("faces >= 40 px: %d, found at IoU >= 0.5: %d, landmarks within 0.15 eye "
                  "distance: %d, mean error %.3f eye distances\n",
                  n_big, n_found, n_lm_ok, mean_err);
    assert_true(n_big >= 20);
    assert_true(n_found * 10 >= n_big * 9);
    /* dlib's points are themselves a model's output, and the small, turned
     * faces of 2008_004176.jpg disagree most: hold the mean and most faces.
     * Priors off their cells' centres (engine revision 4) gave 0.066. */
    assert_true(mean_err < 0.05);
    assert_true(n_lm_ok * 4 >= n_found * 3);
}

/* Faces of 40 px in a 1920x1080 frame: the LFW face pasted small onto a
 * large grey canvas at several places. */
/* Faces pasted small into a 1920x1080 frame: an LFW face fills about 0.43
 * of its 150 px image, so a side-px patch holds a face of 0.43 x side. */
static int small_faces_found(const lfr_image *img, int side)
{
    lfr_image *frame = NULL;
    assert_int_equal(lfr_image_new(ctx, 1920, 1080, &frame), LFR_OK);
    memset(frame->rgb, 110, (size_t)1920 * 1080 * 3);
    const int places[4][2] = {{200, 150}, {900, 500}, {1500, 800}, {600, 850}};
    for (int k = 0; k < 4; k++) {
        lfr_image *patch = NULL;
        assert_int_equal(lfr_image_resize(ctx, img, side, side, &patch), LFR_OK);
        for (int y = 0; y < side; y++)
            memcpy(frame->rgb + ((size_t)(places[k][1] + y) * 1920 + (size_t)places[k][0]) * 3,
                   patch->rgb + (size_t)y * side * 3, (size_t)side * 3);
        lfr_image_free(patch);
    }
    lfr_face *faces = NULL;
    int n = 0, hits = 0;
    assert_int_equal(lfr_engine_detect(ctx, engine, frame, &faces, &n), LFR_OK);
    float face_px = 0.43f * (float)side;
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < n; i++) {
            float cx = (faces[i].x1 + faces[i].x2) / 2, cy = (faces[i].y1 + faces[i].y2) / 2;
            float w = faces[i].x2 - faces[i].x1;
            if (cx > places[k][0] && cx < places[k][0] + side && cy > places[k][1] &&
                cy < places[k][1] + side && w >= 0.6f * face_px && w <= 1.6f * face_px) {
                hits++;
                break;
            }
        }
    }
    print_message("faces of about %.0f px in 1920x1080: %d of 4 found (%d detections)\n", face_px,
                  hits, n);
    lfr_free(faces);
    lfr_image_free(frame);
    return hits;
}

static void test_detect_small_faces_in_hd_frame(void **state)
{
    (void)state;
    TEST_NEED_DATA("lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
    lfr_image *img = load("lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
    assert_int_equal(small_faces_found(img, 100), 4); /* 43 px: the engine issue's floor */
    assert_int_equal(small_faces_found(img, 56), 4);  /* 24 px: the models issue's floor */
    lfr_image_free(img);
}

/* The derived resolution-free detector, decoded in C at 320x240, gives the
 * boxes the published model decodes in its graph. */
static void test_anysize_matches_published_detector(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/face_recognition_examples/examples/two_people.jpg");
    lfr_model *fixed = NULL, *any = NULL;
    assert_int_equal(lfr_model_load(ctx, rt, test_model_dir(), "ultraface_rfb320", &fixed), LFR_OK);
    assert_int_equal(lfr_model_load(ctx, rt, test_model_dir(), "ultraface_anysize", &any), LFR_OK);
    const char *imgs[] = {"samples/face_recognition_examples/examples/two_people.jpg",
                          "samples/dlib_examples/faces/2008_004176.jpg"};
    for (int k = 0; k < 2; k++) {
        lfr_image *img = load(imgs[k]);
        lfr_face *a = NULL, *b = NULL;
        int na = 0, nb = 0;
        assert_int_equal(detector_run(ctx, fixed, img, 320, 240, 0.3f, &a, &na), LFR_OK);
        assert_int_equal(detector_run(ctx, any, img, 320, 240, 0.3f, &b, &nb), LFR_OK);
        assert_true(na >= 2);
        assert_int_equal(na, nb);
        for (int i = 0; i < na; i++) {
            /* 1e-4 of the frame, in pixels. */
            assert_true(fabsf(a[i].x1 - b[i].x1) <= 1e-4f * img->width + 1e-3f);
            assert_true(fabsf(a[i].y1 - b[i].y1) <= 1e-4f * img->height + 1e-3f);
            assert_true(fabsf(a[i].x2 - b[i].x2) <= 1e-4f * img->width + 1e-3f);
            assert_true(fabsf(a[i].y2 - b[i].y2) <= 1e-4f * img->height + 1e-3f);
            assert_true(fabsf(a[i].score - b[i].score) <= 1e-4f);
        }
        lfr_free(a);
        lfr_free(b);
        lfr_image_free(img);
    }
    /* The fixed model refuses other sizes. */
    lfr_image *img = load(imgs[0]);
    lfr_face *f = NULL;
    int nf = 0;
    assert_int_equal(detector_run(ctx, fixed, img, 640, 480, 0, &f, &nf), LFR_EINVAL);
    assert_null(f);
    lfr_image_free(img);
    lfr_model_free(fixed);
    lfr_model_free(any);
}

static void embed_main(const lfr_image *img, float *out)
{
    int rc = lfr_engine_embed_main(ctx, engine, img, out, NULL, NULL);
    if (rc) fail_msg("embed: %s", lfr_errmsg(ctx));
}

/* The same face resized, re-compressed and mirrored stays above the
 * threshold. */
static void test_embedding_stability(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/face_recognition_examples/examples/obama.jpg");
    lfr_image *img = load("samples/face_recognition_examples/examples/obama.jpg");
    int dim = lfr_engine_embedding_size(engine);
    float *ref = calloc((size_t)dim, sizeof(float)), *v = calloc((size_t)dim, sizeof(float));
    embed_main(img, ref);
    double norm = 0;
    for (int i = 0; i < dim; i++)
        norm += ref[i] * ref[i];
    assert_true(fabs(norm - 1.0) < 1e-4);
    float threshold = lfr_engine_threshold(engine);

    lfr_image *variant[4] = {NULL, NULL, NULL, NULL};
    assert_int_equal(lfr_image_resize(ctx, img, img->width / 3, img->height / 3, &variant[0]), 0);
    assert_int_equal(lfr_image_resize(ctx, img, img->width * 2, img->height * 2, &variant[1]), 0);
    uint8_t *jpeg = NULL;
    size_t jpeg_len = 0;
    assert_int_equal(lfr_image_encode(ctx, img, LFR_IMAGE_JPEG, 30, &jpeg, &jpeg_len), 0);
    assert_int_equal(lfr_image_decode(ctx, jpeg, jpeg_len, NULL, &variant[2]), 0);
    lfr_free(jpeg);
    assert_int_equal(lfr_image_flip(ctx, img, &variant[3]), 0);
    const char *names[4] = {"one third size", "double size", "JPEG quality 30", "mirrored"};
    for (int k = 0; k < 4; k++) {
        embed_main(variant[k], v);
        float sim = lfr_cosine(ref, v, dim);
        print_message("%s: similarity %.3f (threshold %.2f)\n", names[k], sim, threshold);
        assert_true(sim >= threshold);
        assert_true(sim < 1.0001f);
        lfr_image_free(variant[k]);
    }
    /* A different person stays below it. */
    lfr_image *other = load("samples/face_recognition_examples/examples/biden.jpg");
    embed_main(other, v);
    float sim = lfr_cosine(ref, v, dim);
    print_message("different person: similarity %.3f\n", sim);
    assert_true(sim < threshold);
    lfr_image_free(other);
    lfr_image_free(img);
    free(ref);
    free(v);
}

/* A part of an image, as a new one. */
static lfr_image *crop(const lfr_image *img, int x, int y, int w, int h)
{
    lfr_image *out = NULL;
    assert_int_equal(lfr_image_new(ctx, w, h, &out), LFR_OK);
    for (int r = 0; r < h; r++)
        memcpy(out->rgb + (size_t)r * w * 3, img->rgb + ((size_t)(y + r) * img->width + x) * 3,
               (size_t)w * 3);
    return out;
}

/* In this PASCAL photo a shirt and hand are detected at 0.88 and their box
 * is the largest: the main face must still be a real (confident) face, and
 * the enrolment gate (WL-5) must refuse the shirt alone, the photo with two
 * people, and take a clear single face. */
static void test_main_face_and_enrol_gate(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/dlib_examples/faces/2009_004587.jpg");
    lfr_image *img = load("samples/dlib_examples/faces/2009_004587.jpg");
    lfr_face *faces = NULL;
    int n = 0;
    assert_int_equal(lfr_engine_detect(ctx, engine, img, &faces, &n), LFR_OK);
    int shirt = -1, largest = 0;
    for (int i = 0; i < n; i++) {
        if (faces[i].score < 0.95f) shirt = i;
        if (faces[i].x2 - faces[i].x1 > faces[largest].x2 - faces[largest].x1) largest = i;
    }
    assert_true(shirt >= 0 && shirt == largest); /* the trap is there */
    int m = lfr_main_face(faces, n, img->width, img->height);
    assert_true(m >= 0 && m != shirt && faces[m].score >= 0.95f);
    int dim = lfr_engine_embedding_size(engine);
    float *tpl = calloc((size_t)dim, sizeof(float));
    lfr_face chosen;
    assert_int_equal(lfr_engine_embed_main(ctx, engine, img, tpl, &chosen, NULL), LFR_OK);
    assert_true(chosen.score >= 0.95f && lfr_face_iou(&chosen, &faces[shirt]) < 0.05f);
    /* Two confident faces of similar size: ambiguous. */
    assert_int_equal(lfr_engine_enrol(ctx, engine, img, NULL, tpl, NULL), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "faces found, exactly one"));
    /* The shirt and hand alone: no face to enrol. */
    lfr_image *part = crop(img, 0, 290, 200, 210);
    int rc = lfr_engine_enrol(ctx, engine, part, NULL, tpl, NULL);
    print_message("shirt alone: %s\n", lfr_errmsg(ctx));
    assert_true(rc == LFR_ENOFACE || rc == LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "WL-5"));
    lfr_image_free(part);
    /* A force's stricter limits are applied, with the reason. */
    lfr_image *one = load("samples/face_recognition_examples/examples/obama-240p.jpg");
    assert_int_equal(lfr_engine_enrol(ctx, engine, one, NULL, tpl, &chosen), LFR_OK);
    lfr_enrol_params strict = lfr_enrol_default_params();
    strict.min_eye_px = chosen.quality.eye_distance_px + 5;
    assert_int_equal(lfr_engine_enrol(ctx, engine, one, &strict, tpl, NULL), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "too small"));
    lfr_image_free(one);
    free(tpl);
    lfr_free(faces);
    lfr_image_free(img);
}

/* A bystander far behind the subject, a third of the subject's width and
 * too small to be enrolled, leaves no doubt about whose photo it is: the
 * gate takes it (WL-5 asks for one usable face), and takes the subject. */
static void test_enrol_past_a_bystander(void **state)
{
    (void)state;
    TEST_NEED_DATA("celeba_dev/stills/watchlist/7218.jpg");
    lfr_image *img = load("celeba_dev/stills/watchlist/7218.jpg");
    lfr_face *faces = NULL;
    int n = 0;
    assert_int_equal(lfr_engine_detect(ctx, engine, img, &faces, &n), LFR_OK);
    int m = lfr_main_face(faces, n, img->width, img->height), bystander = -1;
    for (int i = 0; i < n; i++)
        if (i != m && faces[i].score >= 0.95f) bystander = i;
    assert_true(bystander >= 0); /* the trap is there */
    float main_w = faces[m].x2 - faces[m].x1, w = faces[bystander].x2 - faces[bystander].x1;
    assert_true(3 * w >= main_w && 2 * w < main_w);
    int dim = lfr_engine_embedding_size(engine);
    float *tpl = calloc((size_t)dim, sizeof(float));
    lfr_face chosen;
    assert_int_equal(lfr_engine_enrol(ctx, engine, img, NULL, tpl, &chosen), LFR_OK);
    assert_true(lfr_face_iou(&chosen, &faces[m]) > 0.99f);
    /* A force that enrols smaller faces counts the bystander as a person. */
    lfr_enrol_params lax = lfr_enrol_default_params();
    lax.min_eye_px = faces[bystander].quality.eye_distance_px - 1;
    assert_int_equal(lfr_engine_enrol(ctx, engine, img, &lax, tpl, NULL), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "2 faces found"));
    free(tpl);
    lfr_free(faces);
    lfr_image_free(img);
}

/* dlib's 5 Johns, 11 chips each: every chip's nearest other chip is the
 * same John, and the threshold separates same from different pairs. */
static void test_johns_told_apart(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/dlib_examples/manifest_johns.csv");
    FILE *f = fopen(test_data_path("samples/dlib_examples/manifest_johns.csv"), "r");
    assert_non_null(f);
    char line[512], paths[64][256], ids[64][64];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < 64) {
        if (!strncmp(line, "path,", 5)) continue;
        if (sscanf(line, "%255[^,],%63[^\r\n]", paths[n], ids[n]) == 2) n++;
    }
    fclose(f);
    assert_int_equal(n, 55);
    int dim = lfr_engine_embedding_size(engine);
    float *emb = calloc((size_t)n * dim, sizeof(float));
    for (int i = 0; i < n; i++) {
        char rel[300];
        /* The manifest's paths start "examples/", from the original repository. */
        const char *path = strncmp(paths[i], "examples/", 9) ? paths[i] : paths[i] + 9;
        snprintf(rel, sizeof rel, "samples/dlib_examples/%.255s", path);
        lfr_image *img = load(rel);
        embed_main(img, emb + (size_t)i * dim);
        lfr_image_free(img);
    }
    float threshold = lfr_engine_threshold(engine);
    int nn_ok = 0, pairs = 0, pairs_ok = 0;
    for (int i = 0; i < n; i++) {
        int best = -1;
        float best_sim = -2;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            float s = lfr_cosine(emb + (size_t)i * dim, emb + (size_t)j * dim, dim);
            if (s > best_sim) best_sim = s, best = j;
            if (j > i) {
                pairs++;
                pairs_ok += (s >= threshold) == !strcmp(ids[i], ids[j]);
            }
        }
        nn_ok += !strcmp(ids[i], ids[best]);
    }
    print_message("nearest neighbour same John: %d of %d; pairs right at %.2f: %d of %d\n", nn_ok,
                  n, threshold, pairs_ok, pairs);
    assert_int_equal(nn_ok, n);
    assert_true(pairs_ok * 100 >= pairs * 97);
    free(emb);
}

static void test_no_face_and_tiny_images(void **state)
{
    (void)state;
    lfr_image *grey = NULL, *tiny = NULL;
    assert_int_equal(lfr_image_new(ctx, 640, 480, &grey), LFR_OK);
    memset(grey->rgb, 128, (size_t)640 * 480 * 3);
    lfr_face *faces = NULL;
    int n = -1;
    assert_int_equal(lfr_engine_detect(ctx, engine, grey, &faces, &n), LFR_OK);
    assert_int_equal(n, 0);
    assert_null(faces);
    float emb[MAX_DIM];
    assert_true(lfr_engine_embedding_size(engine) <= MAX_DIM);
    assert_int_equal(lfr_engine_embed_main(ctx, engine, grey, emb, NULL, NULL), LFR_ENOFACE);
    assert_int_equal(lfr_image_new(ctx, 1, 1, &tiny), LFR_OK);
    assert_int_equal(lfr_engine_detect(ctx, engine, tiny, &faces, &n), LFR_OK);
    assert_int_equal(n, 0);
    /* A face box of zero size cannot be landmarked. */
    lfr_face bad = {.x1 = 10, .y1 = 10, .x2 = 10, .y2 = 10};
    assert_int_equal(lfr_engine_landmarks(ctx, engine, grey, &bad), LFR_EINVAL);
    lfr_image_free(grey);
    lfr_image_free(tiny);
}

/* Writes a manifest into the scratch folder, with a model file. */
static const char *scratch_models(void)
{
    return test_tmp_path("bad_models");
}

static void write_text(const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", scratch_models(), name);
    test_write_file(path, text, strlen(text));
}

static void copy_model(const char *from, const char *to, size_t max_bytes)
{
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s", test_model_dir(), from);
    snprintf(dst, sizeof dst, "%s/%s", scratch_models(), to);
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(lfr_read_file(ctx, src, (size_t)1 << 30, &bytes, &len), LFR_OK);
    test_write_file(dst, bytes, len < max_bytes ? len : max_bytes);
    lfr_free(bytes);
}

static void expect_load_error(const char *name, int code, const char *needle)
{
    lfr_model *m = (lfr_model *)1;
    int rc = lfr_model_load(ctx, rt, scratch_models(), name, &m);
    print_message("%s: %s\n", name, lfr_errmsg(ctx));
    assert_int_equal(rc, code);
    assert_null(m);
    assert_non_null(strstr(lfr_errmsg(ctx), needle));
}

static void test_bad_models_refused(void **state)
{
    (void)state;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", scratch_models(), scratch_models());
    assert_int_equal(system(cmd), 0);
    const char *good = "{\"name\": \"emb\", \"kind\": \"embedder\", \"file\": \"%s\",\n"
                       "\"sha256\": \"%s\",\n"
                       "\"input\": {\"name\": \"input\", \"width\": 112, \"height\": 112, "
                       "\"colour\": \"rgb\", \"mean\": 127.0, \"scale\": 0.0078125},\n"
                       "\"outputs\": {\"embedding\": \"output\"}, \"embedding_size\": 512,\n"
                       "\"alignment\": [[38.29, 51.69], [73.53, 51.50], [56.02, 71.73], "
                       "[41.54, 92.36], [70.72, 92.20]], \"threshold\": 0.4}\n";
    char text[2048], hex[65];
    /* Missing manifest. */
    expect_load_error("nothing", LFR_EMODEL, "no manifest");
    /* Invalid JSON, with the position. */
    write_text("broken.json", "{\"name\": \"x\",,}");
    expect_load_error("broken", LFR_EMODEL, "invalid JSON");
    /* A missing field is named. */
    write_text("nofile.json", "{\"name\": \"x\", \"kind\": \"embedder\"}");
    expect_load_error("nofile", LFR_EMODEL, "file: missing");
    /* The model file is missing. */
    snprintf(text, sizeof text, good, "absent.onnx",
             "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581");
    write_text("absent.json", text);
    expect_load_error("absent", LFR_EMODEL, "absent.onnx");
    /* Checksum mismatch: a truncated copy of the real model. */
    copy_model("fr_feature.onnx", "truncated.onnx", 100000);
    snprintf(text, sizeof text, good, "truncated.onnx",
             "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581");
    write_text("truncated.json", text);
    expect_load_error("truncated", LFR_EMODEL, "checksum mismatch");
    /* Right checksum but not a network ORT can read. */
    char path[4096];
    snprintf(path, sizeof path, "%s/truncated.onnx", scratch_models());
    assert_int_equal(lfr_sha256_file(ctx, path, hex), LFR_OK);
    snprintf(text, sizeof text, good, "truncated.onnx", hex);
    write_text("unreadable.json", text);
    expect_load_error("unreadable", LFR_EMODEL, "onnxruntime");
    /* A real network that is not what the manifest describes. */
    copy_model("fr_landmark.onnx", "landmarks.onnx", SIZE_MAX);
    snprintf(text, sizeof text, good, "landmarks.onnx",
             "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258");
    write_text("wrongnet.json", text);
    expect_load_error("wrongnet", LFR_EMODEL, "does not match");
    /* Operating points out of order are refused. */
    snprintf(text, sizeof text, good, "landmarks.onnx",
             "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258");
    char *brace = strrchr(text, '}');
    snprintf(brace, sizeof text - (size_t)(brace - text),
             ", \"operating_points\": {\"points\": [{\"fmr\": 1e-6, \"threshold\": 0.6}, "
             "{\"fmr\": 1e-3, \"threshold\": 0.3}]}}\n");
    write_text("badpoints.json", text);
    expect_load_error("badpoints", LFR_EMODEL, "operating_points");
    /* The engine refuses a detector where an embedder belongs. */
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = test_model_dir();
    p.embedder = "ultraface_anysize";
    lfr_engine *e = (lfr_engine *)1;
    assert_int_equal(lfr_engine_new(ctx, rt, &p, &e), LFR_EMODEL);
    assert_null(e);
    assert_non_null(strstr(lfr_errmsg(ctx), "not a face embedder"));
}

/* Every allocation failure while loading the engine ends in LFR_ENOMEM with
 * nothing leaked (ASan checks the leaks). */
static void test_engine_alloc_faults(void **state)
{
    (void)state;
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = test_model_dir();
    lfr_alloc_fault_after(-1);
    lfr_engine *e = NULL;
    assert_int_equal(lfr_engine_new(ctx, rt, &p, &e), LFR_OK);
    lfr_engine_free(e);
    long total = lfr_alloc_fault_after(-1);
    assert_true(total > 0);
    for (long k = 0; k < total; k++) {
        lfr_alloc_fault_after(k);
        e = (lfr_engine *)1;
        int rc = lfr_engine_new(ctx, rt, &p, &e);
        lfr_alloc_fault_after(-1);
        assert_int_equal(rc, LFR_ENOMEM);
        assert_null(e);
    }
}

/* The measured operating points in the embedder's manifest give the
 * threshold for an FMR and back, and refuse what was not measured. */
static void test_operating_points(void **state)
{
    (void)state;
    float t = 0;
    double fmr = 0;
    assert_int_equal(lfr_engine_threshold_for_fmr(ctx, engine, 1e-6, &t), LFR_OK);
    assert_true(t > 0.5f && t < 0.7f);
    assert_int_equal(lfr_engine_fmr_at(ctx, engine, t, &fmr), LFR_OK);
    assert_true(fabs(log10(fmr) + 6) < 1e-3);
    float t5 = 0;
    assert_int_equal(lfr_engine_threshold_for_fmr(ctx, engine, 1e-5, &t5), LFR_OK);
    assert_true(t5 < t);
    assert_int_equal(lfr_engine_threshold_for_fmr(ctx, engine, 3e-6, &t5), LFR_OK);
    assert_true(t5 < t);
    assert_int_equal(lfr_engine_threshold_for_fmr(ctx, engine, 1e-9, &t), LFR_ELIMIT);
    assert_non_null(strstr(lfr_errmsg(ctx), "outside the measured range"));
    assert_int_equal(lfr_engine_fmr_at(ctx, engine, 0.99f, &fmr), LFR_ELIMIT);
    /* The same claim in the wild: named data, an interval around it, and
     * a lower rate at a higher threshold. */
    const lfr_model *m = lfr_engine_model(engine, LFR_MODEL_EMBEDDER);
    lfr_fmr_claim a, b;
    assert_int_equal(lfr_model_fmr_in_the_wild(ctx, m, 0.42f, &a), LFR_OK);
    assert_int_equal(lfr_model_fmr_in_the_wild(ctx, m, 0.50f, &b), LFR_OK);
    assert_non_null(strstr(a.data, "celeba_dev"));
    assert_true(a.lo <= a.fmr && a.fmr <= a.hi && b.lo <= b.fmr && b.fmr <= b.hi);
    assert_true(b.fmr < a.fmr && a.fmr < 1e-3 && b.fmr > 1e-5);
    assert_int_equal(lfr_model_fmr_in_the_wild(ctx, m, 0.95f, &a), LFR_ELIMIT);
    assert_non_null(strstr(lfr_errmsg(ctx), "in the wild"));
}

typedef struct thread_arg {
    const lfr_image *img;
    float emb[MAX_DIM];
    int rc;
} thread_arg;

static void *embed_thread(void *p)
{
    thread_arg *a = p;
    lfr_ctx *c = NULL;
    if (lfr_ctx_new(&c)) {
        a->rc = LFR_ENOMEM;
        return NULL;
    }
    for (int k = 0; k < 5 && !a->rc; k++)
        a->rc = lfr_engine_embed_main(c, engine, a->img, a->emb, NULL, NULL);
    lfr_ctx_free(c);
    return NULL;
}

/* One engine, two threads at once: the same results as one thread. */
/* ONNX Runtime's own tensors (the feature maps of a face) go through the
 * wiping allocator: embedding a face wipes at least its input and output. */
static void test_runtime_memory_wiped(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/face_recognition_examples/examples/biden.jpg");
    lfr_image *img = load("samples/face_recognition_examples/examples/biden.jpg");
    size_t before = lfr_runtime_wiped_bytes(rt);
    float emb[MAX_DIM];
    assert_true(lfr_engine_embedding_size(engine) <= MAX_DIM);
    assert_int_equal(lfr_engine_embed_main(ctx, engine, img, emb, NULL, NULL), LFR_OK);
    size_t wiped = lfr_runtime_wiped_bytes(rt) - before;
    print_message("ONNX Runtime memory wiped for one still: %zu bytes\n", wiped);
    assert_true(wiped >= 3 * 112 * 112 * sizeof(float));
    lfr_image_free(img);
}

static void test_engine_shared_by_threads(void **state)
{
    (void)state;
    TEST_NEED_DATA("samples/face_recognition_examples/examples/biden.jpg");
    lfr_image *img = load("samples/face_recognition_examples/examples/biden.jpg");
    float ref[MAX_DIM];
    int dim = lfr_engine_embedding_size(engine);
    assert_true(dim <= MAX_DIM);
    embed_main(img, ref);
    thread_arg args[2] = {{.img = img}, {.img = img}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, embed_thread, &args[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(args[i].rc, LFR_OK);
        assert_true(lfr_cosine(ref, args[i].emb, dim) > 0.9999f);
    }
    lfr_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_params),
        cmocka_unit_test(test_preprocess_paths),
        cmocka_unit_test(test_similarity_recovered),
        cmocka_unit_test(test_alignment_undoes_warp),
        cmocka_unit_test(test_detect_dlib_annotations),
        cmocka_unit_test(test_detect_small_faces_in_hd_frame),
        cmocka_unit_test(test_anysize_matches_published_detector),
        cmocka_unit_test(test_embedding_stability),
        cmocka_unit_test(test_main_face_and_enrol_gate),
        cmocka_unit_test(test_enrol_past_a_bystander),
        cmocka_unit_test(test_johns_told_apart),
        cmocka_unit_test(test_no_face_and_tiny_images),
        cmocka_unit_test(test_bad_models_refused),
        cmocka_unit_test(test_engine_alloc_faults),
        cmocka_unit_test(test_engine_shared_by_threads),
        cmocka_unit_test(test_runtime_memory_wiped),
        cmocka_unit_test(test_operating_points),
    };
    return cmocka_run_group_tests(tests, setup_engine, teardown_engine);
}
