/* tests/test_report.c - the documents of REQUIREMENTS section 5 built from
 * deployments with known alerts and outcomes, run through the policy API:
 * every figure in every format (the CSV and JSON parse and agree with the
 * HTML), suppression of small counts, the critical threat exemption, the
 * role rules, no image or identity in what the public and oversight get,
 * escaping; and one of each document rendered to PNG with headless
 * chromium for a person to look at (build/tests/report_*.png). */
#include "testutil.h"

#include "lfr/report.h"
#include "../src/report/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR_MS (3600LL * 1000)
#define PW "correct horse battery"
#define KNN "samples/face_recognition_examples/examples/knn_examples/train/"
#define CHROMIUM "/usr/bin/chromium"

static lfr_ctx *ctx;
static lfr_store *store;
static lfr_policy *pol;
static lfr_actor admin, applicant, supt, operator_, engager, reviewer, auditor, oversight;
static lfr_runtime *rt;
static lfr_engine *engine;
static unsigned char wl_key[32];
static int64_t t0; /* 2026-12-01T09:00Z */
static int64_t dep_a, dep_b, dep_live;

/* As in test_policy: log-linear through (0.35, 1e-3) and (0.57, 1e-6). */
static double fake_fmr(double t, void *arg)
{
    (void)arg;
    if (t < 0.3 || t > 0.8) return -1;
    return pow(10.0, -3.0 - (t - 0.35) / 0.22 * 3.0);
}

static void ok(int rc)
{
    if (rc) fail_msg("%s: %s", lfr_err_name(rc), lfr_errmsg(ctx));
}

#define expect(rc, code, needle) test_expect_rc(ctx, rc, code, needle)

