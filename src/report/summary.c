/* report/summary.c - the yearly summary across deployments (PUB-4) with
 * equality monitoring (PUB-6): the published row of each deployment, the
 * totals, false alert rates per 1,000 faces and per alert, and true and
 * false alerts by the group the engagement officer recorded, each rate with
 * its Wilson 95% interval. HTML (with SVG charts), CSV (one figure per
 * line: table,row,field,value) and JSON carry the same figures. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static void rate(json_t *into, const char *name, int64_t k, int64_t n, double scale, int hide)
{
    char key[80];
    double lo, hi;
    lfr_wilson95(k, n, &lo, &hi);
    const char *suffix[] = {"", "_lo", "_hi"};
    double v[] = {n ? (double)k / (double)n : 0, lo, hi};
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s%s", name, suffix[i]);
        json_object_set_new(into, key,
                            n == 0 ? json_null()
                            : hide ? json_string(SUPPRESS_SECONDARY)
                                   : rounded(v[i] * scale, 4));
    }
}

json_t *rates_of(const json_t *exact, const json_t *shown)
{
    int64_t faces = json_integer_value(json_object_get(exact, "faces"));
    int64_t alerts = json_integer_value(json_object_get(exact, "alerts"));
    int64_t f = json_integer_value(json_object_get(exact, "false_alerts"));
    int64_t t = json_integer_value(json_object_get(exact, "true_alerts"));
    /* A rate and its interval give away its count and its denominator
     * (n = z^2 (1/hi - 1) at k = 0): hidden when either is. */
    int hide_f = is_suppressed(json_object_get(shown, "false_alerts")),
        hide_t = is_suppressed(json_object_get(shown, "true_alerts")),
        hide_faces = is_suppressed(json_object_get(shown, "faces_processed")),
        hide_alerts = is_suppressed(json_object_get(shown, "alerts"));
    json_t *r = json_object();
    rate(r, "false_alerts_per_1000_faces", f, faces, 1000, hide_f || hide_faces);
    rate(r, "false_alert_share", f, alerts, 1, hide_f || hide_alerts);
    rate(r, "true_alert_share", t, alerts, 1, hide_t || hide_alerts);
    return r;
}

json_t *groups_of(const json_t *figs, int suppress)
{
    /* Sum each group over the deployments, in order of first appearance. */
    json_t *sums = json_object(), *order = json_array();
    size_t i, j;
    json_t *fig, *g;
    json_array_foreach(figs, i, fig)
    {
        json_array_foreach(json_object_get(fig, "groups"), j, g)
        {
            const char *name = json_string_value(json_object_get(g, "group"));
            json_t *s = json_object_get(sums, name);
            if (!s) {
                s = json_pack("{s:I,s:I}", "true", (json_int_t)0, "false", (json_int_t)0);
                json_object_set_new(sums, name, s);
                json_array_append_new(order, json_string(name));
            }
            for (int k = 0; k < 2; k++) {
                const char *key = k ? "false" : "true";
                json_object_set_new(s, key,
                                    json_integer(json_integer_value(json_object_get(s, key)) +
                                                 json_integer_value(json_object_get(g, key))));
            }
        }
    }
    json_t *out = json_array();
    json_array_foreach(order, i, g)
    {
        const char *name = json_string_value(g);
        json_t *s = json_object_get(sums, name);
        int64_t t = json_integer_value(json_object_get(s, "true"));
        int64_t f = json_integer_value(json_object_get(s, "false"));
        json_t *row = json_pack("{s:s}", "group", *name ? name : NOT_RECORDED);
        json_t *tv = suppress ? suppress_count(t) : json_integer(t);
        json_t *fv = suppress ? suppress_count(f) : json_integer(f);
        int hide = is_suppressed(tv) || is_suppressed(fv);
        json_object_set_new(row, "true_alerts", tv);
        json_object_set_new(row, "false_alerts", fv);
        rate(row, "false_share", f, t + f, 1, hide);
        json_array_append_new(out, row);
    }
    json_decref(sums);
    json_decref(order);
    return out;
}

