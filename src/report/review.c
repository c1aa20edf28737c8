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

/* Appends one point in lang: the catalogue's text of key, filled. */
#define POINT(arr, lang, ...)                                                                      \
    do {                                                                                           \
        char point_[600];                                                                          \
        tr_format(point_, sizeof point_, lang, __VA_ARGS__, NULL);                                 \
        json_array_append_new(arr, json_string(point_));                                           \
    } while (0)

/* What a reviewer should look at, worked out from the figures, in lang. */
static json_t *points(lfr_lang lang, const json_t *fig, const json_t *planned, const json_t *actual,
                      const json_t *expected)
{
    json_t *arr = json_array();
    char a[64], b[64];
    const char *state = json_string_value(json_object_get(fig, "state"));
    const char *reason = json_string_value(json_object_get(fig, "end_reason"));
    if (!strcmp(state, "cancelled"))
        POINT(arr, lang, "doc.review.point.cancelled", "reason", reason);
    int64_t planned_end = count(planned, "end_ms"), ended = count(actual, "end_ms");
    if (ended && planned_end - ended > 15 * 60 * 1000) {
        snprintf(a, sizeof a, "%.0f", (double)(planned_end - ended) / 60000.0);
        POINT(arr, lang, "doc.review.point.early", "minutes", a, "reason", reason);
    }
    if (json_is_true(json_object_get(fig, "urgent"))) POINT(arr, lang, "doc.review.point.urgent");
    if (count(fig, "open") > 0) {
        snprintf(a, sizeof a, "%lld", (long long)count(fig, "open"));
        POINT(arr, lang,
              count(fig, "open") == 1 ? "doc.review.point.open.one" : "doc.review.point.open.other",
              "n", a);
    }
    if (count(fig, "awaiting_outcome") > 0) {
        snprintf(a, sizeof a, "%lld", (long long)count(fig, "awaiting_outcome"));
        POINT(arr, lang,
              count(fig, "awaiting_outcome") == 1 ? "doc.review.point.no_outcome.one"
                                                  : "doc.review.point.no_outcome.other",
              "n", a);
    }
    int64_t faces = count(fig, "faces"), footfall = count(planned, "expected_footfall");
    if (json_is_integer(json_object_get(fig, "started_ms"))) {
        if (faces == 0) {
            POINT(arr, lang, "doc.review.point.no_faces");
        } else if (footfall > 0 && faces > footfall + footfall / 2) {
            snprintf(a, sizeof a, "%lld", (long long)faces);
            snprintf(b, sizeof b, "%lld", (long long)footfall);
            POINT(arr, lang, "doc.review.point.footfall", "faces", a, "expected", b);
        }
    }
    const json_t *exp_rate = json_object_get(expected, "false_alerts_per_1000_faces");
    const json_t *obs_rate = json_object_get(actual, "false_alerts_per_1000_faces");
    if (json_is_number(exp_rate) && json_is_number(obs_rate) &&
        json_number_value(obs_rate) > json_number_value(exp_rate) &&
        count(fig, "false_alerts") > 0) {
        snprintf(a, sizeof a, "%.3g", json_number_value(obs_rate));
        snprintf(b, sizeof b, "%.3g", json_number_value(exp_rate));
        POINT(arr, lang, "doc.review.point.rate", "observed", a, "expected", b);
    }
    const json_t *tests = json_object_get(fig, "walk_tests");
    if (json_is_integer(json_object_get(fig, "started_ms")) && json_array_size(tests) == 0)
        POINT(arr, lang, "doc.review.point.no_walk_test");
    if (json_array_size(json_object_get(fig, "models")) == 0)
        POINT(arr, lang, "doc.review.point.no_model");
    if (json_array_size(arr) == 0) POINT(arr, lang, "doc.review.point.none");
    return arr;
}

static json_t *review_doc(lfr_lang lang, const json_t *fig)
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
        json_object_set_new(doc, "points_for_review", points(lang, fig, planned, actual, expected));
        json_object_set(doc, "walk_tests", json_object_get(fig, "walk_tests"));
    }
    return doc;
}

/* "1 h 05 min" or "4 min 10 s" of seconds, in lang. */
static void duration_text(lfr_lang lang, const json_t *v, char *out, size_t len)
{
    if (!json_is_number(v)) {
        snprintf(out, len, "-");
        return;
    }
    long s = lround(json_number_value(v));
    char big[24], small[8];
    snprintf(big, sizeof big, "%ld", s >= 3600 ? s / 3600 : s / 60);
    snprintf(small, sizeof small, "%02ld", s >= 3600 ? s % 3600 / 60 : s % 60);
    if (s >= 3600)
        tr_format(out, len, lang, "doc.review.duration.hours", "h", big, "min", small, NULL);
    else
        tr_format(out, len, lang, "doc.review.duration.minutes", "min", big, "s", small, NULL);
}

