/* report/review.c - the post-deployment review (PUB-2): what happened set
 * against what was authorised, with the points a reviewer should look at
 * and whether the authorising officer has signed it off
 * (lfr_deployment_review). Not published: exact counts, for the
 * authorising officer, auditors and oversight. The HTML is written from
 * the JSON so the two agree. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define REVIEW_ROLES (LFR_ROLE_AUTHORISER | LFR_ROLE_AUDITOR | LFR_ROLE_OVERSIGHT)

static int64_t count(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static json_t *per_1000(int64_t k, int64_t faces)
{
    return faces > 0 ? rounded(1000.0 * (double)k / (double)faces, 4) : json_null();
}

/* Engagement durations in seconds: count, total, median, shortest, longest. */
static json_t *durations(const json_t *seconds)
{
    size_t n = json_array_size(seconds);
    json_int_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += json_integer_value(json_array_get(seconds, i));
    if (n == 0)
        return json_pack("{s:i,s:i,s:n,s:n,s:n}", "engagements_timed", 0, "total_s", 0, "median_s",
                         "shortest_s", "longest_s");
    double median = n % 2 ? (double)json_integer_value(json_array_get(seconds, n / 2))
                          : 0.5 * (double)(json_integer_value(json_array_get(seconds, n / 2 - 1)) +
                                           json_integer_value(json_array_get(seconds, n / 2)));
    return json_pack("{s:I,s:I,s:o,s:O,s:O}", "engagements_timed", (json_int_t)n, "total_s", total,
                     "median_s", rounded(median, 1), "shortest_s", json_array_get(seconds, 0),
                     "longest_s", json_array_get(seconds, n - 1));
}

/* What a reviewer should look at, worked out from the figures. */
static json_t *points(const json_t *fig, const json_t *planned, const json_t *actual,
                      const json_t *expected)
{
    json_t *arr = json_array();
    char s[400];
    const char *state = json_string_value(json_object_get(fig, "state"));
    if (!strcmp(state, "cancelled")) {
        snprintf(s, sizeof s, "The deployment was cancelled: %s.",
                 json_string_value(json_object_get(fig, "end_reason")));
        json_array_append_new(arr, json_string(s));
    }
    int64_t planned_end = count(planned, "end_ms"), ended = count(actual, "end_ms");
    if (ended && planned_end - ended > 15 * 60 * 1000) {
        snprintf(s, sizeof s, "It ended %.0f minutes before its authorised end: %s.",
                 (double)(planned_end - ended) / 60000.0,
                 json_string_value(json_object_get(fig, "end_reason")));
        json_array_append_new(arr, json_string(s));
    }
    if (json_is_true(json_object_get(fig, "urgent")))
        json_array_append_new(arr, json_string("It was authorised on the urgent route (DEP-3)."));
    if (count(fig, "open") > 0) {
        snprintf(s, sizeof s, "%lld alert%s never decided by an operator (HIL-2).",
                 (long long)count(fig, "open"), count(fig, "open") == 1 ? " was" : "s were");
        json_array_append_new(arr, json_string(s));
    }
    if (count(fig, "awaiting_outcome") > 0) {
        snprintf(s, sizeof s, "%lld engagement%s no recorded outcome (HIL-2).",
                 (long long)count(fig, "awaiting_outcome"),
                 count(fig, "awaiting_outcome") == 1 ? " has" : "s have");
        json_array_append_new(arr, json_string(s));
    }
    int64_t faces = count(fig, "faces"), footfall = count(planned, "expected_footfall");
    if (json_is_integer(json_object_get(fig, "started_ms"))) {
        if (faces == 0)
            json_array_append_new(arr, json_string("The cameras reported no faces: check that "
                                                   "the pipelines ran and reported counts."));
        else if (footfall > 0 && faces > footfall + footfall / 2) {
            snprintf(s, sizeof s,
                     "%lld faces were processed against %lld expected: the false alert estimate "
                     "of the authorisation rested on a lower footfall.",
                     (long long)faces, (long long)footfall);
            json_array_append_new(arr, json_string(s));
        }
    }
    const json_t *exp_rate = json_object_get(expected, "false_alerts_per_1000_faces");
    const json_t *obs_rate = json_object_get(actual, "false_alerts_per_1000_faces");
    if (json_is_number(exp_rate) && json_is_number(obs_rate) &&
        json_number_value(obs_rate) > json_number_value(exp_rate) &&
        count(fig, "false_alerts") > 0) {
        snprintf(s, sizeof s,
                 "False alerts ran at %.3g per 1,000 faces against %.3g expected at "
                 "authorisation (DEP-7): review the threshold and the watchlist's photos.",
                 json_number_value(obs_rate), json_number_value(exp_rate));
        json_array_append_new(arr, json_string(s));
    }
    const json_t *tests = json_object_get(fig, "walk_tests");
    if (json_is_integer(json_object_get(fig, "started_ms")) && json_array_size(tests) == 0)
        json_array_append_new(arr, json_string("No walk test was run before going live (ACC-3)."));
    if (json_array_size(json_object_get(fig, "models")) == 0)
        json_array_append_new(arr, json_string("No model version was recorded for this "
                                               "deployment's pipelines."));
    if (json_array_size(arr) == 0)
        json_array_append_new(arr, json_string("Nothing out of the ordinary was recorded."));
    return arr;
}

