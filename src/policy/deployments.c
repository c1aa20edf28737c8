/* policy/deployments.c - the deployment lifecycle (DEP-1..10):
 * draft -> submitted -> authorised -> live -> ended -> reviewed, with
 * suspended and cancelled, each transition an audited act of a named user. */
#include "internal.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

void deployment_clear(deployment_row *d)
{
    json_decref(d->fields);
    memset(d, 0, sizeof *d);
}

int deployment_load(lfr_ctx *ctx, lfr_policy *p, int64_t id, deployment_row *d)
{
    memset(d, 0, sizeof *d);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT name, state, fields, created_by, coalesce(authorised_by, 0), "
                              "coalesce(ratified_by, 0), coalesce(ratify_by_ms, 0), urgent FROM "
                              "deployments WHERE id = ?",
                              &st);
    if (rc) return rc;
    if ((rc = lfr_stmt_bind_int64(ctx, st, 1, id))) goto done;
    rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)id);
    if (rc < 0) goto done;
    d->id = id;
    snprintf(d->name, sizeof d->name, "%s", lfr_stmt_text(st, 0));
    snprintf(d->state, sizeof d->state, "%s", lfr_stmt_text(st, 1));
    json_error_t err;
    d->fields = json_loads(lfr_stmt_text(st, 2), 0, &err);
    d->created_by = lfr_stmt_int64(st, 3);
    d->authorised_by = lfr_stmt_int64(st, 4);
    d->ratified_by = lfr_stmt_int64(st, 5);
    d->ratify_by_ms = lfr_stmt_int64(st, 6);
    d->urgent = (int)lfr_stmt_int64(st, 7);
    rc = d->fields ? LFR_OK
                   : lfr_fail(ctx, LFR_EFORMAT, "deployment %lld: damaged record", (long long)id);
done:
    lfr_stmt_free(st);
    return rc;
}

/* Runs one UPDATE of a deployment with text/integer parameters: fmt lists
 * the binds ('s' text, 'i' int64) after the id. */
static int update(lfr_ctx *ctx, lfr_policy *p, int64_t id, const char *sql, const char *fmt, ...)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (rc) return rc;
    va_list ap;
    va_start(ap, fmt);
    int i = 1;
    for (const char *f = fmt; *f && !rc; f++, i++) {
        if (*f == 's')
            rc = lfr_stmt_bind_text(ctx, st, i, va_arg(ap, const char *));
        else
            rc = lfr_stmt_bind_int64(ctx, st, i, va_arg(ap, int64_t));
    }
    va_end(ap);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, i, id);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

static int state_is(lfr_ctx *ctx, const deployment_row *d, const char *allowed, const char *what)
{
    /* allowed: space-separated states */
    char buf[128];
    snprintf(buf, sizeof buf, " %s ", allowed);
    char key[24];
    snprintf(key, sizeof key, " %s ", d->state);
    if (strstr(buf, key)) return LFR_OK;
    return lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: cannot %s (allowed when %s)",
                    (long long)d->id, d->state, what, allowed);
}

static int set_state(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, deployment_row *d,
                     const char *state, const char *action, json_t *details)
{
    int rc = update(ctx, p, d->id, "UPDATE deployments SET state = ? WHERE id = ?", "s", state);
    if (rc) {
        json_decref(details);
        return rc;
    }
    if (!details) details = json_object();
    json_object_set_new(details, "from", json_string(d->state));
    json_object_set_new(details, "to", json_string(state));
    snprintf(d->state, sizeof d->state, "%s", state);
    return audit(ctx, p, actor, action, d->id, "deployment", details);
}

int lfr_deployment_create(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                          int64_t *id)
{
    *id = 0;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "creating a deployment");
    if (rc) return rc;
    if (!name || !*name || strlen(name) > 120)
        return lfr_fail(ctx, LFR_EINVAL, "a deployment needs a name of 1-120 characters");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "INSERT INTO deployments (name, created_by) VALUES (?, ?)", &st)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 1, name)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 2, actor->id)))
        goto done;
    if ((rc = lfr_stmt_step(ctx, st)) < 0) goto done;
    *id = lfr_store_last_id(p->s);
    rc = audit(ctx, p, actor, "deployment.create", *id, "deployment",
               json_pack("{s:s}", "name", name));
