/* policy/nodes.c - edge nodes (issue 17 item 3): the machines beside the
 * cameras that run a deployment's pipelines so that passers-by's faces
 * never leave them. A node enrols with its own keys and is refused until
 * an administrator approves it; revoked, it is refused for good. Every
 * request a node makes is signed with its Ed25519 key, so the centre knows
 * the node itself asked, whatever carried the request. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* How often a refused node's calls are audited: each one would let a
 * copied key fill the log. */
#define REFUSAL_AUDIT_MS (60 * 1000)
#define SEEN_EVERY_MS 5000
#define MAX_PENDING_NODES 64

/* The text a signature covers: the method, the path with its query, the
 * time and the body's hash, so that no part of a request can be changed
 * or moved to another. */
static void request_digest(const char *method, const char *path, int64_t time_ms, const void *body,
                           size_t len, unsigned char out[32])
{
    unsigned char body_hash[32];
    crypto_hash_sha256(body_hash, body, len);
    char head[64];
    snprintf(head, sizeof head, "%lld", (long long)time_ms);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)"lfr-node-request-1\n", 19);
    crypto_hash_sha256_update(&h, (const unsigned char *)method, strlen(method) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)path, strlen(path) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)head, strlen(head) + 1);
    crypto_hash_sha256_update(&h, body_hash, sizeof body_hash);
    crypto_hash_sha256_final(&h, out);
}

void lfr_node_sign_request(const uint8_t sign_sk[LFR_NODE_SIGN_SK_BYTES], const char *method,
                           const char *path, int64_t time_ms, const void *body, size_t len,
                           char sig_b64[LFR_NODE_SIG_B64])
{
    unsigned char digest[32], sig[crypto_sign_BYTES];
    request_digest(method, path, time_ms, body, len, digest);
    crypto_sign_detached(sig, NULL, digest, sizeof digest, sign_sk);
    sodium_bin2base64(sig_b64, LFR_NODE_SIG_B64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
}

/* The text the centre's answer to a node's request is signed over: the
 * request's own signature (so an answer fits one request only), the status
 * and the body's hash. */
static void reply_digest(const char *request_sig, long status, const void *body, size_t len,
                         unsigned char out[32])
{
    unsigned char body_hash[32];
    crypto_hash_sha256(body_hash, body, len);
    char head[32];
    snprintf(head, sizeof head, "%ld", status);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)"lfr-centre-reply-1\n", 19);
    crypto_hash_sha256_update(&h, (const unsigned char *)request_sig, strlen(request_sig) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)head, strlen(head) + 1);
    crypto_hash_sha256_update(&h, body_hash, sizeof body_hash);
    crypto_hash_sha256_final(&h, out);
}

void lfr_node_sign_reply(const uint8_t sign_sk[LFR_NODE_SIGN_SK_BYTES], const char *request_sig,
                         long status, const void *body, size_t len, char sig_b64[LFR_NODE_SIG_B64])
{
    unsigned char digest[32], sig[crypto_sign_BYTES];
    reply_digest(request_sig, status, body, len, digest);
    crypto_sign_detached(sig, NULL, digest, sizeof digest, sign_sk);
    sodium_bin2base64(sig_b64, LFR_NODE_SIG_B64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
}

/* 0 when sig_b64 is the base64 of pk's signature of digest, else -1. */
static int verify_digest(const uint8_t pk[LFR_NODE_KEY_BYTES], const unsigned char digest[32],
                         const char *sig_b64)
{
    unsigned char sig[crypto_sign_BYTES];
    size_t n = 0;
    if (!sig_b64 ||
        sodium_base642bin(sig, sizeof sig, sig_b64, strlen(sig_b64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        n != sizeof sig)
        return -1;
    return crypto_sign_verify_detached(sig, digest, 32, pk) ? -1 : 0;
}

int lfr_node_verify_reply(const uint8_t sign_pk[LFR_NODE_KEY_BYTES], const char *request_sig,
                          long status, const void *body, size_t len, const char *sig_b64)
{
    unsigned char digest[32];
    reply_digest(request_sig, status, body, len, digest);
    return verify_digest(sign_pk, digest, sig_b64);
}

int lfr_node_verify_request(const uint8_t sign_pk[LFR_NODE_KEY_BYTES], const char *method,
                            const char *path, int64_t time_ms, const void *body, size_t len,
                            const char *sig_b64)
{
    unsigned char digest[32];
    request_digest(method, path, time_ms, body, len, digest);
    return verify_digest(sign_pk, digest, sig_b64);
}

void lfr_node_key_fingerprint(const uint8_t pk[LFR_NODE_KEY_BYTES], char out[17])
{
    unsigned char h[32];
    crypto_hash_sha256(h, pk, LFR_NODE_KEY_BYTES);
    sodium_bin2hex(out, 17, h, 8);
}

/* The hash a code is kept as: of its secret part. */
static void code_hash(const char *code, char hex[65])
{
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)code, LFR_NODE_CODE_SECRET);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

void lfr_node_centre_fingerprint(const uint8_t sign_pk[LFR_NODE_KEY_BYTES],
                                 const uint8_t box_pk[LFR_NODE_KEY_BYTES], char out[17])
{
    unsigned char h[32];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, sign_pk, LFR_NODE_KEY_BYTES);
    crypto_hash_sha256_update(&st, box_pk, LFR_NODE_KEY_BYTES);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 17, h, 8);
}

