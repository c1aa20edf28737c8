/* tests/test_eval.c - evaluation protocols on sets whose answers are known:
 * intervals, thresholds, FMR/FNMR, FPIR/FNIR, rank-1, file parsing. */
#include "testutil.h"

#include "lfr/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static lfr_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    return lfr_ctx_new(&ctx);
}

static int teardown(void **state)
{
    (void)state;
    lfr_ctx_free(ctx);
    return 0;
}

static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    lfr_wilson95(0, 10, &lo, &hi);
    assert_true(lo == 0 && fabs(hi - 0.2775) < 1e-3);
    lfr_wilson95(5, 10, &lo, &hi);
    assert_true(fabs(lo - 0.2366) < 1e-3 && fabs(hi - 0.7634) < 1e-3);
    lfr_wilson95(4, 4068, &lo, &hi);
    assert_true(lo > 0.0003 && lo < 0.0004 && hi > 0.0025 && hi < 0.0026);
    lfr_wilson95(0, 0, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
}

static void test_expected_false_alerts(void **state)
{
    (void)state;
    /* 15,500 faces, 10,000 people, FMR 1e-7: about 15.5 x 0.001. */
    double e = lfr_expected_false_alerts(15500, 10000, 1e-7);
    assert_true(fabs(e - 15500 * (1 - exp(-1e-3))) < 1e-6);
    /* Large FMR saturates at one false alert per face, never more. */
    assert_true(lfr_expected_false_alerts(100, 1000000, 0.01) <= 100.0);
    assert_true(lfr_expected_false_alerts(0, 10, 0.1) == 0);
}

/* A small labelled set with hand-made unit vectors in 4-d. */
typedef struct toy {
    lfr_labelled set;
    float emb[16 * 4];
    uint8_t found[16];
    char *paths[16];
    int label[16];
    char *names[8];
} toy;

static void toy_init(toy *t, int n, const int *labels, int n_names, const float (*v)[4])
{
    memset(t, 0, sizeof *t);
    static char path_buf[16][32], name_buf[8][16];
    for (int i = 0; i < n; i++) {
        snprintf(path_buf[i], sizeof path_buf[i], "img%d.jpg", i);
        t->paths[i] = path_buf[i];
        t->label[i] = labels[i];
        t->found[i] = 1;
        double norm = 0;
        for (int k = 0; k < 4; k++)
            norm += v[i][k] * v[i][k];
        for (int k = 0; k < 4; k++)
            t->emb[i * 4 + k] = (float)(v[i][k] / sqrt(norm));
    }
    for (int k = 0; k < n_names; k++) {
        snprintf(name_buf[k], sizeof name_buf[k], "P%d", k);
        t->names[k] = name_buf[k];
    }
    t->set = (lfr_labelled){t->paths, t->label, n, t->names, n_names, 0};
}

/* Three people, two photos each: 3 genuine, 12 impostor pairs. */
static void test_fmr_counts(void **state)
{
    (void)state;
    const int labels[6] = {0, 0, 1, 1, 2, 2};
    const float v[6][4] = {{1, 0, 0, 0},    {1, 0.2f, 0, 0}, {0, 1, 0, 0},
                           {0, 1, 0.9f, 0}, {0, 0, 0, 1},    {0.6f, 0, 0, 1}};
    toy t;
    toy_init(&t, 6, labels, 3, v);
    lfr_fmr_result r;
    assert_int_equal(lfr_eval_fmr(ctx, &t.set, t.emb, t.found, 4, &r), LFR_OK);
    assert_int_equal(r.n_genuine, 3);
    assert_int_equal(r.n_impostor, 12);
    /* With 12 impostor pairs, FMR 1e-3 allows none: the threshold sits just
     * above the highest impostor score, 0.6/sqrt(1.36) * 1 = img0 . img5. */
    double top_imp = 0.6 / sqrt(1.36);
    assert_true(fabs(r.top_false[0].score - top_imp) < 1e-5);
    assert_int_equal(r.top_false[0].a, 0);
    assert_int_equal(r.top_false[0].b, 5);
    assert_int_equal(r.points[0].false_matches, 0);
    assert_true(r.points[0].threshold > top_imp && r.points[0].threshold < top_imp + 1e-5);
    /* Genuine scores: 1/sqrt(1.04)=0.981, 1/sqrt(1.81)=0.743, 0.6/sqrt(1.36)
     * ... pair (4,5) = 1/sqrt(1.36) = 0.857; all above 0.515 -> FNMR 0. */
    assert_int_equal(r.points[0].false_non_matches, 0);
    /* An image without a face: its genuine pair becomes a non-match. */
    t.found[3] = 0;
    assert_int_equal(lfr_eval_fmr(ctx, &t.set, t.emb, t.found, 4, &r), LFR_OK);
    assert_int_equal(r.n_no_face, 1);
    assert_int_equal(r.points[0].false_non_matches, 1);
    assert_true(fabs(r.points[0].fnmr - 1.0 / 3) < 1e-9);
}

