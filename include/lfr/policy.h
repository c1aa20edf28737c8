/* lfr/policy.h - the rules of REQUIREMENTS sections 1, 2, 3 and 7, enforced
 * on the store: users and roles, deployments and their lifecycle.
 *
 * Every call takes the acting user, already authenticated with
 * lfr_policy_login, and checks what that user may do; every change is
 * written together with its audit record in one transaction, so both happen
 * or neither. A refused call changes nothing and says which rule refused.
 *
 * Threads: a policy wraps one store connection: one thread at a time.
 */
#ifndef LFR_POLICY_H
#define LFR_POLICY_H

#include <jansson.h>
#include <stdio.h>

#include "lfr/audit.h"
#include "lfr/match.h"
#include "lfr/store.h"
#include "lfr/vision.h"

/* Roles (SEC-1); a user may hold several, within separation of duties. */
enum {
    LFR_ROLE_APPLICANT = 1 << 0,
    LFR_ROLE_AUTHORISER = 1 << 1, /* authorising officer (with a rank) */
    LFR_ROLE_REVIEWER = 1 << 2,   /* watchlist reviewer */
    LFR_ROLE_OPERATOR = 1 << 3,
    LFR_ROLE_ENGAGEMENT = 1 << 4, /* engagement officer */
    LFR_ROLE_AUDITOR = 1 << 5,    /* auditor / data protection officer */
    LFR_ROLE_OVERSIGHT = 1 << 6,  /* read-only aggregates, never a face */
    LFR_ROLE_ADMIN = 1 << 7,      /* users and settings, never a face */
};

/* Parses "applicant,authoriser" into a mask; -1 for an unknown name. */
int lfr_roles_parse(const char *list);
/* Writes the names of a mask, comma-separated. */
void lfr_roles_format(int roles, char *buf, size_t len);
/* Police ranks in order; 0 = none. Parses "superintendent" etc.; -1 if
 * unknown. */
int lfr_rank_parse(const char *name);
const char *lfr_rank_name(int rank);

typedef struct lfr_policy_config {
    int min_rank;            /* to authorise (default superintendent) */
    int urgent_rank;         /* to authorise on the urgent route (inspector) */
    int ratify_hours;        /* urgent authorisations must be ratified within (24) */
    int max_window_hours;    /* a deployment lasts at most (24: time-bound use) */
    int start_grace_minutes; /* it may be authorised at most this long after its start (15) */
    double threshold_floor;  /* the validated floor of the model in use (DEP-6) */
    double max_false_alerts_per_1000; /* DEP-7 ceiling (1.0, as South Wales 2018) */
    int max_watchlist;                /* WL-7 (10,000) */
    /* FMR of the model at a threshold, from its measured operating points;
     * < 0 if unknown. NULL: DEP-7 cannot be checked and authorising refuses. */
    double (*fmr_at)(double threshold, void *arg);
    void *fmr_arg;
    /* ACC-1: what fmr_at was measured on (NULL: unnamed), and the FMR in
     * the wild with its 95% interval where measured (LFR_OK), else
     * nonzero. NULL: not measured in the wild. */
    const char *fmr_data;
    int (*fmr_in_the_wild)(double threshold, void *arg, lfr_fmr_claim *out);
    /* Watchlist photos and templates are encrypted with this 32-byte key
     * (libsodium secretbox), read from a file outside the database that must
     * be mode 0600 (lfr_policy_load_key). NULL: watchlists refuse photos. */
    const unsigned char *key;
    /* The enrolment gate's limits (WL-5; lfr_enrol_default_params). */
    lfr_enrol_params enrol;
    int photo_warn_years;  /* 5: older photos are flagged */
    int photo_max_years;   /* 10: older ones need a justification */
    float duplicate_cos;   /* 0.6: entries this alike are flagged as the same person */
    int require_walk_test; /* 0: a force may require a walk test before going live (ACC-3) */
    int views_per_minute;  /* 300: distinct audited views a user may make in a minute */
    /* The audit log's anchor outside the database (lfr_audit_anchor_open):
     * its file and signing key, beside the database, never in it. NULL: not
     * anchored. A policy refuses to open over a log that lost what was
     * anchored, anchors the head after each change (at most once a second)
     * and when freed. */
    const char *audit_anchor_path, *audit_anchor_key_path;
    /* A JSON object: the settings the server starts with, put on the record
     * (audited as settings.start) when the policy opens. NULL: none. */
    const char *start_settings;
} lfr_policy_config;

/* Reads (creating with a random key if absent) the 32-byte watchlist key.
 * Refuses a file readable by anyone but its owner. */
int lfr_policy_load_key(lfr_ctx *ctx, const char *path, unsigned char key[32]);

lfr_policy_config lfr_policy_default_config(void);
/* Takes the threshold floor (DEP-6) and the false match rates (DEP-7) from
 * the embedder's measured operating points; the model must outlive the
 * policy. Fails, changing nothing, for a model without them. */
int lfr_policy_config_use_model(lfr_ctx *ctx, lfr_policy_config *cfg, const lfr_model *embedder);

