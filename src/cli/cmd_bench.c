/* cli/cmd_bench.c - `lfr bench engine`: how fast the face engine runs here.
 *
 * Each figure is the median of repeated runs after a warm-up, so one slow
 * run (page faults, the other core busy) does not move it.
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bench_engine(int argc, char **argv);

#define BENCH_DEFAULT_IMAGE "samples/face_recognition_examples/examples/two_people.jpg"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct timing {
    double median_ms, p90_ms;
    int runs;
} timing;

static timing summarise(double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    return (timing){ms[n / 2], ms[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n};
}

typedef struct bench_case {
    lfr_ctx *ctx;
    const lfr_engine *engine;
    const lfr_image *frame; /* at the size being measured */
    const lfr_face *face;   /* for embedding cases */
    int what;               /* 0 detect, 1 landmarks, 2 align+embed */
    double seconds;
    double ms[4096];
    int n;
    int rc;
} bench_case;

static int run_once(bench_case *b, float *emb)
{
    if (b->what == 0) {
        lfr_face *faces = NULL;
        int n = 0;
        int rc = lfr_engine_detect_at(b->ctx, b->engine, b->frame, b->frame->width,
                                      b->frame->height, 0, &faces, &n);
        lfr_free(faces);
        return rc;
    }
    if (b->what == 1) {
        lfr_face f = *b->face;
        return lfr_engine_landmarks(b->ctx, b->engine, b->frame, &f);
    }
    return lfr_engine_embed(b->ctx, b->engine, b->frame, b->face, emb);
}

static void *bench_thread(void *arg)
{
    bench_case *b = arg;
    float emb[8192];
    for (int w = 0; w < 3 && !b->rc; w++)
        b->rc = run_once(b, emb);
    int64_t end = lfr_now_us() + (int64_t)(b->seconds * 1e6);
    b->n = 0;
    while (!b->rc && b->n < 4096 && (b->n < 5 || lfr_now_us() < end)) {
        int64_t t0 = lfr_now_us();
        b->rc = run_once(b, emb);
        b->ms[b->n++] = (double)(lfr_now_us() - t0) / 1000.0;
    }
    lfr_wipe(emb, sizeof emb);
    return NULL;
}

/* Runs the case on `parallel` threads at once; returns the median per run
 * and, through per_sec, the combined runs per second. */
static int measure(bench_case *proto, int parallel, timing *t, double *per_sec)
{
    *t = (timing){0};
    *per_sec = 0;
    bench_case *cases = calloc((size_t)parallel, sizeof *cases);
    if (!cases) return LFR_ENOMEM;
    pthread_t tid[8];
    int rc = LFR_OK;
    for (int i = 0; i < parallel; i++) {
        cases[i] = *proto;
        cases[i].n = 0;
        if (lfr_ctx_new(&cases[i].ctx)) rc = LFR_ENOMEM;
    }
    for (int i = 0; i < parallel && !rc; i++)
        pthread_create(&tid[i], NULL, bench_thread, &cases[i]);
    for (int i = 0; i < parallel && !rc; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < parallel; i++) {
        if (!rc && cases[i].rc) {
            rc = cases[i].rc;
            fprintf(stderr, "lfr bench: error: %s\n", lfr_errmsg(cases[i].ctx));
        }
    }
    if (!rc) {
        *t = summarise(cases[0].ms, cases[0].n);
        /* Throughput counts the timed runs only, over the time they took. */
        double timed = 0;
        for (int i = 0; i < cases[0].n; i++)
            timed += cases[0].ms[i];
        *per_sec = parallel * cases[0].n / (timed / 1000.0);
    }
    for (int i = 0; i < parallel; i++)
        lfr_ctx_free(cases[i].ctx);
    free(cases);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "search")) return bench_search(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "pipeline")) return bench_pipeline(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "engine") != 0)
        return cli_usage("bench", "expected 'engine', 'search' or 'pipeline'");
    return bench_engine(argc - 1, argv + 1);
}

