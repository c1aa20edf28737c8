/* policy/alerts.c - alerts, the human decision on each (HIL-2), and the
 * retention that deletes them (PRI-3). */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define RETENTION_BATCH 512

static const char *actions[] = {"arrest",          "other_action",      "safeguarding",
                                "words_of_advice", "no_further_action", "person_not_found"};

int lfr_alert_record_new(lfr_ctx *ctx, lfr_policy *p, const lfr_alert_record *a, int64_t *id)
{
    *id = 0;
    if (!a->camera || !*a->camera || strlen(a->camera) > 63 || !(a->score >= -1 && a->score <= 1))
        return lfr_fail(ctx, LFR_EINVAL, "alert: camera id or score out of range");
    if (!p->have_key)
        return lfr_fail(ctx, LFR_EREFUSED, "alert: no key to store the crop encrypted");
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    /* Only a live deployment alerts (DEP-1, DEP-5). */
    if ((rc = lfr_deployment_may_process(ctx, p, a->deployment, a->time_ms)))
        return finish(ctx, p, rc);
    uint8_t *box = NULL;
    size_t box_len = 0;
    lfr_stmt *st = NULL;
    rc = lfr_stmt_prepare(ctx, p->s,
                          "INSERT INTO alerts (deployment_id, entry_id, camera, time_ms, "
                          "track_id, score, quality, origin) SELECT ?,?,?,?,?,?,?,? WHERE EXISTS "
                          "(SELECT 1 FROM watchlist_entries WHERE id = ? AND deployment_id = ? "
                          "AND destroyed_ms IS NULL)",
                          &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, a->deployment)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, a->entry)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, a->camera)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, a->time_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 5, a->track_id)) &&
        !(rc = lfr_stmt_bind_double(ctx, st, 6, a->score)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 7, a->quality_json ? a->quality_json : "{}")) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 8, a->origin)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 9, a->entry)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 10, a->deployment)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_EREFUSED, "alert: entry %lld is not on deployment %lld's watchlist",
                      (long long)a->entry, (long long)a->deployment);
    lfr_stmt_free(st);
    st = NULL;
    if (!rc) *id = lfr_store_last_id(p->s);
    /* The crop, sealed bound to its alert once the row exists. */
    if (!rc && a->crop_jpeg && a->crop_len &&
        !(rc =
              policy_seal(ctx, p, "alerts.crop", *id, a->crop_jpeg, a->crop_len, &box, &box_len)) &&
        !(rc = lfr_stmt_prepare(ctx, p->s, "UPDATE alerts SET crop = ? WHERE id = ?", &st)) &&
        !(rc = lfr_stmt_bind_blob(ctx, st, 1, box, box_len)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, *id)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    if (!rc) {
        /* No entry: the alert's row names it while the alert is kept; the
         * audit log, kept for ever, must not once it is deleted (PRI-3). */
        json_t *details = json_pack("{s:I,s:s,s:f}", "deployment", (json_int_t)a->deployment,
                                    "camera", a->camera, "score", a->score);
        /* An alert that waited for the store says so. */
        if (a->waited_ms > 0) json_object_set_new(details, "waited_ms", json_integer(a->waited_ms));
        rc = audit(ctx, p, NULL, "alert.create", *id, "alert", details);
    }
    lfr_stmt_free(st);
    lfr_free(box);
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

int lfr_alerts_lost(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int n, const char *why)
{
    if (n <= 0 || !why || !*why) return lfr_fail(ctx, LFR_EINVAL, "alerts lost: nothing to record");
    int rc = lfr_store_begin(ctx, p->s);
    if (!rc)
        rc = audit(ctx, p, NULL, "alert.lost", deployment, "deployment",
                   json_pack("{s:i,s:s}", "alerts", n, "reason", why));
    return finish(ctx, p, rc);
}

static int alert_status(lfr_ctx *ctx, lfr_policy *p, int64_t alert, char *status, size_t len)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, "SELECT status FROM alerts WHERE id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, alert);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no alert %lld", (long long)alert);
    if (rc == 1) {
        snprintf(status, len, "%s", lfr_stmt_text(st, 0));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

static int set_status(lfr_ctx *ctx, lfr_policy *p, int64_t alert, const char *status,
                      const lfr_actor *actor, int64_t now_ms)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "UPDATE alerts SET status = ?, decided_by = coalesce(decided_by, ?), "
                              "decided_ms = coalesce(decided_ms, ?) WHERE id = ?",
                              &st);
    if (!rc && !(rc = lfr_stmt_bind_text(ctx, st, 1, status)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, now_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, alert)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int lfr_alert_decide(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert, int engage,
                     int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR, "deciding on an alert");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    char status[16];
    if (!(rc = alert_status(ctx, p, alert, status, sizeof status)) && strcmp(status, "open"))
        rc = lfr_fail(ctx, LFR_EREFUSED, "alert %lld is already %s", (long long)alert, status);
    if (!rc) rc = set_status(ctx, p, alert, engage ? "engage" : "no_match", actor, now_ms);
    if (!rc)
        rc = audit(ctx, p, actor, engage ? "alert.engage" : "alert.no_match", alert, "alert", NULL);
    return finish(ctx, p, rc);
}

