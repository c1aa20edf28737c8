/* server/api_nodes.c - edge nodes over HTTP (issue 17 item 3). The
 * administrator's side: the list, approving and revoking, and placing a
 * draft's cameras on a node. The node's side: enrolment, what it runs now,
 * its alerts and its counts, each request signed with the node's key
 * (headers X-LFR-Node, X-LFR-Time, X-LFR-Signature over the method, path,
 * time and body), so no session, cookie or CSRF token is involved and a
 * proxy that ends TLS cannot act as the node. A replayed request changes
 * nothing: an alert is kept once per origin, the rest only read or add
 * counts the node would send anyway; the time bounds how late one can be. */
#include "internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KEY_B64 sodium_base64_ENCODED_LEN(LFR_NODE_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)

/* 0 and the key's 32 bytes, or -1 after replying 400. */
static int body_key(request *r, json_t *body, const char *field, uint8_t out[LFR_NODE_KEY_BYTES])
{
    const char *b64 = body_str(body, field);
    size_t n = 0;
    if (!b64 ||
        sodium_base642bin(out, LFR_NODE_KEY_BYTES, b64, strlen(b64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        n != LFR_NODE_KEY_BYTES) {
        reply_error(r, 400, "bad_request", "%s: the base64 of a 32-byte key expected", field);
        return -1;
    }
    return 0;
}

/* The request's signature headers: the node id and time; -1 after
 * replying 401. */
static int signed_headers(request *r, int64_t *node, int64_t *time_ms, const char **sig)
{
    const char *id = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-LFR-Node");
    const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-LFR-Time");
    *sig = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-LFR-Signature");
    char *end1 = NULL, *end2 = NULL;
    errno = 0;
    *node = id ? strtoll(id, &end1, 10) : -1;
    *time_ms = t ? strtoll(t, &end2, 10) : 0;
    if (!id || !t || !*sig || *end1 || *end2 || errno || *node < 0 || *time_ms < 0) {
        reply_error(r, 401, "unauthenticated",
                    "a node's request carries X-LFR-Node, X-LFR-Time and X-LFR-Signature");
        return -1;
    }
    int64_t skew = *time_ms - server_now_ms();
    if (skew > LFR_NODE_CLOCK_SKEW_MS || skew < -LFR_NODE_CLOCK_SKEW_MS) {
        reply_error(r, 401, "unauthenticated",
                    "the request's time is %lld s from the centre's: set the node's clock",
                    (long long)(skew / 1000));
        return -1;
    }
    return 0;
}

/* The approved node that signed this request, or -1 after replying: 401
 * for an unknown node or a bad signature, 403 (audited) for a node that is
 * pending or revoked. */
static int node_auth(request *r, lfr_node *n)
{
    int64_t id = 0, t = 0;
    const char *sig = NULL;
    if (signed_headers(r, &id, &t, &sig)) return -1;
    db_lock(r);
    int rc = lfr_node_get(r->ctx, r->srv->policy, id, n);
    db_unlock(r);
    if (rc == LFR_ENOENT ||
        (!rc && lfr_node_verify_request(n->sign_pk, r->method, r->url, t, r->body ? r->body : "",
                                        r->body_len, sig))) {
        slog(LOG_WARN, "node.unauthenticated", "node=%lld", (long long)id);
        reply_error(r, 401, "unauthenticated", "not signed by an enrolled node's key");
        return -1;
    }
    if (rc) {
        reply_rc(r, rc);
        return -1;
    }
    /* From here the answer is signed for this request: only a request the
     * node signed gets a signed refusal. */
    snprintf(r->node_sig, sizeof r->node_sig, "%s", sig);
    int64_t now = server_now_ms();
    db_lock(r);
    if (strcmp(n->state, "approved")) {
        rc = lfr_node_refused(r->ctx, r->srv->policy, n, r->url, now);
        db_unlock(r);
        if (rc) slog(LOG_ERROR, "node.refused", "node=%lld msg=audit failed", (long long)id);
        reply_error(r, 403, !strcmp(n->state, "revoked") ? "node_revoked" : "node_pending",
                    "node %lld is %s", (long long)id,
                    !strcmp(n->state, "revoked") ? "revoked: refused for good"
                                                 : "waiting for an administrator's approval");
        return -1;
    }
    lfr_node_seen(r->ctx, r->srv->policy, n, now); /* a failure here refuses nothing */
    db_unlock(r);
    return 0;
}

enum MHD_Result api_node_enrol(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1},
                                      {"code", JSON_STRING, 1},
                                      {"sign_pk", JSON_STRING, 1},
                                      {"box_pk", JSON_STRING, 1},
                                      {NULL, 0, 0}};
    int64_t id = 0, t = 0;
    const char *sig = NULL;
    if (signed_headers(r, &id, &t, &sig)) return MHD_YES;
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    uint8_t sign_pk[LFR_NODE_KEY_BYTES], box_pk[LFR_NODE_KEY_BYTES], centre[LFR_NODE_KEY_BYTES],
        centre_sign[LFR_NODE_KEY_BYTES];
    enum MHD_Result ret = MHD_YES;
    if (body_key(r, body, "sign_pk", sign_pk) || body_key(r, body, "box_pk", box_pk)) goto done;
    /* Signed with the key it brings: the asker holds it. */
    if (id != 0 ||
        lfr_node_verify_request(sign_pk, r->method, r->url, t, r->body, r->body_len, sig)) {
        ret = reply_error(r, 401, "unauthenticated",
                          "an enrolment is signed with the key it enrols (X-LFR-Node: 0)");
        goto done;
    }
    snprintf(r->node_sig, sizeof r->node_sig, "%s", sig);
    /* The centre's keys first: an enrolment the node never hears of would
     * hold its name and key. */
    db_lock(r);
    int rc = lfr_node_centre_key(r->ctx, r->srv->policy, centre, NULL);
    if (!rc) rc = lfr_node_centre_sign_key(r->ctx, r->srv->policy, centre_sign, NULL);
    if (!rc)
        rc = lfr_node_enrol(r->ctx, r->srv->policy, body_str(body, "name"), body_str(body, "code"),
                            sign_pk, box_pk, server_now_ms(), &id);
    db_unlock(r);
    if (rc) {
        ret = reply_rc(r, rc);
        goto done;
    }
    char box_b64[KEY_B64], sign_b64[KEY_B64];
    sodium_bin2base64(box_b64, sizeof box_b64, centre, sizeof centre,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(sign_b64, sizeof sign_b64, centre_sign, sizeof centre_sign,
                      sodium_base64_VARIANT_ORIGINAL);
    slog(LOG_INFO, "node.enrol", "node=%lld", (long long)id);
    ret = reply_json(r, 201,
                     json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "state", "pending",
                               "centre_box_pk", box_b64, "centre_sign_pk", sign_b64));
done:
    json_decref(body);
    return ret;
}