/* This centre's fingerprint, as its codes carry it. */
static int centre_fingerprint(lfr_ctx *ctx, lfr_policy *p, char out[17])
{
    uint8_t sign_pk[LFR_NODE_KEY_BYTES], box_pk[LFR_NODE_KEY_BYTES];
    int rc = lfr_node_centre_sign_key(ctx, p, sign_pk, NULL);
    if (!rc) rc = lfr_node_centre_key(ctx, p, box_pk, NULL);
    if (!rc) lfr_node_centre_fingerprint(sign_pk, box_pk, out);
    return rc;
}

int lfr_node_code_issue(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *name,
                        int64_t now_ms, char code[LFR_NODE_CODE_CHARS + 1])
{
    code[0] = '\0';
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN, "issuing a node's enrolment code");
    if (!rc) rc = text_check(ctx, "node name", name, 63, 0);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_stmt *st = NULL;
    /* A revoked node's name can be given to its replacement. */
    rc = lfr_stmt_prepare(ctx, p->s, "SELECT 1 FROM nodes WHERE name = ? AND state <> 'revoked'",
                          &st);
    if (!rc && !(rc = lfr_stmt_bind_text(ctx, st, 1, name)) && (rc = lfr_stmt_step(ctx, st)) == 1)
        rc = lfr_fail(ctx, LFR_EREFUSED, "a node named '%s' is enrolled already", name);
    lfr_stmt_free(st);
    if (rc < 0) return finish(ctx, p, rc);
    /* 20 letters and digits a person can read out (no 0/O, 1/l/I). */
    static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
    char fp[17];
    if ((rc = centre_fingerprint(ctx, p, fp))) return finish(ctx, p, rc);
    for (int i = 0; i < LFR_NODE_CODE_SECRET; i++)
        code[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    code[LFR_NODE_CODE_SECRET] = '-';
    memcpy(code + LFR_NODE_CODE_SECRET + 1, fp, 17);
    char hex[65];
    code_hash(code, hex);
    int64_t nums[] = {actor->id, now_ms + LFR_NODE_CODE_TTL_MS};
    const char *texts[] = {name, hex};
    rc = policy_exec(ctx, p->s,
                     "INSERT INTO node_codes (issued_by, expires_ms, name, code_hash) VALUES "
                     "(?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET issued_by = "
                     "excluded.issued_by, expires_ms = excluded.expires_ms, code_hash = "
                     "excluded.code_hash",
                     nums, 2, texts, 2);
    if (!rc)
        rc = audit(ctx, p, actor, "node.code", 0, "node",
                   json_pack("{s:s,s:I}", "name", name, "expires_ms",
                             (json_int_t)(now_ms + LFR_NODE_CODE_TTL_MS)));
    rc = finish(ctx, p, rc);
    if (rc) sodium_memzero(code, LFR_NODE_CODE_CHARS + 1);
    return rc;
}

/* Renames the revoked node called name, if there is one, to "NAME (revoked,
 * node ID)" and says which it was (0: none); audited node.rename against
 * that node. Inside the caller's transaction. */