/* Gallery P0, P1 (first photos); mated probes: their second photos;
 * non-mated probes: P2 and P3 with one photo each. */
static void test_identify_counts(void **state)
{
    (void)state;
    const int labels[6] = {0, 0, 1, 1, 2, 3};
    const float v[6][4] = {{1, 0, 0, 0},    {1, 0.3f, 0, 0}, {0, 1, 0, 0},
                           {0.9f, 1, 0, 0}, {0.5f, 0, 1, 0}, {0, 0, 0, 1}};
    toy t;
    toy_init(&t, 6, labels, 4, v);
    lfr_identify_result r;
    assert_int_equal(lfr_eval_identify(ctx, &t.set, t.emb, t.found, 4, &r), LFR_OK);
    assert_int_equal(r.n_gallery, 2);
    assert_int_equal(r.n_mated, 2);
    assert_int_equal(r.n_nonmated, 2);
    /* Probe 3 (P1, 0.9,1) is nearer P1 (0.743) than P0 (0.669): both hit. */
    assert_int_equal(r.rank1_hits, 2);
    /* FPIR 1e-1 of 2 non-mated allows none: threshold above the best
     * non-mated score, 0.5/sqrt(1.25) = 0.447 (P2's photo against P0). */
    assert_true(r.points[0].threshold > 0.447f && r.points[0].threshold < 0.4475f);
    assert_int_equal(r.points[0].false_positives, 0);
    assert_int_equal(r.points[0].false_negatives, 0);
    assert_int_equal(r.top_false[0].a, 4);
    assert_int_equal(r.top_false[0].b, 0);
    assert_int_equal(r.n_probes, 4);

    /* Groups: P0 and P2 in "X", P1 in "Y", P3's value missing. The CSV has
     * a quoted field with commas, as LFW's does. */
    const char *csv = "identity,n_images,group,extra\n"
                      "P0,2,X,\"{\"\"a\"\": 1, \"\"b\"\": 2}\"\n"
                      "P1,2,Y,\"x,y\"\r\nP2,1,X,z\nP3,1,unknown,\n";
    test_write_file(test_tmp_path("groups.csv"), csv, strlen(csv));
    lfr_groups *g = NULL;
    assert_int_equal(lfr_groups_load(ctx, test_tmp_path("groups.csv"), "group", &t.set, &g),
                     LFR_OK);
    assert_int_equal(g->n_groups, 2);
    assert_string_equal(g->names[0], "X");
    assert_int_equal(g->group_of[3], -1);
    lfr_group_rates rates[LFR_MAX_GROUPS];
    /* At 0.4: X's impostor pairs (P0 x P2): img0.img4 = 0.447 accepted,
     * img1.img4 = 0.428 accepted: 2 of 2; Y has no impostor pair. */
    assert_int_equal(lfr_eval_groups(ctx, &t.set, t.emb, t.found, 4, g, 0.4, &r, rates), LFR_OK);
    assert_int_equal(rates[0].n_identities, 2);
    assert_int_equal(rates[0].impostor_pairs, 2);
    assert_int_equal(rates[0].false_matches, 2);
    assert_int_equal(rates[1].impostor_pairs, 0);
    assert_int_equal(rates[0].genuine_pairs, 1);
    assert_int_equal(rates[0].false_non_matches, 0);
    /* Probes: X has P0's mated probe and P2's non-mated one (0.447 >= 0.4). */
    assert_int_equal(rates[0].mated, 1);
    assert_int_equal(rates[0].nonmated, 1);
    assert_int_equal(rates[0].false_positives, 1);
    assert_int_equal(rates[1].mated, 1);
    assert_int_equal(rates[1].false_negatives, 0);
    lfr_groups_free(g);
    g = (lfr_groups *)1;
    assert_int_equal(lfr_groups_load(ctx, test_tmp_path("groups.csv"), "nope", &t.set, &g),
                     LFR_EFORMAT);
    assert_null(g);

    /* The plot is an SVG with the curve in it. */
    const char *svg = test_tmp_path("toy.svg");
    char svg_path[4096];
    snprintf(svg_path, sizeof svg_path, "%s", svg);
    assert_int_equal(lfr_plot_svg(ctx, svg_path, "toy <test>", NULL, &r), LFR_OK);
    uint8_t *text = NULL;
    size_t len = 0;
    assert_int_equal(lfr_read_file(ctx, svg_path, 1 << 20, &text, &len), LFR_OK);
    assert_non_null(strstr((char *)text, "<svg"));
    assert_non_null(strstr((char *)text, "<polyline"));
    assert_non_null(strstr((char *)text, "toy &lt;test>"));
    lfr_free(text);
    lfr_identify_result_free(&r);
}