done:
    lfr_stmt_free(st);
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

static int save_fields(lfr_ctx *ctx, lfr_policy *p, const deployment_row *d)
{
    char *text = json_dumps(d->fields, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    int rc = update(ctx, p, d->id, "UPDATE deployments SET fields = ? WHERE id = ?", "s", text);
    free(text);
    return rc;
}

int lfr_deployment_set(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                       const char *field, const char *value)
{
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    int threshold = field && !strcmp(field, "threshold");
    if (!strcmp(d.state, "draft")) {
        if (actor && actor->id != d.created_by)
            rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "changing a draft");
        if (!rc && (!actor || actor->id != d.created_by))
            rc = lfr_fail(ctx, LFR_EPERM, "only the applicant who created a draft may change it");
    } else if (threshold && (!strcmp(d.state, "authorised") || !strcmp(d.state, "live"))) {
        /* DEP-6: after authorisation only its officer may move it. */
        if (!actor || actor->id != d.authorised_by)
            rc = lfr_fail(ctx, LFR_EPERM,
                          "the threshold of an authorised deployment may be changed by its "
                          "authorising officer only (DEP-6)");
    } else {
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is %s: its record is frozen (an extension or change is a "
                      "new authorisation)",
                      (long long)id, d.state);
    }
    json_t *old = NULL;
    if (!rc) {
        old = json_incref(json_object_get(d.fields, field ? field : ""));
        rc = field_set(ctx, &p->cfg, d.fields, field, value);
    }
    if (!rc) rc = save_fields(ctx, p, &d);
    if (!rc)
        rc =
            audit(ctx, p, actor,
                  threshold && strcmp(d.state, "draft") ? "deployment.threshold" : "deployment.set",
                  id, "deployment",
                  json_pack("{s:s,s:O?,s:O}", "field", field, "old", old, "new",
                            json_object_get(d.fields, field)));
    json_decref(old);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_add_location(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                                const char *name, const char *reason, int sensitive,
                                const char *justification)
{
    if (!name || !*name || strlen(name) > 200 || !reason || !*reason || strlen(reason) > 4000)
        return lfr_fail(ctx, LFR_EINVAL, "a location needs a name and a reason (DEP-4)");
    if (sensitive && (!justification || strlen(justification) < 20))
        return lfr_fail(ctx, LFR_EINVAL,
                        "location %s is sensitive (a place of worship, school, protest): it needs "
                        "a written justification of at least 20 characters (DEP-8)",
                        name);
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "draft", "add a location")) &&
        (!actor || actor->id != d.created_by))
        rc = lfr_fail(ctx, LFR_EPERM, "only the applicant who created a draft may change it");
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO locations (deployment_id, name, reason, sensitive, "
                                "sensitive_justification) VALUES (?,?,?,?,?)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, id)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, reason)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, sensitive != 0)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 5, sensitive ? justification : NULL)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc)
        rc = audit(ctx, p, actor, "deployment.location", id, "deployment",
                   json_pack("{s:s,s:s,s:b}", "name", name, "reason", reason, "sensitive",
                             sensitive != 0));
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

static int count_locations(lfr_ctx *ctx, lfr_policy *p, int64_t id, int64_t *n)
{
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s, "SELECT count(*) FROM locations WHERE deployment_id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    *n = rc == 1 ? lfr_stmt_int64(st, 0) : 0;
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* Everything DEP-4 asks before submission and authorisation. */
static int check_complete(lfr_ctx *ctx, lfr_policy *p, const deployment_row *d)
{
    const char *missing = field_missing(d->fields);
    if (missing)
        return lfr_fail(ctx, LFR_EREFUSED, "deployment %lld: mandatory field '%s' is empty (DEP-4)",
                        (long long)d->id, missing);
    int64_t n = 0;
    int rc = count_locations(ctx, p, d->id, &n);
    if (rc) return rc;
    if (n == 0)
        return lfr_fail(ctx, LFR_EREFUSED, "deployment %lld has no location (DEP-4)",
                        (long long)d->id);
    int64_t start = json_integer_value(json_object_get(d->fields, "start"));
    int64_t end = json_integer_value(json_object_get(d->fields, "end"));
    if (end <= start)
        return lfr_fail(ctx, LFR_EREFUSED, "deployment %lld ends before it starts",
                        (long long)d->id);
    if (end - start > (int64_t)p->cfg.max_window_hours * 3600 * 1000)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "deployment %lld lasts %.1f hours: at most %d (time-bound use; a longer "
                        "operation is authorised a window at a time)",
                        (long long)d->id, (double)(end - start) / 3600000.0,
                        p->cfg.max_window_hours);
    return LFR_OK;
}

int lfr_deployment_submit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id)
{
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "draft", "submit")) && (!actor || actor->id != d.created_by))
        rc = lfr_fail(ctx, LFR_EPERM, "only the applicant who created it may submit it");
    if (!rc) rc = check_complete(ctx, p, &d);
    if (!rc) rc = set_state(ctx, p, actor, &d, "submitted", "deployment.submit", NULL);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

