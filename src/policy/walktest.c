/* policy/walktest.c - the walk test (ACC-3): before a deployment goes live,
 * consenting staff on its blue list walk past its cameras, the operator
 * announces each pass, and the system reports the hit rate with its
 * interval, the time to alert and any false alert, for the authorising
 * officer to see before starting and for the post-deployment review.
 *
 * The blue list is not the watchlist: it is searched only during a walk
 * test, its hits never reach an engagement officer or the published alert
 * counts, no face of a hit is kept, and its templates go with the
 * deployment (or when it goes live).
 *
 * Scoring: a pass is found when its staff member is hit on its camera
 * (any camera if it names none) within WALK_PASS_MS of its start, before
 * that person's next pass. A hit no pass accounts for is a false alert. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WALK_PASS_MS 60000
#define MAX_BLUE 50

/* The open walk test of a deployment (0 if none). */
static int open_test(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t *test)
{
    *test = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id FROM walk_tests WHERE deployment_id = ? AND ended_ms IS "
                              "NULL ORDER BY id DESC LIMIT 1",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) *test = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

static int64_t count_blue(lfr_ctx *ctx, lfr_policy *p, int64_t deployment)
{
    return policy_count(ctx, p,
                        "SELECT count(*) FROM blue_entries WHERE deployment_id = ? AND "
                        "destroyed_ms IS NULL",
                        deployment);
}

int lfr_bluelist_enrol(lfr_ctx *ctx, const lfr_policy *p, const lfr_actor *actor,
                       const lfr_engine *engine, const uint8_t *photo, size_t photo_len,
                       lfr_enrolment **out)
{
    *out = NULL;
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_OPERATOR, "adding to a blue list");
    if (rc) return rc;
    lfr_enrolment *en = lfr_calloc(1, sizeof *en);
    if (!en) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    en->dim = lfr_engine_embedding_size(engine);
    en->tpl = lfr_calloc((size_t)en->dim, sizeof(float));
    rc = en->tpl ? policy_enrol_face(ctx, p, engine, photo, photo_len, "blue list photo", en->tpl,
                                     &en->quality)
                 : lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (rc) {
        lfr_enrolment_free(en);
        return rc;
    }
    *out = en;
    return LFR_OK;
}

int lfr_bluelist_add_enrolled(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                              int64_t deployment, const char *staff_ref, const char *consent_ref,
                              const lfr_enrolment *en, int64_t now_ms, int64_t *id)
{
    *id = 0;
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_OPERATOR, "adding to a blue list");
    if (!rc) rc = text_check(ctx, "staff_ref", staff_ref, 200, 0);
    /* Only staff who agreed in writing: the consent form's reference. */
    if (!rc) rc = text_check(ctx, "consent_ref", consent_ref, 200, 0);
    if (!rc && !p->have_key)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "no watchlist key is configured: templates cannot be stored");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    uint8_t *box = NULL;
    size_t box_len = 0;
    lfr_stmt *st = NULL;
    if ((rc = deployment_load(ctx, p, deployment, &d))) return finish(ctx, p, rc);
    if (strcmp(d.state, "draft") && strcmp(d.state, "submitted") && strcmp(d.state, "authorised"))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is %s: a blue list is built before it goes live",
                      (long long)deployment, d.state);
    else if (!(actor->roles & LFR_ROLE_OPERATOR) && actor->id != d.created_by)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s did not apply for deployment %lld: its applicant or an operator builds "
                      "its blue list",
                      actor->name, (long long)deployment);
    else if (count_blue(ctx, p, deployment) >= MAX_BLUE)
        rc = lfr_fail(ctx, LFR_ELIMIT, "the blue list is at its maximum of %d staff", MAX_BLUE);
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO blue_entries (deployment_id, staff_ref, consent_ref, "
                                "added_by, added_ms) VALUES (?,?,?,?,?)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, staff_ref)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, consent_ref)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 5, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    st = NULL;
    /* Sealed once the row exists, bound to it. */
    if (!rc) {
        *id = lfr_store_last_id(p->s);
        if (!(rc = policy_seal(ctx, p, "blue_entries.template", *id, en->tpl,
                               (size_t)en->dim * sizeof(float), &box, &box_len)) &&
            !(rc = lfr_stmt_prepare(ctx, p->s, "UPDATE blue_entries SET template = ? WHERE id = ?",
                                    &st)) &&
            !(rc = lfr_stmt_bind_blob(ctx, st, 1, box, box_len)) &&
            !(rc = lfr_stmt_bind_int64(ctx, st, 2, *id)))
            rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
        lfr_stmt_free(st);
        lfr_free(box);
    }
    if (!rc) {
        rc = audit(ctx, p, actor, "bluelist.add", *id, "blue_entry",
                   json_pack("{s:I,s:s,s:s}", "deployment", (json_int_t)deployment, "staff_ref",
                             staff_ref, "consent_ref", consent_ref));
    }
    deployment_clear(&d);
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

int lfr_bluelist_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(
        ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_OPERATOR | LFR_ROLE_AUDITOR,
        "listing a blue list");
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "SELECT b.id, b.staff_ref, b.consent_ref, u.name, b.added_ms, "
                               "b.destroyed_ms IS NOT NULL FROM blue_entries b JOIN users u ON "
                               "u.id = b.added_by WHERE b.deployment_id = ? ORDER BY b.id",
                               &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, deployment))) {
        lfr_stmt_free(st);
        return rc;
    }
    json_t *arr = json_array();
    while ((rc = lfr_stmt_step(ctx, st)) == 1)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:I,s:b}", "id",
                                             (json_int_t)lfr_stmt_int64(st, 0), "staff_ref",
                                             lfr_stmt_text(st, 1), "consent_ref",
                                             lfr_stmt_text(st, 2), "added_by", lfr_stmt_text(st, 3),
                                             "added_ms", (json_int_t)lfr_stmt_int64(st, 4),
                                             "destroyed", (int)lfr_stmt_int64(st, 5)));
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    if ((rc = audit_listing(ctx, p, actor, "bluelist.view", deployment, "deployment", arr))) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_bluelist_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                         lfr_gallery **out)
{
    return policy_gallery(ctx, p, deployment, engine, BLUELIST_TEMPLATES, "blue_entries.template",
                          "blue list entry", out);
}

