/* cli/cmd_watch.c - `lfr watch`: run the live pipeline over video sources
 * against a watchlist and print the alerts (a developer and evaluation
 * tool; deployments run inside the server). */
#include "cli.h"
#include "lfr/pipeline.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define MAX_SOURCES 16

static lfr_pipeline *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) lfr_pipeline_stop(running);
}

typedef struct printer {
    int json;
    long n;
} printer;

static void print_alert(const lfr_alert *a, void *arg)
{
    printer *pr = arg;
    pr->n++;
    if (pr->json) {
        json_t *q = json_pack(
            "{s:f,s:f,s:f,s:f,s:f,s:f}", "eye_distance_px", a->quality.eye_distance_px, "yaw_deg",
            a->quality.yaw_deg, "pitch_deg", a->quality.pitch_deg, "roll_deg", a->quality.roll_deg,
            "sharpness", a->quality.sharpness, "brightness", a->quality.brightness);
        /* "votes" is the old name of "views", kept for readers of earlier
         * output (the celeba_dev drivers among them). */
        cli_print_json(json_pack(
            "{s:s,s:s,s:I,s:I,s:I,s:i,s:s,s:f,s:i,s:i,s:[f,f,f,f],s:o,s:i,s:f}", "type", "alert",
            "camera", a->camera, "time_unix_ms", (json_int_t)a->time_unix_ms, "frame",
            (json_int_t)a->frame_index, "pts_ms", (json_int_t)a->pts_ms, "track", a->track_id,
            "identity", a->identity, "score", a->score_cos, "views", a->views, "votes", a->views,
            "box", a->box[0], a->box[1], a->box[2], a->box[3], "quality", q, "crop_jpeg_bytes",
            (int)a->crop_jpeg_len, "latency_ms", a->latency_us / 1000.0));
    } else {
        printf("ALERT (possible match - verify identity): camera %s frame %lld track %d: %s, "
               "score %.3f (%d views), latency %.0f ms\n",
               a->camera, (long long)a->frame_index, a->track_id, a->identity, a->score_cos,
               a->views, a->latency_us / 1000.0);
    }
    fflush(stdout);
}

/* The threshold for a target false alert rate per person passing, from the
 * embedder's measured operating points: FPIR = 1 - (1 - FMR)^N for N people
 * on the watchlist, never below the embedder's 1:1 threshold. A passer is
 * searched with their track's template, the mean of their views, which is
 * at least as clean as one photo: the photo-pair FMR bounds it. */
static int choose_threshold(lfr_ctx *ctx, const lfr_engine *e, int n_people, double rate,
                            lfr_pipeline_params *pp)
{
    double fmr = -expm1(log1p(-rate) / n_people);
    float t = 0;
    int rc = lfr_engine_threshold_for_fmr(ctx, e, fmr, &t);
    if (rc == LFR_ELIMIT) {
        /* Beyond the measured points: the nearest end of them. */
        rc = lfr_engine_threshold_for_fmr(ctx, e, fmr < 1e-3 ? 1e-7 : 1e-3, &t);
        fprintf(stderr,
                "lfr watch: warning: FMR %.1e for %d people is beyond the measured "
                "operating points; using threshold %.3f\n",
                fmr, n_people, t);
    }
    if (rc == LFR_ENOENT) {
        fprintf(stderr, "lfr watch: warning: %s; using threshold %.3f\n", lfr_errmsg(ctx),
                pp->threshold);
        return EXIT_OK;
    }
    if (rc) return cli_fail_ctx("watch", ctx, rc);
    if (t < lfr_engine_threshold(e)) t = lfr_engine_threshold(e);
    pp->threshold = t;
    double fmr_at = fmr;
    lfr_engine_fmr_at(ctx, e, t, &fmr_at);
    fprintf(stderr,
            "lfr watch: threshold %.3f: measured FMR %.1e (%s), so about %.1f false alerts "
            "per 1,000 people passing with %d on the watchlist\n",
            t, fmr_at, lfr_model_operating_data(lfr_engine_model(e, LFR_MODEL_EMBEDDER)),
            1000.0 * -expm1(n_people * log1p(-fmr_at)), n_people);
    return EXIT_OK;
}

static void print_camera(const char *camera, lfr_camera_state state, const char *msg, void *arg)
{
    printer *pr = arg;
    if (pr->json)
        cli_print_json(json_pack("{s:s,s:s,s:s,s:s}", "type", "camera", "camera", camera, "state",
                                 lfr_camera_state_name(state), "message", msg));
    else
        fprintf(stderr, "lfr watch: camera %s: %s%s%s\n", camera, lfr_camera_state_name(state),
                *msg ? ": " : "", msg);
    fflush(stdout);
}

