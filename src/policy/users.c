/* policy/users.c - named users, roles, ranks and passwords (SEC-1, SEC-3). */
#include "internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static const char *role_names[] = {"applicant",  "authoriser", "reviewer",  "operator",
                                   "engagement", "auditor",    "oversight", "admin"};
#define N_ROLES 8

static const char *rank_names[] = {"none",
                                   "constable",
                                   "sergeant",
                                   "inspector",
                                   "chief_inspector",
                                   "superintendent",
                                   "chief_superintendent",
                                   "assistant_chief_constable",
                                   "deputy_chief_constable",
                                   "chief_constable"};
#define N_RANKS 10

/* Roles that see faces: an administrator or an overseer must hold none. */
#define FACE_ROLES                                                                                 \
    (LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_REVIEWER | LFR_ROLE_OPERATOR |            \
     LFR_ROLE_ENGAGEMENT)

int lfr_roles_parse(const char *list)
{
    int roles = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < N_ROLES; i++)
            if (!strcmp(tok, role_names[i])) found = i;
        if (found < 0) return -1;
        roles |= 1 << found;
    }
    return roles;
}

void lfr_roles_format(int roles, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < N_ROLES; i++) {
        if (!(roles & (1 << i))) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? "," : "", role_names[i]);
    }
}

int lfr_rank_parse(const char *name)
{
    for (int i = 0; i < N_RANKS; i++)
        if (!strcmp(name, rank_names[i])) return i;
    return -1;
}

const char *lfr_rank_name(int rank)
{
    return rank >= 0 && rank < N_RANKS ? rank_names[rank] : "unknown";
}

lfr_policy_config lfr_policy_default_config(void)
{
    /* Keep in step with the comments in lfr/policy.h. */
    return (lfr_policy_config){.min_rank = 5,
                               .urgent_rank = 3,
                               .ratify_hours = 24,
                               .max_window_hours = 24,
                               .start_grace_minutes = 15,
                               .threshold_floor = 0.0,
                               .max_false_alerts_per_1000 = 1.0,
                               .max_watchlist = 10000,
                               .fmr_at = NULL,
                               .fmr_arg = NULL,
                               .fmr_data = NULL,
                               .fmr_in_the_wild = NULL,
                               .key = NULL,
                               .enrol = lfr_enrol_default_params(),
                               .photo_warn_years = 5,
                               .photo_max_years = 10,
                               .duplicate_cos = 0.6f,
                               .views_per_minute = 300};
}

static double model_fmr(double t, void *arg)
{
    lfr_ctx *ctx = NULL;
    double fmr = -1;
    if (lfr_ctx_new(&ctx) == LFR_OK) {
        if (lfr_model_fmr_at(ctx, arg, (float)t, &fmr) != LFR_OK) fmr = -1;
        lfr_ctx_free(ctx);
    }
    return fmr;
}

static int model_fmr_in_the_wild(double t, void *arg, lfr_fmr_claim *out)
{
    lfr_ctx *ctx = NULL;
    int rc = lfr_ctx_new(&ctx);
    if (rc == LFR_OK) rc = lfr_model_fmr_in_the_wild(ctx, arg, (float)t, out);
    lfr_ctx_free(ctx);
    return rc;
}

int lfr_policy_config_use_model(lfr_ctx *ctx, lfr_policy_config *cfg, const lfr_model *embedder)
{
    /* The validated floor (ACC-1); for a model without one, provisionally,
     * the threshold of FMR 1e-6. Both need the operating points, which
     * DEP-7 estimates from. */
    float floor = 0, fmr_floor = 0;
    int rc = lfr_model_threshold_for_fmr(ctx, embedder, 1e-6, &fmr_floor);
    if (rc) return rc;
    if (lfr_model_threshold_floor(ctx, embedder, &floor)) floor = fmr_floor;
    cfg->threshold_floor = floor;
    cfg->fmr_at = model_fmr;
    cfg->fmr_arg = (void *)embedder;
    cfg->fmr_data = lfr_model_operating_data(embedder);
    cfg->fmr_in_the_wild = model_fmr_in_the_wild;
    return LFR_OK;
}