int bluelist_destroy(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t now_ms)
{
    return policy_destroy_sealed(ctx, p,
                                 "UPDATE blue_entries SET template = NULL, destroyed_ms = ?1 "
                                 "WHERE deployment_id = ?2 AND destroyed_ms IS NULL",
                                 "bluelist.destroy", deployment, now_ms);
}

int walktest_close(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   int64_t now_ms, const char *why)
{
    int64_t test = 0;
    int rc = open_test(ctx, p, deployment, &test);
    if (rc || !test) return rc;
    lfr_stmt *st = NULL;
    rc = lfr_stmt_prepare(ctx, p->s, "UPDATE walk_tests SET ended_ms = ? WHERE id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, now_ms);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 2, test);
    if (!rc) rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc)
        rc = audit(ctx, p, actor, "walktest.end", test, "walk_test",
                   json_pack("{s:I,s:s}", "deployment", (json_int_t)deployment, "reason", why));
    return rc;
}

int lfr_walktest_start(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                       int64_t now_ms, int64_t *id)
{
    *id = 0;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR, "running a walk test");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    deployment_row d;
    if ((rc = deployment_load(ctx, p, deployment, &d))) return finish(ctx, p, rc);
    int64_t open = 0;
    json_t *t = json_object_get(d.fields, "threshold");
    /* The cameras run only when they could run live: authorised, inside
     * the window (DEP-5), and at the authorised threshold. */
    if (strcmp(d.state, "authorised"))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is %s: a walk test runs once it is authorised and before "
                      "it goes live",
                      (long long)deployment, d.state);
    else if (!deployment_in_window(&d, now_ms))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld is outside its authorised window (DEP-5): no face may be "
                      "processed now, not even for a walk test",
                      (long long)deployment);
    else if (deployment_ratification_lapsed(&d, now_ms))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "the urgent authorisation was not ratified in time (DEP-3)");
    else if (count_blue(ctx, p, deployment) <= 0)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "deployment %lld has nobody on its blue list: add the consenting staff "
                      "who will walk first",
                      (long long)deployment);
    else if (!json_is_number(t))
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld has no threshold", (long long)deployment);
    else if (!(rc = open_test(ctx, p, deployment, &open)) && open)
        rc = lfr_fail(ctx, LFR_EREFUSED, "walk test %lld of deployment %lld is still running",
                      (long long)open, (long long)deployment);
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO walk_tests (deployment_id, started_by, started_ms, "
                                "threshold) VALUES (?,?,?,?)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, now_ms)) &&
        !(rc = lfr_stmt_bind_double(ctx, st, 4, json_number_value(t))))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc) {
        *id = lfr_store_last_id(p->s);
        rc = audit(ctx, p, actor, "walktest.start", *id, "walk_test",
                   json_pack("{s:I,s:f}", "deployment", (json_int_t)deployment, "threshold",
                             json_number_value(t)));
    }
    deployment_clear(&d);
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