int cmd_watch(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"source", required_argument, NULL, 's'},
                                         {"watchlist", required_argument, NULL, 'w'},
                                         {"threshold", required_argument, NULL, 'T'},
                                         {"realtime", no_argument, NULL, 'r'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"embedder", required_argument, NULL, 'e'},
                                         {"detect-size", required_argument, NULL, 'd'},
                                         {"false-alert-rate", required_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    const char *sources[MAX_SOURCES], *watchlist = NULL;
    int n_sources = 0, realtime = 0, c;
    printer pr = {0, 0};
    engine_opts eo = {0};
    lfr_pipeline_params pp = lfr_pipeline_default_params();
    double v, false_alert_rate = 5e-3;
    int threshold_given = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            pr.json = 1;
            break;
        case 's':
            if (n_sources == MAX_SOURCES)
                return cli_usage("watch", "at most %d sources", MAX_SOURCES);
            sources[n_sources++] = optarg;
            break;
        case 'w':
            watchlist = optarg;
            break;
        case 'r':
            realtime = 1;
            break;
        case 'm':
            eo.model_dir = optarg;
            break;
        case 'e':
            eo.embedder = optarg;
            break;
        case 'T':
            if (cli_parse_float(optarg, -1, 1, &v))
                return cli_usage("watch", "--threshold needs a number in [-1, 1]");
            pp.threshold = (float)v;
            threshold_given = 1;
            break;
        case 'R':
            if (cli_parse_float(optarg, 1e-9, 0.1, &false_alert_rate))
                return cli_usage("watch", "--false-alert-rate needs a number in [1e-9, 0.1]");
            break;
        case 'd':
            if (cli_parse_int(optarg, 64, 4096, &pp.detect_long_side_px))
                return cli_usage("watch", "--detect-size needs a number of pixels 64..4096");
            break;
        default:
            return cli_usage("watch", "unknown option");
        }
    }
    if (!n_sources) return cli_usage("watch", "needs at least one --source");
    if (!watchlist) return cli_usage("watch", "needs --watchlist DIR_OR_MANIFEST");
    if (optind != argc) return cli_usage("watch", "unexpected argument '%s'", argv[optind]);

    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("watch", LFR_ENOMEM, "out of memory");
    lfr_runtime *rt = NULL, *rt2 = NULL;
    lfr_engine *enrol = NULL, *engine = NULL;
    lfr_gallery *g = NULL;
    lfr_pipeline *p = NULL;
    /* Enrolment photos are embedded with their mirror image (better
     * templates, time does not matter); live faces once. */
    eo.flip = 1;
    int status = cli_engine_open("watch", ctx, &eo, &rt, &enrol);
    if (status) goto done;
    int rc = cli_watchlist_load(ctx, enrol, watchlist, &g);
    cli_engine_close(rt, enrol);
    rt = NULL;
    enrol = NULL;
    if (rc) {
        status = cli_fail_ctx("watch", ctx, rc);
        goto done;
    }
    eo.flip = 0;
    if ((status = cli_engine_open("watch", ctx, &eo, &rt2, &engine))) goto done;
    if (!threshold_given &&
        (status = choose_threshold(ctx, engine, lfr_gallery_identities(g), false_alert_rate, &pp)))
        goto done;
    if ((rc = lfr_pipeline_new(ctx, engine, g, &pp, print_alert, &pr, &p))) {
        status = cli_fail_ctx("watch", ctx, rc);
        goto done;
    }
    lfr_pipeline_set_camera_callback(p, print_camera, &pr);
    for (int i = 0; i < n_sources; i++) {
        char cam[32];
        snprintf(cam, sizeof cam, "cam%d", i + 1);
        lfr_video_params vp = lfr_video_default_params();
        vp.realtime = realtime;
        if ((rc = lfr_pipeline_add_source(ctx, p, cam, sources[i], &vp))) {
            status = cli_fail_ctx("watch", ctx, rc);
            goto done;
        }
    }
    if (!pr.json)
        fprintf(stderr, "lfr watch: %d people on the watchlist, %d source%s\n",
                lfr_gallery_identities(g), n_sources, n_sources == 1 ? "" : "s");
    running = p;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = lfr_pipeline_run(ctx, p);
    running = NULL;
    lfr_pipeline_stats st;
    lfr_pipeline_stats_get(p, &st);
    double fps = st.seconds > 0 ? st.frames_processed / st.seconds : 0;
    if (pr.json)
        cli_print_json(json_pack(
            "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:s*}", "type", "summary",
            "frames_decoded", (json_int_t)st.frames_decoded, "frames_processed",
            (json_int_t)st.frames_processed, "frames_dropped", (json_int_t)st.frames_dropped,
            "faces_detected", (json_int_t)st.faces_detected, "tracks", (json_int_t)st.tracks,
            "templates_compared", (json_int_t)st.templates_compared, "alerts",
            (json_int_t)st.alerts, "seconds", st.seconds, "processed_fps", fps, "latency_p50_ms",
            st.latency_p50_us / 1000.0, "latency_p95_ms", st.latency_p95_us / 1000.0,
            "latency_p99_ms", st.latency_p99_us / 1000.0, "error", rc ? lfr_errmsg(ctx) : NULL));
    else
        printf("summary: %lld frames decoded, %lld processed (%.1f fps), %lld dropped; %lld faces, "
               "%lld tracks, %lld templates compared, %lld alerts; latency p50 %.0f ms, p95 %.0f "
               "ms, p99 %.0f ms\n",
               (long long)st.frames_decoded, (long long)st.frames_processed, fps,
               (long long)st.frames_dropped, (long long)st.faces_detected, (long long)st.tracks,
               (long long)st.templates_compared, (long long)st.alerts, st.latency_p50_us / 1000.0,
               st.latency_p95_us / 1000.0, st.latency_p99_us / 1000.0);
    if (rc) status = cli_fail_ctx("watch", ctx, rc);
done:
    lfr_pipeline_free(p);
    lfr_gallery_free(g);
    cli_engine_close(rt, enrol);
    cli_engine_close(rt2, engine);
    lfr_ctx_free(ctx);
    return status;
}