static void write_text(const char *name, const char *text)
{
    test_write_file(test_tmp_path(name), text, strlen(text));
}

/* ACC-1: group A's people look alike (impostor cosines near 0.8), group
 * B's do not (near 0). Below A's highest impostor score the two FMRs
 * differ significantly; the floor is the first step above it. */
static double gauss(unsigned *seed)
{
    double u = 0;
    for (int k = 0; k < 12; k++) {
        *seed = *seed * 1664525u + 1013904223u;
        u += (double)(*seed >> 8) / (double)(1u << 24);
    }
    return u - 6;
}

static void test_group_floor(void **state)
{
    (void)state;
    enum { N = 80, D = 64 };
    static float emb[N * D];
    static int label[N];
    static char *paths[N], *names[N], name_buf[N][8];
    uint8_t found[N];
    unsigned seed = 7;
    for (int i = 0; i < N; i++) {
        double norm = 0;
        for (int k = 0; k < D; k++) {
            double v = gauss(&seed) / sqrt((double)D);
            if (i < N / 2) v = 0.5 * v + (k == 0); /* A: around the first axis */
            emb[i * D + k] = (float)v;
            norm += v * v;
        }
        for (int k = 0; k < D; k++)
            emb[i * D + k] = (float)(emb[i * D + k] / sqrt(norm));
        label[i] = i;
        found[i] = 1;
        snprintf(name_buf[i], sizeof name_buf[i], "Q%d", i);
        names[i] = paths[i] = name_buf[i];
    }
    lfr_labelled set = {paths, label, N, names, N, 0};
    char csv[N * 16 + 32] = "identity,group\n";
    for (int i = 0; i < N; i++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "Q%d,%s\n", i, i < N / 2 ? "A" : "B");
    test_write_file(test_tmp_path("floor.csv"), csv, strlen(csv));
    lfr_groups *g = NULL;
    assert_int_equal(lfr_groups_load(ctx, test_tmp_path("floor.csv"), "group", &set, &g), LFR_OK);
    double top_a = -1;
    for (int i = 0; i < N / 2; i++)
        for (int j = i + 1; j < N / 2; j++) {
            double dot = 0;
            for (int k = 0; k < D; k++)
                dot += emb[i * D + k] * emb[j * D + k];
            if (dot > top_a) top_a = dot;
        }
    assert_true(top_a > 0.6 && top_a < 0.94);
    lfr_group_floor *f = lfr_alloc(sizeof *f);
    assert_int_equal(lfr_eval_group_floor(ctx, &set, emb, found, D, g, 0.0, 0.015, f), LFR_OK);
    /* Significant up to just below the floor, nowhere from it on; the
     * floor lies below A's highest impostor score, where a handful of
     * A's pairs can no longer be told from none of B's. */
    int at = (int)lround(f->floor / 0.015);
    assert_true(at > 0 && at < LFR_FLOOR_STEPS);
    assert_int_equal(f->steps[at - 1].significant, 1);
    for (int s = at; s < f->n_steps; s++)
        assert_int_equal(f->steps[s].significant, 0);
    assert_true(f->floor < top_a && f->floor > 0.3);
    /* The counts at one step, checked directly. */
    const lfr_floor_step *st = &f->steps[30];
    long reach = 0;
    for (int i = 0; i < N / 2; i++)
        for (int j = i + 1; j < N / 2; j++) {
            double dot = 0;
            for (int k = 0; k < D; k++)
                dot += emb[i * D + k] * emb[j * D + k];
            reach += (float)dot >= (float)st->threshold - 1e-6f;
        }
    assert_string_equal(st->highest, "A");
    assert_true(labs(st->highest_fm - reach) <= 1);
    assert_int_equal(st->highest_pairs, (N / 2) * (N / 2 - 1) / 2);
    assert_string_equal(st->lowest, "B");
    /* A sweep leaving [-1, 1] is refused. */
    assert_int_equal(lfr_eval_group_floor(ctx, &set, emb, found, D, g, 0.5, 0.02, f), LFR_EINVAL);
    lfr_free(f);
    lfr_groups_free(g);
}

