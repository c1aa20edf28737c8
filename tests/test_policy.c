/* tests/test_policy.c - each MUST rule of users and deployments, attacked:
 * rank, separation of duties, mandatory fields, the window, the threshold
 * floor, the false-alert ceiling, frozen records, bad input; every act in
 * the audit chain. */
#include "testutil.h"

#include "lfr/policy.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS (3600LL * 1000)
#define PW "correct horse battery"

static lfr_ctx *ctx;
static lfr_store *store;
static lfr_policy *pol;
static lfr_actor admin, applicant, supt, inspector, operator_, auditor, reviewer, supt_reviewer,
    engager;
static lfr_runtime *rt;
static lfr_engine *engine;
static unsigned char key[32];
static int64_t t0; /* 2026-12-01T09:00Z */
static char db_path[4096];

/* The model's FMR at a threshold: log-linear through (0.35, 1e-3) and
 * (0.57, 1e-6), like the measured MobileFaceNet. */
static double fake_fmr(double t, void *arg)
{
    (void)arg;
    if (t < 0.3 || t > 0.8) return -1;
    return pow(10.0, -3.0 - (t - 0.35) / 0.22 * 3.0);
}

static int setup(void **state)
{
    (void)state;
    if (lfr_ctx_new(&ctx)) return -1;
    snprintf(db_path, sizeof db_path, "%s", test_db("policy.db"));
    const char *path = db_path;
    if (lfr_store_open(ctx, path, &store)) return -1;
    char key_path[4096];
    snprintf(key_path, sizeof key_path, "%s", test_tmp_path("watchlist.key"));
    unlink(key_path);
    if (lfr_policy_load_key(ctx, key_path, key)) return -1;
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    /* Anchored, as a server's log is: evidence bundles are signed with
     * the anchor's key. */
    char anchor_path[4200], anchor_key_path[4200];
    lfr_audit_anchor_paths(path, anchor_path, sizeof anchor_path, anchor_key_path,
                           sizeof anchor_key_path);
    unlink(anchor_path);
    unlink(anchor_key_path);
    cfg.audit_anchor_path = anchor_path;
    cfg.audit_anchor_key_path = anchor_key_path;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    cfg.max_watchlist = 5000;
    /* Stricter than the engine's default, as a force may set it: the
     * policy's limits are the ones the gate applies. */
    cfg.enrol.min_eye_px = 30.0f;
    cfg.enrol.max_yaw_deg = 20.0f;
    if (lfr_policy_new(ctx, store, &cfg, &pol)) return -1;
    if (lfr_user_add(ctx, pol, NULL, "admin", LFR_ROLE_ADMIN, 0, PW)) return -1;
    if (lfr_policy_login(ctx, pol, "admin", PW, &admin)) return -1;
    struct {
        const char *name;
        int roles, rank;
    } users[] = {{"pc.smith", LFR_ROLE_APPLICANT, 1},
                 {"supt.jones", LFR_ROLE_AUTHORISER, 5},
                 {"insp.patel", LFR_ROLE_AUTHORISER, 3},
                 {"op.brown", LFR_ROLE_OPERATOR, 1},
                 {"dpo.green", LFR_ROLE_AUDITOR, 0},
                 {"sgt.white", LFR_ROLE_REVIEWER, 2},
                 {"supt.grey", LFR_ROLE_AUTHORISER | LFR_ROLE_REVIEWER, 5},
                 {"pc.black", LFR_ROLE_ENGAGEMENT, 1}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        if (lfr_user_add(ctx, pol, &admin, users[i].name, users[i].roles, users[i].rank, PW)) {
            fprintf(stderr, "%s\n", lfr_errmsg(ctx));
            return -1;
        }
    lfr_policy_login(ctx, pol, "pc.smith", PW, &applicant);
    lfr_policy_login(ctx, pol, "supt.jones", PW, &supt);
    lfr_policy_login(ctx, pol, "insp.patel", PW, &inspector);
    lfr_policy_login(ctx, pol, "op.brown", PW, &operator_);
    lfr_policy_login(ctx, pol, "dpo.green", PW, &auditor);
    lfr_policy_login(ctx, pol, "sgt.white", PW, &reviewer);
    lfr_policy_login(ctx, pol, "supt.grey", PW, &supt_reviewer);
    lfr_policy_login(ctx, pol, "pc.black", PW, &engager);
    lfr_engine_params ep = lfr_engine_default_params();
    ep.model_dir = test_model_dir();
    ep.embed_flip = 1;
    if (lfr_runtime_new(ctx, NULL, &rt) || lfr_engine_new(ctx, rt, &ep, &engine)) return -1;
    t0 = lfr_parse_time_utc("2026-12-01T09:00Z");
    return t0 > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    lfr_policy_free(pol);
    lfr_store_close(store);
    lfr_engine_free(engine);
    lfr_runtime_free(rt);
    lfr_ctx_free(ctx);
    return 0;
}

/* A complete draft by the applicant, submitted unless told not to. */
static int64_t complete_draft(int submit, const char *threshold, const char *size)
{
    int64_t id = 0;
    assert_int_equal(lfr_deployment_create(ctx, pol, &applicant, "Op Lantern", &id), LFR_OK);
    const char *kv[][2] = {{"purpose", "locate people wanted on warrant in the city centre"},
                           {"intelligence_case", "reports 2026/114-118"},
                           {"necessity", "serious offences; footfall; time-limited"},
                           {"less_intrusive", "patrols tried for six weeks without result"},
                           {"start", "2026-12-01T09:00Z"},
                           {"end", "2026-12-01T17:00:00Z"},
                           {"watchlist_criteria", "wanted for offences carrying 2+ years"},
                           {"watchlist_categories", "wanted by the courts; suspects"},
                           {"watchlist_size", size},
                           {"threshold", threshold},
                           {"engagement_plan", "two engagement officers per camera"},
                           {"public_notice", "force website and signs at each location"},
                           {"dpia_ref", "DPIA-2026-07"},
                           {"equality_ref", "EIA-2026-07"},
                           {"community_ref", "CIA-2026-07"},
                           {"pcc_informed", "yes"},
                           {"expected_footfall", "15000"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        int rc = lfr_deployment_set(ctx, pol, &applicant, id, kv[i][0], kv[i][1]);
        if (rc) fail_msg("%s: %s", kv[i][0], lfr_errmsg(ctx));
    }
    assert_int_equal(lfr_deployment_add_location(ctx, pol, &applicant, id, "Queen Street",
                                                 "main shopping street, highest footfall", 0, NULL),
                     LFR_OK);
    if (submit) assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, id), LFR_OK);
    return id;
}

#define expect(rc, code, needle) test_expect_rc(ctx, rc, code, needle)

static void test_users_and_roles(void **state)
{
    (void)state;
    lfr_actor a;
    expect(lfr_policy_login(ctx, pol, "admin", "wrong password!!", &a), LFR_EAUTH, "wrong");
    expect(lfr_policy_login(ctx, pol, "nobody", PW, &a), LFR_EAUTH, "wrong");
    /* Separation of duties: an administrator never sees faces. */
    expect(lfr_user_add(ctx, pol, &admin, "x.admin", LFR_ROLE_ADMIN | LFR_ROLE_OPERATOR, 0, PW),
           LFR_EPERM, "separation of duties");
    expect(lfr_user_add(ctx, pol, &admin, "x.ao", LFR_ROLE_AUTHORISER, 0, PW), LFR_EINVAL, "rank");
    expect(lfr_user_add(ctx, pol, &admin, "x.short", LFR_ROLE_OPERATOR, 0, "short"), LFR_EINVAL,
           "password");
    expect(
        lfr_user_add(ctx, pol, &admin, "Robert'); DROP TABLE users;--", LFR_ROLE_OPERATOR, 0, PW),
        LFR_EINVAL, "user name");
    expect(lfr_user_add(ctx, pol, &operator_, "x.op", LFR_ROLE_OPERATOR, 0, PW), LFR_EPERM,
           "admin");
    expect(lfr_user_add(ctx, pol, &admin, "pc.smith", LFR_ROLE_OPERATOR, 0, PW), LFR_EREFUSED,
           "already exists");
    /* A disabled user cannot log in. */
    assert_int_equal(lfr_user_add(ctx, pol, &admin, "pc.leaver", LFR_ROLE_OPERATOR, 1, PW), LFR_OK);
    assert_int_equal(lfr_user_disable(ctx, pol, &admin, "pc.leaver"), LFR_OK);
    expect(lfr_policy_login(ctx, pol, "pc.leaver", PW, &a), LFR_EAUTH, "disabled");
    json_t *list = NULL;
    expect(lfr_user_list(ctx, pol, &operator_, &list), LFR_EPERM, NULL);
    assert_int_equal(lfr_user_list(ctx, pol, &auditor, &list), LFR_OK);
    assert_true(json_array_size(list) >= 7);
    char *text = json_dumps(list, 0);
    assert_null(strstr(text, "argon2")); /* no hashes leave the store */
    free(text);
    json_decref(list);
}

static void test_authorisation_rules(void **state)
{
    (void)state;
    int64_t id = complete_draft(1, "0.6", "1000");
    /* Below rank; not an authorising officer; the applicant. */
    expect(lfr_deployment_authorise(ctx, pol, &inspector, id, 0, t0 - HOUR_MS), LFR_EPERM,
           "superintendent");
    expect(lfr_deployment_authorise(ctx, pol, &operator_, id, 0, t0 - HOUR_MS), LFR_EPERM,
           "authoriser");
    lfr_actor both = supt;
    both.id = applicant.id; /* the same person applying and authorising */
    expect(lfr_deployment_authorise(ctx, pol, &both, id, 0, t0 - HOUR_MS), LFR_EPERM,
           "separation of duties");
    /* Not yet authorised: no processing, no start. */
    expect(lfr_deployment_start(ctx, pol, &operator_, id, t0 + HOUR_MS), LFR_EREFUSED, "submitted");
    expect(lfr_deployment_authorise(ctx, pol, &supt, id, 0, t0 - HOUR_MS), LFR_OK, NULL);
    /* The record is frozen now. */
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "purpose", "something else"), LFR_EREFUSED,
           "frozen");
    /* The threshold: only its officer, never below the floor. */
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "threshold", "0.65"), LFR_EPERM,
           "authorising officer");
    expect(lfr_deployment_set(ctx, pol, &supt, id, "threshold", "0.40"), LFR_EREFUSED, "floor");
    assert_int_equal(lfr_deployment_set(ctx, pol, &supt, id, "threshold", "0.65"), LFR_OK);
    /* The window (DEP-5). */
    expect(lfr_deployment_start(ctx, pol, &operator_, id, t0 - 60000), LFR_EREFUSED, "window");
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, id, t0 + 60000), LFR_OK);
    assert_int_equal(lfr_deployment_may_process(ctx, pol, id, t0 + HOUR_MS), LFR_OK);
    expect(lfr_deployment_may_process(ctx, pol, id, t0 + 8 * HOUR_MS), LFR_EREFUSED, "window");
    /* Suspend and cancel: the authorising officer only (DEP-9). */
    expect(lfr_deployment_suspend(ctx, pol, &inspector, id, "disorder", t0 + HOUR_MS), LFR_EPERM,
           "authorising officer");
    assert_int_equal(lfr_deployment_suspend(ctx, pol, &supt, id, "disorder nearby", t0 + HOUR_MS),
                     0);
    expect(lfr_deployment_may_process(ctx, pol, id, t0 + HOUR_MS + 1), LFR_EREFUSED, "suspended");
    assert_int_equal(lfr_deployment_start(ctx, pol, &supt, id, t0 + 2 * HOUR_MS), LFR_OK);
    /* At its end time the deployment ends by itself. */
    int n = 0;
    assert_int_equal(lfr_policy_tick(ctx, pol, t0 + 3 * HOUR_MS, &n), LFR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(lfr_policy_tick(ctx, pol, t0 + 8 * HOUR_MS, &n), LFR_OK);
    assert_int_equal(n, 1);
    expect(lfr_deployment_may_process(ctx, pol, id, t0 + 3 * HOUR_MS), LFR_EREFUSED, "ended");
    /* Review: signed off by the authorising officer only. */
    expect(lfr_deployment_review(ctx, pol, &inspector, id, t0 + 24 * HOUR_MS), LFR_EPERM, "PUB-2");
    assert_int_equal(lfr_deployment_review(ctx, pol, &supt, id, t0 + 24 * HOUR_MS), LFR_OK);
    json_t *doc = NULL;
    assert_int_equal(lfr_deployment_show(ctx, pol, &auditor, id, &doc), LFR_OK);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "reviewed");
    json_decref(doc);
    /* The same view again and again within a minute is one audited view,
     * so a viewer cannot grow the log without bound (issue 13 item 13);
     * another viewer's is their own. */
    for (int i = 0; i < 30; i++) {
        assert_int_equal(lfr_deployment_show(ctx, pol, &auditor, id, &doc), LFR_OK);
        json_decref(doc);
    }
    assert_int_equal(lfr_deployment_show(ctx, pol, &supt, id, &doc), LFR_OK);
    json_decref(doc);
    lfr_stmt *st = NULL;
    assert_int_equal(lfr_stmt_prepare(ctx, store,
                                      "SELECT count(*), count(DISTINCT actor) FROM audit_log WHERE "
                                      "action = 'deployment.view' AND object = ?",
                                      &st),
                     LFR_OK);
    char object[64];
    snprintf(object, sizeof object, "deployment/%lld", (long long)id);
    lfr_stmt_bind_text(ctx, st, 1, object);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_int_equal(lfr_stmt_int64(st, 0), 2);
    assert_int_equal(lfr_stmt_int64(st, 1), 2);
    lfr_stmt_free(st);
}

