/* edge/node.c - the node's identity: its keys (made once, owner-only, held
 * in locked memory) and what enrolment with the centre left on its disk. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_BYTES (LFR_NODE_SIGN_SK_BYTES + LFR_NODE_KEY_BYTES)

int node_keys_load(lfr_ctx *ctx, const char *dir, int create, node_keys **out)
{
    *out = NULL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/node.key", dir) >= (int)sizeof path)
        return lfr_fail(ctx, LFR_EINVAL, "%s: path too long", dir);
    if (create && mkdir(dir, 0700) && errno != EEXIST)
        return lfr_fail(ctx, LFR_EIO, "%s: %s", dir, strerror(errno));
    node_keys *k = lfr_locked_alloc(sizeof *k);
    uint8_t *file = lfr_locked_alloc(KEY_FILE_BYTES), *fresh = NULL;
    if (!k || !file) {
        lfr_locked_free(k);
        lfr_locked_free(file);
        return lfr_locked_fail(ctx, "the node's keys");
    }
    if (create && (fresh = lfr_locked_alloc(KEY_FILE_BYTES))) {
        uint8_t pk[LFR_NODE_KEY_BYTES];
        crypto_sign_keypair(pk, fresh);
        crypto_box_keypair(pk, fresh + LFR_NODE_SIGN_SK_BYTES);
    }
    int rc = create && !fresh ? lfr_locked_fail(ctx, "the node's keys")
                              : lfr_secret_file(ctx, path, "node key", file, KEY_FILE_BYTES, fresh);
    lfr_locked_free(fresh);
    if (rc == LFR_ENOENT || (rc && !create && access(path, F_OK)))
        rc = lfr_fail(ctx, LFR_ENOENT, "%s: no node keys here: run `lfr edge init` first", dir);
    if (!rc) {
        memcpy(k->sign_sk, file, LFR_NODE_SIGN_SK_BYTES);
        crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
        memcpy(k->box_sk, file + LFR_NODE_SIGN_SK_BYTES, LFR_NODE_KEY_BYTES);
        crypto_scalarmult_base(k->box_pk, k->box_sk);
    }
    lfr_locked_free(file);
    if (rc) {
        lfr_locked_free(k);
        return rc;
    }
    *out = k;
    return LFR_OK;
}

int lfr_edge_init(lfr_ctx *ctx, const char *state_dir)
{
    node_keys *k = NULL;
    int rc = node_keys_load(ctx, state_dir, 1, &k);
    lfr_locked_free(k);
    return rc;
}

int lfr_edge_fingerprint(lfr_ctx *ctx, const char *state_dir, char out[17])
{
    node_keys *k = NULL;
    int rc = node_keys_load(ctx, state_dir, 0, &k);
    if (!rc) lfr_node_key_fingerprint(k->sign_pk, out);
    lfr_locked_free(k);
    return rc;
}

static void b64(const uint8_t *bin, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

int node_state_load(lfr_ctx *ctx, const char *dir, node_state *out)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/node.json", dir);
    json_error_t err;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!doc)
        return lfr_fail(ctx, access(path, F_OK) ? LFR_ENOENT : LFR_EFORMAT,
                        "%s: %s (enrol first: `lfr edge enrol`)", path, err.text);
    const char *centre = json_string_value(json_object_get(doc, "centre"));
    const char *ca = json_string_value(json_object_get(doc, "ca"));
    const char *name = json_string_value(json_object_get(doc, "name"));
    const char *pk = json_string_value(json_object_get(doc, "centre_box_pk"));
    const char *spk = json_string_value(json_object_get(doc, "centre_sign_pk"));
    size_t n = 0, ns = 0;
    int rc = LFR_OK;
    if (!centre || !ca || !name || !pk || !spk || !json_is_integer(json_object_get(doc, "id")) ||
        sodium_base642bin(out->centre_pk, sizeof out->centre_pk, pk, strlen(pk), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        n != sizeof out->centre_pk ||
        sodium_base642bin(out->centre_sign_pk, sizeof out->centre_sign_pk, spk, strlen(spk), NULL,
                          &ns, NULL, sodium_base64_VARIANT_ORIGINAL) ||
        ns != sizeof out->centre_sign_pk || strlen(centre) >= sizeof out->centre ||
        strlen(ca) >= sizeof out->ca || strlen(name) >= sizeof out->name)
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: damaged: enrol again", path);
    if (!rc) {
        out->id = json_integer_value(json_object_get(doc, "id"));
        snprintf(out->centre, sizeof out->centre, "%s", centre);
        snprintf(out->ca, sizeof out->ca, "%s", ca);
        snprintf(out->name, sizeof out->name, "%s", name);
    }
    json_decref(doc);
    return rc;
}

int lfr_edge_enrol(lfr_ctx *ctx, const char *state_dir, const char *centre_url, const char *ca_file,
                   const char *name, const char *code, int64_t *id)
{
    *id = 0;
    int rc = link_check_url(ctx, centre_url);
    if (rc) return rc;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/node.json", state_dir);
    if (!access(path, F_OK))
        return lfr_fail(ctx, LFR_EREFUSED,
                        "%s: this node is enrolled already (its id is there); a new enrolment "
                        "needs a new state folder",
                        path);
    char ca[PATH_MAX] = "";
    if (ca_file && !realpath(ca_file, ca))
        return lfr_fail(ctx, LFR_ENOENT, "%s: %s", ca_file, strerror(errno));
    node_keys *k = NULL;
    if ((rc = node_keys_load(ctx, state_dir, 0, &k))) return rc;
    char sign[64], box[64];
    b64(k->sign_pk, sizeof k->sign_pk, sign, sizeof sign);
    b64(k->box_pk, sizeof k->box_pk, box, sizeof box);
    edge_link *l = NULL;
    /* Read out and typed: any case. */
    char typed[LFR_NODE_CODE_CHARS + 1];
    size_t code_len = code ? strlen(code) : 0;
    if (code_len != LFR_NODE_CODE_CHARS) {
        lfr_locked_free(k);
        return lfr_fail(ctx, LFR_EINVAL, "--code: the %d characters the console showed",
                        LFR_NODE_CODE_CHARS);
    }
    for (size_t i = 0; i <= code_len; i++)
        typed[i] = (char)tolower((unsigned char)code[i]);
    json_t *body =
        json_pack("{s:s,s:s,s:s,s:s}", "name", name, "code", typed, "sign_pk", sign, "box_pk", box);
    json_t *reply = NULL;
    long status = 0;
    /* Node 0: the enrolment is signed with the key it brings. */
    if (!(rc = link_new(ctx, centre_url, ca, 0, k, NULL, &l)))
        rc = link_post(ctx, l, "/api/nodes/enrol", body, &status, &reply);
    json_decref(body);
    link_free(l);
    lfr_locked_free(k);
    const char *msg =
        json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
    if (!rc && status != 201)
        rc = lfr_fail(ctx, status == 409 ? LFR_EREFUSED : LFR_EIO,
                      "the centre refused the enrolment (HTTP %ld): %s", status,
                      msg ? msg : "no reason given");
    const char *pk = json_string_value(json_object_get(reply, "centre_box_pk"));
    const char *spk = json_string_value(json_object_get(reply, "centre_sign_pk"));
    if (!rc && (!pk || !spk || !json_is_integer(json_object_get(reply, "id"))))
        rc = lfr_fail(ctx, LFR_EFORMAT, "the centre's answer to the enrolment is not one");
    /* The keys must be the ones the code names: the administrator read
     * them off the centre itself. */
    uint8_t box_pk[LFR_NODE_KEY_BYTES], sign_pk[LFR_NODE_KEY_BYTES];
    size_t nb = 0, ns = 0;
    char fp[17] = "";
    if (!rc && (sodium_base642bin(box_pk, sizeof box_pk, pk, strlen(pk), NULL, &nb, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) ||
                nb != sizeof box_pk ||
                sodium_base642bin(sign_pk, sizeof sign_pk, spk, strlen(spk), NULL, &ns, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) ||
                ns != sizeof sign_pk))
        rc = lfr_fail(ctx, LFR_EFORMAT, "the centre's keys in its answer are not keys");
    if (!rc) lfr_node_centre_fingerprint(sign_pk, box_pk, fp);
    if (!rc && strcmp(fp, typed + LFR_NODE_CODE_SECRET + 1))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "the centre answered with keys (%s) that are not the ones the code names: "
                      "something between this node and the centre may be acting as it; "
                      "nothing saved",
                      fp);
    if (!rc) {
        *id = json_integer_value(json_object_get(reply, "id"));
        json_t *st =
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)*id, "name", name, "centre",
                      centre_url, "ca", ca, "centre_box_pk", pk, "centre_sign_pk", spk);
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof tmp, "%s.new", path);
        if (json_dump_file(st, tmp, JSON_INDENT(2)) || rename(tmp, path))
            rc = lfr_fail(ctx, LFR_EIO, "%s: cannot write: %s", path, strerror(errno));
        json_decref(st);
    }
    json_decref(reply);
    return rc;
}