static int anchor_open(lfr_ctx *ctx, lfr_policy *p);

int lfr_policy_new(lfr_ctx *ctx, lfr_store *s, const lfr_policy_config *cfg, lfr_policy **out)
{
    *out = NULL;
    lfr_policy_config d = lfr_policy_default_config();
    if (!cfg) cfg = &d;
    if (cfg->min_rank < 1 || cfg->min_rank >= N_RANKS || cfg->urgent_rank < 1 ||
        cfg->urgent_rank > cfg->min_rank || cfg->ratify_hours < 1 ||
        !(cfg->max_false_alerts_per_1000 > 0) || cfg->max_watchlist < 1 ||
        cfg->views_per_minute < 1)
        return lfr_fail(ctx, LFR_EINVAL, "policy configuration out of range");
    if (sodium_init() < 0) return lfr_fail(ctx, LFR_EINTERNAL, "libsodium cannot start");
    lfr_policy *p = lfr_calloc(1, sizeof *p);
    if (!p) return lfr_fail(ctx, LFR_ENOMEM, "policy: out of memory");
    p->s = s;
    p->cfg = *cfg;
    if (cfg->key) {
        if (!(p->key = lfr_locked_alloc(32))) {
            int rc = lfr_locked_fail(ctx, "watchlist key");
            lfr_policy_free(p);
            return rc;
        }
        memcpy(p->key, cfg->key, 32);
        p->have_key = 1;
        p->cfg.key = NULL; /* the copy above is the one used */
        /* A missing key file is replaced by a new key: refuse to run with
         * one that cannot open the data already sealed. */
        int rc = policy_key_check(ctx, p);
        if (rc) {
            lfr_policy_free(p);
            return rc;
        }
    }
    p->model_floor = cfg->threshold_floor;
    int rc = anchor_open(ctx, p);
    if (!rc) rc = settings_load(ctx, p);
    /* Blobs sealed before they were bound to their rows are bound now. */
    if (!rc && p->have_key) rc = policy_rebind(ctx, p);
    /* A force's rule given at start is on the record (ACC-3). */
    if (!rc && cfg->start_settings) {
        json_error_t err;
        json_t *settings = json_loads(cfg->start_settings, 0, &err);
        if (!json_is_object(settings)) {
            json_decref(settings);
            rc = lfr_fail(ctx, LFR_EINVAL, "start settings: not a JSON object");
        } else if (!(rc = lfr_store_begin(ctx, p->s))) {
            rc = finish(ctx, p, audit(ctx, p, NULL, "settings.start", 0, "settings", settings));
        } else {
            json_decref(settings);
        }
    }
    if (!rc && cfg->require_walk_test && !(rc = lfr_store_begin(ctx, p->s)))
        rc = finish(ctx, p,
                    audit(ctx, p, NULL, "settings.require_walk_test", 0, "settings",
                          json_pack("{s:b}", "required", 1)));
    if (rc) {
        lfr_policy_free(p);
        return rc;
    }
    *out = p;
    return LFR_OK;
}

int lfr_policy_has_key(const lfr_policy *p)
{
    return p && p->have_key;
}

void lfr_policy_free(lfr_policy *p)
{
    if (!p) return;
    if (p->anchor) {
        lfr_ctx *ctx = NULL;
        /* The head at close; a failure was reported when it happened. */
        if (lfr_ctx_new(&ctx) == LFR_OK) lfr_audit_anchor_update(ctx, p->anchor, p->s, 1);
        lfr_ctx_free(ctx);
        lfr_audit_anchor_free(p->anchor);
    }
    lfr_locked_free(p->key);
    lfr_wipe_free(p, sizeof *p);
}

int policy_verify_log(lfr_ctx *ctx, lfr_policy *p, lfr_audit_report *r)
{
    int rc = lfr_audit_verify(ctx, p->s, r);
    if (!rc && p->anchor) rc = lfr_audit_anchor_check(ctx, p->anchor, p->s, r);
    return rc;
}

