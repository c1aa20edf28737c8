/* tests/test_match.c - the gallery: exact search against a brute-force
 * reference, int8 screening, updates, wiping, files, threads, bad input. */
#include "testutil.h"

#include "lfr/match.h"
#include "match/internal.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 512

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

static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void random_unit(float *v, int dim)
{
    double n = 0;
    for (int i = 0; i < dim; i++) {
        /* Box-Muller: Gaussian components give uniform directions. */
        double u = uniform() + 1e-12, w = uniform();
        v[i] = (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * w));
        n += (double)v[i] * v[i];
    }
    for (int i = 0; i < dim; i++)
        v[i] = (float)(v[i] / sqrt(n));
}

/* A probe near template t of the data: t + noise, normalised. */
static void near(const float *t, float *v, int dim, double noise)
{
    random_unit(v, dim);
    double n = 0;
    for (int i = 0; i < dim; i++) {
        v[i] = (float)(t[i] + noise * v[i]);
        n += (double)v[i] * v[i];
    }
    for (int i = 0; i < dim; i++)
        v[i] = (float)(v[i] / sqrt(n));
}

static lfr_gallery *make(int int8)
{
    lfr_gallery_params p = lfr_gallery_default_params();
    p.dim = DIM;
    p.model = "test-model";
    p.quantize_int8 = int8;
    lfr_gallery *g = NULL;
    assert_int_equal(lfr_gallery_new(ctx, &p, &g), LFR_OK);
    return g;
}

typedef struct dataset {
    int n_ids, n_rows;
    float *rows;
    int *ident; /* per row */
    int *count; /* per identity */
} dataset;

/* Identities with 1..3 templates each, added to g. */
static dataset fill(lfr_gallery *g, int n_ids)
{
    dataset d = {n_ids, 0, NULL, NULL, NULL};
    d.rows = malloc((size_t)n_ids * 3 * DIM * sizeof(float));
    d.ident = malloc((size_t)n_ids * 3 * sizeof(int));
    d.count = malloc((size_t)n_ids * sizeof(int));
    for (int i = 0; i < n_ids; i++) {
        int n = 1 + (int)(uniform() * 3);
        d.count[i] = n;
        for (int t = 0; t < n; t++) {
            random_unit(d.rows + (size_t)(d.n_rows + t) * DIM, DIM);
            d.ident[d.n_rows + t] = i;
        }
        char id[32];
        snprintf(id, sizeof id, "person-%05d", i);
        assert_int_equal(lfr_gallery_add(ctx, g, id, d.rows + (size_t)d.n_rows * DIM, n), LFR_OK);
        d.n_rows += n;
    }
    return d;
}

static void dataset_free(dataset *d)
{
    free(d->rows);
    free(d->ident);
    free(d->count);
}

/* Brute force in double precision: best template per identity, sorted. */
static int reference(const dataset *d, const float *q, int k, const uint8_t *removed,
                     lfr_match *out)
{
    double *best = malloc((size_t)d->n_ids * sizeof(double));
    for (int i = 0; i < d->n_ids; i++)
        best[i] = -INFINITY;
    for (int r = 0; r < d->n_rows; r++) {
        if (removed && removed[d->ident[r]]) continue;
        double s = 0;
        for (int j = 0; j < DIM; j++)
            s += (double)q[j] * d->rows[(size_t)r * DIM + j];
        if (s > best[d->ident[r]]) best[d->ident[r]] = s;
    }
    int n = 0;
    for (; n < k; n++) {
        int arg = -1;
        for (int i = 0; i < d->n_ids; i++)
            if (best[i] > -INFINITY && (arg < 0 || best[i] > best[arg])) arg = i;
        if (arg < 0) break;
        snprintf(out[n].identity, sizeof out[n].identity, "person-%05d", arg);
        out[n].score_cos = (float)best[arg];
        best[arg] = -INFINITY;
    }
    free(best);
    return n;
}