/* False alerts per 1,000 faces with n people on the watchlist at a false
 * match rate: 1,000 x FPIR, where FPIR = 1 - (1 - fmr)^n. */
static double per_1000_faces(double n, double fmr)
{
    return -1000.0 * expm1(n * log1p(-fmr));
}

/* DEP-7: faces x FPIR(watchlist size, FMR at the threshold), per 1,000,
 * from the model's operating points; beside it (ACC-1) the same from its
 * points in the wild, with the interval. The higher of the two is the
 * estimate the ceiling is checked on: a deployment is in the wild. */
double estimate_false_alerts(const lfr_policy *p, const json_t *fields, json_t *details)
{
    json_t *threshold = json_object_get(fields, "threshold");
    if (!p->cfg.fmr_at || !json_is_number(threshold)) return -1;
    double t = json_number_value(threshold);
    double fmr = p->cfg.fmr_at(t, p->cfg.fmr_arg);
    if (fmr < 0) return -1;
    double n = (double)json_integer_value(json_object_get(fields, "watchlist_size"));
    double faces = (double)json_integer_value(json_object_get(fields, "expected_footfall"));
    double rate = per_1000_faces(n, fmr), worst = rate;
    json_object_set_new(details, "fmr_at_threshold", json_real(fmr));
    if (p->cfg.fmr_data) json_object_set_new(details, "data", json_string(p->cfg.fmr_data));
    lfr_fmr_claim wild;
    if (p->cfg.fmr_in_the_wild && p->cfg.fmr_in_the_wild(t, p->cfg.fmr_arg, &wild) == LFR_OK) {
        double w = per_1000_faces(n, wild.fmr);
        json_object_set_new(details, "in_the_wild",
                            json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "data", wild.data, "fmr",
                                      wild.fmr, "fmr_lo", wild.lo, "fmr_hi", wild.hi,
                                      "false_alerts_per_1000_faces", w,
                                      "false_alerts_per_1000_faces_lo", per_1000_faces(n, wild.lo),
                                      "false_alerts_per_1000_faces_hi", per_1000_faces(n, wild.hi),
                                      "expected_false_alerts", faces * w / 1000.0));
        if (w > worst) worst = w;
    } else {
        json_object_set_new(details, "in_the_wild", json_null());
    }
    /* Which data the estimate rests on (ACC-1). */
    json_t *chosen = worst > rate ? json_object_get(json_object_get(details, "in_the_wild"), "data")
                                  : json_object_get(details, "data");
    if (chosen) json_object_set(details, "estimate_data", chosen);
    json_object_set_new(details, "expected_false_alerts", json_real(faces * worst / 1000.0));
    json_object_set_new(details, "false_alerts_per_1000_faces", json_real(worst));
    return worst;
}