/* The log must hold what was anchored before anything more is done on it
 * (SEC-2): a truncated or rewritten log is named, not built on. */
static int anchor_open(lfr_ctx *ctx, lfr_policy *p)
{
    if (!p->cfg.audit_anchor_path) return LFR_OK;
    int rc = lfr_audit_anchor_open(ctx, p->cfg.audit_anchor_path, p->cfg.audit_anchor_key_path, 1,
                                   &p->anchor);
    /* The paths were the caller's, for the open alone. */
    p->cfg.audit_anchor_path = p->cfg.audit_anchor_key_path = NULL;
    if (rc) return lfr_fail_prefix(ctx, "audit log anchor");
    lfr_audit_report r;
    if ((rc = policy_verify_log(ctx, p, &r))) return rc;
    if (r.first_bad_seq)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "the audit log is not intact at record %lld: %s. Nothing will be done "
                        "on it: restore the database from a backup, and report it",
                        (long long)r.first_bad_seq, r.problem);
    return lfr_audit_anchor_update(ctx, p->anchor, p->s, 1);
}

int lfr_actor_need(lfr_ctx *ctx, const lfr_actor *actor, int any, const char *what)
{
    if (actor && (actor->roles & any)) return LFR_OK;
    char names[128];
    lfr_roles_format(any, names, sizeof names);
    return lfr_fail(ctx, LFR_EPERM, "%s: %s may not do this (needs the role %s)", what,
                    actor ? actor->name : "nobody", names);
}

int audit_listing(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *action,
                  int64_t id, const char *kind, const json_t *list)
{
    if (json_array_size(list) == 0) return LFR_OK;
    json_t *shown = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        json_t *key = json_object_get(item, "id");
        json_array_append(shown, key ? key : json_object_get(item, "name"));
    }
    /* The digest covers the action, the object and the whole list as
     * shown, so a change of state (decided, closed) is a new view. */
    char *text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char digest[16] = {0};
    if (text) {
        char what[96];
        snprintf(what, sizeof what, "%s/%lld:", action, (long long)id);
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, sizeof digest);
        crypto_generichash_update(&st, (const unsigned char *)what, strlen(what));
        crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
        crypto_generichash_final(&st, digest, sizeof digest);
    }
    for (int k = 0; text && k < p->n_listed; k++)
        if (p->listed[k].actor == actor->id &&
            !memcmp(p->listed[k].digest, digest, sizeof digest)) {
            json_decref(shown);
            free(text);
            return LFR_OK;
        }
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) {
        json_decref(shown);
        free(text);
        return rc;
    }
    rc = audit(ctx, p, actor, action, id, kind, json_pack("{s:o}", "shown", shown));
    rc = finish(ctx, p, rc);
    if (!rc && text) {
        /* Remembered in a ring of the last lists shown. */
        int slot = p->next_listed++ % LISTED_MEMORY;
        if (p->n_listed < LISTED_MEMORY) p->n_listed++;
        p->listed[slot].actor = actor->id;
        memcpy(p->listed[slot].digest, digest, sizeof digest);
    }
    free(text);
    return rc;
}

#define VIEW_REPEAT_MS 60000 /* a view repeated within this is the same view */
#define VIEW_LOOKBACK 256    /* audit records searched for it */

/* Whether the same user viewed the same object in the last minute: then
 * it is recorded once, so a viewer cannot grow the log without bound
 * (polling screens, reloads, a script) while every view stays audited. */
static int repeated_view(lfr_ctx *ctx, lfr_policy *p, const char *actor, const char *action,
                         const char *object)
{
    if (!strstr(action, ".view")) return 0;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t since = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 - VIEW_REPEAT_MS;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT 1 FROM audit_log WHERE seq > (SELECT coalesce(max(seq), 0) "
                              "FROM audit_log) - ? AND actor = ? AND action = ? AND object = ? "
                              "AND time_ms >= ? LIMIT 1",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, VIEW_LOOKBACK);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 2, actor);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 3, action);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 4, object);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 5, since);
    int seen = !rc && lfr_stmt_step(ctx, st) == 1;
    lfr_stmt_free(st);
    return seen;
}

