/* policy/internal.h - private to the policy module. */
#ifndef LFR_POLICY_INTERNAL_H
#define LFR_POLICY_INTERNAL_H

#include "lfr/policy.h"

#define LISTED_MEMORY 64
#define VIEW_RATE_USERS 64

struct lfr_policy {
    lfr_store *s;
    lfr_policy_config cfg;
    lfr_audit_anchor *anchor; /* NULL: the log is not anchored */
    char anchor_problem[256]; /* why the last anchor could not be written; "" if it could */
    double model_floor;       /* the model's validated floor, before any force's setting */
    /* Distinct views recorded per user in the current minute (the rate limit). */
    struct {
        int64_t actor, window_ms;
        int views;
    } view_rate[VIEW_RATE_USERS];
    unsigned char *key; /* 32 bytes of locked memory, when have_key */
    int have_key;
    /* The last lists shown (who, what, a digest of the items), so that a
     * screen polling the same list again is not a new view to audit. */
    struct {
        int64_t actor;
        unsigned char digest[16];
    } listed[LISTED_MEMORY];
    int n_listed, next_listed;
};

/* A deployment as the lifecycle reads it. */
typedef struct deployment_row {
    int64_t id;
    char name[128];
    char state[16];
    json_t *fields; /* owned */
    int64_t created_by, authorised_by, ratified_by;
    int64_t ratify_by_ms;
    int urgent;
} deployment_row;

/* Loads one (LFR_ENOENT if none); deployment_clear frees what it holds. */
int deployment_load(lfr_ctx *ctx, lfr_policy *p, int64_t id, deployment_row *d);
void deployment_clear(deployment_row *d);
/* Whether now_ms is inside its authorised window [start, end) (DEP-5). */
int deployment_in_window(const deployment_row *d, int64_t now_ms);
/* Whether an urgent authorisation went unratified past its deadline (DEP-3). */
int deployment_ratification_lapsed(const deployment_row *d, int64_t now_ms);

/* The enrolment gate (WL-5), the engine's own, with this policy's limits:
 * the template into tpl and the face's quality as JSON. Messages start
 * with `what` ("watchlist photo"). */
int policy_enrol_face(lfr_ctx *ctx, const lfr_policy *p, const lfr_engine *engine,
                      const uint8_t *photo, size_t len, const char *what, float *tpl,
                      json_t **quality);
/* A photo that passed the gate, before it is stored (watchlist or blue list). */
struct lfr_enrolment {
    float *tpl;
    int dim;
    json_t *quality, *flags;
};

/* A gallery of a deployment's sealed templates: sql selects (id,
 * template) rows of the deployment bound to its one parameter; what names
 * an item in messages ("watchlist entry"). */
int policy_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                   const char *sql, const char *place, const char *what, lfr_gallery **out);

/* Opens a transaction on deployment's cameras (and where they run) for
 * actor: only the applicant's own draft, since they are part of what is
 * authorised. what names the act in messages ("added to"). */
int policy_begin_camera_change(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                               int64_t deployment, const char *what);
/* Calls fn with each template of a deployment, opened into locked memory
 * (wiped after the call): sql selects (id, template) rows of the
 * deployment, bound to its one parameter. */
/* The reviewed templates of a deployment's watchlist: only what was
 * reviewed (WL-4) and not destroyed is searched. */
#define WATCHLIST_TEMPLATES                                                                        \
    "SELECT id, template FROM watchlist_entries WHERE deployment_id = ? AND destroyed_ms IS "      \
    "NULL AND reviewed_by IS NOT NULL AND template IS NOT NULL ORDER BY id"
/* The templates of a deployment's blue list (ACC-3's walk test). */
#define BLUELIST_TEMPLATES                                                                         \
    "SELECT id, template FROM blue_entries WHERE deployment_id = ? AND destroyed_ms IS NULL AND "  \
    "template IS NOT NULL ORDER BY id"
typedef int (*policy_template_fn)(lfr_ctx *ctx, int64_t id, const float *tpl, int dim, void *arg);
int policy_each_template(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int dim,
                         const char *model, const char *sql, const char *place, const char *what,
                         policy_template_fn fn, void *arg);
/* Sealing (policy/seal.c): plain text sealed with the policy's key and
 * bound to its place ("table.column") and row, into a new buffer. */
int policy_seal(lfr_ctx *ctx, const lfr_policy *p, const char *place, int64_t row,
                const void *plain, size_t n, uint8_t **out, size_t *out_len);
/* Opens a sealed box whose plain text must be exactly plain_n bytes; 0 on
 * success, -1 for a wrong size, key, place or row, or a damaged box. */
int policy_open(const lfr_policy *p, const char *place, int64_t row, const uint8_t *box, size_t n,
                void *plain, size_t plain_n);
/* Opens a sealed box of any size into a new buffer (*plain, *plain_n) of
 * locked memory: free it with lfr_locked_free. */