/* Walk-by scoring on a toy truth: two watchlisted passers and one stranger
 * crossing the same frames. */
static void test_walkby_scoring(void **state)
{
    (void)state;
    const char *truth =
        "{\"fps\": 25, \"passers\": ["
        "{\"pid\": 1, \"identity\": 7001, \"on_watchlist\": true, \"first_frame\": 10,"
        " \"last_frame\": 12, \"first_full_frame\": 11, \"boxes\": [[10, 0, 0, 40, 40, 0.5],"
        " [11, 10, 0, 40, 40, 1], [12, 20, 0, 40, 40, 1]]},"
        "{\"pid\": 2, \"identity\": \"7002\", \"on_watchlist\": true, \"first_frame\": 10,"
        " \"last_frame\": 11, \"first_full_frame\": null, \"boxes\": [[10, 200, 0, 40, 40, 1],"
        " [11, 210, 0, 40, 40, 1]]},"
        "{\"pid\": 3, \"identity\": 7003, \"on_watchlist\": false, \"first_frame\": 10,"
        " \"last_frame\": 11, \"boxes\": [[10, 400, 0, 40, 40, 1], [11, 400, 0, 40, 40, 1]]}]}";
    test_write_file(test_tmp_path("walkby.json"), truth, strlen(truth));
    lfr_walkby *w = NULL;
    assert_int_equal(lfr_walkby_load(ctx, test_tmp_path("walkby.json"), &w), LFR_OK);
    lfr_walkby_alert a[6] = {
        {12, "7001", {22, 2, 58, 38}},   /* on passer 1: found, 2 frames after first */
        {11, "7001", {12, 2, 48, 38}},   /* earlier: this is the finding alert */
        {12, "7001", {22, 2, 58, 38}},   /* again: a duplicate */
        {11, "7002", {12, 2, 48, 38}},   /* passer 2's name on passer 1: false */
        {11, "7001", {402, 2, 438, 38}}, /* on the stranger: false */
        {30, "7002", {0, 0, 10, 10}},    /* after passer 2 left, no grace: false */
    };
    lfr_walkby_result r;
    assert_int_equal(lfr_walkby_score(ctx, w, a, 6, 0, &r), LFR_OK);
    assert_int_equal(r.passers, 3);
    assert_int_equal(r.watchlisted, 2);
    assert_int_equal(r.found, 1);
    assert_int_equal(r.duplicates, 2);
    assert_int_equal(r.false_alerts, 3);
    assert_true(fabs(r.latency_median - 1) < 1e-9 && fabs(r.latency_full_median - 0) < 1e-9);
    assert_int_equal(r.n_missed, 1);
    assert_string_equal(r.missed[0], "pid 2 identity 7002");
    assert_non_null(strstr(r.false_listed[0], "wrong identity on a watchlisted passer"));
    assert_non_null(strstr(r.false_listed[1], "on a non-enrolled passer"));
    assert_non_null(strstr(r.false_listed[2], "on nobody"));
    /* With grace, an alert after passer 2 left is theirs. */
    assert_int_equal(lfr_walkby_score(ctx, w, a + 5, 1, 20, &r), LFR_OK);
    assert_int_equal(r.found, 1);
    assert_int_equal(r.false_alerts, 0);
    lfr_walkby_free(w);
    /* A truth file without what scoring needs is refused by name. */
    const char *bad = "{\"fps\": 25, \"passers\": [{\"pid\": 1}]}";
    test_write_file(test_tmp_path("walkby_bad.json"), bad, strlen(bad));
    assert_int_equal(lfr_walkby_load(ctx, test_tmp_path("walkby_bad.json"), &w), LFR_EFORMAT);
    assert_non_null(strstr(lfr_errmsg(ctx), "passer 0"));
}

