/* tests/test_models.c - the converted embedders (mobilefacenet192, dlib's
 * ResNet) and the fusion under ONNX Runtime, through lfr_model_load and the
 * engine: output size, unit length, same person above different people,
 * corrupt or wrong files refused; the 512-d network rewritten for speed gives
 * the original's embeddings bit for bit; the fusion's template is its members'
 * weighted embeddings, the same whether they run at once or in turn. */
#include "testutil.h"

#include "lfr/vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lfr_ctx *ctx;
static lfr_runtime *rt;

static int setup(void **state)
{
    (void)state;
    return lfr_ctx_new(&ctx) || lfr_runtime_new(ctx, NULL, &rt) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    lfr_runtime_free(rt);
    lfr_ctx_free(ctx);
    return 0;
}

#define EX "samples/face_recognition_examples/examples/"

static lfr_engine *open_engine(const char *embedder, int flip, int parallel)
{
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = test_model_dir();
    p.embedder = embedder;
    p.embed_flip = flip;
    p.fusion_parallel = parallel;
    lfr_engine *e = NULL;
    if (lfr_engine_new(ctx, rt, &p, &e)) fail_msg("%s: %s", embedder, lfr_errmsg(ctx));
    return e;
}

static void embed(const lfr_engine *e, const char *rel, float *out)
{
    lfr_image *img = NULL;
    if (lfr_image_load(ctx, test_data_path(rel), NULL, &img))
        fail_msg("%s: %s", rel, lfr_errmsg(ctx));
    if (lfr_engine_embed_main(ctx, e, img, out, NULL, NULL))
        fail_msg("%s: %s", rel, lfr_errmsg(ctx));
    lfr_image_free(img);
}

static double norm(const float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

/* One converted model, alone and in an engine. */
static void check_converted(const char *name, const char *manifest_name, int dim)
{
    TEST_NEED_DATA(EX "obama2.jpg");
    lfr_model *m = NULL;
    if (lfr_model_load(ctx, rt, test_model_dir(), name, &m))
        fail_msg("%s: %s", name, lfr_errmsg(ctx));
    assert_int_equal(lfr_model_kind_of(m), LFR_MODEL_EMBEDDER);
    assert_string_equal(lfr_model_name(m), manifest_name);
    assert_int_equal(lfr_model_embedding_size(m), dim);
    assert_int_equal(lfr_model_n_members(m), 0);
    assert_null(lfr_model_member(m, 0, NULL));
    /* Operating points were measured: FMR 1e-6 has a threshold. */
    float t6 = 0;
    assert_int_equal(lfr_model_threshold_for_fmr(ctx, m, 1e-6, &t6), LFR_OK);
    lfr_model_free(m);

    lfr_engine *e = open_engine(name, 0, 1);
    assert_int_equal(lfr_engine_embedding_size(e), dim);
    float *a = calloc((size_t)dim, sizeof(float)), *b = calloc((size_t)dim, sizeof(float));
    float *c = calloc((size_t)dim, sizeof(float)), *d = calloc((size_t)dim, sizeof(float));
    embed(e, EX "obama.jpg", a);
    embed(e, EX "obama2.jpg", b);
    embed(e, EX "biden.jpg", c);
    embed(e, EX "obama.jpg", d);
    assert_true(fabs(norm(a, dim) - 1.0) < 1e-4);
    assert_true(fabs(norm(c, dim) - 1.0) < 1e-4);
    /* The same image twice: the same embedding. */
    assert_true(lfr_cosine(a, d, dim) > 0.9999f);
    float same = lfr_cosine(a, b, dim), diff = lfr_cosine(a, c, dim);
    float diff2 = lfr_cosine(b, c, dim);
    print_message("%s: Obama ~ Obama %.3f, Obama ~ Biden %.3f and %.3f (threshold %.3f, FMR 1e-6 "
                  "at %.3f)\n",
                  name, same, diff, diff2, lfr_engine_threshold(e), t6);
    assert_true(same > diff + 0.1f && same > diff2 + 0.1f);
    assert_true(same >= lfr_engine_threshold(e));
    assert_true(diff < lfr_engine_threshold(e) && diff2 < lfr_engine_threshold(e));
    free(a);
    free(b);
    free(c);
    free(d);
    lfr_engine_free(e);
}

static void test_mobilefacenet192(void **state)
{
    (void)state;
    check_converted("mobilefacenet192", "mobilefacenet-192", 192);
}

static void test_dlib_resnet128(void **state)
{
    (void)state;
    check_converted("dlib_resnet128", "dlib-resnet-128", 128);
}

/* dlib's 5 Johns (aligned chips): each converted model puts every chip's
 * nearest other chip on the same John for nearly all chips. */
static void test_johns_nearest_neighbour(void **state)
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
    const char *models[2] = {"mobilefacenet192", "dlib_resnet128"};
    for (int k = 0; k < 2; k++) {
        lfr_engine *e = open_engine(models[k], 0, 1);
        int dim = lfr_engine_embedding_size(e);
        float *emb = calloc((size_t)n * (size_t)dim, sizeof(float));
        for (int i = 0; i < n; i++) {
            char rel[300];
            const char *p = strncmp(paths[i], "examples/", 9) ? paths[i] : paths[i] + 9;
            snprintf(rel, sizeof rel, "samples/dlib_examples/%.255s", p);
            embed(e, rel, emb + (size_t)i * dim);
        }
        int nn_ok = 0;
        for (int i = 0; i < n; i++) {
            int best = -1;
            float best_sim = -2;
            for (int j = 0; j < n; j++) {
                float s =
                    j == i ? -2 : lfr_cosine(emb + (size_t)i * dim, emb + (size_t)j * dim, dim);
                if (s > best_sim) best_sim = s, best = j;
            }
            nn_ok += !strcmp(ids[i], ids[best]);
        }
        print_message("%s: nearest other chip the same John for %d of %d\n", models[k], nn_ok, n);
        assert_true(nn_ok >= n - 2);
        free(emb);
        lfr_engine_free(e);
    }
}