typedef struct lfr_policy lfr_policy;

/* The policy borrows the store; cfg is copied. */
int lfr_policy_new(lfr_ctx *ctx, lfr_store *s, const lfr_policy_config *cfg, lfr_policy **out);
/* The one way the server and the command line open the rules on a
 * database: the store at db_path (created and migrated), the watchlist key
 * at key_path (NULL: db_path + ".key"), the audit log's anchor beside the
 * database, and the policy with cfg (its operating points from
 * lfr_policy_config_use_model; NULL: defaults) and the settings the
 * database records. On success the caller frees the policy, then closes
 * the store. */
int lfr_policy_open(lfr_ctx *ctx, const char *db_path, const char *key_path,
                    const lfr_policy_config *cfg, lfr_store **store, lfr_policy **out);
/* How many users there are (0: the first start). */
int lfr_user_count(lfr_ctx *ctx, lfr_policy *p, int64_t *n);
/* Whether the policy holds a watchlist key (photos and templates can be
 * sealed and opened). */
int lfr_policy_has_key(const lfr_policy *p);
void lfr_policy_free(lfr_policy *p);

/* An authenticated user. */
typedef struct lfr_actor {
    int64_t id;
    char name[64];
    int roles;
    int rank;
    int must_change; /* the password is one-time: it must be changed first */
} lfr_actor;

/* The one role check (SEC-1), for the policy, the reports and the server
 * alike: LFR_OK when actor holds one of the roles in `any`, else LFR_EPERM
 * saying what needed which roles. actor NULL: nobody. */
int lfr_actor_need(lfr_ctx *ctx, const lfr_actor *actor, int any, const char *what);

/* Checks name and password (argon2id) of an enabled user. LFR_EAUTH for a
 * wrong name or password (one message for both). */
int lfr_policy_login(lfr_ctx *ctx, lfr_policy *p, const char *name, const char *password,
                     lfr_actor *out);

/* The same in two steps, so that the slow, memory-hard check needs no hold
 * on the store: the lookup reads the user (under the caller's lock), the
 * check verifies the password against it, or against a hash nobody knows
 * when the name is unknown or disabled, taking the same time either way. */
typedef struct lfr_login {
    lfr_actor actor;
    char hash[128];
    int usable; /* the user exists and is enabled */
} lfr_login;
int lfr_policy_login_lookup(lfr_ctx *ctx, lfr_policy *p, const char *name, lfr_login *out);
int lfr_policy_login_verify(lfr_ctx *ctx, const lfr_login *l, const char *password, lfr_actor *out);

/* Adds a user (administrators only; the very first user must be an
 * administrator and is added with actor NULL). Refuses role mixes that
 * break separation of duties (an administrator or oversight user with face
 * access), an authorising officer without a rank, a password under 12
 * characters. */
int lfr_user_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name, int roles,
                 int rank, const char *password);
int lfr_user_disable(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name);
/* Re-enables a disabled user (administrators; audited as user.enable). */
int lfr_user_enable(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name);
/* Gives a user other roles and rank (administrators, not on themselves;
 * the same rules as lfr_user_add, separation of duties included; audited
 * as user.roles with what they were). The user's sessions must end: they
 * hold the old roles. */
int lfr_user_set_roles(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                       int roles, int rank);
/* Marks a user's password as one-time: it must be changed at the next
 * login (the system, for the first administrator's generated password). */
int lfr_user_require_new_password(lfr_ctx *ctx, lfr_policy *p, const char *name);
/* A new random password, 24 URL-safe characters and a NUL, for one login. */
#define LFR_ONE_TIME_PASSWORD_LEN 25
void lfr_one_time_password(char out[LFR_ONE_TIME_PASSWORD_LEN]);
/* Recovery on the host (`lfr user reset-password`): whoever can open the
 * database with its key file gives the user a new one-time password
 * (*out), to be changed at the next login. Audited as done on the host; a
 * disabled user stays disabled. LFR_ENOENT for no such user. */
int lfr_user_reset_password(lfr_ctx *ctx, lfr_policy *p, const char *name,
                            char out[LFR_ONE_TIME_PASSWORD_LEN]);
/* The acting user changes their own password: the current one is checked,
 * the new one must differ and have 12 characters or more. Audited. */
int lfr_user_set_password(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *current,
                          const char *new_password);
/* Users as a JSON array (no password hashes). Administrators and auditors. */
int lfr_user_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out);

/* Deployments (DEP-1..10). Times are Unix milliseconds. */
int lfr_deployment_create(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                          int64_t *id);
/* Sets one field of a draft's DEP-4 record, validated (see the field list
 * in policy/fields.c). The threshold of an authorised or live deployment
 * may be changed by its authorising officer only, never below the floor. */
int lfr_deployment_set(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                       const char *field, const char *value);
/* The DEP-4 fields: [{name, kind (text, time, threshold, count, yesno),
 * mandatory, meaning}], for forms. New reference. */
json_t *lfr_deployment_fields(void);
int lfr_deployment_add_location(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                                const char *name, const char *reason, int sensitive,
                                const char *justification);