int lfr_alert_outcome(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                      int identity_confirmed, const char *action, int engagement_seconds,
                      const char *group, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ENGAGEMENT, "recording an outcome");
    if (rc) return rc;
    int known = 0;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        known |= action && !strcmp(action, actions[i]);
    if (!known)
        return lfr_fail(ctx, LFR_EINVAL,
                        "outcome: action must be arrest, other_action, safeguarding, "
                        "words_of_advice, no_further_action or person_not_found (HIL-2)");
    if (engagement_seconds < 0 || engagement_seconds > 24 * 3600)
        return lfr_fail(ctx, LFR_EINVAL, "outcome: engagement time out of range");
    if (group && (strlen(group) > 40 || !*group))
        return lfr_fail(ctx, LFR_EINVAL, "outcome: group too long");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    char status[16];
    if (!(rc = alert_status(ctx, p, alert, status, sizeof status)) && strcmp(status, "engage"))
        rc =
            lfr_fail(ctx, LFR_EREFUSED, "alert %lld is %s: an outcome follows a decision to engage",
                     (long long)alert, status);
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO outcomes (alert_id, recorded_by, recorded_ms, "
                                "identity_confirmed, action, engagement_seconds, recorded_group) "
                                "VALUES (?,?,?,?,?,?,?)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, alert)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, now_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, identity_confirmed != 0)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 5, action)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 6, engagement_seconds)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 7, group)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc) rc = set_status(ctx, p, alert, "closed", actor, now_ms);
    if (!rc)
        rc = audit(ctx, p, actor, "alert.outcome", alert, "alert",
                   json_pack("{s:b,s:s,s:i}", "identity_confirmed", identity_confirmed, "action",
                             action, "engagement_seconds", engagement_seconds));
    return finish(ctx, p, rc);
}

/* One batch of retention, in one transaction. */
/* PRI-3: once an alert is deleted, its row of the published figures keeps
 * only what they count (its decision, outcome, engagement time and the
 * recorded group), under a new random key, so that nothing joins it to the
 * alert's audit records, its camera, its time, its score or its entry. */
static int anonymise_fact(lfr_ctx *ctx, lfr_policy *p, int64_t alert)
{
    int rc = LFR_OK;
    /* A key already taken leaves the row as it is (checked in the statement:
     * a failed one would end a PostgreSQL transaction): draw again. */
    for (int attempt = 0; attempt < 4 && !rc; attempt++) {
        uint64_t r = 0;
        randombytes_buf(&r, sizeof r);
        int64_t key = -1 - (int64_t)(r >> 2); /* negative: never an alert's id */
        lfr_stmt *st = NULL;
        if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                    "UPDATE alert_facts SET alert_id = ?1, camera = '', time_ms = "
                                    "0, score = 0, category = '' WHERE alert_id = ?2 AND NOT "
                                    "EXISTS (SELECT 1 FROM alert_facts WHERE alert_id = ?1)",
                                    &st)) &&
            !(rc = lfr_stmt_bind_int64(ctx, st, 1, key)) &&
            !(rc = lfr_stmt_bind_int64(ctx, st, 2, alert)))
            rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
        lfr_stmt_free(st);
        if (!rc && lfr_store_changes(p->s) == 1) break;
    }
    return rc;
}

