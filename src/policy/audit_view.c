/* policy/audit_view.c - the audit log as the auditor's console shows it
 * (SEC-2): pages of records, newest first, each look itself audited. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

int lfr_audit_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const lfr_audit_query *q,
                   json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUDITOR, "reading the audit log");
    if (rc) return rc;
    if (q->limit < 1 || q->limit > 1000)
        return lfr_fail(ctx, LFR_EINVAL, "audit: limit is 1 to 1000");
    const char *user = q->user && *q->user ? q->user : NULL;
    const char *action = q->action && *q->action ? q->action : NULL;
    const char *object = q->object && *q->object ? q->object : NULL;
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    json_t *arr = json_array();
    /* One statement for every query: a filter left open binds NULL. An
     * action ending in '.' is a prefix; an object without '/' a kind. */
    if (!(rc = lfr_stmt_prepare(
              ctx, p->s,
              "SELECT seq, time_ms, actor, action, object, details FROM audit_log "
              "WHERE (?1 <= 0 OR seq < ?1) AND (?3 IS NULL OR actor = ?3) AND "
              "(?4 IS NULL OR action = ?4 OR (substr(?4, length(?4)) = '.' AND "
              "substr(action, 1, length(?4)) = ?4)) AND "
              "(?5 IS NULL OR object = ?5 OR substr(object, 1, length(?5) + 1) = ?5 || '/') AND "
              "time_ms >= ?6 AND (?7 <= 0 OR time_ms < ?7) ORDER BY seq DESC LIMIT ?2",
              &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, q->before_seq)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, q->limit)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, user)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 4, action)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 5, object)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 6, q->from_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 7, q->to_ms)))
        while ((rc = lfr_stmt_step(ctx, st)) == 1) {
            json_error_t err;
            json_t *details = json_loads(lfr_stmt_text(st, 5), 0, &err);
            json_array_append_new(
                arr,
                json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "seq", (json_int_t)lfr_stmt_int64(st, 0),
                          "time_ms", (json_int_t)lfr_stmt_int64(st, 1), "actor",
                          lfr_stmt_text(st, 2), "action", lfr_stmt_text(st, 3), "object",
                          lfr_stmt_text(st, 4), "details", details ? details : json_object()));
        }
    lfr_stmt_free(st);
    if (rc >= 0) {
        json_t *asked =
            json_pack("{s:I,s:i,s:I,s:I}", "before", (json_int_t)q->before_seq, "limit", q->limit,
                      "from_ms", (json_int_t)q->from_ms, "to_ms", (json_int_t)q->to_ms);
        if (asked && user) json_object_set_new(asked, "user", json_string(user));
        if (asked && action) json_object_set_new(asked, "action", json_string(action));
        if (asked && object) json_object_set_new(asked, "object", json_string(object));
        rc = audit(ctx, p, actor, q->exporting ? "audit.export" : "audit.view",
                   q->before_seq > 0 ? q->before_seq : 0, "audit_log", asked);
    }
    rc = finish(ctx, p, rc < 0 ? rc : LFR_OK);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

int lfr_audit_check(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, lfr_audit_report *report)
{
    memset(report, 0, sizeof *report);
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUDITOR, "verifying the audit log");
    if (rc || (rc = policy_verify_log(ctx, p, report))) return rc;
    if (!report->first_bad_seq && p->anchor_problem[0]) {
        report->first_bad_seq = report->records + 1;
        snprintf(report->problem, sizeof report->problem, "the log's anchor: %.200s",
                 p->anchor_problem);
    }
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    rc = audit(ctx, p, actor, "audit.verify", 0, "audit_log",
               json_pack("{s:I,s:I}", "records", (json_int_t)report->records, "first_bad",
                         (json_int_t)report->first_bad_seq));
    return finish(ctx, p, rc);
}

int lfr_audit_export_as(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, FILE *out)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUDITOR, "exporting the audit log");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    /* The export is on the record before it is made. */
    rc = audit(ctx, p, actor, "audit.export", 0, "audit_log", NULL);
    if ((rc = finish(ctx, p, rc))) return rc;
    return lfr_audit_export(ctx, p->s, out);
}