int lfr_deployment_submit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id);
/* Authorises at now_ms: checks role, rank (or the urgent route), that the
 * officer did not apply, every mandatory field, the window, the threshold
 * floor and the expected false alerts; freezes the record and audits its
 * hash. */
int lfr_deployment_authorise(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                             int urgent, int64_t now_ms);
int lfr_deployment_ratify(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          int64_t now_ms);
int lfr_deployment_start(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                         int64_t now_ms);
/* LFR_OK only while live, inside [start, end) and not past an urgent
 * ratification deadline (DEP-5): the camera pipelines ask before each
 * frame batch. */
int lfr_deployment_may_process(lfr_ctx *ctx, lfr_policy *p, int64_t id, int64_t now_ms);
int lfr_deployment_stop(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                        const char *reason, int64_t now_ms);
int lfr_deployment_suspend(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                           const char *reason, int64_t now_ms);
int lfr_deployment_cancel(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          const char *reason, int64_t now_ms);
/* The threshold floor (DEP-6), recorded in the database for every server
 * and command on it: set by an authorising officer of the authorising
 * rank, with a reference to the validation evidence (ACC-1), audited with
 * the model's own floor beside it. */
int lfr_policy_set_floor(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, double floor,
                         const char *evidence, int64_t now_ms);
/* {threshold_floor, model_floor, source ("model" or "set by the force"),
 * evidence, set_by, set_ms}. */
int lfr_policy_floor(lfr_ctx *ctx, lfr_policy *p, json_t **out);

/* Post-deployment sign-off by the authorising officer (PUB-2). */
int lfr_deployment_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          int64_t now_ms);
/* Ends what must end by now_ms: live deployments past their end time, and
 * urgent ones not ratified in time. Audited as acts of "system". */
int lfr_policy_tick(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int *n_ended);
/* The deployment as JSON: record, state, locations, who applied and
 * authorised, times, the threshold floor and false alert ceiling, and the
 * expected false alerts (DEP-7) once the record allows; audited as a view. */
int lfr_deployment_show(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                        json_t **out);
int lfr_deployment_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out);
/* The closing report of an ended deployment (DEP-10): planned against
 * actual times, the end reason, the watchlist by category, alerts by
 * decision and outcome, engagement durations. Aggregates only: no face, no
 * identity. Audited as an export. */
int lfr_deployment_report(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                          json_t **out);

/* Watchlists (WL-1..8). Categories: wanted, suspect, bail_or_order,
 * missing_at_risk, risk_of_harm, associate, witness, victim. */
typedef struct lfr_watchlist_entry {
    const char *person_ref; /* the nominal record: who (name or PNC id) */
    const char *category;
    const char *reason;              /* why necessary and proportionate for this deployment */
    const char *source;              /* where the image comes from */
    const char *legal_basis;         /* images lawfully held by police */
    const char *photo_date;          /* YYYY-MM-DD */
    const char *extra_justification; /* associates, witnesses, victims, old photos, children */
    int child;                       /* under 18 */
} lfr_watchlist_entry;

/* Adds an entry to a draft or submitted deployment's watchlist: checks the
 * record (WL-2, WL-3, WL-6), runs the engine's quality gate on the photo
 * (exactly one usable face, WL-5) and compares it with the other entries
 * (near-duplicates are flagged in *flags, a JSON array, owned). The photo
 * and template are stored encrypted. */
int lfr_watchlist_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      const lfr_watchlist_entry *e, const lfr_engine *engine, const uint8_t *photo,
                      size_t photo_len, int64_t now_ms, int64_t *id, json_t **flags);
/* The same in two steps, so that the engine's work on the photo needs no
 * hold on the store: lfr_watchlist_enrol checks the record (WL-2, WL-3,
 * WL-6) and the photo (WL-5) and makes the template, reading only the
 * policy's settings; lfr_watchlist_add_enrolled does the rest, as
 * lfr_watchlist_add. The enrolment is wiped when freed. */
typedef struct lfr_enrolment lfr_enrolment;
int lfr_watchlist_enrol(lfr_ctx *ctx, const lfr_policy *p, const lfr_actor *actor,
                        const lfr_watchlist_entry *e, const lfr_engine *engine,
                        const uint8_t *photo, size_t photo_len, int64_t now_ms,
                        lfr_enrolment **out);
int lfr_watchlist_add_enrolled(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                               int64_t deployment, const lfr_watchlist_entry *e,
                               const lfr_enrolment *en, const uint8_t *photo, size_t photo_len,
                               int64_t now_ms, int64_t *id, json_t **flags);
void lfr_enrolment_free(lfr_enrolment *en);
/* Second approval of an associate, witness or victim entry (WL-2), or of a
 * child (WL-6: at least a superintendent), by someone other than who added
 * it. */
int lfr_watchlist_approve(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry);
/* Review attestation (WL-4) by a watchlist reviewer. */
int lfr_watchlist_review(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                         int64_t now_ms);
/* Destroys an entry's photo and template (the nominal record stays). While
 * the list is built: its applicant or a reviewer; once authorised: its
 * authorising officer, and the running cameras drop the person within a
 * tick (lfr_watchlist_removed). */
