/* policy/node_work.c - what the centre gives an approved edge node and
 * takes from it: the deployments it runs now, each with its reviewed
 * templates sealed to that node's key alone; the alerts it raised, sealed
 * to the centre's key, each kept once however often it is sent; and the
 * aggregate counts the published figures rest on. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfr/vision.h"

/* The largest alert a node may send: its crop is a small JPEG. */
#define MAX_ALERT_BYTES (1 << 20)
/* The most live deployments one node runs. */
#define MAX_NODE_RUNS 64
/* A node's clock may run this far ahead of the centre's (as its requests'
 * times may). */
#define CLOCK_SKEW_MS LFR_NODE_CLOCK_SKEW_MS

/* The centre's keys are derived from the watchlist key, so every server of
 * the centre holds the same ones without another file to copy: subkey 1
 * the X25519 box key, 2 the Ed25519 key that signs answers to nodes. A
 * server without the key is a fault of the server (LFR_EIO: the node
 * tries again), not a refusal of the node. */
static int centre_key(lfr_ctx *ctx, const lfr_policy *p, int which, uint8_t *pk, uint8_t *sk)
{
    if (!p->have_key)
        return lfr_fail(ctx, LFR_EIO,
                        "nodes: this server has no watchlist key to derive the "
                        "centre's keys from");
    unsigned char *seed = lfr_locked_alloc(32);
    size_t sk_len = which == 1 ? crypto_box_SECRETKEYBYTES : crypto_sign_SECRETKEYBYTES;
    unsigned char *own_sk = sk ? sk : lfr_locked_alloc(sk_len);
    if (!seed || !own_sk) {
        lfr_locked_free(seed);
        if (!sk) lfr_locked_free(own_sk);
        return lfr_locked_fail(ctx, "the centre's keys");
    }
    crypto_kdf_derive_from_key(seed, 32, (uint64_t)which, "lfrnode1", p->key);
    if (which == 1)
        crypto_box_seed_keypair(pk, own_sk, seed);
    else
        crypto_sign_seed_keypair(pk, own_sk, seed);
    lfr_locked_free(seed);
    if (!sk) lfr_locked_free(own_sk);
    return LFR_OK;
}

int lfr_node_centre_key(lfr_ctx *ctx, const lfr_policy *p, uint8_t pk[LFR_NODE_KEY_BYTES],
                        uint8_t *sk)
{
    return centre_key(ctx, p, 1, pk, sk);
}

int lfr_node_centre_sign_key(lfr_ctx *ctx, const lfr_policy *p, uint8_t pk[LFR_NODE_KEY_BYTES],
                             uint8_t *sk)
{
    return centre_key(ctx, p, 2, pk, sk);
}

static int node_must_be_approved(lfr_ctx *ctx, const lfr_node *n)
{
    if (strcmp(n->state, "approved"))
        return lfr_fail(ctx, LFR_EPERM, "node %lld is %s: refused", (long long)n->id, n->state);
    return LFR_OK;
}

/* The templates of one deployment, gathered for sealing: each is its entry
 * id (8 bytes, little-endian) and dim floats, in locked memory. */
typedef struct template_pack {
    uint8_t *buf;
    size_t len, cap;
} template_pack;

static int pack_template(lfr_ctx *ctx, int64_t id, const float *tpl, int dim, void *arg)
{
    template_pack *tp = arg;
    size_t need = 8 + (size_t)dim * sizeof(float);
    if (tp->len + need > tp->cap)
        return lfr_fail(ctx, LFR_EREFUSED, "the watchlist changed while it was sealed: ask again");
    uint64_t u = (uint64_t)id;
    for (int i = 0; i < 8; i++)
        tp->buf[tp->len + i] = (uint8_t)(u >> (8 * i));
    memcpy(tp->buf + tp->len + 8, tpl, (size_t)dim * sizeof(float));
    tp->len += need;
    return LFR_OK;
}

/* The reviewed templates of a deployment sealed to the node's box key,
 * as base64, into d's "templates". */
/* Which templates a node gets for a run: the watchlist's, or for a walk
 * test the blue list's. */