/* An authorised deployment by the applicant: public notice or exemption. */
static int64_t authorised(const char *name, const char *start, const char *end, int exemption,
                          const char *const *photos, const char *const *refs,
                          const char *const *cats, int n_entries, int64_t authorise_ms)
{
    int64_t id = 0;
    ok(lfr_deployment_create(ctx, pol, &applicant, name, &id));
    const char *kv[][2] = {{"purpose", "locate people wanted on warrant in the city centre"},
                           {"intelligence_case", "reports 2026/114-118"},
                           {"necessity", "serious offences; footfall; time-limited"},
                           {"less_intrusive", "patrols tried for six weeks without result"},
                           {"start", start},
                           {"end", end},
                           {"watchlist_criteria", "wanted for offences carrying 2+ years"},
                           {"watchlist_categories", "Wanted by the courts; suspects"},
                           {"watchlist_size", "50"},
                           {"threshold", "0.6"},
                           {"engagement_plan", "two engagement officers per camera"},
                           {"dpia_ref", "DPIA-2026-07"},
                           {"equality_ref", "EIA-2026-07"},
                           {"community_ref", "CIA-2026-07"},
                           {"pcc_informed", "yes"},
                           {"expected_footfall", "15000"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        ok(lfr_deployment_set(ctx, pol, &applicant, id, kv[i][0], kv[i][1]));
    if (exemption) {
        ok(lfr_deployment_set(ctx, pol, &applicant, id, "critical_threat_exemption",
                              "imminent threat to life: notice would warn the suspect"));
        ok(lfr_deployment_set(ctx, pol, &applicant, id, "exemption_approved_by",
                              "ACC Morgan (chief officer)"));
    } else {
        ok(lfr_deployment_set(ctx, pol, &applicant, id, "public_notice",
                              "force website, social media and signs at each location"));
    }
    ok(lfr_deployment_add_location(ctx, pol, &applicant, id, "Queen Street",
                                   "main shopping street, highest footfall", 0, NULL));
    ok(lfr_deployment_add_location(ctx, pol, &applicant, id, "Central Station forecourt",
                                   "transport hub used by the people sought", 0, NULL));
    ok(lfr_camera_add(ctx, pol, &applicant, id, "cam1", "rtsp://10.0.0.5/1", "Queen Street"));
    ok(lfr_camera_add(ctx, pol, &applicant, id, "cam2", "rtsp://10.0.0.5/2", "Station"));
    for (int i = 0; i < n_entries; i++) {
        uint8_t *b = NULL;
        size_t len = 0;
        ok(lfr_read_file(ctx, test_data_path(photos[i]), 64 << 20, &b, &len));
        lfr_watchlist_entry e = {.person_ref = refs[i],
                                 .category = cats[i],
                                 .reason = "wanted on warrant for robbery, seen in the area",
                                 .source = "custody image 2024/5531",
                                 .legal_basis = "PACE 1984 s.64A custody image",
                                 .photo_date = "2024-03-01"};
        int64_t entry = 0;
        json_t *flags = NULL;
        int rc = lfr_watchlist_add(ctx, pol, &applicant, id, &e, engine, b, len, t0 - 100 * HOUR_MS,
                                   &entry, &flags);
        lfr_free(b);
        json_decref(flags);
        ok(rc);
        ok(lfr_watchlist_review(ctx, pol, &reviewer, entry, t0 - 50 * HOUR_MS));
    }
    ok(lfr_deployment_submit(ctx, pol, &applicant, id));
    ok(lfr_deployment_authorise(ctx, pol, &supt, id, 0, authorise_ms));
    return id;
}

static int64_t first_entry(int64_t dep)
{
    lfr_stmt *st = NULL;
    int64_t id = 0;
    ok(lfr_stmt_prepare(ctx, store, "SELECT min(id) FROM watchlist_entries WHERE deployment_id = ?",
                        &st));
    lfr_stmt_bind_int64(ctx, st, 1, dep);
    if (lfr_stmt_step(ctx, st) == 1) id = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    return id;
}

/* One alert and what followed it. decision: 'o' open, 'n' no match,
 * 'e' engaged (then an outcome when action is not NULL). */
static void alert(int64_t dep, int64_t at_ms, char decision, int confirmed, const char *action,
                  int seconds, const char *group)
{
    lfr_alert_record a = {.deployment = dep,
                          .entry = first_entry(dep),
                          .camera = "cam1",
                          .time_ms = at_ms,
                          .track_id = 1,
                          .score = 0.72,
                          .crop_jpeg = (const uint8_t *)"\xff\xd8\xff-crop",
                          .crop_len = 8};
    int64_t id = 0;
    ok(lfr_alert_record_new(ctx, pol, &a, &id));
    if (decision == 'o') return;
    ok(lfr_alert_decide(ctx, pol, &operator_, id, decision == 'e', at_ms + 30000));
    if (decision == 'e' && action)
        ok(lfr_alert_outcome(ctx, pol, &engager, id, confirmed, action, seconds, group,
                             at_ms + 60000));
}

static int setup(void **state)
{
    (void)state;
    if (lfr_ctx_new(&ctx)) return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s", test_db("report.db"));
    if (lfr_store_open(ctx, path, &store)) return -1;
    char key_path[4096];
    snprintf(key_path, sizeof key_path, "%s", test_tmp_path("report.key"));
    unlink(key_path);
    if (lfr_policy_load_key(ctx, key_path, wl_key)) return -1;
    lfr_policy_config cfg = lfr_policy_default_config();
    cfg.key = wl_key;
    cfg.threshold_floor = 0.45;
    cfg.fmr_at = fake_fmr;
    if (lfr_policy_new(ctx, store, &cfg, &pol)) return -1;
    if (lfr_user_add(ctx, pol, NULL, "admin", LFR_ROLE_ADMIN, 0, PW)) return -1;
    if (lfr_policy_login(ctx, pol, "admin", PW, &admin)) return -1;
    struct {
        const char *name;
        int roles, rank;
        lfr_actor *a;
    } users[] = {{"pc.smith", LFR_ROLE_APPLICANT, 1, &applicant},
                 {"supt.jones", LFR_ROLE_AUTHORISER, 5, &supt},
                 {"op.brown", LFR_ROLE_OPERATOR, 1, &operator_},
                 {"pc.black", LFR_ROLE_ENGAGEMENT, 1, &engager},
                 {"sgt.white", LFR_ROLE_REVIEWER, 2, &reviewer},
                 {"dpo.green", LFR_ROLE_AUDITOR, 0, &auditor},
                 {"pcc.office", LFR_ROLE_OVERSIGHT, 0, &oversight}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        if (lfr_user_add(ctx, pol, &admin, users[i].name, users[i].roles, users[i].rank, PW) ||
            lfr_policy_login(ctx, pol, users[i].name, PW, users[i].a)) {
            fprintf(stderr, "%s\n", lfr_errmsg(ctx));
            return -1;
        }
    lfr_engine_params ep = lfr_engine_default_params();
    ep.model_dir = test_model_dir();
    if (lfr_runtime_new(ctx, NULL, &rt) || lfr_engine_new(ctx, rt, &ep, &engine)) {
        fprintf(stderr, "%s\n", lfr_errmsg(ctx));
        return -1;
    }
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

/* Deployment A: 15 alerts (6 true, 7 false, 2 not verified), 15,000 faces,
 * three people on the watchlist, ended two hours early. Deployment B: the
 * critical threat exemption, 2 alerts, 4,000 faces, a name to escape. */
static void test_build(void **state)
{
    (void)state;
    const char *photos[] = {KNN "obama/obama.jpg",
                            "samples/facenet_pytorch/data/test_images/kate_siegel/1.jpg",
                            KNN "kit_harington/john1.jpeg"};
    const char *refs[] = {"PNC 11/111111A", "PNC 22/222222B", "PNC 33/333333C"};
    const char *cats[] = {"wanted", "wanted", "suspect"};
    dep_a = authorised("Op Lantern", "2026-12-01T09:00Z", "2026-12-01T17:00Z", 0, photos, refs,
                       cats, 3, t0 - HOUR_MS);
    ok(lfr_deployment_start(ctx, pol, &operator_, dep_a, t0 + 1000));
    ok(lfr_deployment_record_model(ctx, pol, dep_a, "mobilefacenet512", t0 + 2000));
    ok(lfr_deployment_record_model(ctx, pol, dep_a, "mobilefacenet512", t0 + 3000));
    int64_t at = t0 + 10 * 60000;
    /* True: identity confirmed. */
    const struct {
        const char *action, *group;
        int seconds;
    } found[] = {{"arrest", "White", 300},          {"arrest", "White", 240},
                 {"arrest", "Black", 600},          {"words_of_advice", "White", 120},
                 {"words_of_advice", "Black", 180}, {"safeguarding", "White", 420}};
    for (int i = 0; i < 6; i++)
        alert(dep_a, at += 60000, 'e', 1, found[i].action, found[i].seconds, found[i].group);
    /* False: closed as no match, or someone else was stopped. */
    for (int i = 0; i < 5; i++)
        alert(dep_a, at += 60000, 'n', 0, NULL, 0, NULL);
    alert(dep_a, at += 60000, 'e', 0, "no_further_action", 60, "Asian");
    alert(dep_a, at += 60000, 'e', 0, "no_further_action", 90, "Asian");
    /* Not verified: never decided; the person was not found. */
    alert(dep_a, at += 60000, 'o', 0, NULL, 0, NULL);
    alert(dep_a, at += 60000, 'e', 0, "person_not_found", 900, NULL);
    ok(lfr_deployment_count(ctx, pol, dep_a, "cam1", 50000, 9000, 9500, t0 + HOUR_MS));
    ok(lfr_deployment_count(ctx, pol, dep_a, "cam2", 30000, 6000, 6100, t0 + HOUR_MS));
    ok(lfr_deployment_stop(ctx, pol, &operator_, dep_a, "crowd dispersed after the match",
                           t0 + 6 * HOUR_MS));

    int64_t t1 = t0 + 24 * HOUR_MS;
    dep_b = authorised("Op Beacon <b>&amp; \"x\"", "2026-12-02T09:00Z", "2026-12-02T17:00Z", 1,
                       photos, refs, cats, 1, t1 - HOUR_MS);
    ok(lfr_deployment_start(ctx, pol, &operator_, dep_b, t1 + 1000));
    alert(dep_b, t1 + HOUR_MS, 'e', 1, "arrest", 500, "White");
    alert(dep_b, t1 + 2 * HOUR_MS, 'n', 0, NULL, 0, NULL);
    ok(lfr_deployment_count(ctx, pol, dep_b, "cam1", 20000, 4000, 4100, t1 + HOUR_MS));
    ok(lfr_deployment_stop(ctx, pol, &operator_, dep_b, "end of shift", t1 + 8 * HOUR_MS - 1000));

    /* A third, still live: in no summary, no record yet. */
    int64_t t2 = t0 + 48 * HOUR_MS;
    dep_live = authorised("Op Current", "2026-12-03T09:00Z", "2026-12-03T17:00Z", 0, photos, refs,
                          cats, 1, t2 - HOUR_MS);
    ok(lfr_deployment_start(ctx, pol, &operator_, dep_live, t2 + 1000));
}

/* --- reading the outputs back ------------------------------------------ */

typedef struct doc {
    char *text;
    size_t len;
} doc;

/* rc, then the text and length a call filled in (read after it ran). */
static doc get(int rc, char **text, size_t *len)
{
    ok(rc);
    assert_non_null(*text);
    assert_int_equal(*text ? strlen(*text) : 0, *len);
    doc d = {*text, *len};
    *text = NULL;
    return d;
}

/* A map of key -> value text, from any of the three formats. */
typedef struct kv {
    char key[200];
    char value[400];
} kv;
typedef struct map {
    kv items[1000];
    int n;
} map;

static const char *map_get(const map *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->items[i].key, key)) return m->items[i].value;
    return NULL;
}

static void map_put(map *m, const char *key, const char *value)
{
    assert_true(m->n < 1000);
    snprintf(m->items[m->n].key, sizeof m->items[m->n].key, "%s", key);
    snprintf(m->items[m->n].value, sizeof m->items[m->n].value, "%s", value);
    m->n++;
}

static void unescape(char *s)
{
    static const char *const ent[][2] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
    char *o = s;
    for (const char *i = s; *i;) {
        int done = 0;
        for (int e = 0; e < 5 && !done; e++) {
            size_t n = strlen(ent[e][0]);
            if (!strncmp(i, ent[e][0], n)) {
                *o++ = ent[e][1][0];
                i += n;
                done = 1;
            }
        }
        if (!done) *o++ = *i++;
    }
    *o = '\0';
}

/* Every <td data-k="K" data-v="V"> of a page. */
static void html_cells(const char *html, map *m)
{
    for (const char *p = html; (p = strstr(p, "data-k=\""));) {
        p += 8;
        const char *e = strchr(p, '"');
        const char *v = strstr(e, "data-v=\"");
        assert_non_null(v);
        v += 8;
        const char *ve = strchr(v, '"');
        char k[200], val[400];
        snprintf(k, sizeof k, "%.*s", (int)(e - p), p);
        snprintf(val, sizeof val, "%.*s", (int)(ve - v), v);
        unescape(k);
        unescape(val);
        map_put(m, k, val);
        p = ve;
    }
}

/* RFC 4180 CSV into rows of fields; cols fields joined by "/" form the key,
 * the last field the value. */
static void csv_map(const char *csv, int key_fields, map *m)
{
    char fields[8][400];
    int nf = 0, line = 0;
    size_t fl = 0;
    const char *p = csv;
    while (*p) {
        char c = *p;
        if (c == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"') p++;
                if (fl < 399) fields[nf][fl++] = *p;
            }
            p++;
            continue;
        }
        if (c == ',' || c == '\r' || c == '\n') {
            fields[nf][fl] = '\0';
            nf++;
            fl = 0;
            if (c == ',') {
                assert_true(nf < 8);
                p++;
                continue;
            }
            if (c == '\r') p++;
            p++;
            assert_int_equal(nf, key_fields + 1);
            if (line++ > 0) {
                char key[1400] = "";
                for (int i = 0; i < key_fields; i++)
                    snprintf(key + strlen(key), sizeof key - strlen(key), "%s%.300s", i ? "/" : "",
                             fields[i]);
                map_put(m, key, fields[key_fields]);
            }
            nf = 0;
            continue;
        }
        if (fl < 399) fields[nf][fl++] = c;
        p++;
    }
    assert_int_equal(nf, 0); /* ends with a line break */
}

static void json_text(const json_t *v, char *out, size_t len)
{
    if (json_is_integer(v))
        snprintf(out, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, len, "%.6g", json_real_value(v));
    else if (json_is_string(v))
        snprintf(out, len, "%s", json_string_value(v));
    else
        snprintf(out, len, "%s", "");
}

/* Flattens a JSON object's scalar members, prefix/key (sep between). */
static void json_map(const json_t *obj, const char *prefix, char sep, map *m)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        char key[200];
        if (*prefix)
            snprintf(key, sizeof key, "%s%c%s", prefix, sep, k);
        else
            snprintf(key, sizeof key, "%s", k);
        if (json_is_object(v)) {
            json_map(v, key, sep, m);
        } else if (!json_is_array(v)) {
            char t[400];
            json_text(v, t, sizeof t);
            map_put(m, key, t);
        }
    }
}