/* Scratch model folder: the real manifests, the networks linked in. */
static const char *scratch(void)
{
    return test_tmp_path("models_scratch");
}

static void scratch_reset(void)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cp '%s'/*.json '%s'/ && for f in '%s'/*.onnx; do "
             "ln -s \"$f\" '%s'/; done",
             scratch(), scratch(), test_model_dir(), scratch(), test_model_dir(), scratch());
    assert_int_equal(system(cmd), 0);
}

static void scratch_write(const char *name, const void *bytes, size_t len)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", scratch(), name);
    remove(path); /* may be a link to the real file */
    test_write_file(path, bytes, len);
}

static void scratch_copy(const char *from, const char *to, size_t max_bytes)
{
    char src[4400];
    snprintf(src, sizeof src, "%s/%s", test_model_dir(), from);
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(lfr_read_file(ctx, src, (size_t)1 << 30, &bytes, &len), LFR_OK);
    scratch_write(to, bytes, len < max_bytes ? len : max_bytes);
    lfr_free(bytes);
}

/* Rewrites a manifest in the scratch folder: its "file" and "sha256". */
static void scratch_manifest(const char *from, const char *to, const char *file, const char *sha)
{
    char src[4400];
    snprintf(src, sizeof src, "%s/%s.json", test_model_dir(), from);
    uint8_t *text = NULL;
    size_t len = 0;
    assert_int_equal(lfr_read_file(ctx, src, 1 << 20, &text, &len), LFR_OK);
    char *out = calloc(len + 512, 1), *s = calloc(len + 1, 1);
    memcpy(s, text, len);
    char *f = strstr(s, "\"file\": \""), *h = strstr(s, "\"sha256\": \"");
    assert_non_null(f);
    assert_non_null(h);
    assert_true(f < h);
    char *f_end = strchr(f + 9, '"'), *h_end = strchr(h + 11, '"');
    int n = snprintf(out, len + 512, "%.*s\"file\": \"%s\"%.*s\"sha256\": \"%s\"%s", (int)(f - s),
                     s, file, (int)(h - f_end - 1), f_end + 1, sha, h_end + 1);
    char name[300];
    snprintf(name, sizeof name, "%s.json", to);
    scratch_write(name, out, (size_t)n);
    free(out);
    free(s);
    lfr_free(text);
}

static void expect_refused(const char *name, int code, const char *needle)
{
    lfr_model *m = (lfr_model *)1;
    int rc = lfr_model_load(ctx, rt, scratch(), name, &m);
    print_message("%s: %s\n", name, lfr_errmsg(ctx));
    assert_int_equal(rc, code);
    assert_null(m);
    if (!strstr(lfr_errmsg(ctx), needle)) fail_msg("'%s' not in: %s", needle, lfr_errmsg(ctx));
}

static void sha_of(const char *file, char hex[65])
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", scratch(), file);
    assert_int_equal(lfr_sha256_file(ctx, path, hex), LFR_OK);
}

