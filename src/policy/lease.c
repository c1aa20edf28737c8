/* policy/lease.c - which server runs a live deployment's cameras, when
 * several serve one database: the one holding the deployment's lease. The
 * holder renews it every tick; one that stops renewing (a server killed,
 * cut off) loses it when it runs out, and another takes the cameras over.
 * Each taking is on the record: which machine processed whose faces. */
#include "internal.h"

#include <string.h>

int lfr_runner_lease(lfr_ctx *ctx, lfr_policy *p, const char *holder, int64_t deployment,
                     int64_t now_ms, int64_t ttl_ms, int *held)
{
    *held = 0;
    if (!holder || !*holder || strlen(holder) > 200 || ttl_ms < 1)
        return lfr_fail(ctx, LFR_EINVAL, "a lease needs a holder and a time");
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    char previous[256] = "";
    int64_t previous_until = 0;
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(
              ctx, p->s, "SELECT holder, expires_ms FROM runner_leases WHERE deployment_id = ?",
              &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) && (rc = lfr_stmt_step(ctx, st)) == 1) {
        snprintf(previous, sizeof previous, "%s", lfr_stmt_text(st, 0));
        previous_until = lfr_stmt_int64(st, 1);
    }
    lfr_stmt_free(st);
    st = NULL;
    if (rc > 0) rc = LFR_OK;
    int mine = !strcmp(previous, holder);
    if (!rc && (mine || !previous[0] || previous_until < now_ms)) {
        const int64_t nums[] = {deployment, now_ms, now_ms + ttl_ms};
        const char *const texts[] = {holder};
        rc = policy_exec(ctx, p->s,
                         "INSERT INTO runner_leases (deployment_id, since_ms, expires_ms, holder) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (deployment_id) DO UPDATE SET "
                         "holder = excluded.holder, since_ms = CASE WHEN runner_leases.holder = "
                         "excluded.holder THEN runner_leases.since_ms ELSE excluded.since_ms END, "
                         "expires_ms = excluded.expires_ms",
                         nums, 3, texts, 1);
        if (!rc) *held = 1;
        if (!rc && !mine)
            rc = audit(ctx, p, NULL, "deployment.runner", deployment, "deployment",
                       json_pack("{s:s,s:s?}", "server", holder, "taken_from",
                                 previous[0] ? previous : NULL));
    }
    rc = finish(ctx, p, rc);
    if (rc) *held = 0;
    return rc;
}

int lfr_runner_release(lfr_ctx *ctx, lfr_policy *p, const char *holder, int64_t deployment)
{
    const int64_t nums[] = {deployment};
    const char *const texts[] = {holder};
    return policy_exec(ctx, p->s,
                       "DELETE FROM runner_leases WHERE deployment_id = ? AND holder = ?", nums, 1,
                       texts, 1);
}
