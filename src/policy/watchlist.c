/* policy/watchlist.c - bespoke, justified, reviewed watchlists (WL-1..8):
 * one per deployment, every entry with its provenance, a quality gate on
 * the photo, encrypted storage, review, and destruction at the end. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *categories[] = {"wanted",       "suspect",   "bail_or_order", "missing_at_risk",
                                   "risk_of_harm", "associate", "witness",       "victim"};
#define N_CATEGORIES 8

/* Associates, witnesses and victims need more (WL-2). */
static int needs_second_approval(const char *category)
{
    return !strcmp(category, "associate") || !strcmp(category, "witness") ||
           !strcmp(category, "victim");
}

/* Years between a YYYY-MM-DD date and now; -1 if malformed or future. */
static double photo_age_years(const char *date, int64_t now_ms)
{
    char iso[32];
    snprintf(iso, sizeof iso, "%.10sT00:00Z", date);
    if (strlen(date) != 10) return -1;
    int64_t t = lfr_parse_time_utc(iso);
    if (t < 0 || t > now_ms) return -1;
    return (double)(now_ms - t) / (365.25 * 24 * 3600 * 1000.0);
}

static int check_entry(lfr_ctx *ctx, const lfr_policy *p, const lfr_watchlist_entry *e,
                       int64_t now_ms, json_t *flags)
{
    int rc, known = 0;
    /* Provenance (WL-3) and the person's reference, as the record shows them. */
    if ((rc = text_check(ctx, "watchlist entry: person_ref", e->person_ref, 200, 0)) ||
        (rc = text_check(ctx, "watchlist entry: category", e->category, 40, 0)) ||
        (rc = text_check(ctx, "watchlist entry: reason (WL-3)", e->reason, 4000, 1)) ||
        (rc = text_check(ctx, "watchlist entry: source (WL-3)", e->source, 1000, 1)) ||
        (rc = text_check(ctx, "watchlist entry: legal_basis (WL-3)", e->legal_basis, 1000, 1)) ||
        (rc = text_check(ctx, "watchlist entry: photo_date", e->photo_date, 10, 0)) ||
        (e->extra_justification && *e->extra_justification &&
         (rc = text_check(ctx, "watchlist entry: extra_justification", e->extra_justification, 4000,
                          1))))
        return rc;
    for (int i = 0; i < N_CATEGORIES; i++)
        known |= !strcmp(e->category, categories[i]);
    if (!known)
        return lfr_fail(ctx, LFR_EINVAL,
                        "watchlist entry: category '%s' is not in the force's policy (WL-2)",
                        e->category);
    int extra = e->extra_justification && strlen(e->extra_justification) >= 20;
    if (needs_second_approval(e->category) && !extra)
        return lfr_fail(ctx, LFR_EINVAL,
                        "watchlist entry: a %s needs an extra written justification (WL-2)",
                        e->category);
    if (e->child && !extra)
        return lfr_fail(
            ctx, LFR_EINVAL,
            "watchlist entry: a child needs a recorded risk-of-harm justification (WL-6)");
    double age = photo_age_years(e->photo_date, now_ms);
    if (age < 0)
        return lfr_fail(ctx, LFR_EINVAL,
                        "watchlist entry: photo_date '%s' is not a past YYYY-MM-DD", e->photo_date);
    if (age > p->cfg.photo_max_years && !extra)
        return lfr_fail(ctx, LFR_EINVAL,
                        "watchlist entry: the photo is %.0f years old: over %d years it needs a "
                        "justification (WL-5)",
                        age, p->cfg.photo_max_years);
    if (age > p->cfg.photo_warn_years)
        json_array_append_new(flags, json_pack("{s:s,s:f}", "flag", "old_photo", "years", age));
    return LFR_OK;
}