/* setup.sh runs the 512-d network with its PReLU rewritten by
 * tools/rewrite_prelu.py (for speed): it must give the npm original's
 * embeddings bit for bit, so the original's operating points still hold. */
static void test_prelu_rewrite_is_exact(void **state)
{
    (void)state;
    TEST_NEED_DATA(EX "biden.jpg");
    scratch_reset();
    char hex[65];
    sha_of("fr_feature.onnx", hex);
    /* The npm file as published (scripts/setup.sh pins the same sum). */
    assert_string_equal(hex, "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581");
    scratch_manifest("mobilefacenet512", "original512", "fr_feature.onnx", hex);
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = scratch();
    lfr_engine *orig = NULL, *fast = NULL;
    p.embedder = "original512";
    if (lfr_engine_new(ctx, rt, &p, &orig)) fail_msg("%s", lfr_errmsg(ctx));
    p.embedder = "mobilefacenet512";
    if (lfr_engine_new(ctx, rt, &p, &fast)) fail_msg("%s", lfr_errmsg(ctx));
    static const char *const images[] = {EX "obama.jpg", EX "obama2.jpg", EX "biden.jpg",
                                         EX "two_people.jpg"};
    float a[512], b[512];
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        embed(orig, images[i], a);
        embed(fast, images[i], b);
        if (memcmp(a, b, sizeof a) != 0) {
            int k = 0;
            while (k < 511 && memcmp(&a[k], &b[k], sizeof a[k]) == 0)
                k++;
            fail_msg("%s: element %d is %.9g rewritten, %.9g originally", images[i], k, b[k], a[k]);
        }
    }
    lfr_engine_free(orig);
    lfr_engine_free(fast);
}

/* A corrupt or wrong model file is refused with a message that says what
 * is wrong, for each converted model. */
static void test_corrupt_and_wrong_files_refused(void **state)
{
    (void)state;
    scratch_reset();
    char hex[65];
    /* Truncated file, manifest unchanged: the checksum catches it. */
    scratch_copy("mobilefacenet192.onnx", "mobilefacenet192.onnx", 200000);
    expect_refused("mobilefacenet192", LFR_EMODEL, "checksum mismatch");
    scratch_copy("dlib_resnet128.onnx", "dlib_resnet128.onnx", 1000);
    expect_refused("dlib_resnet128", LFR_EMODEL, "checksum mismatch");
    /* The same truncated bytes with a matching checksum: ONNX Runtime
     * cannot read them. */
    sha_of("dlib_resnet128.onnx", hex);
    scratch_manifest("dlib_resnet128", "dlib_cut", "dlib_resnet128.onnx", hex);
    expect_refused("dlib_cut", LFR_EMODEL, "onnxruntime");
    /* A flipped byte in the middle of the weights. */
    scratch_reset();
    char src[4400];
    snprintf(src, sizeof src, "%s/mobilefacenet192.onnx", test_model_dir());
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(lfr_read_file(ctx, src, (size_t)1 << 30, &bytes, &len), LFR_OK);
    bytes[len / 2] ^= 0x40;
    scratch_write("mobilefacenet192.onnx", bytes, len);
    lfr_free(bytes);
    expect_refused("mobilefacenet192", LFR_EMODEL, "checksum mismatch");
    /* The wrong network under a manifest that names its checksum: dlib's
     * 150x150 ResNet where the 112x112 MobileFaceNet belongs, and the
     * 512-d network where the 192-d one belongs. */
    scratch_reset();
    sha_of("dlib_resnet128.onnx", hex);
    scratch_manifest("mobilefacenet192", "wrong_input", "dlib_resnet128.onnx", hex);
    expect_refused("wrong_input", LFR_EMODEL, "does not match");
    sha_of("fr_feature.onnx", hex);
    scratch_manifest("mobilefacenet192", "wrong_output", "fr_feature.onnx", hex);
    expect_refused("wrong_output", LFR_EMODEL, "no output named");
    /* The engine refuses them the same way. */
    lfr_engine_params p = lfr_engine_default_params();
    p.model_dir = scratch();
    p.embedder = "wrong_input";
    lfr_engine *e = (lfr_engine *)1;
    assert_int_equal(lfr_engine_new(ctx, rt, &p, &e), LFR_EMODEL);
    assert_null(e);
    /* Missing file: named, with the fix. */
    char path[4400];
    snprintf(path, sizeof path, "%s/dlib_resnet128.onnx", scratch());
    assert_int_equal(remove(path), 0);
    expect_refused("dlib_resnet128", LFR_EMODEL, "run scripts/setup.sh");
}