static int check_false_alerts(lfr_ctx *ctx, lfr_policy *p, const deployment_row *d, json_t *details)
{
    if (!p->cfg.fmr_at)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "the model's measured operating points are unknown, so the expected "
                        "false alerts cannot be shown (DEP-7): refusing to authorise");
    double t = json_real_value(json_object_get(d->fields, "threshold"));
    double per_1000 = estimate_false_alerts(p, d->fields, details);
    if (per_1000 < 0)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "threshold %.3f is outside the model's measured operating points (DEP-7)",
                        t);
    if (per_1000 > p->cfg.max_false_alerts_per_1000)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "expected %.1f false alerts (%.2f per 1,000 faces) with %lld people at "
                        "threshold %.3f: over the ceiling of %.2f per 1,000 (DEP-7); raise the "
                        "threshold or shrink the watchlist",
                        json_real_value(json_object_get(details, "expected_false_alerts")),
                        per_1000,
                        (long long)json_integer_value(json_object_get(d->fields, "watchlist_size")),
                        t, p->cfg.max_false_alerts_per_1000);
    return LFR_OK;
}

/* The frozen record: its canonical JSON (sorted keys) with the locations,
 * hashed with BLAKE2b-256. */
static int freeze(lfr_ctx *ctx, lfr_policy *p, const deployment_row *d, char hex[65])
{
    json_t *rec = json_pack("{s:I,s:s,s:O,s:[]}", "id", (json_int_t)d->id, "name", d->name,
                            "fields", d->fields, "locations");
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s,
                         "SELECT name, reason, sensitive, coalesce(sensitive_justification,'') "
                         "FROM locations WHERE deployment_id = ? ORDER BY id",
                         &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, d->id);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(json_object_get(rec, "locations"),
                              json_pack("{s:s,s:s,s:b,s:s}", "name", lfr_stmt_text(st, 0), "reason",
                                        lfr_stmt_text(st, 1), "sensitive",
                                        (int)lfr_stmt_int64(st, 2), "justification",
                                        lfr_stmt_text(st, 3)));
        rc = 0;
    }
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(rec);
        return rc;
    }
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    if (!text) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)text, strlen(text), NULL, 0);
    free(text);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return LFR_OK;
}