/* A row of planned | actual, each cell keyed by its JSON path. */
static void compare_row(buf *b, lfr_lang lang, const char *label, const char *pkey,
                        const json_t *pv, const char *akey, const json_t *av, int times)
{
    buf_printf(b, "<tr><th>");
    buf_tr_html(b, lang, label, NULL);
    buf_printf(b, "</th>");
    const char *keys[] = {pkey, akey};
    const json_t *vals[] = {pv, av};
    for (int i = 0; i < 2; i++) {
        if (!keys[i]) {
            buf_printf(b, "<td></td>");
        } else if (times) {
            char t[120], raw[32];
            time_short(lang, vals[i], t, sizeof t);
            value_text(vals[i], raw, sizeof raw);
            buf_printf(b, "<td class=\"n\" data-k=\"%s\" data-v=\"%s\">", keys[i], raw);
            buf_html(b, t);
            buf_printf(b, "</td>");
        } else {
            html_cell(b, lang, keys[i], keys[i], vals[i]);
        }
    }
    buf_printf(b, "</tr>\n");
}

/* What the expected false alerts rest on (ACC-1): the data, and the rate
 * in the wild with its 95% interval. */
static void html_estimate_basis(buf *b, lfr_lang lang, const json_t *exp)
{
    const json_t *data = json_object_get(exp, "estimate_data"),
                 *wild = json_object_get(exp, "in_the_wild");
    if (!json_is_string(data)) return;
    buf_printf(b, "<p class=\"muted\">");
    buf_tr_html(b, lang, "doc.review.estimate", "data", json_string_value(data), NULL);
    buf_printf(b, " ");
    if (json_is_object(wild)) {
        char rate[3][32];
        static const char *const k[] = {"false_alerts_per_1000_faces",
                                        "false_alerts_per_1000_faces_lo",
                                        "false_alerts_per_1000_faces_hi"};
        for (int i = 0; i < 3; i++)
            snprintf(rate[i], sizeof rate[i], "%.3g",
                     json_number_value(json_object_get(wild, k[i])));
        buf_tr_html(b, lang, "doc.review.wild", "data",
                    json_string_value(json_object_get(wild, "data")), "rate", rate[0], "lo",
                    rate[1], "hi", rate[2], NULL);
    } else {
        buf_tr_html(b, lang, "doc.review.not_wild", NULL);
    }
    buf_printf(b, "</p>\n");
}

/* The walk tests before going live (ACC-3): one row each. */
static void html_walk_tests(buf *b, lfr_lang lang, const json_t *tests)
{
    html_h2(b, lang, "doc.review.h.walk_tests");
    if (!json_array_size(tests)) {
        buf_printf(b, "<p>");
        buf_tr_html(b, lang, "doc.review.walk.none", NULL);
        buf_printf(b, "</p>\n");
        return;
    }
    static const char *const head[] = {"doc.review.walk.started",  "doc.review.walk.threshold",
                                       "doc.review.walk.passes",   "doc.review.walk.found",
                                       "doc.review.walk.hit_rate", "doc.review.walk.median",
                                       "doc.alerts.false"};
    html_thead(b, lang, head, 7, 1);
    size_t i;
    json_t *t;
    json_array_foreach(tests, i, t)
    {
        char when[120], median[40], rate[80];
        time_short(lang, json_object_get(t, "started_ms"), when, sizeof when);
        const json_t *m = json_object_get(t, "median_seconds_to_alert");
        if (json_is_number(m)) {
            char sec[24];
            snprintf(sec, sizeof sec, "%.1f", json_number_value(m));
            tr_format(median, sizeof median, lang, "doc.review.seconds", "s", sec, NULL);
        } else {
            snprintf(median, sizeof median, "-");
        }
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
                   "<td class=\"n\">%s</td><td class=\"n\">",
                   json_number_value(json_object_get(t, "threshold")), i,
                   (long long)count(t, "passes"), i, (long long)count(t, "found"), rate);
        buf_html(b, median);
        buf_printf(b,
                   "</td><td class=\"n\" data-k=\"walk_tests.%zu.false_alerts\">%lld</td></tr>\n",
                   i, (long long)count(t, "false_alerts"));
    }
    buf_printf(b, "</tbody></table>\n");
}

/* "a; b" of the strings of an array (or of a field of its objects). */
static void list_text(buf *b, const json_t *arr, const char *field, const char *sep)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) buf_printf(
        b, "%s%s", i ? sep : "", json_string_value(field ? json_object_get(x, field) : x));
}

/* The counts of one object of the review, labelled as the published
 * record labels them (prefix + key), else by their key. */
