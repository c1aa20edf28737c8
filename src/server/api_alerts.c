/* server/api_alerts.c - the alert queue (HIL-1), the operator's decision
 * and the engagement officer's outcome (HIL-2), the event stream that
 * brings new alerts without reloading, and the auditor's log views. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A non-negative integer query argument; -1 if malformed, def if absent. */
static int64_t query_int(request *r, const char *name, int64_t def)
{
    const char *v = query_arg(r, name);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 0 || v[0] == '+' || v[0] == '-') return -1;
    return n;
}

enum MHD_Result api_alerts_list(request *r)
{
    int64_t deployment = query_int(r, "deployment", 0), after = query_int(r, "after", 0);
    if (deployment < 0 || after < 0)
        return reply_error(r, 400, "bad_request", "deployment and after are non-negative integers");
    const char *status = query_arg(r, "status");
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_alert_list(r->ctx, r->srv->policy, &r->sess.actor, deployment,
                            status && *status ? status : NULL, after, &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

/* A number from the query; def when absent, NAN when not a number. */
static double query_double(request *r, const char *name, double def)
{
    const char *v = query_arg(r, name);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    return errno || *end ? NAN : d;
}

enum MHD_Result api_alerts_history(request *r)
{
    lfr_alert_query q = {.deployment = query_int(r, "deployment", 0),
                         .camera = query_arg(r, "camera"),
                         .person = query_arg(r, "person"),
                         .status = query_arg(r, "status"),
                         .outcome = query_arg(r, "outcome"),
                         .min_score = query_double(r, "min_score", -1),
                         .max_score = query_double(r, "max_score", 0),
                         .from_ms = query_int(r, "from_ms", 0),
                         .to_ms = query_int(r, "to_ms", 0),
                         .before_id = query_int(r, "before", 0)};
    int64_t limit = query_int(r, "limit", 50);
    if (q.deployment < 0 || q.from_ms < 0 || q.to_ms < 0 || q.before_id < 0 || limit < 0)
        return reply_error(
            r, 400, "bad_request",
            "deployment, from_ms, to_ms, before and limit are non-negative integers");
    if (isnan(q.min_score) || isnan(q.max_score))
        return reply_error(r, 400, "bad_request", "min_score and max_score are numbers");
    if (q.status && !*q.status) q.status = NULL;
    q.limit = limit > 1000 ? 1000 : (int)limit;
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_alert_search(r->ctx, r->srv->policy, &r->sess.actor, &q, &doc);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

enum MHD_Result api_alert_show(request *r)
{
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_alert_show(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &doc);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

static enum MHD_Result alert_image(request *r, int watchlist_photo)
{
    uint8_t *img = NULL;
    size_t len = 0;
    db_lock(r);
    int rc = lfr_alert_image(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], watchlist_photo,
                             &img, &len);
    db_unlock(r);
    return reply_image(r, rc, img, len);
}

enum MHD_Result api_alert_crop(request *r)
{
    return alert_image(r, 0);
}

enum MHD_Result api_alert_photo(request *r)
{
    return alert_image(r, 1);
}

/* Tells every console that an alert changed, so queues stay in step. */
static enum MHD_Result alert_changed(request *r, int rc, const char *status)
{
    if (rc) return reply_rc(r, rc);
    events_publish(r->srv->events, "alert_update",
                   json_pack("{s:I,s:s}", "id", (json_int_t)r->ids[0], "status", status));
    return reply_ok(r);
}

enum MHD_Result api_alert_decision(request *r)
{
    static const body_field spec[] = {{"engage", JSON_TRUE, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    int engage = json_is_true(json_object_get(body, "engage"));
    json_decref(body);
    db_lock(r);
    int rc = lfr_alert_decide(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], engage,
                              server_now_ms());
    db_unlock(r);
    return alert_changed(r, rc, engage ? "engage" : "no_match");
}

enum MHD_Result api_alert_outcome(request *r)
{
    static const body_field spec[] = {{"identity_confirmed", JSON_TRUE, 1},
                                      {"action", JSON_STRING, 1},
                                      {"engagement_seconds", JSON_INTEGER, 1},
                                      {"group", JSON_STRING, 0},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    json_int_t seconds = json_integer_value(json_object_get(body, "engagement_seconds"));
    const char *group = body_str(body, "group");
    db_lock(r);
    int rc = lfr_alert_outcome(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                               json_is_true(json_object_get(body, "identity_confirmed")),
                               body_str(body, "action"),
                               seconds < 0 || seconds > 86400 ? -1 : (int)seconds,
                               group && *group ? group : NULL, server_now_ms());
    db_unlock(r);
    json_decref(body);
    return alert_changed(r, rc, "closed");
}

enum MHD_Result api_events(request *r)
{
    /* The stream carries alerts: for those who act on them. */
    int rc = lfr_actor_need(r->ctx, &r->sess.actor, LFR_ROLE_OPERATOR | LFR_ROLE_ENGAGEMENT,
                            "the event stream");
    if (rc) return reply_rc(r, rc);
    return reply_stream(r, events_response(r->srv->events, r->srv, r->sess.token),
                        "text/event-stream");
}

/* The audit query from the request's arguments; 0 when one is malformed
 * (answered). */
static int audit_query(request *r, lfr_audit_query *q, int64_t limit)
{
    *q = (lfr_audit_query){.before_seq = query_int(r, "before", 0),
                           .user = query_arg(r, "user"),
                           .action = query_arg(r, "action"),
                           .object = query_arg(r, "object"),
                           .from_ms = query_int(r, "from_ms", 0),
                           .to_ms = query_int(r, "to_ms", 0)};
    if (q->before_seq < 0 || q->from_ms < 0 || q->to_ms < 0 || limit < 0) {
        reply_error(r, 400, "bad_request",
                    "before, limit, from_ms and to_ms are non-negative integers");
        return 0;
    }
    q->limit = limit > 1000 ? 1001 : (int)limit;
    return 1;
}

enum MHD_Result api_audit_list(request *r)
{
    lfr_audit_query q;
    if (!audit_query(r, &q, query_int(r, "limit", 100))) return MHD_YES;
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_audit_list(r->ctx, r->srv->policy, &r->sess.actor, &q, &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

static void put_file(void *arg, const char *bytes, size_t n)
{
    fwrite(bytes, 1, n, arg);
}

/* Every record the query selects, a thousand at a time, as CSV (one row a
 * record, details as JSON text) or a JSON array, for auditors to take away
 * (issue 15 item 3). Each page read is audited as an export. */
enum MHD_Result api_audit_export(request *r)
{
    const char *format = query_arg(r, "format");
    int csv = !format || !*format || !strcmp(format, "csv");
    if (!csv && strcmp(format, "json"))
        return reply_error(r, 400, "bad_request", "format is csv or json");
    lfr_audit_query q;
    if (!audit_query(r, &q, 1000)) return MHD_YES;
    q.exporting = 1;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return reply_error(r, 500, "internal", "out of memory");
    int rc = LFR_OK;
    size_t total = 0;
    if (csv)
        fputs("seq,time_ms,time_utc,user,action,object,details\r\n", out);
    else
        fputc('[', out);
    for (;;) {
        json_t *page = NULL;
        db_lock(r);
        rc = lfr_audit_list(r->ctx, r->srv->policy, &r->sess.actor, &q, &page);
        db_unlock(r);
        if (rc) break;
        size_t i;
        json_t *rec;
        json_array_foreach(page, i, rec)
        {
            if (csv) {
                int64_t ms = json_integer_value(json_object_get(rec, "time_ms"));
                time_t t = (time_t)(ms / 1000);
                struct tm tm;
                char when[32] = "";
                if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                char *details = json_dumps(json_object_get(rec, "details"), JSON_COMPACT);
                fprintf(out, "%lld,%lld,%s,",
                        (long long)json_integer_value(json_object_get(rec, "seq")), (long long)ms,
                        when);
                const char *fields[] = {"actor", "action", "object"};
                for (int k = 0; k < 3; k++) {
                    lfr_csv_write(json_string_value(json_object_get(rec, fields[k])), put_file,
                                  out);
                    fputc(',', out);
                }
                lfr_csv_write(details ? details : "{}", put_file, out);
                fputs("\r\n", out);
                free(details);
            } else {
                if (total + i) fputc(',', out);
                json_dumpf(rec, out, JSON_COMPACT);
            }
            q.before_seq = json_integer_value(json_object_get(rec, "seq"));
        }
        size_t n = json_array_size(page);
        total += n;
        json_decref(page);
        if ((int)n < q.limit || total >= 200000) break;
    }
    if (!csv) fputs("]\n", out);
    fclose(out);
    if (rc) {
        free(text);
        return reply_rc(r, rc);
    }
    return reply_download(r, text, len, csv ? "text/csv; charset=utf-8" : "application/json",
                          csv ? "audit-log.csv" : "audit-log.json");
}

/* Subject access (WL-8): every watchlist the person was on, for the data
 * protection officer (an auditor). */
enum MHD_Result api_sar(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc =
        lfr_sar_lookup(r->ctx, r->srv->policy, &r->sess.actor, query_arg(r, "person_ref"), &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

enum MHD_Result api_audit_verify(request *r)
{
    lfr_audit_report rep;
    db_lock(r);
    int rc = lfr_audit_check(r->ctx, r->srv->policy, &r->sess.actor, &rep);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    return reply_json(r, 200,
                      json_pack("{s:b,s:I,s:I,s:s}", "ok", rep.first_bad_seq == 0, "records",
                                (json_int_t)rep.records, "first_bad", (json_int_t)rep.first_bad_seq,
                                "problem", rep.problem));
}
