/* report/notice.c - the public notice of a deployment (PUB-1), for the
 * force website (HTML) and social media (plain text): where, when, why, who
 * is looked for, what happens to the faces of passers-by, how to find out
 * more and how to exercise data rights. Written from the authorised record
 * only, so it says what was authorised. A deployment that recorded the
 * critical threat exemption gets none: its published record shows the
 * exemption instead. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* What both formats say, so the website and the post agree. */
typedef struct notice {
    char title[300];
    char when[300];
    char short_text[1200]; /* one paragraph, for a social media post */
} notice;

/* The references a reader can follow up: the key of the figures (the
 * deployment's id, else its record's field) and its label's key. */
static const char *const refs[][2] = {{"id", "doc.record.field.id"},
                                      {"public_notice", "doc.notice.field.public_notice"},
                                      {"dpia_ref", "doc.notice.field.dpia_ref"},
                                      {"equality_ref", "doc.notice.field.equality_ref"},
                                      {"community_ref", "doc.notice.field.community_ref"}};
#define N_REFS 5

static const json_t *ref_value(const json_t *fig, int r)
{
    return r == 0 ? json_object_get(fig, "id")
                  : json_object_get(json_object_get(fig, "record"), refs[r][0]);
}

static void make_notice(lfr_lang lang, const json_t *fig, notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    char from[120], to[120], place[300], id[32];
    time_long(lang, json_object_get(rec, "start"), from, sizeof from);
    time_long(lang, json_object_get(rec, "end"), to, sizeof to);
    const json_t *locs = json_object_get(fig, "locations");
    const char *first = json_string_value(json_object_get(json_array_get(locs, 0), "name"));
    if (json_array_size(locs) > 1)
        tr_format(place, sizeof place, lang, "doc.notice.place_nearby", "place", first, NULL);
    else
        snprintf(place, sizeof place, "%s", first ? first : "");
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(fig, "id")));
    tr_format(n->title, sizeof n->title, lang, "doc.notice.title", "place", place, NULL);
    tr_format(n->when, sizeof n->when, lang, "doc.notice.when", "from", from, "to", to, NULL);
    tr_format(n->short_text, sizeof n->short_text, lang, "doc.notice.post", "place", place, "from",
              from, "to", to, "purpose", json_string_value(json_object_get(rec, "purpose")), "id",
              id, NULL);
}

/* A heading of the plain text, in capitals as a post sets them off. */
static void text_heading(buf *b, lfr_lang lang, const char *key)
{
    char s[200];
    snprintf(s, sizeof s, "%s", tr(lang, key));
    text_upper(s);
    buf_printf(b, "\n%s\n", s);
}

static void text_notice(buf *b, lfr_lang lang, const json_t *fig, const notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    buf_printf(b, "%s\n\n%s\n", n->title, n->short_text);
    text_heading(b, lang, "doc.notice.h.when");
    buf_printf(b, "%s\n", n->when);
    text_heading(b, lang, "doc.notice.h.where");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(fig, "locations"), i, x)
        buf_printf(b, "- %s: %s\n", json_string_value(json_object_get(x, "name")),
                   json_string_value(json_object_get(x, "reason")));
    text_heading(b, lang, "doc.notice.h.why");
    buf_printf(b, "%s\n", json_string_value(json_object_get(rec, "purpose")));
    text_heading(b, lang, "doc.notice.h.who");
    char size[32];
    snprintf(size, sizeof size, "%lld",
             (long long)json_integer_value(json_object_get(rec, "watchlist_size")));
    buf_tr(b, lang, "doc.notice.who_short", "categories",
           json_string_value(json_object_get(rec, "watchlist_categories")), "n", size, "criteria",
           json_string_value(json_object_get(rec, "watchlist_criteria")), NULL);
    buf_printf(b, "\n");
    text_heading(b, lang, "doc.notice.h.face");
    buf_tr(b, lang, "doc.notice.how_it_works", NULL);
    buf_printf(b, "\n");
    text_heading(b, lang, "doc.notice.h.rights");
    buf_tr(b, lang, "doc.notice.rights", NULL);
    buf_printf(b, "\n");
    text_heading(b, lang, "doc.notice.h.more");
    for (int r = 0; r < N_REFS; r++) {
        char v[400];
        value_text(ref_value(fig, r), v, sizeof v);
        buf_printf(b, "%s: %s\n", tr(lang, refs[r][1]), v);
    }
}