static json_t *review_doc(const json_t *fig)
{
    const json_t *rec = json_object_get(fig, "record"), *exp = json_object_get(fig, "expected");
    int64_t faces = count(fig, "faces"), entries = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(fig, "watchlist_by_category"), k, v) entries +=
        json_integer_value(v);
    json_t *planned = json_pack(
        "{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "start_ms", json_object_get(rec, "start"), "end_ms",
        json_object_get(rec, "end"), "watchlist_size", json_object_get(rec, "watchlist_size"),
        "threshold", json_object_get(rec, "threshold"), "expected_footfall",
        json_object_get(rec, "expected_footfall"), "watchlist_categories",
        json_object_get(rec, "watchlist_categories"));
    json_t *actual =
        json_pack("{s:O,s:O,s:O,s:I,s:I,s:I,s:I,s:o}", "start_ms",
                  json_object_get(fig, "started_ms"), "end_ms", json_object_get(fig, "ended_ms"),
                  "end_reason", json_object_get(fig, "end_reason"), "watchlist_entries",
                  (json_int_t)entries, "cameras", (json_int_t)count(fig, "cameras"), "frames",
                  (json_int_t)count(fig, "frames"), "faces_processed", (json_int_t)faces,
                  "false_alerts_per_1000_faces", per_1000(count(fig, "false_alerts"), faces));
    json_t *expected = json_object();
    if (exp) {
        double rate = json_number_value(json_object_get(exp, "false_alerts_per_1000_faces"));
        json_object_set_new(expected, "fmr_at_threshold",
                            json_real(json_number_value(json_object_get(exp, "fmr_at_threshold"))));
        json_object_set_new(expected, "false_alerts_per_1000_faces", rounded(rate, 4));
        json_object_set_new(
            expected, "false_alerts_at_planned_footfall",
            rounded(json_number_value(json_object_get(exp, "expected_false_alerts")), 2));
        json_object_set_new(expected, "false_alerts_at_observed_faces",
                            rounded(rate * (double)faces / 1000.0, 2));
        /* ACC-1: the data the estimate rests on, and the claim in the wild
         * with its interval. */
        json_object_set(expected, "estimate_data", json_object_get(exp, "estimate_data"));
        json_object_set(expected, "in_the_wild", json_object_get(exp, "in_the_wild"));
    }
    json_object_set_new(expected, "false_alerts_observed",
                        json_integer(count(fig, "false_alerts")));
    int reviewed = !strcmp(json_string_value(json_object_get(fig, "state")), "reviewed");
    json_t *sign_off =
        reviewed ? json_pack("{s:s,s:O,s:O}", "state", "signed off", "by",
                             json_object_get(fig, "reviewed_by"), "at_ms",
                             json_object_get(fig, "reviewed_ms"))
                 : json_pack("{s:s,s:O}", "state", "awaiting sign-off by the authorising officer",
                             "by", json_object_get(fig, "authorised_by"));
    json_t *alerts = json_object();
    static const char *const akeys[] = {
        "alerts",   "true_alerts", "false_alerts", "unverified_alerts", "open",
        "no_match", "engaged",     "closed",       "awaiting_outcome"};
    for (size_t i = 0; i < sizeof akeys / sizeof akeys[0]; i++)
        json_object_set_new(alerts, akeys[i], json_integer(count(fig, akeys[i])));
    json_t *doc = json_pack("{s:I,s:s,s:s,s:s,s:o,s:O?,s:O,s:o,s:o,s:O,s:o,s:O,s:o,s:O,s:o,s:O}",
                            "id", (json_int_t)count(fig, "id"), "name",
                            json_string_value(json_object_get(fig, "name")), "state",
                            json_string_value(json_object_get(fig, "state")), "frozen_hash",
                            json_string_value(json_object_get(fig, "frozen_hash")), "sign_off",
                            sign_off, "purpose", json_object_get(rec, "purpose"), "locations",
                            json_object_get(fig, "locations"), "planned", planned, "actual", actual,
                            "watchlist_by_category", json_object_get(fig, "watchlist_by_category"),
                            "alerts", alerts, "outcomes", json_object_get(fig, "outcomes"),
                            "engagement", durations(json_object_get(fig, "engagement_seconds")),
                            "models", json_object_get(fig, "models"), "expected", expected,
                            "groups", json_object_get(fig, "groups"));
    if (doc) {
        json_object_set_new(doc, "points_for_review", points(fig, planned, actual, expected));
        json_object_set(doc, "walk_tests", json_object_get(fig, "walk_tests"));
    }
    return doc;
}

