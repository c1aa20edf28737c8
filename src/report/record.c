/* report/record.c - the published deployment record (PUB-3): the fields
 * REQUIREMENTS lists, as HTML, CSV and JSON made from one flat row, so the
 * three always agree. Counts that could identify someone are suppressed
 * (1-4 as "<5", and a second cell where the first could be derived). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char *const categories[] = {"wanted",          "suspect",      "bail_or_order",
                                         "missing_at_risk", "risk_of_harm", "associate",
                                         "witness",         "victim"};
static const char *const actions[] = {"arrest",          "other_action",      "safeguarding",
                                      "words_of_advice", "no_further_action", "person_not_found",
                                      "awaiting_outcome"};
#define N_CATEGORIES 8
#define N_ACTIONS 7

const record_field record_fields[] = {
    {"id", "Deployment number", "Deployment"},
    {"name", "Operation", "Deployment"},
    {"date", "Date", "Deployment"},
    {"start", "Started (UTC)", "Deployment"},
    {"end", "Ended (UTC)", "Deployment"},
    {"planned_start", "Authorised from (UTC)", "Deployment"},
    {"planned_end", "Authorised until (UTC)", "Deployment"},
    {"area", "Area", "Deployment"},
    {"purpose", "Purpose", "Deployment"},
    {"advance_notice", "Advance notice", "Deployment"},
    {"threshold", "Match threshold", "Deployment"},
    {"model", "Model version", "Deployment"},
    {"watchlist_size", "People on the watchlist", "Watchlist"},
    {"watchlist_wanted", "Wanted by the courts", "Watchlist"},
    {"watchlist_suspect", "Suspected of an offence", "Watchlist"},
    {"watchlist_bail_or_order", "Bail conditions or court order", "Watchlist"},
    {"watchlist_missing_at_risk", "Missing and at risk", "Watchlist"},
    {"watchlist_risk_of_harm", "Risk of harm to self or others", "Watchlist"},
    {"watchlist_associate", "Associate", "Watchlist"},
    {"watchlist_witness", "Witness", "Watchlist"},
    {"watchlist_victim", "Victim", "Watchlist"},
    {"faces_processed", "Faces processed", "Faces and alerts"},
    {"alerts", "Alerts", "Faces and alerts"},
    {"true_alerts", "True alerts (identity confirmed)", "Faces and alerts"},
    {"false_alerts", "False alerts", "Faces and alerts"},
    {"unverified_alerts", "Alerts not verified", "Faces and alerts"},
    {"false_alerts_per_1000_faces", "False alerts per 1,000 faces", "Faces and alerts"},
    {"false_alert_share", "False alerts as a share of alerts", "Faces and alerts"},
    {"engagements", "Engagements (officer sent to the person)", "Engagements and outcomes"},
    {"outcome_arrest", "Arrest", "Engagements and outcomes"},
    {"outcome_other_action", "Other action", "Engagements and outcomes"},
    {"outcome_safeguarding", "Safeguarding", "Engagements and outcomes"},
    {"outcome_words_of_advice", "Words of advice", "Engagements and outcomes"},
    {"outcome_no_further_action", "No further action", "Engagements and outcomes"},
    {"outcome_person_not_found", "Person not found", "Engagements and outcomes"},
    {"outcome_awaiting_outcome", "Outcome not recorded", "Engagements and outcomes"},
};
const int n_record_fields = (int)(sizeof record_fields / sizeof record_fields[0]);

static int64_t count(const json_t *fig, const char *key)
{
    return json_integer_value(json_object_get(fig, key));
}

/* Suppresses one table of a row: keys[i] <- counts, given its total, and
 * hides the total (total_key) when the table cannot be kept safe without. */
static void table(json_t *row, const char *prefix, const char *const *names, const int64_t *c,
                  int n, int64_t total, const char *total_key)
{
    json_t *v[16];
    if (suppress_table(c, n, total, v) && !is_suppressed(json_object_get(row, total_key)))
        json_object_set_new(row, total_key, json_string(SUPPRESS_SECONDARY));
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        json_object_set_new(row, key, v[i]);
    }
}

/* The counts of a row, suppressed: shared with the totals of the summary,
 * whose "figures" are sums of the same keys. */