/* A heading and a paragraph of the catalogue's text. */
static void para(buf *b, lfr_lang lang, const char *heading, const char *text)
{
    html_h2(b, lang, heading);
    buf_printf(b, "<p>");
    buf_tr_html(b, lang, text, NULL);
    buf_printf(b, "</p>\n");
}

static void html_notice(buf *b, lfr_lang lang, const json_t *fig, const notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    char sub[300], dep[80], id[32];
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(fig, "id")));
    tr_format(dep, sizeof dep, lang, "doc.deployment_n", "id", id, NULL);
    snprintf(sub, sizeof sub, "%s \xc2\xb7 %s", dep,
             json_string_value(json_object_get(fig, "name")));
    page_begin(b, lang, n->title, tr(lang, "doc.notice.kind"), sub);
    buf_printf(b, "<section>\n<p class=\"notice\"><strong>");
    buf_html(b, n->when);
    buf_printf(b, "</strong></p>\n");
    html_h2(b, lang, "doc.notice.h.where");
    static const char *const head[] = {"doc.notice.location", "doc.notice.why_here"};
    html_thead(b, lang, head, 2, 2);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(fig, "locations"), i, x)
    {
        buf_printf(b, "<tr><td>");
        buf_html(b, json_string_value(json_object_get(x, "name")));
        buf_printf(b, "</td><td>");
        buf_html(b, json_string_value(json_object_get(x, "reason")));
        buf_printf(b, "</td></tr>\n");
    }
    buf_printf(b, "</tbody></table>\n");
    html_h2(b, lang, "doc.notice.h.why");
    buf_printf(b, "<p>");
    buf_html(b, json_string_value(json_object_get(rec, "purpose")));
    buf_printf(b, "</p>\n");
    html_h2(b, lang, "doc.notice.h.who");
    buf_printf(b, "<p>");
    char size[32];
    snprintf(size, sizeof size, "%lld",
             (long long)json_integer_value(json_object_get(rec, "watchlist_size")));
    buf_tr_html(b, lang, "doc.notice.who_text", "categories",
                json_string_value(json_object_get(rec, "watchlist_categories")), "n", size,
                "criteria", json_string_value(json_object_get(rec, "watchlist_criteria")), NULL);
    buf_printf(b, "</p>\n");
    para(b, lang, "doc.notice.h.face", "doc.notice.how_it_works");
    para(b, lang, "doc.notice.h.rights", "doc.notice.rights");
    html_h2(b, lang, "doc.notice.h.more");
    buf_printf(b, "<table><tbody>\n");
    for (int r = 0; r < N_REFS; r++)
        html_figure_row(b, lang, refs[r][0], tr(lang, refs[r][1]), ref_value(fig, r), NULL);
    buf_printf(b, "</tbody></table>\n<p class=\"muted\">");
    buf_tr_html(b, lang, "doc.notice.after", NULL);
    buf_printf(b, "</p>\n</section>\n");
    page_end(b, tr(lang, "doc.notice.footer"));
}

int lfr_report_notice(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = report_format_in(ctx, format, FMT_BIT(LFR_REPORT_HTML) | FMT_BIT(LFR_REPORT_TEXT),
                              "the public notice");
    json_t *fig = NULL;
    if (!rc) rc = lfr_deployment_figures(ctx, p, actor, deployment, "notice", &fig);
    if (rc) return rc;
    const json_t *rec = json_object_get(fig, "record");
    if (json_object_get(rec, "critical_threat_exemption"))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld recorded a critical threat exemption (approved by %s): no "
                      "public notice is produced (PUB-1); its published record shows the "
                      "exemption",
                      (long long)deployment,
                      json_string_value(json_object_get(rec, "exemption_approved_by")));
    else if (!json_is_integer(json_object_get(fig, "authorised_ms")))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is %s: a notice is published once it is authorised",
                      (long long)deployment, json_string_value(json_object_get(fig, "state")));
    if (rc) {
        json_decref(fig);
        return rc;
    }
    notice n;
    make_notice(lang, fig, &n);
    buf b = {0};
    if (format == LFR_REPORT_HTML)
        html_notice(&b, lang, fig, &n);
    else
        text_notice(&b, lang, fig, &n);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