int lfr_deployment_authorise(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                             int urgent, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER, "authorising a deployment");
    if (rc) return rc;
    int need = urgent ? p->cfg.urgent_rank : p->cfg.min_rank;
    if (actor->rank < need)
        return lfr_fail(ctx, LFR_EPERM, "%s is a %s: %s authorisation needs at least a %s (DEP-3)",
                        actor->name, lfr_rank_name(actor->rank), urgent ? "urgent" : "an",
                        lfr_rank_name(need));
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    json_t *details = json_object();
    char hex[65];
    if (!(rc = state_is(ctx, &d, "submitted", "authorise")) && d.created_by == actor->id)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s applied for this deployment and may not also authorise it (separation "
                      "of duties)",
                      actor->name);
    if (!rc) rc = check_complete(ctx, p, &d);
    int64_t end = json_integer_value(json_object_get(d.fields, "end"));
    if (!rc && end <= now_ms)
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld would end before it is authorised",
                      (long long)id);
    int64_t start = json_integer_value(json_object_get(d.fields, "start"));
    if (!rc && start < now_ms - (int64_t)p->cfg.start_grace_minutes * 60 * 1000)
        rc =
            lfr_fail(ctx, LFR_EREFUSED,
                     "deployment %lld started %.0f minutes ago: an authorisation covers what "
                     "is to come (at most %d minutes late); set a new start",
                     (long long)id, (double)(now_ms - start) / 60000.0, p->cfg.start_grace_minutes);
    double t = json_real_value(json_object_get(d.fields, "threshold"));
    if (!rc && t < p->cfg.threshold_floor)
        rc = lfr_fail(ctx, LFR_EREFUSED, "threshold %.3f is below the validated floor %.3f (DEP-6)",
                      t, p->cfg.threshold_floor);
    json_int_t size = json_integer_value(json_object_get(d.fields, "watchlist_size"));
    if (!rc && size > p->cfg.max_watchlist)
        rc = lfr_fail(ctx, LFR_EREFUSED, "a watchlist of %lld is over the maximum of %d (WL-7)",
                      (long long)size, p->cfg.max_watchlist);
    if (!rc) rc = watchlist_ready(ctx, p, id, actor, size);
    if (!rc) rc = check_false_alerts(ctx, p, &d, details);
    if (!rc) rc = freeze(ctx, p, &d, hex);
    int64_t ratify_by = urgent ? now_ms + (int64_t)p->cfg.ratify_hours * 3600 * 1000 : 0;
    if (!rc)
        rc = update(ctx, p, id,
                    "UPDATE deployments SET authorised_by = ?, authorised_ms = ?, urgent = ?, "
                    "ratify_by_ms = ?, frozen_hash = ? WHERE id = ?",
                    "iiiis", actor->id, now_ms, (int64_t)(urgent != 0), ratify_by, hex);
    if (!rc) {
        json_object_set_new(details, "frozen_hash", json_string(hex));
        json_object_set_new(details, "urgent", json_boolean(urgent));
        if (urgent) json_object_set_new(details, "ratify_by_ms", json_integer(ratify_by));
        rc = set_state(ctx, p, actor, &d, "authorised", "deployment.authorise", details);
        details = NULL;
    }
    json_decref(details);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_ratify(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER, "ratifying an urgent authorisation");
    if (rc) return rc;
    if (actor->rank < p->cfg.min_rank)
        return lfr_fail(ctx, LFR_EPERM, "ratifying needs at least a %s (DEP-3)",
                        lfr_rank_name(p->cfg.min_rank));
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "authorised live", "ratify")) && (!d.urgent || d.ratified_by))
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld has no urgent authorisation to ratify",
                      (long long)id);
    if (!rc && now_ms > d.ratify_by_ms)
        rc = lfr_fail(ctx, LFR_EREFUSED, "the ratification deadline of deployment %lld has passed",
                      (long long)id);
    /* Ratifying is authorising after the fact: the same separation of
     * duties as the normal route (DEP-3, SEC-1, WL-4). */
    int reviewed = 0;
    if (!rc && actor->id == d.created_by)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s applied for this deployment and may not also ratify it (separation of "
                      "duties)",
                      actor->name);
    if (!rc && !(rc = watchlist_reviewed_by(ctx, p, id, actor->id, &reviewed)) && reviewed)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s reviewed entries of this watchlist and may not also ratify it (WL-4)",
                      actor->name);
    if (!rc)
        rc = update(ctx, p, id, "UPDATE deployments SET ratified_by = ? WHERE id = ?", "i",
                    actor->id);
    if (!rc) rc = audit(ctx, p, actor, "deployment.ratify", id, "deployment", NULL);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int deployment_in_window(const deployment_row *d, int64_t now_ms)
{
    int64_t start = json_integer_value(json_object_get(d->fields, "start"));
    int64_t end = json_integer_value(json_object_get(d->fields, "end"));
    return now_ms >= start && now_ms < end;
}

int deployment_ratification_lapsed(const deployment_row *d, int64_t now_ms)
{
    return d->urgent && !d->ratified_by && now_ms > d->ratify_by_ms;
}

/* A force that requires a walk test (ACC-3) goes live only after one with
 * at least one pass, whatever its result: the officers weigh it. */
static int walk_test_done(lfr_ctx *ctx, lfr_policy *p, int64_t id)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT count(*) FROM walk_tests w WHERE w.deployment_id = ? AND "
                              "EXISTS (SELECT 1 FROM walk_passes WHERE walk_test_id = w.id)",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1)
        rc = lfr_stmt_int64(st, 0) > 0
                 ? LFR_OK
                 : lfr_fail(ctx, LFR_EREFUSED,
                            "deployment %lld has had no walk test: this force requires one "
                            "before going live (ACC-3)",
                            (long long)id);
    lfr_stmt_free(st);
    return rc;
}