static void expect_same(const lfr_match *got, int n_got, const lfr_match *want, int n_want)
{
    assert_int_equal(n_got, n_want);
    for (int i = 0; i < n_got; i++) {
        if (strcmp(got[i].identity, want[i].identity) != 0) {
            /* Only a near-tie may swap places. */
            assert_true(fabsf(got[i].score_cos - want[i].score_cos) < 1e-5f);
        }
        assert_true(fabsf(got[i].score_cos - want[i].score_cos) < 1e-4f);
    }
}

static void check_against_reference(int int8, int scalar)
{
    lfr_match_force_scalar(scalar);
    lfr_gallery *g = make(int8);
    dataset d = fill(g, 700);
    float q[DIM];
    lfr_match got[10], want[10];
    for (int trial = 0; trial < 60; trial++) {
        int k = 1 + trial % 10;
        if (trial % 2)
            near(d.rows + (size_t)(trial * 7 % d.n_rows) * DIM, q, DIM, 0.8);
        else
            random_unit(q, DIM);
        int n_got = 0;
        assert_int_equal(lfr_gallery_search(ctx, g, q, k, got, &n_got), LFR_OK);
        expect_same(got, n_got, want, reference(&d, q, k, NULL, want));
    }
    /* Batches give the same answers as single searches. */
    float *qs = malloc(33 * DIM * sizeof(float));
    lfr_match *bout = malloc(33 * 5 * sizeof(lfr_match));
    int bn[33];
    for (int i = 0; i < 33; i++)
        near(d.rows + (size_t)(i * 13 % d.n_rows) * DIM, qs + i * DIM, DIM, 1.0);
    assert_int_equal(lfr_gallery_search_batch(ctx, g, qs, 33, 5, bout, bn), LFR_OK);
    for (int i = 0; i < 33; i++)
        expect_same(bout + i * 5, bn[i], want, reference(&d, qs + i * DIM, 5, NULL, want));
    free(qs);
    free(bout);
    dataset_free(&d);
    lfr_gallery_free(g);
    lfr_match_force_scalar(0);
}

static void test_float_search_exact(void **state)
{
    (void)state;
    print_message("kernel here: %s\n", lfr_match_kernel_name());
    check_against_reference(0, 0);
    check_against_reference(0, 1);
}

static void test_int8_search_exact(void **state)
{
    (void)state;
    check_against_reference(1, 0);
    check_against_reference(1, 1);
}

/* The vector kernels agree with the portable ones. */
static void test_kernels_agree(void **state)
{
    (void)state;
    const match_kernels *best = match_kernels_get();
    int dim = 512 + 64;
    int8_t *q8 = malloc((size_t)dim), *rows8 = malloc((size_t)dim * 9);
    int32_t sums[9], a[9], b[9];
    float *q = malloc(sizeof(float) * 517), *rows = malloc(sizeof(float) * 517 * 9), fa[9], fb[9];
    for (int i = 0; i < dim; i++)
        q8[i] = (int8_t)(uniform() * 254 - 127);
    for (int r = 0; r < 9; r++) {
        sums[r] = 0;
        for (int i = 0; i < dim; i++) {
            rows8[r * dim + i] = (int8_t)(uniform() * 254 - 127);
            sums[r] += rows8[r * dim + i];
        }
    }
    dot_i8_scalar(q8, rows8, sums, 9, dim, a);
    best->dot_i8(q8, rows8, sums, 9, dim, b);
    for (int r = 0; r < 9; r++)
        assert_int_equal(a[r], b[r]);
    for (int i = 0; i < 517; i++)
        q[i] = (float)uniform() - 0.5f;
    for (int i = 0; i < 517 * 9; i++)
        rows[i] = (float)uniform() - 0.5f;
    dot_f32_scalar(q, rows, 9, 517, fa);
    best->dot_f32(q, rows, 9, 517, fb);
    for (int r = 0; r < 9; r++)
        assert_true(fabsf(fa[r] - fb[r]) < 1e-4f);
    free(q8);
    free(rows8);
    free(q);
    free(rows);
}

/* Removing identities: gone from results, the rest still exact, and the
 * vacated template memory is zero. */