/* Whether a user has viewed more distinct things this minute than anyone
 * at a screen would: then the view is refused, not recorded, so no viewer
 * (a script) grows the log without bound (issue 13 item 13). */
static int too_many_views(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t now = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    int slot = -1, oldest = 0;
    for (int i = 0; i < VIEW_RATE_USERS; i++) {
        if (p->view_rate[i].actor == actor->id) slot = i;
        if (p->view_rate[i].window_ms < p->view_rate[oldest].window_ms) oldest = i;
    }
    if (slot < 0) {
        slot = oldest;
        p->view_rate[slot].actor = actor->id;
        p->view_rate[slot].window_ms = now;
        p->view_rate[slot].views = 0;
    }
    if (now - p->view_rate[slot].window_ms >= VIEW_REPEAT_MS) {
        p->view_rate[slot].window_ms = now;
        p->view_rate[slot].views = 0;
    }
    if (++p->view_rate[slot].views <= p->cfg.views_per_minute) return 0;
    lfr_fail(ctx, LFR_EBUSY,
             "%s has viewed %d records this minute: no more views until the minute is out",
             actor->name, p->cfg.views_per_minute);
    return 1;
}

int audit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *action, int64_t id,
          const char *kind, json_t *details)
{
    char object[96];
    snprintf(object, sizeof object, "%s/%lld", kind, (long long)id);
    if (repeated_view(ctx, p, actor ? actor->name : "system", action, object)) {
        json_decref(details);
        return LFR_OK;
    }
    if (actor && strstr(action, ".view") && too_many_views(ctx, p, actor)) {
        json_decref(details);
        return LFR_EBUSY;
    }
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    int rc = lfr_audit_append(ctx, p->s, actor ? actor->name : "system", action, object, text);
    free(text);
    return rc;
}

int finish(lfr_ctx *ctx, lfr_policy *p, int rc)
{
    if (rc == LFR_OK) rc = lfr_store_commit(ctx, p->s);
    if (rc != LFR_OK) {
        lfr_store_rollback(p->s);
        return rc;
    }
    /* The change is made; an anchor that cannot be written is a fault of
     * the log's protection, for the auditor's check to name (SEC-2). */
    if (p->anchor) {
        lfr_ctx *actx = NULL;
        if (lfr_ctx_new(&actx) == LFR_OK) {
            if (lfr_audit_anchor_update(actx, p->anchor, p->s, 0) != LFR_OK)
                snprintf(p->anchor_problem, sizeof p->anchor_problem, "%s", lfr_errmsg(actx));
            else
                p->anchor_problem[0] = '\0';
        }
        lfr_ctx_free(actx);
    }
    return LFR_OK;
}