int lfr_walktest_pass(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      int64_t entry, const char *camera, int64_t now_ms, int64_t *id)
{
    *id = 0;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR, "announcing a walk test pass");
    if (!rc && camera && *camera) rc = text_check(ctx, "camera", camera, 63, 0);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    int64_t test = 0;
    lfr_stmt *st = NULL;
    if (!(rc = open_test(ctx, p, deployment, &test)) && !test)
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld has no walk test running",
                      (long long)deployment);
    /* The staff member is on this deployment's blue list; the camera is one of its own. */
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "SELECT (SELECT count(*) FROM blue_entries WHERE id = ?1 AND "
                                "deployment_id = ?2 AND destroyed_ms IS NULL), (SELECT count(*) "
                                "FROM cameras WHERE deployment_id = ?2 AND name = ?3)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, entry)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, camera ? camera : "")) &&
        (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = LFR_OK;
        if (lfr_stmt_int64(st, 0) != 1)
            rc = lfr_fail(ctx, LFR_ENOENT, "entry %lld is not on deployment %lld's blue list",
                          (long long)entry, (long long)deployment);
        else if (camera && *camera && lfr_stmt_int64(st, 1) != 1)
            rc = lfr_fail(ctx, LFR_ENOENT, "deployment %lld has no camera named '%s'",
                          (long long)deployment, camera);
    }
    lfr_stmt_free(st);
    st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO walk_passes (walk_test_id, entry_id, camera, "
                                "started_ms) VALUES (?,?,?,?)",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, test)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, entry)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, camera && *camera ? camera : NULL)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc) {
        *id = lfr_store_last_id(p->s);
        rc = audit(ctx, p, actor, "walktest.pass", test, "walk_test",
                   json_pack("{s:I,s:I,s:s?}", "pass", (json_int_t)*id, "entry", (json_int_t)entry,
                             "camera", camera && *camera ? camera : NULL));
    }
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

int lfr_walktest_end(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                     int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_OPERATOR, "ending a walk test");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    int64_t test = 0;
    if (!(rc = open_test(ctx, p, deployment, &test)) && !test)
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld has no walk test running",
                      (long long)deployment);
    if (!rc) rc = walktest_close(ctx, p, actor, deployment, now_ms, "ended by the operator");
    return finish(ctx, p, rc);
}

int lfr_walktest_hit(lfr_ctx *ctx, lfr_policy *p, int64_t test, int64_t entry, const char *camera,
                     int64_t time_ms, double score)
{
    if (!camera || !*camera || strlen(camera) > 63 || !(score >= -1 && score <= 1))
        return lfr_fail(ctx, LFR_EINVAL, "walk test hit: camera id or score out of range");
    lfr_stmt *st = NULL;
    /* Only while the test runs, and only for its own blue list. */
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "INSERT INTO walk_hits (walk_test_id, entry_id, camera, time_ms, "
                              "score) SELECT ?1,?2,?3,?4,?5 FROM walk_tests w JOIN blue_entries b "
                              "ON b.deployment_id = w.deployment_id WHERE w.id = ?1 AND b.id = "
                              "?2 AND w.ended_ms IS NULL",
                              &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, test)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, entry)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, camera)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, time_ms)) &&
        !(rc = lfr_stmt_bind_double(ctx, st, 5, score)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "walk test %lld is over, or entry %lld is not on its blue list",
                      (long long)test, (long long)entry);
    return rc;
}

typedef struct walk_pass {
    int64_t id, entry, started_ms, until_ms, first_hit_ms;
    char camera[64];
    char staff[208];
} walk_pass;

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One walk test's result. With details, each pass (staff, camera, found,
 * seconds to alert): for the operator and the authorising officer, not
 * for published figures. */