static int bench_engine(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"image", required_argument, NULL, 'i'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"embedder", required_argument, NULL, 'e'},
                                         {"model", required_argument, NULL, 'e'},
                                         {"detector", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    int json = 0, only_threads = 0, c;
    double seconds = 2.0;
    const char *image = NULL, *model_dir = NULL, *embedder = NULL, *detector = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 8, &only_threads))
                return cli_usage("bench", "--threads needs a number 1..8");
            break;
        case 's':
            if (cli_parse_float(optarg, 0.1, 600, &seconds))
                return cli_usage("bench", "--seconds needs a number 0.1..600");
            break;
        case 'i':
            image = optarg;
            break;
        case 'm':
            model_dir = optarg;
            break;
        case 'e':
            embedder = optarg;
            break;
        case 'd':
            detector = optarg;
            break;
        default:
            return cli_usage("bench", "unknown option");
        }
    }
    if (optind != argc) return cli_usage("bench", "unexpected argument '%s'", argv[optind]);
    char image_buf[4096];
    if (!image) {
        const char *data = getenv("LFR_DATA");
        snprintf(image_buf, sizeof image_buf, "%s/%s", data ? data : "../shared/data",
                 BENCH_DEFAULT_IMAGE);
        image = image_buf;
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("bench", LFR_ENOMEM, "out of memory");
    enum { N_SIZES = 5 };
    lfr_image *src = NULL, *frames[N_SIZES] = {NULL};
    static const int sizes[N_SIZES][2] = {
        {320, 240}, {640, 360}, {640, 480}, {960, 540}, {1920, 1080}};
    json_t *results = json_array();
    int status = EXIT_OK;
    int rc = lfr_image_load(ctx, image, NULL, &src);
    for (int i = 0; i < N_SIZES && !rc; i++)
        rc = lfr_image_resize(ctx, src, sizes[i][0], sizes[i][1], &frames[i]);
    if (rc) {
        status = cli_fail_ctx("bench", ctx, rc);
        goto done;
    }
    if (!json) printf("lfr bench engine: %s, median of >= %.1f s per figure\n", image, seconds);
    for (int threads = 1; threads <= 2; threads++) {
        if (only_threads && threads != only_threads) continue;
        engine_opts eo = {
            .model_dir = model_dir, .embedder = embedder, .detector = detector, .threads = threads};
        lfr_runtime *rt = NULL;
        lfr_engine *engine = NULL, *in_turn = NULL, *at_once = NULL;
        if ((status = cli_engine_open("bench", ctx, &eo, &rt, &engine))) goto done;
        const lfr_model *emb = lfr_engine_model(engine, LFR_MODEL_EMBEDDER);
        if (lfr_model_n_members(emb)) {
            /* A fusion: its members in turn and at once, whatever the default. */
            lfr_engine_params ep = lfr_engine_default_params();
            ep.model_dir = model_dir;
            ep.embedder = embedder ? embedder : ep.embedder;
            ep.detector = detector ? detector : ep.detector;
            ep.fusion_parallel = 0;
            rc = lfr_engine_new(ctx, rt, &ep, &in_turn);
            ep.fusion_parallel = 1;
            if (!rc) rc = lfr_engine_new(ctx, rt, &ep, &at_once);
            if (rc) {
                status = cli_fail_ctx("bench", ctx, rc);
                lfr_engine_free(in_turn);
                cli_engine_close(rt, engine);
                goto done;
            }
        }
        if (!json)
            printf("embedder %s (%d-d%s), %d intra-op thread%s\n", lfr_model_name(emb),
                   lfr_engine_embedding_size(engine), lfr_model_n_members(emb) ? ", a fusion" : "",
                   threads, threads > 1 ? "s" : "");
        lfr_face *faces = NULL;
        int n = 0;
        rc = lfr_engine_detect(ctx, engine, frames[2], &faces, &n);
        if (rc || n == 0) {
            status = rc ? cli_fail_ctx("bench", ctx, rc)
                        : cli_fail("bench", LFR_ENOFACE, "%s: no face to embed", image);
            lfr_engine_free(in_turn);
            lfr_engine_free(at_once);
            cli_engine_close(rt, engine);
            goto done;
        }
        struct {
            const char *name;
            int what;
            const lfr_image *frame;
            const lfr_engine *engine;
        } cases[] = {{"detect 320x240", 0, frames[0], engine},
                     {"detect 640x360", 0, frames[1], engine},
                     {"detect 640x480", 0, frames[2], engine},
                     {"detect 960x540", 0, frames[3], engine},
                     {"detect 1920x1080", 0, frames[4], engine},
                     {"landmarks per face", 1, frames[2], engine},
                     {"align+embed per face", 2, frames[2], at_once ? NULL : engine},
                     {"align+embed, at once", 2, frames[2], at_once},
                     {"align+embed, in turn", 2, frames[2], in_turn}};
        for (size_t k = 0; k < sizeof cases / sizeof cases[0] && !status; k++) {
            if (!cases[k].engine) continue; /* at once, in turn: only for a fusion */
            for (int parallel = 1; parallel <= 2 && !status; parallel++) {
                /* Two images at once only makes sense with one thread each. */
                if (parallel == 2 && threads != 1) continue;
                bench_case proto = {.engine = cases[k].engine,
                                    .frame = cases[k].frame,
                                    .face = &faces[0],
                                    .what = cases[k].what,
                                    .seconds = seconds};
                timing t;
                double per_sec = 0;
                if ((rc = measure(&proto, parallel, &t, &per_sec))) {
                    status = cli_exit_code(rc);
                    break;
                }
                if (json)
                    json_array_append_new(
                        results,
                        json_pack("{s:s,s:s,s:i,s:i,s:f,s:f,s:f,s:i}", "case", cases[k].name,
                                  "embedder", lfr_model_name(emb), "intra_op_threads", threads,
                                  "parallel", parallel, "median_ms", t.median_ms, "p90_ms",
                                  t.p90_ms, "per_second", per_sec, "runs", t.runs));
                else
                    printf("%-24s threads %d x %d: median %7.2f ms, p90 %7.2f ms, %7.1f/s "
                           "(%d runs)\n",
                           cases[k].name, threads, parallel, t.median_ms, t.p90_ms, per_sec,
                           t.runs);
            }
        }
        lfr_free(faces);
        lfr_engine_free(in_turn);
        lfr_engine_free(at_once);
        cli_engine_close(rt, engine);
    }
    if (json && !status) {
        cli_print_json(json_pack("{s:s,s:s,s:o}", "image", image, "onnxruntime",
                                 lfr_runtime_ort_version(), "results", results));
        results = NULL;
    }
done:
    json_decref(results);
    for (int i = 0; i < N_SIZES; i++)
        lfr_image_free(frames[i]);
    lfr_image_free(src);
    lfr_ctx_free(ctx);
    return status;
}