static void publish_counts(const json_t *fig, json_t *row)
{
    const json_t *by_cat = json_object_get(fig, "watchlist_by_category");
    int64_t cat[N_CATEGORIES], people = 0;
    for (int i = 0; i < N_CATEGORIES; i++)
        people += cat[i] = json_integer_value(json_object_get(by_cat, categories[i]));
    json_object_set_new(row, "watchlist_size", suppress_count(people));
    table(row, "watchlist_", categories, cat, N_CATEGORIES, people, "watchlist_size");
    int64_t faces = count(fig, "faces"), alerts = count(fig, "alerts");
    int64_t f = count(fig, "false_alerts");
    json_object_set_new(row, "faces_processed", suppress_count(faces));
    json_object_set_new(row, "alerts", suppress_count(alerts));
    int64_t kinds[3] = {count(fig, "true_alerts"), f, count(fig, "unverified_alerts")};
    table(row, "", (const char *const[]){"true_alerts", "false_alerts", "unverified_alerts"}, kinds,
          3, alerts, "alerts");
    /* A rate shows what its count, or its denominator, hides. */
    int hide = is_suppressed(json_object_get(row, "false_alerts"));
    int hide_per_face = hide || is_suppressed(json_object_get(row, "faces_processed"));
    int hide_share = hide || is_suppressed(json_object_get(row, "alerts"));
    json_object_set_new(row, "false_alerts_per_1000_faces",
                        faces == 0      ? json_null()
                        : hide_per_face ? json_string(SUPPRESS_SECONDARY)
                                        : rounded(1000.0 * (double)f / (double)faces, 4));
    json_object_set_new(row, "false_alert_share",
                        alerts == 0  ? json_null()
                        : hide_share ? json_string(SUPPRESS_SECONDARY)
                                     : rounded((double)f / (double)alerts, 4));
    int64_t engaged = count(fig, "engaged"), out[N_ACTIONS];
    const json_t *outcomes = json_object_get(fig, "outcomes");
    for (int i = 0; i < N_ACTIONS - 1; i++)
        out[i] = json_integer_value(json_object_get(outcomes, actions[i]));
    out[N_ACTIONS - 1] = count(fig, "awaiting_outcome");
    json_object_set_new(row, "engagements", suppress_count(engaged));
    table(row, "outcome_", actions, out, N_ACTIONS, engaged, "engagements");
}

/* "a; b; c" of one string field of an array of objects (or of strings). */
static json_t *joined(const json_t *arr, const char *field, const char *none)
{
    buf b = {0};
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        buf_printf(&b, "%s%s", i ? "; " : "",
                   field ? json_string_value(json_object_get(x, field)) : json_string_value(x));
    }
    json_t *s = json_string(b.len ? b.p : none);
    buf_free(&b);
    return s;
}

json_t *record_row(const json_t *fig)
{
    const json_t *rec = json_object_get(fig, "record");
    char t[40];
    json_t *row = json_object();
    json_object_set_new(row, "id", json_integer(count(fig, "id")));
    json_object_set(row, "name", json_object_get(fig, "name"));
    time_iso(json_object_get(fig, "started_ms"), t, sizeof t);
    json_object_set_new(row, "date", json_stringn(t, strlen(t) >= 10 ? 10 : strlen(t)));
    json_object_set_new(row, "start", json_string(t));
    time_iso(json_object_get(fig, "ended_ms"), t, sizeof t);
    json_object_set_new(row, "end", json_string(t));
    time_iso(json_object_get(rec, "start"), t, sizeof t);
    json_object_set_new(row, "planned_start", json_string(t));
    time_iso(json_object_get(rec, "end"), t, sizeof t);
    json_object_set_new(row, "planned_end", json_string(t));
    json_object_set_new(row, "area", joined(json_object_get(fig, "locations"), "name", ""));
    json_object_set(row, "purpose", json_object_get(rec, "purpose"));
    const char *exemption = json_string_value(json_object_get(rec, "critical_threat_exemption"));
    if (exemption) {
        char text[400];
        snprintf(text, sizeof text, "withheld: critical threat exemption approved by %s",
                 json_string_value(json_object_get(rec, "exemption_approved_by")));
        json_object_set_new(row, "advance_notice", json_string(text));
    } else {
        json_object_set_new(row, "advance_notice", json_string("published"));
    }
    json_object_set(row, "threshold", json_object_get(rec, "threshold"));
    json_object_set_new(row, "model", joined(json_object_get(fig, "models"), NULL, "not recorded"));
    publish_counts(fig, row);
    /* In the published order, whatever order they were set in. */
    json_t *ordered = json_object();
    for (int i = 0; i < n_record_fields; i++) {
        json_t *v = json_object_get(row, record_fields[i].key);
        json_object_set(ordered, record_fields[i].key, v ? v : json_null());
    }
    json_decref(row);
    return ordered;
}