int lfr_user_count(lfr_ctx *ctx, lfr_policy *p, int64_t *n)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, "SELECT count(*) FROM users", &st);
    if (rc) return rc;
    rc = lfr_stmt_step(ctx, st);
    *n = rc == 1 ? lfr_stmt_int64(st, 0) : 0;
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(name[i] == '.' || name[i] == '_' || name[i] == '-' ||
              (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
            return 0;
    return 1;
}

/* Roles and rank a user may hold: some roles, the duties kept apart, a
 * rank for whoever authorises. */
static int check_roles(lfr_ctx *ctx, const char *name, int roles, int rank)
{
    if (roles <= 0 || roles >= (1 << N_ROLES))
        return lfr_fail(ctx, LFR_EINVAL, "user %s: no roles", name);
    if ((roles & (LFR_ROLE_ADMIN | LFR_ROLE_OVERSIGHT)) && (roles & FACE_ROLES))
        return lfr_fail(ctx, LFR_EPERM,
                        "user %s: an administrator or oversight user may not also hold a role "
                        "that sees faces (separation of duties, SEC-1)",
                        name);
    if ((roles & LFR_ROLE_AUTHORISER) && rank < 1)
        return lfr_fail(ctx, LFR_EINVAL, "user %s: an authorising officer needs a rank", name);
    if (rank < 0 || rank >= N_RANKS)
        return lfr_fail(ctx, LFR_EINVAL, "user %s: unknown rank", name);
    return LFR_OK;
}

int lfr_user_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name, int roles,
                 int rank, const char *password)
{
    if (!name || !valid_name(name))
        return lfr_fail(ctx, LFR_EINVAL,
                        "user name must be 1-63 characters of a-z, 0-9, '.', '_' or '-'");
    int rc0 = check_roles(ctx, name, roles, rank);
    if (rc0) return rc0;
    if (!password || strlen(password) < 12 || strlen(password) > 1024)
        return lfr_fail(ctx, LFR_EINVAL, "user %s: the password must be 12 to 1024 characters",
                        name);
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    int64_t n_users = 0;
    if ((rc = lfr_user_count(ctx, p, &n_users))) return finish(ctx, p, rc);
    if (n_users == 0) {
        if (actor || !(roles & LFR_ROLE_ADMIN))
            return finish(ctx, p,
                          lfr_fail(ctx, LFR_EREFUSED,
                                   "the first user must be an administrator, added "
                                   "without an acting user"));
    } else if ((rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN, "adding a user"))) {
        return finish(ctx, p, rc);
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return finish(ctx, p, lfr_fail(ctx, LFR_ENOMEM, "user %s: cannot hash the password", name));
    lfr_stmt *st = NULL;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "INSERT INTO users (name, roles, rank, password_hash, created_ms) "
                               "VALUES (?,?,?,?,?)",
                               &st)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 1, name)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 2, roles)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 3, rank)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 4, hash)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 5, (int64_t)tv.tv_sec * 1000)))
        goto done;
    rc = lfr_stmt_step(ctx, st);
    if (rc == LFR_EREFUSED) lfr_fail(ctx, LFR_EREFUSED, "user %s already exists", name);
    if (rc >= 0) {
        char role_text[128];
        lfr_roles_format(roles, role_text, sizeof role_text);
        rc = audit(ctx, p, actor, "user.create", lfr_store_last_id(p->s), "user",
                   json_pack("{s:s,s:s,s:s}", "name", name, "roles", role_text, "rank",
                             lfr_rank_name(rank)));
    }
done:
    sodium_memzero(hash, sizeof hash);
    lfr_stmt_free(st);
    return finish(ctx, p, rc);
}

/* A hash of nothing anyone knows, verified against when the name is unknown
 * or disabled, so that the time taken does not tell which names exist. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    if (crypto_pwhash_str(dummy_hash, (const char *)secret, sizeof secret,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE))
        dummy_hash[0] = '\0';
    sodium_memzero(secret, sizeof secret);
}

int lfr_policy_login_lookup(lfr_ctx *ctx, lfr_policy *p, const char *name, lfr_login *out)
{
    memset(out, 0, sizeof *out);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, roles, rank, password_hash, disabled, must_change FROM "
                              "users WHERE name = ?",
                              &st);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 1, name ? name : "");
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 1 && !lfr_stmt_int64(st, 4) && strlen(lfr_stmt_text(st, 3)) < sizeof out->hash) {
        out->actor.must_change = (int)lfr_stmt_int64(st, 5);
        out->usable = 1;
        out->actor.id = lfr_stmt_int64(st, 0);
        snprintf(out->actor.name, sizeof out->actor.name, "%s", name);
        out->actor.roles = (int)lfr_stmt_int64(st, 1);
        out->actor.rank = (int)lfr_stmt_int64(st, 2);
        snprintf(out->hash, sizeof out->hash, "%s", lfr_stmt_text(st, 3));
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int lfr_policy_login_verify(lfr_ctx *ctx, const lfr_login *l, const char *password, lfr_actor *out)
{
    memset(out, 0, sizeof *out);
    pthread_once(&dummy_once, make_dummy_hash);
    const char *hash = l->usable ? l->hash : dummy_hash;
    int ok = password && hash[0] &&
             crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 && l->usable;
    /* One answer for a wrong name and a wrong password. */
    if (!ok)
        return lfr_fail(ctx, LFR_EAUTH, "login: wrong user name or password, or user disabled");
    *out = l->actor;
    return LFR_OK;
}