int lfr_deployment_start(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                         int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR | LFR_ROLE_AUTHORISER,
                            "starting a deployment");
    if (rc) return rc;
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    int resuming = !strcmp(d.state, "suspended");
    if (!(rc = state_is(ctx, &d, "authorised suspended", "start")) &&
        !deployment_in_window(&d, now_ms))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is outside its authorised window (DEP-5): no face may be "
                      "processed now",
                      (long long)id);
    if (!rc && deployment_ratification_lapsed(&d, now_ms))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "the urgent authorisation was not ratified in time (DEP-3)");
    if (!rc && resuming && actor->id != d.authorised_by)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "only the authorising officer may resume a suspended deployment");
    if (!rc && !resuming && p->cfg.require_walk_test) rc = walk_test_done(ctx, p, id);
    /* Going live ends the walk test: the staff's templates are no longer needed. */
    if (!rc && !resuming &&
        !(rc = walktest_close(ctx, p, actor, id, now_ms, "the deployment went live")))
        rc = bluelist_destroy(ctx, p, id, now_ms);
    if (!rc && !resuming)
        rc = update(ctx, p, id, "UPDATE deployments SET started_ms = ? WHERE id = ?", "i", now_ms);
    if (!rc)
        rc = set_state(ctx, p, actor, &d, "live",
                       resuming ? "deployment.resume" : "deployment.start", NULL);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_may_process(lfr_ctx *ctx, lfr_policy *p, int64_t id, int64_t now_ms)
{
    deployment_row d;
    int rc = deployment_load(ctx, p, id, &d);
    if (rc) return rc;
    if (strcmp(d.state, "live"))
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s, not live: no processing (DEP-1)",
                      (long long)id, d.state);
    else if (!deployment_in_window(&d, now_ms))
        rc =
            lfr_fail(ctx, LFR_EREFUSED,
                     "deployment %lld is outside its window: no processing (DEP-5)", (long long)id);
    else if (deployment_ratification_lapsed(&d, now_ms))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld: urgent authorisation not ratified (DEP-3)", (long long)id);
    deployment_clear(&d);
    return rc;
}

/* Ends a deployment (DEP-10): the actual end time and reason. */
static int end_deployment(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, deployment_row *d,
                          const char *state, const char *action, const char *reason, int64_t now_ms)
{
    int rc =
        update(ctx, p, d->id, "UPDATE deployments SET ended_ms = ?, end_reason = ? WHERE id = ?",
               "is", now_ms, reason);
    /* WL-8: the watchlist's photos and templates go with the deployment,
     * and so does the blue list of its walk test. */
    if (!rc) rc = watchlist_destroy(ctx, p, d->id, now_ms);
    if (!rc) rc = walktest_close(ctx, p, actor, d->id, now_ms, "the deployment ended");
    if (!rc) rc = bluelist_destroy(ctx, p, d->id, now_ms);
    if (!rc)
        rc = set_state(ctx, p, actor, d, state, action,
                       json_pack("{s:s,s:I}", "reason", reason, "ended_ms", (json_int_t)now_ms));
    return rc;
}

static int check_reason(lfr_ctx *ctx, const char *reason)
{
    if (!reason || !*reason || strlen(reason) > 2000)
        return lfr_fail(ctx, LFR_EINVAL, "a reason of 1-2000 characters is required");
    return LFR_OK;
}