json_t *totals_row(const json_t *figs, json_t **exact)
{
    static const char *const sums[] = {
        "faces",   "alerts",          "true_alerts", "false_alerts", "unverified_alerts",
        "engaged", "awaiting_outcome"};
    json_t *tot = json_pack("{s:{},s:{}}", "watchlist_by_category", "outcomes");
    size_t i;
    json_t *fig;
    json_array_foreach(figs, i, fig)
    {
        for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++)
            json_object_set_new(tot, sums[k],
                                json_integer(count(tot, sums[k]) + count(fig, sums[k])));
        const char *const *names[] = {categories, actions};
        const char *objs[] = {"watchlist_by_category", "outcomes"};
        for (int o = 0; o < 2; o++) {
            json_t *into = json_object_get(tot, objs[o]);
            for (int k = 0; k < (o ? N_ACTIONS - 1 : N_CATEGORIES); k++)
                json_object_set_new(
                    into, names[o][k],
                    json_integer(json_integer_value(json_object_get(into, names[o][k])) +
                                 json_integer_value(
                                     json_object_get(json_object_get(fig, objs[o]), names[o][k]))));
        }
    }
    json_t *row = json_object();
    publish_counts(tot, row);
    json_object_set_new(row, "deployments", json_integer((json_int_t)json_array_size(figs)));
    *exact = tot;
    return row;
}

static void html_record(buf *b, const json_t *fig, const json_t *row)
{
    char sub[160], when[80];
    time_long(json_object_get(fig, "started_ms"), when, sizeof when);
    snprintf(sub, sizeof sub, "Deployment %lld \xc2\xb7 %s", (long long)count(fig, "id"), when);
    char title[200];
    snprintf(title, sizeof title, "%s: published record",
             json_string_value(json_object_get(fig, "name")));
    page_begin(b, title, "Live facial recognition \xc2\xb7 deployment record (PUB-3)", sub);
    buf_printf(b, "<section>\n<div class=\"facts\">");
    static const char *const key_facts[][2] = {{"faces_processed", "faces processed"},
                                               {"alerts", "alerts"},
                                               {"false_alerts", "false alerts"},
                                               {"outcome_arrest", "arrests"}};
    for (int i = 0; i < 4; i++) {
        char h[64];
        value_human(key_facts[i][0], json_object_get(row, key_facts[i][0]), h, sizeof h);
        buf_printf(b, "<div class=\"fact\"><b>");
        buf_html(b, h);
        buf_printf(b, "</b><span>%s</span></div>", key_facts[i][1]);
    }
    buf_printf(b, "</div>\n");
    const char *exemption = json_string_value(
        json_object_get(json_object_get(fig, "record"), "critical_threat_exemption"));
    if (exemption) {
        buf_printf(b, "<p class=\"notice\"><strong>No advance notice was published.</strong> A "
                      "critical threat exemption was recorded: ");
        buf_html(b, exemption);
        buf_printf(b, "</p>\n");
    }
    const char *section = NULL;
    for (int i = 0; i < n_record_fields; i++) {
        if (!section || strcmp(section, record_fields[i].section)) {
            if (section) buf_printf(b, "</tbody></table>\n");
            section = record_fields[i].section;
            buf_printf(b, "<h2>%s</h2>\n<table><tbody>\n", section);
        }
        html_figure_row(b, record_fields[i].key, record_fields[i].label,
                        json_object_get(row, record_fields[i].key));
    }
    buf_printf(b, "</tbody></table>\n<p class=\"muted\">A true alert is one where the officer "
                  "confirmed the person's identity; a false alert one the operator closed as no "
                  "match, or where the person stopped was someone else. Counts from 1 to 4 are "
                  "shown as &lt;5, and where such a count could be worked out from the total, a "
                  "second count is shown as [c]. Faces of people who did not match were deleted "
                  "at once and are counted here only as a number.</p>\n</section>\n");
    page_end(b, "Published under the College of Policing authorised professional practice for "
                "live facial recognition. Made by OpenLFR from the deployment's audited records.");
}

static void csv_record(buf *b, const json_t *row)
{
    buf_printf(b, "field,value\r\n");
    for (int i = 0; i < n_record_fields; i++) {
        char v[4200];
        value_text(json_object_get(row, record_fields[i].key), v, sizeof v);
        buf_csv(b, record_fields[i].key);
        buf_printf(b, ",");
        buf_csv(b, v);
        buf_printf(b, "\r\n");
    }
}

int lfr_report_record(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_report_format format, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = report_format_in(
        ctx, format, FMT_BIT(LFR_REPORT_HTML) | FMT_BIT(LFR_REPORT_CSV) | FMT_BIT(LFR_REPORT_JSON),
        "the deployment record");
    json_t *fig = NULL;
    if (!rc) rc = lfr_deployment_figures(ctx, p, actor, deployment, "record", &fig);
    if (!rc) rc = report_over(ctx, fig, "published record");
    if (rc) {
        json_decref(fig);
        return rc;
    }
    json_t *row = record_row(fig);
    buf b = {0};
    if (format == LFR_REPORT_HTML) {
        html_record(&b, fig, row);
    } else if (format == LFR_REPORT_CSV) {
        csv_record(&b, row);
    } else {
        buf_json(&b, row);
    }
    json_decref(row);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