int lfr_watchlist_remove(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                         int64_t now_ms);
/* The ids of a deployment's removed entries (at most max; LFR_ELIMIT past
 * it), for a running gallery to drop; with ids NULL, only how many. */
int lfr_watchlist_removed(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int64_t *ids, int max,
                          int *n);
int lfr_watchlist_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                       json_t **out);
/* What may be copied from an earlier deployment's reviewed watchlist into
 * the applicant's draft `target` (issue 15 item 6, policy/watchlist_copy.c):
 * {from, from_name, from_state, entries: [{entry, person_ref, category,
 * reason, source, legal_basis, photo_date, extra_justification, child,
 * photo_kept}], removed}. Reviewed entries only, less those taken off the
 * list while it ran; photo_kept while the earlier list still holds the
 * photo (lfr_watchlist_copy_photo opens it), else only the record is left
 * (WL-8). The caller adds each entry as one typed by hand: a new,
 * unreviewed entry. Audited as watchlist.copy. */
int lfr_watchlist_copy_source(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t target,
                              int64_t from, json_t **out);
/* The photo of an entry being copied (photo_kept), for the applicant's
 * copy only: not a look at a face (the new entry's watchlist.add and the
 * copy are audited). Free with lfr_locked_free. */
int lfr_watchlist_copy_photo(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                             uint8_t **jpeg, size_t *len);
/* Subject access (WL-8): every watchlist a person was on, when, in which
 * category, from the nominal records. Auditors only; audited. */
int lfr_sar_lookup(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *person_ref,
                   json_t **out);

/* Alerts (HIL-1, HIL-2): a possible match, never a decision (PRI-4). */
typedef struct lfr_alert_record {
    int64_t deployment, entry; /* the watchlist entry matched */
    const char *camera;
    int64_t time_ms;
    int track_id;
    double score;
    const char *quality_json; /* may be NULL */
    const uint8_t *crop_jpeg; /* the probe face; stored encrypted */
    size_t crop_len;
    int64_t waited_ms;  /* how long it waited to be written (the store failing), 0 at once */
    const char *origin; /* an edge node's id for it ("NODE-RANDOM"), or NULL */
} lfr_alert_record;

/* Records an alert of a live deployment (as "system", the pipeline). */
int lfr_alert_record_new(lfr_ctx *ctx, lfr_policy *p, const lfr_alert_record *a, int64_t *id);
/* Records that n alerts of a deployment could not be kept (why: the
 * store failed for longer than they could wait); audited, nothing of them
 * but their number. */
int lfr_alerts_lost(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int n, const char *why);
/* The operator's decision: engage = 0 closes it as a false alert ("no
 * match"), 1 sends an engagement officer. */
int lfr_alert_decide(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert, int engage,
                     int64_t now_ms);
/* The engagement officer's outcome (HIL-2); closes the alert. action: arrest,
 * other_action, safeguarding, words_of_advice, no_further_action,
 * person_not_found. group: the officer-recorded demographic group (PUB-6),
 * or NULL. */
int lfr_alert_outcome(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                      int identity_confirmed, const char *action, int engagement_seconds,
                      const char *group, int64_t now_ms);

/* Retention (PRI-3): deletes alert data older than retention_days and the
 * photos and templates of ended deployments' watchlists (WL-8), each
 * deletion audited. */
int lfr_policy_retention(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int retention_days,
                         int *n_alerts_deleted);

/* Evidence holds (issue 15 item 3, policy/evidence.c). An alert needed
 * for proceedings is held by an operator, engagement officer or
 * authorising officer: why, under which case reference, until when (at
 * most two years ahead; holding a held alert renews it). While held,
 * retention passes it by and the hold keeps the watchlist photo past the
 * watchlist's destruction. An authorising officer or auditor releases it;
 * at its date it lapses. Each step audited. */
int lfr_alert_hold(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                   const char *reason, const char *reference, int64_t until_ms, int64_t now_ms);
int lfr_alert_release(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                      const char *why, int64_t now_ms);
/* Holds, open ones first (and released or lapsed ones when released):
 * [{id, alert, held_by, held_ms, until_ms, reason, reference,
 * watchlist_photo_kept, alert_kept, camera, time_ms, deployment_name,
 * released?: {ms, by, reason}}]; audited as a view. */
int lfr_evidence_holds(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int released,
                       json_t **out);
/* A held alert's evidence bundle, for operators and engagement officers:
 * a JSON document {format, payload, signature} whose payload (JSON text)
 * holds the alert with its hold, who decided and recorded the outcome,
 * both faces (JPEG, base64, with SHA-256) and every audit record about
 * the alert with its hashes, the export's own last. Signed with the audit
 * anchor's key (refused without one). Audited. Free *out with
 * lfr_wipe_free_unsized. */