static void html_counts(buf *b, lfr_lang lang, const json_t *doc, const char *name,
                        const char *prefix)
{
    buf_printf(b, "<table><tbody>\n");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(doc, name), k, v)
    {
        char key[64], field[64];
        snprintf(key, sizeof key, "%s.%s", name, k);
        snprintf(field, sizeof field, "%s%s", prefix, k);
        html_figure_row(b, lang, key, record_label(lang, field, k), v, NULL);
    }
    buf_printf(b, "</tbody></table>\n");
}

static void html_review(buf *b, lfr_lang lang, const json_t *doc)
{
    const json_t *planned = json_object_get(doc, "planned"),
                 *actual = json_object_get(doc, "actual"), *alerts = json_object_get(doc, "alerts"),
                 *exp = json_object_get(doc, "expected"), *eng = json_object_get(doc, "engagement"),
                 *so = json_object_get(doc, "sign_off");
    char title[300], sub[300], dep[80], id[32], state[64];
    tr_format(title, sizeof title, lang, "doc.review.title", "name",
              json_string_value(json_object_get(doc, "name")), NULL);
    snprintf(id, sizeof id, "%lld", (long long)count(doc, "id"));
    tr_format(dep, sizeof dep, lang, "doc.deployment_n", "id", id, NULL);
    snprintf(state, sizeof state, "state.%s", json_string_value(json_object_get(doc, "state")));
    tr_format(sub, sizeof sub, lang, "doc.review.sub", "deployment", dep, "state", tr(lang, state),
              NULL);
    page_begin(b, lang, title, tr(lang, "doc.review.kind"), sub);
    buf_printf(b, "<section>\n");
    int signed_off = !strcmp(json_string_value(json_object_get(so, "state")), "signed off");
    buf_printf(b, "<p class=\"%s\"><strong>", signed_off ? "ok" : "notice");
    const char *by = json_string_value(json_object_get(so, "by"));
    if (signed_off) {
        char t[120];
        time_long(lang, json_object_get(so, "at_ms"), t, sizeof t);
        buf_tr_html(b, lang, "doc.review.signed_off", NULL);
        buf_printf(b, "</strong> ");
        buf_tr_html(b, lang, "doc.review.signed_off_by", "by", by, "when", t, NULL);
    } else {
        buf_tr_html(b, lang, "doc.review.awaiting", NULL);
        buf_printf(b, "</strong> ");
        buf_tr_html(b, lang, "doc.review.awaiting_by", "by", by, NULL);
    }
    buf_printf(b, "</p>\n<p><strong>");
    buf_tr_html(b, lang, "doc.record.field.purpose", NULL);
    buf_printf(b, ":</strong> ");
    buf_html(b, json_string_value(json_object_get(doc, "purpose")));
    buf_printf(b, "</p>\n");
    html_h2(b, lang, "doc.review.h.planned");
    buf_printf(b, "<table><thead><tr><th></th><th class=\"n\">");
    buf_tr_html(b, lang, "doc.review.authorised", NULL);
    buf_printf(b, "</th><th class=\"n\">");
    buf_tr_html(b, lang, "doc.review.actual", NULL);
    buf_printf(b, "</th></tr></thead><tbody>\n");
    compare_row(b, lang, "doc.review.start", "planned.start_ms",
                json_object_get(planned, "start_ms"), "actual.start_ms",
                json_object_get(actual, "start_ms"), 1);
    compare_row(b, lang, "doc.review.end", "planned.end_ms", json_object_get(planned, "end_ms"),
                "actual.end_ms", json_object_get(actual, "end_ms"), 1);
    compare_row(b, lang, "doc.record.field.watchlist_size", "planned.watchlist_size",
                json_object_get(planned, "watchlist_size"), "actual.watchlist_entries",
                json_object_get(actual, "watchlist_entries"), 0);
    compare_row(b, lang, "doc.summary.col.faces", "planned.expected_footfall",
                json_object_get(planned, "expected_footfall"), "actual.faces_processed",
                json_object_get(actual, "faces_processed"), 0);
    compare_row(b, lang, "doc.record.field.threshold", "planned.threshold",
                json_object_get(planned, "threshold"), NULL, NULL, 0);
    compare_row(b, lang, "doc.record.field.false_alerts_per_1000_faces",
                "expected.false_alerts_per_1000_faces",
                json_object_get(exp, "false_alerts_per_1000_faces"),
                "actual.false_alerts_per_1000_faces",
                json_object_get(actual, "false_alerts_per_1000_faces"), 0);
    compare_row(b, lang, "doc.review.false_expected", "expected.false_alerts_at_observed_faces",
                json_object_get(exp, "false_alerts_at_observed_faces"),
                "expected.false_alerts_observed", json_object_get(exp, "false_alerts_observed"), 0);
    buf_printf(b, "</tbody></table>\n");
    html_estimate_basis(b, lang, exp);
    buf locations = {0}, models = {0};
    list_text(&locations, json_object_get(doc, "locations"), "name", "; ");
    list_text(&models, json_object_get(doc, "models"), NULL, ", ");
    char cameras[32];
    snprintf(cameras, sizeof cameras, "%lld", (long long)count(actual, "cameras"));
    buf_printf(b, "<p class=\"muted\">");
    buf_tr_html(b, lang, "doc.review.context", "reason",
                json_string_value(json_object_get(actual, "end_reason")), "locations", locations.p,
                "cameras", cameras, "models", models.len ? models.p : tr(lang, "doc.not_recorded"),
                NULL);
    buf_printf(b, "</p>\n");
    if (locations.oom || models.oom) b->oom = 1;
    buf_free(&locations);
    buf_free(&models);
    html_h2(b, lang, "doc.review.h.points");
    buf_printf(b, "<ul>\n");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "points_for_review"), i, x)
    {
        buf_printf(b, "<li>");
        buf_html(b, json_string_value(x));
        buf_printf(b, "</li>\n");
    }
    buf_printf(b, "</ul>\n");
    html_h2(b, lang, "doc.record.field.alerts");
    static const char *const kinds[][3] = {
        {"true_alerts", "doc.review.bar.true", "#2e8b57"},
        {"false_alerts", "doc.summary.col.false", "#c0392b"},
        {"unverified_alerts", "doc.alerts.unverified", "#8a94a6"}};
    bar bars[3];
    char texts[3][32];
    for (int k = 0; k < 3; k++) {
        snprintf(texts[k], sizeof texts[k], "%lld", (long long)count(alerts, kinds[k][0]));
        bars[k] =
            (bar){tr(lang, kinds[k][1]), (double)count(alerts, kinds[k][0]), texts[k], kinds[k][2]};
    }
    svg_bars(b, tr(lang, "doc.review.chart.alerts"), bars, 3);
    buf_printf(b, "<table><tbody>\n");
    static const char *const rows[][2] = {
        {"alerts", "doc.record.field.alerts"}, {"true_alerts", "doc.alerts.true"},
        {"false_alerts", "doc.alerts.false"},  {"unverified_alerts", "doc.alerts.unverified"},
        {"no_match", "doc.review.no_match"},   {"engaged", "doc.review.engagements"},
        {"open", "doc.review.open"},           {"awaiting_outcome", "doc.review.awaiting_outcome"}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char key[64];
        snprintf(key, sizeof key, "alerts.%s", rows[r][0]);
        html_figure_row(b, lang, key, tr(lang, rows[r][1]), json_object_get(alerts, rows[r][0]),
                        NULL);
    }
    buf_printf(b, "</tbody></table>\n");
    html_h2(b, lang, "doc.review.h.outcomes");
    html_counts(b, lang, doc, "outcomes", "outcome_");
    html_h2(b, lang, "doc.review.h.durations");
    buf_printf(b, "<table><tbody>\n");
    html_figure_row(b, lang, "engagement.engagements_timed", tr(lang, "doc.review.timed"),
                    json_object_get(eng, "engagements_timed"), NULL);
    static const char *const dk[][2] = {{"median_s", "doc.review.median"},
                                        {"shortest_s", "doc.review.shortest"},
                                        {"longest_s", "doc.review.longest"},
                                        {"total_s", "doc.review.total"}};
    for (int q = 0; q < 4; q++) {
        char key[64], d[40];
        snprintf(key, sizeof key, "engagement.%s", dk[q][0]);
        duration_text(lang, json_object_get(eng, dk[q][0]), d, sizeof d);
        html_figure_row(b, lang, key, tr(lang, dk[q][1]), json_object_get(eng, dk[q][0]), d);
    }
    buf_printf(b, "</tbody></table>\n");
    html_walk_tests(b, lang, json_object_get(doc, "walk_tests"));
    html_h2(b, lang, "doc.review.h.watchlist");
    html_counts(b, lang, doc, "watchlist_by_category", "watchlist_");
    buf_printf(b, "<p class=\"muted\">");
    buf_tr_html(b, lang, "doc.review.hash", "hash",
                json_string_value(json_object_get(doc, "frozen_hash")), NULL);
    buf_printf(b, "</p>\n</section>\n");
    page_end(b, tr(lang, "doc.review.footer"));
}

int lfr_report_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len)
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
    json_t *doc = review_doc(lang, fig);
    buf b = {0};
    if (!doc) {
        b.oom = 1;
    } else if (format == LFR_REPORT_HTML) {
        html_review(&b, lang, doc);
    } else {
        buf_json(&b, doc);
    }
    json_decref(doc);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