static void test_remove_and_wipe(void **state)
{
    (void)state;
    for (int int8 = 0; int8 <= 1; int8++) {
        lfr_gallery *g = make(int8);
        dataset d = fill(g, 300);
        uint8_t removed[300] = {0};
        for (int i = 0; i < 300; i += 3) {
            char id[32];
            snprintf(id, sizeof id, "person-%05d", i);
            assert_int_equal(lfr_gallery_remove(ctx, g, id), LFR_OK);
            assert_int_equal(lfr_gallery_remove(ctx, g, id), LFR_ENOENT);
            removed[i] = 1;
        }
        assert_int_equal(lfr_gallery_identities(g), 200);
        int live = 0;
        for (int r = 0; r < d.n_rows; r++)
            live += !removed[d.ident[r]];
        assert_int_equal(lfr_gallery_templates(g), live);
        int cap = 0;
        const float *raw = gallery_raw_rows(g, &cap);
        for (size_t i = (size_t)live * DIM; i < (size_t)cap * DIM; i++)
            assert_true(raw[i] == 0.0f);
        float q[DIM];
        lfr_match got[8], want[8];
        for (int trial = 0; trial < 30; trial++) {
            near(d.rows + (size_t)(trial * 11 % d.n_rows) * DIM, q, DIM, 0.5);
            int n = 0;
            assert_int_equal(lfr_gallery_search(ctx, g, q, 8, got, &n), LFR_OK);
            expect_same(got, n, want, reference(&d, q, 8, removed, want));
        }
        /* Re-adding a removed id works. */
        assert_int_equal(lfr_gallery_add(ctx, g, "person-00000", d.rows, 1), LFR_OK);
        dataset_free(&d);
        lfr_gallery_free(g);
    }
}

static void test_bad_input_refused(void **state)
{
    (void)state;
    lfr_gallery *g = make(0);
    float t[2 * DIM];
    random_unit(t, DIM);
    random_unit(t + DIM, DIM);
    assert_int_equal(lfr_gallery_add(ctx, g, "a", t, 1), LFR_OK);
    assert_int_equal(lfr_gallery_add(ctx, g, "a", t, 1), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "already"));
    assert_int_equal(lfr_gallery_add(ctx, g, "", t, 1), LFR_EINVAL);
    char long_id[100];
    memset(long_id, 'x', 99);
    long_id[99] = 0;
    assert_int_equal(lfr_gallery_add(ctx, g, long_id, t, 1), LFR_EINVAL);
    assert_int_equal(lfr_gallery_add(ctx, g, "tab\there", t, 1), LFR_EINVAL);
    assert_int_equal(lfr_gallery_add(ctx, g, "b", t, 0), LFR_ELIMIT);
    float bad[DIM];
    memcpy(bad, t, sizeof bad);
    bad[7] = NAN;
    assert_int_equal(lfr_gallery_add(ctx, g, "nan", bad, 1), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "non-finite"));
    for (int i = 0; i < DIM; i++)
        bad[i] = t[i] * 2;
    assert_int_equal(lfr_gallery_add(ctx, g, "long", bad, 1), LFR_EINVAL);
    assert_non_null(strstr(lfr_errmsg(ctx), "not normalised"));
    /* A failed add leaves the gallery as it was. */
    assert_int_equal(lfr_gallery_identities(g), 1);
    assert_int_equal(lfr_gallery_templates(g), 1);
    lfr_match m[2];
    int n = 0;
    assert_int_equal(lfr_gallery_search(ctx, g, t, 0, m, &n), LFR_EINVAL);
    assert_int_equal(lfr_gallery_search(ctx, g, bad, 1, m, &n), LFR_EINVAL);
    assert_int_equal(lfr_gallery_search(ctx, g, t + DIM, 2, m, &n), LFR_OK);
    assert_int_equal(n, 1);
    lfr_gallery_params p = lfr_gallery_default_params();
    lfr_gallery *none = (lfr_gallery *)1;
    assert_int_equal(lfr_gallery_new(ctx, &p, &none), LFR_EINVAL);
    assert_null(none);
    /* Limits. */
    p.dim = DIM;
    p.model = "m";
    p.max_identities = 2;
    lfr_gallery *small = NULL;
    assert_int_equal(lfr_gallery_new(ctx, &p, &small), LFR_OK);
    assert_int_equal(lfr_gallery_add(ctx, small, "1", t, 1), LFR_OK);
    assert_int_equal(lfr_gallery_add(ctx, small, "2", t, 1), LFR_OK);
    assert_int_equal(lfr_gallery_add(ctx, small, "3", t, 1), LFR_ELIMIT);
    lfr_gallery_free(small);
    lfr_gallery_free(g);
}

