/* policy/watchlist_copy.c - an earlier deployment's reviewed watchlist as
 * the start of a new one (issue 15 item 6). A force that deploys week
 * after week at the same place wants last week's list again; but each
 * deployment's list is its own (WL-1), reviewed for it (WL-4), and destroyed
 * when it ends (WL-8). So a copy is never the old list: each entry's
 * nominal record goes through the same checks as one typed by hand, into a
 * draft where it must be reviewed again, and its photo comes along only
 * while the earlier list still holds it (a deployment not yet over). Once
 * destroyed, the record is all that is left, and the applicant brings a
 * current photo. This file gives what may be copied; the caller adds each
 * entry (lfr_watchlist_enrol, lfr_watchlist_add_enrolled). */
#include "internal.h"

#include <string.h>

/* The target's applicant and state, refused early with the reason the
 * adds would give one by one. */
static int check_target(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t target)
{
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s, "SELECT state, created_by FROM deployments WHERE id = ?", &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, target))) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)target);
    if (rc == 1) {
        const char *state = lfr_stmt_text(st, 0);
        if (lfr_stmt_int64(st, 1) != actor->id)
            rc = lfr_fail(ctx, LFR_EPERM,
                          "%s did not apply for deployment %lld: only its applicant builds its "
                          "watchlist",
                          actor->name, (long long)target);
        else if (strcmp(state, "draft") && strcmp(state, "submitted"))
            rc =
                lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: its watchlist is closed (WL-1)",
                         (long long)target, state);
        else
            rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

int lfr_watchlist_copy_source(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t target,
                              int64_t from, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "copying a watchlist");
    if (rc) return rc;
    if (from == target)
        return lfr_fail(ctx, LFR_EINVAL, "a watchlist is copied from another deployment");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    json_t *doc = NULL, *entries = json_array();
    lfr_stmt *st = NULL;
    if ((rc = check_target(ctx, p, actor, target))) goto done;
    if ((rc = lfr_stmt_prepare(ctx, p->s, "SELECT name, state FROM deployments WHERE id = ?",
                               &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, from)))
        goto done;
    if ((rc = lfr_stmt_step(ctx, st)) != 1) {
        if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)from);
        goto done;
    }
    doc = json_pack("{s:I,s:s,s:s}", "from", (json_int_t)from, "from_name", lfr_stmt_text(st, 0),
                    "from_state", lfr_stmt_text(st, 1));
    lfr_stmt_free(st);
    st = NULL;
    /* Reviewed entries only (what was authorised, or was about to be);
     * an entry taken off the list while it ran is not wanted again. */
    int removed = 0, photos = 0;
    if ((rc = lfr_stmt_prepare(
             ctx, p->s,
             "SELECT w.id, w.person_ref, w.category, w.reason, w.source, w.legal_basis, "
             "w.photo_date, coalesce(w.extra_justification, ''), w.child, w.photo IS NOT NULL, "
             "w.removed FROM watchlist_entries w WHERE w.deployment_id = ? AND w.reviewed_by IS "
             "NOT NULL ORDER BY w.id",
             &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, from)))
        goto done;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        if (lfr_stmt_int64(st, 10)) {
            removed++;
            continue;
        }
        int kept = (int)lfr_stmt_int64(st, 9);
        photos += kept;
        json_array_append_new(
            entries,
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "entry",
                      (json_int_t)lfr_stmt_int64(st, 0), "person_ref", lfr_stmt_text(st, 1),
                      "category", lfr_stmt_text(st, 2), "reason", lfr_stmt_text(st, 3), "source",
                      lfr_stmt_text(st, 4), "legal_basis", lfr_stmt_text(st, 5), "photo_date",
                      lfr_stmt_text(st, 6), "extra_justification", lfr_stmt_text(st, 7), "child",
                      (int)lfr_stmt_int64(st, 8), "photo_kept", kept));
    }
    if (rc < 0) goto done;
    json_object_set(doc, "entries", entries);
    json_object_set_new(doc, "removed", json_integer(removed));
    rc = audit(ctx, p, actor, "watchlist.copy", target, "deployment",
               json_pack("{s:I,s:i,s:i,s:i}", "from", (json_int_t)from, "entries",
                         (int)json_array_size(entries), "photos_kept", photos, "removed_skipped",
                         removed));
done:
    lfr_stmt_free(st);
    json_decref(entries);
    rc = finish(ctx, p, rc < 0 || rc > 0 ? rc : LFR_OK);
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}

int lfr_watchlist_copy_photo(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                             uint8_t **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "copying a watchlist");
    if (rc) return rc;
    lfr_stmt *st = NULL;
    rc = lfr_stmt_prepare(ctx, p->s,
                          "SELECT photo FROM watchlist_entries WHERE id = ? AND reviewed_by IS "
                          "NOT NULL AND photo IS NOT NULL",
                          &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, entry))) rc = lfr_stmt_step(ctx, st);
    if (rc == 0)
        rc = lfr_fail(ctx, LFR_ENOENT, "watchlist entry %lld: no reviewed photo to copy",
                      (long long)entry);
    if (rc == 1) {
        size_t n = 0;
        const uint8_t *box = lfr_stmt_blob(st, 0, &n);
        rc = policy_open_alloc(ctx, p, "watchlist_entries.photo", entry, box, n, jpeg, len);
    }
    lfr_stmt_free(st);
    return rc;
}
