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

/* Labels doc.record.field.KEY, sections doc.record.section.NAME. */
#define FIELD(key, section)                                                                        \
    {                                                                                              \
        key, "doc.record.field." key, "doc.record.section." section                                \
    }
const record_field record_fields[] = {
    FIELD("id", "deployment"),
    FIELD("name", "deployment"),
    FIELD("date", "deployment"),
    FIELD("start", "deployment"),
    FIELD("end", "deployment"),
    FIELD("planned_start", "deployment"),
    FIELD("planned_end", "deployment"),
    FIELD("area", "deployment"),
    FIELD("purpose", "deployment"),
    FIELD("advance_notice", "deployment"),
    FIELD("threshold", "deployment"),
    FIELD("model", "deployment"),
    FIELD("watchlist_size", "watchlist"),
    FIELD("watchlist_wanted", "watchlist"),
    FIELD("watchlist_suspect", "watchlist"),
    FIELD("watchlist_bail_or_order", "watchlist"),
    FIELD("watchlist_missing_at_risk", "watchlist"),
    FIELD("watchlist_risk_of_harm", "watchlist"),
    FIELD("watchlist_associate", "watchlist"),
    FIELD("watchlist_witness", "watchlist"),
    FIELD("watchlist_victim", "watchlist"),
    FIELD("faces_processed", "alerts"),
    FIELD("alerts", "alerts"),
    FIELD("true_alerts", "alerts"),
    FIELD("false_alerts", "alerts"),
    FIELD("unverified_alerts", "alerts"),
    FIELD("false_alerts_per_1000_faces", "alerts"),
    FIELD("false_alert_share", "alerts"),
    FIELD("engagements", "outcomes"),
    FIELD("outcome_arrest", "outcomes"),
    FIELD("outcome_other_action", "outcomes"),
    FIELD("outcome_safeguarding", "outcomes"),
    FIELD("outcome_words_of_advice", "outcomes"),
    FIELD("outcome_no_further_action", "outcomes"),
    FIELD("outcome_person_not_found", "outcomes"),
    FIELD("outcome_awaiting_outcome", "outcomes"),
};
#undef FIELD
const int n_record_fields = (int)(sizeof record_fields / sizeof record_fields[0]);

const char *record_label(lfr_lang lang, const char *field, const char *fallback)
{
    for (int i = 0; i < n_record_fields; i++)
        if (!strcmp(record_fields[i].key, field)) return tr(lang, record_fields[i].label);
    return fallback;
}

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
    json_object_set_new(row, "model", joined(json_object_get(fig, "models"), NULL, NOT_RECORDED));
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

/* The text the HTML shows for a field whose published value is English
 * words rather than a figure (CSV and JSON keep those); NULL for the rest,
 * shown as value_human. */
static const char *shown_in(lfr_lang lang, const json_t *fig, const char *key, char *out,
                            size_t len)
{
    const json_t *rec = json_object_get(fig, "record");
    if (!strcmp(key, "advance_notice")) {
        if (json_object_get(rec, "critical_threat_exemption"))
            tr_format(out, len, lang, "doc.record.notice_withheld", "by",
                      json_string_value(json_object_get(rec, "exemption_approved_by")), NULL);
        else
            tr_format(out, len, lang, "doc.record.notice_published", NULL);
        return out;
    }
    if (!strcmp(key, "model") && !json_array_size(json_object_get(fig, "models")))
        return tr(lang, "doc.not_recorded");
    return NULL;
}

static void html_record(buf *b, lfr_lang lang, const json_t *fig, const json_t *row)
{
    char sub[300], when[120], dep[80], id[32], title[400];
    time_long(lang, json_object_get(fig, "started_ms"), when, sizeof when);
    snprintf(id, sizeof id, "%lld", (long long)count(fig, "id"));
    tr_format(dep, sizeof dep, lang, "doc.deployment_n", "id", id, NULL);
    snprintf(sub, sizeof sub, "%s \xc2\xb7 %s", dep, when);
    tr_format(title, sizeof title, lang, "doc.record.title", "name",
              json_string_value(json_object_get(fig, "name")), NULL);
    page_begin(b, lang, title, tr(lang, "doc.record.kind"), sub);
    buf_printf(b, "<section>\n");
    static const char *const key_facts[] = {"faces_processed", "alerts", "false_alerts",
                                            "outcome_arrest"};
    html_facts(b, lang, row, key_facts, 4);
    const char *exemption = json_string_value(
        json_object_get(json_object_get(fig, "record"), "critical_threat_exemption"));
    if (exemption) {
        buf_printf(b, "<p class=\"notice\"><strong>");
        buf_tr_html(b, lang, "doc.record.no_notice", NULL);
        buf_printf(b, "</strong> ");
        buf_tr_html(b, lang, "doc.record.exemption", "reason", exemption, NULL);
        buf_printf(b, "</p>\n");
    }
    const char *section = NULL;
    for (int i = 0; i < n_record_fields; i++) {
        if (!section || strcmp(section, record_fields[i].section)) {
            if (section) buf_printf(b, "</tbody></table>\n");
            section = record_fields[i].section;
            html_h2(b, lang, section);
            buf_printf(b, "<table><tbody>\n");
        }
        char shown[600];
        html_figure_row(b, lang, record_fields[i].key, tr(lang, record_fields[i].label),
                        json_object_get(row, record_fields[i].key),
                        shown_in(lang, fig, record_fields[i].key, shown, sizeof shown));
    }
    buf_printf(b, "</tbody></table>\n<p class=\"muted\">");
    html_published_note(b, lang);
    buf_printf(b, " ");
    buf_tr_html(b, lang, "doc.record.note_faces", NULL);
    buf_printf(b, "</p>\n</section>\n");
    page_end(b, tr(lang, "doc.record.footer"));
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
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len)
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
        html_record(&b, lang, fig, row);
    } else if (format == LFR_REPORT_CSV) {
        csv_record(&b, row);
    } else {
        buf_json(&b, row);
    }
    json_decref(row);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