static int give_up_revoked_name(lfr_ctx *ctx, lfr_policy *p, const char *name, int64_t *old_id)
{
    *old_id = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id FROM nodes WHERE name = ? AND state = 'revoked'", &st);
    if (!rc && !(rc = lfr_stmt_bind_text(ctx, st, 1, name)) && (rc = lfr_stmt_step(ctx, st)) == 1)
        *old_id = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    if (rc < 0 || !*old_id) return rc < 0 ? rc : LFR_OK;
    char renamed[128];
    snprintf(renamed, sizeof renamed, "%s (revoked, node %lld)", name, (long long)*old_id);
    rc = lfr_stmt_prepare(ctx, p->s, "SELECT 1 FROM nodes WHERE name = ?", &st);
    if (!rc && !(rc = lfr_stmt_bind_text(ctx, st, 1, renamed)) &&
        (rc = lfr_stmt_step(ctx, st)) == 1)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "the revoked node '%s' cannot give up its name: another node is called "
                      "'%s'",
                      name, renamed);
    lfr_stmt_free(st);
    if (rc < 0) return rc;
    int64_t nums[] = {*old_id};
    const char *texts[] = {renamed};
    rc = policy_exec(ctx, p->s, "UPDATE nodes SET name = ?2 WHERE id = ?1", nums, 1, texts, 1);
    if (!rc)
        rc = audit(ctx, p, NULL, "node.rename", *old_id, "node",
                   json_pack("{s:s,s:s}", "from", name, "to", renamed));
    return rc;
}

int lfr_node_enrol(lfr_ctx *ctx, lfr_policy *p, const char *name, const char *code,
                   const uint8_t sign_pk[LFR_NODE_KEY_BYTES],
                   const uint8_t box_pk[LFR_NODE_KEY_BYTES], int64_t now_ms, int64_t *id)
{
    *id = 0;
    int rc = text_check(ctx, "node name", name, 63, 0);
    if (rc) return rc;
    if (!code || strlen(code) != LFR_NODE_CODE_CHARS || code[LFR_NODE_CODE_SECRET] != '-')
        return lfr_fail(ctx, LFR_EAUTH,
                        "enrolment: the one-time code an administrator issued "
                        "for this node's name is needed");
    char fp[17];
    if ((rc = centre_fingerprint(ctx, p, fp))) return rc;
    if (strcmp(code + LFR_NODE_CODE_SECRET + 1, fp))
        return lfr_fail(ctx, LFR_EAUTH, "enrolment: this code was issued by another centre");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    /* The code for this name, unexpired, used once. */
    char hex[65];
    code_hash(code, hex);
    int64_t nums[] = {now_ms};
    const char *texts[] = {name, hex};
    rc = policy_exec(
        ctx, p->s, "DELETE FROM node_codes WHERE name = ?2 AND code_hash = ?3 AND expires_ms > ?1",
        nums, 1, texts, 2);
    if (!rc && lfr_store_changes(p->s) != 1)
        return finish(ctx, p,
                      lfr_fail(ctx, LFR_EAUTH,
                               "enrolment: no such code for '%s', or it has expired or been used: "
                               "ask the administrator for a new one",
                               name));
    /* The number waiting is bounded whatever codes are out. */
    if (!rc && policy_count(ctx, p, "SELECT count(*) FROM nodes WHERE state = 'pending' AND id > ?",
                            0) >= MAX_PENDING_NODES)
        rc = lfr_fail(ctx, LFR_ELIMIT,
                      "%d nodes already wait for approval: approve or revoke them first",
                      MAX_PENDING_NODES);
    /* A revoked node of this name (a stolen van's) gives the name up to its
     * replacement and keeps its row and history under a name of its own. */
    int64_t replaces = 0;
    if (!rc) rc = give_up_revoked_name(ctx, p, name, &replaces);
    lfr_stmt *st = NULL;
    if (!rc)
        rc = lfr_stmt_prepare(ctx, p->s,
                              "INSERT INTO nodes (name, sign_pk, box_pk, enrolled_ms) VALUES "
                              "(?,?,?,?) ON CONFLICT DO NOTHING",
                              &st);
    if (!rc && !(rc = lfr_stmt_bind_text(ctx, st, 1, name)) &&
        !(rc = lfr_stmt_bind_blob(ctx, st, 2, sign_pk, LFR_NODE_KEY_BYTES)) &&
        !(rc = lfr_stmt_bind_blob(ctx, st, 3, box_pk, LFR_NODE_KEY_BYTES)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "a node named '%s' or with this key is already enrolled: choose another "
                      "name, or ask the administrator about the existing one",
                      name);
    if (!rc) *id = lfr_store_last_id(p->s);
    if (!rc) {
        char key[17];
        lfr_node_key_fingerprint(sign_pk, key);
        json_t *details = json_pack("{s:s,s:s}", "name", name, "key", key);
        if (replaces) json_object_set_new(details, "replaces", json_integer(replaces));
        rc = audit(ctx, p, NULL, "node.enrol", *id, "node", details);
    }
    rc = finish(ctx, p, rc);
    if (rc) *id = 0;
    return rc;
}

/* Reads one node; LFR_ENOENT if there is none. */
static int node_load(lfr_ctx *ctx, lfr_policy *p, int64_t id, lfr_node *out)
{
    memset(out, 0, sizeof *out);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, name, state, sign_pk, box_pk, seen_ms, refused_ms FROM "
                              "nodes WHERE id = ?",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, id);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no node %lld", (long long)id);
    if (rc == 1) {
        size_t ns = 0, nb = 0;
        const void *s = lfr_stmt_blob(st, 3, &ns), *b = lfr_stmt_blob(st, 4, &nb);
        rc = LFR_OK;
        if (ns != LFR_NODE_KEY_BYTES || nb != LFR_NODE_KEY_BYTES) {
            rc = lfr_fail(ctx, LFR_EIO, "node %lld: its keys in the database are damaged",
                          (long long)id);
        } else {
            out->id = lfr_stmt_int64(st, 0);
            snprintf(out->name, sizeof out->name, "%s", lfr_stmt_text(st, 1));
            snprintf(out->state, sizeof out->state, "%s", lfr_stmt_text(st, 2));
            memcpy(out->sign_pk, s, ns);
            memcpy(out->box_pk, b, nb);
            out->seen_ms = lfr_stmt_is_null(st, 5) ? 0 : lfr_stmt_int64(st, 5);
            out->refused_ms = lfr_stmt_is_null(st, 6) ? 0 : lfr_stmt_int64(st, 6);
        }
    }
    lfr_stmt_free(st);
    return rc;
}