static int test_result(lfr_ctx *ctx, lfr_policy *p, int64_t test, int64_t ended_ms, int details,
                       json_t *doc)
{
    lfr_stmt *st = NULL;
    walk_pass *passes = NULL;
    int n = 0, cap = 0, rc;
    int64_t end = ended_ms > 0 ? ended_ms : INT64_MAX;
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "SELECT w.id, w.entry_id, coalesce(w.camera,''), w.started_ms, "
                               "b.staff_ref FROM walk_passes w JOIN blue_entries b ON b.id = "
                               "w.entry_id WHERE w.walk_test_id = ? ORDER BY w.started_ms, w.id",
                               &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, test)))
        goto done;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        if (n == cap) {
            walk_pass *grown =
                lfr_realloc(passes, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *grown);
            if (!grown) {
                rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
                goto done;
            }
            passes = grown;
        }
        walk_pass *w = &passes[n++];
        memset(w, 0, sizeof *w);
        w->id = lfr_stmt_int64(st, 0);
        w->entry = lfr_stmt_int64(st, 1);
        snprintf(w->camera, sizeof w->camera, "%s", lfr_stmt_text(st, 2));
        w->started_ms = lfr_stmt_int64(st, 3);
        snprintf(w->staff, sizeof w->staff, "%s", lfr_stmt_text(st, 4));
        w->until_ms = w->started_ms + WALK_PASS_MS < end ? w->started_ms + WALK_PASS_MS : end;
    }
    if (rc < 0) goto done;
    /* A person's pass ends when their next one starts. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (passes[j].entry == passes[i].entry) {
                if (passes[j].started_ms < passes[i].until_ms)
                    passes[i].until_ms = passes[j].started_ms;
                break;
            }
    lfr_stmt_free(st);
    st = NULL;
    int64_t false_alerts = 0, hits = 0;
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "SELECT entry_id, camera, time_ms FROM walk_hits WHERE "
                               "walk_test_id = ? ORDER BY time_ms, id",
                               &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, test)))
        goto done;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        int64_t entry = lfr_stmt_int64(st, 0), t = lfr_stmt_int64(st, 2);
        const char *camera = lfr_stmt_text(st, 1);
        int accounted = 0;
        hits++;
        for (int i = 0; i < n && !accounted; i++) {
            walk_pass *w = &passes[i];
            if (w->entry != entry || t < w->started_ms || t >= w->until_ms) continue;
            if (*w->camera && strcmp(w->camera, camera)) continue;
            accounted = 1;
            if (!w->first_hit_ms) w->first_hit_ms = t;
        }
        false_alerts += !accounted;
    }
    if (rc < 0) goto done;
    rc = LFR_OK;
    int64_t found = 0;
    int64_t *delays = n ? lfr_alloc((size_t)n * sizeof *delays) : NULL;
    if (n && !delays) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        goto done;
    }
    json_t *list = details ? json_array() : NULL;
    for (int i = 0; i < n; i++) {
        walk_pass *w = &passes[i];
        if (w->first_hit_ms) delays[found++] = w->first_hit_ms - w->started_ms;
        if (list)
            json_array_append_new(
                list,
                json_pack("{s:I,s:I,s:s,s:s?,s:I,s:b,s:o}", "id", (json_int_t)w->id, "entry",
                          (json_int_t)w->entry, "staff_ref", w->staff, "camera",
                          *w->camera ? w->camera : NULL, "started_ms", (json_int_t)w->started_ms,
                          "found", w->first_hit_ms != 0, "seconds_to_alert",
                          w->first_hit_ms
                              ? json_real((double)(w->first_hit_ms - w->started_ms) / 1000.0)
                              : json_null()));
    }
    qsort(delays, (size_t)found, sizeof *delays, cmp_int64);
    double lo, hi;
    lfr_wilson95(found, n, &lo, &hi);
    json_object_set_new(doc, "passes", json_integer(n));
    json_object_set_new(doc, "found", json_integer(found));
    json_object_set_new(doc, "hit_rate", n ? json_real((double)found / n) : json_null());
    json_object_set_new(doc, "hit_rate_lo", json_real(lo));
    json_object_set_new(doc, "hit_rate_hi", json_real(hi));
    json_object_set_new(
        doc, "median_seconds_to_alert",
        found ? json_real((double)(found % 2 ? delays[found / 2]
                                             : (delays[found / 2 - 1] + delays[found / 2]) / 2) /
                          1000.0)
              : json_null());
    json_object_set_new(doc, "hits", json_integer(hits));
    json_object_set_new(doc, "false_alerts", json_integer(false_alerts));
    json_object_set_new(doc, "pass_seconds", json_integer(WALK_PASS_MS / 1000));
    if (list) json_object_set_new(doc, "pass_list", list);
    lfr_free(delays);
done:
    lfr_stmt_free(st);
    lfr_free(passes);
    return rc < 0 ? rc : LFR_OK;
}

int walktest_results(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int details, json_t **out)
{
    *out = NULL;
    lfr_stmt *st = NULL;
    json_t *arr = json_array();
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT w.id, w.started_ms, coalesce(w.ended_ms, 0), w.threshold, "
                              "u.name FROM walk_tests w JOIN users u ON u.id = w.started_by "
                              "WHERE w.deployment_id = ? ORDER BY w.id",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        int64_t ended = lfr_stmt_int64(st, 2);
        json_t *doc = json_pack("{s:I,s:I,s:o,s:f,s:s}", "id", (json_int_t)lfr_stmt_int64(st, 0),
                                "started_ms", (json_int_t)lfr_stmt_int64(st, 1), "ended_ms",
                                ended ? json_integer(ended) : json_null(), "threshold",
                                lfr_stmt_double(st, 3), "started_by", lfr_stmt_text(st, 4));
        json_array_append_new(arr, doc);
        rc = test_result(ctx, p, lfr_stmt_int64(st, 0), ended, details, doc);
    }
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_walktest_results(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                         json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(
        ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_OPERATOR | LFR_ROLE_AUDITOR,
        "viewing walk tests");
    if (!rc) rc = walktest_results(ctx, p, deployment, 1, out);
    return rc;
}
