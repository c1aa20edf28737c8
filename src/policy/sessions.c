/* policy/sessions.c - login sessions and log-in throttles in the database
 * (SEC-3), so every server behind a load balancer knows who is logged in
 * and who is locked out (issue 17). The statements run on a store of the
 * server's sessions alone. */
#include "internal.h"

#include <string.h>

static int end_tx(lfr_ctx *ctx, lfr_store *s, int rc)
{
    if (!rc) rc = lfr_store_commit(ctx, s);
    if (rc) lfr_store_rollback(s);
    return rc;
}

int lfr_session_save(lfr_ctx *ctx, lfr_store *s, const char *token_hash, const char *csrf,
                     const lfr_actor *actor, int64_t now_ms, int max_per_user)
{
    int rc = lfr_store_begin(ctx, s);
    if (rc) return rc;
    const int64_t keep[] = {actor->id, max_per_user - 1};
    /* A user's oldest give way to the newest, so nobody can log the others
     * out by filling a table. */
    rc = policy_exec(ctx, s,
                     "DELETE FROM sessions WHERE user_id = ?1 AND token_hash NOT IN (SELECT "
                     "token_hash FROM sessions WHERE user_id = ?1 ORDER BY seen_ms DESC LIMIT ?2)",
                     keep, 2, NULL, 0);
    const int64_t nums[] = {actor->id, now_ms};
    const char *const texts[] = {token_hash, csrf};
    if (!rc)
        rc = policy_exec(ctx, s,
                         "INSERT INTO sessions (user_id, created_ms, seen_ms, token_hash, csrf) "
                         "VALUES (?1, ?2, ?2, ?3, ?4)",
                         nums, 2, texts, 2);
    return end_tx(ctx, s, rc);
}

int lfr_session_load(lfr_ctx *ctx, lfr_store *s, const char *token_hash, int64_t now_ms,
                     int64_t max_age_ms, int64_t idle_ms, int64_t refresh_ms, int refresh,
                     lfr_session_rec *out)
{
    memset(out, 0, sizeof *out);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, s,
                              "SELECT s.csrf, s.created_ms, s.seen_ms, u.id, u.name, u.roles, "
                              "u.rank, u.must_change FROM sessions s JOIN users u ON u.id = "
                              "s.user_id WHERE s.token_hash = ? AND u.disabled = 0",
                              &st);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 1, token_hash);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 1) {
        snprintf(out->csrf, sizeof out->csrf, "%s", lfr_stmt_text(st, 0));
        out->created_ms = lfr_stmt_int64(st, 1);
        out->seen_ms = lfr_stmt_int64(st, 2);
        out->actor.id = lfr_stmt_int64(st, 3);
        snprintf(out->actor.name, sizeof out->actor.name, "%s", lfr_stmt_text(st, 4));
        out->actor.roles = (int)lfr_stmt_int64(st, 5);
        out->actor.rank = (int)lfr_stmt_int64(st, 6);
        out->actor.must_change = (int)lfr_stmt_int64(st, 7);
    }
    lfr_stmt_free(st);
    if (rc < 0) return rc;
    if (rc == 0) return lfr_fail(ctx, LFR_ENOENT, "no such session");
    rc = LFR_OK;
    if (now_ms - out->created_ms > max_age_ms || now_ms - out->seen_ms > idle_ms) {
        lfr_session_delete(ctx, s, token_hash);
        memset(out, 0, sizeof *out);
        return lfr_fail(ctx, LFR_ENOENT, "the session has expired");
    }
    /* A last use that cannot be written (a full disk) logs nobody out: the
     * session stands as the database last had it. */
    if (refresh && now_ms - out->seen_ms >= refresh_ms) {
        const int64_t nums[] = {now_ms};
        const char *const texts[] = {token_hash};
        if (!policy_exec(ctx, s, "UPDATE sessions SET seen_ms = ?1 WHERE token_hash = ?2", nums, 1,
                         texts, 1))
            out->seen_ms = now_ms;
    }
    return LFR_OK;
}

int lfr_session_delete(lfr_ctx *ctx, lfr_store *s, const char *token_hash)
{
    const char *const texts[] = {token_hash};
    return policy_exec(ctx, s, "DELETE FROM sessions WHERE token_hash = ?", NULL, 0, texts, 1);
}

int lfr_session_delete_user(lfr_ctx *ctx, lfr_store *s, const char *name)
{
    const char *const texts[] = {name};
    return policy_exec(
        ctx, s, "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = ?)", NULL,
        0, texts, 1);
}

int lfr_login_throttle(lfr_ctx *ctx, lfr_store *s, const char *key, int limit, int64_t now_ms,
                       int64_t lock_ms, int *wait_s)
{
    *wait_s = 0;
    int rc = lfr_store_begin(ctx, s);
    if (rc) return rc;
    /* Entries neither locked nor recent go: made-up names cannot grow the
     * table without end, and none of them lifts a lock. */
    const int64_t old[] = {now_ms, now_ms - lock_ms};
    rc = policy_exec(ctx, s,
                     "DELETE FROM login_throttles WHERE locked_until_ms <= ?1 AND last_ms < ?2",
                     old, 2, NULL, 0);
    int64_t failures = 0, locked_until = 0;
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(
              ctx, s, "SELECT failures, locked_until_ms FROM login_throttles WHERE key = ?",
              &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, key)) && (rc = lfr_stmt_step(ctx, st)) == 1) {
        failures = lfr_stmt_int64(st, 0);
        locked_until = lfr_stmt_int64(st, 1);
    }
    lfr_stmt_free(st);
    if (rc > 0) rc = LFR_OK;
    if (!rc && locked_until > now_ms) {
        *wait_s = (int)((locked_until - now_ms + 999) / 1000);
        return end_tx(ctx, s, rc);
    }
    if (++failures >= limit) {
        failures = 0;
        locked_until = now_ms + lock_ms;
    }
    const int64_t nums[] = {failures, locked_until, now_ms};
    const char *const texts[] = {key};
    if (!rc)
        rc = policy_exec(
            ctx, s,
            "INSERT INTO login_throttles (failures, locked_until_ms, last_ms, key) VALUES "
            "(?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET failures = "
            "excluded.failures, locked_until_ms = excluded.locked_until_ms, last_ms = "
            "excluded.last_ms",
            nums, 3, texts, 1);
    return end_tx(ctx, s, rc);
}

int lfr_login_throttle_clear(lfr_ctx *ctx, lfr_store *s, const char *key)
{
    const char *const texts[] = {key};
    return policy_exec(ctx, s, "DELETE FROM login_throttles WHERE key = ?", NULL, 0, texts, 1);
}
