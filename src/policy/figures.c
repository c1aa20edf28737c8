/* policy/figures.c - the figures that transparency and oversight rest on
 * (REQUIREMENTS section 5): per deployment, what was authorised and what
 * happened, read from the anonymous alert facts and the pipelines' counts,
 * never from a face or a watchlist identity. The documents made of them
 * are rendered by src/report.
 *
 * An alert counts as true when the engagement officer confirmed the
 * identity; as false when the operator closed it as no match, or the
 * officer engaged and found someone else (identity not confirmed, the
 * person found); the rest (open, awaiting an outcome, person not found)
 * are unverified. The three always add up to the alerts. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* True and false alerts counted, in SQL that SQLite and PostgreSQL both
 * run (docs/postgresql.md): count(*) FILTER, never a sum() of a boolean. */
#define COUNT_TRUE "count(*) FILTER (WHERE identity_confirmed = 1)"
#define COUNT_FALSE                                                                                \
    "count(*) FILTER (WHERE status = 'no_match' OR (status = 'closed' AND identity_confirmed = 0 " \
    "AND action <> 'person_not_found'))"

/* Everyone with a login may ask; what each document shows is decided by
 * the report module. */
#define ANY_ROLE 0xFF

static const char *const actions[] = {"arrest",          "other_action",      "safeguarding",
                                      "words_of_advice", "no_further_action", "person_not_found"};

int lfr_deployment_record_model(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *model,
                                int64_t now_ms)
{
    if (!model || !*model || strlen(model) > 120)
        return lfr_fail(ctx, LFR_EINVAL, "model: a name of 1-120 characters");
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO deployment_models (deployment_id, model, first_ms) "
                                "SELECT id, ?, ? FROM deployments WHERE id = ? ON CONFLICT DO "
                                "NOTHING",
                                &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, model)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, now_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, deployment)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    /* Audited the first time only: pipelines restart. */
    if (!rc && lfr_store_changes(p->s) == 1)
        rc = audit(ctx, p, NULL, "deployment.model", deployment, "deployment",
                   json_pack("{s:s}", "model", model));
    return finish(ctx, p, rc);
}

/* Prepares sql and binds id to its first parameter. */
static int query(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id, lfr_stmt **st)
{
    int rc = lfr_stmt_prepare(ctx, p->s, sql, st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, *st, 1, id);
    return rc;
}

/* Runs a query of one row and copies its integer columns into obj under
 * keys (NULL-terminated). */
