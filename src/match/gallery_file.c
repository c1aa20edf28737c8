/* match/gallery_file.c - saving and loading a gallery, refusing anything
 * corrupt or made by another model.
 *
 * Layout (little-endian): "LFRGALY1", u32 version (1), u32 dim, 64-byte
 * model name (NUL-padded), u32 identities; per identity: u8 id length, the
 * id, u16 templates, templates x dim float32; then the SHA-256 of all the
 * preceding bytes.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "LFRGALY1"
#define VERSION 1u
#define HEADER_BYTES (8 + 4 + 4 + LFR_ID_MAX + 4)
#define MAX_FILE_BYTES ((size_t)16 << 30)

typedef struct writer {
    FILE *f;
    crypto_hash_sha256_state sha;
    int dim;
    int failed;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->failed) return;
    crypto_hash_sha256_update(&w->sha, p, n);
    if (fwrite(p, 1, n, w->f) != n) w->failed = 1;
}

static void put_u32(writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static int write_identity(void *arg, const char *id, const float *tpl, int n)
{
    writer *w = arg;
    if (!id) { /* the header's last field: how many identities follow */
        put_u32(w, (uint32_t)n);
        return w->failed;
    }
    uint8_t len = (uint8_t)strlen(id);
    uint8_t count[2] = {(uint8_t)n, (uint8_t)(n >> 8)};
    put(w, &len, 1);
    put(w, id, len);
    put(w, count, 2);
    /* float32 is little-endian on every platform liblfr builds for. */
    put(w, tpl, (size_t)n * (size_t)w->dim * sizeof(float));
    return w->failed;
}

int lfr_gallery_save(lfr_ctx *ctx, lfr_gallery *g, const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return lfr_fail(ctx, LFR_EINVAL, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", tmp,
                        strerror(errno));
    writer w = {.f = fdopen(fd, "wb"), .dim = lfr_gallery_dim(g)};
    if (!w.f) {
        close(fd);
        unlink(tmp);
        return lfr_fail(ctx, LFR_EIO, "%s: %s", tmp, strerror(errno));
    }
    crypto_hash_sha256_init(&w.sha);
    char model[LFR_ID_MAX] = {0};
    snprintf(model, sizeof model, "%s", gallery_model(g));
    put(&w, MAGIC, 8);
    put_u32(&w, VERSION);
    put_u32(&w, (uint32_t)w.dim);
    put(&w, model, sizeof model);
    int rc = gallery_each(g, write_identity, &w);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&w.sha, digest);
    if (!rc && !w.failed && fwrite(digest, 1, sizeof digest, w.f) != sizeof digest) w.failed = 1;
    if (fflush(w.f) || fsync(fileno(w.f))) w.failed = 1;
    if (fclose(w.f)) w.failed = 1;
    if (rc == LFR_ENOMEM) {
        unlink(tmp);
        return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
    }
    if (rc || w.failed || rename(tmp, path)) {
        int err = errno;
        unlink(tmp);
        return lfr_fail(ctx, LFR_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    return LFR_OK;
}

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static int take(reader *r, void *dst, size_t n)
{
    if (r->left < n) return -1;
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

static int take_u32(reader *r, uint32_t *v)
{
    uint8_t b[4];
    if (take(r, b, 4)) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

int lfr_gallery_load(lfr_ctx *ctx, const char *path, const lfr_gallery_params *p, lfr_gallery **out)
{
    *out = NULL;
    if (!p || !p->model) return lfr_fail(ctx, LFR_EINVAL, "%s: no expected model given", path);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, path, MAX_FILE_BYTES, &data, &len);
    if (rc) return rc;
    lfr_gallery *g = NULL;
    float *tpl = NULL;
    size_t tpl_bytes = 0;
    unsigned char digest[crypto_hash_sha256_BYTES];
    if (len < HEADER_BYTES + sizeof digest || memcmp(data, MAGIC, 8) != 0) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: not an OpenLFR gallery file (bad magic or too short)",
                      path);
        goto done;
    }
    crypto_hash_sha256(digest, data, len - sizeof digest);
    if (memcmp(digest, data + len - sizeof digest, sizeof digest) != 0) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: checksum mismatch: the file is corrupt or truncated",
                      path);
        goto done;
    }
    reader r = {data + 8, len - 8 - sizeof digest};
    uint32_t version = 0, dim = 0, n_ids = 0;
    char model[LFR_ID_MAX];
    take_u32(&r, &version);
    take_u32(&r, &dim);
    take(&r, model, sizeof model);
    take_u32(&r, &n_ids);
    model[LFR_ID_MAX - 1] = '\0';
    if (version != VERSION) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: version %u, this build reads version %u", path,
                      version, VERSION);
        goto done;
    }
    if (strcmp(model, p->model) != 0 || (int)dim != p->dim) {
        rc = lfr_fail(ctx, LFR_EMODEL,
                      "%s: templates of model '%s' (%u-d), but the engine uses '%s' (%d-d)", path,
                      model, dim, p->model, p->dim);
        goto done;
    }
    if ((rc = lfr_gallery_new(ctx, p, &g))) goto done;
    for (uint32_t i = 0; i < n_ids; i++) {
        uint8_t id_len;
        uint8_t count[2];
        char id[LFR_ID_MAX];
        if (take(&r, &id_len, 1) || id_len == 0 || id_len >= LFR_ID_MAX || take(&r, id, id_len) ||
            take(&r, count, 2)) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s: identity %u: bad record", path, i);
            goto done;
        }
        id[id_len] = '\0';
        size_t n = (size_t)count[0] | (size_t)count[1] << 8;
        size_t need = n * dim * sizeof(float);
        if (n == 0 || r.left < need) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s: identity %u (%s): bad template count %zu", path, i,
                          id, n);
            goto done;
        }
        if (need > tpl_bytes) {
            lfr_wipe_free(tpl, tpl_bytes);
            tpl = lfr_alloc(need);
            tpl_bytes = tpl ? need : 0;
            if (!tpl) {
                rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
                goto done;
            }
        }
        take(&r, tpl, need);
        if ((rc = lfr_gallery_add(ctx, g, id, tpl, (int)n))) {
            lfr_fail_prefix(ctx, "%s: identity %u", path, i);
            if (rc == LFR_EINVAL) rc = lfr_fail(ctx, LFR_EFORMAT, "%s", lfr_errmsg(ctx));
            goto done;
        }
    }
    if (r.left != 0) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: %zu unexpected bytes after the last identity", path,
                      r.left);
        goto done;
    }
done:
    lfr_wipe_free(tpl, tpl_bytes);
    lfr_wipe_free(data, len);
    if (rc)
        lfr_gallery_free(g);
    else
        *out = g;
    return rc;
}