/* "1 h 05 min" or "4 min 10 s" of seconds. */
static void duration_text(const json_t *v, char *out, size_t len)
{
    if (!json_is_number(v)) {
        snprintf(out, len, "-");
        return;
    }
    long s = lround(json_number_value(v));
    if (s >= 3600)
        snprintf(out, len, "%ld h %02ld min", s / 3600, s % 3600 / 60);
    else
        snprintf(out, len, "%ld min %02ld s", s / 60, s % 60);
}

/* A row of planned | actual, each cell keyed by its JSON path. */
static void compare_row(buf *b, const char *label, const char *pkey, const json_t *pv,
                        const char *akey, const json_t *av, int times)
{
    buf_printf(b, "<tr><th>%s</th>", label);
    const char *keys[] = {pkey, akey};
    const json_t *vals[] = {pv, av};
    for (int i = 0; i < 2; i++) {
        if (!keys[i]) {
            buf_printf(b, "<td></td>");
        } else if (times) {
            char t[80], raw[32];
            time_short(vals[i], t, sizeof t);
            value_text(vals[i], raw, sizeof raw);
            buf_printf(b, "<td class=\"n\" data-k=\"%s\" data-v=\"%s\">", keys[i], raw);
            buf_html(b, t);
            buf_printf(b, "</td>");
        } else {
            html_cell(b, keys[i], keys[i], vals[i]);
        }
    }
    buf_printf(b, "</tr>\n");
}

/* What the expected false alerts rest on (ACC-1): the data, and the rate
 * in the wild with its 95% interval. */
static void html_estimate_basis(buf *b, const json_t *exp)
{
    const json_t *data = json_object_get(exp, "estimate_data"),
                 *wild = json_object_get(exp, "in_the_wild");
    if (!json_is_string(data)) return;
    buf_printf(b, "<p class=\"muted\">Expected false alerts estimated from: ");
    buf_html(b, json_string_value(data));
    if (json_is_object(wild)) {
        buf_printf(b, ". In the wild (");
        buf_html(b, json_string_value(json_object_get(wild, "data")));
        buf_printf(b, "): %.3g per 1,000 faces, 95%% interval %.3g to %.3g",
                   json_number_value(json_object_get(wild, "false_alerts_per_1000_faces")),
                   json_number_value(json_object_get(wild, "false_alerts_per_1000_faces_lo")),
                   json_number_value(json_object_get(wild, "false_alerts_per_1000_faces_hi")));
    } else {
        buf_printf(b, ". Not measured in the wild at this threshold");
    }
    buf_printf(b, ".</p>\n");
}

