/* server/api_evidence.c - evidence holds over HTTP (issue 15 item 3): an
 * alert held for proceedings, its release, the list of holds, and the
 * signed evidence bundle of a held alert. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum MHD_Result api_alert_hold(request *r)
{
    static const body_field spec[] = {{"reason", JSON_STRING, 1},
                                      {"reference", JSON_STRING, 1},
                                      {"until_ms", JSON_INTEGER, 1},
                                      {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_alert_hold(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                            body_str(body, "reason"), body_str(body, "reference"),
                            json_integer_value(json_object_get(body, "until_ms")), server_now_ms());
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_alert_release(request *r)
{
    static const body_field spec[] = {{"reason", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_alert_release(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0],
                               body_str(body, "reason"), server_now_ms());
    db_unlock(r);
    json_decref(body);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}

enum MHD_Result api_holds(request *r)
{
    const char *released = query_arg(r, "released");
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_evidence_holds(r->ctx, r->srv->policy, &r->sess.actor,
                                released && !strcmp(released, "1"), &list);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_json(r, 200, list);
}

enum MHD_Result api_alert_evidence(request *r)
{
    char *bundle = NULL;
    db_lock(r);
    int rc = lfr_evidence_bundle(r->ctx, r->srv->policy, &r->sess.actor, r->ids[0], server_now_ms(),
                                 &bundle);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    char name[64];
    snprintf(name, sizeof name, "alert-%lld-evidence.json", (long long)r->ids[0]);
    return reply_download(r, bundle, strlen(bundle), "application/json", name);
}