static void test_alloc_faults(void **state)
{
    (void)state;
    float t[3 * DIM];
    for (int i = 0; i < 3; i++)
        random_unit(t + i * DIM, DIM);
    for (int int8 = 0; int8 <= 1; int8++) {
        for (long k = 0; k < 40; k++) {
            lfr_gallery *g = NULL;
            lfr_alloc_fault_after(k);
            int rc = LFR_OK;
            lfr_gallery_params p = lfr_gallery_default_params();
            p.dim = DIM;
            p.model = "m";
            p.quantize_int8 = int8;
            rc = lfr_gallery_new(ctx, &p, &g);
            for (int i = 0; i < 70 && rc == LFR_OK; i++) {
                char id[16];
                snprintf(id, sizeof id, "id%d", i);
                rc = lfr_gallery_add(ctx, g, id, t, 1 + i % 3);
            }
            lfr_match m[3];
            int n = 0;
            if (rc == LFR_OK) rc = lfr_gallery_search(ctx, g, t, 3, m, &n);
            lfr_alloc_fault_after(-1);
            assert_true(rc == LFR_OK || rc == LFR_ENOMEM);
            if (g) {
                /* Whatever was added before the failure is intact. */
                int ids = lfr_gallery_identities(g);
                assert_int_equal(lfr_gallery_search(ctx, g, t, 3, m, &n), LFR_OK);
                assert_int_equal(n, ids < 3 ? ids : 3);
            }
            lfr_gallery_free(g);
        }
    }
}

static const char *gallery_path(const char *name)
{
    return test_tmp_path(name);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    assert_int_equal(lfr_read_file(ctx, path, (size_t)1 << 30, &b, len), LFR_OK);
    return b;
}

static void rewrite_with_sum(const char *path, uint8_t *b, size_t len)
{
    crypto_hash_sha256(b + len - 32, b, len - 32);
    test_write_file(path, b, len);
}