static void test_mandatory_fields_and_limits(void **state)
{
    (void)state;
    /* An empty mandatory field: refused at submission, naming it. */
    int64_t id = 0;
    assert_int_equal(lfr_deployment_create(ctx, pol, &applicant, "Op Half", &id), LFR_OK);
    assert_int_equal(lfr_deployment_set(ctx, pol, &applicant, id, "purpose", "a purpose"), LFR_OK);
    expect(lfr_deployment_submit(ctx, pol, &applicant, id), LFR_EREFUSED, "mandatory field");
    /* No public notice and no exemption. */
    int64_t id2 = complete_draft(0, "0.6", "1000");
    (void)id2;
    /* Threshold below the floor, watchlist over the maximum, DEP-7. */
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "threshold", "0.2"), LFR_EREFUSED, "DEP-6");
    int64_t big = complete_draft(1, "0.6", "6000");
    expect(lfr_deployment_authorise(ctx, pol, &supt, big, 0, t0 - HOUR_MS), LFR_EREFUSED, "WL-7");
    /* 5,000 people at 0.46 (FMR ~3e-5): ~15% false alerts per face. */
    int64_t noisy = complete_draft(1, "0.46", "5000");
    expect(lfr_deployment_authorise(ctx, pol, &supt, noisy, 0, t0 - HOUR_MS), LFR_EREFUSED,
           "DEP-7");
    /* A sensitive location needs a written justification (DEP-8). */
    expect(lfr_deployment_add_location(ctx, pol, &applicant, id, "St Mary's", "near the market", 1,
                                       "because"),
           LFR_EINVAL, "DEP-8");
    /* Bad input changes nothing and says why. */
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "start", "2026-02-31T09:00Z"), LFR_EINVAL,
           "UTC time");
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "start", "tomorrow"), LFR_EINVAL,
           "UTC time");
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "colour", "blue"), LFR_EINVAL,
           "no deployment field");
    char big_text[5000];
    memset(big_text, 'a', sizeof big_text - 1);
    big_text[sizeof big_text - 1] = '\0';
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "purpose", big_text), LFR_EINVAL,
           "at most");
    expect(lfr_deployment_submit(ctx, pol, &applicant, 999999), LFR_ENOENT, "no deployment");
    /* SQL metacharacters are plain text. */
    assert_int_equal(
        lfr_deployment_set(ctx, pol, &applicant, id, "purpose", "x'); DELETE FROM deployments; --"),
        LFR_OK);
    json_t *doc = NULL;
    assert_int_equal(lfr_deployment_show(ctx, pol, &applicant, id, &doc), LFR_OK);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "record"), "purpose")),
        "x'); DELETE FROM deployments; --");
    /* The refused start times left no trace. */
    assert_null(json_object_get(json_object_get(doc, "record"), "start"));
    json_decref(doc);
    /* Only its applicant edits a draft, or cancels it (item 15). */
    expect(lfr_deployment_set(ctx, pol, &operator_, id, "purpose", "mine now"), LFR_EPERM, NULL);
    expect(lfr_deployment_cancel(ctx, pol, &supt, id, "not wanted", t0 - HOUR_MS), LFR_EPERM,
           "may not cancel");
    /* Blank text is no answer, and nothing may hide or reverse what the
     * notice will show (issue 13 items 17, 23). */
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "purpose", " \t\n "), LFR_EINVAL, "empty");
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "dpia_ref",
                              "DPIA-\xe2\x80\xae"
                              "7"),
           LFR_EINVAL, "direction-changing");
    expect(lfr_deployment_set(ctx, pol, &applicant, id, "purpose", "bad \xff byte"), LFR_EINVAL,
           "UTF-8");
    /* An exemption names its approver (item 25). */
    int64_t ex = complete_draft(0, "0.6", "1000");
    assert_int_equal(lfr_deployment_set(ctx, pol, &applicant, ex, "critical_threat_exemption",
                                        "credible threat to life, notice would alert the suspect"),
                     LFR_OK);
    expect(lfr_deployment_submit(ctx, pol, &applicant, ex), LFR_EREFUSED, "exemption_approved_by");
    /* Time-bound (item 11): at most 24 hours, and authorised before it
     * starts, not long after. */
    int64_t long_one = complete_draft(0, "0.6", "1000");
    assert_int_equal(lfr_deployment_set(ctx, pol, &applicant, long_one, "end", "2026-12-03T09:00Z"),
                     LFR_OK);
    expect(lfr_deployment_submit(ctx, pol, &applicant, long_one), LFR_EREFUSED, "at most 24");
    int64_t late = complete_draft(1, "0.6", "1000");
    expect(lfr_deployment_authorise(ctx, pol, &supt, late, 0, t0 + HOUR_MS), LFR_EREFUSED,
           "started 60 minutes ago");
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &supt, late, 0, t0 + 10 * 60 * 1000),
                     LFR_OK);
}

static void test_urgent_route(void **state)
{
    (void)state;
    int64_t id = complete_draft(1, "0.6", "1000");
    /* An inspector may authorise urgently; it must be ratified in 24 h. */
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &inspector, id, 1, t0 - HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, id, t0), LFR_OK);
    expect(lfr_deployment_ratify(ctx, pol, &inspector, id, t0), LFR_EPERM, "superintendent");
    int64_t id2 = complete_draft(1, "0.6", "1000");
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &inspector, id2, 1, t0 - 30 * HOUR_MS), 0);
    /* Not ratified by its deadline: stopped. */
    expect(lfr_deployment_start(ctx, pol, &operator_, id2, t0 + 60000), LFR_EREFUSED, "ratified");
    assert_int_equal(lfr_deployment_ratify(ctx, pol, &supt, id, t0 + HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_may_process(ctx, pol, id, t0 + 2 * HOUR_MS), LFR_OK);
}

static void test_audit_trail(void **state)
{
    (void)state;
    lfr_audit_report r;
    assert_int_equal(lfr_audit_verify(ctx, store, &r), LFR_OK);
    print_message("audit: %lld records, chain %s\n", (long long)r.records,
                  r.first_bad_seq ? "BROKEN" : "intact");
    assert_int_equal(r.first_bad_seq, 0);
    assert_true(r.records > 50);
    /* Every authorisation recorded its frozen hash. */
    lfr_stmt *st = NULL;
    assert_int_equal(lfr_stmt_prepare(ctx, store,
                                      "SELECT count(*) FROM audit_log WHERE action = "
                                      "'deployment.authorise' AND details LIKE '%frozen_hash%'",
                                      &st),
                     LFR_OK);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_true(lfr_stmt_int64(st, 0) >= 3);
    lfr_stmt_free(st);
}

static uint8_t *photo(const char *rel, size_t *len)
{
    uint8_t *b = NULL;
    const char *path = test_data_path(rel);
    assert_non_null(path);
    assert_int_equal(lfr_read_file(ctx, path, 64 << 20, &b, len), LFR_OK);
    return b;
}

#define KNN "samples/face_recognition_examples/examples/knn_examples/train/"

static lfr_watchlist_entry entry(const char *who, const char *category)
{
    return (lfr_watchlist_entry){.person_ref = who,
                                 .category = category,
                                 .reason = "wanted on warrant for robbery, seen in the area",
                                 .source = "custody image 2024/5531",
                                 .legal_basis = "PACE 1984 s.64A custody image",
                                 .photo_date = "2024-03-01",
                                 .extra_justification = NULL,
                                 .child = 0};
}

static int64_t add(int64_t dep, lfr_watchlist_entry e, const char *rel, int code,
                   const char *needle, json_t **flags)
{
    size_t len = 0;
    uint8_t *b = photo(rel, &len);
    int64_t id = 0;
    json_t *f = NULL;
    int rc = lfr_watchlist_add(ctx, pol, &applicant, dep, &e, engine, b, len,
                               lfr_parse_time_utc("2026-11-28T12:00Z"), &id, &f);
    lfr_free(b);
    expect(rc, code, needle);
    if (flags)
        *flags = f;
    else
        json_decref(f);
    return id;
}

static int has_flag(json_t *flags, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(
        flags, i, f) if (!strcmp(json_string_value(json_object_get(f, "flag")), name)) return 1;
    return 0;
}

static void test_watchlists(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "obama/obama.jpg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    /* WL-3: provenance; WL-2: the force's categories. */
    lfr_watchlist_entry e = entry("PNC 01/234567A", "wanted");
    e.source = "";
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "source", NULL);
    e.source = "   ";
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "source (WL-3): empty", NULL);
    e = entry("PNC 01/234567A", "wanted");
    e.reason = "wanted for\x1b[2J robbery";
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "control characters", NULL);
    e = entry("PNC 01/234567A", "wanted");
    static char huge[5000];
    memset(huge, 'j', sizeof huge - 1);
    e.extra_justification = huge;
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "extra_justification: 4999 bytes", NULL);
    e = entry("PNC 01/234567A", "celebrity");
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "WL-2", NULL);
    e = entry("PNC 01/234567A", "wanted");
    e.photo_date = "2031-01-01";
    add(dep, e, KNN "obama/obama.jpg", LFR_EINVAL, "photo_date", NULL);
    /* WL-5: exactly one usable face. */
    add(dep, entry("PNC 02", "wanted"), "samples/face_recognition_examples/examples/two_people.jpg",
        LFR_EINVAL, "faces found, exactly one", NULL);
    add(dep, entry("PNC 02", "wanted"), "samples/face_recognition_examples/examples/obama-240p.jpg",
        LFR_EINVAL, "WL-5", NULL);
    /* Only the deployment's applicant adds to its watchlist (issue 13 item 8). */
    lfr_actor other = applicant;
    other.id = reviewer.id; /* another person with the applicant's role */
    size_t olen = 0;
    uint8_t *ob = photo(KNN "obama/obama.jpg", &olen);
    int64_t oid = 0;
    json_t *of = NULL;
    lfr_watchlist_entry oe = entry("PNC 04", "wanted");
    expect(lfr_watchlist_add(ctx, pol, &other, dep, &oe, engine, ob, olen,
                             lfr_parse_time_utc("2026-11-28T12:00Z"), &oid, &of),
           LFR_EPERM, "only its applicant");
    lfr_free(ob);
    json_decref(of);
    int64_t a =
        add(dep, entry("PNC 01/234567A", "wanted"), KNN "obama/obama.jpg", LFR_OK, NULL, NULL);
    /* While the list is built, another applicant may not strike from it. */
    expect(lfr_watchlist_remove(ctx, pol, &other, a, t0 - 3 * HOUR_MS), LFR_EPERM,
           "applicant or a reviewer");
    /* Its author may not review it (item 29, SEC-1). */
    lfr_actor author_reviewer = reviewer;
    author_reviewer.id = applicant.id;
    expect(lfr_watchlist_review(ctx, pol, &author_reviewer, a, t0 - 2 * HOUR_MS), LFR_EPERM,
           "may not also review");
    /* The same face under another name is flagged. */
    json_t *flags = NULL;
    int64_t b =
        add(dep, entry("PNC 09/999", "suspect"),
            "samples/face_recognition_examples/examples/obama-720p.jpg", LFR_OK, NULL, &flags);
    assert_true(has_flag(flags, "looks_like_another_entry"));
    json_decref(flags);
    /* An old photo is flagged; over 10 years it needs a justification. */
    e = entry("PNC 03", "wanted");
    e.photo_date = "2019-01-01";
    int64_t c = add(dep, e, "samples/facenet_pytorch/data/test_images/kate_siegel/1.jpg", LFR_OK,
                    NULL, &flags);
    assert_true(has_flag(flags, "old_photo"));
    json_decref(flags);
    e.photo_date = "2010-01-01";
    add(dep, e, "samples/facenet_pytorch/data/test_images/paul_rudd/1.jpg", LFR_EINVAL,
        "justification", NULL);
    /* A face turned away is refused with the measure that failed. */
    add(dep, entry("PNC 05", "wanted"), KNN "kit_harington/john2.jpeg", LFR_EINVAL, "yaw", NULL);
    /* WL-2: a victim needs a justification, then a second approval. */
    e = entry("victim V1", "victim");
    add(dep, e, KNN "kit_harington/john1.jpeg", LFR_EINVAL, "extra written justification", NULL);
    e.extra_justification = "at risk: police need to find and safeguard her urgently";
    int64_t v = add(dep, e, KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    /* WL-6: a child; the approval comes from a superintendent. */
    e = entry("child C1", "missing_at_risk");
    e.child = 1;
    add(dep, e, "samples/face_recognition_examples/examples/obama-480p.jpg", LFR_EINVAL, "WL-6",
        NULL);
    e.extra_justification = "missing from care for three days, at risk of exploitation";
    int64_t ch = add(dep, e, "samples/face_recognition_examples/examples/obama-480p.jpg", LFR_OK,
                     NULL, NULL);
    expect(lfr_watchlist_approve(ctx, pol, &reviewer, ch), LFR_EPERM, "WL-6");
    assert_int_equal(lfr_watchlist_approve(ctx, pol, &supt_reviewer, ch), LFR_OK);
    /* The photo is stored encrypted: no JPEG marker in the row. */
    lfr_stmt *st = NULL;
    assert_int_equal(
        lfr_stmt_prepare(ctx, store, "SELECT photo FROM watchlist_entries WHERE id = ?", &st), 0);
    lfr_stmt_bind_int64(ctx, st, 1, a);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    size_t n = 0, photo_len = 0;
    const uint8_t *blob = lfr_stmt_blob(st, 0, &n);
    assert_true(n > 1000);
    /* No run of the photo's own bytes (its first 32, past the JPEG marker
     * that random bytes can hold by chance) is in the row. */
    uint8_t *plain = photo(KNN "obama/obama.jpg", &photo_len);
    assert_true(photo_len > 64);
    int found = 0;
    for (size_t i = 0; i + 32 <= n && !found; i++)
        found = !memcmp(blob + i, plain, 32);
    assert_false(found);
    lfr_free(plain);
    lfr_stmt_free(st);
    /* Authorisation waits for review (WL-4) and second approvals (WL-2). */
    assert_int_equal(lfr_deployment_set(ctx, pol, &applicant, dep, "public_notice", "website"), 0);
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, dep), LFR_OK);
    expect(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_EREFUSED, "WL-4");
    int64_t all[] = {a, b, c, v, ch};
    for (int i = 0; i < 5; i++)
        assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, all[i], t0 - 2 * HOUR_MS), 0);
    expect(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_EREFUSED,
           "second approval");
    expect(lfr_watchlist_approve(ctx, pol, &applicant, v), LFR_EPERM, NULL);
    assert_int_equal(lfr_watchlist_approve(ctx, pol, &reviewer, v), LFR_OK);
    /* The reviewer may not be the authorising officer (WL-4). */
    assert_int_equal(lfr_watchlist_review(ctx, pol, &supt_reviewer, c, t0 - 2 * HOUR_MS), LFR_OK);
    expect(lfr_deployment_authorise(ctx, pol, &supt_reviewer, dep, 0, t0 - HOUR_MS), LFR_EPERM,
           "may not also authorise");
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, c, t0 - 2 * HOUR_MS), LFR_OK);
    expect(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_OK, NULL);
    /* WL-1: the list is closed once authorised. */
    add(dep, entry("PNC 04", "wanted"), KNN "kit_harington/john1.jpeg", LFR_EREFUSED, "WL-1", NULL);
    /* Removal once authorised is its officer's act alone (issue 13 item 4),
     * and the running cameras learn of it from lfr_watchlist_removed. */
    int n_removed = -1;
    assert_int_equal(lfr_watchlist_removed(ctx, pol, dep, NULL, 0, &n_removed), LFR_OK);
    assert_int_equal(n_removed, 0);
    expect(lfr_watchlist_remove(ctx, pol, &applicant, b, t0 - HOUR_MS), LFR_EPERM,
           "authorising officer");
    expect(lfr_watchlist_remove(ctx, pol, &reviewer, b, t0 - HOUR_MS), LFR_EPERM,
           "authorising officer");
    assert_int_equal(lfr_watchlist_remove(ctx, pol, &supt, b, t0 - HOUR_MS), LFR_OK);
    expect(lfr_watchlist_remove(ctx, pol, &supt, b, t0 - HOUR_MS), LFR_EREFUSED, "already");
    int64_t gone[4];
    assert_int_equal(lfr_watchlist_removed(ctx, pol, dep, gone, 4, &n_removed), LFR_OK);
    assert_int_equal(n_removed, 1);
    assert_int_equal(gone[0], b);
    /* WL-8: at the end, photos and templates go; the nominal record stays. */
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, dep, t0 + 1000), LFR_OK);
    assert_int_equal(lfr_deployment_stop(ctx, pol, &operator_, dep, "done", t0 + HOUR_MS), LFR_OK);
    assert_int_equal(lfr_stmt_prepare(ctx, store,
                                      "SELECT count(*), count(*) FILTER (WHERE photo IS NULL AND "
                                      "template IS NULL AND destroyed_ms IS NOT NULL) FROM "
                                      "watchlist_entries WHERE "
                                      "deployment_id = ?",
                                      &st),
                     0);
    lfr_stmt_bind_int64(ctx, st, 1, dep);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_int_equal(lfr_stmt_int64(st, 0), 5);
    assert_int_equal(lfr_stmt_int64(st, 1), 5);
    lfr_stmt_free(st);
    expect(lfr_watchlist_remove(ctx, pol, &supt, a, t0 + 2 * HOUR_MS), LFR_EREFUSED, "already");
    json_t *sar = NULL;
    expect(lfr_sar_lookup(ctx, pol, &operator_, "PNC 01/234567A", &sar), LFR_EPERM, "auditor");
    assert_int_equal(lfr_sar_lookup(ctx, pol, &auditor, "PNC 01/234567A", &sar), LFR_OK);
    assert_int_equal(json_array_size(sar), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sar, 0), "category")),
                        "wanted");
    json_decref(sar);
}