int lfr_evidence_bundle(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                        int64_t now_ms, char **out);
/* Checks a bundle: its signature (and that its key is expected_key, the
 * anchor file's, when given), each face against its SHA-256, each audit
 * record against its hash. LFR_OK with a report {alert, reference,
 * exported_by, exported_ms, audit_records, public_key, key_checked, crop,
 * watchlist_photo}, or the first problem. */
int lfr_evidence_verify(lfr_ctx *ctx, const char *bundle, const unsigned char *expected_key,
                        json_t **report);

/* Cameras (part of the application: added to a draft by its applicant).
 * source: a file, rtsp://, http(s):// URL, /dev/video*, or a folder of
 * images. */
int lfr_camera_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   const char *name, const char *source, const char *location);
/* A draft's camera changed (source or location; NULL keeps it) or removed,
 * by the applicant who made the draft; audited (the source never: it may
 * hold a password). */
int lfr_camera_edit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                    const char *name, const char *source, const char *location);
int lfr_camera_remove(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      const char *name);
/* The cameras with their counts so far: [{name, source, location, frames,
 * faces, compared, dropped, last_state, last_message, alerts}] (last_state
 * and last_message: how its last run ended, "" before one has). actor
 * NULL: the system (the server's runner). */
int lfr_camera_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                    json_t **out);
/* Adds a camera's counts since its last report (the system, from the
 * pipeline): frames processed, faces seen (one per track), templates
 * compared. Aggregates only (PRI-1); the published figures rest on them. */
int lfr_deployment_count(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *camera,
                         int64_t frames, int64_t faces, int64_t compared, int64_t now_ms);
/* How a camera's run ended (the system, when its pipeline stops): frames it
 * dropped in that run, its last state and the reason; also a node camera's
 * state as its node reports it (0 dropped, no message). */
int lfr_camera_stopped(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *camera,
                       int64_t dropped, const char *state, const char *message, int64_t now_ms);
/* The reviewed watchlist of a deployment as a gallery for the engine's
 * embedder (ids are the entry ids in decimal). Refuses templates of
 * another model. The caller frees it, which wipes it. */
int lfr_watchlist_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                          lfr_gallery **out);
/* Edge nodes (issue 17 item 3; policy/nodes.c, policy/node_work.c). A
 * node runs the cameras of the deployments placed on it, beside them, and
 * sends the centre alerts and counts, never anything of a non-match. */
#define LFR_NODE_KEY_BYTES 32
#define LFR_NODE_SIGN_SK_BYTES 64
#define LFR_NODE_SIG_B64 100
#define LFR_NODE_OFFLINE_MIN_S 10
#define LFR_NODE_OFFLINE_MAX_S (24 * 3600)
#define LFR_NODE_MAX_CAMERAS 16
/* How far a node's clock may be from the centre's. */
#define LFR_NODE_CLOCK_SKEW_MS (120 * 1000)
typedef struct lfr_node {
    int64_t id;
    char name[128]; /* 63 bytes at most as enrolled; more once renamed on revocation */
    char state[16]; /* pending, approved, revoked */
    uint8_t sign_pk[LFR_NODE_KEY_BYTES], box_pk[LFR_NODE_KEY_BYTES];
    int64_t seen_ms, refused_ms; /* 0: never */
} lfr_node;
/* A node's request is signed over its method, path (with query), time and
 * body; verify returns 0 when the signature is the key's, -1 if not. */
void lfr_node_sign_request(const uint8_t sign_sk[LFR_NODE_SIGN_SK_BYTES], const char *method,
                           const char *path, int64_t time_ms, const void *body, size_t len,
                           char sig_b64[LFR_NODE_SIG_B64]);
int lfr_node_verify_request(const uint8_t sign_pk[LFR_NODE_KEY_BYTES], const char *method,
                            const char *path, int64_t time_ms, const void *body, size_t len,
                            const char *sig_b64);
/* The centre's answer to a node's request is signed with the centre's key
 * over the request's signature, the status and the body: a node takes no
 * answer a proxy made or moved from another request. */
void lfr_node_sign_reply(const uint8_t sign_sk[LFR_NODE_SIGN_SK_BYTES], const char *request_sig,
                         long status, const void *body, size_t len, char sig_b64[LFR_NODE_SIG_B64]);
int lfr_node_verify_reply(const uint8_t sign_pk[LFR_NODE_KEY_BYTES], const char *request_sig,
                          long status, const void *body, size_t len, const char *sig_b64);
/* How a node's key is named to people: the first 16 hex digits of the
 * SHA-256 of its signing key (what the console shows beside the node). */
void lfr_node_key_fingerprint(const uint8_t pk[LFR_NODE_KEY_BYTES], char out[17]);
/* An administrator issues a one-time enrolment code for a node's name,
 * valid a day (a new one replaces it); the code is shown once and kept as
 * its hash. Audited node.code. */
/* The code is 20 random letters and digits, '-', and the centre's key
 * fingerprint (16 hex digits): the node checks the keys the centre sends
 * at enrolment against it, so nothing between them can put its own. */