static void test_save_load(void **state)
{
    (void)state;
    lfr_gallery *g = make(0);
    dataset d = fill(g, 50);
    const char *path = gallery_path("gallery.lfrg");
    assert_int_equal(lfr_gallery_save(ctx, g, path), LFR_OK);
    lfr_gallery_params p = lfr_gallery_default_params();
    p.dim = DIM;
    p.model = "test-model";
    lfr_gallery *back = NULL;
    assert_int_equal(lfr_gallery_load(ctx, path, &p, &back), LFR_OK);
    assert_int_equal(lfr_gallery_identities(back), 50);
    assert_int_equal(lfr_gallery_templates(back), d.n_rows);
    float q[DIM];
    lfr_match a[5], b[5];
    int na, nb;
    for (int i = 0; i < 10; i++) {
        near(d.rows + (size_t)i * DIM, q, DIM, 0.7);
        assert_int_equal(lfr_gallery_search(ctx, g, q, 5, a, &na), LFR_OK);
        assert_int_equal(lfr_gallery_search(ctx, back, q, 5, b, &nb), LFR_OK);
        assert_int_equal(na, nb);
        for (int j = 0; j < na; j++) {
            assert_string_equal(a[j].identity, b[j].identity);
            assert_true(a[j].score_cos == b[j].score_cos);
            assert_int_equal(a[j].template_index, b[j].template_index);
        }
    }
    lfr_gallery_free(back);

    size_t len = 0;
    uint8_t *orig = slurp(path, &len);
    const char *bad = gallery_path("bad.lfrg");
    uint8_t *b2 = malloc(len);
    lfr_gallery *none = (lfr_gallery *)1;
    /* A flipped byte: checksum mismatch. */
    memcpy(b2, orig, len);
    b2[len / 2] ^= 1;
    test_write_file(bad, b2, len);
    assert_int_equal(lfr_gallery_load(ctx, bad, &p, &none), LFR_EFORMAT);
    assert_null(none);
    assert_non_null(strstr(lfr_errmsg(ctx), "checksum"));
    /* Truncated. */
    test_write_file(bad, orig, len - 100);
    assert_int_equal(lfr_gallery_load(ctx, bad, &p, &none), LFR_EFORMAT);
    /* Not a gallery. */
    test_write_file(bad, "hello", 5);
    assert_int_equal(lfr_gallery_load(ctx, bad, &p, &none), LFR_EFORMAT);
    assert_non_null(strstr(lfr_errmsg(ctx), "not an OpenLFR gallery"));
    /* A NaN under a valid checksum. */
    memcpy(b2, orig, len);
    float nan = NAN;
    memcpy(b2 + 8 + 4 + 4 + 64 + 4 + 1 + 12 + 2 + 40, &nan, 4);
    rewrite_with_sum(bad, b2, len);
    assert_int_equal(lfr_gallery_load(ctx, bad, &p, &none), LFR_EFORMAT);
    assert_non_null(strstr(lfr_errmsg(ctx), "non-finite"));
    /* Another model or dimension. */
    p.model = "other-model";
    assert_int_equal(lfr_gallery_load(ctx, path, &p, &none), LFR_EMODEL);
    assert_non_null(strstr(lfr_errmsg(ctx), "test-model"));
    p.model = "test-model";
    p.dim = 128;
    assert_int_equal(lfr_gallery_load(ctx, path, &p, &none), LFR_EMODEL);
    assert_null(none);
    free(b2);
    lfr_free(orig);
    dataset_free(&d);
    lfr_gallery_free(g);
}

typedef struct race {
    lfr_gallery *g;
    const float *anchor; /* template of "anchor", never removed */
    int stop, errors, searches;
} race;

static void *searcher(void *arg)
{
    race *r = arg;
    lfr_ctx *c = NULL;
    if (lfr_ctx_new(&c)) return NULL;
    lfr_match m[4];
    int n;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (lfr_gallery_search(c, r->g, r->anchor, 4, m, &n) || n < 1 ||
            strcmp(m[0].identity, "anchor") || fabsf(m[0].score_cos - 1.0f) > 1e-4f)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&r->searches, 1, __ATOMIC_RELAXED);
    }
    lfr_ctx_free(c);
    return NULL;
}

/* Searches running while identities are added and removed always see a
 * consistent gallery (run under ASan in CI). */
static void test_concurrent_search_and_update(void **state)
{
    (void)state;
    for (int int8 = 0; int8 <= 1; int8++) {
        lfr_gallery *g = make(int8);
        float anchor[DIM], t[DIM];
        random_unit(anchor, DIM);
        assert_int_equal(lfr_gallery_add(ctx, g, "anchor", anchor, 1), LFR_OK);
        race r = {g, anchor, 0, 0, 0};
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&th[i], NULL, searcher, &r), 0);
        for (int i = 0; i < 1500; i++) {
            char id[32];
            snprintf(id, sizeof id, "churn-%d", i);
            random_unit(t, DIM);
            assert_int_equal(lfr_gallery_add(ctx, g, id, t, 1), LFR_OK);
            if (i % 2) {
                snprintf(id, sizeof id, "churn-%d", i - 1);
                assert_int_equal(lfr_gallery_remove(ctx, g, id), LFR_OK);
            }
        }
        __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        print_message("%d searches during 2250 updates, %d inconsistent\n", r.searches, r.errors);
        assert_int_equal(r.errors, 0);
        assert_true(r.searches > 0);
        assert_int_equal(lfr_gallery_identities(g), 751);
        lfr_gallery_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_search_exact),
        cmocka_unit_test(test_int8_search_exact),
        cmocka_unit_test(test_kernels_agree),
        cmocka_unit_test(test_remove_and_wipe),
        cmocka_unit_test(test_bad_input_refused),
        cmocka_unit_test(test_alloc_faults),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_concurrent_search_and_update),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