int policy_enrol_face(lfr_ctx *ctx, const lfr_policy *p, const lfr_engine *engine,
                      const uint8_t *photo, size_t len, const char *what, float *tpl,
                      json_t **quality)
{
    lfr_image *img = NULL;
    lfr_face face;
    /* A face photo needs no more than 16 megapixels (48 MiB decoded). */
    lfr_decode_params dp = lfr_decode_default_params();
    dp.max_pixels = 16000000;
    dp.max_side_px = 8192;
    int rc = lfr_image_decode(ctx, photo, len, &dp, &img);
    if (rc) return lfr_fail_prefix(ctx, "%s", what);
    rc = lfr_engine_enrol(ctx, engine, img, &p->cfg.enrol, tpl, &face);
    lfr_image_free(img);
    if (rc) {
        /* No face is a refusal of the photo like any other. */
        if (rc == LFR_ENOFACE) rc = LFR_EINVAL;
        return lfr_fail(ctx, rc, "%s: %s", what, lfr_errmsg(ctx));
    }
    const lfr_face_quality *q = &face.quality;
    *quality = json_pack("{s:f,s:f,s:f,s:f,s:f}", "eye_distance_px", q->eye_distance_px, "yaw_deg",
                         q->yaw_deg, "pitch_deg", q->pitch_deg, "sharpness", q->sharpness,
                         "brightness", q->brightness);
    lfr_wipe(&face, sizeof face);
    return LFR_OK;
}

/* Near-duplicates among the deployment's entries: the same person twice,
 * or two people alike enough to be confused. */
static int compare_entries(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *person,
                           const float *tpl, int dim, json_t *flags)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, person_ref, template FROM watchlist_entries WHERE "
                              "deployment_id = ? AND template IS NOT NULL",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    float *other = lfr_alloc((size_t)dim * sizeof(float));
    if (!rc && !other) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        size_t n = 0;
        const uint8_t *box = lfr_stmt_blob(st, 2, &n);
        if (policy_open(p, "watchlist_entries.template", lfr_stmt_int64(st, 0), box, n, other,
                        (size_t)dim * sizeof(float)))
            continue; /* another model's template, or another key: not comparable */
        float s = lfr_cosine(tpl, other, dim);
        if (s >= p->cfg.duplicate_cos)
            json_array_append_new(flags, json_pack("{s:s,s:I,s:s,s:f}", "flag",
                                                   strcmp(lfr_stmt_text(st, 1), person)
                                                       ? "looks_like_another_entry"
                                                       : "duplicate",
                                                   "entry", (json_int_t)lfr_stmt_int64(st, 0),
                                                   "person_ref", lfr_stmt_text(st, 1), "score", s));
    }
    if (other) lfr_wipe_free(other, (size_t)dim * sizeof(float));
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

static int deployment_state(lfr_ctx *ctx, lfr_policy *p, int64_t id, char *state, size_t len,
                            int64_t *planned, int64_t *applicant)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(
        ctx, p->s, "SELECT state, fields, created_by FROM deployments WHERE id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)id);
    if (rc == 1) {
        /* The planned size from the record here, not in SQL: the same
         * statement then runs on SQLite and PostgreSQL. */
        json_error_t err;
        json_t *fields = json_loads(lfr_stmt_text(st, 1), 0, &err);
        snprintf(state, len, "%s", lfr_stmt_text(st, 0));
        *planned = json_integer_value(json_object_get(fields, "watchlist_size"));
        *applicant = lfr_stmt_int64(st, 2);
        json_decref(fields);
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

static int64_t count_entries(lfr_ctx *ctx, lfr_policy *p, int64_t deployment)
{
    return policy_count(ctx, p,
                        "SELECT count(*) FROM watchlist_entries WHERE deployment_id = ? AND "
                        "destroyed_ms IS NULL",
                        deployment);
}

void lfr_enrolment_free(lfr_enrolment *en)
{
    if (!en) return;
    if (en->tpl) lfr_wipe_free(en->tpl, (size_t)en->dim * sizeof(float));
    json_decref(en->quality);
    json_decref(en->flags);
    lfr_free(en);
}

int lfr_watchlist_enrol(lfr_ctx *ctx, const lfr_policy *p, const lfr_actor *actor,
                        const lfr_watchlist_entry *e, const lfr_engine *engine,
                        const uint8_t *photo, size_t photo_len, int64_t now_ms, lfr_enrolment **out)
{
    *out = NULL;
    /* Refused before the engine spends time on the photo. */
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "adding to a watchlist");
    if (rc) return rc;
    lfr_enrolment *en = lfr_calloc(1, sizeof *en);
    if (!en) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    en->dim = lfr_engine_embedding_size(engine);
    en->tpl = lfr_calloc((size_t)en->dim, sizeof(float));
    en->flags = json_array();
    rc = !en->tpl || !en->flags ? lfr_fail(ctx, LFR_ENOMEM, "out of memory") : LFR_OK;
    if (!rc) rc = check_entry(ctx, p, e, now_ms, en->flags);
    if (!rc)
        rc = policy_enrol_face(ctx, p, engine, photo, photo_len, "watchlist photo", en->tpl,
                               &en->quality);
    if (rc) {
        lfr_enrolment_free(en);
        return rc;
    }
    *out = en;
    return LFR_OK;
}

int lfr_watchlist_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      const lfr_watchlist_entry *e, const lfr_engine *engine, const uint8_t *photo,
                      size_t photo_len, int64_t now_ms, int64_t *id, json_t **flags_out)
{
    *id = 0;
    *flags_out = NULL;
    lfr_enrolment *en = NULL;
    int rc = lfr_watchlist_enrol(ctx, p, actor, e, engine, photo, photo_len, now_ms, &en);
    if (!rc)
        rc = lfr_watchlist_add_enrolled(ctx, p, actor, deployment, e, en, photo, photo_len, now_ms,
                                        id, flags_out);
    lfr_enrolment_free(en);
    return rc;
}