int lfr_policy_login(lfr_ctx *ctx, lfr_policy *p, const char *name, const char *password,
                     lfr_actor *out)
{
    lfr_login l;
    int rc = lfr_policy_login_lookup(ctx, p, name, &l);
    if (!rc) rc = lfr_policy_login_verify(ctx, &l, password, out);
    sodium_memzero(&l, sizeof l);
    return rc;
}

/* Disables (1) or re-enables (0) a user: an administrator's act, audited. */
static int set_disabled(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                        int disabled)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN,
                            disabled ? "disabling a user" : "enabling a user");
    if (rc) return rc;
    if (disabled && !strcmp(actor->name, name))
        return lfr_fail(ctx, LFR_EREFUSED, "an administrator may not disable themselves");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s, "UPDATE users SET disabled = ? WHERE name = ?", &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, disabled)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 2, name)))
        goto done;
    rc = lfr_stmt_step(ctx, st);
    if (rc >= 0 && lfr_store_changes(p->s) == 0)
        rc = lfr_fail(ctx, LFR_ENOENT, "no user %s", name);
    else if (rc >= 0)
        rc = audit(ctx, p, actor, disabled ? "user.disable" : "user.enable", 0, "user",
                   json_pack("{s:s}", "name", name));
done:
    lfr_stmt_free(st);
    return finish(ctx, p, rc);
}

int lfr_user_disable(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name)
{
    return set_disabled(ctx, p, actor, name, 1);
}

int lfr_user_enable(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name)
{
    return set_disabled(ctx, p, actor, name, 0);
}

int lfr_user_set_roles(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                       int roles, int rank)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN, "changing a user's roles");
    if (rc || (rc = check_roles(ctx, name, roles, rank))) return rc;
    /* Another administrator must: no one widens or narrows their own. */
    if (!strcmp(actor->name, name))
        return lfr_fail(ctx, LFR_EREFUSED,
                        "an administrator may not change their own roles: another must");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    int64_t before_roles = 0, before_rank = 0;
    if ((rc = lfr_stmt_prepare(ctx, p->s, "SELECT roles, rank FROM users WHERE name = ?", &st)) ||
        (rc = lfr_stmt_bind_text(ctx, st, 1, name)))
        goto done;
    rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no user %s", name);
    if (rc < 0 || rc == LFR_ENOENT) goto done;
    before_roles = lfr_stmt_int64(st, 0);
    before_rank = lfr_stmt_int64(st, 1);
    lfr_stmt_free(st);
    st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s, "UPDATE users SET roles = ?, rank = ? WHERE name = ?",
                               &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, roles)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 2, rank)) || (rc = lfr_stmt_bind_text(ctx, st, 3, name)))
        goto done;
    rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    if (!rc)
        rc =
            audit(ctx, p, actor, "user.roles", 0, "user",
                  json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", name, "roles", (json_int_t)roles,
                            "previous_roles", (json_int_t)before_roles, "rank", lfr_rank_name(rank),
                            "previous_rank", lfr_rank_name((int)before_rank)));
done:
    lfr_stmt_free(st);
    return finish(ctx, p, rc < 0 ? lfr_errcode(ctx) : rc);
}