/* The summary as one JSON document; the other formats are written from it. */
static json_t *summary_doc(const json_t *figs, int64_t from_ms, int64_t to_ms)
{
    char from[40], to[40];
    json_t *f = json_integer(from_ms), *t = json_integer(to_ms);
    time_iso(f, from, sizeof from);
    time_iso(t, to, sizeof to);
    json_decref(f);
    json_decref(t);
    json_t *rows = json_array(), *exact = NULL;
    size_t i;
    json_t *fig;
    json_array_foreach(figs, i, fig) json_array_append_new(rows, record_row(fig));
    json_t *totals = totals_row(figs, &exact);
    json_t *rates = rates_of(exact, totals);
    json_decref(exact);
    return json_pack("{s:{s:s,s:s},s:o,s:o,s:o,s:o}", "period", "from", from, "to", to,
                     "deployments", rows, "totals", totals, "rates", rates, "groups",
                     groups_of(figs, 1));
}

static void csv_line(buf *b, const char *table, const char *row, const char *field, const json_t *v)
{
    char text[4200];
    value_text(v, text, sizeof text);
    buf_csv(b, table);
    buf_printf(b, ",");
    buf_csv(b, row);
    buf_printf(b, ",");
    buf_csv(b, field);
    buf_printf(b, ",");
    buf_csv(b, text);
    buf_printf(b, "\r\n");
}

static void csv_object(buf *b, const char *table, const char *row, const json_t *obj,
                       const char *skip)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) if (!skip || strcmp(k, skip))
        csv_line(b, table, row, k, v);
}

static void csv_summary(buf *b, const json_t *doc)
{
    buf_printf(b, "table,row,field,value\r\n");
    csv_object(b, "period", "all", json_object_get(doc, "period"), NULL);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "deployments"), i, x)
    {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(x, "id")));
        csv_object(b, "deployment", id, x, "id");
    }
    csv_object(b, "total", "all", json_object_get(doc, "totals"), NULL);
    csv_object(b, "rate", "all", json_object_get(doc, "rates"), NULL);
    json_array_foreach(json_object_get(doc, "groups"), i, x)
        csv_object(b, "group", json_string_value(json_object_get(x, "group")), x, "group");
}

/* A table cell keyed table/row/field, as the CSV names it. */
static void cell(buf *b, lfr_lang lang, const char *table, const char *row, const char *field,
                 const json_t *v)
{
    char key[300];
    snprintf(key, sizeof key, "%s/%s/%s", table, row, field);
    html_cell(b, lang, key, field, v);
}

static void html_rate_row(buf *b, lfr_lang lang, const json_t *rates, const char *name,
                          const char *label)
{
    char k[80];
    buf_printf(b, "<tr><th>");
    buf_html(b, label);
    buf_printf(b, "</th>");
    const char *suffix[] = {"", "_lo", "_hi"};
    for (int i = 0; i < 3; i++) {
        snprintf(k, sizeof k, "%s%s", name, suffix[i]);
        cell(b, lang, "rate", "all", k, json_object_get(rates, k));
    }
    buf_printf(b, "</tr>\n");
}

/* A row of one cell across the table: there is nothing to list. */
static void empty_row(buf *b, lfr_lang lang, int columns, const char *key)
{
    buf_printf(b, "<tr><td colspan=\"%d\">", columns);
    buf_tr_html(b, lang, key, NULL);
    buf_printf(b, "</td></tr>\n");
}

static double number(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : 0;
}

