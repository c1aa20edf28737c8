/* server/health.c - /healthz and /readyz, without login, for a supervisor
 * (systemd, a load balancer): is the process serving, and can it do its
 * work (database, watchlist key, models, the runner that drives cameras)?
 * Neither says anything about deployments, people or faces. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* The runner goes round every tick; this many ticks missed (or 15 s) and
 * cameras are not being driven. The floor is well above the store's 5 s
 * wait for a locked database: a runner waiting on the database (its own
 * write, or behind a request's) is the database's problem, said as such. */
#define RUNNER_STALL_TICKS 20
#define RUNNER_STALL_MIN_MS 15000

static enum MHD_Result only_get(request *r)
{
    return reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->url);
}

enum MHD_Result api_healthz(request *r)
{
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) return only_get(r);
    if (atomic_load(&r->srv->stopping))
        return reply_json(r, 503, json_pack("{s:s}", "status", "stopping"));
    return reply_json(r, 200, json_pack("{s:s}", "status", "alive"));
}

enum MHD_Result api_readyz(request *r)
{
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) return only_get(r);
    struct lfr_server *srv = r->srv;
    json_t *checks = json_object();
    int ready = 1;
    /* Read before this request's own wait on the database holds the
     * runner back. */
    int64_t idle = runner_idle_ms(srv->runner);

    /* The database answers a read and would take a write (an alert must be
     * storable): within the lock every request takes. */
    int64_t users = 0;
    db_lock(r);
    int rc = lfr_user_count(r->ctx, srv->policy, &users);
    if (!rc && !(rc = lfr_store_begin(r->ctx, srv->store))) lfr_store_rollback(srv->store);
    int have_key = lfr_policy_has_key(srv->policy);
    db_unlock(r);
    json_object_set_new(checks, "database", json_string(rc ? lfr_errmsg(r->ctx) : "ok"));
    ready &= rc == LFR_OK;
    json_object_set_new(checks, "key",
                        json_string(have_key ? "ok" : "no watchlist key: nothing can be sealed"));
    ready &= have_key;
    json_object_set_new(checks, "models",
                        json_string(srv->engine ? "ok" : "no models loaded: cameras cannot run"));
    ready &= srv->engine != NULL;

    int64_t stall = (int64_t)srv->cfg.tick_ms * RUNNER_STALL_TICKS;
    if (stall < RUNNER_STALL_MIN_MS) stall = RUNNER_STALL_MIN_MS;
    char why[96];
    if (idle < 0)
        snprintf(why, sizeof why, "not started");
    else if (idle > stall)
        snprintf(why, sizeof why, "stalled: last went round %lld ms ago", (long long)idle);
    else
        snprintf(why, sizeof why, "ok");
    json_object_set_new(checks, "runner", json_string(why));
    ready &= !strcmp(why, "ok");
    if (atomic_load(&srv->stopping)) {
        json_object_set_new(checks, "server", json_string("stopping"));
        ready = 0;
    }
    return reply_json(r, ready ? 200 : 503,
                      json_pack("{s:b,s:o}", "ready", ready, "checks", checks));
}
