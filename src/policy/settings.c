/* policy/settings.c - the settings a force decides and records in the
 * database, each set by a named officer with the evidence behind it and
 * audited: today the threshold floor (DEP-6). The server and the command
 * line read the same row, so one database has one floor. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int settings_load(lfr_ctx *ctx, lfr_policy *p)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT value FROM settings WHERE name = 'threshold_floor'", &st);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        char *end = NULL;
        double v = strtod(lfr_stmt_text(st, 0), &end);
        rc = end && !*end && v >= -1 && v <= 1
                 ? LFR_OK
                 : lfr_fail(ctx, LFR_EFORMAT, "settings: a damaged threshold floor '%s'",
                            lfr_stmt_text(st, 0));
        if (!rc) p->cfg.threshold_floor = v;
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int lfr_policy_set_floor(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, double floor,
                         const char *evidence, int64_t now_ms)
{
    /* The floor decides who may be alerted on: a senior officer's decision
     * (the rank that authorises), resting on validation evidence (ACC-1). */
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER, "setting the threshold floor");
    if (!rc && actor->rank < p->cfg.min_rank)
        rc = lfr_fail(ctx, LFR_EPERM, "setting the threshold floor needs the rank of %s or above",
                      lfr_rank_name(p->cfg.min_rank));
    if (!rc && !(floor >= -1 && floor <= 1))
        rc = lfr_fail(ctx, LFR_EINVAL, "threshold floor: a cosine similarity in [-1, 1]");
    if (!rc) rc = text_check(ctx, "evidence", evidence, 500, 0);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    char value[32];
    snprintf(value, sizeof value, "%.4f", floor);
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO settings (name, value, evidence, set_by, set_ms) "
                                "VALUES ('threshold_floor', ?, ?, ?, ?) ON CONFLICT (name) DO "
                                "UPDATE SET value = excluded.value, evidence = excluded.evidence, "
                                "set_by = excluded.set_by, set_ms = excluded.set_ms",
                                &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, value)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, evidence)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc)
        rc =
            audit(ctx, p, actor, "settings.threshold_floor", 0, "settings",
                  json_pack("{s:f,s:f,s:f,s:s}", "floor", floor, "previous", p->cfg.threshold_floor,
                            "model_floor", p->model_floor, "evidence", evidence));
    rc = finish(ctx, p, rc);
    if (!rc) p->cfg.threshold_floor = floor;
    return rc;
}

int lfr_policy_floor(lfr_ctx *ctx, lfr_policy *p, json_t **out)
{
    *out = NULL;
    lfr_stmt *st = NULL;
    json_t *doc = json_pack("{s:f,s:f,s:s}", "threshold_floor", p->cfg.threshold_floor,
                            "model_floor", p->model_floor, "source", "model");
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT s.evidence, u.name, s.set_ms FROM settings s JOIN users u "
                              "ON u.id = s.set_by WHERE s.name = 'threshold_floor'",
                              &st);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        json_object_set_new(doc, "source", json_string("set by the force"));
        json_object_set_new(doc, "evidence", json_string(lfr_stmt_text(st, 0)));
        json_object_set_new(doc, "set_by", json_string(lfr_stmt_text(st, 1)));
        json_object_set_new(doc, "set_ms", json_integer(lfr_stmt_int64(st, 2)));
    }
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return LFR_OK;
}