typedef struct template_list {
    const char *sql, *place, *what;
} template_list;
static const template_list watchlist_list = {WATCHLIST_TEMPLATES, "watchlist_entries.template",
                                             "watchlist entry"};
static const template_list bluelist_list = {BLUELIST_TEMPLATES, "blue_entries.template",
                                            "blue list entry"};

static int seal_templates(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, int64_t deployment,
                          int dim, const char *model, const template_list *list, size_t entries,
                          json_t *d)
{
    template_pack tp = {.cap = entries * (8 + (size_t)dim * sizeof(float))};
    tp.buf = lfr_locked_alloc(tp.cap ? tp.cap : 1);
    if (!tp.buf) return lfr_locked_fail(ctx, "a node's templates");
    int rc = policy_each_template(ctx, p, deployment, dim, model, list->sql, list->place,
                                  list->what, pack_template, &tp);
    size_t sealed_len = crypto_box_SEALBYTES + tp.len;
    uint8_t *sealed = rc ? NULL : lfr_alloc(sealed_len);
    size_t b64_len = sodium_base64_ENCODED_LEN(sealed_len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = sealed ? lfr_alloc(b64_len) : NULL;
    if (!rc && !b64) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (!rc) {
        crypto_box_seal(sealed, tp.buf, tp.len, n->box_pk);
        sodium_bin2base64(b64, b64_len, sealed, sealed_len, sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(d, "templates", json_string(b64));
        json_object_set_new(d, "entries",
                            json_integer((json_int_t)(tp.len / (8 + (size_t)dim * 4))));
    }
    lfr_free(b64);
    lfr_free(sealed);
    lfr_locked_free(tp.buf);
    return rc;
}

/* The entry ids of a deployment's searched list, as a JSON array. */
static int entry_ids(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const template_list *list,
                     json_t **out)
{
    *out = json_array();
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, list->sql, &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        json_array_append_new(*out, json_integer(lfr_stmt_int64(st, 0)));
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

/* What a node runs, without its templates: each live deployment placed on
 * it that may process now (as the centre's runner sees them), with its
 * window's end, threshold, offline allowance, cameras and the ids of its
 * searched entries. */
static int node_deployments(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, int64_t now_ms,
                            json_t *out)
{
    lfr_running running[MAX_NODE_RUNS];
    int n_running = 0;
    int rc = lfr_deployments_running(ctx, p, now_ms, n->id, running, MAX_NODE_RUNS, &n_running);
    for (int i = 0; !rc && i < n_running; i++) {
        int64_t id = running[i].id;
        /* Before it goes live, a walk test searches the blue list (ACC-3). */
        const template_list *list = running[i].walk_test ? &bluelist_list : &watchlist_list;
        deployment_row d;
        json_t *cams = NULL, *entries = NULL;
        if ((rc = deployment_load(ctx, p, id, &d))) break;
        int64_t offline =
            policy_count(ctx, p, "SELECT node_offline_s FROM deployments WHERE id = ?", id);
        if (offline < 0) rc = lfr_errcode(ctx);
        if (!rc && !(rc = lfr_camera_list(ctx, p, NULL, id, &cams)) &&
            !(rc = entry_ids(ctx, p, id, list, &entries))) {
            /* A part left out would stop the node's cameras: all or an error. */
            json_t *cameras = json_array();
            size_t k;
            json_t *c;
            json_array_foreach(cams, k, c)
            {
                if (json_array_append_new(cameras,
                                          json_pack("{s:O,s:O}", "name", json_object_get(c, "name"),
                                                    "source", json_object_get(c, "source"))))
                    rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
            }
            json_t *row = json_pack("{s:I,s:I,s:I,s:f,s:I,s:o,s:O}", "id", (json_int_t)id,
                                    "walk_test", (json_int_t)running[i].walk_test, "end_ms",
                                    json_integer_value(json_object_get(d.fields, "end")),
                                    "threshold", running[i].threshold, "max_offline_s",
                                    (json_int_t)offline, "cameras", cameras, "entry_ids", entries);
            if (!rc && json_array_append_new(out, row))
                rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        }
        json_decref(cams);
        json_decref(entries);
        deployment_clear(&d);
    }
    return rc;
}

int lfr_node_assignment(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const lfr_engine *engine,
                        const char *have, int64_t now_ms, json_t **out)
{
    *out = NULL;
    int rc = node_must_be_approved(ctx, n);
    if (rc) return rc;
    int dim = lfr_engine_embedding_size(engine);
    const char *model = lfr_model_name(lfr_engine_model(engine, LFR_MODEL_EMBEDDER));
    json_t *deps = json_array();
    if ((rc = node_deployments(ctx, p, n, now_ms, deps))) {
        json_decref(deps);
        return rc;
    }
    /* The version names what the node runs; templates are sealed again
     * only when it changes. */
    char *text = json_dumps(deps, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char h[16];
    char version[33];
    crypto_generichash(h, sizeof h, (const unsigned char *)(text ? text : ""),
                       text ? strlen(text) : 0, (const unsigned char *)model, strlen(model));
    free(text);
    sodium_bin2hex(version, sizeof version, h, sizeof h);
    json_t *doc = json_pack("{s:s,s:s,s:i}", "version", version, "model", model, "dim", dim);
    if (have && !strcmp(have, version)) {
        json_decref(deps);
        json_object_set_new(doc, "unchanged", json_true());
        *out = doc;
        return LFR_OK;
    }
    /* One deployment whose templates cannot be sealed (one enrolled with
     * another model) is left out with the reason, for the node to log;
     * the others run. */
    json_t *refused = json_array();
    for (size_t i = 0; i < json_array_size(deps);) {
        json_t *d = json_array_get(deps, i);
        int64_t id = json_integer_value(json_object_get(d, "id"));
        size_t entries = json_array_size(json_object_get(d, "entry_ids"));
        rc = seal_templates(ctx, p, n, id, dim, model,
                            json_integer_value(json_object_get(d, "walk_test")) ? &bluelist_list
                                                                                : &watchlist_list,
                            entries, d);
        if (rc == LFR_ENOMEM || rc == LFR_EIO) break;
        if (rc) {
            json_array_append_new(
                refused, json_pack("{s:I,s:s}", "id", (json_int_t)id, "why", lfr_errmsg(ctx)));
            json_array_remove(deps, i);
            rc = LFR_OK;
            continue;
        }
        i++;
    }
    if (rc) {
        json_decref(refused);
        json_decref(deps);
        json_decref(doc);
        return rc;
    }
    json_object_set_new(doc, "deployments", deps);
    json_object_set_new(doc, "refused", refused);
    *out = doc;
    return LFR_OK;
}

/* The node a deployment's cameras are placed on; 0 for none, -1 on failure. */
static int64_t deployment_node(lfr_ctx *ctx, lfr_policy *p, int64_t deployment)
{
    lfr_node n;
    int rc = lfr_node_of_deployment(ctx, p, deployment, &n);
    return rc == LFR_ENOENT ? 0 : rc ? -1 : n.id;
}

/* The alert already kept under an origin: its id, 0 if none, -1 on failure. */
static int64_t alert_by_origin(lfr_ctx *ctx, lfr_policy *p, const char *origin)
{
    lfr_stmt *st = NULL;
    int64_t id = -1;
    int rc = lfr_stmt_prepare(ctx, p->s, "SELECT id FROM alerts WHERE origin = ?", &st);
    if (!rc) rc = lfr_stmt_bind_text(ctx, st, 1, origin);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc >= 0) id = rc == 1 ? lfr_stmt_int64(st, 0) : 0;
    lfr_stmt_free(st);
    return id;
}

/* Checks an opened alert's fields and fills rec (pointing into doc). */
static int alert_fields(lfr_ctx *ctx, const lfr_node *n, json_t *doc, int64_t now_ms,
                        lfr_alert_record *rec, const char **crop_b64)
{
    const char *origin = json_string_value(json_object_get(doc, "origin"));
    char prefix[32];
    int len = snprintf(prefix, sizeof prefix, "%lld-", (long long)n->id);
    json_t *score = json_object_get(doc, "score"), *q = json_object_get(doc, "quality");
    if (!origin || strncmp(origin, prefix, (size_t)len) || strlen(origin) > 64 ||
        strlen(origin) < (size_t)len + 16)
        return lfr_fail(ctx, LFR_EINVAL, "node alert: its origin must be '%s' and an id of its own",
                        prefix);
    if (!json_is_integer(json_object_get(doc, "deployment")) ||
        !json_is_integer(json_object_get(doc, "entry")) ||
        !json_is_string(json_object_get(doc, "camera")) ||
        !json_is_integer(json_object_get(doc, "time_ms")) ||
        !json_is_integer(json_object_get(doc, "track")) || !json_is_number(score) ||
        (q && !json_is_object(q)))
        return lfr_fail(ctx, LFR_EINVAL,
                        "node alert: deployment, entry, camera, time_ms, track and score expected");
    rec->deployment = json_integer_value(json_object_get(doc, "deployment"));
    rec->entry = json_integer_value(json_object_get(doc, "entry"));
    rec->camera = json_string_value(json_object_get(doc, "camera"));
    rec->time_ms = json_integer_value(json_object_get(doc, "time_ms"));
    rec->track_id = (int)json_integer_value(json_object_get(doc, "track"));
    rec->score = json_number_value(score);
    rec->origin = origin;
    /* A node whose clock ran ahead (and was set back since): the alert is
     * kept, at the time it reached the centre. */
    if (rec->time_ms > now_ms + CLOCK_SKEW_MS) rec->time_ms = now_ms;
    *crop_b64 = json_string_value(json_object_get(doc, "crop"));
    return LFR_OK;
}

int lfr_node_alert(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const uint8_t *box, size_t len,
                   int attempt, int64_t now_ms, int64_t *id, int *repeat, json_t **event)
{
    *id = 0;
    *repeat = 0;
    *event = NULL;
    int rc = node_must_be_approved(ctx, n);
    if (rc) return rc;
    if (len <= crypto_box_SEALBYTES || len > MAX_ALERT_BYTES)
        return lfr_fail(ctx, LFR_EINVAL, "node alert: %zu bytes is no sealed alert", len);
    uint8_t pk[LFR_NODE_KEY_BYTES];
    uint8_t *sk = lfr_locked_alloc(crypto_box_SECRETKEYBYTES);
    size_t plain_len = len - crypto_box_SEALBYTES;
    char *plain = lfr_locked_alloc(plain_len + 1);
    uint8_t *crop = NULL;
    size_t crop_len = 0;
    json_t *doc = NULL, *quality = NULL;
    char *qtext = NULL;
    if (!sk || !plain) rc = lfr_locked_fail(ctx, "a node's alert");
    if (!rc) rc = lfr_node_centre_key(ctx, p, pk, sk);
    if (!rc && crypto_box_seal_open((uint8_t *)plain, box, len, pk, sk))
        rc = lfr_fail(ctx, LFR_EINVAL, "node alert: does not open with the centre's key");
    json_error_t err;
    if (!rc) {
        plain[plain_len] = '\0';
        if (!(doc = json_loads(plain, 0, &err)) || !json_is_object(doc))
            rc = lfr_fail(ctx, LFR_EINVAL, "node alert: not a JSON object");
    }
    lfr_alert_record rec = {0};
    const char *crop_b64 = NULL;
    if (!rc) rc = alert_fields(ctx, n, doc, now_ms, &rec, &crop_b64);
    if (!rc && crop_b64) {
        size_t b64 = strlen(crop_b64);
        crop = lfr_alloc(b64 + 1);
        if (!crop || sodium_base642bin(crop, b64 + 1, crop_b64, b64, NULL, &crop_len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL))
            rc = lfr_fail(ctx, LFR_EINVAL, "node alert: its crop is not base64");
    }
    if (!rc && (quality = json_object_get(doc, "quality")))
        qtext = json_dumps(quality, JSON_COMPACT);
    /* Its own deployments only. */
    if (!rc && deployment_node(ctx, p, rec.deployment) != n->id)
        rc = lfr_fail(ctx, LFR_EPERM, "node alert: deployment %lld is not placed on node %lld",
                      (long long)rec.deployment, (long long)n->id);
    /* A walk test's hit (ACC-3): to the test's result, never an alert, no
     * face kept. Taken twice it changes nothing: a pass is found by its
     * first hit. */
    json_t *wt = rc ? NULL : json_object_get(doc, "walk_test");
    if (wt) {
        if (!rc && (!json_is_integer(wt) ||
                    policy_count(ctx, p, "SELECT deployment_id FROM walk_tests WHERE id = ?",
                                 json_integer_value(wt)) != rec.deployment))
            rc = lfr_fail(ctx, LFR_EINVAL, "node hit: not a walk test of deployment %lld",
                          (long long)rec.deployment);
        if (!rc)
            rc = lfr_walktest_hit(ctx, p, json_integer_value(wt), rec.entry, rec.camera,
                                  rec.time_ms, rec.score);
        if (!rc)
            *event = json_pack(
                "{s:I,s:I,s:I,s:s,s:I,s:f}", "deployment", (json_int_t)rec.deployment, "walk_test",
                (json_int_t)json_integer_value(wt), "entry", (json_int_t)rec.entry, "camera",
                rec.camera, "time_ms", (json_int_t)rec.time_ms, "score", rec.score);
    }
    int64_t kept = rc || wt ? -1 : alert_by_origin(ctx, p, rec.origin);
    if (!rc && !wt && kept < 0) rc = lfr_errcode(ctx);
    if (!rc && !wt && kept > 0) {
        *id = kept; /* sent again: the answer to the lost acknowledgement */
        *repeat = 1;
    } else if (!rc && !wt) {
        rec.quality_json = qtext;
        rec.crop_jpeg = crop;
        rec.crop_len = crop_len;
        /* How long it waited on the node's disk for the link. */
        rec.waited_ms = attempt > 0 && now_ms > rec.time_ms ? now_ms - rec.time_ms : 0;
        rc = lfr_alert_record_new(ctx, p, &rec, id);
        /* Another server took the same one at the same moment. */
        if (rc && (kept = alert_by_origin(ctx, p, rec.origin)) > 0) {
            rc = LFR_OK;
            *id = kept;
            *repeat = 1;
        } else if (rc == LFR_EREFUSED) {
            char why[224];
            snprintf(why, sizeof why,
                     "it reached the centre from node '%s' after the "
                     "deployment had stopped",
                     n->name);
            lfr_ctx *lctx = NULL;
            if (lfr_ctx_new(&lctx) == LFR_OK) lfr_alerts_lost(lctx, p, rec.deployment, 1, why);
            lfr_ctx_free(lctx);
        }
    }
    if (!rc && !*repeat && !wt)
        *event = json_pack("{s:I,s:I,s:s,s:I,s:f}", "id", (json_int_t)*id, "deployment",
                           (json_int_t)rec.deployment, "camera", rec.camera, "time_ms",
                           (json_int_t)rec.time_ms, "score", rec.score);
    free(qtext);
    if (crop) lfr_wipe_free(crop, crop_len);
    if (crop_b64) sodium_memzero((char *)crop_b64, strlen(crop_b64)); /* jansson's copy */
    json_decref(doc);
    lfr_locked_free(plain);
    lfr_locked_free(sk);
    return rc;
}

/* One of the camera states lfr_camera_state names (the enum runs from
 * CONNECTING to FAILED). */
static int camera_state_known(const char *name)
{
    for (int s = LFR_CAM_CONNECTING; name && s <= LFR_CAM_FAILED; s++)
        if (!strcmp(name, lfr_camera_state_name((lfr_camera_state)s))) return 1;
    return 0;
}

/* Adds what one camera's totals for a run add to the last totals taken
 * for that run, and keeps the new totals; inside the caller's transaction. */

static int count_camera(lfr_ctx *ctx, lfr_policy *p, int64_t dep, const char *run, const json_t *c,
                        int64_t now_ms)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *state = json_string_value(json_object_get(c, "state"));
    static const char *const fields[] = {"frames", "faces", "compared"};
    int64_t total[3], last[3] = {0, 0, 0}, add[3];
    for (int k = 0; k < 3; k++)
        total[k] = json_integer_value(json_object_get(c, fields[k]));
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT 1 FROM cameras WHERE deployment_id = ? AND name = ?", &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, dep)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)) && (rc = lfr_stmt_step(ctx, st)) == 0)
        rc = lfr_fail(ctx, LFR_EINVAL, "node counts: deployment %lld has no camera '%s'",
                      (long long)dep, name);
    lfr_stmt_free(st);
    st = NULL;
    if (rc < 0) return rc;
    rc = lfr_stmt_prepare(ctx, p->s,
                          "SELECT frames, faces, compared FROM node_counts WHERE deployment_id = ? "
                          "AND camera = ? AND run = ?",
                          &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, dep)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, run)) && (rc = lfr_stmt_step(ctx, st)) == 1)
        for (int k = 0; k < 3; k++)
            last[k] = lfr_stmt_int64(st, k);
    lfr_stmt_free(st);
    if (rc < 0) return rc;
    /* An older total (a replay, a batch overtaken) adds nothing. */
    int any = 0, older = 0;
    for (int k = 0; k < 3; k++) {
        add[k] = total[k] > last[k] ? total[k] - last[k] : 0;
        any |= add[k] > 0;
        older |= total[k] < last[k];
        if (total[k] < last[k]) total[k] = last[k];
    }
    /* The camera's state as the node last saw it, for the monitor; not from
     * an older batch, and not one this centre does not know (a newer node's:
     * its counts still count). */
    if (!older && camera_state_known(state) &&
        (rc = lfr_camera_stopped(ctx, p, dep, name, 0, state, "", now_ms)))
        return rc;
    if (!any) return LFR_OK;
    int64_t nums[] = {dep, total[0], total[1], total[2]};
    const char *texts[] = {name, run};
    rc = policy_exec(ctx, p->s,
                     "INSERT INTO node_counts (deployment_id, frames, faces, compared, camera, "
                     "run) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (deployment_id, camera, "
                     "run) DO UPDATE SET frames = excluded.frames, faces = excluded.faces, "
                     "compared = excluded.compared",
                     nums, 4, texts, 2);
    if (!rc) rc = lfr_deployment_count(ctx, p, dep, name, add[0], add[1], add[2], now_ms);
    return rc;
}