static void html_summary(buf *b, lfr_lang lang, const json_t *doc)
{
    const json_t *period = json_object_get(doc, "period"), *totals = json_object_get(doc, "totals"),
                 *rates = json_object_get(doc, "rates"),
                 *rows = json_object_get(doc, "deployments"),
                 *groups = json_object_get(doc, "groups");
    char sub[300], from[16], to[16];
    snprintf(from, sizeof from, "%.10s", json_string_value(json_object_get(period, "from")));
    snprintf(to, sizeof to, "%.10s", json_string_value(json_object_get(period, "to")));
    tr_format(sub, sizeof sub, lang, "doc.summary.period", "from", from, "to", to, NULL);
    page_begin(b, lang, tr(lang, "doc.summary.title"), tr(lang, "doc.summary.kind"), sub);
    buf_printf(b, "<section>\n");
    static const char *const facts[] = {"deployments", "faces_processed", "alerts", "false_alerts",
                                        "outcome_arrest"};
    html_facts(b, lang, totals, facts, 5);
    html_h2(b, lang, "doc.summary.h.rates");
    static const char *const rate_head[] = {"doc.summary.measure", "doc.summary.observed",
                                            "doc.summary.interval_from", "doc.summary.interval_to"};
    html_thead(b, lang, rate_head, 4, 1);
    static const char *const rate_rows[][2] = {
        {"false_alerts_per_1000_faces", "doc.record.field.false_alerts_per_1000_faces"},
        {"false_alert_share", "doc.record.field.false_alert_share"},
        {"true_alert_share", "doc.summary.true_alert_share"}};
    for (int i = 0; i < 3; i++)
        html_rate_row(b, lang, rates, rate_rows[i][0], tr(lang, rate_rows[i][1]));
    buf_printf(b, "</tbody></table>\n");

    /* Charts: only what the tables publish (a suppressed count draws no bar). */
    int n = (int)json_array_size(rows);
    bar *bars = lfr_calloc(n > 0 ? (size_t)n : 1, sizeof *bars);
    char(*labels)[96] = lfr_calloc(n > 0 ? (size_t)n : 1, sizeof *labels);
    char(*texts)[40] = lfr_calloc(n > 0 ? (size_t)n : 1, sizeof *texts);
    if (!bars || !labels || !texts) {
        b->oom = 1;
    } else if (n > 0) {
        for (int i = 0; i < n; i++) {
            const json_t *r = json_array_get(rows, (size_t)i);
            const json_t *faces = json_object_get(r, "faces_processed");
            snprintf(labels[i], sizeof labels[i], "%.10s %.60s",
                     json_string_value(json_object_get(r, "date")),
                     json_string_value(json_object_get(r, "name")));
            value_human(lang, "faces_processed", faces, texts[i], sizeof texts[i]);
            bars[i] = (bar){labels[i], number(faces), texts[i], NULL};
        }
        svg_bars(b, tr(lang, "doc.summary.chart.faces"), bars, n);
    }
    static const char *const kinds[][3] = {
        {"true_alerts", "doc.alerts.true", "#2e8b57"},
        {"false_alerts", "doc.alerts.false", "#c0392b"},
        {"unverified_alerts", "doc.alerts.unverified", "#8a94a6"}};
    bar kb[3];
    char kt[3][40];
    for (int i = 0; i < 3; i++) {
        const json_t *v = json_object_get(totals, kinds[i][0]);
        value_human(lang, kinds[i][0], v, kt[i], sizeof kt[i]);
        kb[i] = (bar){tr(lang, kinds[i][1]), number(v), kt[i], kinds[i][2]};
    }
    svg_bars(b, tr(lang, "doc.summary.chart.results"), kb, 3);

    html_h2(b, lang, "doc.summary.h.totals");
    buf_printf(b, "<table><tbody>\n");
    html_figure_row(b, lang, "total/all/deployments", tr(lang, "doc.summary.deployments"),
                    json_object_get(totals, "deployments"), NULL);
    for (int i = 0; i < n_record_fields; i++) {
        const json_t *v = json_object_get(totals, record_fields[i].key);
        if (!v) continue;
        char key[120];
        snprintf(key, sizeof key, "total/all/%s", record_fields[i].key);
        buf_printf(b, "<tr><th>");
        buf_tr_html(b, lang, record_fields[i].label, NULL);
        buf_printf(b, "</th>");
        html_cell(b, lang, key, record_fields[i].key, v);
        buf_printf(b, "</tr>\n");
    }
    buf_printf(b, "</tbody></table>\n");

    html_h2(b, lang, "doc.summary.deployments");
    static const char *const cols[] = {"date",   "name",        "area",         "faces_processed",
                                       "alerts", "true_alerts", "false_alerts", "outcome_arrest"};
    static const char *const col_head[] = {"doc.record.field.date",   "doc.record.field.name",
                                           "doc.record.field.area",   "doc.summary.col.faces",
                                           "doc.record.field.alerts", "doc.summary.col.true",
                                           "doc.summary.col.false",   "doc.summary.col.arrests"};
    html_thead(b, lang, col_head, 8, 3);
    for (int i = 0; i < n; i++) {
        const json_t *r = json_array_get(rows, (size_t)i);
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(r, "id")));
        buf_printf(b, "<tr>");
        for (int c = 0; c < 8; c++)
            cell(b, lang, "deployment", id, cols[c], json_object_get(r, cols[c]));
        buf_printf(b, "</tr>\n");
    }
    if (n == 0) empty_row(b, lang, 8, "doc.summary.none_live");
    buf_printf(b, "</tbody></table>\n");

    html_h2(b, lang, "doc.summary.h.equality");
    buf_printf(b, "<p>");
    buf_tr_html(b, lang, "doc.summary.equality", NULL);
    buf_printf(b, "</p>\n");
    static const char *const group_head[] = {
        "doc.summary.col.group",       "doc.alerts.true",        "doc.alerts.false",
        "doc.summary.col.false_share", "doc.summary.col.from95", "doc.summary.interval_to"};
    html_thead(b, lang, group_head, 6, 1);
    int ng = (int)json_array_size(groups);
    interval *iv = lfr_calloc(ng > 0 ? (size_t)ng : 1, sizeof *iv);
    double max = 0.25;
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g)
    {
        const char *name = json_string_value(json_object_get(g, "group"));
        const char *label = strcmp(name, NOT_RECORDED) ? name : tr(lang, "doc.not_recorded");
        buf_printf(b, "<tr><th>");
        buf_html(b, label);
        buf_printf(b, "</th>");
        static const char *const gc[] = {"true_alerts", "false_alerts", "false_share",
                                         "false_share_lo", "false_share_hi"};
        for (int c = 0; c < 5; c++)
            cell(b, lang, "group", name, gc[c], json_object_get(g, gc[c]));
        buf_printf(b, "</tr>\n");
        if (iv) {
            const json_t *share = json_object_get(g, "false_share");
            iv[gi] =
                (interval){label, number(share), number(json_object_get(g, "false_share_lo")),
                           number(json_object_get(g, "false_share_hi")), !json_is_number(share)};
            if (json_is_number(share) && number(json_object_get(g, "false_share_hi")) > max)
                max = number(json_object_get(g, "false_share_hi"));
        }
    }
    if (ng == 0) empty_row(b, lang, 6, "doc.summary.no_alert");
    buf_printf(b, "</tbody></table>\n");
    if (!iv)
        b->oom = 1;
    else if (ng > 0)
        svg_intervals(b, lang, tr(lang, "doc.summary.chart.groups"), iv, ng,
                      max > 0.5    ? 1.0
                      : max > 0.25 ? 0.5
                                   : 0.25);
    buf_printf(b, "<p class=\"muted\">");
    html_published_note(b, lang);
    buf_printf(b, " ");
    buf_tr_html(b, lang, "doc.summary.note_rates", NULL);
    buf_printf(b, "</p>\n</section>\n");
    page_end(b, tr(lang, "doc.summary.footer"));
    lfr_free(iv);
    lfr_free(bars);
    lfr_free(labels);
    lfr_free(texts);
}

int lfr_report_summary(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t from_ms,
                       int64_t to_ms, lfr_lang lang, lfr_report_format format, char **out,
                       size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = report_format_in(
        ctx, format, FMT_BIT(LFR_REPORT_HTML) | FMT_BIT(LFR_REPORT_CSV) | FMT_BIT(LFR_REPORT_JSON),
        "the summary");
    json_t *figs = NULL;
    if (!rc) rc = lfr_figures_period(ctx, p, actor, from_ms, to_ms, &figs);
    if (rc) return rc;
    json_t *doc = summary_doc(figs, from_ms, to_ms);
    buf b = {0};
    if (!doc) {
        b.oom = 1;
    } else if (format == LFR_REPORT_HTML) {
        html_summary(&b, lang, doc);
    } else if (format == LFR_REPORT_CSV) {
        csv_summary(&b, doc);
    } else {
        buf_json(&b, doc);
    }
    json_decref(doc);
    json_decref(figs);
    return buf_take(ctx, &b, out, len);
}
