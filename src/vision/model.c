/* vision/model.c - a network with its manifest: checksum, session, checks.
 *
 * The file's SHA-256 is checked against the manifest, and ORT is handed the
 * very bytes that were checked, so a file swapped in between cannot slip by.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define MODEL_MAX_BYTES ((size_t)1 << 30)

const char *lfr_default_model_dir(char *buf, size_t len)
{
    const char *dir = getenv("LFR_MODEL_DIR");
    const char *cache = getenv("LFR_CACHE");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(buf, len, "%s", dir);
    else if (cache && *cache)
        snprintf(buf, len, "%s/models", cache);
    else
        snprintf(buf, len, "%s/.cache/openlfr/models", home ? home : ".");
    return buf;
}

static int check_sum(lfr_ctx *ctx, const manifest *m, const char *path, const uint8_t *bytes,
                     size_t len)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(digest, bytes, len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    if (strcmp(hex, m->sha256) != 0)
        return lfr_fail(ctx, LFR_EMODEL,
                        "%s: checksum mismatch for model '%s' (SHA-256 %s, manifest expects %s): "
                        "the file is corrupt or not this model; run scripts/setup.sh to restore it",
                        path, m->name, hex, m->sha256);
    return LFR_OK;
}

static int read_checked(lfr_ctx *ctx, const char *dir, const char *name, manifest *m, char **path,
                        uint8_t **bytes, size_t *len)
{
    int rc = manifest_load(ctx, dir, name, m, path);
    if (rc || m->n_members) return rc; /* a fusion has no file; its members do */
    rc = lfr_read_file(ctx, *path, MODEL_MAX_BYTES, bytes, len);
    if (rc) {
        /* A missing model is the installation's fault, not the input's. */
        if (rc == LFR_ENOENT) {
            lfr_fail_prefix(ctx, "model '%s': file missing (run scripts/setup.sh)", m->name);
            return lfr_fail(ctx, LFR_EMODEL, "%s", lfr_errmsg(ctx));
        }
        return rc;
    }
    return check_sum(ctx, m, *path, *bytes, *len);
}

/* A fusion's member must be a single embedder, not another fusion (which
 * also rules out a fusion naming itself). */
static int check_member(lfr_ctx *ctx, const manifest *fusion, const manifest *member)
{
    if (member->kind != LFR_MODEL_EMBEDDER || member->n_members)
        return lfr_fail(ctx, LFR_EMODEL, "fusion '%s': member '%s' is not a single face embedder",
                        fusion->name, member->name);
    if (member->n_align_points != 5)
        return lfr_fail(ctx, LFR_EMODEL,
                        "fusion '%s': member '%s' has %d alignment points, needs 5", fusion->name,
                        member->name, member->n_align_points);
    return LFR_OK;
}

static int check_fusion_size(lfr_ctx *ctx, const manifest *m, int sum)
{
    if (sum == m->embedding_size) return LFR_OK;
    return lfr_fail(ctx, LFR_EMODEL,
                    "fusion '%s': embedding_size %d, but its members' embeddings add up to %d",
                    m->name, m->embedding_size, sum);
}

int lfr_model_check(lfr_ctx *ctx, const char *dir, const char *name)
{
    manifest m;
    char *path = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_checked(ctx, dir, name, &m, &path, &bytes, &len);
    lfr_free(bytes);
    int sum = 0;
    for (int i = 0; rc == LFR_OK && i < m.n_members; i++) {
        manifest mm;
        char *mpath = NULL;
        rc = read_checked(ctx, path, m.member_names[i], &mm, &mpath, &bytes, &len);
        lfr_free(bytes);
        lfr_free(mpath);
        bytes = NULL;
        if (rc == LFR_OK)
            rc = check_member(ctx, &m, &mm);
        else
            lfr_fail_prefix(ctx, "fusion '%s'", m.name);
        sum += mm.embedding_size;
    }
    if (rc == LFR_OK && m.n_members) rc = check_fusion_size(ctx, &m, sum);
    lfr_free(path);
    return rc;
}

static int load_members(lfr_ctx *ctx, lfr_runtime *rt, const char *dir, lfr_model *m)
{
    int sum = 0, rc = LFR_OK;
    for (int i = 0; i < m->man.n_members && rc == LFR_OK; i++) {
        /* A member's manifest is read first: a fusion there is refused
         * before it is loaded, so a fusion naming itself cannot recurse. */
        manifest peek;
        char *peek_path = NULL;
        rc = manifest_load(ctx, dir, m->man.member_names[i], &peek, &peek_path);
        lfr_free(peek_path);
        if (rc == LFR_OK && peek.n_members) return check_member(ctx, &m->man, &peek);
        if (rc == LFR_OK) rc = lfr_model_load(ctx, rt, dir, m->man.member_names[i], &m->members[i]);
        if (rc) {
            /* Out of memory stays itself; anything else names the fusion. */
            if (rc != LFR_ENOMEM) lfr_fail_prefix(ctx, "fusion '%s'", m->man.name);
            return rc;
        }
        rc = check_member(ctx, &m->man, &m->members[i]->man);
        sum += m->members[i]->man.embedding_size;
    }
    return rc ? rc : check_fusion_size(ctx, &m->man, sum);
}

int lfr_model_load(lfr_ctx *ctx, lfr_runtime *rt, const char *dir, const char *name,
                   lfr_model **out)
{
    *out = NULL;
    char dir_buf[4096];
    if (!dir) dir = lfr_default_model_dir(dir_buf, sizeof dir_buf);
    lfr_model *m = lfr_calloc(1, sizeof *m);
    if (!m) return lfr_fail(ctx, LFR_ENOMEM, "model '%s': out of memory", name);
    m->rt = rt;
    char *path = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_checked(ctx, dir, name, &m->man, &path, &bytes, &len);
    if (rc) goto fail;
    if (m->man.n_members) {
        /* A fusion: each member from the folder of the fusion's manifest. */
        if ((rc = load_members(ctx, rt, path, m))) goto fail;
    } else {
        rc = ort_session_new(ctx, rt, bytes, len, path, &m->session);
        if (rc) goto fail;
        rc = ort_check_io(ctx, m);
        if (rc) goto fail;
    }
    lfr_free(bytes);
    lfr_free(path);
    *out = m;
    return LFR_OK;
fail:
    lfr_free(bytes);
    lfr_free(path);
    lfr_model_free(m);
    return rc;
}

void lfr_model_free(lfr_model *m)
{
    if (!m) return;
    for (int i = 0; i < MANIFEST_MAX_MEMBERS; i++)
        lfr_model_free(m->members[i]);
    if (m->session) ort_session_free(m->rt, m->session);
    lfr_free(m);
}

const char *lfr_model_name(const lfr_model *m)
{
    return m->man.name;
}

lfr_model_kind lfr_model_kind_of(const lfr_model *m)
{
    return m->man.kind;
}

int lfr_model_embedding_size(const lfr_model *m)
{
    return m->man.kind == LFR_MODEL_EMBEDDER ? m->man.embedding_size : 0;
}

int lfr_model_n_members(const lfr_model *m)
{
    return m->man.n_members;
}

const lfr_model *lfr_model_member(const lfr_model *m, int i, float *weight)
{
    if (i < 0 || i >= m->man.n_members) return NULL;
    if (weight) *weight = m->man.member_weight[i];
    return m->members[i];
}