static void test_pairs_file_errors(void **state)
{
    (void)state;
    lfr_pairs *p = (lfr_pairs *)1;
    write_text("pairs_bad1.txt", "ten 300\n");
    assert_int_equal(lfr_pairs_load_lfw(ctx, "/x", test_tmp_path("pairs_bad1.txt"), 0, &p),
                     LFR_EFORMAT);
    assert_null(p);
    write_text("pairs_bad2.txt", "2 1\nA 1 2\nA 1 B\n");
    assert_int_equal(lfr_pairs_load_lfw(ctx, "/x", test_tmp_path("pairs_bad2.txt"), 0, &p),
                     LFR_EFORMAT);
    assert_non_null(strstr(lfr_errmsg(ctx), ":3:"));
    write_text("pairs_ok.txt", "2 1\nA 1 2\nA 1 B 1\nB 1 2\nB 2 A 2\n");
    assert_int_equal(lfr_pairs_load_lfw(ctx, "/x", test_tmp_path("pairs_ok.txt"), 0, &p), LFR_OK);
    assert_int_equal(p->n_pairs, 4);
    assert_int_equal(p->n_paths, 4); /* A1 A2 B1 B2, each once */
    assert_string_equal(p->paths[0], "/x/images/A/A_0001.jpg");
    assert_int_equal(p->pairs[3].fold, 1);
    assert_int_equal(p->pairs[3].same, 0);
    lfr_pairs_free(p);
}

/* Fold thresholds come from the other folds; a perfectly separable set
 * scores 100%, and a failed pair is an error whatever its label. */
static void test_verify_protocol(void **state)
{
    (void)state;
    lfr_pair pairs[40];
    float scores[40];
    uint8_t failed[40] = {0};
    for (int i = 0; i < 40; i++) {
        pairs[i] = (lfr_pair){0, 0, i % 2, (i / 2) % 10};
        scores[i] = i % 2 ? 0.8f + 0.001f * i : 0.1f + 0.001f * i;
    }
    lfr_pairs p = {NULL, 0, pairs, 40, 10};
    lfr_verify_result r;
    assert_int_equal(lfr_verify_eval(ctx, &p, scores, failed, &r), LFR_OK);
    assert_true(fabs(r.accuracy_mean - 1.0) < 1e-12);
    assert_true(r.tar_at_far == 1.0);
    failed[3] = 1; /* a same pair in fold 1 */
    failed[4] = 1; /* a different pair in fold 2 */
    assert_int_equal(lfr_verify_eval(ctx, &p, scores, failed, &r), LFR_OK);
    assert_int_equal(r.n_failed_pairs, 2);
    assert_true(fabs(r.fold_accuracy[1] - 0.75) < 1e-12);
    assert_true(fabs(r.fold_accuracy[2] - 0.75) < 1e-12);
    assert_true(fabs(r.accuracy_mean - 0.95) < 1e-12);
}