int lfr_watchlist_add_enrolled(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                               int64_t deployment, const lfr_watchlist_entry *e,
                               const lfr_enrolment *en, const uint8_t *photo, size_t photo_len,
                               int64_t now_ms, int64_t *id, json_t **flags_out)
{
    *id = 0;
    *flags_out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "adding to a watchlist");
    if (rc) return rc;
    if (!p->have_key)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "no watchlist key is configured: photos cannot be stored");
    json_t *flags = json_deep_copy(en->flags);
    int dim = en->dim;
    const float *tpl = en->tpl;
    uint8_t *photo_box = NULL, *tpl_box = NULL;
    size_t photo_box_len = 0, tpl_box_len = 0;
    lfr_stmt *st = NULL;
    if (!flags) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if ((rc = lfr_store_begin(ctx, p->s))) goto out;
    char state[16];
    int64_t planned = 0, applicant = 0;
    if ((rc = deployment_state(ctx, p, deployment, state, sizeof state, &planned, &applicant)))
        goto done;
    /* The watchlist is part of the application: its applicant builds it. */
    if (applicant != actor->id) {
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s did not apply for deployment %lld: only its applicant adds to its "
                      "watchlist",
                      actor->name, (long long)deployment);
        goto done;
    }
    /* WL-1: the list belongs to this deployment, and is fixed once it is
     * authorised (a change is a new authorisation). */
    if (strcmp(state, "draft") && strcmp(state, "submitted")) {
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: its watchlist is closed (WL-1)",
                      (long long)deployment, state);
        goto done;
    }
    int64_t n = count_entries(ctx, p, deployment);
    if (n < 0 || n >= p->cfg.max_watchlist) {
        rc = lfr_fail(ctx, LFR_EREFUSED, "the watchlist is at its maximum of %d entries (WL-7)",
                      p->cfg.max_watchlist);
        goto done;
    }
    if ((rc = compare_entries(ctx, p, deployment, e->person_ref, tpl, dim, flags))) goto done;
    char *quality_text = json_dumps(en->quality, JSON_COMPACT | JSON_SORT_KEYS);
    char *flags_text = json_dumps(flags, JSON_COMPACT);
    if (!quality_text || !flags_text) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (!rc)
        rc = lfr_stmt_prepare(ctx, p->s,
                              "INSERT INTO watchlist_entries (deployment_id, person_ref, category, "
                              "reason, source, legal_basis, photo_date, extra_justification, "
                              "child, added_by, added_ms, quality, flags) "
                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                              &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, e->person_ref)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, e->category)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 4, e->reason)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 5, e->source)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 6, e->legal_basis)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 7, e->photo_date)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 8, e->extra_justification)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 9, e->child != 0)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 10, actor->id)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 11, now_ms)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 12, quality_text)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 13, flags_text)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    free(quality_text);
    free(flags_text);
    lfr_stmt_free(st);
    st = NULL;
    /* Sealed once the row exists: each blob is bound to its row. */
    if (!rc) {
        *id = lfr_store_last_id(p->s);
        if (!(rc = policy_seal(ctx, p, "watchlist_entries.photo", *id, photo, photo_len, &photo_box,
                               &photo_box_len)) &&
            !(rc = policy_seal(ctx, p, "watchlist_entries.template", *id, tpl,
                               (size_t)dim * sizeof(float), &tpl_box, &tpl_box_len)) &&
            !(rc = lfr_stmt_prepare(ctx, p->s,
                                    "UPDATE watchlist_entries SET photo = ?, template = ? WHERE "
                                    "id = ?",
                                    &st)) &&
            !(rc = lfr_stmt_bind_blob(ctx, st, 1, photo_box, photo_box_len)) &&
            !(rc = lfr_stmt_bind_blob(ctx, st, 2, tpl_box, tpl_box_len)) &&
            !(rc = lfr_stmt_bind_int64(ctx, st, 3, *id)))
            rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    }
    if (!rc) {
        rc = audit(ctx, p, actor, "watchlist.add", *id, "watchlist_entry",
                   json_pack("{s:I,s:s,s:s,s:O}", "deployment", (json_int_t)deployment,
                             "person_ref", e->person_ref, "category", e->category, "flags", flags));
    }
