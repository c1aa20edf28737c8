/* policy/alert_views.c - what operators and engagement officers see of an
 * alert (HIL-1): the match, its watchlist entry's category and reason, the
 * age of the photo, and the two faces side by side. Every look at a face is
 * audited (SEC-2); administrators and oversight never get one (SEC-1,
 * PUB-5). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define FACE_ROLES (LFR_ROLE_OPERATOR | LFR_ROLE_ENGAGEMENT)

static const char alert_columns[] =
    "SELECT a.id, a.deployment_id, a.camera, a.time_ms, a.track_id, a.score, a.status, "
    "w.id, w.person_ref, w.category, w.reason, w.photo_date, a.crop IS NOT NULL, a.quality, "
    "o.identity_confirmed, o.action, o.engagement_seconds, coalesce(o.recorded_group,''), "
    "d.name, h.id, (SELECT name FROM users WHERE id = h.held_by), h.held_ms, h.until_ms, "
    "h.reason, h.reference FROM alerts a JOIN watchlist_entries w ON w.id = a.entry_id JOIN "
    "deployments d ON d.id = a.deployment_id LEFT JOIN outcomes o ON o.alert_id = a.id "
    "LEFT JOIN evidence_holds h ON h.alert_id = a.id AND h.released_ms IS NULL ";

static json_t *alert_row(lfr_stmt *st)
{
    json_error_t err;
    json_t *quality = json_loads(lfr_stmt_text(st, 13), 0, &err);
    json_t *row = json_pack(
        "{s:I,s:I,s:s,s:s,s:I,s:i,s:f,s:s,s:{s:I,s:s,s:s,s:s,s:s},s:b,s:o}", "id",
        (json_int_t)lfr_stmt_int64(st, 0), "deployment", (json_int_t)lfr_stmt_int64(st, 1),
        "deployment_name", lfr_stmt_text(st, 18), "camera", lfr_stmt_text(st, 2), "time_ms",
        (json_int_t)lfr_stmt_int64(st, 3), "track", (int)lfr_stmt_int64(st, 4), "score",
        lfr_stmt_double(st, 5), "status", lfr_stmt_text(st, 6), "entry", "id",
        (json_int_t)lfr_stmt_int64(st, 7), "person_ref", lfr_stmt_text(st, 8), "category",
        lfr_stmt_text(st, 9), "reason", lfr_stmt_text(st, 10), "photo_date", lfr_stmt_text(st, 11),
        "has_crop", (int)lfr_stmt_int64(st, 12), "quality", quality ? quality : json_object());
    if (row && !lfr_stmt_is_null(st, 15))
        json_object_set_new(row, "outcome",
                            json_pack("{s:b,s:s,s:I,s:s}", "identity_confirmed",
                                      (int)lfr_stmt_int64(st, 14), "action", lfr_stmt_text(st, 15),
                                      "engagement_seconds", (json_int_t)lfr_stmt_int64(st, 16),
                                      "group", lfr_stmt_text(st, 17)));
    /* Held as evidence (issue 15 item 3): by whom, why, until when. */
    if (row && !lfr_stmt_is_null(st, 19))
        json_object_set_new(row, "hold",
                            json_pack("{s:s,s:I,s:I,s:s,s:s}", "held_by", lfr_stmt_text(st, 20),
                                      "held_ms", (json_int_t)lfr_stmt_int64(st, 21), "until_ms",
                                      (json_int_t)lfr_stmt_int64(st, 22), "reason",
                                      lfr_stmt_text(st, 23), "reference", lfr_stmt_text(st, 24)));
    return row;
}

static int valid_status(const char *s)
{
    return !s || !strcmp(s, "open") || !strcmp(s, "engage") || !strcmp(s, "no_match") ||
           !strcmp(s, "closed");
}

int lfr_alert_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   const char *status, int64_t after_id, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, FACE_ROLES | LFR_ROLE_AUDITOR, "listing alerts");
    if (rc) return rc;
    if (!valid_status(status))
        return lfr_fail(ctx, LFR_EINVAL, "alerts: status is open, engage, no_match or closed");
    char sql[sizeof alert_columns + 256];
    snprintf(sql, sizeof sql,
             "%sWHERE (?1 = 0 OR a.deployment_id = ?1) AND (?2 IS NULL OR a.status = ?2) AND "
             "a.id > ?3 ORDER BY a.id LIMIT 500",
             alert_columns);
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s, sql, &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 2, status)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 3, after_id))) {
        lfr_stmt_free(st);
        return rc;
    }
    json_t *arr = json_array();
    while ((rc = lfr_stmt_step(ctx, st)) == 1)
        json_array_append_new(arr, alert_row(st));
    lfr_stmt_free(st);
    if (rc >= 0) rc = audit_listing(ctx, p, actor, "alert.list", deployment, "deployment", arr);
    if (rc < 0 || rc > 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_alert_search(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const lfr_alert_query *q,
                     json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, FACE_ROLES | LFR_ROLE_AUDITOR, "searching alerts");
    if (rc) return rc;
    if (!valid_status(q->status))
        return lfr_fail(ctx, LFR_EINVAL, "alerts: status is open, engage, no_match or closed");
    int limit = q->limit ? q->limit : 50;
    if (limit < 1 || limit > 200) return lfr_fail(ctx, LFR_EINVAL, "alerts: limit is 1 to 200");
    /* One statement for every search: a filter left open binds NULL. */
    char sql[sizeof alert_columns + 640];
    snprintf(sql, sizeof sql,
             "%sWHERE (?1 = 0 OR a.deployment_id = ?1) AND (?2 IS NULL OR a.camera = ?2) AND "
             "(?3 IS NULL OR instr(lower(w.person_ref), lower(?3)) > 0) AND "
             "(?4 IS NULL OR a.status = ?4) AND (?5 IS NULL OR o.action = ?5) AND "
             "a.score >= ?6 AND (?7 = 0 OR a.score <= ?7) AND a.time_ms >= ?8 AND "
             "(?9 = 0 OR a.time_ms < ?9) AND (?10 = 0 OR a.id < ?10) ORDER BY a.id DESC LIMIT ?11",
             alert_columns);
    lfr_stmt *st = NULL;
    const char *person = q->person && *q->person ? q->person : NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s, sql, &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, q->deployment)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 2, q->camera && *q->camera ? q->camera : NULL)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 3, person)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 4, q->status)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 5, q->outcome && *q->outcome ? q->outcome : NULL)) ||
        (rc = lfr_stmt_bind_double(ctx, st, 6, q->min_score > -1 ? q->min_score : -1)) ||
        (rc = lfr_stmt_bind_double(ctx, st, 7, q->max_score)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 8, q->from_ms)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 9, q->to_ms)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 10, q->before_id)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 11, limit + 1))) {
        lfr_stmt_free(st);
        return rc;
    }
    json_t *arr = json_array();
    int more = 0;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        if ((int)json_array_size(arr) == limit) {
            more = 1;
            break;
        }
        json_array_append_new(arr, alert_row(st));
    }
    lfr_stmt_free(st);
    if (rc >= 0)
        rc = audit_listing(ctx, p, actor, "alert.search", q->deployment, "deployment", arr);
    if (rc < 0 || rc > 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o,s:b}", "alerts", arr, "more", more);
    return *out ? LFR_OK : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
}