static int retention_batch(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int retention_days,
                           int *n_alerts_deleted)
{
    *n_alerts_deleted = 0;
    if (retention_days < 1 || retention_days > 31)
        return lfr_fail(ctx, LFR_EINVAL, "retention must be 1 to 31 days (PRI-3)");
    int64_t cutoff = now_ms - (int64_t)retention_days * DAY_MS;
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    /* Each deleted alert is audited by id before it goes. */
    lfr_stmt *st = NULL;
    int64_t ids[RETENTION_BATCH];
    int n = 0;
    /* Holds past their date end first; a held alert is passed by. */
    if (!(rc = evidence_lapse(ctx, p, now_ms)) &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "SELECT id FROM alerts WHERE time_ms < ? AND id NOT IN (SELECT "
                                "alert_id FROM evidence_holds WHERE released_ms IS NULL) LIMIT ?",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, cutoff)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, RETENTION_BATCH)))
        while ((rc = lfr_stmt_step(ctx, st)) == 1)
            ids[n++] = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return finish(ctx, p, rc);
    rc = LFR_OK;
    for (int i = 0; i < n && !rc; i++) {
        if (!(rc = lfr_stmt_prepare(ctx, p->s, "DELETE FROM alerts WHERE id = ?", &st)) &&
            !(rc = lfr_stmt_bind_int64(ctx, st, 1, ids[i])))
            rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
        lfr_stmt_free(st);
        st = NULL;
        if (!rc) rc = anonymise_fact(ctx, p, ids[i]);
        if (!rc)
            rc = audit(ctx, p, NULL, "alert.delete", ids[i], "alert",
                       json_pack("{s:s,s:i}", "reason", "retention period over (PRI-3)", "days",
                                 retention_days));
    }
    /* Watchlists of ended deployments, should any remain (WL-8). */
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "SELECT DISTINCT w.deployment_id FROM watchlist_entries w JOIN "
                                "deployments d ON d.id = w.deployment_id WHERE w.destroyed_ms IS "
                                "NULL AND d.state IN ('ended','reviewed','cancelled')",
                                &st))) {
        int64_t deps[256];
        int nd = 0;
        while (nd < 256 && (rc = lfr_stmt_step(ctx, st)) == 1)
            deps[nd++] = lfr_stmt_int64(st, 0);
        lfr_stmt_free(st);
        rc = rc < 0 ? rc : LFR_OK;
        for (int i = 0; i < nd && !rc; i++)
            rc = watchlist_destroy(ctx, p, deps[i], now_ms);
    }
    if (!rc) *n_alerts_deleted = n;
    rc = finish(ctx, p, rc);
    if (rc) *n_alerts_deleted = 0;
    return rc;
}

int lfr_policy_retention(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int retention_days,
                         int *n_alerts_deleted)
{
    /* Batches until none is full: nothing waits past its time for
     * the next run (PRI-3). */
    *n_alerts_deleted = 0;
    int n = 0, rc;
    do {
        rc = retention_batch(ctx, p, now_ms, retention_days, &n);
        if (!rc) *n_alerts_deleted += n;
    } while (!rc && n == RETENTION_BATCH);
    if (!rc) rc = lfr_store_reclaim(ctx, p->s); /* and of watchlists destroyed since */
    return rc;
}

int policy_exec(lfr_ctx *ctx, lfr_store *s, const char *sql, const int64_t *nums, int n_nums,
                const char *const *texts, int n_texts)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, s, sql, &st);
    for (int i = 0; !rc && i < n_nums; i++)
        rc = lfr_stmt_bind_int64(ctx, st, i + 1, nums[i]);
    for (int i = 0; !rc && i < n_texts; i++)
        rc = lfr_stmt_bind_text(ctx, st, n_nums + i + 1, texts[i]);
    if (!rc) rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int64_t policy_count(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id)
{
    lfr_stmt *st = NULL;
    int64_t v = -1;
    if (!lfr_stmt_prepare(ctx, p->s, sql, &st) && !lfr_stmt_bind_int64(ctx, st, 1, id) &&
        lfr_stmt_step(ctx, st) == 1)
        v = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return v;
}

/* Rows of (label, count) from a grouped query, as a JSON object. */
static json_t *counts_by(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id)
{
    json_t *obj = json_object();
    lfr_stmt *st = NULL;
    if (!lfr_stmt_prepare(ctx, p->s, sql, &st) && !lfr_stmt_bind_int64(ctx, st, 1, id))
        while (lfr_stmt_step(ctx, st) == 1)
            json_object_set_new(obj, lfr_stmt_text(st, 0), json_integer(lfr_stmt_int64(st, 1)));
    lfr_stmt_free(st);
    return obj;
}