static void test_labelled_files(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_tmp_path("lfwtoy"));
    mkdir(dir, 0700);
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    const char *csv = "path,identity\nimages/A/A_0001.jpg,A\nimages/A/A_0002.jpg,A\n"
                      "images/B/B_0001.jpg,B\nimages/C/C_0001.jpg,C\n";
    test_write_file(path, csv, strlen(csv));
    lfr_labelled *s = NULL;
    assert_int_equal(lfr_labelled_load_lfw(ctx, dir, NULL, &s), LFR_OK);
    assert_int_equal(s->n, 4);
    assert_int_equal(s->n_names, 3);
    assert_int_equal(s->label[1], s->label[0]);
    lfr_labelled_free(s);
    write_text("merge_ok.csv", "# comment\nB,C\n\n");
    assert_int_equal(lfr_labelled_load_lfw(ctx, dir, test_tmp_path("merge_ok.csv"), &s), LFR_OK);
    assert_int_equal(s->n_merged, 1);
    assert_int_equal(s->label[2], s->label[3]);
    lfr_labelled_free(s);
    s = (lfr_labelled *)1;
    write_text("merge_bad.csv", "B,Nobody\n");
    assert_int_equal(lfr_labelled_load_lfw(ctx, dir, test_tmp_path("merge_bad.csv"), &s),
                     LFR_EFORMAT);
    assert_null(s);
    assert_non_null(strstr(lfr_errmsg(ctx), "Nobody"));
    const char *bad = "path,identity\nimages/A/A_0001.jpg\n";
    test_write_file(path, bad, strlen(bad));
    assert_int_equal(lfr_labelled_load_lfw(ctx, dir, NULL, &s), LFR_EFORMAT);
    assert_non_null(strstr(lfr_errmsg(ctx), ":2:"));
}

/* Fusion: the fused cosine is the weighted mean of the models' cosines,
 * each weighted by 1 / its impostor spread. */
static void test_fusion(void **state)
{
    (void)state;
    float a[3 * 2] = {1, 0, 0.6f, 0.8f, 0, 1};          /* model A, 3 images, 2-d */
    float b[3 * 3] = {1, 0, 0, 0, 1, 0, 0.8f, 0, 0.6f}; /* model B, 3-d */
    uint8_t fa[3] = {1, 1, 1}, fb[3] = {1, 1, 0};
    const float *emb[2] = {a, b};
    const uint8_t *found[2] = {fa, fb};
    int dims[2] = {2, 3};
    double sd[2] = {0.5, 0.25};
    float out[3 * 5];
    uint8_t fo[3];
    assert_int_equal(lfr_fuse(ctx, 2, emb, dims, sd, found, 3, out, fo), LFR_OK);
    assert_int_equal(fo[0], 1);
    assert_int_equal(fo[2], 0); /* B found no face in image 2 */
    float self = lfr_cosine(out, out, 5);
    assert_true(fabsf(self - 1.0f) < 1e-5f);
    double ca = 0.6, cb = 0.0; /* images 0 and 1 */
    double want = (ca / 0.5 + cb / 0.25) / (1 / 0.5 + 1 / 0.25);
    assert_true(fabs(lfr_cosine(out, out + 5, 5) - want) < 1e-5);
    const float *one[1] = {a};
    assert_int_equal(lfr_fuse(ctx, 1, one, dims, sd, found, 3, out, fo), LFR_EINVAL);
    /* The spread of impostor scores over pairs. */
    lfr_pair pairs[3] = {{0, 1, 0, 0}, {0, 2, 0, 0}, {1, 2, 1, 0}};
    lfr_pairs p = {NULL, 3, pairs, 3, 1};
    double spread = 0;
    assert_int_equal(lfr_impostor_sd(ctx, &p, a, fa, 2, &spread),
                     LFR_EINVAL); /* 2 pairs: too few */
    lfr_pair many[20];
    for (int i = 0; i < 20; i++)
        many[i] = (lfr_pair){0, i % 2 ? 1 : 2, 0, 0};
    lfr_pairs q = {NULL, 3, many, 20, 1};
    assert_int_equal(lfr_impostor_sd(ctx, &q, a, fa, 2, &spread), LFR_OK);
    /* scores alternate 0.6 and 0: sample sd of ten each */
    assert_true(fabs(spread - 0.3 * sqrt(20.0 / 19.0)) < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_expected_false_alerts),
        cmocka_unit_test(test_fmr_counts),
        cmocka_unit_test(test_identify_counts),
        cmocka_unit_test(test_pairs_file_errors),
        cmocka_unit_test(test_verify_protocol),
        cmocka_unit_test(test_labelled_files),
        cmocka_unit_test(test_walkby_scoring),
        cmocka_unit_test(test_fusion),
        cmocka_unit_test(test_group_floor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