/* Values agree: the same text, or the same number. */
static void same(const char *key, const char *a, const char *b)
{
    if (!a || !b) fail_msg("%s: missing (%s vs %s)", key, a ? a : "absent", b ? b : "absent");
    if (!strcmp(a, b)) return;
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb && fabs(x - y) <= 1e-9 * fmax(1, fabs(x))) return;
    fail_msg("%s: '%s' and '%s' disagree", key, a, b);
}

/* Every key of `sub` is in `all` with the same value. */
static void agree(const map *sub, const map *all)
{
    assert_true(sub->n > 0);
    for (int i = 0; i < sub->n; i++)
        same(sub->items[i].key, sub->items[i].value, map_get(all, sub->items[i].key));
}

static void expect_field(const map *m, const char *key, const char *want)
{
    same(key, map_get(m, key), want);
}

/* Nothing of a face or a watchlist identity, nor an officer's name. */
static void no_identity(const char *text, int officers_too)
{
    static const char *const banned[] = {"PNC 11",     "PNC 22", "PNC 33",   "person_ref", "<img",
                                         "data:image", "base64", "\xff\xd8", "-crop"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(text, banned[i])) fail_msg("output holds '%s'", banned[i]);
    static const char *const names[] = {"supt.jones", "op.brown", "pc.black", "sgt.white",
                                        "pc.smith"};
    for (size_t i = 0; officers_too && i < sizeof names / sizeof names[0]; i++)
        if (strstr(text, names[i])) fail_msg("output names the officer '%s'", names[i]);
}

static void save(const char *name, const doc *d)
{
    test_write_file(test_tmp_path(name), d->text, d->len);
}

/* --- the documents ------------------------------------------------------ */

static void test_record(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    doc html =
        get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
            &t, &n);
    doc csv =
        get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_CSV, &t, &n), &t,
            &n);
    doc js =
        get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
            &t, &n);
    save("report_record.html", &html);
    json_error_t err;
    json_t *j = json_loads(js.text, 0, &err);
    assert_non_null(j);
    static map mh, mc, mj;
    mh.n = mc.n = mj.n = 0;
    html_cells(html.text, &mh);
    csv_map(csv.text, 1, &mc);
    json_map(j, "", '.', &mj);
    /* The three formats carry the same fields and values. */
    assert_int_equal(mc.n, mj.n);
    agree(&mh, &mj);
    agree(&mc, &mj);
    agree(&mj, &mc);
    assert_int_equal(mh.n, mj.n);
    /* The figures, as built. */
    expect_field(&mj, "id", "1");
    expect_field(&mj, "name", "Op Lantern");
    expect_field(&mj, "date", "2026-12-01");
    expect_field(&mj, "start", "2026-12-01T09:00Z");
    expect_field(&mj, "end", "2026-12-01T15:00Z");
    expect_field(&mj, "planned_end", "2026-12-01T17:00Z");
    expect_field(&mj, "area", "Queen Street; Central Station forecourt");
    expect_field(&mj, "advance_notice", "published");
    expect_field(&mj, "threshold", "0.6");
    expect_field(&mj, "model", "mobilefacenet512");
    expect_field(&mj, "faces_processed", "15000");
    expect_field(&mj, "alerts", "15");
    expect_field(&mj, "false_alerts", "7");
    expect_field(&mj, "false_alerts_per_1000_faces", "0.4667");
    expect_field(&mj, "false_alert_share", "0.4667");
    expect_field(&mj, "engagements", "9");
    /* Small counts: 2 not verified is hidden, and then the smallest other
     * cell of that table (6 true), else 15 - 6 - 7 would give it away. */
    expect_field(&mj, "unverified_alerts", "<5");
    expect_field(&mj, "true_alerts", "[c]");
    expect_field(&mj, "outcome_arrest", "<5");
    expect_field(&mj, "outcome_words_of_advice", "<5");
    expect_field(&mj, "outcome_other_action", "0");
    expect_field(&mj, "watchlist_size", "<5");
    expect_field(&mj, "watchlist_wanted", "<5");
    expect_field(&mj, "watchlist_victim", "0");
    assert_non_null(strstr(html.text, "&lt;5"));
    assert_null(strstr(html.text, "<5"));
    no_identity(html.text, 1);
    no_identity(csv.text, 1);
    no_identity(js.text, 1);
    json_decref(j);
    lfr_free(html.text);
    lfr_free(csv.text);
    lfr_free(js.text);
    /* Only once it is over; only its formats. */
    expect(lfr_report_record(ctx, pol, &applicant, dep_live, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
           LFR_EREFUSED, "follows its end");
    assert_null(t);
    expect(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_TEXT, &t, &n),
           LFR_EINVAL, "html, csv, json");
    expect(lfr_report_record(ctx, pol, &applicant, 999, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
           LFR_ENOENT, NULL);
}