/* The walk tests before going live (ACC-3): one row each. */
static void html_walk_tests(buf *b, const json_t *tests)
{
    buf_printf(b, "<h2>Walk tests before going live</h2>\n");
    if (!json_array_size(tests)) {
        buf_printf(b, "<p>None was run.</p>\n");
        return;
    }
    buf_printf(b, "<table><thead><tr><th>Started</th><th class=\"n\">Threshold</th>"
                  "<th class=\"n\">Passes</th><th class=\"n\">Found</th>"
                  "<th class=\"n\">Hit rate (95%% interval)</th>"
                  "<th class=\"n\">Median time to alert</th>"
                  "<th class=\"n\">False alerts</th></tr></thead><tbody>\n");
    size_t i;
    json_t *t;
    json_array_foreach(tests, i, t)
    {
        char when[80], median[40], rate[80];
        time_short(json_object_get(t, "started_ms"), when, sizeof when);
        const json_t *m = json_object_get(t, "median_seconds_to_alert");
        if (json_is_number(m))
            snprintf(median, sizeof median, "%.1f s", json_number_value(m));
        else
            snprintf(median, sizeof median, "-");
        if (json_is_number(json_object_get(t, "hit_rate")))
            snprintf(rate, sizeof rate, "%.0f%% (%.0f-%.0f%%)",
                     100 * json_number_value(json_object_get(t, "hit_rate")),
                     100 * json_number_value(json_object_get(t, "hit_rate_lo")),
                     100 * json_number_value(json_object_get(t, "hit_rate_hi")));
        else
            snprintf(rate, sizeof rate, "-");
        buf_printf(b, "<tr><td>");
        buf_html(b, when);
        buf_printf(b,
                   "</td><td class=\"n\">%.3f</td><td class=\"n\" data-k=\"walk_tests.%zu.passes\">"
                   "%lld</td><td class=\"n\" data-k=\"walk_tests.%zu.found\">%lld</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\" data-k=\"walk_tests.%zu.false_alerts\">%lld</td></tr>\n",
                   json_number_value(json_object_get(t, "threshold")), i,
                   (long long)count(t, "passes"), i, (long long)count(t, "found"), rate, median, i,
                   (long long)count(t, "false_alerts"));
    }
    buf_printf(b, "</tbody></table>\n");
}