/* Audit records of one action. */
static int64_t audit_count(const char *action)
{
    lfr_stmt *st = NULL;
    int64_t n = -1;
    if (!lfr_stmt_prepare(ctx, store, "SELECT count(*) FROM audit_log WHERE action = ?", &st) &&
        !lfr_stmt_bind_text(ctx, st, 1, action) && lfr_stmt_step(ctx, st) == 1)
        n = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return n;
}

/* The action and details of the newest audit record. */
static void newest_audit(char *action, size_t len)
{
    lfr_stmt *st = NULL;
    assert_int_equal(
        lfr_stmt_prepare(ctx, store, "SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1", &st),
        0);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    snprintf(action, len, "%s", lfr_stmt_text(st, 0));
    lfr_stmt_free(st);
}

/* Whether an alert is still kept. */
static int alert_kept(int64_t id)
{
    lfr_stmt *st = NULL;
    assert_int_equal(lfr_stmt_prepare(ctx, store, "SELECT count(*) FROM alerts WHERE id = ?", &st),
                     0);
    assert_int_equal(lfr_stmt_bind_int64(ctx, st, 1, id), 0);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    int n = (int)lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return n;
}

/* Evidence holds (issue 15 item 3): a held alert outlives its retention
 * period and keeps its watchlist photo past the watchlist's destruction;
 * its signed bundle verifies, and no longer does once changed; a released
 * or lapsed hold no longer keeps it. Each step by its roles, audited. */
static void test_evidence_hold(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "kit_harington/john1.jpeg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    int64_t e =
        add(dep, entry("PNC 91", "wanted"), KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam1", "rtsp://10.0.0.5/1", ""), 0);
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, e, t0 - 3 * HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, dep), LFR_OK);
    expect(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_OK, NULL);
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, dep, t0 + 1000), LFR_OK);
    lfr_alert_record a = {.deployment = dep,
                          .entry = e,
                          .camera = "cam1",
                          .time_ms = t0 + 60000,
                          .track_id = 1,
                          .score = 0.74,
                          .crop_jpeg = (const uint8_t *)"\xff\xd8\xff-crop",
                          .crop_len = 9};
    int64_t released = 0, lapsing = 0, unheld = 0;
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &released), LFR_OK);
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &lapsing), LFR_OK);
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &unheld), LFR_OK);
    assert_int_equal(lfr_alert_decide(ctx, pol, &operator_, released, 1, t0 + 70000), LFR_OK);
    assert_int_equal(
        lfr_alert_outcome(ctx, pol, &engager, released, 1, "arrest", 300, NULL, t0 + 80000),
        LFR_OK);

    /* Who may hold, and what a hold must say. */
    int64_t now = t0 + HOUR_MS, day = 24 * HOUR_MS;
    expect(lfr_alert_hold(ctx, pol, &admin, released, "r", "CR/1", now + day, now), LFR_EPERM,
           NULL);
    expect(lfr_alert_hold(ctx, pol, &auditor, released, "r", "CR/1", now + day, now), LFR_EPERM,
           NULL);
    expect(lfr_alert_hold(ctx, pol, &engager, released, "", "CR/1", now + day, now), LFR_EINVAL,
           "reason");
    expect(lfr_alert_hold(ctx, pol, &engager, released, "arrest", "CR/1", now - 1, now), LFR_EINVAL,
           "730 days");
    expect(lfr_alert_hold(ctx, pol, &engager, released, "arrest", "CR/1", now + 800 * day, now),
           LFR_EINVAL, "730 days");
    expect(lfr_alert_hold(ctx, pol, &engager, 999999, "arrest", "CR/1", now + day, now), LFR_ENOENT,
           "no alert");
    expect(lfr_alert_release(ctx, pol, &supt, released, "not held", now), LFR_EREFUSED, "not held");
    const char *why = "arrested: the bundle goes to the CPS";
    assert_int_equal(
        lfr_alert_hold(ctx, pol, &engager, released, why, "CR/2026/0091", now + 40 * day, now),
        LFR_OK);
    char action[64];
    newest_audit(action, sizeof action);
    assert_string_equal(action, "alert.hold");
    assert_int_equal(lfr_alert_hold(ctx, pol, &operator_, lapsing, "complaint expected", "CR/7",
                                    now + 10 * day, now),
                     LFR_OK);
    /* Holding it again renews it: a new date. */
    assert_int_equal(lfr_alert_hold(ctx, pol, &supt, lapsing, "complaint received", "CR/7",
                                    now + 45 * day, now + 5 * day),
                     LFR_OK);
    json_t *shown = NULL;
    assert_int_equal(lfr_alert_show(ctx, pol, &auditor, lapsing, &shown), LFR_OK);
    json_t *hold = json_object_get(shown, "hold");
    assert_non_null(hold);
    assert_int_equal(json_integer_value(json_object_get(hold, "until_ms")), now + 45 * day);
    assert_string_equal(json_string_value(json_object_get(hold, "held_by")), "op.brown");
    json_decref(shown);
    json_t *holds = NULL;
    expect(lfr_evidence_holds(ctx, pol, &admin, 0, &holds), LFR_EPERM, NULL);
    assert_int_equal(lfr_evidence_holds(ctx, pol, &auditor, 0, &holds), LFR_OK);
    assert_int_equal(json_array_size(holds), 2);
    json_decref(holds);

    /* The deployment ends: its watchlist photos are destroyed (WL-8),
     * but a held alert keeps its copy. */
    assert_int_equal(lfr_deployment_stop(ctx, pol, &operator_, dep, "shift over", now + HOUR_MS),
                     0);
    uint8_t *img = NULL;
    size_t img_len = 0;
    expect(lfr_alert_image(ctx, pol, &operator_, unheld, 1, &img, &img_len), LFR_ENOENT, "deleted");
    assert_int_equal(lfr_alert_image(ctx, pol, &operator_, released, 1, &img, &img_len), LFR_OK);
    assert_true(img_len > 1000 && img[0] == 0xff && img[1] == 0xd8);
    lfr_locked_free(img);

    /* Retention passes the held alerts by, not the other. */
    int n = 0;
    assert_int_equal(lfr_policy_retention(ctx, pol, now + 32 * day, 31, &n), LFR_OK);
    assert_int_equal(n, 1);
    assert_false(alert_kept(unheld));
    assert_true(alert_kept(released) && alert_kept(lapsing));

    /* The bundle: faces, trail and signature; for the faces' roles only,
     * and only of a held alert. */
    char *bundle = NULL;
    expect(lfr_evidence_bundle(ctx, pol, &auditor, released, now, &bundle), LFR_EPERM, NULL);
    assert_int_equal(lfr_evidence_bundle(ctx, pol, &engager, released, now + 33 * day, &bundle),
                     LFR_OK);
    json_t *report = NULL;
    unsigned char anchor_key[32];
    char anchor_path[4200], anchor_key_path[4200];
    lfr_audit_anchor_paths(db_path, anchor_path, sizeof anchor_path, anchor_key_path,
                           sizeof anchor_key_path);
    assert_int_equal(lfr_audit_anchor_file_key(ctx, anchor_path, anchor_key), LFR_OK);
    assert_int_equal(lfr_evidence_verify(ctx, bundle, anchor_key, &report), LFR_OK);
    assert_int_equal(json_integer_value(json_object_get(report, "alert")), released);
    assert_string_equal(json_string_value(json_object_get(report, "reference")), "CR/2026/0091");
    assert_true(json_is_true(json_object_get(report, "crop")));
    assert_true(json_is_true(json_object_get(report, "watchlist_photo")));
    /* create, decide, outcome, hold, views... and the export itself, last */
    assert_true(json_integer_value(json_object_get(report, "audit_records")) >= 5);
    json_decref(report);
    json_t *doc = json_loads(bundle, 0, NULL);
    json_t *payload = json_loads(json_string_value(json_object_get(doc, "payload")), 0, NULL);
    json_t *trail = json_object_get(payload, "audit_trail");
    json_t *last = json_array_get(trail, json_array_size(trail) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "action")),
                        "alert.evidence_export");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(payload, "alert"), "outcome"), "action")),
        "arrest");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(payload, "decided"), "outcome"), "by")),
                        "pc.black");
    /* Another key, or one changed byte, and it no longer verifies. */
    anchor_key[0] ^= 1;
    expect(lfr_evidence_verify(ctx, bundle, anchor_key, &report), LFR_EREFUSED, "another key");
    char *score = strstr(bundle, "\\\"score\\\":0.7");
    assert_non_null(score);
    score[strlen("\\\"score\\\":0.")] = '9';
    expect(lfr_evidence_verify(ctx, bundle, NULL, &report), LFR_EREFUSED, "signature");
    /* A record in the trail changed, and the bundle re-signed by someone
     * else: the record's own hash gives it away. */
    json_object_set_new(last, "actor", json_string("someone.else"));
    char *forged_payload = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
    size_t label = strlen("openlfr-evidence-bundle/1\n"), n_forged = strlen(forged_payload);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES],
        sig[crypto_sign_BYTES], *signed_text = malloc(label + n_forged);
    char pk_hex[2 * sizeof pk + 1], sig_hex[2 * sizeof sig + 1];
    memcpy(signed_text, "openlfr-evidence-bundle/1\n", label);
    memcpy(signed_text + label, forged_payload, n_forged);
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, signed_text, label + n_forged, sk);
    free(signed_text);
    json_t *signature = json_object_get(doc, "signature");
    json_object_set_new(signature, "public_key",
                        json_string(sodium_bin2hex(pk_hex, sizeof pk_hex, pk, sizeof pk)));
    json_object_set_new(signature, "value",
                        json_string(sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig)));
    json_object_set_new(doc, "payload", json_string(forged_payload));
    char *forged = json_dumps(doc, 0);
    expect(lfr_evidence_verify(ctx, forged, NULL, &report), LFR_EREFUSED,
           "does not match its hash");
    anchor_key[0] ^= 1;
    expect(lfr_evidence_verify(ctx, forged, anchor_key, &report), LFR_EREFUSED, "another key");
    free(forged);
    free(forged_payload);
    json_decref(payload);
    json_decref(doc);
    lfr_wipe_free_unsized(bundle);
    expect(lfr_evidence_bundle(ctx, pol, &engager, unheld, now, &bundle), LFR_EREFUSED, "not held");

    /* Released by an authorising officer or auditor: retention takes it. */
    expect(lfr_alert_release(ctx, pol, &engager, released, "case closed", now + 34 * day),
           LFR_EPERM, NULL);
    assert_int_equal(
        lfr_alert_release(ctx, pol, &auditor, released, "case closed: NFA", now + 34 * day),
        LFR_OK);
    newest_audit(action, sizeof action);
    assert_string_equal(action, "alert.release");
    expect(lfr_evidence_bundle(ctx, pol, &engager, released, now + 34 * day, &bundle), LFR_EREFUSED,
           "not held");
    assert_int_equal(lfr_policy_retention(ctx, pol, now + 34 * day, 31, &n), LFR_OK);
    assert_int_equal(n, 1);
    assert_false(alert_kept(released));
    assert_true(alert_kept(lapsing));
    /* The other lapses at its date, then goes too; each hold stays on
     * record, its photo copy destroyed. */
    test_expect_rc(ctx, lfr_policy_retention(ctx, pol, now + 51 * day, 31, &n), LFR_OK, NULL);
    assert_int_equal(n, 1);
    assert_false(alert_kept(lapsing));
    assert_int_equal(audit_count("alert.hold_lapse"), 1);
    assert_int_equal(lfr_evidence_holds(ctx, pol, &supt, 1, &holds), LFR_OK);
    assert_int_equal(json_array_size(holds), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *h = json_array_get(holds, i);
        assert_non_null(json_object_get(h, "released"));
        assert_false(json_is_true(json_object_get(h, "watchlist_photo_kept")));
        assert_false(json_is_true(json_object_get(h, "alert_kept")));
    }
    json_decref(holds);
    lfr_audit_report r;
    assert_int_equal(lfr_audit_check(ctx, pol, &auditor, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 0);
}