static void test_exemption(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    expect(lfr_report_notice(ctx, pol, &applicant, dep_b, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
           LFR_EREFUSED, "critical threat exemption");
    assert_null(t);
    /* The record shows it instead, with who approved it. */
    doc html =
        get(lfr_report_record(ctx, pol, &oversight, dep_b, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
            &t, &n);
    doc js =
        get(lfr_report_record(ctx, pol, &oversight, dep_b, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
            &t, &n);
    json_error_t err;
    json_t *j = json_loads(js.text, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "advance_notice")),
                        "withheld: critical threat exemption approved by ACC Morgan (chief "
                        "officer)");
    /* 2 alerts: 1 true and 1 false, all hidden; nothing to subtract from. */
    assert_string_equal(json_string_value(json_object_get(j, "alerts")), "<5");
    assert_string_equal(json_string_value(json_object_get(j, "true_alerts")), "<5");
    assert_string_equal(json_string_value(json_object_get(j, "false_alerts")), "<5");
    assert_int_equal(json_integer_value(json_object_get(j, "unverified_alerts")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "false_alerts_per_1000_faces")),
                        "[c]");
    assert_non_null(strstr(html.text, "No advance notice was published"));
    /* The name is escaped wherever it goes into HTML. */
    assert_non_null(strstr(html.text, "Op Beacon &lt;b&gt;&amp;amp; &quot;x&quot;"));
    assert_null(strstr(html.text, "<b>&amp;"));
    json_decref(j);
    lfr_free(html.text);
    lfr_free(js.text);
}

static void test_notice(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    doc html = get(lfr_report_notice(ctx, pol, &admin, dep_a, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
                   &t, &n);
    doc text =
        get(lfr_report_notice(ctx, pol, &oversight, dep_a, LFR_LANG_EN, LFR_REPORT_TEXT, &t, &n),
            &t, &n);
    save("report_notice.html", &html);
    const char *both[] = {"Queen Street",
                          "Central Station forecourt",
                          "Tuesday 1 December 2026, 09:00 UTC",
                          "Tuesday 1 December 2026, 17:00 UTC",
                          "locate people wanted on warrant in the city centre",
                          "Wanted by the courts; suspects",
                          "at most 50 people",
                          "DPIA-2026-07",
                          "deleted at once",
                          "subject access request"};
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        if (!strstr(html.text, both[i])) fail_msg("html notice lacks '%s'", both[i]);
        if (!strstr(text.text, both[i])) fail_msg("text notice lacks '%s'", both[i]);
    }
    assert_null(strstr(text.text, "<")); /* plain text */
    no_identity(html.text, 1);
    no_identity(text.text, 1);
    lfr_free(html.text);
    lfr_free(text.text);
    /* Published before it goes live, so once authorised: the live one has
     * it; a draft has not. */
    doc live =
        get(lfr_report_notice(ctx, pol, &applicant, dep_live, LFR_LANG_EN, LFR_REPORT_TEXT, &t, &n),
            &t, &n);
    lfr_free(live.text);
    int64_t draft = 0;
    ok(lfr_deployment_create(ctx, pol, &applicant, "Op Draft", &draft));
    expect(lfr_report_notice(ctx, pol, &applicant, draft, LFR_LANG_EN, LFR_REPORT_TEXT, &t, &n),
           LFR_EREFUSED, "once it is authorised");
    expect(lfr_report_notice(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_CSV, &t, &n),
           LFR_EINVAL, "html, text");
}