static void html_review(buf *b, const json_t *doc)
{
    const json_t *planned = json_object_get(doc, "planned"),
                 *actual = json_object_get(doc, "actual"), *alerts = json_object_get(doc, "alerts"),
                 *exp = json_object_get(doc, "expected"), *eng = json_object_get(doc, "engagement"),
                 *so = json_object_get(doc, "sign_off");
    char title[200], sub[200];
    snprintf(title, sizeof title, "%s: post-deployment review",
             json_string_value(json_object_get(doc, "name")));
    snprintf(sub, sizeof sub, "Deployment %lld \xc2\xb7 %s \xc2\xb7 not for publication",
             (long long)count(doc, "id"), json_string_value(json_object_get(doc, "state")));
    page_begin(b, title, "Live facial recognition \xc2\xb7 review (PUB-2)", sub);
    buf_printf(b, "<section>\n");
    int signed_off = !strcmp(json_string_value(json_object_get(so, "state")), "signed off");
    buf_printf(b, "<p class=\"%s\"><strong>", signed_off ? "ok" : "notice");
    if (signed_off) {
        char t[80];
        time_long(json_object_get(so, "at_ms"), t, sizeof t);
        buf_printf(b, "Signed off</strong> by ");
        buf_html(b, json_string_value(json_object_get(so, "by")));
        buf_printf(b, ", authorising officer, on ");
        buf_html(b, t);
    } else {
        buf_printf(b, "Awaiting sign-off</strong> by the authorising officer, ");
        buf_html(b, json_string_value(json_object_get(so, "by")));
    }
    buf_printf(b, ".</p>\n<p><strong>Purpose:</strong> ");
    buf_html(b, json_string_value(json_object_get(doc, "purpose")));
    buf_printf(b, "</p>\n<h2>Planned and actual</h2>\n<table><thead><tr><th></th><th class=\"n\">"
                  "Authorised</th><th class=\"n\">Actual</th></tr></thead><tbody>\n");
    compare_row(b, "Start (UTC)", "planned.start_ms", json_object_get(planned, "start_ms"),
                "actual.start_ms", json_object_get(actual, "start_ms"), 1);
    compare_row(b, "End (UTC)", "planned.end_ms", json_object_get(planned, "end_ms"),
                "actual.end_ms", json_object_get(actual, "end_ms"), 1);
    compare_row(b, "People on the watchlist", "planned.watchlist_size",
                json_object_get(planned, "watchlist_size"), "actual.watchlist_entries",
                json_object_get(actual, "watchlist_entries"), 0);
    compare_row(b, "Faces", "planned.expected_footfall",
                json_object_get(planned, "expected_footfall"), "actual.faces_processed",
                json_object_get(actual, "faces_processed"), 0);
    compare_row(b, "Match threshold", "planned.threshold", json_object_get(planned, "threshold"),
                NULL, NULL, 0);
    compare_row(b, "False alerts per 1,000 faces", "expected.false_alerts_per_1000_faces",
                json_object_get(exp, "false_alerts_per_1000_faces"),
                "actual.false_alerts_per_1000_faces",
                json_object_get(actual, "false_alerts_per_1000_faces"), 0);
    compare_row(b, "False alerts (expected at the faces seen)",
                "expected.false_alerts_at_observed_faces",
                json_object_get(exp, "false_alerts_at_observed_faces"),
                "expected.false_alerts_observed", json_object_get(exp, "false_alerts_observed"), 0);
    buf_printf(b, "</tbody></table>\n");
    html_estimate_basis(b, exp);
    buf_printf(b, "<p class=\"muted\">End reason: ");
    buf_html(b, json_string_value(json_object_get(actual, "end_reason")));
    buf_printf(b, ". Locations: ");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "locations"), i, x)
    {
        if (i) buf_printf(b, "; ");
        buf_html(b, json_string_value(json_object_get(x, "name")));
    }
    buf_printf(b, ". Cameras: %lld. Model: ", (long long)count(actual, "cameras"));
    json_array_foreach(json_object_get(doc, "models"), i, x)
    {
        if (i) buf_printf(b, ", ");
        buf_html(b, json_string_value(x));
    }
    if (!json_array_size(json_object_get(doc, "models"))) buf_printf(b, "not recorded");
    buf_printf(b, ".</p>\n<h2>Points for the review</h2>\n<ul>\n");
    json_array_foreach(json_object_get(doc, "points_for_review"), i, x)
    {
        buf_printf(b, "<li>");
        buf_html(b, json_string_value(x));
        buf_printf(b, "</li>\n");
    }
    buf_printf(b, "</ul>\n<h2>Alerts</h2>\n");
    static const char *const kinds[][3] = {{"true_alerts", "True (identity confirmed)", "#2e8b57"},
                                           {"false_alerts", "False", "#c0392b"},
                                           {"unverified_alerts", "Not verified", "#8a94a6"}};
    bar bars[3];
    char texts[3][32];
    for (int k = 0; k < 3; k++) {
        snprintf(texts[k], sizeof texts[k], "%lld", (long long)count(alerts, kinds[k][0]));
        bars[k] = (bar){kinds[k][1], (double)count(alerts, kinds[k][0]), texts[k], kinds[k][2]};
    }
    svg_bars(b, "Alerts by result", bars, 3);
    buf_printf(b, "<table><tbody>\n");
    static const char *const rows[][2] = {{"alerts", "Alerts"},
                                          {"true_alerts", "True alerts"},
                                          {"false_alerts", "False alerts"},
                                          {"unverified_alerts", "Not verified"},
                                          {"no_match", "Closed by the operator as no match"},
                                          {"engaged", "Engagements"},
                                          {"open", "Never decided"},
                                          {"awaiting_outcome", "Engaged, no outcome recorded"}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char key[64];
        snprintf(key, sizeof key, "alerts.%s", rows[r][0]);
        html_figure_row(b, key, rows[r][1], json_object_get(alerts, rows[r][0]));
    }
    buf_printf(b, "</tbody></table>\n<h2>Outcomes of engagements</h2>\n<table><tbody>\n");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(doc, "outcomes"), k, v)
    {
        char key[64], label[64];
        snprintf(key, sizeof key, "outcomes.%s", k);
        snprintf(label, sizeof label, "%s", k);
        for (char *c = label; *c; c++)
            if (*c == '_') *c = ' ';
        label[0] = (char)(label[0] - 'a' + 'A');
        html_figure_row(b, key, label, v);
    }
    char d[4][40];
    static const char *const dk[] = {"median_s", "shortest_s", "longest_s", "total_s"};
    for (int q = 0; q < 4; q++)
        duration_text(json_object_get(eng, dk[q]), d[q], sizeof d[q]);
    buf_printf(b, "</tbody></table>\n<h2>Engagement durations</h2>\n<table><tbody>\n");
    html_figure_row(b, "engagement.engagements_timed", "Engagements timed",
                    json_object_get(eng, "engagements_timed"));
    static const char *const dl[] = {"Median", "Shortest", "Longest", "Total"};
    for (int q = 0; q < 4; q++) {
        char raw[32];
        value_text(json_object_get(eng, dk[q]), raw, sizeof raw);
        buf_printf(b,
                   "<tr><th>%s</th><td class=\"n\" data-k=\"engagement.%s\" data-v=\"%s\">%s"
                   "</td></tr>\n",
                   dl[q], dk[q], raw, d[q]);
    }
    buf_printf(b, "</tbody></table>\n");
    html_walk_tests(b, json_object_get(doc, "walk_tests"));
    buf_printf(b, "<h2>Watchlist by category</h2>\n<table><tbody>\n");
    json_object_foreach((json_t *)json_object_get(doc, "watchlist_by_category"), k, v)
    {
        char key[64], field[64];
        snprintf(key, sizeof key, "watchlist_by_category.%s", k);
        snprintf(field, sizeof field, "watchlist_%s", k);
        const char *label = k;
        for (int f = 0; f < n_record_fields; f++)
            if (!strcmp(record_fields[f].key, field)) label = record_fields[f].label;
        html_figure_row(b, key, label, v);
    }
    buf_printf(b,
               "</tbody></table>\n<p class=\"muted\">Record hash at authorisation: %s</p>\n"
               "</section>\n",
               json_string_value(json_object_get(doc, "frozen_hash")));
    page_end(b, "Post-deployment review under REQUIREMENTS PUB-2. Exact counts: not for "
                "publication; the published record suppresses small counts.");
}

int lfr_report_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_report_format format, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = lfr_actor_need(ctx, actor, REVIEW_ROLES, "the post-deployment review");
    if (!rc)
        rc = report_format_in(ctx, format, FMT_BIT(LFR_REPORT_HTML) | FMT_BIT(LFR_REPORT_JSON),
                              "the review");
    json_t *fig = NULL;
    if (!rc) rc = lfr_deployment_figures(ctx, p, actor, deployment, "review", &fig);
    if (!rc) rc = report_over(ctx, fig, "review");
    if (rc) {
        json_decref(fig);
        return rc;
    }
    json_t *doc = review_doc(fig);
    buf b = {0};
    if (!doc) {
        b.oom = 1;
    } else if (format == LFR_REPORT_HTML) {
        html_review(&b, doc);
    } else {
        buf_json(&b, doc);
    }
    json_decref(doc);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