/* Alerts: recorded only for a live deployment, decided by an operator,
 * closed with an outcome (HIL-2), deleted after the retention period. */
static void test_alerts_and_retention(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "kit_harington/john1.jpeg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    int64_t e =
        add(dep, entry("PNC 77", "wanted"), KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    /* Cameras belong to the application: its applicant adds them to the draft. */
    expect(lfr_camera_add(ctx, pol, &operator_, dep, "cam1", "rtsp://10.0.0.5/1", "gate"),
           LFR_EPERM, "applicant");
    expect(lfr_camera_add(ctx, pol, &applicant, dep, "cam\n1", "rtsp://10.0.0.5/1", ""), LFR_EINVAL,
           "control");
    assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam1", "rtsp://10.0.0.5/1", "gate"),
                     0);
    expect(lfr_camera_add(ctx, pol, &applicant, dep, "cam1", "rtsp://10.0.0.5/2", ""), LFR_EREFUSED,
           "already");
    /* A file that is not there is refused now, not when the deployment
     * goes live; a real clip is taken (issue 15). */
    expect(lfr_camera_add(ctx, pol, &applicant, dep, "cam3", "/no/such/file.mp4", ""), LFR_EINVAL,
           "camera 'cam3': cannot be opened");
    if (test_data_path("video/facenet_pytorch/video.mp4"))
        assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam3",
                                        test_data_path("video/facenet_pytorch/video.mp4"), ""),
                         LFR_OK);
    /* Unreviewed entries are never searched. */
    lfr_gallery *g = NULL;
    assert_int_equal(lfr_watchlist_gallery(ctx, pol, dep, engine, &g), LFR_OK);
    assert_int_equal(lfr_gallery_identities(g), 0);
    lfr_gallery_free(g);
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, e, t0 - 3 * HOUR_MS), LFR_OK);
    assert_int_equal(lfr_watchlist_gallery(ctx, pol, dep, engine, &g), LFR_OK);
    assert_int_equal(lfr_gallery_identities(g), 1);
    lfr_gallery_free(g);
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, dep), LFR_OK);
    expect(lfr_camera_add(ctx, pol, &applicant, dep, "cam2", "rtsp://10.0.0.5/2", ""), LFR_EREFUSED,
           "draft");
    lfr_alert_record a = {.deployment = dep,
                          .entry = e,
                          .camera = "cam1",
                          .time_ms = t0 + 60000,
                          .track_id = 4,
                          .score = 0.71,
                          .crop_jpeg = (const uint8_t *)"\xff\xd8\xff-jpeg",
                          .crop_len = 9};
    int64_t id = 0;
    expect(lfr_alert_record_new(ctx, pol, &a, &id), LFR_EREFUSED, "not live");
    expect(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_OK, NULL);
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, dep, t0 + 1000), LFR_OK);
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &id), LFR_OK);
    int64_t still_open = id;
    a.entry = 999999;
    expect(lfr_alert_record_new(ctx, pol, &a, &id), LFR_EREFUSED, "watchlist");
    a.entry = e;
    int64_t first = 0, second = 0;
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &first), LFR_OK);
    a.time_ms = t0 + 120000;
    assert_int_equal(lfr_alert_record_new(ctx, pol, &a, &second), LFR_OK);
    /* HIL-2: an outcome follows a decision to engage; an operator decides. */
    expect(lfr_alert_outcome(ctx, pol, &engager, first, 1, "arrest", 300, NULL, t0 + HOUR_MS),
           LFR_EREFUSED, "decision to engage");
    expect(lfr_alert_decide(ctx, pol, &engager, first, 1, t0 + HOUR_MS), LFR_EPERM, "operator");
    assert_int_equal(lfr_alert_decide(ctx, pol, &operator_, first, 1, t0 + HOUR_MS), LFR_OK);
    expect(lfr_alert_decide(ctx, pol, &operator_, first, 0, t0 + HOUR_MS), LFR_EREFUSED, "already");
    expect(lfr_alert_outcome(ctx, pol, &engager, first, 1, "shot", 300, NULL, t0 + HOUR_MS),
           LFR_EINVAL, "HIL-2");
    assert_int_equal(lfr_alert_outcome(ctx, pol, &engager, first, 1, "words_of_advice", 240,
                                       "White", t0 + HOUR_MS),
                     LFR_OK);
    assert_int_equal(lfr_alert_decide(ctx, pol, &operator_, second, 0, t0 + HOUR_MS), LFR_OK);
    /* HIL-1: what the operator sees; the faces only to operators and
     * engagement officers, each look audited. */
    json_t *alerts = NULL;
    expect(lfr_alert_list(ctx, pol, &admin, dep, NULL, 0, &alerts), LFR_EPERM, NULL);
    expect(lfr_alert_list(ctx, pol, &operator_, dep, "maybe", 0, &alerts), LFR_EINVAL, "status");
    assert_int_equal(lfr_alert_list(ctx, pol, &operator_, dep, "open", 0, &alerts), LFR_OK);
    assert_int_equal(json_array_size(alerts), 1);
    json_t *row = json_array_get(alerts, 0);
    assert_int_equal(json_integer_value(json_object_get(row, "id")), still_open);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(row, "entry"), "category")), "wanted");
    json_decref(alerts);
    assert_int_equal(lfr_alert_list(ctx, pol, &operator_, dep, NULL, first, &alerts), LFR_OK);
    assert_int_equal(json_array_size(alerts), 1); /* only ids after `first` */
    json_decref(alerts);
    /* SEC-2: a list that showed alerts is audited with what it showed; an
     * empty one (an idle screen polling) is not. */
    int64_t listed = audit_count("alert.list");
    assert_true(listed >= 2);
    /* The same list again (a screen polling) is no new view. */
    assert_int_equal(lfr_alert_list(ctx, pol, &operator_, dep, NULL, first, &alerts), LFR_OK);
    json_decref(alerts);
    assert_int_equal(audit_count("alert.list"), listed);
    /* Another user's look is. */
    assert_int_equal(lfr_alert_list(ctx, pol, &engager, dep, NULL, first, &alerts), LFR_OK);
    json_decref(alerts);
    assert_int_equal(audit_count("alert.list"), ++listed);
    assert_int_equal(lfr_alert_list(ctx, pol, &operator_, dep, NULL, 1000000, &alerts), LFR_OK);
    assert_int_equal(json_array_size(alerts), 0);
    json_decref(alerts);
    assert_int_equal(audit_count("alert.list"), listed);
    assert_int_equal(lfr_alert_show(ctx, pol, &engager, first, &alerts), LFR_OK);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(alerts, "outcome"), "action")),
        "words_of_advice");
    json_decref(alerts);
    uint8_t *img = NULL;
    size_t img_len = 0;
    expect(lfr_alert_image(ctx, pol, &admin, first, 0, &img, &img_len), LFR_EPERM, NULL);
    expect(lfr_alert_image(ctx, pol, &auditor, first, 0, &img, &img_len), LFR_EPERM, NULL);
    assert_int_equal(lfr_alert_image(ctx, pol, &operator_, first, 0, &img, &img_len), LFR_OK);
    assert_int_equal(img_len, 9);
    assert_memory_equal(img, "\xff\xd8\xff-jpeg", 9);
    lfr_locked_free(img);
    assert_int_equal(lfr_alert_image(ctx, pol, &operator_, first, 1, &img, &img_len), LFR_OK);
    assert_true(img_len > 1000 && img[0] == 0xff && img[1] == 0xd8); /* the uploaded JPEG */
    lfr_locked_free(img);
    /* Counts from the pipelines, summed per camera. */
    assert_int_equal(lfr_deployment_count(ctx, pol, dep, "cam1", 100, 7, 9, t0 + HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_count(ctx, pol, dep, "cam1", 50, 3, 4, t0 + HOUR_MS), LFR_OK);
    expect(lfr_deployment_count(ctx, pol, dep, "cam1", -1, 0, 0, t0), LFR_EINVAL, "negative");
    assert_int_equal(lfr_camera_list(ctx, pol, &operator_, dep, &alerts), LFR_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(alerts, 0), "faces")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(alerts, 0), "frames")), 150);
    json_decref(alerts);
    /* The closing report (DEP-10): after the end, aggregates only. */
    json_t *report = NULL;
    expect(lfr_deployment_report(ctx, pol, &supt, dep, &report), LFR_EREFUSED, "follows its end");
    assert_int_equal(lfr_deployment_stop(ctx, pol, &operator_, dep, "shift over", t0 + 2 * HOUR_MS),
                     0);
    expect(lfr_deployment_report(ctx, pol, &operator_, dep, &report), LFR_EPERM, NULL);
    assert_int_equal(lfr_deployment_report(ctx, pol, &auditor, dep, &report), LFR_OK);
    assert_int_equal(json_integer_value(json_object_get(report, "alerts")), 3);
    json_t *by = json_object_get(report, "alerts_by_decision");
    assert_int_equal(json_integer_value(json_object_get(by, "closed")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "no_match")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "open")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(report, "outcomes"), "words_of_advice")),
        1);
    assert_int_equal(json_integer_value(json_object_get(report, "engagement_seconds_total")), 240);
    assert_int_equal(json_integer_value(json_object_get(report, "faces_processed")), 10);
    assert_string_equal(json_string_value(json_object_get(report, "end_reason")), "shift over");
    char *text = json_dumps(report, 0);
    assert_null(strstr(text, "PNC 77")); /* no identity in a report */
    json_decref(report);
    /* Retention: nothing before 31 days; everything after, each audited. */
    int n = 0;
    expect(lfr_policy_retention(ctx, pol, t0, 90, &n), LFR_EINVAL, "PRI-3");
    assert_int_equal(lfr_policy_retention(ctx, pol, t0 + 30LL * 24 * HOUR_MS, 31, &n), LFR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(lfr_policy_retention(ctx, pol, t0 + 32LL * 24 * HOUR_MS, 31, &n), LFR_OK);
    assert_true(n >= 3);
    lfr_stmt *st = NULL;
    assert_int_equal(lfr_stmt_prepare(ctx, store,
                                      "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM "
                                      "outcomes), (SELECT count(*) FROM audit_log WHERE action = "
                                      "'alert.delete')",
                                      &st),
                     0);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_int_equal(lfr_stmt_int64(st, 0), 0);
    assert_int_equal(lfr_stmt_int64(st, 1), 0);
    assert_int_equal(lfr_stmt_int64(st, 2), n);
    lfr_stmt_free(st);
    st = NULL;
    /* PRI-3 (issue 13 item 27): what the figures keep of a deleted alert
     * joins to no audit record, camera, time, score or entry; and the
     * audit log itself never named the entry that alerted. */
    assert_int_equal(
        lfr_stmt_prepare(ctx, store,
                         "SELECT count(*), count(*) FILTER (WHERE alert_id > 0), count(*) "
                         "FILTER (WHERE camera <> '' OR time_ms <> 0 OR score <> 0 "
                         "OR category <> ''), (SELECT count(*) FROM audit_log WHERE "
                         "action = 'alert.create' AND details LIKE '%\"entry\":%') "
                         "FROM alert_facts WHERE deployment_id = ?",
                         &st),
        0);
    assert_int_equal(lfr_stmt_bind_int64(ctx, st, 1, dep), 0);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_int_equal(lfr_stmt_int64(st, 0), 3);
    assert_int_equal(lfr_stmt_int64(st, 1), 0);
    assert_int_equal(lfr_stmt_int64(st, 2), 0);
    assert_int_equal(lfr_stmt_int64(st, 3), 0);
    lfr_stmt_free(st);
    /* The published figures outlive the data behind them. */
    assert_int_equal(lfr_deployment_report(ctx, pol, &auditor, dep, &report), LFR_OK);
    char *after = json_dumps(report, 0);
    json_decref(report);
    assert_string_equal(after, text);
    free(after);
    free(text);
    /* The auditor reads the log, newest first; the look is audited too. */
    json_t *log = NULL;
    lfr_audit_query q = {.limit = 10};
    expect(lfr_audit_list(ctx, pol, &operator_, &q, &log), LFR_EPERM, NULL);
    q.limit = 0;
    expect(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_EINVAL, "limit");
    q.limit = 5;
    assert_int_equal(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_OK);
    assert_int_equal(json_array_size(log), 5);
    int64_t newest = json_integer_value(json_object_get(json_array_get(log, 0), "seq"));
    assert_true(newest > json_integer_value(json_object_get(json_array_get(log, 4), "seq")));
    json_decref(log);
    q.limit = 1;
    assert_int_equal(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "action")),
                        "audit.view");
    json_decref(log);
    /* Filters (issue 15 item 3): an action's prefix, an object's kind, who. */
    q = (lfr_audit_query){.limit = 1000, .action = "audit."};
    assert_int_equal(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_OK);
    size_t i, n_views = json_array_size(log);
    json_t *rec;
    assert_true(n_views >= 1); /* the looks above (repeats are one record) */
    json_array_foreach(log, i, rec)
    {
        assert_int_equal(strncmp(json_string_value(json_object_get(rec, "action")), "audit.", 6),
                         0);
        assert_string_equal(json_string_value(json_object_get(rec, "actor")), auditor.name);
    }
    json_decref(log);
    q = (lfr_audit_query){.limit = 1000, .action = "audit.view", .user = "nobody"};
    assert_int_equal(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_OK);
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
    q = (lfr_audit_query){.limit = 1000, .object = "audit_log"};
    assert_int_equal(lfr_audit_list(ctx, pol, &auditor, &q, &log), LFR_OK);
    assert_true(json_array_size(log) >= n_views);
    json_decref(log);
}