int lfr_user_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN | LFR_ROLE_AUDITOR, "listing users");
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if ((rc = lfr_stmt_prepare(ctx, p->s,
                               "SELECT name, roles, rank, disabled FROM users ORDER BY name", &st)))
        return rc;
    json_t *arr = json_array();
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        char roles[128];
        lfr_roles_format((int)lfr_stmt_int64(st, 1), roles, sizeof roles);
        json_array_append_new(arr,
                              json_pack("{s:s,s:s,s:s,s:b}", "name", lfr_stmt_text(st, 0), "roles",
                                        roles, "rank", lfr_rank_name((int)lfr_stmt_int64(st, 2)),
                                        "disabled", (int)lfr_stmt_int64(st, 3)));
    }
    lfr_stmt_free(st);
    if (rc >= 0) rc = audit_listing(ctx, p, actor, "user.list", 0, "users", arr);
    if (rc < 0 || rc > 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_user_require_new_password(lfr_ctx *ctx, lfr_policy *p, const char *name)
{
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(ctx, p->s, "UPDATE users SET must_change = 1 WHERE name = ?",
                                &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, name)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1) rc = lfr_fail(ctx, LFR_ENOENT, "no user %s", name);
    return finish(ctx, p, rc);
}

void lfr_one_time_password(char out[LFR_ONE_TIME_PASSWORD_LEN])
{
    unsigned char raw[18]; /* 144 bits, 24 characters of base64 */
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, LFR_ONE_TIME_PASSWORD_LEN, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

int lfr_user_reset_password(lfr_ctx *ctx, lfr_policy *p, const char *name,
                            char out[LFR_ONE_TIME_PASSWORD_LEN])
{
    out[0] = '\0';
    char pw[LFR_ONE_TIME_PASSWORD_LEN], hash[crypto_pwhash_STRBYTES];
    lfr_one_time_password(pw);
    int rc = LFR_OK;
    if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE))
        rc = lfr_fail(ctx, LFR_ENOMEM, "cannot hash the password");
    if (!rc && (rc = lfr_store_begin(ctx, p->s))) {
        sodium_memzero(pw, sizeof pw);
        sodium_memzero(hash, sizeof hash);
        return rc;
    }
    lfr_stmt *st = NULL;
    int64_t id = 0;
    if (!rc && !(rc = lfr_stmt_prepare(ctx, p->s, "SELECT id FROM users WHERE name = ?", &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, name))) {
        rc = lfr_stmt_step(ctx, st);
        if (rc == 1) id = lfr_stmt_int64(st, 0);
        rc = rc < 0 ? rc : rc == 0 ? lfr_fail(ctx, LFR_ENOENT, "no user %s", name) : LFR_OK;
    }
    lfr_stmt_free(st);
    st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "UPDATE users SET password_hash = ?, must_change = 1 "
                                "WHERE id = ?",
                                &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, hash)) && !(rc = lfr_stmt_bind_int64(ctx, st, 2, id)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    sodium_memzero(hash, sizeof hash);
    if (!rc)
        rc = audit(ctx, p, NULL, "user.reset_password", id, "user",
                   json_pack("{s:s}", "by",
                             "the host: lfr user reset-password, with the database and its key"));
    rc = finish(ctx, p, rc);
    if (!rc) memcpy(out, pw, sizeof pw);
    sodium_memzero(pw, sizeof pw);
    return rc;
}

int lfr_user_set_password(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *current,
                          const char *new_password)
{
    if (!actor) return lfr_fail(ctx, LFR_EPERM, "changing a password: nobody is logged in");
    if (!new_password || strlen(new_password) < 12 || strlen(new_password) > 1024)
        return lfr_fail(ctx, LFR_EINVAL, "the new password must be 12 to 1024 characters");
    if (current && !strcmp(current, new_password))
        return lfr_fail(ctx, LFR_EINVAL, "the new password must differ from the current one");
    lfr_actor checked;
    int rc = lfr_policy_login(ctx, p, actor->name, current, &checked);
    if (rc == LFR_EAUTH) return lfr_fail(ctx, LFR_EINVAL, "the current password is wrong");
    if (rc) return rc;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, new_password, strlen(new_password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE))
        return lfr_fail(ctx, LFR_ENOMEM, "cannot hash the password");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                "UPDATE users SET password_hash = ?, must_change = 0 WHERE id = ?",
                                &st)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 1, hash)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, checked.id)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    sodium_memzero(hash, sizeof hash);
    if (!rc) rc = audit(ctx, p, actor, "user.password", checked.id, "user", NULL);
    return finish(ctx, p, rc);
}
