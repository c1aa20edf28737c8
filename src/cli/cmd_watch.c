/* cli/cmd_watch.c - `lfr watch`: run the live pipeline over video sources
 * against a watchlist and print the alerts (a developer and evaluation
 * tool; deployments run inside the server). */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
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

/* False alerts per 1,000 people passing for a false match rate and a
 * watchlist of n people: 1 - (1 - FMR)^n of them. */
static double per_1000(double fmr, int n)
{
    return 1000.0 * -expm1(n * log1p(-fmr));
}

/* The threshold for a target false alert rate per person passing, from the
 * embedder's measured operating points: FPIR = 1 - (1 - FMR)^N for N people
 * on the watchlist, never below the embedder's 1:1 threshold. A passer is
 * searched with their track's template, the mean of their views, which is
 * at least as clean as one photo: the photo-pair FMR bounds it. */
static int choose_threshold(const char *cmd, lfr_ctx *ctx, const lfr_engine *e, int n_people,
                            double rate, lfr_pipeline_params *pp)
{
    double fmr = -expm1(log1p(-rate) / n_people);
    float t = 0;
    int rc = lfr_engine_threshold_for_fmr(ctx, e, fmr, &t);
    if (rc == LFR_ELIMIT) {
        /* Beyond the measured points: the nearest end of them. */
        rc = lfr_engine_threshold_for_fmr(ctx, e, fmr < 1e-3 ? 1e-7 : 1e-3, &t);
        fprintf(stderr,
                "lfr %s: warning: FMR %.1e for %d people is beyond the measured "
                "operating points; using threshold %.3f\n",
                cmd, fmr, n_people, t);
    }
    if (rc == LFR_EMODEL) { /* no measured points: say so, keep the default */
        fprintf(stderr, "lfr %s: warning: %s; using threshold %.3f\n", cmd, lfr_errmsg(ctx),
                pp->threshold);
        return EXIT_OK;
    }
    if (rc) return cli_fail_ctx(cmd, ctx, rc);
    if (t < lfr_engine_threshold(e)) t = lfr_engine_threshold(e);
    pp->threshold = t;
    double fmr_at = fmr;
    lfr_engine_fmr_at(ctx, e, t, &fmr_at);
    const lfr_model *model = lfr_engine_model(e, LFR_MODEL_EMBEDDER);
    fprintf(stderr,
            "lfr %s: threshold %.3f: measured FMR %.1e (%s), so about %.1f false alerts "
            "per 1,000 people passing with %d on the watchlist\n",
            cmd, t, fmr_at, lfr_model_operating_data(model), per_1000(fmr_at, n_people), n_people);
    /* The same claim on faces in the wild, where the system is used. */
    lfr_fmr_claim wild;
    if (lfr_model_fmr_in_the_wild(ctx, model, t, &wild) == LFR_OK)
        fprintf(stderr,
                "lfr %s: in the wild (%s): FMR %.1e [95%% CI %.1e, %.1e], about %.1f [%.1f, "
                "%.1f] per 1,000\n",
                cmd, wild.data, wild.fmr, wild.lo, wild.hi, per_1000(wild.fmr, n_people),
                per_1000(wild.lo, n_people), per_1000(wild.hi, n_people));
    else
        fprintf(stderr, "lfr %s: not measured in the wild: %s\n", cmd, lfr_errmsg(ctx));
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

/* The options `lfr watch` and `lfr eval walkby` share; 0: taken, 1: not
 * one of them, else the exit status of a bad value. */
int cli_watch_option(const char *cmd, int c, const char *arg, watch_setup *w)
{
    double v;
    switch (c) {
    case 'w':
        w->watchlist = arg;
        return 0;
    case 'r':
        w->realtime = 1;
        return 0;
    case 'k':
        w->skip_refused = 1;
        return 0;
    case 'm':
        w->eo.model_dir = arg;
        return 0;
    case 'e':
        w->eo.embedder = arg;
        return 0;
    case 'T':
        if (cli_parse_float(arg, -1, 1, &v))
            return cli_usage(cmd, "--threshold needs a number in [-1, 1]");
        w->pp.threshold = (float)v;
        w->threshold_given = 1;
        return 0;
    case 'R':
        if (cli_parse_float(arg, 1e-9, 0.1, &w->false_alert_rate))
            return cli_usage(cmd, "--false-alert-rate needs a number in [1e-9, 0.1]");
        return 0;
    case 'd':
        if (cli_parse_int(arg, 64, 4096, &w->pp.detect_long_side_px))
            return cli_usage(cmd, "--detect-size needs a number of pixels 64..4096");
        w->pp.detect_native_max_px = w->pp.detect_long_side_px; /* every frame to this size */
        return 0;
    default:
        return 1;
    }
}

watch_setup cli_watch_defaults(void)
{
    return (watch_setup){.pp = lfr_pipeline_default_params(), .false_alert_rate = 5e-3};
}

/* Live faces are processed only inside an authorised deployment (DEP-1),
 * which `lfr serve` runs; here files and folders of images, for testing
 * and evaluation. A FIFO or a device is live too (and could block the
 * open for ever). */
static int refuse_live(const char *cmd, const char *url)
{
    struct stat sb;
    int special = !stat(url, &sb) && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
    if (!lfr_video_url_is_live(url) && !special) return EXIT_OK;
    char shown[1024];
    lfr_url_redact(url, shown, sizeof shown);
    return cli_usage(cmd,
                     "%s is a live source: live faces are processed only inside an authorised "
                     "deployment (DEP-1), run by lfr serve; lfr %s takes video files and folders "
                     "of images",
                     shown, cmd);
}

int cli_watch_run(const char *cmd, lfr_ctx *ctx, watch_setup *w, lfr_alert_fn on_alert,
                  void *alert_arg, lfr_camera_fn on_camera, void *camera_arg,
                  lfr_pipeline_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < w->n_sources; i++) {
        int status = refuse_live(cmd, w->sources[i]);
        if (status) return status;
    }
    lfr_runtime *rt = NULL, *rt2 = NULL;
    lfr_engine *enrol = NULL, *engine = NULL;
    lfr_gallery *g = NULL;
    lfr_pipeline *p = NULL;
    /* Enrolment photos are embedded with their mirror image (better
     * templates, time does not matter); live faces once. */
    engine_opts eo = w->eo;
    eo.flip = 1;
    int status = cli_engine_open(cmd, ctx, &eo, &rt, &enrol);
    if (status) goto done;
    int rc = cli_watchlist_load(ctx, enrol, w->watchlist, cmd, w->skip_refused, &g);
    cli_engine_close(rt, enrol);
    rt = NULL;
    enrol = NULL;
    if (rc) {
        status = cli_fail_ctx(cmd, ctx, rc);
        goto done;
    }
    eo.flip = 0;
    if ((status = cli_engine_open(cmd, ctx, &eo, &rt2, &engine))) goto done;
    if (!w->threshold_given &&
        (status = choose_threshold(cmd, ctx, engine, lfr_gallery_identities(g), w->false_alert_rate,
                                   &w->pp)))
        goto done;
    if ((rc = lfr_pipeline_new(ctx, engine, g, &w->pp, on_alert, alert_arg, &p))) {
        status = cli_fail_ctx(cmd, ctx, rc);
        goto done;
    }
    if (on_camera) lfr_pipeline_set_camera_callback(p, on_camera, camera_arg);
    for (int i = 0; i < w->n_sources; i++) {
        char cam[32];
        snprintf(cam, sizeof cam, "cam%d", i + 1);
        lfr_video_params vp = lfr_video_default_params();
        vp.realtime = w->realtime;
        if ((rc = lfr_pipeline_add_source(ctx, p, cam, w->sources[i], &vp))) {
            status = cli_fail_ctx(cmd, ctx, rc);
            goto done;
        }
    }
    w->people = lfr_gallery_identities(g);
    if (w->announce)
        fprintf(stderr, "lfr %s: %d people on the watchlist, %d source%s\n", cmd, w->people,
                w->n_sources, w->n_sources == 1 ? "" : "s");
    running = p;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = lfr_pipeline_run(ctx, p);
    running = NULL;
    lfr_pipeline_stats_get(p, st);
    if (rc) status = cli_fail_ctx(cmd, ctx, rc);
done:
    lfr_pipeline_free(p);
    lfr_gallery_free(g);
    cli_engine_close(rt, enrol);
    cli_engine_close(rt2, engine);
    return status;
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
                                         {"skip-refused", no_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *sources[MAX_SOURCES];
    int c;
    printer pr = {0, 0};
    watch_setup w = cli_watch_defaults();
    w.sources = sources;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') {
            pr.json = 1;
        } else if (c == 's') {
            if (w.n_sources == MAX_SOURCES)
                return cli_usage("watch", "at most %d sources", MAX_SOURCES);
            sources[w.n_sources++] = optarg;
        } else {
            int bad = cli_watch_option("watch", c, optarg, &w);
            if (bad == 1) return cli_usage("watch", "unknown option");
            if (bad) return bad;
        }
    }
    w.announce = !pr.json;
    if (!w.n_sources) return cli_usage("watch", "needs at least one --source");
    if (!w.watchlist) return cli_usage("watch", "needs --watchlist DIR_OR_MANIFEST");
    if (optind != argc) return cli_usage("watch", "unexpected argument '%s'", argv[optind]);

    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("watch", LFR_ENOMEM, "out of memory");
    lfr_pipeline_stats st;
    int status = cli_watch_run("watch", ctx, &w, print_alert, &pr, print_camera, &pr, &st);
    double fps = st.seconds > 0 ? st.frames_processed / st.seconds : 0;
    if (st.seconds > 0 && pr.json)
        cli_print_json(json_pack(
            "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:s*}", "type", "summary",
            "frames_decoded", (json_int_t)st.frames_decoded, "frames_processed",
            (json_int_t)st.frames_processed, "frames_dropped", (json_int_t)st.frames_dropped,
            "faces_detected", (json_int_t)st.faces_detected, "tracks", (json_int_t)st.tracks,
            "templates_compared", (json_int_t)st.templates_compared, "alerts",
            (json_int_t)st.alerts, "seconds", st.seconds, "processed_fps", fps, "latency_p50_ms",
            st.latency_p50_us / 1000.0, "latency_p95_ms", st.latency_p95_us / 1000.0,
            "latency_p99_ms", st.latency_p99_us / 1000.0, "error",
            status ? lfr_errmsg(ctx) : NULL));
    else if (st.seconds > 0)
        printf("summary: %lld frames decoded, %lld processed (%.1f fps), %lld dropped; %lld faces, "
               "%lld tracks, %lld templates compared, %lld alerts; latency p50 %.0f ms, p95 %.0f "
               "ms, p99 %.0f ms\n",
               (long long)st.frames_decoded, (long long)st.frames_processed, fps,
               (long long)st.frames_dropped, (long long)st.faces_detected, (long long)st.tracks,
               (long long)st.templates_compared, (long long)st.alerts, st.latency_p50_us / 1000.0,
               st.latency_p95_us / 1000.0, st.latency_p99_us / 1000.0);
    lfr_ctx_free(ctx);
    return status;
}