#define LFR_NODE_CODE_SECRET 20
#define LFR_NODE_CODE_CHARS (LFR_NODE_CODE_SECRET + 1 + 16)
#define LFR_NODE_CODE_TTL_MS (24LL * 3600 * 1000)
int lfr_node_code_issue(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                        int64_t now_ms, char code[LFR_NODE_CODE_CHARS + 1]);
/* The fingerprint of the centre's two public keys as a code carries it:
 * the first 16 hex digits of SHA-256(sign_pk || box_pk). */
void lfr_node_centre_fingerprint(const uint8_t sign_pk[LFR_NODE_KEY_BYTES],
                                 const uint8_t box_pk[LFR_NODE_KEY_BYTES], char out[17]);
/* A machine asks to be a node, with its name's code (LFR_EAUTH without a
 * valid one): pending until approved (audited node.enrol, by the system,
 * with its key's fingerprint). A revoked node of the same name is renamed
 * "NAME (revoked, node ID)" (audited node.rename; node.enrol says which it
 * replaces) so its replacement can take the name. */
int lfr_node_enrol(lfr_ctx *ctx, lfr_policy *p, const char *name, const char *code,
                   const uint8_t sign_pk[LFR_NODE_KEY_BYTES],
                   const uint8_t box_pk[LFR_NODE_KEY_BYTES], int64_t now_ms, int64_t *id);
/* The administrator's decision: approve (a pending node) or revoke (for
 * good, with a reason). Audited node.approve / node.revoke. */
int lfr_node_decide(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id, int approve,
                    const char *reason, int64_t now_ms);
/* [{id, name, state, key, enrolled_ms, decided_ms, seen_ms, live_deployments}] */
int lfr_node_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out);
int lfr_node_get(lfr_ctx *ctx, lfr_policy *p, int64_t id, lfr_node *out);
/* The node a deployment is placed on; LFR_ENOENT when it runs on the
 * centre's servers. */
int lfr_node_of_deployment(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, lfr_node *out);
/* A call refused to a known node (pending or revoked): audited
 * node.refused, at most once a minute a node. */
int lfr_node_refused(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const char *why,
                     int64_t now_ms);
/* Notes when a node was last heard from (at most every few seconds). */
int lfr_node_seen(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, int64_t now_ms);
/* Places a draft's cameras on a node (0: on the centre's servers), and how
 * long the node may run them without word from the centre (seconds).
 * The applicant's own draft; audited deployment.node. */
int lfr_deployment_set_node(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                            int64_t node, int offline_s);
/* The centre's X25519 box key, derived from the watchlist key (so every
 * server has it): what nodes seal their alerts to. sk (NULL: not wanted)
 * must be locked memory of crypto_box_SECRETKEYBYTES. */
int lfr_node_centre_key(lfr_ctx *ctx, const lfr_policy *p, uint8_t pk[LFR_NODE_KEY_BYTES],
                        uint8_t *sk);
/* The centre's Ed25519 key that signs its answers to nodes, derived the
 * same way; sk: locked memory of crypto_sign_SECRETKEYBYTES, or NULL. */
int lfr_node_centre_sign_key(lfr_ctx *ctx, const lfr_policy *p, uint8_t pk[LFR_NODE_KEY_BYTES],
                             uint8_t *sk);
/* What an approved node runs now: {version, model, dim, deployments: [{id,
 * end_ms, threshold, max_offline_s, cameras: [{name, source}], entry_ids,
 * entries, templates}]}, templates being base64 of crypto_box_seal to the node's box
 * key of (entry id, 8 bytes little-endian; dim floats) each. When have is
 * the version, {version, unchanged: true} alone. */
int lfr_node_assignment(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const lfr_engine *engine,
                        const char *have, int64_t now_ms, json_t **out);
/* An alert from a node, sealed to the centre's box key: a JSON object
 * {origin, deployment, entry, camera, time_ms, track, score, quality,
 * crop (base64 JPEG)}. Kept once per origin: a repeat gets the first's id
 * and *repeat = 1. attempt > 0: it was sent before (it waited). A new
 * alert's announcement (id, deployment, camera, time_ms, score) into
 * *event, for the caller to publish. With walk_test, a walk test's hit
 * (ACC-3: blue list, no crop, never an alert; *id 0): recorded for the
 * test, *event its announcement (deployment, walk_test, entry, camera,
 * time_ms, score). */
int lfr_node_alert(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const uint8_t *box, size_t len,
                   int attempt, int64_t now_ms, int64_t *id, int *repeat, json_t **event);
/* A node's counts: {deployment, run, cameras: [{name, frames, faces,
 * compared}]}, the totals of one run of its pipeline (run: a random id of
 * the node's): what they add to the last totals of that run is counted,
 * all cameras or none, so a batch taken twice counts once. */
int lfr_node_counts(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const json_t *counts,
                    int64_t now_ms);
/* Login sessions and log-in throttles in the database, shared by the
 * servers on it (issue 17). On a store of their own, not the policy's, so a
 * long policy call never holds up a request's session check. A session is
 * known by the hex SHA-256 of its token. */