static void test_review(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    /* Not for publication: authorising officers, auditors, oversight. */
    expect(lfr_report_review(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
           LFR_EPERM, NULL);
    expect(lfr_report_review(ctx, pol, &operator_, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EPERM, NULL);
    expect(lfr_report_review(ctx, pol, &admin, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EPERM, NULL);
    expect(lfr_report_review(ctx, pol, NULL, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EPERM, NULL);
    expect(lfr_report_review(ctx, pol, &supt, dep_a, LFR_LANG_EN, LFR_REPORT_CSV, &t, &n),
           LFR_EINVAL, "html, json");
    expect(lfr_report_review(ctx, pol, &supt, dep_live, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EREFUSED, "follows its end");
    doc js = get(lfr_report_review(ctx, pol, &auditor, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
                 &t, &n);
    json_error_t err;
    json_t *j = json_loads(js.text, 0, &err);
    assert_non_null(j);
    static map mj, mh;
    mj.n = mh.n = 0;
    json_map(j, "", '.', &mj);
    expect_field(&mj, "sign_off.state", "awaiting sign-off by the authorising officer");
    expect_field(&mj, "alerts.alerts", "15");
    expect_field(&mj, "alerts.true_alerts", "6");
    expect_field(&mj, "alerts.false_alerts", "7");
    expect_field(&mj, "alerts.unverified_alerts", "2");
    expect_field(&mj, "alerts.no_match", "5");
    expect_field(&mj, "alerts.open", "1");
    expect_field(&mj, "alerts.engaged", "9");
    expect_field(&mj, "alerts.awaiting_outcome", "0");
    expect_field(&mj, "outcomes.arrest", "3");
    expect_field(&mj, "outcomes.words_of_advice", "2");
    expect_field(&mj, "outcomes.safeguarding", "1");
    expect_field(&mj, "outcomes.no_further_action", "2");
    expect_field(&mj, "outcomes.person_not_found", "1");
    expect_field(&mj, "engagement.engagements_timed", "9");
    expect_field(&mj, "engagement.median_s", "240");
    expect_field(&mj, "engagement.shortest_s", "60");
    expect_field(&mj, "engagement.longest_s", "900");
    expect_field(&mj, "engagement.total_s", "2910");
    expect_field(&mj, "actual.faces_processed", "15000");
    expect_field(&mj, "actual.watchlist_entries", "3");
    expect_field(&mj, "actual.cameras", "2");
    expect_field(&mj, "actual.false_alerts_per_1000_faces", "0.4667");
    expect_field(&mj, "planned.watchlist_size", "50");
    expect_field(&mj, "planned.expected_footfall", "15000");
    expect_field(&mj, "watchlist_by_category.wanted", "2");
    expect_field(&mj, "watchlist_by_category.suspect", "1");
    expect_field(&mj, "expected.false_alerts_observed", "7");
    /* DEP-7: 50 people at FMR(0.6) = 10^(-3 - 0.25/0.22*3). */
    double fmr = pow(10.0, -3.0 - 0.25 / 0.22 * 3.0), fpir = -expm1(50 * log1p(-fmr));
    double per_1000 = json_number_value(
        json_object_get(json_object_get(j, "expected"), "false_alerts_per_1000_faces"));
    assert_true(fabs(per_1000 - round(1000 * fpir * 1e4) / 1e4) < 1e-9);
    char want[64];
    snprintf(want, sizeof want, "%.6g", round(15000 * fpir * 100) / 100);
    expect_field(&mj, "expected.false_alerts_at_observed_faces", want);
    /* What the reviewer is pointed to. */
    char *points = json_dumps(json_object_get(j, "points_for_review"), 0);
    assert_non_null(strstr(points, "120 minutes before its authorised end"));
    assert_non_null(strstr(points, "never decided"));
    assert_non_null(strstr(points, "DEP-7"));
    free(points);
    doc html = get(lfr_report_review(ctx, pol, &supt, dep_a, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
                   &t, &n);
    html_cells(html.text, &mh);
    agree(&mh, &mj);
    assert_non_null(strstr(html.text, "Awaiting sign-off"));
    lfr_free(html.text);
    /* The sign-off (PUB-2) shows once given. */
    ok(lfr_deployment_review(ctx, pol, &supt, dep_a, t0 + 30 * HOUR_MS));
    html = get(lfr_report_review(ctx, pol, &oversight, dep_a, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
               &t, &n);
    assert_non_null(strstr(html.text, "Signed off</strong> by supt.jones"));
    assert_non_null(strstr(html.text, "Wednesday 2 December 2026, 15:00 UTC"));
    no_identity(html.text, 0);
    save("report_review.html", &html);
    lfr_free(html.text);
    json_decref(j);
    lfr_free(js.text);
}

static void test_summary(void **state)
{
    (void)state;
    int64_t from = lfr_parse_time_utc("2026-01-01T00:00Z"),
            to = lfr_parse_time_utc("2027-01-01T00:00Z");
    char *t = NULL;
    size_t n = 0;
    doc html = get(
        lfr_report_summary(ctx, pol, &oversight, from, to, LFR_LANG_EN, LFR_REPORT_HTML, &t, &n),
        &t, &n);
    doc csv =
        get(lfr_report_summary(ctx, pol, &applicant, from, to, LFR_LANG_EN, LFR_REPORT_CSV, &t, &n),
            &t, &n);
    doc js =
        get(lfr_report_summary(ctx, pol, &admin, from, to, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
            &t, &n);
    save("report_summary.html", &html);
    json_error_t err;
    json_t *j = json_loads(js.text, 0, &err);
    assert_non_null(j);
    /* The JSON keyed as the CSV: table/row/field. */
    static map mj, mc, mh;
    mj.n = mc.n = mh.n = 0;
    json_map(json_object_get(j, "period"), "period/all", '/', &mj);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(j, "deployments"), i, x)
    {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "deployment/%lld",
                 (long long)json_integer_value(json_object_get(x, "id")));
        json_object_del(x, "id");
        json_map(x, prefix, '/', &mj);
    }
    json_map(json_object_get(j, "totals"), "total/all", '/', &mj);
    json_map(json_object_get(j, "rates"), "rate/all", '/', &mj);
    json_array_foreach(json_object_get(j, "groups"), i, x)
    {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "group/%s", json_string_value(json_object_get(x, "group")));
        json_object_del(x, "group");
        json_map(x, prefix, '/', &mj);
    }
    csv_map(csv.text, 3, &mc);
    assert_int_equal(mc.n, mj.n);
    agree(&mc, &mj);
    agree(&mj, &mc);
    html_cells(html.text, &mh);
    agree(&mh, &mj);
    /* The live deployment is not in it. */
    assert_int_equal(json_array_size(json_object_get(j, "deployments")), 2);
    expect_field(&mj, "total/all/deployments", "2");
    expect_field(&mj, "total/all/faces_processed", "19000");
    expect_field(&mj, "total/all/alerts", "17");
    expect_field(&mj, "total/all/false_alerts", "8");
    expect_field(&mj, "total/all/unverified_alerts", "<5");
    expect_field(&mj, "total/all/true_alerts", "[c]");
    expect_field(&mj, "total/all/outcome_arrest", "<5");
    expect_field(&mj, "total/all/engagements", "10");
    /* PUB-4: 8 false alerts in 19,000 faces and in 17 alerts, with Wilson
     * intervals; the true share rests on a hidden count, so it is hidden. */
    expect_field(&mj, "rate/all/false_alerts_per_1000_faces", "0.4211");
    double lo, hi, z = 1.959963984540054, p = 8.0 / 17, nn = 17;
    lo = (p + z * z / (2 * nn) - z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn))) /
         (1 + z * z / nn);
    hi = (p + z * z / (2 * nn) + z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn))) /
         (1 + z * z / nn);
    char want[32];
    snprintf(want, sizeof want, "%.6g", round(lo * 1e4) / 1e4);
    expect_field(&mj, "rate/all/false_alert_share_lo", want);
    snprintf(want, sizeof want, "%.6g", round(hi * 1e4) / 1e4);
    expect_field(&mj, "rate/all/false_alert_share_hi", want);
    expect_field(&mj, "rate/all/false_alert_share", "0.4706");
    expect_field(&mj, "rate/all/true_alert_share", "[c]");
    /* PUB-6 by recorded group: White 5 true; the rest small or unrecorded. */
    expect_field(&mj, "group/White/true_alerts", "5");
    expect_field(&mj, "group/White/false_alerts", "0");
    expect_field(&mj, "group/White/false_share", "0");
    expect_field(&mj, "group/White/false_share_lo", "0");
    snprintf(want, sizeof want, "%.6g", round(z * z / (5 + z * z) * 1e4) / 1e4);
    expect_field(&mj, "group/White/false_share_hi", want);
    expect_field(&mj, "group/Black/true_alerts", "<5");
    expect_field(&mj, "group/Black/false_share", "[c]");
    expect_field(&mj, "group/Asian/false_alerts", "<5");
    expect_field(&mj, "group/not recorded/false_alerts", "6");
    expect_field(&mj, "group/not recorded/false_share", "1");
    assert_non_null(strstr(html.text, "<svg"));
    no_identity(html.text, 1);
    no_identity(csv.text, 1);
    no_identity(js.text, 1);
    json_decref(j);
    lfr_free(html.text);
    lfr_free(csv.text);
    lfr_free(js.text);
    expect(lfr_report_summary(ctx, pol, &admin, to, from, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EINVAL, "period");
    expect(lfr_report_summary(ctx, pol, NULL, from, to, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
           LFR_EPERM, NULL);
}

/* Each of the texts is in the document (wants) or none is (absent). */
static void has_all(const char *what, const char *text, const char *const *wants, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strstr(text, wants[i])) fail_msg("%s lacks '%s'", what, wants[i]);
}

static void has_none(const char *what, const char *text, const char *const *absent, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(text, absent[i])) fail_msg("%s still has the English '%s'", what, absent[i]);
    /* A key missing from the catalogues would show as itself. */
    if (strstr(text, "doc.")) fail_msg("%s shows a catalogue key: %s", what, strstr(text, "doc."));
}

#define N(a) (sizeof a / sizeof a[0])

/* Issue 15 item 5: the public notice in Welsh, as a page and as a post:
 * its words and dates from the Welsh catalogue, none of the English left,
 * the officers' own text as they typed it. */
static void test_welsh_notice(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    doc html = get(lfr_report_notice(ctx, pol, &admin, dep_a, LFR_LANG_CY, LFR_REPORT_HTML, &t, &n),
                   &t, &n);
    doc text =
        get(lfr_report_notice(ctx, pol, &oversight, dep_a, LFR_LANG_CY, LFR_REPORT_TEXT, &t, &n),
            &t, &n);
    save("report_notice_cy.html", &html);
    const char *both[] = {"Dydd Mawrth 1 Rhagfyr 2026, 09:00 UTC",
                          "Dydd Mawrth 1 Rhagfyr 2026, 17:00 UTC",
                          "Queen Street",
                          "Central Station forecourt",
                          "locate people wanted on warrant in the city centre",
                          "Wanted by the courts; suspects",
                          "hyd at 50 o bobl",
                          "DPIA-2026-07",
                          "dileu ar unwaith",
                          "cais gwrthrych am wybodaeth",
                          "Diogelu Data 2018",
                          "Swyddog Diogelu Data",
                          "Rhif y defnydd",
                          "Asesiad o"};
    has_all("welsh html notice", html.text, both, N(both));
    has_all("welsh text notice", text.text, both, N(both));
    const char *page[] = {"<html lang=\"cy\">",
                          "<title>Adnabod wynebau byw ar waith: Queen Street a&#39;r cyffiniau",
                          "Hysbysiad cyhoeddus \xc2\xb7 defnydd yr heddlu o adnabod wynebau byw",
                          "Defnydd 1 \xc2\xb7 Op Lantern",
                          "<h2>Ble</h2>",
                          "<th>Lleoliad</th><th>Pam yma</th>",
                          "<h2>Pam</h2>",
                          "<h2>Pwy rydym yn chwilio amdanynt</h2>",
                          "<h2>Beth sy&#39;n digwydd i&#39;ch wyneb</h2>",
                          "<h2>Eich hawliau</h2>",
                          "<h2>Rhagor o wybodaeth</h2>",
                          "Dechrau: Dydd Mawrth",
                          "y Coleg Plismona"};
    has_all("welsh html notice", html.text, page, N(page));
    const char *post[] = {"Adnabod wynebau byw ar waith: Queen Street a'r cyffiniau\n\n",
                          "\nPRYD\n",
                          "\nBLE\n",
                          "\nPAM\n",
                          "\nPWY RYDYM YN CHWILIO AMDANYNT\n",
                          "\nBETH SY'N DIGWYDD I'CH WYNEB\n",
                          "\nEICH HAWLIAU\n",
                          "\nRHAGOR O WYBODAETH\nRhif y defnydd: 1\n"};
    has_all("welsh text notice", text.text, post, N(post));
    assert_null(strstr(text.text, "<"));
    /* What the English notice says, word for word (test_notice). */
    const char *english[] = {"lang=\"en",
                             "Live facial recognition",
                             "Public notice",
                             "Deployment 1",
                             ">Where<",
                             "Why here",
                             ">Why<",
                             "Who we are looking for",
                             "What happens to your face",
                             "Your rights",
                             "Find out more",
                             "Deployment number",
                             "How the public is told",
                             "impact assessment",
                             "Cameras compare",
                             "You have the right",
                             "subject access request",
                             "After the deployment",
                             "From ",
                             "Tuesday",
                             "December",
                             "at most",
                             "and nearby",
                             "College of Policing",
                             "\nWHEN\n",
                             "\nWHERE\n",
                             "\nWHY\n",
                             "Police will use",
                             "More: deployment"};
    has_none("welsh html notice", html.text, english, N(english));
    has_none("welsh text notice", text.text, english, N(english));
    no_identity(html.text, 1);
    no_identity(text.text, 1);
    lfr_free(html.text);
    lfr_free(text.text);
    /* Headings in capitals keep Welsh letters whole. */
    char heading[] = "grŵp â'r ŷd, ïe, café; ĸ ǆ";
    text_upper(heading);
    assert_string_equal(heading, "GRŴP Â'R ŶD, ÏE, CAFÉ; ĸ ǆ");
}

/* The published record and the summary in Welsh: the words and the dates
 * of the HTML are Welsh, the figures the same as the English (their data-v
 * agree with the JSON), and CSV and JSON are byte for byte the English. */
static void test_welsh_record_summary(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    doc html =
        get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_CY, LFR_REPORT_HTML, &t, &n),
            &t, &n);
    const char *record[] = {"<html lang=\"cy\">",
                            "Op Lantern: cofnod cyhoeddedig",
                            "Adnabod wynebau byw \xc2\xb7 cofnod y defnydd (PUB-3)",
                            "Defnydd 1 \xc2\xb7 Dydd Mawrth 1 Rhagfyr 2026, 09:00 UTC",
                            "<span>wynebau wedi&#39;u prosesu</span>",
                            "<span>arestiadau</span>",
                            "<h2>Y defnydd</h2>",
                            "<h2>Y rhestr wylio</h2>",
                            "<h2>Wynebau a rhybuddion</h2>",
                            "<h2>Ymgysylltiadau a chanlyniadau</h2>",
                            "<th>Trothwy cyfatebiaeth</th>",
                            "<th>Rhybuddion ffug fesul 1,000 o wynebau</th>",
                            ">1 Rhag 2026 09:00</td>",
                            ">1 Rhag 2026 15:00</td>",
                            ">cyhoeddwyd</td>",
                            "Dangosir cyfrifon o 1 i 4 fel &lt;5",
                            "fel [c]",
                            "Cafodd wynebau pobl nad oeddent yn cyfateb eu dileu",
                            "Cyhoeddwyd o dan arfer proffesiynol awdurdodedig y Coleg Plismona"};
    has_all("welsh record", html.text, record, N(record));
    const char *english[] = {
        "lang=\"en",          "published record", "deployment record", "Deployment",
        "Watchlist",          "Faces and alerts", "Engagements",       "Match threshold",
        "faces processed",    "False alerts",     "arrests",           "A true alert",
        "Counts from 1 to 4", "Published under",  "Dec 2026",          "Tuesday",
        ">published<",        ">not recorded<"};
    has_none("welsh record", html.text, english, N(english));
    doc js =
        get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_JSON, &t, &n),
            &t, &n);
    json_error_t err;
    json_t *j = json_loads(js.text, 0, &err);
    assert_non_null(j);
    static map mh, mj;
    mh.n = mj.n = 0;
    html_cells(html.text, &mh);
    json_map(j, "", '.', &mj);
    agree(&mh, &mj);
    json_decref(j);
    lfr_free(js.text);
    lfr_free(html.text);
    /* The exemption, with who approved it. */
    html = get(lfr_report_record(ctx, pol, &oversight, dep_b, LFR_LANG_CY, LFR_REPORT_HTML, &t, &n),
               &t, &n);
    const char *exempt[] = {"<strong>Ni chyhoeddwyd hysbysiad ymlaen llaw.</strong> Cofnodwyd "
                            "eithriad bygythiad critigol: imminent threat to life",
                            ">ni chafodd ei gyhoeddi: eithriad bygythiad critigol a gymeradwywyd "
                            "gan ACC Morgan (chief officer)</td>"};
    has_all("welsh exempted record", html.text, exempt, N(exempt));
    has_none("welsh exempted record", html.text, english, N(english));
    lfr_free(html.text);

    int64_t from = lfr_parse_time_utc("2026-01-01T00:00Z"),
            to = lfr_parse_time_utc("2027-01-01T00:00Z");
    html = get(
        lfr_report_summary(ctx, pol, &oversight, from, to, LFR_LANG_CY, LFR_REPORT_HTML, &t, &n),
        &t, &n);
    save("report_summary_cy.html", &html);
    const char *summary[] = {
        "<html lang=\"cy\">",
        "<h1>Adnabod wynebau byw: crynodeb o&#39;r defnyddiau</h1>",
        "Tryloywder \xc2\xb7 crynodeb blynyddol (PUB-4) a monitro cydraddoldeb (PUB-6)",
        "Defnyddiau a aeth yn fyw rhwng 2026-01-01 a 2027-01-01",
        "<span>defnyddiau</span>",
        "<h2>Cyfraddau rhybuddion ffug</h2>",
        "<th class=\"n\">A welwyd</th>",
        "Wynebau a broseswyd, fesul defnydd",
        "Pob rhybudd yn y cyfnod, yn ôl y canlyniad",
        "<h2>Cyfansymiau</h2>",
        "<h2>Defnyddiau</h2>",
        "<th>Dyddiad</th><th>Ymgyrch</th><th>Ardal</th>",
        "<h2>Monitro cydraddoldeb</h2>",
        "<th>Grŵp</th>",
        "<th>heb ei gofnodi</th>",
        "yn ôl y grŵp a gofnodwyd",
        "cyfrif o dan 5: heb ei ddangos",
        "cyfwng hyder 95% Wilson",
        "Mae cyfraddau sy&#39;n dibynnu ar gyfrif cudd wedi&#39;u cuddio hefyd.",
        "o gofnodion archwiliedig y defnyddiau"};
    has_all("welsh summary", html.text, summary, N(summary));
    const char *english_summary[] = {"lang=\"en",      "summary of deployments",
                                     "Transparency",   "went live from",
                                     "False alert",    "True alert",
                                     "Totals",         "Deployments",
                                     "Operation",      "by deployment",
                                     "All alerts",     "Equality monitoring",
                                     ">Group<",        "by recorded group",
                                     "not shown",      "confidence interval",
                                     ">not recorded<", "Rates resting",
                                     "Published under"};
    has_none("welsh summary", html.text, english_summary, N(english_summary));
    lfr_free(html.text);

    /* CSV and JSON are for machines: the same in both languages. */
    for (int f = 0; f < 2; f++) {
        lfr_report_format format = f ? LFR_REPORT_JSON : LFR_REPORT_CSV;
        doc en = get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, format, &t, &n),
                     &t, &n);
        doc cy = get(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_CY, format, &t, &n),
                     &t, &n);
        assert_string_equal(cy.text, en.text);
        lfr_free(en.text);
        lfr_free(cy.text);
        en = get(lfr_report_summary(ctx, pol, &admin, from, to, LFR_LANG_EN, format, &t, &n), &t,
                 &n);
        cy = get(lfr_report_summary(ctx, pol, &admin, from, to, LFR_LANG_CY, format, &t, &n), &t,
                 &n);
        assert_string_equal(cy.text, en.text);
        lfr_free(en.text);
        lfr_free(cy.text);
    }
}

