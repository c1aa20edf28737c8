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
    if (dir && *dir) snprintf(buf, len, "%s", dir);
    else if (cache && *cache) snprintf(buf, len, "%s/models", cache);
    else snprintf(buf, len, "%s/.cache/openlfr/models", home ? home : ".");
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

static int read_checked(lfr_ctx *ctx, const char *dir, const char *name, manifest *m,
                        char **path, uint8_t **bytes, size_t *len)
{
    int rc = manifest_load(ctx, dir, name, m, path);
    if (rc) return rc;
    rc = lfr_read_file(ctx, *path, MODEL_MAX_BYTES, bytes, len);
    if (rc) {
        if (rc == LFR_ENOENT)
            lfr_fail_prefix(ctx, "model '%s': file missing (run scripts/setup.sh)", m->name);
        return rc;
    }
    return check_sum(ctx, m, *path, *bytes, *len);
}

int lfr_model_check(lfr_ctx *ctx, const char *dir, const char *name)
{
    manifest m;
    char *path = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = read_checked(ctx, dir, name, &m, &path, &bytes, &len);
    lfr_free(bytes);
    lfr_free(path);
    return rc;
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
    rc = ort_session_new(ctx, rt, bytes, len, path, &m->session);
    if (rc) goto fail;
    rc = ort_check_io(ctx, m);
    if (rc) goto fail;
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
    ort_session_free(m->rt, m->session);
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