typedef struct lfr_session_rec {
    lfr_actor actor; /* as the users table has it now */
    char csrf[65];
    int64_t created_ms, seen_ms;
} lfr_session_rec;
/* Saves a new session; a user's oldest give way beyond max_per_user. */
int lfr_session_save(lfr_ctx *ctx, lfr_store *s, const char *token_hash, const char *csrf,
                     const lfr_actor *actor, int64_t now_ms, int max_per_user);
/* The live session of that token (LFR_ENOENT: none, expired, or its user
 * disabled). refresh: the user acted now (recorded at most every
 * refresh_ms, so requests are not each a write). */
int lfr_session_load(lfr_ctx *ctx, lfr_store *s, const char *token_hash, int64_t now_ms,
                     int64_t max_age_ms, int64_t idle_ms, int64_t refresh_ms, int refresh,
                     lfr_session_rec *out);
int lfr_session_delete(lfr_ctx *ctx, lfr_store *s, const char *token_hash);
/* Ends every session of a user (disabled, roles or password changed). */
int lfr_session_delete_user(lfr_ctx *ctx, lfr_store *s, const char *name);
/* A log-in try under key: *wait_s seconds while it is locked; else the try
 * counts as a failure (before the password is checked, so tries sent at
 * once cannot pass the lock together) and the limit-th locks it for
 * lock_ms. */
int lfr_login_throttle(lfr_ctx *ctx, lfr_store *s, const char *key, int limit, int64_t now_ms,
                       int64_t lock_ms, int *wait_s);
int lfr_login_throttle_clear(lfr_ctx *ctx, lfr_store *s, const char *key);
/* Several servers on one database (issue 17): a deployment's cameras run
 * on the one server holding its lease. Takes the lease for holder (a
 * server's id) or renews it, until now_ms + ttl_ms; *held is 1 when holder
 * has it. A lease past its time is anyone's: its holder stopped renewing
 * (a server died). Taking one (first, or from another) is audited as
 * deployment.runner. */
int lfr_runner_lease(lfr_ctx *ctx, lfr_policy *p, const char *holder, int64_t deployment,
                     int64_t now_ms, int64_t ttl_ms, int *held);
/* Gives the lease up: the cameras stopped here, another may start them. */
int lfr_runner_release(lfr_ctx *ctx, lfr_policy *p, const char *holder, int64_t deployment);
/* The deployments whose cameras must run now: live, inside their window,
 * ratified in time (DEP-5), with their authorised thresholds; those placed
 * on node (0: the centre's own servers). */
typedef struct lfr_running {
    int64_t id;
    double threshold;
    int64_t walk_test; /* 0: live; else this walk test runs, on the blue list */
} lfr_running;
int lfr_deployments_running(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int64_t node,
                            lfr_running *out, int max, int *n);
/* Walk test (ACC-3). Consenting staff on a deployment's blue list walk
 * past its cameras once it is authorised and before it goes live; the
 * operator announces each pass; the cameras search the blue list alone, at
 * the authorised threshold, and their hits keep no face. The blue list
 * never alerts an engagement officer, never counts in published alert
 * figures, and its templates are destroyed when the deployment goes live
 * or ends. Built by the deployment's applicant or an operator (with the
 * consent form's reference), in two steps like a watchlist entry. */
int lfr_bluelist_enrol(lfr_ctx *ctx, const lfr_policy *p, const lfr_actor *actor,
                       const lfr_engine *engine, const uint8_t *photo, size_t photo_len,
                       lfr_enrolment **out);
int lfr_bluelist_add_enrolled(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                              int64_t deployment, const char *staff_ref, const char *consent_ref,
                              const lfr_enrolment *en, int64_t now_ms, int64_t *id);
int lfr_bluelist_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      json_t **out);
/* The blue list as a gallery (ids: the blue entry ids in decimal). */
int lfr_bluelist_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                         lfr_gallery **out);
/* An operator starts a walk test: the deployment authorised, inside its
 * window, with a blue list, and no other test running. */
int lfr_walktest_start(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                       int64_t now_ms, int64_t *id);
/* The operator announces that a staff member (blue entry) sets off past a
 * camera (NULL: any of its cameras). */
int lfr_walktest_pass(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      int64_t entry, const char *camera, int64_t now_ms, int64_t *id);
int lfr_walktest_end(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                     int64_t now_ms);
/* A hit of a running walk test (the system, from the pipeline); refused
 * once the test is over or for an entry not on its blue list. */
int lfr_walktest_hit(lfr_ctx *ctx, lfr_policy *p, int64_t test, int64_t entry, const char *camera,
                     int64_t time_ms, double score);
/* Every walk test of a deployment: [{id, started_ms, ended_ms, threshold,
 * started_by, passes, found, hit_rate, hit_rate_lo, hit_rate_hi (Wilson
 * 95%), median_seconds_to_alert, hits, false_alerts, pass_seconds,
 * pass_list: [{id, entry, staff_ref, camera, started_ms, found,
 * seconds_to_alert}]}]. */
int lfr_walktest_results(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                         json_t **out);