/* WL-7 and the key file's permissions. */
static void test_watchlist_limits(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "kit_harington/john1.jpeg");
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    cfg.max_watchlist = 1;
    lfr_policy *small = NULL;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &small), LFR_OK);
    lfr_policy *saved = pol;
    pol = small;
    int64_t dep = complete_draft(0, "0.6", "1000");
    add(dep, entry("P1", "wanted"), KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    add(dep, entry("P2", "wanted"), KNN "obama/obama.jpg", LFR_EREFUSED, "WL-7", NULL);
    pol = saved;
    lfr_policy_free(small);
    char path[4096];
    snprintf(path, sizeof path, "%s", test_tmp_path("open.key"));
    test_write_file(path, key, 32);
    chmod(path, 0644);
    unsigned char k2[32];
    expect(lfr_policy_load_key(ctx, path, k2), LFR_EINVAL, "readable by others");
    struct stat st;
    assert_int_equal(stat(test_tmp_path("watchlist.key"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* A process killed (SIGKILL) in the middle of policy writes leaves a
 * database that opens, whose deployments match their audit records, with an
 * intact chain. */
/* Ratifying an urgent authorisation is authorising after the fact: not by
 * its applicant, nor by a reviewer of its watchlist (issue 13 item 24). */
static void test_urgent_route_duties(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "obama/obama.jpg");
    int64_t id = complete_draft(0, "0.6", "1000");
    int64_t e = add(id, entry("PNC 55", "wanted"), KNN "obama/obama.jpg", LFR_OK, NULL, NULL);
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, e, t0 - 3 * HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, id), LFR_OK);
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &inspector, id, 1, t0 - HOUR_MS), LFR_OK);
    lfr_actor as_applicant = supt, as_reviewer = supt;
    as_applicant.id = applicant.id;
    as_reviewer.id = reviewer.id;
    expect(lfr_deployment_ratify(ctx, pol, &as_applicant, id, t0), LFR_EPERM,
           "may not also ratify");
    expect(lfr_deployment_ratify(ctx, pol, &as_reviewer, id, t0), LFR_EPERM, "WL-4");
    assert_int_equal(lfr_deployment_ratify(ctx, pol, &supt, id, t0), LFR_OK);
}

/* A missing or mistyped key file must not be replaced silently by a new
 * key that opens nothing: with sealed photos in the database, a policy
 * with another key refuses to start (issue 13 item 9). */
static void test_wrong_key_refused(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "obama/obama.jpg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    add(dep, entry("PNC 77", "wanted"), KNN "obama/obama.jpg", LFR_OK, NULL, NULL);
    unsigned char other[32];
    randombytes_buf(other, sizeof other);
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = other;
    lfr_policy *p2 = NULL;
    expect(lfr_policy_new(ctx, store, &cfg, &p2), LFR_EREFUSED, "does not open");
    assert_null(p2);
    cfg.key = key;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &p2), LFR_OK);
    lfr_policy_free(p2);
}

/* The database and its journal are the owner's alone (password hashes, the
 * audit log), deleted rows are overwritten and temporary tables stay in
 * memory whatever SQLite's build defaults. */
static void test_store_files_private(void **state)
{
    (void)state;
    if (test_db_is_pg()) skip(); /* SQLite's files and settings */
    char path[4096], wal[4200];
    snprintf(path, sizeof path, "%s", test_tmp_path("private.db"));
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    mode_t old = umask(022);
    lfr_store *s = NULL;
    assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
    umask(old);
    assert_int_equal(lfr_store_exec(ctx, s, "CREATE TABLE t(x); INSERT INTO t VALUES (1)"), LFR_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    const char *pragmas[2][2] = {{"PRAGMA secure_delete", "1"}, {"PRAGMA temp_store", "2"}};
    for (int i = 0; i < 2; i++) {
        lfr_stmt *q = NULL;
        assert_int_equal(lfr_stmt_prepare(ctx, s, pragmas[i][0], &q), LFR_OK);
        assert_int_equal(lfr_stmt_step(ctx, q), 1);
        assert_int_equal(lfr_stmt_int64(q, 0), atoi(pragmas[i][1]));
        lfr_stmt_free(q);
    }
    lfr_store_close(s);
}

/* Issue 17 item 2: two servers on one database (two stores here) share
 * sessions and lock-outs: opened through one, known to the other; ended,
 * expired or of a disabled user, known to neither; a name locked through
 * one is locked at the other. */
static void test_sessions_shared(void **state)
{
    (void)state;
    lfr_store *other = NULL;
    assert_int_equal(lfr_store_open(ctx, db_path, &other), LFR_OK);
    const char *hash = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    int64_t now = t0 + 900 * HOUR_MS, hour = HOUR_MS, minute = 60000;
    assert_int_equal(lfr_session_save(ctx, store, hash, "csrf-1", &operator_, now, 8), LFR_OK);
    lfr_session_rec rec;
    assert_int_equal(
        lfr_session_load(ctx, other, hash, now + minute, 8 * hour, 30 * minute, 5000, 1, &rec),
        LFR_OK);
    assert_int_equal(rec.actor.id, operator_.id);
    assert_string_equal(rec.actor.name, operator_.name);
    assert_int_equal(rec.actor.roles, operator_.roles);
    assert_string_equal(rec.csrf, "csrf-1");
    assert_int_equal(rec.seen_ms, now + minute); /* refreshed */
    /* Idle past its limit from the last use: gone, on both. */
    expect(
        lfr_session_load(ctx, store, hash, now + 32 * minute, 8 * hour, 30 * minute, 5000, 0, &rec),
        LFR_ENOENT, "expired");
    expect(lfr_session_load(ctx, other, hash, now + minute, 8 * hour, 30 * minute, 5000, 0, &rec),
           LFR_ENOENT, NULL);
    /* The ninth of a user pushes out the least recently used. */
    char h[9][65];
    for (int i = 0; i < 9; i++) {
        snprintf(h[i], sizeof h[i], "%064d", i);
        assert_int_equal(
            lfr_session_save(ctx, i % 2 ? store : other, h[i], "c", &engager, now + i, 8), LFR_OK);
    }
    expect(lfr_session_load(ctx, store, h[0], now + 10, 8 * hour, 30 * minute, 5000, 0, &rec),
           LFR_ENOENT, NULL);
    test_expect_rc(
        ctx, lfr_session_load(ctx, store, h[1], now + 10, 8 * hour, 30 * minute, 5000, 0, &rec),
        LFR_OK, NULL);
    /* Ended for the user through one server: ended at the other. */
    assert_int_equal(lfr_session_delete_user(ctx, other, engager.name), LFR_OK);
    expect(lfr_session_load(ctx, store, h[8], now + 10, 8 * hour, 30 * minute, 5000, 0, &rec),
           LFR_ENOENT, NULL);
    /* Five failures through alternate servers lock the name at both. */
    int wait = 0;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(lfr_login_throttle(ctx, i % 2 ? store : other, "pc.smith 10.0.0.9", 5,
                                            now + i, 300000, &wait),
                         LFR_OK);
        assert_int_equal(wait, 0);
    }
    assert_int_equal(
        lfr_login_throttle(ctx, store, "pc.smith 10.0.0.9", 5, now + 10, 300000, &wait), LFR_OK);
    assert_int_equal(wait, 300);
    assert_int_equal(
        lfr_login_throttle(ctx, other, "pc.smith 10.0.0.8", 5, now + 10, 300000, &wait), LFR_OK);
    assert_int_equal(wait, 0); /* another address is not locked out */
    assert_int_equal(
        lfr_login_throttle(ctx, other, "pc.smith 10.0.0.9", 5, now + 300010, 300000, &wait),
        LFR_OK);
    assert_int_equal(wait, 0); /* the lock over */
    assert_int_equal(lfr_login_throttle_clear(ctx, store, "pc.smith 10.0.0.9"), LFR_OK);
    lfr_store_close(other);
}

static void test_killed_during_writes(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s", test_db("policy_kill.db"));
    for (int round = 0; round < 3; round++) {
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            lfr_ctx *c = NULL;
            lfr_store *s = NULL;
            lfr_policy *p = NULL;
            lfr_actor a;
            if (lfr_ctx_new(&c) || lfr_store_open(c, path, &s) || lfr_policy_new(c, s, NULL, &p))
                _exit(3);
            if (lfr_policy_login(c, p, "pc.smith", PW, &a)) {
                lfr_actor adm;
                if (lfr_user_add(c, p, NULL, "admin", LFR_ROLE_ADMIN, 0, PW) ||
                    lfr_policy_login(c, p, "admin", PW, &adm) ||
                    lfr_user_add(c, p, &adm, "pc.smith", LFR_ROLE_APPLICANT, 1, PW) ||
                    lfr_policy_login(c, p, "pc.smith", PW, &a))
                    _exit(4);
            }
            for (int n = 0;; n++) {
                int64_t id = 0;
                if (lfr_deployment_create(c, p, &a, "Op Kill", &id) ||
                    lfr_deployment_set(c, p, &a, id, "purpose", "a purpose long enough") ||
                    lfr_deployment_set(c, p, &a, id, "watchlist_size", "100"))
                    _exit(5);
                /* Logged in (argon2 is done) and writing: the parent may kill. */
                if (n == 0 && (write(ready[1], "w", 1) != 1 || close(ready[1]))) _exit(6);
            }
        }
        close(ready[1]);
        char b;
        assert_int_equal(read(ready[0], &b, 1), 1); /* waits for the child, however loaded */
        close(ready[0]);
        usleep(50000 + 100000 * round); /* into the writes, at a different point each round */
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        lfr_store *s = NULL;
        assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
        lfr_audit_report r;
        assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
        assert_int_equal(r.first_bad_seq, 0);
        /* Every deployment in the table has its audited creation, and every
         * audited creation its deployment: no half-written act. */
        lfr_stmt *st = NULL;
        assert_int_equal(lfr_stmt_prepare(ctx, s,
                                          "SELECT (SELECT count(*) FROM deployments), (SELECT "
                                          "count(*) FROM audit_log WHERE action = "
                                          "'deployment.create'), (SELECT count(*) FROM audit_log "
                                          "WHERE action = 'deployment.set')",
                                          &st),
                         0);
        assert_int_equal(lfr_stmt_step(ctx, st), 1);
        int64_t deps = lfr_stmt_int64(st, 0), created = lfr_stmt_int64(st, 1);
        print_message("round %d: %lld deployments, %lld audited creations, %lld audited sets, "
                      "chain intact over %lld records\n",
                      round, (long long)deps, (long long)created, (long long)lfr_stmt_int64(st, 2),
                      (long long)r.records);
        assert_true(deps > 0);
        assert_int_equal(deps, created);
        lfr_stmt_free(st);
        lfr_store_close(s);
    }
}

static int64_t add_blue(int64_t dep, const lfr_actor *who, const char *staff, const char *rel,
                        int code, const char *needle)
{
    size_t len = 0;
    uint8_t *b = photo(rel, &len);
    lfr_enrolment *en = NULL;
    int64_t id = 0;
    int rc = lfr_bluelist_enrol(ctx, pol, who, engine, b, len, &en);
    if (!rc)
        rc = lfr_bluelist_add_enrolled(ctx, pol, who, dep, staff, "consent form 2026/31", en,
                                       t0 - 2 * HOUR_MS, &id);
    lfr_enrolment_free(en);
    lfr_free(b);
    expect(rc, code, needle);
    return id;
}

