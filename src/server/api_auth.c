/* server/api_auth.c - logging in and out, who am I, and the
 * administrator's user management. */
#include "internal.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* "applicant,operator" as a JSON array. */
static json_t *roles_array(const char *csv)
{
    json_t *arr = json_array();
    while (arr && csv && *csv) {
        size_t len = strcspn(csv, ",");
        json_array_append_new(arr, json_stringn(csv, len));
        csv += len + (csv[len] == ',');
    }
    return arr;
}

/* Who the session is, its CSRF token, and the session rules the console
 * follows (its idle warning, and whether an open queue keeps it awake). */
static json_t *whoami(const request *r, const session *s)
{
    char roles[128];
    lfr_roles_format(s->actor.roles, roles, sizeof roles);
    const lfr_server_config *cfg = &r->srv->cfg;
    return json_pack("{s:{s:s,s:o,s:s,s:b},s:s,s:{s:I,s:b}}", "user", "name", s->actor.name,
                     "roles", roles_array(roles), "rank", lfr_rank_name(s->actor.rank),
                     "must_change", s->actor.must_change, "csrf", s->csrf, "session", "idle_ms",
                     (json_int_t)cfg->session_idle_minutes * 60000, "queue_keeps_session",
                     cfg->queue_keeps_session != 0);
}

/* A new session for actor: the cookie and who they are. */
static enum MHD_Result open_session(request *r, const lfr_actor *actor)
{
    session s;
    if (sessions_open(r->srv->sessions, actor, &s))
        return reply_error(r, 503, "busy", "too many sessions are open: try again later");
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             "lfr_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s", s.token,
             r->srv->cfg.session_hours * 3600, r->srv->cfg.tls_cert ? "; Secure" : "");
    enum MHD_Result ret = reply_json_header(r, 200, whoami(r, &s), "Set-Cookie", cookie);
    sodium_memzero(cookie, sizeof cookie);
    sodium_memzero(&s, sizeof s);
    return ret;
}

/* Each password check is a 64 MiB, CPU-bound argon2id run: a flood of
 * logins with made-up names must not take the cameras' cores or grow the
 * server without bound. At most two run at once; others are told to come
 * back without touching the lock-out counts. */
static gate password_checks = {.max = 2};

/* The client's IP address as text ("" if unknown). */
static void client_address(request *r, char *out, size_t len)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