/* A watchlist photo (JPEG/PNG as uploaded), for its applicant, reviewer and
 * authorising officer; audited. In locked memory: free it with
 * lfr_locked_free. */
int lfr_watchlist_photo(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t entry,
                        uint8_t **jpeg, size_t *len);

/* Alerts as operators, engagement officers and auditors see them (HIL-1):
 * id, deployment, camera, time, score, status, the entry (person_ref,
 * category, reason, photo_date) and the outcome. deployment 0: all; status
 * NULL: any; only ids above after_id (at most 500). */
int lfr_alert_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   const char *status, int64_t after_id, json_t **out);
/* Alert history, searched (issue 15 item 3): each field narrows it; 0 or
 * NULL leaves it open. Newest first, in pages. */
typedef struct lfr_alert_query {
    int64_t deployment;
    const char *camera;          /* exactly */
    const char *person;          /* part of person_ref, any case */
    const char *status;          /* open, engage, no_match, closed */
    const char *outcome;         /* the action recorded (arrest, words_of_advice...) */
    double min_score, max_score; /* max_score 0: no upper bound */
    int64_t from_ms, to_ms;      /* raised from_ms <= time < to_ms */
    int64_t before_id;           /* the next page: ids below this */
    int limit;                   /* 1..200 (default 50) */
} lfr_alert_query;
/* {"alerts": [as lfr_alert_list], "more": bool}, for operators, engagement
 * officers and auditors; the search is audited with the ids it showed. */
int lfr_alert_search(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const lfr_alert_query *q,
                     json_t **out);
/* One alert; audited as a view. */
int lfr_alert_show(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                   json_t **out);
/* The captured face (watchlist_photo 0) or the watchlist photo (1) of an
 * alert, for operators and engagement officers only; audited. The caller
 * frees it with lfr_locked_free (locked memory). */
int lfr_alert_image(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                    int watchlist_photo, uint8_t **jpeg, size_t *len);

/* Which audit records: each field narrows them; 0 or NULL leaves it open. */
typedef struct lfr_audit_query {
    int64_t before_seq;     /* the next page: records below this */
    int limit;              /* 1..1000 */
    const char *user;       /* who acted, exactly */
    const char *action;     /* exactly, or every action under a prefix ending in '.' ("alert.") */
    const char *object;     /* exactly ("alert:12"), or its kind ("alert") */
    int64_t from_ms, to_ms; /* from_ms <= time < to_ms */
    int exporting;          /* taken away (audit.export), not looked at */
} lfr_audit_query;
/* Audit records newest first, for auditors; the look is itself audited
 * (audit.view, or audit.export when exporting, with the query). */
int lfr_audit_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const lfr_audit_query *q,
                   json_t **out);

/* The whole audit log as JSON lines (lfr_audit_export) for an auditor;
 * the export is itself audited first. */
int lfr_audit_export_as(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, FILE *out);

/* Verifies the audit chain for an auditor (lfr_audit_verify), audited. */
int lfr_audit_check(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, lfr_audit_report *report);

/* Published figures (PUB-1..6), see policy/figures.c. Aggregates only: no
 * face, no watchlist identity. */

/* Records the embedder a deployment's pipelines run with (the system, when
 * its cameras start): the model version of its published record (PUB-3).
 * Audited the first time for each model. */
int lfr_deployment_record_model(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *model,
                                int64_t now_ms);
/* The figures of one deployment as JSON: id, name, state, urgent, record
 * (its public DEP-4 fields: purpose, watchlist_criteria,
 * watchlist_categories, start, end, watchlist_size, threshold,
 * expected_footfall, public_notice or critical_threat_exemption and
 * exemption_approved_by, dpia_ref, equality_ref, community_ref),
 * authorised_by, reviewed_by (user names), authorised_ms, started_ms,
 * ended_ms, reviewed_ms (null until then), end_reason, frozen_hash,
 * expected (DEP-7, when the operating points cover the threshold),
 * locations, models, watchlist_by_category, cameras, frames, faces,
 * compared, alerts, true_alerts, false_alerts, unverified_alerts, open,
 * no_match, engaged, closed, awaiting_outcome, outcomes (each action),
 * engagement_seconds (sorted), groups [{group, true, false}] (PUB-6; ""
 * = not recorded). Exact counts: the report module suppresses what it
 * publishes. Any user with a login; audited as an export of `document`. */
int lfr_deployment_figures(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id,
                           const char *document, json_t **out);
/* The figures of every deployment that went live in [from_ms, to_ms) and
 * is over (ended, reviewed, cancelled), in order of going live: a JSON
 * array. Audited once. */
int lfr_figures_period(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t from_ms,
                       int64_t to_ms, json_t **out);
/* The audit log in aggregate for oversight (PUB-5): records, whether the
 * chain verifies (chain_intact, first_bad_seq, problem), first_ms, last_ms,
 * and counts by action; never a record's details. Oversight and auditors;
 * audited. */
int lfr_audit_summary(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out);

/* "2026-12-01T09:00:00Z" (or without seconds) to Unix ms; -1 if malformed. */
int64_t lfr_parse_time_utc(const char *s);

#endif