/* The review (not published) in Welsh too, with the points for the
 * reviewer written in Welsh. */
static void test_welsh_review(void **state)
{
    (void)state;
    char *t = NULL;
    size_t n = 0;
    doc html =
        get(lfr_report_review(ctx, pol, &oversight, dep_a, LFR_LANG_CY, LFR_REPORT_HTML, &t, &n),
            &t, &n);
    const char *review[] = {"<html lang=\"cy\">",
                            "Op Lantern: adolygiad ar ôl y defnydd",
                            "Defnydd 1 \xc2\xb7 Wedi&#39;i adolygu \xc2\xb7 nid i&#39;w gyhoeddi",
                            "Llofnodwyd</strong> gan supt.jones, y swyddog awdurdodi (Dydd "
                            "Mercher 2 Rhagfyr 2026, 15:00 UTC).",
                            "<strong>Diben:</strong> locate people",
                            "<h2>Y cynllun a&#39;r hyn a ddigwyddodd</h2>",
                            "Daeth i ben 120 munud cyn yr amser gorffen a awdurdodwyd",
                            "Ni wnaeth gweithredwr benderfyniad ar 1 rhybudd (HIL-2).",
                            "<th>Cyngor</th>",
                            "<th>Yn eisiau gan y llysoedd</th>",
                            "4 mun 00 eil",
                            "Rheswm dros orffen: crowd dispersed after the match.",
                            "Stwnsh y cofnod"};
    has_all("welsh review", html.text, review, N(review));
    const char *english[] = {"post-deployment review",
                             "Signed off",
                             "authorising officer",
                             "Planned and actual",
                             "Purpose",
                             "minutes before",
                             "never decided",
                             "Outcomes",
                             "Engagement durations",
                             "Walk tests",
                             "Watchlist",
                             "Record hash",
                             "Median",
                             " min ",
                             "Wednesday",
                             "End reason",
                             "Reviewed"};
    has_none("welsh review", html.text, english, N(english));
    no_identity(html.text, 0);
    lfr_free(html.text);
}