done:
    rc = finish(ctx, p, rc);
out:
    lfr_stmt_free(st);
    lfr_free(photo_box);
    lfr_free(tpl_box);
    if (rc) {
        json_decref(flags);
        *id = 0;
    } else {
        *flags_out = flags;
    }
    return rc;
}

typedef struct entry_row {
    int64_t deployment, added_by, second_by, reviewed_by;
    char category[40];
    int child, destroyed;
    /* its deployment's */
    char state[16];
    int64_t applicant, authoriser;
} entry_row;

static int load_entry(lfr_ctx *ctx, lfr_policy *p, int64_t id, entry_row *r)
{
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s,
                         "SELECT e.deployment_id, e.added_by, coalesce(e.second_approved_by,0), "
                         "coalesce(e.reviewed_by,0), e.category, e.child, e.destroyed_ms IS NOT "
                         "NULL, d.state, d.created_by, coalesce(d.authorised_by,0) "
                         "FROM watchlist_entries e JOIN deployments d ON d.id = "
                         "e.deployment_id WHERE e.id = ?",
                         &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no watchlist entry %lld", (long long)id);
    if (rc == 1) {
        r->deployment = lfr_stmt_int64(st, 0);
        r->added_by = lfr_stmt_int64(st, 1);
        r->second_by = lfr_stmt_int64(st, 2);
        r->reviewed_by = lfr_stmt_int64(st, 3);
        snprintf(r->category, sizeof r->category, "%s", lfr_stmt_text(st, 4));
        r->child = (int)lfr_stmt_int64(st, 5);
        r->destroyed = (int)lfr_stmt_int64(st, 6);
        snprintf(r->state, sizeof r->state, "%s", lfr_stmt_text(st, 7));
        r->applicant = lfr_stmt_int64(st, 8);
        r->authoriser = lfr_stmt_int64(st, 9);
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

/* Runs an UPDATE of one entry whose n_values integer parameters (1 or 2)
 * come before the entry id. */
static int entry_update(lfr_ctx *ctx, lfr_policy *p, int64_t id, const char *sql, int n_values,
                        int64_t a, int64_t b)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, a);
    if (!rc && n_values == 2) rc = lfr_stmt_bind_int64(ctx, st, 2, b);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, n_values + 1, id);
    if (!rc) rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int lfr_watchlist_approve(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry)
{
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_AUTHORISER | LFR_ROLE_REVIEWER, "approving an entry");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    entry_row r;
    if ((rc = load_entry(ctx, p, entry, &r))) return finish(ctx, p, rc);
    if (!needs_second_approval(r.category) && !r.child)
        rc = lfr_fail(ctx, LFR_EREFUSED, "entry %lld needs no second approval", (long long)entry);
    else if (actor->id == r.added_by)
        rc = lfr_fail(ctx, LFR_EPERM, "the second approval must come from someone else (WL-2)");
    else if (r.child && actor->rank < p->cfg.min_rank)
        rc = lfr_fail(ctx, LFR_EPERM, "a child's entry is approved at %s rank or above (WL-6)",
                      lfr_rank_name(p->cfg.min_rank));
    if (!rc)
        rc = entry_update(ctx, p, entry,
                          "UPDATE watchlist_entries SET second_approved_by = ? WHERE id = ?", 1,
                          actor->id, 0);
    if (!rc) rc = audit(ctx, p, actor, "watchlist.approve", entry, "watchlist_entry", NULL);
    return finish(ctx, p, rc);
}

