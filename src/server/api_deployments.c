/* server/api_deployments.c - deployments over HTTP: the application form,
 * its locations and cameras, and each step of the lifecycle (DEP-1..10).
 * Every rule is the policy's; this file turns requests into its calls. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

typedef int (*timed_step)(lfr_ctx *, lfr_policy *, const lfr_actor *, int64_t, int64_t);
typedef int (*reasoned_step)(lfr_ctx *, lfr_policy *, const lfr_actor *, int64_t, const char *,
                             int64_t);

/* After a change of state the runner looks at once, and listeners hear. */
static enum MHD_Result state_changed(request *r, int rc)
{
    if (rc) return reply_rc(r, rc);
    runner_wake(r->srv->runner);
    events_publish(r->srv->events, "deployment", json_pack("{s:I}", "id", (json_int_t)r->ids[0]));
    return reply_ok(r);
}

static enum MHD_Result timed(request *r, timed_step step)
{
    db_lock(r);
    int rc = step(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], server_now_ms());
    db_unlock(r);
    return state_changed(r, rc);
}

static enum MHD_Result reasoned(request *r, reasoned_step step)
{
    static const body_field spec[] = {{"reason", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = step(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], body_str(body, "reason"),
                  server_now_ms());
    db_unlock(r);
    json_decref(body);
    return state_changed(r, rc);
}

enum MHD_Result api_fields(request *r)
{
    return reply_json(r, 200, lfr_deployment_fields());
}

enum MHD_Result api_deployments_list(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_deployment_list(r->ctx, r->srv->policy, &r->sess.actor, &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

enum MHD_Result api_deployments_create(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    int64_t id = 0;
    db_lock(r);
    int rc =
        lfr_deployment_create(r->ctx, r->srv->policy, &r->sess.actor, body_str(body, "name"), &id);
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

enum MHD_Result api_deployment_show(request *r)
{
    json_t *doc = NULL, *cameras = NULL;
    db_lock(r);
    int rc = lfr_deployment_show(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &doc);
    /* Roles that may see the deployment but not its cameras get it without. */
    if (!rc && lfr_camera_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &cameras) == 0)
        json_object_set_new(doc, "cameras", cameras);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

enum MHD_Result api_deployment_set(request *r)
{
    static const body_field spec[] = {
        {"field", JSON_STRING, 1}, {"value", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_deployment_set(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                                body_str(body, "field"), body_str(body, "value"));
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_deployment_location(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1},
                                      {"reason", JSON_STRING, 1},
                                      {"sensitive", JSON_TRUE, 0},
                                      {"justification", JSON_STRING, 0},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_deployment_add_location(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                                         body_str(body, "name"), body_str(body, "reason"),
                                         json_is_true(json_object_get(body, "sensitive")),
                                         body_str(body, "justification"));
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 201, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result api_deployment_camera(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1},
                                      {"source", JSON_STRING, 1},
                                      {"location", JSON_STRING, 0},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc =
        lfr_camera_add(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], body_str(body, "name"),
                       body_str(body, "source"), body_str(body, "location"));
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 201, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result api_camera_edit(request *r)
{
    static const body_field spec[] = {
        {"source", JSON_STRING, 0}, {"location", JSON_STRING, 0}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_camera_edit(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], r->name,
                             json_string_value(json_object_get(body, "source")),
                             json_string_value(json_object_get(body, "location")));
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_camera_remove(request *r)
{
    db_lock(r);
    int rc = lfr_camera_remove(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], r->name);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_deployment_submit(request *r)
{
    db_lock(r);
    int rc = lfr_deployment_submit(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0]);
    db_unlock(r);
    return state_changed(r, rc);
}

enum MHD_Result api_deployment_authorise(request *r)
{
    static const body_field spec[] = {{"urgent", JSON_TRUE, 0}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc =
        lfr_deployment_authorise(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                                 json_is_true(json_object_get(body, "urgent")), server_now_ms());
    db_unlock(r);
    json_decref(body);
    return state_changed(r, rc);
}

enum MHD_Result api_deployment_ratify(request *r)
{
    return timed(r, lfr_deployment_ratify);
}

enum MHD_Result api_deployment_start(request *r)
{
    return timed(r, lfr_deployment_start);
}

enum MHD_Result api_deployment_review(request *r)
{
    return timed(r, lfr_deployment_review);
}

enum MHD_Result api_deployment_stop(request *r)
{
    return reasoned(r, lfr_deployment_stop);
}

enum MHD_Result api_deployment_suspend(request *r)
{
    return reasoned(r, lfr_deployment_suspend);
}

enum MHD_Result api_deployment_cancel(request *r)
{
    return reasoned(r, lfr_deployment_cancel);
}

enum MHD_Result api_deployment_report(request *r)
{
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_deployment_report(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &doc);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

#define NODE_WORD_S 30 /* a node's camera states hold this long after its last call */

enum MHD_Result api_deployment_monitor(request *r)
{
    /* The camera list is the permission check: the monitor shows no more. */
    json_t *cameras = NULL;
    lfr_node node;
    db_lock(r);
    int rc = lfr_camera_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &cameras);
    int on_node = !rc && !lfr_node_of_deployment(r->ctx, r->srv->policy, r->ids[0], &node);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    json_t *doc = runner_monitor(r->srv->runner, r->ids[0]);
    /* An edge node runs them: its counts and its cameras' states (as it
     * last told them, with its counts) reach here. */
    if (on_node)
        json_object_set_new(doc, "node",
                            json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)node.id, "name",
                                      node.name, "state", node.state, "seen_ms",
                                      node.seen_ms ? json_integer(node.seen_ms) : json_null()));
    /* What a node last said of its cameras holds while it is approved and
     * heard from (it polls every second); a revoked or silent node's
     * cameras may have stopped without word. */
    int64_t silent_s = on_node && node.seen_ms ? (server_now_ms() - node.seen_ms) / 1000 : -1;
    int node_current =
        on_node && !strcmp(node.state, "approved") && silent_s >= 0 && silent_s <= NODE_WORD_S;
    /* Cameras not running (yet, or any more) still show with their totals. */
    json_t *live = json_object_get(doc, "cameras");
    size_t i, j;
    json_t *c, *l;
    json_array_foreach(cameras, i, c)
    {
        json_object_del(c, "source");
        int running = 0;
        json_array_foreach(live, j, l)
        {
            running |= json_equal(json_object_get(l, "name"), json_object_get(c, "name"));
        }
        if (!running) {
            /* Why it is not running: how its last run ended, if it ran. */
            const char *last = json_string_value(json_object_get(c, "last_state"));
            const char *msg = json_string_value(json_object_get(c, "last_message"));
            char why[700];
            if (on_node && !node_current && silent_s >= 0)
                snprintf(why, sizeof why, "run by edge node '%s' (%s), not heard from for %lld s",
                         node.name, node.state, (long long)silent_s);
            else if (on_node && last && *last)
                snprintf(why, sizeof why, "run by edge node '%s', which reports it %s", node.name,
                         last);
            else if (on_node)
                snprintf(why, sizeof why, "run by edge node '%s': no word of it yet", node.name);
            else if (last && *last)
                snprintf(why, sizeof why, "%s%s%s", last, msg && *msg ? ": " : "", msg ? msg : "");
            else
                snprintf(why, sizeof why, "not started yet");
            json_object_set_new(c, "state", json_string(on_node ? "on_node" : "stopped"));
            if (node_current && last && *last)
                json_object_set_new(c, "node_state", json_string(last));
            json_object_set_new(c, "message", json_string(why));
            json_object_del(c, "last_state");
            json_object_del(c, "last_message");
            json_array_append(live, c);
        }
    }
    json_decref(cameras);
    return reply_json(r, 200, doc);
}

/* A camera's live picture (issue 15), for the operator watching the
 * deployment: an MJPEG stream of its views, strangers' faces blurred by
 * the pipeline before the picture exists, stored nowhere. */
enum MHD_Result api_deployment_live(request *r)
{
    int rc = lfr_actor_need(r->ctx, &r->sess.actor, LFR_ROLE_OPERATOR, "the live picture");
    if (rc) return reply_rc(r, rc);
    char camera[sizeof r->name];
    snprintf(camera, sizeof camera, "%s", r->name);
    MHD_http_unescape(camera);
    json_t *cameras = NULL;
    db_lock(r);
    rc = lfr_camera_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &cameras);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    int known = 0;
    size_t i;
    json_t *c;
    json_array_foreach(cameras, i, c)
    {
        known |= !strcmp(json_string_value(json_object_get(c, "name")), camera);
    }
    json_decref(cameras);
    if (!known)
        return reply_error(r, 404, "not_found", "deployment %lld has no camera '%s'",
                           (long long)r->ids[0], camera);
    if (!runner_camera_live(r->srv->runner, r->ids[0], camera))
        return reply_error(r, 409, "not_live", "camera '%s' is not running: there is no picture",
                           camera);
    struct MHD_Response *resp = feeds_response(r->srv, r->ids[0], camera, r->sess.actor.name);
    if (!resp) return reply_error(r, 503, "busy", "too many cameras are being watched at once");
    return reply_stream(r, resp, "multipart/x-mixed-replace; boundary=lfrframe");
}

#define PREVIEW_TIMEOUT_MS 5000

/* A picture sent from its own buffer, wiped once sent (libmicrohttpd's
 * copies are not). */
static ssize_t read_picture(void *cls, uint64_t pos, char *buf, size_t max)
{
    lfr_camera_picture *p = cls;
    if (pos >= p->jpeg_len) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = p->jpeg_len - (size_t)pos < max ? p->jpeg_len - (size_t)pos : max;
    memcpy(buf, p->jpeg + pos, n);
    return (ssize_t)n;
}

static void free_picture(void *cls)
{
    lfr_camera_picture_free(cls);
    lfr_free(cls);
}

/* Takes the picture over (freed, wiped, with the response). */
static struct MHD_Response *picture_response(lfr_camera_picture *pic)
{
    lfr_camera_picture *own = lfr_alloc(sizeof *own);
    if (!own) {
        lfr_camera_picture_free(pic);
        return NULL;
    }
    *own = *pic;
    memset(pic, 0, sizeof *pic);
    struct MHD_Response *resp = MHD_create_response_from_callback(own->jpeg_len, 32 * 1024,
                                                                  read_picture, own, free_picture);
    if (!resp) free_picture(own);
    return resp;
}

/* A camera's preview (issue 15): one picture, every face blurred, so the
 * applicant, the authorising officer or the operator can check where it
 * points before authorisation or a start. Nothing is searched or kept. */
enum MHD_Result api_deployment_preview(request *r)
{
    int rc = lfr_actor_need(r->ctx, &r->sess.actor,
                            LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_OPERATOR,
                            "a camera's preview");
    if (rc) return reply_rc(r, rc);
    if (!r->srv->engine)
        return reply_error(r, 503, "unavailable", "no models loaded: no preview can be made");
    char camera[sizeof r->name];
    snprintf(camera, sizeof camera, "%s", r->name);
    MHD_http_unescape(camera);
    /* The actor's list is the permission check; the system's holds the
     * source with its password, which the server alone uses. */
    json_t *seen = NULL, *all = NULL;
    db_lock(r);
    rc = lfr_camera_list(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], &seen);
    if (!rc) rc = lfr_camera_list(r->ctx, r->srv->policy, NULL, r->ids[0], &all);
    db_unlock(r);
    json_decref(seen);
    if (rc) return reply_rc(r, rc);
    char source[1024] = "";
    size_t i;
    json_t *c;
    json_array_foreach(all, i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "name")), camera))
            snprintf(source, sizeof source, "%s", json_string_value(json_object_get(c, "source")));
    }
    json_decref(all);
    if (!*source)
        return reply_error(r, 404, "not_found", "deployment %lld has no camera '%s'",
                           (long long)r->ids[0], camera);
    lfr_camera_picture pic;
    rc = lfr_camera_preview(r->ctx, r->srv->engine, source, PREVIEW_TIMEOUT_MS, &pic);
    sodium_memzero(source, sizeof source);
    if (rc) {
        char shown[1024];
        lfr_url_redact(lfr_errmsg(r->ctx), shown, sizeof shown);
        return reply_error(r, 502, "camera_unavailable", "camera '%s': %s", camera, shown);
    }
    char faces[16];
    snprintf(faces, sizeof faces, "%d", pic.faces);
    struct MHD_Response *resp = picture_response(&pic);
    if (resp) MHD_add_response_header(resp, "X-Faces-Blurred", faces);
    return reply_stream(r, resp, "image/jpeg");
}

/* The threshold floor (DEP-6): anyone logged in may read it; an
 * authorising officer of the authorising rank sets it, with evidence. */
enum MHD_Result api_floor_show(request *r)
{
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_policy_floor(r->ctx, r->srv->policy, &doc);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

enum MHD_Result api_floor_set(request *r)
{
    static const body_field spec[] = {
        {"floor", JSON_REAL, 1}, {"evidence", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    json_t *doc = NULL;
    db_lock(r);
    int rc = lfr_policy_set_floor(r->ctx, r->srv->policy, &r->sess.actor,
                                  json_number_value(json_object_get(body, "floor")),
                                  body_str(body, "evidence"), server_now_ms());
    if (!rc) rc = lfr_policy_floor(r->ctx, r->srv->policy, &doc);
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}