static void test_oversight(void **state)
{
    (void)state;
    json_t *o = NULL;
    expect(lfr_report_oversight(ctx, pol, &applicant, &o), LFR_EPERM, NULL);
    expect(lfr_report_oversight(ctx, pol, &supt, &o), LFR_EPERM, NULL);
    expect(lfr_report_oversight(ctx, pol, &admin, &o), LFR_EPERM, NULL);
    ok(lfr_report_oversight(ctx, pol, &oversight, &o));
    char *text = json_dumps(o, 0);
    no_identity(text, 1);
    /* Exact aggregates for the commissioner. */
    json_t *tot = json_object_get(o, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "alerts")), 17);
    assert_int_equal(json_integer_value(json_object_get(tot, "true_alerts")), 7);
    assert_int_equal(json_integer_value(json_object_get(tot, "unverified_alerts")), 2);
    json_t *states = json_object_get(o, "deployments_by_state");
    assert_int_equal(json_integer_value(json_object_get(states, "reviewed")), 1);
    assert_int_equal(json_integer_value(json_object_get(states, "ended")), 1);
    assert_int_equal(json_integer_value(json_object_get(states, "live")), 1);
    json_t *audit = json_object_get(o, "audit");
    assert_true(json_is_true(json_object_get(audit, "chain_intact")));
    assert_true(json_integer_value(json_object_get(audit, "records")) > 50);
    assert_true(json_integer_value(
                    json_object_get(json_object_get(audit, "by_action"), "report.export")) >= 5);
    free(text);
    json_decref(o);
    /* Every document was audited as an export. */
    ok(lfr_report_oversight(ctx, pol, &auditor, &o));
    json_decref(o);
}