static int64_t table_count(const char *sql, int64_t dep)
{
    lfr_stmt *st = NULL;
    int64_t n = -1;
    if (!lfr_stmt_prepare(ctx, store, sql, &st) && !lfr_stmt_bind_int64(ctx, st, 1, dep) &&
        lfr_stmt_step(ctx, st) == 1)
        n = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return n;
}

/* What the runner is told to run for one deployment at now_ms, or NULL. */
static lfr_running *running_of(int64_t dep, int64_t now_ms)
{
    static lfr_running run[32];
    int n = 0;
    assert_int_equal(lfr_deployments_running(ctx, pol, now_ms, 0, run, 32, &n), LFR_OK);
    lfr_running *found = NULL;
    for (int i = 0; i < n; i++)
        if (run[i].id == dep) {
            assert_null(found); /* once: live or walk test, never both */
            found = &run[i];
        }
    return found;
}

/* ACC-3: staff on a blue list walk past before going live; the hit rate,
 * time to alert and false alerts reach the deployment view, the figures
 * and the review; the blue list never alerts and goes with the start. */
static void test_walk_test(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "kit_harington/john1.jpeg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    int64_t e =
        add(dep, entry("PNC 78", "wanted"), KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, e, t0 - 3 * HOUR_MS), LFR_OK);
    assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam1", "rtsp://10.0.0.5/1", ""), 0);
    assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam2", "rtsp://10.0.0.5/2", ""), 0);
    /* The one enrolment gate (WL-5) guards the blue list too. */
    add_blue(dep, &operator_, "PC 101", "samples/face_recognition_examples/examples/two_people.jpg",
             LFR_EINVAL, "blue list photo");
    add_blue(dep, &engager, "PC 101", KNN "obama/obama.jpg", LFR_EPERM, NULL);
    size_t len = 0;
    uint8_t *b = photo(KNN "obama/obama.jpg", &len);
    lfr_enrolment *en = NULL;
    assert_int_equal(lfr_bluelist_enrol(ctx, pol, &operator_, engine, b, len, &en), LFR_OK);
    lfr_free(b);
    expect(
        lfr_bluelist_add_enrolled(ctx, pol, &operator_, dep, "PC 101", " ", en, t0, &(int64_t){0}),
        LFR_EINVAL, "consent_ref");
    lfr_enrolment_free(en);
    int64_t b1 = add_blue(dep, &operator_, "PC 101 Obama", KNN "obama/obama.jpg", LFR_OK, NULL);
    int64_t b2 = add_blue(dep, &applicant, "PC 102 Biden", KNN "biden/biden.jpg", LFR_OK, NULL);
    /* The blue list is not the watchlist, and the watchlist not the blue list. */
    lfr_gallery *g = NULL;
    assert_int_equal(lfr_watchlist_gallery(ctx, pol, dep, engine, &g), LFR_OK);
    assert_int_equal(lfr_gallery_identities(g), 1);
    lfr_gallery_free(g);
    assert_int_equal(lfr_bluelist_gallery(ctx, pol, dep, engine, &g), LFR_OK);
    assert_int_equal(lfr_gallery_identities(g), 2);
    lfr_gallery_free(g);
    int64_t wt = 0;
    expect(lfr_walktest_start(ctx, pol, &operator_, dep, t0 + 1000, &wt), LFR_EREFUSED,
           "once it is authorised");
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, dep), LFR_OK);
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_OK);
    /* Faces are processed only inside the authorised window (DEP-5). */
    expect(lfr_walktest_start(ctx, pol, &operator_, dep, t0 - 1000, &wt), LFR_EREFUSED, "window");
    expect(lfr_walktest_start(ctx, pol, &applicant, dep, t0 + 1000, &wt), LFR_EPERM, NULL);
    assert_int_equal(lfr_walktest_start(ctx, pol, &operator_, dep, t0 + 1000, &wt), LFR_OK);
    expect(lfr_walktest_start(ctx, pol, &operator_, dep, t0 + 2000, &(int64_t){0}), LFR_EREFUSED,
           "still running");
    /* The cameras run the walk test, at the authorised threshold; the
     * deployment itself is not live. */
    lfr_running *r = running_of(dep, t0 + 2000);
    assert_non_null(r);
    assert_int_equal(r->walk_test, wt);
    assert_true(fabs(r->threshold - 0.6) < 1e-9);
    expect(lfr_deployment_may_process(ctx, pol, dep, t0 + 2000), LFR_EREFUSED, "not live");
    /* Passes: who sets off, past which camera. */
    int64_t pass = 0;
    expect(lfr_walktest_pass(ctx, pol, &operator_, dep, e, "cam1", t0 + 5000, &pass), LFR_ENOENT,
           "blue list");
    expect(lfr_walktest_pass(ctx, pol, &operator_, dep, b1, "cam9", t0 + 5000, &pass), LFR_ENOENT,
           "no camera named");
    assert_int_equal(lfr_walktest_pass(ctx, pol, &operator_, dep, b1, "cam1", t0 + 10000, &pass),
                     0);
    assert_int_equal(lfr_walktest_pass(ctx, pol, &operator_, dep, b2, NULL, t0 + 20000, &pass), 0);
    assert_int_equal(lfr_walktest_pass(ctx, pol, &operator_, dep, b1, "cam2", t0 + 120000, &pass),
                     0);
    /* Hits come from the cameras: never of the watchlist. */
    expect(lfr_walktest_hit(ctx, pol, wt, e, "cam1", t0 + 11000, 0.7), LFR_EREFUSED, "blue list");
    assert_int_equal(lfr_walktest_hit(ctx, pol, wt, b1, "cam1", t0 + 13500, 0.71), LFR_OK);
    assert_int_equal(lfr_walktest_hit(ctx, pol, wt, b2, "cam2", t0 + 26000, 0.66), LFR_OK);
    /* b1 on the wrong camera for its pass, and b2 with no pass: false. */
    assert_int_equal(lfr_walktest_hit(ctx, pol, wt, b1, "cam1", t0 + 125000, 0.62), LFR_OK);
    assert_int_equal(lfr_walktest_hit(ctx, pol, wt, b2, "cam1", t0 + 200000, 0.61), LFR_OK);
    assert_int_equal(lfr_walktest_end(ctx, pol, &operator_, dep, t0 + 300000), LFR_OK);
    expect(lfr_walktest_hit(ctx, pol, wt, b1, "cam1", t0 + 301000, 0.7), LFR_EREFUSED, "over");
    expect(lfr_walktest_end(ctx, pol, &operator_, dep, t0 + 301000), LFR_EREFUSED, "no walk test");
    json_t *res = NULL;
    expect(lfr_walktest_results(ctx, pol, &engager, dep, &res), LFR_EPERM, NULL);
    assert_int_equal(lfr_walktest_results(ctx, pol, &supt, dep, &res), LFR_OK);
    json_t *t = json_array_get(res, 0);
    assert_int_equal(json_array_size(res), 1);
    assert_int_equal(json_integer_value(json_object_get(t, "passes")), 3);
    assert_int_equal(json_integer_value(json_object_get(t, "found")), 2);
    assert_int_equal(json_integer_value(json_object_get(t, "false_alerts")), 2);
    assert_true(fabs(json_number_value(json_object_get(t, "median_seconds_to_alert")) - 4.75) <
                1e-9);
    double lo = json_number_value(json_object_get(t, "hit_rate_lo"));
    double hi = json_number_value(json_object_get(t, "hit_rate_hi"));
    assert_true(lo > 0.15 && lo < 0.667 && hi > 0.667 && hi < 1.0);
    json_t *passes = json_object_get(t, "pass_list");
    assert_int_equal(json_array_size(passes), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(passes, 0), "staff_ref")),
                        "PC 101 Obama");
    assert_false(json_is_true(json_object_get(json_array_get(passes, 2), "found")));
    json_decref(res);
    /* The authorising officer sees it before starting, without staff names. */
    json_t *shown = NULL;
    assert_int_equal(lfr_deployment_show(ctx, pol, &supt, dep, &shown), LFR_OK);
    t = json_array_get(json_object_get(shown, "walk_tests"), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "found")), 2);
    assert_null(json_object_get(t, "pass_list"));
    json_decref(shown);
    /* The blue list never alerts and never counts as an alert. */
    assert_int_equal(table_count("SELECT count(*) FROM alerts WHERE deployment_id = ?", dep), 0);
    /* A force that requires a walk test: a deployment without one may not
     * start; this one may. */
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    cfg.require_walk_test = 1;
    lfr_policy *strict = NULL;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &strict), LFR_OK);
    int64_t bare = complete_draft(1, "0.6", "1000");
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &supt, bare, 0, t0 - HOUR_MS), LFR_OK);
    expect(lfr_deployment_start(ctx, strict, &operator_, bare, t0 + 1000), LFR_EREFUSED, "ACC-3");
    assert_int_equal(lfr_deployment_cancel(ctx, pol, &supt, bare, "not needed", t0 + 2000), LFR_OK);
    /* Going live ends the blue list: its templates are destroyed. */
    assert_int_equal(lfr_deployment_start(ctx, strict, &operator_, dep, t0 + 400000), LFR_OK);
    lfr_policy_free(strict);
    assert_int_equal(
        table_count("SELECT count(*) FROM blue_entries WHERE deployment_id = ? AND template IS "
                    "NOT NULL",
                    dep),
        0);
    assert_int_equal(lfr_bluelist_gallery(ctx, pol, dep, engine, &g), LFR_OK);
    assert_int_equal(lfr_gallery_identities(g), 0);
    lfr_gallery_free(g);
    expect(lfr_walktest_start(ctx, pol, &operator_, dep, t0 + 500000, &wt), LFR_EREFUSED, "live");
    r = running_of(dep, t0 + 500000);
    assert_non_null(r);
    assert_int_equal(r->walk_test, 0);
    /* The review carries it (PUB-2). */
    json_t *fig = NULL;
    assert_int_equal(lfr_deployment_figures(ctx, pol, &supt, dep, "review", &fig), LFR_OK);
    t = json_array_get(json_object_get(fig, "walk_tests"), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "passes")), 3);
    json_decref(fig);
    assert_true(audit_count("bluelist.destroy") >= 1);
    assert_true(audit_count("walktest.pass") >= 3);
}

/* DEP-6 (issue 13 item 26): the floor is a setting in the database, set by
 * an officer of the authorising rank with its evidence, audited, and read
 * by every policy opened on the database. */
static void test_threshold_floor_setting(void **state)
{
    (void)state;
    expect(lfr_policy_set_floor(ctx, pol, &applicant, 0.3, "report", t0), LFR_EPERM, NULL);
    expect(lfr_policy_set_floor(ctx, pol, &inspector, 0.3, "report", t0), LFR_EPERM,
           "superintendent");
    expect(lfr_policy_set_floor(ctx, pol, &supt, 0.3, "  ", t0), LFR_EINVAL, "evidence");
    expect(lfr_policy_set_floor(ctx, pol, &supt, 1.5, "report", t0), LFR_EINVAL, "[-1, 1]");
    int64_t before = audit_count("settings.threshold_floor");
    assert_int_equal(lfr_policy_set_floor(ctx, pol, &supt, 0.55, "validation FV-2026-03", t0),
                     LFR_OK);
    assert_int_equal(audit_count("settings.threshold_floor"), before + 1);
    /* Another opener of the same database sees the same floor. */
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    lfr_policy *other = NULL;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &other), LFR_OK);
    json_t *floor = NULL;
    assert_int_equal(lfr_policy_floor(ctx, other, &floor), LFR_OK);
    assert_true(fabs(json_number_value(json_object_get(floor, "threshold_floor")) - 0.55) < 1e-9);
    assert_true(fabs(json_number_value(json_object_get(floor, "model_floor")) - 0.45) < 1e-9);
    assert_string_equal(json_string_value(json_object_get(floor, "set_by")), "supt.jones");
    json_decref(floor);
    lfr_policy_free(other);
    /* A threshold under it is refused. */
    int64_t dep = complete_draft(0, "0.6", "1000");
    expect(lfr_deployment_set(ctx, pol, &applicant, dep, "threshold", "0.5"), LFR_EREFUSED,
           "floor");
    /* Back to the model's floor for the other tests. */
    assert_int_equal(lfr_policy_set_floor(ctx, pol, &supt, 0.45, "restored: FV-2026-03", t0),
                     LFR_OK);
}

/* Issue 13 item 13: every view is audited, repeats coalesced, and a user
 * past the views a person at a screen makes in a minute is refused, while
 * others are not. */
static void test_view_rate_limit(void **state)
{
    (void)state;
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    cfg.views_per_minute = 5;
    lfr_policy *strict = NULL;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &strict), LFR_OK);
    int64_t ids[7];
    for (int i = 0; i < 7; i++)
        assert_int_equal(lfr_deployment_create(ctx, strict, &applicant, "Op View", &ids[i]), 0);
    json_t *doc = NULL;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(lfr_deployment_show(ctx, strict, &auditor, ids[i], &doc), LFR_OK);
        json_decref(doc);
    }
    /* The same view again is no new view: not counted. */
    assert_int_equal(lfr_deployment_show(ctx, strict, &auditor, ids[0], &doc), LFR_OK);
    json_decref(doc);
    int64_t before = audit_count("deployment.view");
    expect(lfr_deployment_show(ctx, strict, &auditor, ids[5], &doc), LFR_EBUSY, "this minute");
    assert_null(doc);
    assert_int_equal(audit_count("deployment.view"), before);
    /* Someone else is not held back. */
    assert_int_equal(lfr_deployment_show(ctx, strict, &supt, ids[6], &doc), LFR_OK);
    json_decref(doc);
    lfr_policy_free(strict);
}