/* The fused template is each member's embedding times sqrt(weight),
 * concatenated: unit length, its cosine the weighted mean of the members'
 * cosines; members at once and in turn give the same template. */
static void test_fusion_is_weighted_concatenation(void **state)
{
    (void)state;
    TEST_NEED_DATA(EX "obama2.jpg");
    lfr_model *fu = NULL;
    assert_int_equal(lfr_model_load(ctx, rt, test_model_dir(), "fusion_512_192", &fu), LFR_OK);
    assert_int_equal(lfr_model_kind_of(fu), LFR_MODEL_EMBEDDER);
    int n = lfr_model_n_members(fu);
    assert_int_equal(n, 2);
    float w[2];
    const lfr_model *mem[2] = {lfr_model_member(fu, 0, &w[0]), lfr_model_member(fu, 1, &w[1])};
    assert_null(lfr_model_member(fu, 2, NULL));
    assert_true(fabsf(w[0] + w[1] - 1.0f) < 1e-5f && w[0] > 0 && w[1] > 0);
    assert_int_equal(lfr_model_embedding_size(fu),
                     lfr_model_embedding_size(mem[0]) + lfr_model_embedding_size(mem[1]));
    float t6 = 0;
    assert_int_equal(lfr_model_threshold_for_fmr(ctx, fu, 1e-6, &t6), LFR_OK);

    lfr_engine *at_once = open_engine("fusion_512_192", 1, 1);
    lfr_engine *in_turn = open_engine("fusion_512_192", 1, 0);
    /* The shipped fusion: the 512-d network, then the 192-d one. */
    assert_int_equal(lfr_model_embedding_size(mem[0]), 512);
    assert_int_equal(lfr_model_embedding_size(mem[1]), 192);
    lfr_engine *single[2] = {open_engine("mobilefacenet512", 1, 1),
                             open_engine("mobilefacenet192", 1, 1)};
    int dim = lfr_engine_embedding_size(at_once);
    assert_int_equal(dim, 704);
    const char *imgs[3] = {EX "obama.jpg", EX "obama2.jpg", EX "biden.jpg"};
    float fused[3][704], turn[3][704], part[2][3][512];
    for (int i = 0; i < 3; i++) {
        embed(at_once, imgs[i], fused[i]);
        embed(in_turn, imgs[i], turn[i]);
        for (int k = 0; k < 2; k++)
            embed(single[k], imgs[i], part[k][i]);
        assert_true(fabs(norm(fused[i], dim) - 1.0) < 1e-5);
        for (int d = 0; d < dim; d++)
            assert_true(fabsf(fused[i][d] - turn[i][d]) < 1e-6f);
        int off = 0;
        for (int k = 0; k < 2; k++) {
            int dk = lfr_engine_embedding_size(single[k]);
            float s = sqrtf(w[k]);
            for (int d = 0; d < dk; d++)
                assert_true(fabsf(fused[i][off + d] - s * part[k][i][d]) < 1e-5f);
            off += dk;
        }
    }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            float want = 0;
            for (int k = 0; k < 2; k++)
                want +=
                    w[k] * lfr_cosine(part[k][i], part[k][j], lfr_engine_embedding_size(single[k]));
            float got = lfr_cosine(fused[i], fused[j], dim);
            assert_true(fabsf(got - want) < 1e-5f);
        }
    float same = lfr_cosine(fused[0], fused[1], dim), diff = lfr_cosine(fused[0], fused[2], dim);
    print_message("fusion: Obama ~ Obama %.3f, Obama ~ Biden %.3f (threshold %.3f, FMR 1e-6 at "
                  "%.3f)\n",
                  same, diff, lfr_engine_threshold(at_once), t6);
    assert_true(same >= lfr_engine_threshold(at_once) && diff < lfr_engine_threshold(at_once));
    lfr_engine_free(at_once);
    lfr_engine_free(in_turn);
    lfr_engine_free(single[0]);
    lfr_engine_free(single[1]);
    lfr_model_free(fu);
}

static void write_fusion(const char *name, const char *members, int size)
{
    char text[1024], file[300];
    int n = snprintf(text, sizeof text,
                     "{\"name\": \"%s\", \"kind\": \"fusion\", \"members\": [%s], "
                     "\"embedding_size\": %d, \"threshold\": 0.4}\n",
                     name, members, size);
    snprintf(file, sizeof file, "%s.json", name);
    scratch_write(file, text, (size_t)n);
}