int lfr_node_get(lfr_ctx *ctx, lfr_policy *p, int64_t id, lfr_node *out)
{
    return node_load(ctx, p, id, out);
}

int lfr_node_of_deployment(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, lfr_node *out)
{
    memset(out, 0, sizeof *out);
    lfr_stmt *st = NULL;
    int64_t node = 0;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT coalesce(node_id, 0) FROM deployments WHERE id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 1) node = lfr_stmt_int64(st, 0);
    lfr_stmt_free(st);
    if (rc == 0) return lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)deployment);
    if (rc < 0) return rc;
    if (node == 0)
        return lfr_fail(ctx, LFR_ENOENT, "deployment %lld runs on the centre's servers",
                        (long long)deployment);
    return node_load(ctx, p, node, out);
}

int lfr_node_decide(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t id, int approve,
                    const char *reason, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN,
                            approve ? "approving a node" : "revoking a node");
    if (!rc && !approve) rc = text_check(ctx, "reason", reason ? reason : "", 500, 1);
    if (rc || (rc = lfr_store_begin(ctx, p->s))) return rc;
    lfr_node n;
    rc = node_load(ctx, p, id, &n);
    if (!rc && !strcmp(n.state, "revoked"))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "node %lld is revoked for good: enrol the machine again with new keys",
                      (long long)id);
    else if (!rc && approve && !strcmp(n.state, "approved"))
        rc = lfr_fail(ctx, LFR_EREFUSED, "node %lld is already approved", (long long)id);
    int64_t nums[] = {actor->id, now_ms, id};
    const char *state[] = {approve ? "approved" : "revoked"};
    if (!rc)
        rc = policy_exec(
            ctx, p->s,
            "UPDATE nodes SET decided_by = ?1, decided_ms = ?2, state = ?4 WHERE id = ?3", nums, 3,
            state, 1);
    /* A revoked node's deployments stop reaching it: nothing more to do
     * here, as every answer to a node reads its state first. */
    if (!rc) {
        json_t *d = json_pack("{s:s}", "name", n.name);
        if (!approve) json_object_set_new(d, "reason", json_string(reason));
        rc = audit(ctx, p, actor, approve ? "node.approve" : "node.revoke", id, "node", d);
    }
    return finish(ctx, p, rc);
}