enum MHD_Result api_login(request *r)
{
    static const body_field spec[] = {
        {"name", JSON_STRING, 1}, {"password", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    const char *name = body_str(body, "name");
    enum MHD_Result ret;
    if (!gate_enter(&password_checks)) {
        json_decref(body);
        return reply_busy(r, "too many logins at once");
    }
    char address[64];
    client_address(r, address, sizeof address);
    /* No user has a longer name: refused without touching the throttle. */
    int wait = strlen(name) < 64 ? sessions_login_begin(r->srv->sessions, name, address) : -1;
    char who[160];
    log_quote(name, who, sizeof who);
    if (wait) {
        slog(LOG_WARN, "login.failed", "user=%s address=%s reason=%s", who, address,
             wait < 0 ? "unknown" : "locked");
        gate_leave(&password_checks);
        ret = wait < 0 ? reply_error(r, 401, "unauthenticated", "wrong user name or password")
                       : reply_error(r, 429, "locked",
                                     "too many failed logins for this name from here: try again "
                                     "in %d seconds",
                                     wait);
        json_decref(body);
        return ret;
    }
    /* The user is read under the lock; the memory-hard check runs outside it. */
    lfr_login login;
    lfr_actor actor;
    db_lock(r);
    int rc = lfr_policy_login_lookup(r->ctx, r->srv->policy, name, &login);
    db_unlock(r);
    if (!rc) rc = lfr_policy_login_verify(r->ctx, &login, body_str(body, "password"), &actor);
    gate_leave(&password_checks);
    sodium_memzero(&login, sizeof login);
    if (!rc) sessions_login_succeeded(r->srv->sessions, name, address);
    slog(rc ? LOG_WARN : LOG_INFO, rc ? "login.failed" : "login", "user=%s address=%s%s", who,
         address, rc ? " reason=wrong" : "");
    json_decref(body);
    if (rc) return reply_rc(r, rc);
    return open_session(r, &actor);
}

enum MHD_Result api_logout(request *r)
{
    sessions_close(r->srv->sessions, r->sess.token);
    return reply_ok(r);
}

enum MHD_Result api_password(request *r)
{
    static const body_field spec[] = {
        {"current", JSON_STRING, 1}, {"new", JSON_STRING, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
    db_lock(r);
    int rc = lfr_user_set_password(r->ctx, r->srv->policy, &r->sess.actor,
                                   body_str(body, "current"), body_str(body, "new"));
    db_unlock(r);
    json_decref(body);
    if (rc) return reply_rc(r, rc);
    /* Every session of the old password ends; this browser gets a new one. */
    sessions_close_user(r->srv->sessions, r->sess.actor.name);
    lfr_actor actor = r->sess.actor;
    actor.must_change = 0;
    return open_session(r, &actor);
}

enum MHD_Result api_me(request *r)
{
    return reply_json(r, 200, whoami(r, &r->sess));
}

enum MHD_Result api_users_list(request *r)
{
    json_t *list = NULL;
    db_lock(r);
    int rc = lfr_user_list(r->ctx, r->srv->policy, &r->sess.actor, &list);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u)
    {
        json_object_set_new(u, "roles",
                            roles_array(json_string_value(json_object_get(u, "roles"))));
    }
    return reply_json(r, 200, list);
}

/* The body as spec says, with its "roles" (names) and "rank" (a name, or
 * none) read; NULL when refused, with *reply the answer sent. */
static json_t *roles_body(request *r, const body_field *spec, int *roles, int *rank,
                          enum MHD_Result *reply)
{
    *roles = 0;
    *rank = 0;
    *reply = MHD_YES;
    json_t *body = body_object(r, spec);
    if (!body) return NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, "roles"), i, v)
    {
        int one = json_is_string(v) ? lfr_roles_parse(json_string_value(v)) : -1;
        if (one <= 0 || strchr(json_string_value(v), ',')) {
            *reply = reply_error(r, 400, "bad_request",
                                 "roles: each one of applicant, authoriser, reviewer, operator, "
                                 "engagement, auditor, oversight, admin");
            json_decref(body);
            return NULL;
        }
        *roles |= one;
    }
    const char *rank_name = body_str(body, "rank");
    if (rank_name && (*rank = lfr_rank_parse(rank_name)) < 0) {
        *reply = reply_error(r, 400, "bad_request", "rank: unknown rank '%.40s'", rank_name);
        json_decref(body);
        return NULL;
    }
    return body;
}

enum MHD_Result api_users_add(request *r)
{
    static const body_field spec[] = {{"name", JSON_STRING, 1},
                                      {"roles", JSON_ARRAY, 1},
                                      {"rank", JSON_STRING, 0},
                                      {"password", JSON_STRING, 1},
                                      {NULL, 0, 0}};
    int roles = 0, rank = 0;
    enum MHD_Result reply;
    json_t *body = roles_body(r, spec, &roles, &rank, &reply);
    if (!body) return reply;
    db_lock(r);
    int rc = lfr_user_add(r->ctx, r->srv->policy, &r->sess.actor, body_str(body, "name"), roles,
                          rank, body_str(body, "password"));
    db_unlock(r);
    json_decref(body);
    if (rc) return reply_rc(r, rc);
    return reply_json(r, 201, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result api_users_roles(request *r)
{
    static const body_field spec[] = {
        {"roles", JSON_ARRAY, 1}, {"rank", JSON_STRING, 0}, {NULL, 0, 0}};
    int roles = 0, rank = 0;
    enum MHD_Result reply;
    json_t *body = roles_body(r, spec, &roles, &rank, &reply);
    if (!body) return reply;
    json_decref(body);
    db_lock(r);
    int rc = lfr_user_set_roles(r->ctx, r->srv->policy, &r->sess.actor, r->name, roles, rank);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    /* Their sessions hold the old roles: they sign in again. */
    sessions_close_user(r->srv->sessions, r->name);
    return reply_ok(r);
}

enum MHD_Result api_users_disable(request *r)
{
    db_lock(r);
    int rc = lfr_user_disable(r->ctx, r->srv->policy, &r->sess.actor, r->name);
    db_unlock(r);
    if (rc) return reply_rc(r, rc);
    sessions_close_user(r->srv->sessions, r->name);
    return reply_ok(r);
}

enum MHD_Result api_users_enable(request *r)
{
    db_lock(r);
    int rc = lfr_user_enable(r->ctx, r->srv->policy, &r->sess.actor, r->name);
    db_unlock(r);
    return rc ? reply_rc(r, rc) : reply_ok(r);
}