enum MHD_Result api_node_code(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    char code[LFR_NODE_CODE_CHARS + 1];
    int64_t now = server_now_ms();
    db_lock(r);
    int rc = lfr_node_code_issue(r->ctx, r->srv->policy, &r->sess.actor, body_str(body, "name"),
                                 now, code);
    db_unlock(r);
    enum MHD_Result ret =
        rc ? reply_rc(r, rc)
           : reply_json(r, 201,
                        json_pack("{s:s,s:s,s:I}", "name", body_str(body, "name"), "code", code,
                                  "expires_ms", (json_int_t)(now + LFR_NODE_CODE_TTL_MS)));
    sodium_memzero(code, sizeof code);
    json_decref(body);
    return ret;
}

enum MHD_Result api_nodes_list(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_node_list(r->ctx, r->srv->policy, &r->sess.actor, &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

static enum MHD_Result node_decision(request *r, int approve)
{
    static const body_field spec[] = {{"reason", JSON_STRING, 0}, {NULL, 0, 0}};
    json_t *body = r->body_len || !approve ? body_object(r, spec) : json_object();
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_node_decide(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], approve,
                             body_str(body, "reason"), server_now_ms());
    db_unlock(r);
    json_decref(body);
    if (!rc)
        slog(LOG_INFO, approve ? "node.approve" : "node.revoke", "node=%lld", (long long)r->ids[0]);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_node_approve(request *r)
{
    return node_decision(r, 1);
}

enum MHD_Result api_node_revoke(request *r)
{
    return node_decision(r, 0);
}

enum MHD_Result api_deployment_node(request *r)
{
    static const body_field spec[] = {
        {"node", JSON_INTEGER, 0}, {"max_offline_s", JSON_INTEGER, 0}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    json_t *off = json_object_get(body, "max_offline_s");
    int64_t offline = json_is_integer(off) ? json_integer_value(off) : 600;
    /* Out of range either way is refused (the policy says why), not wrapped into range. */
    if (offline < 0 || offline > LFR_NODE_OFFLINE_MAX_S) offline = -1;
    db_lock(r);
    int rc =
        lfr_deployment_set_node(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                                json_integer_value(json_object_get(body, "node")), (int)offline);
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_node_assignment(request *r)
{
    static const body_field spec[] = {{"have", JSON_STRING, 0}, {NULL, 0, 0}};
    lfr_node n;
    if (node_auth(r, &n)) return MHD_YES;
    json_t *body = body_object(r, spec), *doc = NULL;
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_node_assignment(r->ctx, r->srv->policy, &n, r->srv->engine, body_str(body, "have"),
                                 server_now_ms(), &doc);
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, doc);
}

enum MHD_Result api_node_alert(request *r)
{
    static const body_field spec[] = {
        {"sealed", JSON_STRING, 1}, {"attempt", JSON_INTEGER, 0}, {NULL, 0, 0}};
    lfr_node n;
    if (node_auth(r, &n)) return MHD_YES;
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    const char *b64 = body_str(body, "sealed");
    size_t cap = strlen(b64), len = 0;
    uint8_t *box = lfr_alloc(cap + 1);
    enum MHD_Result ret;
    if (!box || sodium_base642bin(box, cap + 1, b64, cap, NULL, &len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL)) {
        ret = reply_error(r, 400, "bad_request", "sealed: base64 expected");
        goto done;
    }
    int64_t id = 0;
    int repeat = 0;
    json_t *event = NULL;
    db_lock(r);
    int rc = lfr_node_alert(r->ctx, r->srv->policy, &n, box, len,
                            (int)json_integer_value(json_object_get(body, "attempt")),
                            server_now_ms(), &id, &repeat, &event);
    db_unlock(r);
    if (rc) {
        ret = reply_rc(r, rc);
        goto done;
    }
    if (event && json_object_get(event, "walk_test")) {
        /* A walk test's hit: to the operator's screen, as the runner's are. */
        events_publish(r->srv->events, "walktest", event);
    } else if (event) {
        /* Announced as an alert raised here is (runner.c), to every server. */
        slog(LOG_INFO, "alert", "alert=%lld node=%lld", (long long)id, (long long)n.id);
        events_publish(r->srv->events, "alert", event);
    }
    ret = reply_json(r, repeat ? 200 : 201,
                     json_pack("{s:I,s:b}", "id", (json_int_t)id, "repeat", repeat));
done:
    lfr_free(box);
    json_decref(body);
    return ret;
}

enum MHD_Result api_node_counts(request *r)
{
    static const body_field spec[] = {{"deployment", JSON_INTEGER, 1},
                                      {"run", JSON_STRING, 1},
                                      {"cameras", JSON_ARRAY, 1},
                                      {NULL, 0, 0}};
    lfr_node n;
    if (node_auth(r, &n)) return MHD_YES;
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_node_counts(r->ctx, r->srv->policy, &n, body, server_now_ms());
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}