static int row_into(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id, json_t *obj,
                    const char *const *keys)
{
    lfr_stmt *st = NULL;
    int rc = query(ctx, p, sql, id, &st);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        for (int i = 0; keys[i]; i++)
            json_object_set_new(obj, keys[i], json_integer(lfr_stmt_int64(st, i)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* The public parts of the DEP-4 record: no intelligence case, no
 * engagement plan. */
static json_t *public_record(const json_t *fields)
{
    static const char *const keep[] = {"purpose",
                                       "watchlist_criteria",
                                       "watchlist_categories",
                                       "start",
                                       "end",
                                       "watchlist_size",
                                       "threshold",
                                       "expected_footfall",
                                       "public_notice",
                                       "critical_threat_exemption",
                                       "exemption_approved_by",
                                       "dpia_ref",
                                       "equality_ref",
                                       "community_ref"};
    json_t *rec = json_object();
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        json_t *v = json_object_get(fields, keep[i]);
        if (v) json_object_set(rec, keep[i], v);
    }
    return rec;
}

/* Header, people and times of a deployment. */
static int head(lfr_ctx *ctx, lfr_policy *p, int64_t id, json_t *doc)
{
    lfr_stmt *st = NULL;
    int rc = query(ctx, p,
                   "SELECT d.name, d.state, d.fields, d.urgent, coalesce(d.frozen_hash,''), "
                   "coalesce(a.name,''), coalesce(r.name,''), coalesce(d.end_reason,''), "
                   "d.authorised_ms, d.started_ms, d.ended_ms, d.reviewed_ms FROM deployments d "
                   "LEFT JOIN users a ON a.id = d.authorised_by LEFT JOIN users r ON r.id = "
                   "d.reviewed_by WHERE d.id = ?",
                   id, &st);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)id);
    if (rc == 1) {
        json_error_t err;
        json_t *fields = json_loads(lfr_stmt_text(st, 2), 0, &err);
        rc = fields ? LFR_OK
                    : lfr_fail(ctx, LFR_EFORMAT, "deployment %lld: damaged record", (long long)id);
        json_t *expected = json_object();
        if (!rc && estimate_false_alerts(p, fields, expected) >= 0)
            json_object_set(doc, "expected", expected);
        json_decref(expected);
        if (!rc) {
            json_object_set_new(doc, "id", json_integer(id));
            json_object_set_new(doc, "name", json_string(lfr_stmt_text(st, 0)));
            json_object_set_new(doc, "state", json_string(lfr_stmt_text(st, 1)));
            json_object_set_new(doc, "record", public_record(fields));
            json_object_set_new(doc, "urgent", json_boolean(lfr_stmt_int64(st, 3)));
            json_object_set_new(doc, "frozen_hash", json_string(lfr_stmt_text(st, 4)));
            json_object_set_new(doc, "authorised_by", json_string(lfr_stmt_text(st, 5)));
            json_object_set_new(doc, "reviewed_by", json_string(lfr_stmt_text(st, 6)));
            json_object_set_new(doc, "end_reason", json_string(lfr_stmt_text(st, 7)));
            static const char *const times[] = {"authorised_ms", "started_ms", "ended_ms",
                                                "reviewed_ms"};
            for (int i = 0; i < 4; i++)
                json_object_set_new(doc, times[i],
                                    lfr_stmt_is_null(st, 8 + i)
                                        ? json_null()
                                        : json_integer(lfr_stmt_int64(st, 8 + i)));
        }
        json_decref(fields);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* Locations, models, the watchlist by category, the engagement times and
 * the groups: the lists of a deployment. */
static int lists(lfr_ctx *ctx, lfr_policy *p, int64_t id, json_t *doc)
{
    json_t *locations = json_array(), *models = json_array(), *by_category = json_object(),
           *seconds = json_array(), *groups = json_array();
    json_object_set_new(doc, "locations", locations);
    json_object_set_new(doc, "models", models);
    json_object_set_new(doc, "watchlist_by_category", by_category);
    json_object_set_new(doc, "engagement_seconds", seconds);
    json_object_set_new(doc, "groups", groups);
    lfr_stmt *st = NULL;
    int rc = query(ctx, p,
                   "SELECT name, reason, sensitive FROM locations WHERE deployment_id = ? "
                   "ORDER BY id",
                   id, &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(locations, json_pack("{s:s,s:s,s:b}", "name", lfr_stmt_text(st, 0),
                                                   "reason", lfr_stmt_text(st, 1), "sensitive",
                                                   (int)lfr_stmt_int64(st, 2)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return rc;
    rc = query(ctx, p,
               "SELECT model FROM deployment_models WHERE deployment_id = ? ORDER BY first_ms, "
               "model",
               id, &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(models, json_string(lfr_stmt_text(st, 0)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return rc;
    rc = query(ctx, p,
               "SELECT category, count(*) FROM watchlist_entries WHERE deployment_id = ? GROUP BY "
               "category ORDER BY category",
               id, &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_object_set_new(by_category, lfr_stmt_text(st, 0), json_integer(lfr_stmt_int64(st, 1)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return rc;
    rc = query(ctx, p,
               "SELECT engagement_seconds FROM alert_facts WHERE deployment_id = ? AND action IS "
               "NOT NULL ORDER BY engagement_seconds",
               id, &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(seconds, json_integer(lfr_stmt_int64(st, 0)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return rc;
    /* PUB-6: groups are recorded by the engagement officer, so alerts
     * closed without engaging have none ("" = not recorded). */
    rc = query(ctx, p,
               "SELECT coalesce(recorded_group,''), " COUNT_TRUE ", " COUNT_FALSE
               " FROM alert_facts WHERE deployment_id = ? GROUP BY 1 ORDER BY 1",
               id, &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(groups, json_pack("{s:s,s:I,s:I}", "group", lfr_stmt_text(st, 0),
                                                "true", (json_int_t)lfr_stmt_int64(st, 1), "false",
                                                (json_int_t)lfr_stmt_int64(st, 2)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* The counts of a deployment. */
static int counts(lfr_ctx *ctx, lfr_policy *p, int64_t id, json_t *doc)
{
    static const char *const pipeline[] = {"frames", "faces", "compared", "cameras", NULL};
    static const char *const alerts[] = {"alerts",   "true_alerts", "false_alerts", "open",
                                         "no_match", "engaged",     "closed",       NULL};
    json_t *outcomes = json_object();
    json_object_set_new(doc, "outcomes", outcomes);
    int rc = row_into(ctx, p,
                      "SELECT coalesce(sum(frames),0), coalesce(sum(faces),0), "
                      "coalesce(sum(compared),0), (SELECT count(*) FROM cameras WHERE "
                      "deployment_id = ?1) FROM camera_counts WHERE deployment_id = ?1",
                      id, doc, pipeline);
    if (!rc)
        rc = row_into(ctx, p,
                      "SELECT count(*), " COUNT_TRUE ", " COUNT_FALSE
                      ", count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE "
                      "status = 'no_match'), count(*) FILTER (WHERE status IN "
                      "('engage','closed')), count(*) FILTER (WHERE status = 'closed') FROM "
                      "alert_facts WHERE deployment_id = ?",
                      id, doc, alerts);
    lfr_stmt *st = NULL;
    if (!rc)
        rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT count(*) FILTER (WHERE action = ?2), count(*) FILTER "
                              "(WHERE action IS NULL AND status IN ('engage','closed')) FROM "
                              "alert_facts WHERE deployment_id = ?1",
                              &st);
    /* Every action, with its zeros: a published table keeps its rows. */
    for (size_t i = 0; !rc && i < sizeof actions / sizeof actions[0]; i++) {
        if ((rc = lfr_stmt_reset(ctx, st)) || (rc = lfr_stmt_bind_int64(ctx, st, 1, id)) ||
            (rc = lfr_stmt_bind_text(ctx, st, 2, actions[i])) || (rc = lfr_stmt_step(ctx, st)) < 0)
            break;
        json_object_set_new(outcomes, actions[i], json_integer(lfr_stmt_int64(st, 0)));
        if (i == 0)
            json_object_set_new(doc, "awaiting_outcome", json_integer(lfr_stmt_int64(st, 1)));
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    if (!rc) {
        int64_t all = json_integer_value(json_object_get(doc, "alerts"));
        int64_t t = json_integer_value(json_object_get(doc, "true_alerts"));
        int64_t f = json_integer_value(json_object_get(doc, "false_alerts"));
        json_object_set_new(doc, "unverified_alerts", json_integer(all - t - f));
    }
    return rc < 0 ? rc : LFR_OK;
}

static int figures_of(lfr_ctx *ctx, lfr_policy *p, int64_t id, json_t **out)
{
    json_t *doc = json_object();
    int rc = doc ? head(ctx, p, id, doc) : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (!rc) rc = lists(ctx, p, id, doc);
    if (!rc) rc = counts(ctx, p, id, doc);
    /* The walk tests before going live (ACC-3): aggregates, no staff named. */
    json_t *walk_tests = NULL;
    if (!rc && !(rc = walktest_results(ctx, p, id, 0, &walk_tests)))
        json_object_set_new(doc, "walk_tests", walk_tests);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}

int lfr_deployment_figures(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                           const char *document, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, ANY_ROLE, "reading published figures");
    if (!rc && (!document || !*document || strlen(document) > 40))
        rc = lfr_fail(ctx, LFR_EINVAL, "figures: name the document they are for");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    json_t *doc = NULL;
    rc = figures_of(ctx, p, id, &doc);
    if (!rc)
        rc = audit(ctx, p, actor, "report.export", id, "deployment",
                   json_pack("{s:s}", "document", document));
    rc = finish(ctx, p, rc);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}

int lfr_figures_period(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t from_ms,
                       int64_t to_ms, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, ANY_ROLE, "reading published figures");
    if (!rc && !(from_ms < to_ms))
        rc = lfr_fail(ctx, LFR_EINVAL, "figures: the period ends before it starts");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    json_t *arr = json_array();
    lfr_stmt *st = NULL;
    /* Deployments that ran and are over, by when they went live. */
    if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                "SELECT id FROM deployments WHERE started_ms >= ? AND started_ms "
                                "< ? AND state IN ('ended','reviewed','cancelled') ORDER BY "
                                "started_ms, id LIMIT 10000",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, from_ms)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, to_ms)))
        while ((rc = lfr_stmt_step(ctx, st)) == 1)
            json_array_append_new(arr, json_integer(lfr_stmt_int64(st, 0)));
    lfr_stmt_free(st);
    rc = rc < 0 ? rc : LFR_OK;
    for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
        json_t *doc = NULL;
        rc = figures_of(ctx, p, json_integer_value(json_array_get(arr, i)), &doc);
        if (!rc) json_array_set_new(arr, i, doc);
    }
    if (!rc)
        rc = audit(ctx, p, actor, "report.summary", 0, "deployments",
                   json_pack("{s:I,s:I,s:I}", "from_ms", (json_int_t)from_ms, "to_ms",
                             (json_int_t)to_ms, "deployments", (json_int_t)json_array_size(arr)));
    rc = finish(ctx, p, rc);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

int lfr_audit_summary(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OVERSIGHT | LFR_ROLE_AUDITOR, "an audit summary");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_audit_report r;
    json_t *doc = NULL, *by_action = json_object();
    rc = policy_verify_log(ctx, p, &r);
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "SELECT action, count(*) FROM audit_log GROUP BY action ORDER BY "
                                "action",
                                &st)))
        while ((rc = lfr_stmt_step(ctx, st)) == 1)
            json_object_set_new(by_action, lfr_stmt_text(st, 0),
                                json_integer(lfr_stmt_int64(st, 1)));
    lfr_stmt_free(st);
    st = NULL;
    rc = rc < 0 ? rc : LFR_OK;
    /* Only actions and counts: a record's details may name a person. */
    if (!rc) {
        doc = json_pack("{s:I,s:b,s:I,s:s,s:O,s:{s:b,s:I,s:o}}", "records", (json_int_t)r.records,
                        "chain_intact", r.first_bad_seq == 0, "first_bad_seq",
                        (json_int_t)r.first_bad_seq, "problem", r.problem, "by_action", by_action,
                        "anchor", "anchored", p->anchor != NULL, "seq", (json_int_t)r.anchored_seq,
                        "time_ms", r.anchored_ms ? json_integer(r.anchored_ms) : json_null());
        rc = doc ? LFR_OK : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = row_into(ctx, p,
                      "SELECT coalesce(min(time_ms),0), coalesce(max(time_ms),0) FROM "
                      "audit_log WHERE ?1 = ?1",
                      0, doc, (const char *const[]){"first_ms", "last_ms", NULL});
    if (!rc) rc = audit(ctx, p, actor, "audit.summary", 0, "audit_log", NULL);
    json_decref(by_action);
    rc = finish(ctx, p, rc);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}