int lfr_node_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_ADMIN | LFR_ROLE_AUDITOR, "listing nodes");
    if (rc) return rc;
    json_t *arr = json_array();
    lfr_stmt *st = NULL;
    rc = lfr_stmt_prepare(ctx, p->s,
                          "SELECT n.id, n.name, n.state, n.sign_pk, n.enrolled_ms, n.decided_ms, "
                          "n.seen_ms, (SELECT count(*) FROM deployments d WHERE d.node_id = n.id "
                          "AND d.state = 'live') FROM nodes n ORDER BY n.id",
                          &st);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        size_t n = 0;
        const void *pk = lfr_stmt_blob(st, 3, &n);
        char fp[17] = "";
        if (n == LFR_NODE_KEY_BYTES) lfr_node_key_fingerprint(pk, fp);
        json_array_append_new(
            arr,
            json_pack("{s:I,s:s,s:s,s:s,s:I,s:o,s:o,s:I}", "id", (json_int_t)lfr_stmt_int64(st, 0),
                      "name", lfr_stmt_text(st, 1), "state", lfr_stmt_text(st, 2), "key", fp,
                      "enrolled_ms", (json_int_t)lfr_stmt_int64(st, 4), "decided_ms",
                      lfr_stmt_is_null(st, 5) ? json_null() : json_integer(lfr_stmt_int64(st, 5)),
                      "seen_ms",
                      lfr_stmt_is_null(st, 6) ? json_null() : json_integer(lfr_stmt_int64(st, 6)),
                      "live_deployments", (json_int_t)lfr_stmt_int64(st, 7)));
    }
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_node_refused(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, const char *why,
                     int64_t now_ms)
{
    if (n->refused_ms && now_ms - n->refused_ms < REFUSAL_AUDIT_MS) return LFR_OK;
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    /* Whoever sets the time audits: refusals at once (threads, servers)
     * are audited once. */
    int64_t nums[] = {now_ms, n->id, now_ms - REFUSAL_AUDIT_MS};
    rc = policy_exec(ctx, p->s,
                     "UPDATE nodes SET refused_ms = ?1 WHERE id = ?2 AND (refused_ms IS NULL OR "
                     "refused_ms <= ?3)",
                     nums, 3, NULL, 0);
    if (!rc && lfr_store_changes(p->s) != 1) return finish(ctx, p, LFR_OK);
    if (!rc)
        rc = audit(ctx, p, NULL, "node.refused", n->id, "node",
                   json_pack("{s:s,s:s,s:s}", "name", n->name, "state", n->state, "why", why));
    return finish(ctx, p, rc);
}

int lfr_node_seen(lfr_ctx *ctx, lfr_policy *p, const lfr_node *n, int64_t now_ms)
{
    if (n->seen_ms && now_ms - n->seen_ms < SEEN_EVERY_MS) return LFR_OK;
    int64_t nums[] = {now_ms, n->id};
    return policy_exec(ctx, p->s, "UPDATE nodes SET seen_ms = ? WHERE id = ?", nums, 2, NULL, 0);
}

int lfr_deployment_set_node(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                            int64_t node, int offline_s)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "choosing where cameras run");
    if (!rc && (offline_s < LFR_NODE_OFFLINE_MIN_S || offline_s > LFR_NODE_OFFLINE_MAX_S))
        rc = lfr_fail(ctx, LFR_EINVAL,
                      "max_offline_s: between %d and %d seconds (how long the node may go on "
                      "without word from the centre)",
                      LFR_NODE_OFFLINE_MIN_S, LFR_NODE_OFFLINE_MAX_S);
    /* Where the cameras run is part of what is authorised: a draft only. */
    if (rc || (rc = policy_begin_camera_change(ctx, p, actor, deployment, "placed in"))) return rc;
    lfr_node n = {0};
    if (node && !(rc = node_load(ctx, p, node, &n)) && strcmp(n.state, "approved"))
        rc = lfr_fail(ctx, LFR_EREFUSED, "node %lld is %s, not approved", (long long)node, n.state);
    int64_t nums[] = {deployment, offline_s, node};
    if (!rc)
        rc = policy_exec(
            ctx, p->s,
            node ? "UPDATE deployments SET node_id = ?3, node_offline_s = ?2 WHERE id = ?1"
                 : "UPDATE deployments SET node_id = NULL, node_offline_s = ?2 WHERE "
                   "id = ?1",
            nums, node ? 3 : 2, NULL, 0);
    if (!rc)
        rc = audit(ctx, p, actor, "deployment.node", deployment, "deployment",
                   node ? json_pack("{s:I,s:s,s:i}", "node", (json_int_t)node, "name", n.name,
                                    "max_offline_s", offline_s)
                        : json_pack("{s:n}", "node"));
    return finish(ctx, p, rc);
}