int lfr_deployment_stop(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                        const char *reason, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR | LFR_ROLE_AUTHORISER,
                            "stopping a deployment");
    if (!rc) rc = check_reason(ctx, reason);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "live suspended", "stop")))
        rc = end_deployment(ctx, p, actor, &d, "ended", "deployment.stop", reason, now_ms);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_suspend(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                           const char *reason, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER, "suspending a deployment");
    if (!rc) rc = check_reason(ctx, reason);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "live", "suspend")) && actor->id != d.authorised_by)
        rc = lfr_fail(ctx, LFR_EPERM, "only the authorising officer may suspend it (DEP-9)");
    if (!rc)
        rc = set_state(ctx, p, actor, &d, "suspended", "deployment.suspend",
                       json_pack("{s:s,s:I}", "reason", reason, "at_ms", (json_int_t)now_ms));
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_cancel(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          const char *reason, int64_t now_ms)
{
    int rc = check_reason(ctx, reason);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    rc = state_is(ctx, &d, "draft submitted authorised live suspended", "cancel");
    /* A draft or submission may be withdrawn by its applicant; from
     * authorisation on, only the authorising officer cancels (DEP-9). */
    int early = !strcmp(d.state, "draft") || !strcmp(d.state, "submitted");
    /* An authoriser may turn down a submitted application; a draft is its
     * applicant's alone until then. */
    if (!rc && !(actor && ((early && actor->id == d.created_by) ||
                           ((actor->roles & LFR_ROLE_AUTHORISER) &&
                            ((d.authorised_by == 0 && !strcmp(d.state, "submitted")) ||
                             actor->id == d.authorised_by)))))
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s may not cancel deployment %lld (the applicant before authorisation, "
                      "the authorising officer after)",
                      actor ? actor->name : "nobody", (long long)id);
    if (!rc)
        rc = end_deployment(ctx, p, actor, &d, "cancelled", "deployment.cancel", reason, now_ms);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_deployment_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER, "signing off a review");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    if (!(rc = state_is(ctx, &d, "ended", "sign off the review")) && actor->id != d.authorised_by)
        rc =
            lfr_fail(ctx, LFR_EPERM, "the review is signed off by the authorising officer (PUB-2)");
    if (!rc)
        rc = update(ctx, p, id,
                    "UPDATE deployments SET reviewed_by = ?, reviewed_ms = ? WHERE id = ?", "ii",
                    actor->id, now_ms);
    if (!rc) rc = set_state(ctx, p, actor, &d, "reviewed", "deployment.review", NULL);
    deployment_clear(&d);
    return finish(ctx, p, rc);
}

int lfr_policy_tick(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int *n_ended)
{
    *n_ended = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(
        ctx, p->s, "SELECT id FROM deployments WHERE state IN ('live','suspended','authorised')",
        &st);
    if (rc) return rc;
    int64_t ids[1024];
    int n = 0;
    while (n < 1024 && (rc = lfr_stmt_step(ctx, st)) == 1)
        ids[n++] = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    if (rc < 0) return rc;
    for (int i = 0; i < n; i++) {
        if ((rc = lfr_store_begin(ctx, p->s))) return rc;
        deployment_row d;
        if ((rc = deployment_load(ctx, p, ids[i], &d))) return finish(ctx, p, rc);
        int64_t end = json_integer_value(json_object_get(d.fields, "end"));
        const char *why = now_ms >= end ? "end time reached (DEP-5)"
                          : deployment_ratification_lapsed(&d, now_ms)
                              ? "urgent authorisation not ratified in time (DEP-3)"
                              : NULL;
        if (why) {
            rc = end_deployment(ctx, p, NULL, &d,
                                !strcmp(d.state, "authorised") ? "cancelled" : "ended",
                                "deployment.auto_end", why, now_ms);
            if (!rc) (*n_ended)++;
        }
        deployment_clear(&d);
        if ((rc = finish(ctx, p, rc))) return rc;
    }
    return LFR_OK;
}

static int can_view(lfr_ctx *ctx, const lfr_actor *actor)
{
    return lfr_actor_need(ctx, actor,
                          LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_REVIEWER |
                              LFR_ROLE_OPERATOR | LFR_ROLE_AUDITOR | LFR_ROLE_OVERSIGHT,
                          "viewing deployments");
}