int lfr_watchlist_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                         int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_REVIEWER, "reviewing a watchlist entry");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    entry_row r;
    if ((rc = load_entry(ctx, p, entry, &r))) return finish(ctx, p, rc);
    if (r.destroyed)
        rc = lfr_fail(ctx, LFR_EREFUSED, "entry %lld was destroyed", (long long)entry);
    else if (r.added_by == actor->id)
        rc = lfr_fail(ctx, LFR_EPERM,
                      "%s added entry %lld and may not also review it (separation of duties, "
                      "SEC-1)",
                      actor->name, (long long)entry);
    if (!rc)
        rc = entry_update(
            ctx, p, entry,
            "UPDATE watchlist_entries SET reviewed_by = ?, reviewed_ms = ? WHERE id = ?", 2,
            actor->id, now_ms);
    if (!rc) rc = audit(ctx, p, actor, "watchlist.review", entry, "watchlist_entry", NULL);
    return finish(ctx, p, rc);
}

int lfr_watchlist_remove(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                         int64_t now_ms)
{
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_REVIEWER | LFR_ROLE_AUTHORISER,
                       "removing an entry");
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    entry_row r;
    if ((rc = load_entry(ctx, p, entry, &r))) return finish(ctx, p, rc);
    /* While the list is being built its applicant, or a reviewer, may
     * strike an entry; once authorised it is the authorising officer's
     * list, and a removal reaches the running cameras within a tick. */
    int building = !strcmp(r.state, "draft") || !strcmp(r.state, "submitted");
    int in_force =
        !strcmp(r.state, "authorised") || !strcmp(r.state, "live") || !strcmp(r.state, "suspended");
    if (r.destroyed)
        rc = lfr_fail(ctx, LFR_EREFUSED, "watchlist entry %lld was removed already",
                      (long long)entry);
    else if (!building && !in_force)
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: its watchlist is closed",
                      (long long)r.deployment, r.state);
    else if (building ? !(actor->id == r.applicant || (actor->roles & LFR_ROLE_REVIEWER))
                      : actor->id != r.authoriser)
        rc = lfr_fail(ctx, LFR_EPERM, "%s may not remove entry %lld: %s", actor->name,
                      (long long)entry,
                      building ? "the deployment's applicant or a reviewer does"
                               : "once authorised, its authorising officer does");
    /* Removal destroys the photo and template; the nominal record stays. */
    if (!rc)
        rc = entry_update(ctx, p, entry,
                          "UPDATE watchlist_entries SET photo = NULL, template = NULL, "
                          "destroyed_ms = ?, removed = 1 WHERE id = ?",
                          1, now_ms, 0);
    if (!rc) rc = audit(ctx, p, actor, "watchlist.remove", entry, "watchlist_entry", NULL);
    return finish(ctx, p, rc);
}

int lfr_watchlist_removed(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t *ids, int max,
                          int *n)
{
    *n = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id FROM watchlist_entries WHERE deployment_id = ? AND "
                              "destroyed_ms IS NOT NULL ORDER BY id",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        if (!ids) {
            (*n)++;
            continue;
        }
        if (*n == max) {
            rc = lfr_fail(ctx, LFR_ELIMIT, "deployment %lld: more than %d removed entries",
                          (long long)deployment, max);
            break;
        }
        ids[(*n)++] = lfr_stmt_int64(st, 0);
    }
    lfr_stmt_free(st);
    return rc;
}

int watchlist_destroy(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t now_ms)
{
    return policy_destroy_sealed(ctx, p,
                                 "UPDATE watchlist_entries SET photo = NULL, template = NULL, "
                                 "destroyed_ms = ?1 WHERE deployment_id = ?2 AND destroyed_ms IS "
                                 "NULL",
                                 "watchlist.destroy", deployment, now_ms);
}

int watchlist_reviewed_by(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t user,
                          int *reviewed)
{
    *reviewed = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT count(*) FROM watchlist_entries WHERE deployment_id = ? AND "
                              "reviewed_by = ?",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 2, user);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        *reviewed = lfr_stmt_int64(st, 0) > 0;
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