int lfr_node_counts(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const json_t *counts,
                    int64_t now_ms)
{
    int rc = node_must_be_approved(ctx, n);
    if (rc) return rc;
    int64_t dep = json_integer_value(json_object_get(counts, "deployment"));
    const char *run = json_string_value(json_object_get(counts, "run"));
    json_t *cams = json_object_get(counts, "cameras");
    if (!json_is_integer(json_object_get(counts, "deployment")) || !json_is_array(cams) || !run ||
        strlen(run) < 16 || strlen(run) > 64)
        return lfr_fail(ctx, LFR_EINVAL, "node counts: deployment, run and cameras expected");
    if (json_array_size(cams) > LFR_NODE_MAX_CAMERAS)
        return lfr_fail(ctx, LFR_ELIMIT, "node counts: %d cameras at most", LFR_NODE_MAX_CAMERAS);
    if (deployment_node(ctx, p, dep) != n->id)
        return lfr_fail(ctx, LFR_EPERM, "node counts: deployment %lld is not placed on node %lld",
                        (long long)dep, (long long)n->id);
    size_t i;
    json_t *c;
    json_array_foreach(cams, i, c)
    {
        int ok = json_is_string(json_object_get(c, "name"));
        static const char *const fields[] = {"frames", "faces", "compared"};
        for (int k = 0; k < 3; k++) {
            json_t *v = json_object_get(c, fields[k]);
            ok &= json_is_integer(v) && json_integer_value(v) >= 0;
        }
        if (!ok)
            return lfr_fail(ctx, LFR_EINVAL,
                            "node counts: name and totals (frames, faces, compared) expected");
        json_t *state = json_object_get(c, "state");
        if (state && !json_is_string(state))
            return lfr_fail(ctx, LFR_EINVAL, "node counts: a camera's state is a name");
    }
    /* All or none. */
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    json_array_foreach(cams, i, c)
    {
        if ((rc = count_camera(ctx, p, dep, run, c, now_ms))) break;
    }
    return finish(ctx, p, rc);
}
