/* server/api_reports.c - the documents of REQUIREMENTS section 5 over HTTP
 * (lfr/report.h decides who may have which), and the oversight data. */
#include "internal.h"

#include <string.h>

#include "lfr/report.h"

typedef int (*document_fn)(lfr_ctx *, lfr_policy *, const lfr_actor *, int64_t, lfr_lang,
                           lfr_report_format, char **, size_t *);

static int format_of(request *r, const char *def, lfr_report_format *f)
{
    const char *name = query_arg(r, "format");
    return lfr_report_format_parse(name && *name ? name : def, f);
}

#define BAD_LANG "lang is en (English, the default) or cy (Welsh)"

static enum MHD_Result reply_document(request *r, int rc, lfr_report_format f, char *doc,
                                      size_t len)
{
    if (rc) return reply_rc(r, rc);
    enum MHD_Result ret = reply_bytes(r, 200, lfr_report_content_type(f), doc, len);
    lfr_free(doc);
    return ret;
}

static enum MHD_Result deployment_document(request *r, document_fn fn, const char *def)
{
    lfr_report_format f;
    lfr_lang lang;
    if (format_of(r, def, &f))
        return reply_error(r, 400, "bad_request", "format is html, text, csv or json");
    if (lfr_lang_parse(query_arg(r, "lang"), &lang))
        return reply_error(r, 400, "bad_request", BAD_LANG);
    char *doc = NULL;
    size_t len = 0;
    db_lock(r);
    int rc = fn(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], lang, f, &doc, &len);
    db_unlock(r);
    return reply_document(r, rc, f, doc, len);
}

enum MHD_Result api_report_notice(request *r)
{
    return deployment_document(r, lfr_report_notice, "html");
}

enum MHD_Result api_report_review(request *r)
{
    return deployment_document(r, lfr_report_review, "html");
}

enum MHD_Result api_report_record(request *r)
{
    return deployment_document(r, lfr_report_record, "html");
}

/* YYYY-MM-DD as Unix ms at 00:00 UTC; -1 if malformed. */
static int64_t day_ms(const char *s)
{
    char buf[32];
    if (!s || strlen(s) != 10) return -1;
    snprintf(buf, sizeof buf, "%sT00:00Z", s);
    return lfr_parse_time_utc(buf);
}

enum MHD_Result api_report_summary(request *r)
{
    lfr_report_format f;
    lfr_lang lang;
    int64_t from = day_ms(query_arg(r, "from")), to = day_ms(query_arg(r, "to"));
    if (format_of(r, "html", &f))
        return reply_error(r, 400, "bad_request", "format is html, csv or json");
    if (lfr_lang_parse(query_arg(r, "lang"), &lang))
        return reply_error(r, 400, "bad_request", BAD_LANG);
    if (from < 0 || to < 0 || to <= from)
        return reply_error(r, 400, "bad_request",
                           "from and to are dates YYYY-MM-DD, from before to");
    char *doc = NULL;
    size_t len = 0;
    db_lock(r);
    int rc =
        lfr_report_summary(r->ctx, r->srv->policy, &r->sess.actor, from, to, lang, f, &doc, &len);
    db_unlock(r);
    return reply_document(r, rc, f, doc, len);
}

enum MHD_Result api_oversight(request *r)
{
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_report_oversight(r->ctx, r->srv->policy, &r->sess.actor, &doc);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}