int watchlist_ready(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_actor *ao,
                    int64_t planned_size)
{
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s,
                         "SELECT id, category, child, coalesce(second_approved_by,0), "
                         "coalesce(reviewed_by,0) FROM watchlist_entries WHERE deployment_id = ? "
                         "AND destroyed_ms IS NULL",
                         &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    int64_t n = 0;
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        n++;
        int64_t id = lfr_stmt_int64(st, 0), second = lfr_stmt_int64(st, 3),
                reviewer = lfr_stmt_int64(st, 4);
        if (reviewer == 0)
            rc = lfr_fail(ctx, LFR_EREFUSED, "watchlist entry %lld has not been reviewed (WL-4)",
                          (long long)id);
        else if (reviewer == ao->id)
            rc = lfr_fail(
                ctx, LFR_EPERM,
                "watchlist entry %lld was reviewed by %s, who may not also authorise (WL-4)",
                (long long)id, ao->name);
        else if ((needs_second_approval(lfr_stmt_text(st, 1)) || lfr_stmt_int64(st, 2)) && !second)
            rc = lfr_fail(ctx, LFR_EREFUSED,
                          "watchlist entry %lld lacks its second approval (WL-2, WL-6)",
                          (long long)id);
    }
    lfr_stmt_free(st);
    if (rc < 0 || rc > 0) return rc;
    if (n > planned_size)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "the watchlist has %lld entries, more than the %lld authorised",
                        (long long)n, (long long)planned_size);
    return LFR_OK;
}

int lfr_watchlist_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                       json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(
        ctx, actor, LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_REVIEWER | LFR_ROLE_AUDITOR,
        "listing a watchlist");
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(
             ctx, p->s,
             "SELECT id, person_ref, category, photo_date, reviewed_by IS NOT NULL, "
             "destroyed_ms IS NOT NULL, flags, child, second_approved_by IS NOT "
             "NULL FROM watchlist_entries WHERE deployment_id = ? ORDER BY id",
             &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, deployment))) {
        lfr_stmt_free(st);
        return rc;
    }
    json_t *arr = json_array();
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        json_error_t err;
        json_t *flags = json_loads(lfr_stmt_text(st, 6), 0, &err);
        int child = (int)lfr_stmt_int64(st, 7);
        json_array_append_new(
            arr, json_pack("{s:I,s:s,s:s,s:s,s:b,s:b,s:o,s:b,s:b,s:b}", "id",
                           (json_int_t)lfr_stmt_int64(st, 0), "person_ref", lfr_stmt_text(st, 1),
                           "category", lfr_stmt_text(st, 2), "photo_date", lfr_stmt_text(st, 3),
                           "reviewed", (int)lfr_stmt_int64(st, 4), "destroyed",
                           (int)lfr_stmt_int64(st, 5), "flags", flags ? flags : json_array(),
                           "child", child, "needs_second_approval",
                           child || needs_second_approval(lfr_stmt_text(st, 2)), "second_approved",
                           (int)lfr_stmt_int64(st, 8)));
    }
    lfr_stmt_free(st);
    if (rc >= 0) rc = audit_listing(ctx, p, actor, "watchlist.list", deployment, "deployment", arr);
    if (rc < 0 || rc > 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_sar_lookup(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *person_ref,
                   json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_AUDITOR, "a subject access lookup");
    if (rc) return rc;
    if (!person_ref || !*person_ref || strlen(person_ref) > 200)
        return lfr_fail(ctx, LFR_EINVAL, "a person reference of 1-200 characters is needed");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    json_t *arr = json_array();
    if (!(rc =
              lfr_stmt_prepare(ctx, p->s,
                               "SELECT d.id, d.name, d.state, w.category, w.added_ms, "
                               "coalesce(d.started_ms,0), coalesce(d.ended_ms,0), (SELECT count(*) "
                               "FROM alerts a WHERE a.entry_id = w.id) FROM "
                               "watchlist_entries w JOIN deployments d ON d.id = w.deployment_id "
                               "WHERE w.person_ref = ? ORDER BY w.added_ms",
                               &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, person_ref))) {
        while ((rc = lfr_stmt_step(ctx, st)) == 1)
            json_array_append_new(
                arr, json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "deployment",
                               (json_int_t)lfr_stmt_int64(st, 0), "name", lfr_stmt_text(st, 1),
                               "state", lfr_stmt_text(st, 2), "category", lfr_stmt_text(st, 3),
                               "added_ms", (json_int_t)lfr_stmt_int64(st, 4), "started_ms",
                               (json_int_t)lfr_stmt_int64(st, 5), "ended_ms",
                               (json_int_t)lfr_stmt_int64(st, 6), "alerts_kept",
                               (json_int_t)lfr_stmt_int64(st, 7)));
        if (rc == 0)
            rc = audit(ctx, p, actor, "sar.lookup", 0, "person",
                       json_pack("{s:s,s:i}", "person_ref", person_ref, "found",
                                 (int)json_array_size(arr)));
    }
    lfr_stmt_free(st);
    rc = finish(ctx, p, rc < 0 ? rc : LFR_OK);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}
