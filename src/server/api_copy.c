/* server/api_copy.c - an earlier deployment's reviewed watchlist as the
 * start of this draft's (issue 15 item 6; the rules are in
 * policy/watchlist_copy.c). Each entry still holding its photo is added as
 * one typed by hand would be, through the same checks and the same quality
 * gate, and must be reviewed again; an entry whose photo was destroyed at
 * its deployment's end comes back as its record only, for the applicant
 * to add with a current photo (the console offers them as an import CSV).
 * Each is reported on its own. */
#include "internal.h"

#include <string.h>

/* Adds one entry of the earlier list with its photo, into the report. */
static int copy_entry(request *r, json_t *src, json_t *row)
{
    lfr_watchlist_entry e = {.person_ref = json_string_value(json_object_get(src, "person_ref")),
                             .category = json_string_value(json_object_get(src, "category")),
                             .reason = json_string_value(json_object_get(src, "reason")),
                             .source = json_string_value(json_object_get(src, "source")),
                             .legal_basis = json_string_value(json_object_get(src, "legal_basis")),
                             .photo_date = json_string_value(json_object_get(src, "photo_date")),
                             .extra_justification =
                                 json_string_value(json_object_get(src, "extra_justification")),
                             .child = json_is_true(json_object_get(src, "child"))};
    if (e.extra_justification && !*e.extra_justification) e.extra_justification = NULL;
    uint8_t *photo = NULL;
    size_t len = 0;
    int64_t id = 0;
    json_t *flags = NULL;
    lfr_ctx_clear(r->ctx);
    db_lock(r);
    int rc =
        lfr_watchlist_copy_photo(r->ctx, r->srv->policy, &r->sess.actor,
                                 json_integer_value(json_object_get(src, "entry")), &photo, &len);
    db_unlock(r);
    if (!rc) rc = watchlist_add_entry(r, &e, photo, len, &id, &flags);
    lfr_locked_free(photo);
    json_object_set_new(row, "status", json_string(rc ? "refused" : "added"));
    watchlist_row_result(r, row, rc, id, flags);
    return !rc;
}

enum MHD_Result api_watchlist_copy(request *r)
{
    static const body_field spec[] = {{"from", JSON_INTEGER, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    json_int_t from = json_integer_value(json_object_get(body, "from"));
    json_decref(body);
    json_t *src = NULL;
    db_lock(r);
    int rc =
        lfr_watchlist_copy_source(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], from, &src);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    if (!gate_enter(&photo_decodes)) {
        json_decref(src);
        return reply_busy(r, "too many photos are being checked at once");
    }
    json_t *rows = json_array();
    int added = 0, needs_photo = 0;
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(src, "entries"), i, entry)
    {
        json_t *row = json_pack("{s:O,s:O}", "entry", json_object_get(entry, "entry"), "person_ref",
                                json_object_get(entry, "person_ref"));
        if (json_is_true(json_object_get(entry, "photo_kept")))
            added += copy_entry(r, entry, row);
        else {
            /* The record, for the applicant to add again with a photo. */
            json_t *record = json_deep_copy(entry);
            json_object_del(record, "photo_kept");
            json_object_del(record, "entry");
            json_object_set_new(row, "status", json_string("needs_photo"));
            json_object_set_new(row, "record", record);
            needs_photo++;
        }
        json_array_append_new(rows, row);
    }
    gate_leave(&photo_decodes);
    int total = (int)json_array_size(rows);
    slog(LOG_INFO, "watchlist.copy", "deployment=%lld from=%lld added=%d needs_photo=%d",
         (long long)r->ids[0], (long long)from, added, needs_photo);
    enum MHD_Result ret =
        reply_json(r, 200,
                   json_pack("{s:I,s:O,s:O,s:i,s:i,s:i,s:O,s:o}", "from", from, "from_name",
                             json_object_get(src, "from_name"), "from_state",
                             json_object_get(src, "from_state"), "added", added, "needs_photo",
                             needs_photo, "refused", total - added - needs_photo, "removed_skipped",
                             json_object_get(src, "removed"), "rows", rows));
    json_decref(src);
    return ret;
}
