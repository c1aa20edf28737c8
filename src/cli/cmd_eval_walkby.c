/* cli/cmd_eval_walkby.c - `lfr eval walkby`: a video with a face box for
 * every passer runs through the live pipeline as `lfr watch` would run it,
 * and its alerts are scored per passer (REQUIREMENTS ACC-3), so a force can
 * test the system on its own footage. */
#include "cli.h"
#include "lfr/eval.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct alert_list {
    lfr_walkby_alert *a;
    int n, cap;
    int failed; /* out of memory: the run goes on, the score is refused */
} alert_list;

static void keep_alert(const lfr_alert *a, void *arg)
{
    alert_list *l = arg;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        lfr_walkby_alert *na = lfr_realloc(l->a, (size_t)cap * sizeof *na);
        if (!na) {
            l->failed = 1;
            return;
        }
        l->a = na;
        l->cap = cap;
    }
    lfr_walkby_alert *w = &l->a[l->n++];
    w->frame = a->frame_index;
    snprintf(w->identity, sizeof w->identity, "%s", a->identity);
    memcpy(w->box, a->box, sizeof w->box);
}

/* n strings stride bytes apart, as a JSON array. */
static json_t *string_list(const char *first, int n, size_t stride)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_string(first + (size_t)i * stride));
    return arr;
}

static void print_result(const lfr_walkby_result *r, const watch_setup *w,
                         const lfr_pipeline_stats *st, int json)
{
    double fps = st->seconds > 0 ? st->frames_processed / st->seconds : 0;
    if (json) {
        cli_print_json(json_pack(
            "{s:s,s:i,s:i,s:i,s:f,s:f,s:f,s:i,s:f,s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:o,s:o}",
            "type", "walkby", "passers", r->passers, "watchlisted", r->watchlisted, "found",
            r->found, "tpir", r->tpir, "tpir_lo", r->tpir_lo, "tpir_hi", r->tpir_hi, "false_alerts",
            r->false_alerts, "false_alerts_per_1000_passers", r->false_per_1000,
            "false_alerts_per_1000_hi", r->false_hi, "duplicate_alerts", r->duplicates, "threshold",
            w->pp.threshold, "latency_median_frames", r->latency_median, "latency_p90_frames",
            r->latency_p90, "latency_full_median_frames", r->latency_full_median, "processed_fps",
            fps, "frames_processed", (json_int_t)st->frames_processed, "frames_dropped",
            (json_int_t)st->frames_dropped, "missed",
            string_list(r->missed[0], r->n_missed, sizeof r->missed[0]), "false_alert_list",
            string_list(r->false_listed[0], r->n_false_listed, sizeof r->false_listed[0])));
        return;
    }
    printf(
        "walk-by: %d passers (%d watchlisted), threshold %.3f, %lld frames processed (%.1f fps), "
        "%lld dropped\n",
        r->passers, r->watchlisted, w->pp.threshold, (long long)st->frames_processed, fps,
        (long long)st->frames_dropped);
    printf("found %d of %d watchlisted passers: TPIR %.3f (95%% CI %.3f-%.3f)\n", r->found,
           r->watchlisted, r->tpir, r->tpir_lo, r->tpir_hi);
    printf("false alerts %d = %.1f per 1,000 passers (95%% upper bound %.1f); duplicates %d\n",
           r->false_alerts, r->false_per_1000, r->false_hi, r->duplicates);
    if (r->found)
        printf("time to alert: median %.1f s from first appearance (p90 %.1f s), %.1f s from fully "
               "in view\n",
               r->latency_median / r->fps, r->latency_p90 / r->fps,
               r->latency_full_median / r->fps);
    for (int i = 0; i < r->n_missed; i++)
        printf("missed: %s\n", r->missed[i]);
    for (int i = 0; i < r->n_false_listed; i++)
        printf("false alert: %s\n", r->false_listed[i]);
}

int eval_walkby(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"video", required_argument, NULL, 'v'},
                                         {"truth", required_argument, NULL, 't'},
                                         {"grace-frames", required_argument, NULL, 'g'},
                                         {"watchlist", required_argument, NULL, 'w'},
                                         {"threshold", required_argument, NULL, 'T'},
                                         {"false-alert-rate", required_argument, NULL, 'R'},
                                         {"realtime", no_argument, NULL, 'r'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"embedder", required_argument, NULL, 'e'},
                                         {"detect-size", required_argument, NULL, 'd'},
                                         {"skip-refused", no_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *video = NULL, *truth_path = NULL;
    int json = 0, grace = 0, c;
    watch_setup w = cli_watch_defaults();
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') {
            json = 1;
        } else if (c == 'v') {
            video = optarg;
        } else if (c == 't') {
            truth_path = optarg;
        } else if (c == 'g') {
            if (cli_parse_int(optarg, 0, 100000, &grace))
                return cli_usage("eval", "--grace-frames needs a number of frames 0..100000");
        } else {
            int bad = cli_watch_option("eval", c, optarg, &w);
            if (bad == 1) return cli_usage("eval", "unknown option");
            if (bad) return bad;
        }
    }
    if (!video || !truth_path || !w.watchlist)
        return cli_usage("eval", "walkby needs --video V --truth T.json --watchlist W");
    if (optind != argc) return cli_usage("eval", "unexpected argument '%s'", argv[optind]);
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("eval", LFR_ENOMEM, "out of memory");
    lfr_walkby *truth = NULL;
    alert_list alerts = {0};
    int rc = lfr_walkby_load(ctx, truth_path, &truth);
    int status = rc ? cli_fail_ctx("eval", ctx, rc) : EXIT_OK;
    w.sources = &video;
    w.n_sources = 1;
    lfr_pipeline_stats st;
    if (status == EXIT_OK)
        status = cli_watch_run("eval", ctx, &w, keep_alert, &alerts, NULL, NULL, &st);
    if (status == EXIT_OK && alerts.failed)
        status = cli_fail("eval", LFR_ENOMEM, "out of memory while keeping the alerts");
    lfr_walkby_result *r = status == EXIT_OK ? lfr_calloc(1, sizeof *r) : NULL;
    if (status == EXIT_OK && !r) status = cli_fail("eval", LFR_ENOMEM, "out of memory");
    if (status == EXIT_OK && (rc = lfr_walkby_score(ctx, truth, alerts.a, alerts.n, grace, r)))
        status = cli_fail_ctx("eval", ctx, rc);
    if (status == EXIT_OK) print_result(r, &w, &st, json);
    lfr_free(r);
    lfr_free(alerts.a);
    lfr_walkby_free(truth);
    lfr_ctx_free(ctx);
    return status;
}
