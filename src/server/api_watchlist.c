/* server/api_watchlist.c - building and reviewing a deployment's watchlist
 * (WL-1..8) over HTTP. Photos arrive as base64 in JSON, so one strict parser
 * checks every byte of the request. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

gate photo_decodes = {.max = 2};

typedef int (*entry_step)(lfr_ctx *, lfr_policy *, const lfr_actor *, int64_t, int64_t);

enum MHD_Result api_watchlist_list(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_watchlist_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

int body_photo(request *r, json_t *body, uint8_t **photo, size_t *len, size_t *cap)
{
    const char *b64 = body_str(body, "photo_base64");
    size_t b64_len = strlen(b64);
    *len = 0;
    *cap = b64_len / 4 * 3 + 3;
    if (!(*photo = lfr_alloc(*cap))) {
        reply_error(r, 500, "internal", "out of memory");
        return -1;
    }
    if (sodium_base642bin(*photo, *cap, b64, b64_len, NULL, len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        *len == 0) {
        reply_error(r, 400, "bad_request", "photo_base64 is not base64");
        return -1;
    }
    return 0;
}

void body_photo_wipe(request *r, json_t *body, uint8_t *photo, size_t cap)
{
    const char *b64 = body_str(body, "photo_base64");
    if (photo) lfr_wipe_free(photo, cap);
    /* The request body held the photo too, and so does the parsed string. */
    sodium_memzero(r->body, r->body_len);
    if (b64) sodium_memzero((char *)b64, strlen(b64));
}

int watchlist_add_entry(request *r, const lfr_watchlist_entry *e, const uint8_t *photo, size_t len,
                        int64_t *id, json_t **flags)
{
    lfr_enrolment *en = NULL;
    int rc = lfr_watchlist_enrol(r->ctx, r->srv->policy, &r->sess.actor, e, r->srv->engine, photo,
                                 len, server_now_ms(), &en);
    if (!rc) {
        db_lock(r);
        rc = lfr_watchlist_add_enrolled(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], e, en,
                                        photo, len, server_now_ms(), id, flags);
        db_unlock(r);
    }
    lfr_enrolment_free(en);
    return rc;
}

json_t *watchlist_row_result(request *r, json_t *row, int rc, int64_t id, json_t *flags)
{
    if (rc)
        json_object_set_new(
            row, "error",
            json_pack("{s:s,s:s}", "code", lfr_err_api_code(rc), "message", lfr_errmsg(r->ctx)));
    else {
        json_object_set_new(row, "id", json_integer(id));
        json_object_set_new(row, "flags", flags ? flags : json_array());
    }
    return row;
}

enum MHD_Result api_watchlist_add(request *r)
{
    static const body_field spec[] = {{"person_ref", JSON_STRING, 1},
                                      {"category", JSON_STRING, 1},
                                      {"reason", JSON_STRING, 1},
                                      {"source", JSON_STRING, 1},
                                      {"legal_basis", JSON_STRING, 1},
                                      {"photo_date", JSON_STRING, 1},
                                      {"extra_justification", JSON_STRING, 0},
                                      {"child", JSON_TRUE, 0},
                                      {"photo_base64", JSON_STRING, 1},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    uint8_t *photo = NULL;
    size_t len = 0, cap = 0;
    enum MHD_Result ret = MHD_YES;
    if (body_photo(r, body, &photo, &len, &cap)) goto done;
    lfr_watchlist_entry e = {.person_ref = body_str(body, "person_ref"),
                             .category = body_str(body, "category"),
                             .reason = body_str(body, "reason"),
                             .source = body_str(body, "source"),
                             .legal_basis = body_str(body, "legal_basis"),
                             .photo_date = body_str(body, "photo_date"),
                             .extra_justification = body_str(body, "extra_justification"),
                             .child = json_is_true(json_object_get(body, "child"))};
    int64_t id = 0;
    json_t *flags = NULL;
    if (!gate_enter(&photo_decodes)) {
        ret = reply_busy(r, "too many photos are being checked at once");
        goto done;
    }
    int rc = watchlist_add_entry(r, &e, photo, len, &id, &flags);
    gate_leave(&photo_decodes);
    ret = rc ? reply_rc(r, rc)
             : reply_json(r, 201,
                          json_pack("{s:I,s:o}", "id", (json_int_t)id, "flags",
                                    flags ? flags : json_array()));
done:
    body_photo_wipe(r, body, photo, cap);
    json_decref(body);
    return ret;
}

enum MHD_Result api_watchlist_photo(request *r)
{
    uint8_t *img = NULL;
    size_t len = 0;
    db_lock(r);
    int rc = lfr_watchlist_photo(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &img, &len);
    db_unlock(r);
    return reply_image(r, rc, img, len);
}

static enum MHD_Result entry_step_reply(request *r, entry_step step)
{
    db_lock(r);
    int rc = step(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], server_now_ms());
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_watchlist_review(request *r)
{
    return entry_step_reply(r, lfr_watchlist_review);
}

enum MHD_Result api_watchlist_remove(request *r)
{
    return entry_step_reply(r, lfr_watchlist_remove);
}

enum MHD_Result api_watchlist_approve(request *r)
{
    db_lock(r);
    int rc = lfr_watchlist_approve(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0]);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}
