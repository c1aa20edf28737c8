/* server/api_walktest.c - the walk test over HTTP (ACC-3): the blue list of
 * consenting staff, starting and ending a test, announcing each pass, and
 * the results. The rules are the policy's (policy/walktest.c); the runner
 * runs the cameras on the blue list while a test is open. */
#include "internal.h"

#include <string.h>

enum MHD_Result api_bluelist_list(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_bluelist_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

enum MHD_Result api_bluelist_add(request *r)
{
    static const body_field spec[] = {{"staff_ref", JSON_STRING, 1},
                                      {"consent_ref", JSON_STRING, 1},
                                      {"photo_base64", JSON_STRING, 1},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    uint8_t *photo = NULL;
    size_t len = 0, cap = 0;
    enum MHD_Result ret = MHD_YES;
    if (body_photo(r, body, &photo, &len, &cap)) goto done;
    if (!gate_enter(&photo_decodes)) {
        ret = reply_busy(r, "too many photos are being checked at once");
        goto done;
    }
    lfr_enrolment *en = NULL;
    int rc =
        lfr_bluelist_enrol(r->ctx, r->srv->policy, &r->sess.actor, r->srv->engine, photo, len, &en);
    gate_leave(&photo_decodes);
    int64_t id = 0;
    if (!rc) {
        db_lock(r);
        rc = lfr_bluelist_add_enrolled(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                                       body_str(body, "staff_ref"), body_str(body, "consent_ref"),
                                       en, server_now_ms(), &id);
        db_unlock(r);
    }
    lfr_enrolment_free(en);
    ret = rc ? reply_rc(r, rc) : reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
done:
    body_photo_wipe(r, body, photo, cap);
    json_decref(body);
    return ret;
}

/* A test starting or ending changes what the cameras run: the runner looks
 * at once. */
static enum MHD_Result test_changed(request *r, int rc, json_t *reply)
{
    if (rc) {
        json_decref(reply);
        return reply_rc(r, rc);
    }
    runner_wake(r->srv->runner);
    events_publish(r->srv->events, "deployment", json_pack("{s:I}", "id", (json_int_t)r->ids[0]));
    return reply ? reply_json(r, 200, reply) : reply_ok(r);
}

enum MHD_Result api_walktest_start(request *r)
{
    int64_t id = 0;
    db_lock(r);
    int rc =
        lfr_walktest_start(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], server_now_ms(), &id);
    db_unlock(r);
    return test_changed(r, rc, rc ? NULL : json_pack("{s:I}", "id", (json_int_t)id));
}

enum MHD_Result api_walktest_end(request *r)
{
    db_lock(r);
    int rc = lfr_walktest_end(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], server_now_ms());
    db_unlock(r);
    return test_changed(r, rc, NULL);
}

enum MHD_Result api_walktest_pass(request *r)
{
    static const body_field spec[] = {
        {"entry", JSON_INTEGER, 1}, {"camera", JSON_STRING, 0}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    int64_t id = 0;
    db_lock(r);
    int rc = lfr_walktest_pass(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                               json_integer_value(json_object_get(body, "entry")),
                               body_str(body, "camera"), server_now_ms(), &id);
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

enum MHD_Result api_walktest_results(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_walktest_results(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}