/* The faces and the person behind an alert stay out of every document even
 * once the alerts are deleted at the end of retention, and the published
 * figures stay the same (they rest on the anonymous alert facts). */
static void test_after_retention(void **state)
{
    (void)state;
    char *before = NULL, *after = NULL;
    size_t n = 0;
    ok(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_CSV, &before, &n));
    int deleted = 0;
    ok(lfr_policy_retention(ctx, pol, t0 + 40LL * 24 * HOUR_MS, 31, &deleted));
    assert_true(deleted >= 17);
    ok(lfr_report_record(ctx, pol, &applicant, dep_a, LFR_LANG_EN, LFR_REPORT_CSV, &after, &n));
    assert_string_equal(before, after);
    lfr_free(before);
    lfr_free(after);
}

/* One of each document as a PNG, for a person to look at. */
static void test_render(void **state)
{
    (void)state;
    /* The layout, not the database: once, on SQLite (beside which this
     * run's files would clash). */
    if (test_db_is_pg()) skip();
    if (access(CHROMIUM, X_OK) != 0) {
        print_message("skipped: %s absent, no PNGs rendered\n", CHROMIUM);
        skip();
    }
    static const char *const docs[][2] = {{"report_notice", "1280,1560"},
                                          {"report_notice_cy", "1280,1700"},
                                          {"report_record", "1280,2300"},
                                          {"report_review", "1280,2300"},
                                          {"report_summary", "1280,2950"}};
    char profile[4096];
    snprintf(profile, sizeof profile, "%s", test_tmp_path("chromium-profile"));
    for (size_t i = 0; i < N(docs); i++) {
        char html[4096], png[4096], cmd[16384];
        snprintf(html, sizeof html, "%s.html", test_tmp_path(docs[i][0]));
        snprintf(png, sizeof png, "%s.png", test_tmp_path(docs[i][0]));
        unlink(png);
        snprintf(cmd, sizeof cmd,
                 "timeout 120 %s --headless --no-sandbox --disable-gpu --hide-scrollbars "
                 "--user-data-dir='%s' --screenshot='%s' --window-size=%s 'file://%s' "
                 ">/dev/null 2>&1",
                 CHROMIUM, profile, png, docs[i][1], html);
        assert_int_equal(system(cmd), 0);
        FILE *f = fopen(png, "rb");
        assert_non_null(f);
        unsigned char sig[8];
        assert_int_equal(fread(sig, 1, 8, f), 8);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
        assert_true(size > 20000); /* a page, not a blank */
        print_message("rendered %s\n", png);
    }
}

/* PUB-3 (issue 13 item 28): what is hidden cannot be worked out from what
 * is shown. */
static void test_suppression_cannot_be_undone(void **state)
{
    (void)state;
    json_t *v[16];
    /* 7 people, 5 wanted, two categories of 1: the two hidden cells would
     * add up to 2, so both 1; hiding "wanted" too leaves 7 = 1 + 1 + 5
     * alone, so the total goes as well. */
    int64_t people[4] = {5, 1, 1, 0};
    assert_int_equal(suppress_table(people, 4, 7, v), 1);
    assert_string_equal(json_string_value(v[0]), "[c]");
    assert_string_equal(json_string_value(v[1]), "<5");
    assert_string_equal(json_string_value(v[2]), "<5");
    assert_int_equal(json_integer_value(v[3]), 0);
    for (int i = 0; i < 4; i++)
        json_decref(v[i]);
    /* 7 alerts, 6 true, 1 false, 0 unverified: hiding the zero would leave
     * 1 = false + 0; hiding the 6 leaves 7 = 1 + 6 or 2 + 5. */
    int64_t alerts[3] = {6, 1, 0};
    assert_int_equal(suppress_table(alerts, 3, 7, v), 0);
    assert_string_equal(json_string_value(v[0]), "[c]");
    assert_string_equal(json_string_value(v[1]), "<5");
    assert_int_equal(json_integer_value(v[2]), 0);
    for (int i = 0; i < 3; i++)
        json_decref(v[i]);
    /* Nothing small: all shown. */
    int64_t big[2] = {10, 7};
    assert_int_equal(suppress_table(big, 2, 17, v), 0);
    assert_int_equal(json_integer_value(v[0]), 10);
    assert_int_equal(json_integer_value(v[1]), 7);
    json_decref(v[0]);
    json_decref(v[1]);
}

/* Welsh (issue 15 item 5): every key of the catalogues the console and the
 * documents share is in both languages, with the same placeholders; a
 * placeholder is filled wherever the translation puts it, and escaped in
 * HTML. */
static void test_catalogues(void **state)
{
    (void)state;
    int64_t n = 0;
    int rc = lfr_lang_check(ctx, &n);
    if (rc) fail_msg("%s", lfr_errmsg(ctx));
    assert_true(n >= 60);
    lfr_lang lang;
    assert_int_equal(lfr_lang_parse("cy", &lang), 0);
    assert_int_equal(lang, LFR_LANG_CY);
    assert_int_equal(lfr_lang_parse(NULL, &lang), 0);
    assert_int_equal(lang, LFR_LANG_EN);
    assert_int_equal(lfr_lang_parse("fr", &lang), -1);
    assert_string_equal(tr(LFR_LANG_CY, "login.title"), "Mewngofnodi");
    assert_string_equal(tr(LFR_LANG_EN, "login.title"), "Sign in");
    assert_string_equal(tr(LFR_LANG_CY, "no.such.key"), "no.such.key");
    char out[128];
    tr_format(out, sizeof out, LFR_LANG_CY, "chrome.idle_warning", "time", "1:30", NULL);
    assert_string_equal(out, "Byddwch yn cael eich allgofnodi ymhen 1:30 am fod yn segur.");
    buf b = {0};
    buf_tr_html(&b, LFR_LANG_CY, "chrome.waiting", "n", "<b>", NULL);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(buf_take(ctx, &b, &text, &len), LFR_OK);
    assert_string_equal(text, "&lt;b&gt; yn aros");
    lfr_free(text);
}

int main(void)
{
    if (!test_data_path(KNN "obama/obama.jpg")) {
        printf("skipped: the watchlist photos in $LFR_DATA (../shared/data) are absent\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogues),      cmocka_unit_test(test_suppression_cannot_be_undone),
        cmocka_unit_test(test_build),           cmocka_unit_test(test_record),
        cmocka_unit_test(test_exemption),       cmocka_unit_test(test_notice),
        cmocka_unit_test(test_review),          cmocka_unit_test(test_summary),
        cmocka_unit_test(test_welsh_notice),    cmocka_unit_test(test_welsh_record_summary),
        cmocka_unit_test(test_welsh_review),    cmocka_unit_test(test_oversight),
        cmocka_unit_test(test_after_retention), cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