/* A bad fusion manifest is refused, naming the fusion and the problem. */
static void test_bad_fusions_refused(void **state)
{
    (void)state;
    scratch_reset();
    const char *a = "{\"model\": \"mobilefacenet512\", \"weight\": 0.6}";
    char two[512];
    snprintf(two, sizeof two, "%s, {\"model\": \"mobilefacenet192\", \"weight\": 0.4}", a);
    write_fusion("ok", two, 704);
    lfr_model *m = NULL;
    assert_int_equal(lfr_model_load(ctx, rt, scratch(), "ok", &m), LFR_OK);
    lfr_model_free(m);
    assert_int_equal(lfr_model_check(ctx, scratch(), "ok"), LFR_OK);
    write_fusion("wrong_size", two, 512);
    expect_refused("wrong_size", LFR_EMODEL, "add up to 704");
    assert_int_equal(lfr_model_check(ctx, scratch(), "wrong_size"), LFR_EMODEL);
    write_fusion("one", a, 512);
    expect_refused("one", LFR_EMODEL, "members");
    char buf[512];
    snprintf(buf, sizeof buf, "%s, %s", a, a);
    write_fusion("twice", buf, 1024);
    expect_refused("twice", LFR_EMODEL, "twice");
    snprintf(buf, sizeof buf, "%s, {\"model\": \"absent\", \"weight\": 0.4}", a);
    write_fusion("absent_member", buf, 704);
    expect_refused("absent_member", LFR_EMODEL, "fusion 'absent_member'");
    snprintf(buf, sizeof buf, "%s, {\"model\": \"mobilefacenet192\", \"weight\": 0}", a);
    write_fusion("zero_weight", buf, 704);
    expect_refused("zero_weight", LFR_EMODEL, "weight");
    snprintf(buf, sizeof buf, "%s, {\"model\": \"landmark68\", \"weight\": 0.4}", a);
    write_fusion("not_embedder", buf, 512);
    expect_refused("not_embedder", LFR_EMODEL, "not a single face embedder");
    snprintf(buf, sizeof buf, "%s, {\"model\": \"ok\", \"weight\": 0.4}", a);
    write_fusion("nested", buf, 1216);
    expect_refused("nested", LFR_EMODEL, "not a single face embedder");
    write_fusion("self",
                 "{\"model\": \"self\", \"weight\": 0.5}, "
                 "{\"model\": \"mobilefacenet192\", \"weight\": 0.5}",
                 704);
    expect_refused("self", LFR_EMODEL, "not a single face embedder");
    snprintf(buf, sizeof buf, "%s, {\"model\": \"../x\", \"weight\": 0.4}", a);
    write_fusion("path", buf, 704);
    expect_refused("path", LFR_EMODEL, "not a path");
    /* A corrupt member file: the fusion does not load, and says which. */
    scratch_copy("mobilefacenet192.onnx", "mobilefacenet192.onnx", 5000);
    expect_refused("ok", LFR_EMODEL, "checksum mismatch");
    assert_int_equal(lfr_model_check(ctx, scratch(), "ok"), LFR_EMODEL);
    assert_non_null(strstr(lfr_errmsg(ctx), "fusion 'ok'"));
}

/* Every allocation failure while loading a fusion ends in LFR_ENOMEM with
 * nothing leaked (ASan checks the leaks). */
static void test_fusion_alloc_faults(void **state)
{
    (void)state;
    lfr_alloc_fault_after(-1);
    lfr_model *m = NULL;
    assert_int_equal(lfr_model_load(ctx, rt, test_model_dir(), "fusion_512_192", &m), LFR_OK);
    lfr_model_free(m);
    long total = lfr_alloc_fault_after(-1);
    assert_true(total > 0);
    for (long k = 0; k < total; k++) {
        lfr_alloc_fault_after(k);
        m = (lfr_model *)1;
        int rc = lfr_model_load(ctx, rt, test_model_dir(), "fusion_512_192", &m);
        lfr_alloc_fault_after(-1);
        assert_int_equal(rc, LFR_ENOMEM);
        assert_null(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilefacenet192),
        cmocka_unit_test(test_dlib_resnet128),
        cmocka_unit_test(test_johns_nearest_neighbour),
        cmocka_unit_test(test_prelu_rewrite_is_exact),
        cmocka_unit_test(test_corrupt_and_wrong_files_refused),
        cmocka_unit_test(test_fusion_is_weighted_concatenation),
        cmocka_unit_test(test_bad_fusions_refused),
        cmocka_unit_test(test_fusion_alloc_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