int policy_alert_json(lfr_ctx *ctx, lfr_policy *p, int64_t alert, json_t **out)
{
    *out = NULL;
    char sql[sizeof alert_columns + 32];
    snprintf(sql, sizeof sql, "%sWHERE a.id = ?", alert_columns);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, alert))) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no alert %lld", (long long)alert);
    if (rc == 1) {
        *out = alert_row(st);
        rc = *out ? LFR_OK : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    lfr_stmt_free(st);
    return rc;
}

int lfr_alert_show(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, FACE_ROLES | LFR_ROLE_AUDITOR, "viewing an alert");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    json_t *row = NULL;
    rc = policy_alert_json(ctx, p, alert, &row);
    if (!rc) rc = audit(ctx, p, actor, "alert.view", alert, "alert", NULL);
    rc = finish(ctx, p, rc);
    if (rc)
        json_decref(row);
    else
        *out = row;
    return rc;
}

/* Opens one sealed image selected by sql: one row of the blob, the row it
 * is bound to and its place ("table.column"), the object's id as its only
 * parameter. Inside the caller's transaction. */
static int read_sealed(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id, const char *kind,
                       uint8_t **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, id))) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no %s %lld", kind, (long long)id);
    if (rc == 1) {
        size_t n = 0;
        const uint8_t *box = lfr_stmt_blob(st, 0, &n);
        rc = box ? policy_open_alloc(ctx, p, lfr_stmt_text(st, 2), lfr_stmt_int64(st, 1), box, n,
                                     jpeg, len)
                 : lfr_fail(ctx, LFR_ENOENT,
                            "%s %lld: the image was deleted (retention or end of "
                            "deployment)",
                            kind, (long long)id);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* An alert's watchlist photo is the entry's while the watchlist lasts,
 * then the copy its evidence hold keeps (if held). */
static const char alert_crop_sql[] = "SELECT crop, id, 'alerts.crop' FROM alerts WHERE id = ?";
static const char alert_photo_sql[] =
    "SELECT coalesce(w.photo, h.photo), CASE WHEN w.photo IS NULL THEN h.id ELSE w.id END, "
    "CASE WHEN w.photo IS NULL THEN 'evidence_holds.photo' ELSE 'watchlist_entries.photo' END "
    "FROM alerts a JOIN watchlist_entries w ON w.id = a.entry_id LEFT JOIN evidence_holds h ON "
    "h.alert_id = a.id AND h.released_ms IS NULL WHERE a.id = ?";

int policy_alert_image(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int watchlist_photo,
                       uint8_t **jpeg, size_t *len)
{
    return read_sealed(ctx, p, watchlist_photo ? alert_photo_sql : alert_crop_sql, alert, "alert",
                       jpeg, len);
}

/* read_sealed in a transaction of its own, auditing the view. */
static int open_image(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *sql,
                      int64_t id, const char *action, const char *kind, uint8_t **jpeg, size_t *len)
{
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    rc = read_sealed(ctx, p, sql, id, kind, jpeg, len);
    if (!rc) rc = audit(ctx, p, actor, action, id, kind, NULL);
    rc = finish(ctx, p, rc);
    if (rc && *jpeg) {
        lfr_locked_free(*jpeg);
        *jpeg = NULL;
        *len = 0;
    }
    return rc;
}

int lfr_alert_image(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                    int watchlist_photo, uint8_t **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    int rc = lfr_actor_need(ctx, actor, FACE_ROLES, "seeing an alert's faces");
    if (rc) return rc;
    return open_image(ctx, p, actor, watchlist_photo ? alert_photo_sql : alert_crop_sql, alert,
                      watchlist_photo ? "alert.view_photo" : "alert.view_crop", "alert", jpeg, len);
}

int lfr_watchlist_photo(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                        uint8_t **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_REVIEWER | LFR_ROLE_AUTHORISER,
                       "seeing a watchlist photo");
    if (rc) return rc;
    return open_image(ctx, p, actor,
                      "SELECT photo, id, 'watchlist_entries.photo' FROM watchlist_entries WHERE "
                      "id = ?",
                      entry, "watchlist.view_photo", "watchlist_entry", jpeg, len);
}
