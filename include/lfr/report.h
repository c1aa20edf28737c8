/* lfr/report.h - the documents of REQUIREMENTS section 5: the public
 * notice (PUB-1), the post-deployment review (PUB-2), the published
 * deployment record (PUB-3), the yearly summary with equality monitoring
 * (PUB-4, PUB-6) and the oversight data (PUB-5).
 *
 * Every document is made from the policy's figures (lfr_deployment_figures,
 * lfr_figures_period): aggregates of anonymous alert facts and pipeline
 * counts, never a face and never a watchlist identity. Each call checks the
 * role of the acting user (LFR_EPERM) and is audited as an export.
 *
 * Who gets what:
 *   notice, record, summary  anyone with a login (public documents); counts
 *                            of 1-4 are published as "<5", and a second cell
 *                            of the same table as "[c]" when the first could
 *                            be worked out from the total
 *   review                   authorising officers, auditors, oversight
 *                            (exact counts: it is not published)
 *   oversight                oversight and auditors (exact aggregates)
 *
 * Threads: as the policy: one thread at a time per policy.
 */
#ifndef LFR_REPORT_H
#define LFR_REPORT_H

#include <jansson.h>

#include "lfr/policy.h"

typedef enum lfr_report_format {
    LFR_REPORT_HTML,
    LFR_REPORT_TEXT,
    LFR_REPORT_CSV,
    LFR_REPORT_JSON,
} lfr_report_format;

/* The languages of the public documents (issue 15 item 5): the words come
 * from the catalogues the console uses, web/lang/en.json and cy.json,
 * embedded at build time. */
typedef enum lfr_lang {
    LFR_LANG_EN,
    LFR_LANG_CY, /* Cymraeg */
} lfr_lang;
/* "en" (or NULL or "") and "cy" into *out; -1 for another name. */
int lfr_lang_parse(const char *name, lfr_lang *out);
/* Checks the catalogues: both parse, every key of each is in the other
 * with a non-empty text and the same {placeholders}. LFR_EFORMAT naming the
 * first key that is not, else LFR_OK and the number of keys. */
int lfr_lang_check(lfr_ctx *ctx, int64_t *n_keys);

/* "html", "text", "csv", "json" into *out; -1 for another name. */
int lfr_report_format_parse(const char *name, lfr_report_format *out);
/* The HTTP Content-Type of a format ("text/html; charset=utf-8", ...). */
const char *lfr_report_content_type(lfr_report_format f);

/* Each document call fills *out with the document (NUL-terminated, *len
 * bytes without the NUL; owned: free with lfr_free) in lang: its words,
 * dates and <html lang> in HTML and text, while CSV and JSON keep the same
 * English keys and machine values in every language. Officers' own text
 * (purpose, locations, names) stays as they typed it. Or leaves *out NULL
 * and returns an error: LFR_EPERM for a role that may not have it, LFR_EINVAL
 * for a format the document does not come in, LFR_EREFUSED for a
 * deployment not at that stage (the message says which), LFR_ENOENT for no
 * such deployment. */

/* PUB-1, html or text: where, when, why, who is looked for, what happens
 * to faces, how to find out more and exercise data rights. Needs an
 * authorised deployment; refused (LFR_EREFUSED) when the critical threat
 * exemption was recorded, which its record shows instead. */
int lfr_report_notice(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len);
/* PUB-2, html or json: planned against actual, faces processed, alerts by
 * decision and outcome, false alerts per 1,000 faces, expected (DEP-7)
 * against observed false alerts, engagement durations, points for the
 * review (sentences in lang, in the JSON too), and the sign-off state
 * (lfr_deployment_review signs it off). Once the deployment is over. */
int lfr_report_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len);
/* PUB-3, html, csv (field,value) or json: the published record of a
 * deployment that is over, small counts suppressed. */
int lfr_report_record(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      lfr_lang lang, lfr_report_format format, char **out, size_t *len);
/* PUB-4 and PUB-6, html, csv (table,row,field,value) or json: every
 * deployment that went live in [from_ms, to_ms) and is over, the totals,
 * false alert rates per 1,000 faces and per alert, and true and false
 * alerts by officer-recorded group, with Wilson 95% intervals; the HTML
 * carries SVG charts. Small counts suppressed. */
int lfr_report_summary(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t from_ms,
                       int64_t to_ms, lfr_lang lang, lfr_report_format format, char **out,
                       size_t *len);
/* PUB-5 as JSON (owned): deployments by state, totals and one row of exact
 * counts per deployment, the equality figures, and the audit log in
 * aggregate. Never a face, a person or an officer's name. */
int lfr_report_oversight(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out);

#endif