int policy_open_alloc(lfr_ctx *ctx, const lfr_policy *p, const char *place, int64_t row,
                      const uint8_t *box, size_t n, uint8_t **plain, size_t *plain_n);
/* Whether the policy's key opens what the database holds sealed (one
 * photo or crop tried): LFR_EREFUSED, saying so, if not. */
int policy_key_check(lfr_ctx *ctx, const lfr_policy *p);
/* Seals again, bound to their rows, the blobs of the first format. */
int policy_rebind(lfr_ctx *ctx, lfr_policy *p);
/* Destroys a deployment's sealed blobs with sql (?1 the time, ?2 the
 * deployment) and audits how many rows it emptied as `action`. Inside the
 * caller's transaction. */
int policy_destroy_sealed(lfr_ctx *ctx, lfr_policy *p, const char *sql, const char *action,
                          int64_t deployment, int64_t now_ms);

/* Ends a deployment's watchlist (WL-8): photos and templates destroyed,
 * nominal records kept. Inside the caller's transaction. */
int watchlist_destroy(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t now_ms);
/* Refuses authorisation while the watchlist is not ready: unreviewed
 * entries, a reviewer who is the authorising officer, missing second
 * approvals, more entries than planned. */
/* Whether a user reviewed any of a deployment's entries (WL-4: then they
 * may not authorise or ratify it). */
int watchlist_reviewed_by(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t user,
                          int *reviewed);
int watchlist_ready(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_actor *ao,
                    int64_t planned_size);

/* One alert as lfr_alert_show gives it (with its hold, if held), and one
 * of its images opened (policy/alert_views.c), without auditing: inside
 * the caller's transaction, which audits. */
int policy_alert_json(lfr_ctx *ctx, lfr_policy *p, int64_t alert, json_t **out);
int policy_alert_image(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int watchlist_photo,
                       uint8_t **jpeg, size_t *len);

/* Ends the evidence holds whose date has passed (retention's first step).
 * Inside the caller's transaction. */
int evidence_lapse(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms);

/* The walk test (ACC-3), see policy/walktest.c. bluelist_destroy wipes a
 * deployment's blue list templates; walktest_close ends its open walk test
 * (if any) for a reason; walktest_results gives each of its walk tests'
 * result, with each pass when details. Inside the caller's transaction. */
int bluelist_destroy(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t now_ms);
int walktest_close(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   int64_t now_ms, const char *why);
int walktest_results(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int details, json_t **out);

/* The whole audit chain checked, then against its anchor (when it has
 * one): the report names the first problem. */
int policy_verify_log(lfr_ctx *ctx, lfr_policy *p, lfr_audit_report *r);

/* Reads the force's settings recorded in the database (the threshold
 * floor) over the configuration's. */
int settings_load(lfr_ctx *ctx, lfr_policy *p);

/* Runs a statement with integer parameters, then text ones (NULL text
 * binds NULL), numbered in that order. */
int policy_exec(lfr_ctx *ctx, lfr_store *s, const char *sql, const int64_t *nums, int n_nums,
                const char *const *texts, int n_texts);
/* One integer from a query with one id as its only parameter; -1 on
 * failure. */
int64_t policy_count(lfr_ctx *ctx, lfr_policy *p, const char *sql, int64_t id);
/* Appends an audit record inside the current transaction. */
int audit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *action, int64_t id,
          const char *kind, json_t *details /* stolen; may be NULL */);
/* Audits a list shown to a user (SEC-2: views are audited) with what it
 * held: each item's "id" (or "name"). An empty list is no view of anyone,
 * and the same list shown to the same user again (a screen polling) is no
 * new one: neither is recorded, so screens do not flood the log. In a
 * transaction of its own. */
int audit_listing(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *action,
                  int64_t id, const char *kind, const json_t *list);
/* Ends the transaction: commit when rc is LFR_OK, else roll back. */
int finish(lfr_ctx *ctx, lfr_policy *p, int rc);

/* DEP-7: the expected false alerts of a record (fmr_at_threshold,
 * expected_false_alerts, false_alerts_per_1000_faces) into details. Returns
 * the false alerts per 1,000 faces, or -1 when the operating points are
 * unknown or do not cover the threshold. */
double estimate_false_alerts(const lfr_policy *p, const json_t *fields, json_t *details);

/* Validates and stores one DEP-4 field into the record. */
/* Free text an officer typed: present and not blank, at most max bytes of
 * valid UTF-8, no control characters (but newlines and tabs when
 * multiline), nothing invisible or direction-changing. LFR_EINVAL as
 * "what: why". */
int text_check(lfr_ctx *ctx, const char *what, const char *v, size_t max, int multiline);

int field_set(lfr_ctx *ctx, const lfr_policy_config *cfg, json_t *record, const char *field,
              const char *value);
/* The first mandatory field missing from a record, or NULL. */
const char *field_missing(const json_t *record);

#endif
