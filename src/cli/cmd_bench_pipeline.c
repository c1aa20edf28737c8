/* cli/cmd_bench_pipeline.c - `lfr bench pipeline`: the live pipeline's
 * throughput and latency on a video file, or on a synthetic many-faces
 * stream built from LFW photos, with 1 and 2 ONNX Runtime threads; with
 * --cameras N the same source plays on N cameras at once, and with
 * --realtime at its own frame rate, as a camera delivers it (what is not
 * processed in time is dropped and counted per camera). */
#include "cli.h"
#include "lfr/eval.h"
#include "lfr/pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYN_W 1280
#define SYN_H 720
#define SYN_COLS 5
#define SYN_ROWS 4
#define SYN_TILE 150
#define SYN_SHIFT 100 /* successive people in a cell alternate sides by this */
#define SYN_HOLD 10   /* frames a person stays in a cell */

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Writes n frames of SYN_COLS x SYN_ROWS cells of LFW faces into dir as
 * JPEG; each cell shows a new person every SYN_HOLD frames (staggered),
 * alternately on its left and right side, so that every person is a new
 * track to follow, embed and search. */
static int make_synthetic(lfr_ctx *ctx, const char *lfw, const char *dir, int n_frames)
{
    lfr_labelled *set = NULL;
    int rc = lfr_labelled_load_lfw(ctx, lfw, NULL, &set);
    if (rc) return rc;
    lfr_image *frame = NULL;
    if ((rc = lfr_image_new(ctx, SYN_W, SYN_H, &frame))) goto done;
    int n_tiles = SYN_COLS * SYN_ROWS;
    int cell_w = SYN_W / SYN_COLS, cell_h = SYN_H / SYN_ROWS;
    for (int f = 0; f < n_frames && !rc; f++) {
        memset(frame->rgb, 90, (size_t)SYN_W * SYN_H * 3);
        for (int t = 0; t < n_tiles && !rc; t++) {
            int phase = (t * SYN_HOLD) / n_tiles;
            int person = (f + phase) / SYN_HOLD * n_tiles + t;
            lfr_image *face = NULL;
            rc = lfr_image_load(ctx, set->paths[(person * 7919) % set->n], NULL, &face);
            if (rc) break;
            int side = ((f + phase) / SYN_HOLD) % 2;
            int ox = (t % SYN_COLS) * cell_w + side * SYN_SHIFT + (f + phase) % SYN_HOLD;
            int oy = (t / SYN_COLS) * cell_h + (cell_h - SYN_TILE) / 2;
            for (int y = 0; y < face->height && y < SYN_TILE && oy + y < SYN_H; y++) {
                int w = face->width < SYN_TILE ? face->width : SYN_TILE;
                if (ox + w > SYN_W) w = SYN_W - ox;
                memcpy(frame->rgb + ((size_t)(oy + y) * SYN_W + (size_t)ox) * 3,
                       face->rgb + (size_t)y * face->width * 3, (size_t)w * 3);
            }
            lfr_image_free(face);
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/frame_%05d.jpg", dir, f);
        if (!rc) rc = lfr_image_save(ctx, frame, path, 90);
    }
done:
    lfr_image_free(frame);
    lfr_labelled_free(set);
    return rc;
}

/* Each camera's frames processed and dropped over the run's s seconds: as
 * JSON rows, or printed (and NULL returned). */
static json_t *camera_rows(lfr_pipeline *p, char ids[][16], int cameras, double s, int json)
{
    json_t *rows = json ? json_array() : NULL;
    for (int i = 0; i < cameras; i++) {
        lfr_pipeline_stats cs;
        if (lfr_pipeline_camera_stats(p, ids[i], &cs)) continue;
        double seen = (double)(cs.frames_processed + cs.frames_dropped);
        double dropped_pct = seen > 0 ? 100.0 * (double)cs.frames_dropped / seen : 0;
        if (json)
            json_array_append_new(
                rows, json_pack("{s:s,s:I,s:I,s:f,s:f,s:I,s:I}", "camera", ids[i],
                                "frames_processed", (json_int_t)cs.frames_processed,
                                "frames_dropped", (json_int_t)cs.frames_dropped, "processed_fps",
                                (double)cs.frames_processed / s, "dropped_percent", dropped_pct,
                                "views_embedded", (json_int_t)cs.templates_compared,
                                "views_deferred", (json_int_t)cs.views_deferred));
        else
            printf("  %s: %lld frames processed (%.1f fps), %lld dropped (%.1f%%); %lld views "
                   "embedded, %lld put off to a later frame\n",
                   ids[i], (long long)cs.frames_processed, (double)cs.frames_processed / s,
                   (long long)cs.frames_dropped, dropped_pct, (long long)cs.templates_compared,
                   (long long)cs.views_deferred);
    }
    return rows;
}

int bench_pipeline(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"source", required_argument, NULL, 's'},
                                         {"synthetic-lfw", required_argument, NULL, 'L'},
                                         {"frames", required_argument, NULL, 'n'},
                                         {"watchlist", required_argument, NULL, 'w'},
                                         {"detect-size", required_argument, NULL, 'd'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"embedder", required_argument, NULL, 'e'},
                                         {"model", required_argument, NULL, 'e'},
                                         {"frames-dir", required_argument, NULL, 'F'},
                                         {"cameras", required_argument, NULL, 'c'},
                                         {"realtime", no_argument, NULL, 'r'},
                                         {"plays", required_argument, NULL, 'P'},
                                         {"detector", required_argument, NULL, 'D'},

                                         {"threads", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    const char *source = NULL, *lfw = NULL, *watchlist = NULL, *model_dir = NULL, *keep = NULL;
    const char *embedder = NULL, *detector = NULL;
    int json = 0, n_frames = 250, detect = 0, cameras = 1, realtime = 0, only_threads = 0,
        plays = 1, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 's':
            source = optarg;
            break;
        case 'L':
            lfw = optarg;
            break;
        case 'w':
            watchlist = optarg;
            break;
        case 'm':
            model_dir = optarg;
            break;
        case 'e':
            embedder = optarg;
            break;
        case 'F':
            keep = optarg;
            break;
        case 'n':
            if (cli_parse_int(optarg, 10, 100000, &n_frames))
                return cli_usage("bench", "--frames needs a number 10..100000");
            break;
        case 'd':
            if (cli_parse_int(optarg, 64, 4096, &detect))
                return cli_usage("bench", "--detect-size needs a number of pixels 64..4096");
            break;
        case 'c':
            if (cli_parse_int(optarg, 1, 8, &cameras))
                return cli_usage("bench", "--cameras needs a number 1..8");
            break;
        case 'r':
            realtime = 1;
            break;
        case 'D':
            detector = optarg;
            break;
        case 'P':
            if (cli_parse_int(optarg, 1, 1000, &plays))
                return cli_usage("bench", "--plays needs a number 1..1000");
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 2, &only_threads))
                return cli_usage("bench", "--threads needs 1 or 2");
            break;
        default:
            return cli_usage("bench", "unknown option");
        }
    }
    if (!source == !lfw)
        return cli_usage("bench", "pipeline needs --source FILE or --synthetic-lfw DIR");
    if (keep && mkdir(keep, 0700) && errno != EEXIST)
        return cli_fail("bench", LFR_EIO, "%s: %s", keep, strerror(errno));
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("bench", LFR_ENOMEM, "out of memory");
    char tmp[] = "/tmp/lfr-bench-XXXXXX";
    int status = EXIT_OK, made_tmp = 0;
    json_t *out = json_array();
    if (lfw) {
        /* LFW research photos, not live faces: written for the run, then
         * removed. */
        if (keep) {
            snprintf(tmp, sizeof tmp, "%.20s", "");
        } else if (!mkdtemp(tmp)) {
            status = cli_fail("bench", LFR_EIO, "cannot make a temporary folder");
            goto done;
        } else {
            made_tmp = 1;
        }
        const char *dir = keep ? keep : tmp;
        int rc = make_synthetic(ctx, lfw, dir, n_frames);
        if (rc) {
            status = cli_fail_ctx("bench", ctx, rc);
            goto done;
        }
        source = dir;
    }
    for (int threads = 1; threads <= 2 && !status; threads++) {
        if (only_threads && threads != only_threads) continue;
        engine_opts eo = {.model_dir = model_dir,
                          .embedder = embedder,
                          .detector = detector,
                          .threads = threads,
                          .flip = 1};
        lfr_runtime *rt = NULL;
        lfr_engine *engine = NULL;
        lfr_gallery *g = NULL;
        lfr_pipeline *p = NULL;
        if ((status = cli_engine_open("bench", ctx, &eo, &rt, &engine))) break;
        int rc;
        if (watchlist) {
            rc = cli_watchlist_load(ctx, engine, watchlist, "bench", 0, &g);
        } else {
            lfr_gallery_params gp = lfr_gallery_default_params();
            gp.dim = lfr_engine_embedding_size(engine);
            gp.model = lfr_model_name(lfr_engine_model(engine, LFR_MODEL_EMBEDDER));
            rc = lfr_gallery_new(ctx, &gp, &g);
        }
        cli_engine_close(rt, engine);
        eo.flip = 0;
        if (rc == LFR_OK)
            status = cli_engine_open("bench", ctx, &eo, &rt, &engine);
        else
            status = cli_fail_ctx("bench", ctx, rc);
        if (status) {
            lfr_gallery_free(g);
            break;
        }
        lfr_pipeline_params pp = lfr_pipeline_default_params();
        if (detect) pp.detect_long_side_px = pp.detect_native_max_px = detect;
        rc = lfr_pipeline_new(ctx, engine, g, &pp, NULL, NULL, &p);
        lfr_video_params vp = lfr_video_default_params();
        vp.realtime = realtime;
        vp.plays = plays;
        char ids[8][16];
        for (int i = 0; i < cameras && rc == LFR_OK; i++) {
            snprintf(ids[i], sizeof ids[i], "cam%d", i + 1);
            rc = lfr_pipeline_add_source(ctx, p, ids[i], source, &vp);
        }
        double cpu0 = cpu_seconds();
        if (rc == LFR_OK) rc = lfr_pipeline_run(ctx, p);
        double cpu = cpu_seconds() - cpu0;
        if (rc) {
            status = cli_fail_ctx("bench", ctx, rc);
        } else {
            lfr_pipeline_stats st;
            lfr_pipeline_stats_get(p, &st);
            double s = st.seconds > 0 ? st.seconds : 1e-9;
            double fps = st.frames_processed / s, faces = st.faces_detected / s;
            double emb = st.templates_compared / s, tracks = st.tracks / s;
            double cpu_pct = 100.0 * cpu / s / (double)sysconf(_SC_NPROCESSORS_ONLN);
            if (!json)
                printf(
                    "threads %d: %lld frames in %.1f s: %.1f fps, %.1f faces/s, %.1f new tracks/s, "
                    "%.1f embeddings/s; latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms; CPU %.0f%% "
                    "of %ld cores\n",
                    threads, (long long)st.frames_processed, s, fps, faces, tracks, emb,
                    st.latency_p50_us / 1000.0, st.latency_p95_us / 1000.0,
                    st.latency_p99_us / 1000.0, cpu_pct, sysconf(_SC_NPROCESSORS_ONLN));
            json_t *per_camera = camera_rows(p, ids, cameras, s, json);
            if (json)
                json_array_append_new(
                    out,
                    json_pack("{s:i,s:i,s:b,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o}",
                              "intra_op_threads", threads, "cameras", cameras, "realtime", realtime,
                              "frames", (json_int_t)st.frames_processed, "processed_fps", fps,
                              "faces_per_s", faces, "tracks_per_s", tracks, "embeddings_per_s", emb,
                              "latency_p50_ms", st.latency_p50_us / 1000.0, "latency_p95_ms",
                              st.latency_p95_us / 1000.0, "latency_p99_ms",
                              st.latency_p99_us / 1000.0, "cpu_percent", cpu_pct, "per_camera",
                              per_camera));
        }
        lfr_pipeline_free(p);
        lfr_gallery_free(g);
        cli_engine_close(rt, engine);
    }
    if (json && !status) {
        cli_print_json(
            json_pack("{s:s,s:o}", "source", lfw ? "synthetic LFW stream" : source, "runs", out));
        out = NULL;
    }
done:
    json_decref(out);
    if (made_tmp) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) fprintf(stderr, "lfr bench: warning: could not remove %s\n", tmp);
    }
    lfr_ctx_free(ctx);
    return status;
}