/* Issue 13 item 18: a sealed photo is bound to its row, so one swapped
 * into another entry does not open there; blobs sealed before binding are
 * bound when a policy opens the database. */
static void test_sealed_blobs_bound(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "biden/biden.jpg");
    int64_t dep = complete_draft(0, "0.6", "1000");
    int64_t a = add(dep, entry("PNC 81", "wanted"), KNN "obama/obama.jpg", LFR_OK, NULL, NULL);
    int64_t b = add(dep, entry("PNC 82", "wanted"), KNN "biden/biden.jpg", LFR_OK, NULL, NULL);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE watchlist_entries SET photo = (SELECT photo FROM watchlist_entries WHERE id "
             "= %lld) WHERE id = %lld",
             (long long)b, (long long)a);
    assert_int_equal(lfr_store_exec(ctx, store, sql), LFR_OK);
    uint8_t *img = NULL;
    size_t len = 0;
    expect(lfr_watchlist_photo(ctx, pol, &applicant, a, &img, &len), LFR_EFORMAT, "another row");
    assert_null(img);
    /* A blob of the first format (bound to nothing) is bound at open. */
    static const char legacy[] = "legacy photo bytes";
    uint8_t box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + sizeof legacy];
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const uint8_t *)legacy, sizeof legacy,
                          box, key);
    lfr_stmt *st = NULL;
    assert_int_equal(
        lfr_stmt_prepare(ctx, store, "UPDATE watchlist_entries SET photo = ? WHERE id = ?", &st),
        0);
    assert_int_equal(lfr_stmt_bind_blob(ctx, st, 1, box, sizeof box), 0);
    assert_int_equal(lfr_stmt_bind_int64(ctx, st, 2, a), 0);
    assert_int_equal(lfr_stmt_step(ctx, st), 0);
    lfr_stmt_free(st);
    int64_t resealed = audit_count("settings.reseal");
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = key;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    lfr_policy *again = NULL;
    assert_int_equal(lfr_policy_new(ctx, store, &cfg, &again), LFR_OK);
    assert_int_equal(audit_count("settings.reseal"), resealed + 1);
    assert_int_equal(lfr_watchlist_photo(ctx, again, &applicant, a, &img, &len), LFR_OK);
    assert_int_equal(len, sizeof legacy);
    assert_memory_equal(img, legacy, sizeof legacy);
    lfr_locked_free(img);
    lfr_policy_free(again);
    /* Its own photo still opens where it belongs. */
    assert_int_equal(lfr_watchlist_photo(ctx, pol, &applicant, b, &img, &len), LFR_OK);
    assert_true(len > 2 && img[0] == 0xff && img[1] == 0xd8);
    lfr_locked_free(img);
}

/* A sealed node alert as an edge node makes it: JSON sealed to the centre. */
static uint8_t *node_alert_box(const uint8_t centre[LFR_NODE_KEY_BYTES], const char *json,
                               size_t *len)
{
    size_t n = strlen(json);
    *len = crypto_box_SEALBYTES + n;
    uint8_t *box = malloc(*len);
    assert_non_null(box);
    crypto_box_seal(box, (const uint8_t *)json, n, centre);
    return box;
}

/* Issue 17 item 3: edge nodes. Enrolment, the administrator's decision,
 * the assignment sealed to the node alone, alerts kept once per origin and
 * only for the node's own deployments, counts all or none. */