/* Who applied, authorised and ratified, and when it ran, into doc. */
static int people_and_times(lfr_ctx *ctx, lfr_policy *p, int64_t id, json_t *doc)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(
        ctx, p->s,
        "SELECT c.name, a.name, r.name, d.authorised_ms, d.ratify_by_ms, d.started_ms, d.ended_ms, "
        "d.end_reason, d.reviewed_ms, d.frozen_hash FROM deployments d JOIN users c ON c.id = "
        "d.created_by LEFT JOIN users a ON a.id = d.authorised_by LEFT JOIN users r ON r.id = "
        "d.ratified_by WHERE d.id = ?",
        &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        static const char *const keys[] = {
            "applicant",  "authorised_by", "ratified_by", "authorised_ms", "ratify_by_ms",
            "started_ms", "ended_ms",      "end_reason",  "reviewed_ms",   "frozen_hash"};
        for (int i = 0; i < 10; i++) {
            if (lfr_stmt_is_null(st, i)) continue;
            int text = i < 3 || i == 7 || i == 9;
            json_object_set_new(doc, keys[i],
                                text ? json_string(lfr_stmt_text(st, i))
                                     : json_integer(lfr_stmt_int64(st, i)));
        }
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int lfr_deployment_show(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                        json_t **out)
{
    *out = NULL;
    int rc = can_view(ctx, actor);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, id, &d))) return finish(ctx, p, rc);
    json_t *doc = json_pack("{s:I,s:s,s:s,s:O,s:b,s:[],s:{s:f,s:f}}", "id", (json_int_t)id, "name",
                            d.name, "state", d.state, "record", d.fields, "urgent", d.urgent,
                            "locations", "limits", "threshold_floor", p->cfg.threshold_floor,
                            "max_false_alerts_per_1000", p->cfg.max_false_alerts_per_1000);
    /* Where the floor comes from: the model, or a force's setting with its evidence. */
    json_t *floor = NULL;
    if (lfr_policy_floor(ctx, p, &floor) == LFR_OK)
        json_object_set_new(json_object_get(doc, "limits"), "floor", floor);
    /* What the authorising officer weighs (DEP-7), as soon as it can be known. */
    json_t *expected = json_object();
    if (estimate_false_alerts(p, d.fields, expected) >= 0)
        json_object_set(doc, "expected", expected);
    json_decref(expected);
    rc = people_and_times(ctx, p, id, doc);
    /* The walk tests, for the authorising officer before starting (ACC-3). */
    json_t *walk_tests = NULL;
    if (!rc && !(rc = walktest_results(ctx, p, id, 0, &walk_tests)))
        json_object_set_new(doc, "walk_tests", walk_tests);
    lfr_stmt *st = NULL;
    if (!rc)
        rc = lfr_stmt_prepare(
            ctx, p->s,
            "SELECT name, reason, sensitive FROM locations WHERE deployment_id = ? "
            "ORDER BY id",
            &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_array_append_new(json_object_get(doc, "locations"),
                              json_pack("{s:s,s:s,s:b}", "name", lfr_stmt_text(st, 0), "reason",
                                        lfr_stmt_text(st, 1), "sensitive",
                                        (int)lfr_stmt_int64(st, 2)));
        rc = 0;
    }
    lfr_stmt_free(st);
    if (rc >= 0) rc = audit(ctx, p, actor, "deployment.view", id, "deployment", NULL);
    deployment_clear(&d);
    rc = finish(ctx, p, rc < 0 ? rc : LFR_OK);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}

int lfr_deployment_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out)
{
    *out = NULL;
    int rc = can_view(ctx, actor);
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s, "SELECT id, name, state FROM deployments ORDER BY id",
                               &st)))
        return rc;
    json_t *arr = json_array();
    while ((rc = lfr_stmt_step(ctx, st)) == 1)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "id",
                                             (json_int_t)lfr_stmt_int64(st, 0), "name",
                                             lfr_stmt_text(st, 1), "state", lfr_stmt_text(st, 2)));
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}
