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

/* The sections of the notice: heading and paragraphs, shared by both
 * formats so the website and the post say the same thing. */
typedef struct notice {
    char title[300];
    char when[200];
    char short_text[600]; /* one paragraph, for a social media post */
} notice;

static void make_notice(const json_t *fig, notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    char from[80], to[80];
    time_long(json_object_get(rec, "start"), from, sizeof from);
    time_long(json_object_get(rec, "end"), to, sizeof to);
    const json_t *locs = json_object_get(fig, "locations");
    const char *first = json_string_value(json_object_get(json_array_get(locs, 0), "name"));
    snprintf(n->title, sizeof n->title, "Live facial recognition in use: %s%s", first ? first : "",
             json_array_size(locs) > 1 ? " and nearby" : "");
    snprintf(n->when, sizeof n->when, "From %s until %s.", from, to);
    snprintf(n->short_text, sizeof n->short_text,
             "Police will use live facial recognition at %s%s from %s until %s, to %s. Faces "
             "that do not match the watchlist are deleted at once. More: deployment %lld.",
             first ? first : "", json_array_size(locs) > 1 ? " and nearby" : "", from, to,
             json_string_value(json_object_get(rec, "purpose")),
             (long long)json_integer_value(json_object_get(fig, "id")));
}

static const char how_it_works[] =
    "Cameras compare the faces of people passing with a watchlist of people the police are "
    "looking for. If your face does not match anyone on the watchlist, its image and "
    "measurements are deleted at once, automatically, and are never stored. A possible match "
    "is only an alert: a police officer looks at it and decides whether to speak to the "
    "person; the system decides nothing by itself. Alerts are deleted after at most 31 days.";

static const char rights[] =
    "You have the right to ask whether the police hold information about you and to receive a "
    "copy (a subject access request under Part 3 of the Data Protection Act 2018), and to ask "
    "for information to be corrected or deleted. Contact the force's Data Protection Officer "
    "and quote the deployment number below. You do not have to walk through the area; choosing "
    "to avoid it is not in itself a reason to stop you.";

static void text_notice(buf *b, const json_t *fig, const notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    buf_printf(b, "%s\n\n%s\n\nWHEN\n%s\n\nWHERE\n", n->title, n->short_text, n->when);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(fig, "locations"), i, x)
        buf_printf(b, "- %s: %s\n", json_string_value(json_object_get(x, "name")),
                   json_string_value(json_object_get(x, "reason")));
    buf_printf(b, "\nWHY\n%s\n\nWHO WE ARE LOOKING FOR\n%s (at most %lld people; criteria: %s)\n",
               json_string_value(json_object_get(rec, "purpose")),
               json_string_value(json_object_get(rec, "watchlist_categories")),
               (long long)json_integer_value(json_object_get(rec, "watchlist_size")),
               json_string_value(json_object_get(rec, "watchlist_criteria")));
    buf_printf(b, "\nWHAT HAPPENS TO YOUR FACE\n%s\n\nYOUR RIGHTS\n%s\n", how_it_works, rights);
    buf_printf(b,
               "\nFIND OUT MORE\nDeployment number: %lld\nHow the public is told: %s\n"
               "Data protection impact assessment: %s\nEquality impact assessment: %s\n"
               "Community impact assessment: %s\n",
               (long long)json_integer_value(json_object_get(fig, "id")),
               json_string_value(json_object_get(rec, "public_notice")),
               json_string_value(json_object_get(rec, "dpia_ref")),
               json_string_value(json_object_get(rec, "equality_ref")),
               json_string_value(json_object_get(rec, "community_ref")));
}

static void para(buf *b, const char *heading, const char *text)
{
    buf_printf(b, "<h2>");
    buf_html(b, heading);
    buf_printf(b, "</h2>\n<p>");
    buf_html(b, text);
    buf_printf(b, "</p>\n");
}

static void html_notice(buf *b, const json_t *fig, const notice *n)
{
    const json_t *rec = json_object_get(fig, "record");
    char sub[200];
    snprintf(sub, sizeof sub, "Deployment %lld \xc2\xb7 %s",
             (long long)json_integer_value(json_object_get(fig, "id")),
             json_string_value(json_object_get(fig, "name")));
    page_begin(b, n->title, "Public notice \xc2\xb7 police use of live facial recognition", sub);
    buf_printf(b, "<section>\n<p class=\"notice\"><strong>");
    buf_html(b, n->when);
    buf_printf(b, "</strong></p>\n<h2>Where</h2>\n<table><thead><tr><th>Location</th>"
                  "<th>Why here</th></tr></thead><tbody>\n");
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
    para(b, "Why", json_string_value(json_object_get(rec, "purpose")));
    buf_printf(b, "<h2>Who we are looking for</h2>\n<p>");
    buf_html(b, json_string_value(json_object_get(rec, "watchlist_categories")));
    buf_printf(b,
               ". The watchlist was drawn up for this deployment alone and holds at most "
               "%lld people, chosen by these criteria: ",
               (long long)json_integer_value(json_object_get(rec, "watchlist_size")));
    buf_html(b, json_string_value(json_object_get(rec, "watchlist_criteria")));
    buf_printf(b, ". Each entry was reviewed by a second officer before the deployment was "
                  "authorised.</p>\n");
    para(b, "What happens to your face", how_it_works);
    para(b, "Your rights", rights);
    buf_printf(b, "<h2>Find out more</h2>\n<table><tbody>\n");
    html_figure_row(b, "id", "Deployment number", json_object_get(fig, "id"));
    static const char *const refs[][2] = {{"public_notice", "How the public is told"},
                                          {"dpia_ref", "Data protection impact assessment"},
                                          {"equality_ref", "Equality impact assessment"},
                                          {"community_ref", "Community impact assessment"}};
    for (int r = 0; r < 4; r++)
        html_figure_row(b, refs[r][0], refs[r][1], json_object_get(rec, refs[r][0]));
    buf_printf(b, "</tbody></table>\n<p class=\"muted\">After the deployment the force publishes "
                  "its record: how many faces were processed, the alerts, and what followed "
                  "them.</p>\n</section>\n");
    page_end(b, "Public notice under the College of Policing authorised professional practice for "
                "live facial recognition (REQUIREMENTS PUB-1).");
}

int lfr_report_notice(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_report_format format, char **out, size_t *len)
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
    make_notice(fig, &n);
    buf b = {0};
    if (format == LFR_REPORT_HTML)
        html_notice(&b, fig, &n);
    else
        text_notice(&b, fig, &n);
    json_decref(fig);
    return buf_take(ctx, &b, out, len);
}