static void test_edge_nodes(void **state)
{
    (void)state;
    TEST_NEED_DATA(KNN "kit_harington/john1.jpeg");
    uint8_t sign_pk[32], sign_sk[64], box_pk[32], box_sk[32], other_pk[32], other_sk[32];
    crypto_sign_keypair(sign_pk, sign_sk);
    crypto_box_keypair(box_pk, box_sk);
    crypto_box_keypair(other_pk, other_sk);
    int64_t node = 0, node2 = 0;
    /* Enrolment needs the one-time code the administrator issued for the name. */
    char code[LFR_NODE_CODE_CHARS + 1], code8[LFR_NODE_CODE_CHARS + 1];
    expect(lfr_node_code_issue(ctx, pol, &operator_, "van-7", t0, code), LFR_EPERM, NULL);
    expect(lfr_node_code_issue(ctx, pol, &admin, "van\n7", t0, code), LFR_EINVAL, "control");
    assert_int_equal(lfr_node_code_issue(ctx, pol, &admin, "van-7", t0, code), LFR_OK);
    assert_int_equal(strlen(code), LFR_NODE_CODE_CHARS);
    assert_int_equal(audit_count("node.code"), 1);
    expect(lfr_node_enrol(ctx, pol, "van-7", NULL, sign_pk, box_pk, t0, &node), LFR_EAUTH, "code");
    char forged[LFR_NODE_CODE_CHARS + 1];
    memcpy(forged, code, sizeof forged);
    memset(forged, 'a', LFR_NODE_CODE_SECRET); /* the right centre, a guessed secret */
    expect(lfr_node_enrol(ctx, pol, "van-7", forged, sign_pk, box_pk, t0, &node), LFR_EAUTH,
           "no such code");
    memcpy(forged, code, sizeof forged);
    forged[LFR_NODE_CODE_CHARS - 1] = forged[LFR_NODE_CODE_CHARS - 1] == '0' ? '1' : '0';
    expect(lfr_node_enrol(ctx, pol, "van-7", forged, sign_pk, box_pk, t0, &node), LFR_EAUTH,
           "another centre");
    /* The code names the centre's keys, for the node to check. */
    uint8_t cbox[32], csig[32];
    char cfp[17];
    assert_int_equal(lfr_node_centre_key(ctx, pol, cbox, NULL), LFR_OK);
    assert_int_equal(lfr_node_centre_sign_key(ctx, pol, csig, NULL), LFR_OK);
    lfr_node_centre_fingerprint(csig, cbox, cfp);
    assert_string_equal(code + LFR_NODE_CODE_SECRET + 1, cfp);
    expect(lfr_node_enrol(ctx, pol, "van-9", code, sign_pk, box_pk, t0, &node), LFR_EAUTH,
           "no such code"); /* another name's */
    expect(
        lfr_node_enrol(ctx, pol, "van-7", code, sign_pk, box_pk, t0 + LFR_NODE_CODE_TTL_MS, &node),
        LFR_EAUTH, "expired");
    assert_int_equal(lfr_node_enrol(ctx, pol, "van-7", code, sign_pk, box_pk, t0, &node), LFR_OK);
    expect(lfr_node_enrol(ctx, pol, "van-7", code, other_pk, box_pk, t0, &node2), LFR_EAUTH,
           "used"); /* once */
    expect(lfr_node_code_issue(ctx, pol, &admin, "van-7", t0, code), LFR_EREFUSED, "enrolled");
    assert_int_equal(lfr_node_code_issue(ctx, pol, &admin, "van-8", t0, code8), LFR_OK);
    expect(lfr_node_enrol(ctx, pol, "van-8", code8, sign_pk, box_pk, t0, &node2), LFR_EREFUSED,
           "already enrolled");
    assert_int_equal(audit_count("node.enrol"), 1);
    /* A request is the key's, unchanged: method, path, time and body. */
    char sig[LFR_NODE_SIG_B64];
    lfr_node_sign_request(sign_sk, "POST", "/api/node/alerts", t0, "{}", 2, sig);
    assert_int_equal(lfr_node_verify_request(sign_pk, "POST", "/api/node/alerts", t0, "{}", 2, sig),
                     0);
    assert_int_equal(lfr_node_verify_request(sign_pk, "POST", "/api/node/counts", t0, "{}", 2, sig),
                     -1);
    assert_int_equal(
        lfr_node_verify_request(sign_pk, "POST", "/api/node/alerts", t0 + 1, "{}", 2, sig), -1);
    assert_int_equal(lfr_node_verify_request(sign_pk, "POST", "/api/node/alerts", t0, "[]", 2, sig),
                     -1);
    assert_int_equal(
        lfr_node_verify_request(other_pk, "POST", "/api/node/alerts", t0, "{}", 2, sig), -1);
    assert_int_equal(
        lfr_node_verify_request(sign_pk, "POST", "/api/node/alerts", t0, "{}", 2, "!!"), -1);
    /* Pending: nothing given, nothing placed on it. */
    lfr_node n;
    assert_int_equal(lfr_node_get(ctx, pol, node, &n), LFR_OK);
    assert_string_equal(n.state, "pending");
    json_t *doc = NULL;
    expect(lfr_node_assignment(ctx, pol, &n, engine, NULL, t0, &doc), LFR_EPERM, "pending");
    int64_t dep = complete_draft(0, "0.6", "1000");
    expect(lfr_deployment_set_node(ctx, pol, &applicant, dep, node, 600), LFR_EREFUSED,
           "not approved");
    expect(lfr_node_decide(ctx, pol, &supt, node, 1, NULL, t0), LFR_EPERM, NULL);
    assert_int_equal(lfr_node_decide(ctx, pol, &admin, node, 1, NULL, t0), LFR_OK);
    expect(lfr_node_decide(ctx, pol, &admin, node, 1, NULL, t0), LFR_EREFUSED, "already");
    assert_int_equal(lfr_node_get(ctx, pol, node, &n), LFR_OK);
    /* Placed by the draft's applicant, with an offline allowance in range. */
    expect(lfr_deployment_set_node(ctx, pol, &operator_, dep, node, 600), LFR_EPERM, NULL);
    expect(lfr_deployment_set_node(ctx, pol, &applicant, dep, node, 5), LFR_EINVAL, "max_offline");
    expect(lfr_deployment_set_node(ctx, pol, &applicant, dep, 424242, 600), LFR_ENOENT, NULL);
    assert_int_equal(lfr_deployment_set_node(ctx, pol, &applicant, dep, node, 120), LFR_OK);
    /* Its cameras are the node's: a source there, not checked here. */
    assert_int_equal(lfr_camera_add(ctx, pol, &applicant, dep, "cam1", "/on/the/van/cam1.mp4", ""),
                     LFR_OK);
    int64_t e =
        add(dep, entry("PNC 71", "wanted"), KNN "kit_harington/john1.jpeg", LFR_OK, NULL, NULL);
    assert_int_equal(lfr_watchlist_review(ctx, pol, &reviewer, e, t0 - 3 * HOUR_MS), LFR_OK);
    assert_int_equal(lfr_deployment_submit(ctx, pol, &applicant, dep), LFR_OK);
    assert_int_equal(lfr_deployment_authorise(ctx, pol, &supt, dep, 0, t0 - HOUR_MS), LFR_OK);
    /* Not live: nothing to run. */
    assert_int_equal(lfr_node_assignment(ctx, pol, &n, engine, NULL, t0 + 1000, &doc), LFR_OK);
    assert_int_equal(json_array_size(json_object_get(doc, "deployments")), 0);
    json_decref(doc);
    /* A walk test before it goes live runs on the node, on the blue list
     * (ACC-3): its hits go to the test, never an alert. */
    int64_t blue = add_blue(dep, &operator_, "PC 7", KNN "kit_harington/john1.jpeg", LFR_OK, NULL);
    int64_t wt = 0;
    assert_int_equal(lfr_walktest_start(ctx, pol, &operator_, dep, t0 + 500, &wt), LFR_OK);
    assert_int_equal(lfr_node_assignment(ctx, pol, &n, engine, NULL, t0 + 600, &doc), LFR_OK);
    json_t *wd = json_array_get(json_object_get(doc, "deployments"), 0);
    assert_int_equal(json_integer_value(json_object_get(wd, "walk_test")), wt);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(wd, "entry_ids"), 0)), blue);
    json_decref(doc);
    uint8_t wcentre[32];
    assert_int_equal(lfr_node_centre_key(ctx, pol, wcentre, NULL), LFR_OK);
    char hit[512];
    snprintf(hit, sizeof hit,
             "{\"origin\":\"%lld-ffeeddccbbaa99887766554433221100\",\"deployment\":%lld,"
             "\"walk_test\":%lld,\"entry\":%lld,\"camera\":\"cam1\",\"time_ms\":%lld,"
             "\"track\":1,\"score\":0.7}",
             (long long)node, (long long)dep, (long long)wt, (long long)blue,
             (long long)(t0 + 700));
    size_t hit_len = 0;
    uint8_t *hit_box = node_alert_box(wcentre, hit, &hit_len);
    int64_t hit_id = -1;
    int hit_repeat = 1;
    json_t *hit_event = NULL;
    int64_t alerts_before = table_count("SELECT count(*) FROM alerts WHERE deployment_id = ?", dep);
    assert_int_equal(lfr_node_alert(ctx, pol, &n, hit_box, hit_len, 0, t0 + 800, &hit_id,
                                    &hit_repeat, &hit_event),
                     LFR_OK);
    free(hit_box);
    assert_true(hit_id == 0 && !hit_repeat && hit_event);
    assert_int_equal(json_integer_value(json_object_get(hit_event, "walk_test")), wt);
    json_decref(hit_event);
    assert_int_equal(table_count("SELECT count(*) FROM walk_hits h JOIN walk_tests w ON w.id = "
                                 "h.walk_test_id WHERE w.deployment_id = ?",
                                 dep),
                     1);
    assert_int_equal(table_count("SELECT count(*) FROM alerts WHERE deployment_id = ?", dep),
                     alerts_before);
    assert_int_equal(lfr_walktest_end(ctx, pol, &operator_, dep, t0 + 900), LFR_OK);
    assert_int_equal(lfr_deployment_start(ctx, pol, &operator_, dep, t0 + 1000), LFR_OK);
    /* The centre's runner leaves it alone. */
    lfr_running running[8];
    int n_running = 0;
    assert_int_equal(lfr_deployments_running(ctx, pol, t0 + 2000, 0, running, 8, &n_running),
                     LFR_OK);
    for (int i = 0; i < n_running; i++)
        assert_true(running[i].id != dep);
    assert_int_equal(lfr_deployments_running(ctx, pol, t0 + 2000, node, running, 8, &n_running),
                     LFR_OK);
    assert_int_equal(n_running, 1);
    assert_int_equal(running[0].id, dep);
    assert_int_equal(lfr_node_assignment(ctx, pol, &n, engine, NULL, t0 + 2000, &doc), LFR_OK);
    json_t *d = json_array_get(json_object_get(doc, "deployments"), 0);
    assert_int_equal(json_integer_value(json_object_get(d, "id")), dep);
    assert_int_equal(json_integer_value(json_object_get(d, "max_offline_s")), 120);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(d, "cameras"), 0), "source")),
                        "/on/the/van/cam1.mp4");
    /* The templates open with the node's key alone, and are the entry's. */
    const char *b64 = json_string_value(json_object_get(d, "templates"));
    size_t sealed_len = 0, dim = (size_t)lfr_engine_embedding_size(engine);
    uint8_t *sealed = malloc(strlen(b64));
    assert_int_equal(sodium_base642bin(sealed, strlen(b64), b64, strlen(b64), NULL, &sealed_len,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    size_t plain_len = sealed_len - crypto_box_SEALBYTES;
    assert_int_equal(plain_len, 8 + dim * 4);
    uint8_t *plain = malloc(plain_len);
    assert_int_equal(crypto_box_seal_open(plain, sealed, sealed_len, other_pk, other_sk), -1);
    assert_int_equal(crypto_box_seal_open(plain, sealed, sealed_len, box_pk, box_sk), 0);
    int64_t id_in = 0;
    memcpy(&id_in, plain, 8);
    assert_int_equal(id_in, e);
    float norm = 0, v;
    for (size_t i = 0; i < dim; i++) {
        memcpy(&v, plain + 8 + 4 * i, 4);
        norm += v * v;
    }
    assert_true(fabsf(norm - 1.0f) < 1e-3f);
    free(plain);
    free(sealed);
    /* The same version again: a line, no templates. */
    char version[64];
    snprintf(version, sizeof version, "%s", json_string_value(json_object_get(doc, "version")));
    json_decref(doc);
    assert_int_equal(lfr_node_assignment(ctx, pol, &n, engine, version, t0 + 3000, &doc), LFR_OK);
    assert_true(json_is_true(json_object_get(doc, "unchanged")));
    assert_null(json_object_get(doc, "deployments"));
    json_decref(doc);
    /* Alerts: sealed to the centre, kept once per origin. */
    uint8_t centre[32];
    assert_int_equal(lfr_node_centre_key(ctx, pol, centre, NULL), LFR_OK);
    char text[512];
    snprintf(text, sizeof text,
             "{\"origin\":\"%lld-00112233445566778899aabbccddeeff\",\"deployment\":%lld,"
             "\"entry\":%lld,\"camera\":\"cam1\",\"time_ms\":%lld,\"track\":3,\"score\":0.8,"
             "\"crop\":\"/9j/AAAA\"}",
             (long long)node, (long long)dep, (long long)e, (long long)(t0 + 4000));
    size_t len = 0;
    uint8_t *box = node_alert_box(centre, text, &len);
    int64_t alert = 0, again = 0;
    int repeat = 1;
    json_t *event = NULL;
    assert_int_equal(lfr_node_alert(ctx, pol, &n, box, len, 0, t0 + 5000, &alert, &repeat, &event),
                     LFR_OK);
    assert_true(alert > 0 && !repeat && event);
    assert_int_equal(json_integer_value(json_object_get(event, "deployment")), dep);
    json_decref(event);
    assert_int_equal(lfr_node_alert(ctx, pol, &n, box, len, 1, t0 + 6000, &again, &repeat, &event),
                     LFR_OK);
    assert_int_equal(again, alert);
    assert_true(repeat && !event);
    uint8_t *crop = NULL;
    size_t crop_len = 0;
    assert_int_equal(lfr_alert_image(ctx, pol, &operator_, alert, 0, &crop, &crop_len), LFR_OK);
    assert_int_equal(crop_len, 6); /* "/9j/AAAA" decoded */
    lfr_locked_free(crop);
    /* Damaged, not sealed to the centre, or another node's origin: refused. */
    box[len - 1] ^= 1;
    expect(lfr_node_alert(ctx, pol, &n, box, len, 0, t0 + 5000, &again, &repeat, &event),
           LFR_EINVAL, "does not open");
    free(box);
    box = node_alert_box(other_pk, text, &len);
    expect(lfr_node_alert(ctx, pol, &n, box, len, 0, t0 + 5000, &again, &repeat, &event),
           LFR_EINVAL, "does not open");
    free(box);
    text[11] = 'X'; /* the origin's node id */
    box = node_alert_box(centre, text, &len);
    expect(lfr_node_alert(ctx, pol, &n, box, len, 0, t0 + 5000, &again, &repeat, &event),
           LFR_EINVAL, "origin");
    free(box);
    box = node_alert_box(centre, "[1,2]", &len);
    expect(lfr_node_alert(ctx, pol, &n, box, len, 0, t0 + 5000, &again, &repeat, &event),
           LFR_EINVAL, "JSON object");
    free(box);
    /* Counts: the node's own deployment and cameras, all or none. */
    json_t *counts = json_pack("{s:I,s:s,s:[{s:s,s:i,s:i,s:i},{s:s,s:i,s:i,s:i}]}", "deployment",
                               (json_int_t)dep, "run", "00112233445566778899aabbccddeeff",
                               "cameras", "name", "cam1", "frames", 250, "faces", 3, "compared", 3,
                               "name", "nocam", "frames", 1, "faces", 1, "compared", 1);
    expect(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_EINVAL, "no camera 'nocam'");
    json_array_remove(json_object_get(counts, "cameras"), 1);
    assert_int_equal(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_OK);
    /* Totals of a run: the same batch again (its answer lost, or replayed)
     * counts once; a larger total adds its difference. */
    assert_int_equal(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_OK);
    json_t *cams = NULL;
    assert_int_equal(lfr_camera_list(ctx, pol, NULL, dep, &cams), LFR_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cams, 0), "frames")), 250);
    json_decref(cams);
    /* A camera's state as the node saw it, kept for the monitor; a state
     * this centre does not know is left out and the counts still count; a
     * state that is not a name refuses the batch. */
    json_t *cam1 = json_array_get(json_object_get(counts, "cameras"), 0);
    json_object_set_new(cam1, "state", json_integer(1));
    expect(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_EINVAL, "state");
    json_object_set_new(cam1, "state", json_string("reconnecting"));
    assert_int_equal(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_OK);
    assert_int_equal(lfr_camera_list(ctx, pol, NULL, dep, &cams), LFR_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cams, 0), "last_state")),
                        "reconnecting");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cams, 0), "frames")), 250);
    json_decref(cams);
    json_object_set_new(cam1, "state", json_string("sleeping"));
    assert_int_equal(lfr_node_counts(ctx, pol, &n, counts, t0 + 7000), LFR_OK);
    assert_int_equal(lfr_camera_list(ctx, pol, NULL, dep, &cams), LFR_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cams, 0), "last_state")),
                        "reconnecting");
    json_decref(cams);
    json_object_del(cam1, "state");
    json_object_set_new(json_array_get(json_object_get(counts, "cameras"), 0), "frames",
                        json_integer(300));
    assert_int_equal(lfr_node_counts(ctx, pol, &n, counts, t0 + 8000), LFR_OK);
    assert_int_equal(lfr_camera_list(ctx, pol, NULL, dep, &cams), LFR_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cams, 0), "frames")), 300);
    json_decref(cams);
    /* The centre's answers are signed for one request. */
    uint8_t csign[32], *csk = lfr_locked_alloc(crypto_sign_SECRETKEYBYTES);
    assert_non_null(csk);
    assert_int_equal(lfr_node_centre_sign_key(ctx, pol, csign, csk), LFR_OK);
    char rsig[LFR_NODE_SIG_B64];
    lfr_node_sign_reply(csk, sig, 200, "{}", 2, rsig);
    lfr_locked_free(csk);
    assert_int_equal(lfr_node_verify_reply(csign, sig, 200, "{}", 2, rsig), 0);
    assert_int_equal(lfr_node_verify_reply(csign, sig, 409, "{}", 2, rsig), -1);
    assert_int_equal(lfr_node_verify_reply(csign, "another", 200, "{}", 2, rsig), -1);
    assert_int_equal(lfr_node_verify_reply(csign, sig, 200, "{ }", 3, rsig), -1);
    /* Another node: nothing of this deployment. */
    uint8_t s2[32], s2k[64], b2[32], b2k[32];
    crypto_sign_keypair(s2, s2k);
    crypto_box_keypair(b2, b2k);
    /* A code issued again replaces the last. */
    assert_int_equal(lfr_node_code_issue(ctx, pol, &admin, "van-8", t0, code8), LFR_OK);
    assert_int_equal(lfr_node_enrol(ctx, pol, "van-8", code8, s2, b2, t0, &node2), LFR_OK);
    assert_int_equal(lfr_node_decide(ctx, pol, &admin, node2, 1, NULL, t0), LFR_OK);
    lfr_node n2;
    assert_int_equal(lfr_node_get(ctx, pol, node2, &n2), LFR_OK);
    expect(lfr_node_counts(ctx, pol, &n2, counts, t0 + 7000), LFR_EPERM, "not placed");
    json_decref(counts);
    assert_int_equal(lfr_node_assignment(ctx, pol, &n2, engine, NULL, t0 + 2000, &doc), LFR_OK);
    assert_int_equal(json_array_size(json_object_get(doc, "deployments")), 0);
    json_decref(doc);
    /* Revoked: for good, with a reason; its calls refused and audited. */
    expect(lfr_node_decide(ctx, pol, &admin, node, 0, "", t0), LFR_EINVAL, "reason");
    assert_int_equal(lfr_node_decide(ctx, pol, &admin, node, 0, "van stolen", t0), LFR_OK);
    expect(lfr_node_decide(ctx, pol, &admin, node, 1, NULL, t0), LFR_EREFUSED, "for good");
    assert_int_equal(lfr_node_get(ctx, pol, node, &n), LFR_OK);
    expect(lfr_node_assignment(ctx, pol, &n, engine, NULL, t0 + 8000, &doc), LFR_EPERM, "revoked");
    int64_t refused = audit_count("node.refused");
    assert_int_equal(lfr_node_refused(ctx, pol, &n, "/api/node/assignment", t0 + 8000), LFR_OK);
    assert_int_equal(audit_count("node.refused"), refused + 1);
    assert_int_equal(lfr_node_get(ctx, pol, node, &n), LFR_OK);
    /* Not again within the minute: a copied key cannot flood the log. */
    assert_int_equal(lfr_node_refused(ctx, pol, &n, "/api/node/assignment", t0 + 9000), LFR_OK);
    assert_int_equal(audit_count("node.refused"), refused + 1);
    json_t *list = NULL;
    expect(lfr_node_list(ctx, pol, &operator_, &list), LFR_EPERM, NULL);
    assert_int_equal(lfr_node_list(ctx, pol, &admin, &list), LFR_OK);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")),
                        "revoked");
    json_decref(list);
    /* The stolen van's replacement takes its name; the revoked node keeps
     * its row and history under a name of its own, and stays revoked. */
    uint8_t s3[32], s3k[64], b3[32], b3k[32];
    crypto_sign_keypair(s3, s3k);
    crypto_box_keypair(b3, b3k);
    int64_t node3 = 0;
    assert_int_equal(lfr_node_code_issue(ctx, pol, &admin, "van-7", t0, code), LFR_OK);
    assert_int_equal(lfr_node_enrol(ctx, pol, "van-7", code, s3, b3, t0, &node3), LFR_OK);
    assert_true(node3 != node);
    lfr_node n3;
    assert_int_equal(lfr_node_get(ctx, pol, node3, &n3), LFR_OK);
    assert_string_equal(n3.name, "van-7");
    assert_string_equal(n3.state, "pending");
    assert_int_equal(lfr_node_get(ctx, pol, node, &n), LFR_OK);
    char renamed[64];
    snprintf(renamed, sizeof renamed, "van-7 (revoked, node %lld)", (long long)node);
    assert_string_equal(n.name, renamed);
    assert_string_equal(n.state, "revoked");
    assert_int_equal(audit_count("node.rename"), 1);
    /* An approved node's name is still not given away. */
    expect(lfr_node_code_issue(ctx, pol, &admin, "van-8", t0, code8), LFR_EREFUSED, "enrolled");
    assert_int_equal(lfr_deployment_stop(ctx, pol, &operator_, dep, "done", t0 + 10000), LFR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_and_roles),
        cmocka_unit_test(test_authorisation_rules),
        cmocka_unit_test(test_mandatory_fields_and_limits),
        cmocka_unit_test(test_urgent_route),
        cmocka_unit_test(test_watchlists),
        cmocka_unit_test(test_watchlist_limits),
        cmocka_unit_test(test_alerts_and_retention),
        cmocka_unit_test(test_evidence_hold),
        cmocka_unit_test(test_walk_test),
        cmocka_unit_test(test_threshold_floor_setting),
        cmocka_unit_test(test_view_rate_limit),
        cmocka_unit_test(test_sealed_blobs_bound),
        cmocka_unit_test(test_audit_trail),
        cmocka_unit_test(test_urgent_route_duties),
        cmocka_unit_test(test_wrong_key_refused),
        cmocka_unit_test(test_store_files_private),
        cmocka_unit_test(test_sessions_shared),
        cmocka_unit_test(test_killed_during_writes),
        cmocka_unit_test(test_edge_nodes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
