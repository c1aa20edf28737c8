/* cli/cmd_bench_search.c - `lfr bench search`: 1:N search speed against a
 * scalar loop and OpenBLAS on the same data. */
#include "cli.h"
#include "lfr/match.h"

#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void openblas_set_num_threads(int n);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float gaussian(void)
{
    uint64_t a, b;
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    a = rng_state;
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    b = rng_state;
    double u = ((double)(a >> 11) + 0.5) / 9007199254740992.0,
           v = (double)(b >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * v));
}

static void unit(float *v, int dim)
{
    double n = 0;
    for (int i = 0; i < dim; i++)
        n += (double)v[i] * v[i];
    float inv = (float)(1 / sqrt(n));
    for (int i = 0; i < dim; i++)
        v[i] *= inv;
}

static int argmax(const float *s, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (s[i] > s[best]) best = i;
    return best;
}

typedef struct result {
    const char *method;
    double ms_single, ms_batch;
} result;

static int run_size(lfr_ctx *ctx, int n, int dim, int json, json_t *out)
{
    int n_q = n <= 10000 ? 256 : n <= 100000 ? 64 : 32;
    size_t bytes = (size_t)n * dim * sizeof(float);
    float *data = malloc(bytes), *q = malloc((size_t)n_q * dim * sizeof(float));
    float *scores = malloc((size_t)n * 32 * sizeof(float));
    int *top_float = calloc((size_t)n_q, sizeof(int));
    if (!data || !q || !scores || !top_float) {
        free(data), free(q), free(scores), free(top_float);
        return cli_fail("bench", LFR_ENOMEM, "out of memory for %d templates", n);
    }
    for (size_t i = 0; i < (size_t)n * dim; i++)
        data[i] = gaussian();
    for (int r = 0; r < n; r++)
        unit(data + (size_t)r * dim, dim);
    /* Half the probes near a gallery template, half anyone. */
    for (int i = 0; i < n_q; i++) {
        const float *t = data + (size_t)((i * 7919) % n) * dim;
        for (int j = 0; j < dim; j++)
            q[(size_t)i * dim + j] = gaussian() * 0.05f + (i % 2 ? t[j] : 0);
        unit(q + (size_t)i * dim, dim);
    }
    result res[4] = {{"liblfr float", 0, 0},
                     {"liblfr int8+rerank", 0, 0},
                     {"scalar loop", 0, 0},
                     {"OpenBLAS sgemv/sgemm", 0, 0}};
    size_t mem[2] = {0, 0};
    int mismatches = 0, status = EXIT_OK;
    lfr_match m[32];
    int nm[32];
    for (int int8 = 0; int8 <= 1 && !status; int8++) {
        lfr_gallery_params p = lfr_gallery_default_params();
        p.dim = dim;
        p.model = "bench";
        p.locked = 0; /* synthetic templates, up to a million of them */
        p.quantize_int8 = int8;
        p.max_identities = n;
        p.max_templates = n;
        lfr_gallery *g = NULL;
        int rc = lfr_gallery_new(ctx, &p, &g);
        for (int r = 0; r < n && !rc; r++) {
            char id[32];
            snprintf(id, sizeof id, "%d", r);
            rc = lfr_gallery_add(ctx, g, id, data + (size_t)r * dim, 1);
        }
        if (rc) {
            status = cli_fail_ctx("bench", ctx, rc);
            lfr_gallery_free(g);
            break;
        }
        mem[int8] = lfr_gallery_memory_bytes(g);
        int64_t t0 = lfr_now_us();
        for (int i = 0; i < n_q && !rc; i++) {
            rc = lfr_gallery_search(ctx, g, q + (size_t)i * dim, 1, m, nm);
            int top = atoi(m[0].identity);
            if (!int8)
                top_float[i] = top;
            else
                mismatches += top != top_float[i];
        }
        res[int8].ms_single = (double)(lfr_now_us() - t0) / 1000.0 / n_q;
        t0 = lfr_now_us();
        for (int i = 0; i + 32 <= n_q && !rc; i += 32)
            rc = lfr_gallery_search_batch(ctx, g, q + (size_t)i * dim, 32, 1, m, nm);
        res[int8].ms_batch = (double)(lfr_now_us() - t0) / 1000.0 / (n_q / 32 * 32);
        if (rc) status = cli_fail_ctx("bench", ctx, rc);
        lfr_gallery_free(g);
    }
    /* The baselines on the same matrix: scalar loop and OpenBLAS. */
    lfr_match_force_scalar(1);
    int64_t t0 = lfr_now_us();
    for (int i = 0; i < n_q; i++) {
        lfr_dot_rows_f32(q + (size_t)i * dim, data, n, dim, scores);
        mismatches += argmax(scores, n) != top_float[i];
    }
    res[2].ms_single = res[2].ms_batch = (double)(lfr_now_us() - t0) / 1000.0 / n_q;
    lfr_match_force_scalar(0);
    openblas_set_num_threads(1);
    t0 = lfr_now_us();
    for (int i = 0; i < n_q; i++) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, dim, 1.0f, data, dim, q + (size_t)i * dim, 1,
                    0.0f, scores, 1);
        mismatches += argmax(scores, n) != top_float[i];
    }
    res[3].ms_single = (double)(lfr_now_us() - t0) / 1000.0 / n_q;
    t0 = lfr_now_us();
    for (int i = 0; i + 32 <= n_q; i += 32) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, 32, dim, 1.0f, data, dim,
                    q + (size_t)i * dim, dim, 0.0f, scores, 32);
    }
    res[3].ms_batch = (double)(lfr_now_us() - t0) / 1000.0 / (n_q / 32 * 32);
    if (!status) {
        if (json) {
            json_t *rows = json_array();
            for (int k = 0; k < 4; k++)
                json_array_append_new(
                    rows, json_pack("{s:s,s:f,s:f,s:f}", "method", res[k].method, "ms_per_query",
                                    res[k].ms_single, "ms_per_query_batch32", res[k].ms_batch,
                                    "queries_per_second", 1000 / res[k].ms_single));
            json_array_append_new(
                out, json_pack("{s:i,s:i,s:i,s:I,s:I,s:i,s:o}", "gallery", n, "dim", dim, "queries",
                               n_q, "memory_float_bytes", (json_int_t)mem[0], "memory_int8_bytes",
                               (json_int_t)mem[1], "top1_mismatches", mismatches, "results", rows));
        } else {
            printf("gallery %d x %d-d, %d queries, 1 thread; memory: float %.1f MiB, "
                   "int8 + float %.1f MiB\n",
                   n, dim, n_q, (double)mem[0] / 1048576, (double)mem[1] / 1048576);
            for (int k = 0; k < 4; k++)
                printf("  %-22s %9.3f ms/query (%7.0f q/s)   batch of 32: %9.3f ms/query   "
                       "vs scalar %5.1fx, vs OpenBLAS %4.2fx\n",
                       res[k].method, res[k].ms_single, 1000 / res[k].ms_single, res[k].ms_batch,
                       res[2].ms_single / res[k].ms_single, res[3].ms_single / res[k].ms_single);
            printf("  top-1 differing from the float search (int8, scalar, OpenBLAS): %d of %d\n",
                   mismatches, 3 * n_q);
        }
    }
    free(data);
    free(q);
    free(scores);
    free(top_float);
    return status ? status : (mismatches ? EXIT_NO : EXIT_OK);
}

int bench_search(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"sizes", required_argument, NULL, 's'},
                                         {"dim", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    int json = 0, dim = 512, c;
    const char *sizes = "10000,100000,1000000";
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 's')
            sizes = optarg;
        else if (c == 'd') {
            if (cli_parse_int(optarg, 16, 2048, &dim))
                return cli_usage("bench", "--dim needs a number 16..2048");
        } else
            return cli_usage("bench", "unknown option");
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("bench", LFR_ENOMEM, "out of memory");
    json_t *out = json_array();
    if (!json) printf("lfr bench search: kernel %s\n", lfr_match_kernel_name());
    int status = EXIT_OK;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sizes);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && !status;
         tok = strtok_r(NULL, ",", &save)) {
        int n;
        if (cli_parse_int(tok, 1, 4000000, &n)) {
            status = cli_usage("bench", "--sizes takes numbers 1..4000000, comma-separated");
            break;
        }
        status = run_size(ctx, n, dim, json, out);
    }
    if (json && (status == EXIT_OK || status == EXIT_NO))
        cli_print_json(json_pack("{s:s,s:o}", "kernel", lfr_match_kernel_name(), "sizes", out));
    else
        json_decref(out);
    lfr_ctx_free(ctx);
    return status;
}