int lfr_deployment_report(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER | LFR_ROLE_AUDITOR | LFR_ROLE_OVERSIGHT,
                            "a closing report");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    json_t *doc = NULL;
    if ((rc = lfr_stmt_prepare(
             ctx, p->s,
             "SELECT name, state, fields, coalesce(started_ms,0), coalesce(ended_ms,0), "
             "coalesce(end_reason,''), urgent, coalesce(frozen_hash,'') FROM "
             "deployments WHERE id = ?",
             &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, id)))
        goto done;
    rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)id);
    if (rc < 0) goto done;
    const char *state = lfr_stmt_text(st, 1);
    if (strcmp(state, "ended") && strcmp(state, "reviewed") && strcmp(state, "cancelled")) {
        rc =
            lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: the closing report follows its end",
                     (long long)id, state);
        goto done;
    }
    json_error_t err;
    json_t *fields = json_loads(lfr_stmt_text(st, 2), 0, &err);
    if (!fields) fields = json_object();
    doc = json_pack("{s:I,s:s,s:s,s:s,s:b,s:{s:O?,s:O?,s:I,s:I},s:s,s:{s:O?,s:O?,s:O?}}", "id",
                    (json_int_t)id, "name", lfr_stmt_text(st, 0), "state", state, "frozen_hash",
                    lfr_stmt_text(st, 7), "urgent", (int)lfr_stmt_int64(st, 6), "times",
                    "planned_start_ms", json_object_get(fields, "start"), "planned_end_ms",
                    json_object_get(fields, "end"), "actual_start_ms",
                    (json_int_t)lfr_stmt_int64(st, 3), "actual_end_ms",
                    (json_int_t)lfr_stmt_int64(st, 4), "end_reason", lfr_stmt_text(st, 5),
                    "authorised", "threshold", json_object_get(fields, "threshold"),
                    "watchlist_size", json_object_get(fields, "watchlist_size"),
                    "expected_footfall", json_object_get(fields, "expected_footfall"));
    json_decref(fields);
    lfr_stmt_free(st);
    st = NULL;
    json_object_set_new(doc, "watchlist_by_category",
                        counts_by(ctx, p,
                                  "SELECT category, count(*) FROM watchlist_entries WHERE "
                                  "deployment_id = ? GROUP BY category ORDER BY category",
                                  id));
    json_object_set_new(
        doc, "alerts",
        json_integer(
            policy_count(ctx, p, "SELECT count(*) FROM alert_facts WHERE deployment_id = ?", id)));
    json_object_set_new(
        doc, "faces_processed",
        json_integer(policy_count(ctx, p,
                                  "SELECT coalesce(sum(faces),0) FROM camera_counts "
                                  "WHERE deployment_id = ?",
                                  id)));
    json_object_set_new(
        doc, "templates_compared",
        json_integer(policy_count(ctx, p,
                                  "SELECT coalesce(sum(compared),0) FROM camera_counts "
                                  "WHERE deployment_id = ?",
                                  id)));
    json_object_set_new(
        doc, "alerts_by_decision",
        counts_by(ctx, p,
                  "SELECT status, count(*) FROM alert_facts WHERE deployment_id = ? "
                  "GROUP BY status ORDER BY status",
                  id));
    json_object_set_new(
        doc, "outcomes",
        counts_by(ctx, p,
                  "SELECT action, count(*) FROM alert_facts WHERE deployment_id = ? "
                  "AND action IS NOT NULL GROUP BY action ORDER BY action",
                  id));
    json_object_set_new(doc, "identity_confirmed",
                        json_integer(policy_count(ctx, p,
                                                  "SELECT count(*) FROM alert_facts WHERE "
                                                  "deployment_id = ? AND identity_confirmed <> 0",
                                                  id)));
    json_object_set_new(doc, "engagement_seconds_total",
                        json_integer(policy_count(ctx, p,
                                                  "SELECT coalesce(sum(engagement_seconds),0) FROM "
                                                  "alert_facts WHERE deployment_id = ?",
                                                  id)));
    rc = audit(ctx, p, actor, "deployment.report", id, "deployment", NULL);
done:
    lfr_stmt_free(st);
    rc = finish(ctx, p, rc < 0 || rc > 0 ? rc : LFR_OK);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}
