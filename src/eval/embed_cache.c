/* eval/embed_cache.c - embeddings of an evaluation set kept in a file, so
 * `lfr eval fmr` and `lfr eval identify` embed LFW's 13,233 images once.
 *
 * Layout: "LFREMB01", 128-byte engine description (models and revision), u32 flip, u32 dim, u32 n,
 * the SHA-256 of the path list, n found bytes, n x dim float32, then the SHA-256 of everything
 * before it. Only evaluation data (research sets) goes here, never a live face.
 */
#include "lfr/eval.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "LFREMB01"
#define NAME_BYTES 128 /* detector/landmarks/embedder/engine revision */

typedef struct header {
    char magic[8];
    char model[NAME_BYTES];
    uint32_t flip, dim, n;
    unsigned char paths_sha[32];
} header;

static void make_header(header *h, const lfr_engine *e, int flip, char *const *paths, int n)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MAGIC, 8);
    snprintf(h->model, sizeof h->model, "%s/%s/%s/r%s",
             lfr_model_name(lfr_engine_model(e, LFR_MODEL_DETECTOR)),
             lfr_model_name(lfr_engine_model(e, LFR_MODEL_LANDMARKS)),
             lfr_model_name(lfr_engine_model(e, LFR_MODEL_EMBEDDER)), LFR_ENGINE_REVISION);
    h->flip = (uint32_t)flip;
    h->dim = (uint32_t)lfr_engine_embedding_size(e);
    h->n = (uint32_t)n;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (int i = 0; i < n; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)paths[i], strlen(paths[i]) + 1);
    crypto_hash_sha256_final(&st, h->paths_sha);
}

/* Returns 1 when the cache matched and was read. */
static int read_cache(const char *path, const header *want, float *emb, uint8_t *found)
{
    lfr_ctx *c = NULL;
    if (lfr_ctx_new(&c)) return 0;
    uint8_t *data = NULL;
    size_t len = 0;
    size_t body = (size_t)want->n + (size_t)want->n * want->dim * sizeof(float);
    int ok = lfr_read_file(c, path, sizeof(header) + body + 32 + 1, &data, &len) == LFR_OK &&
             len == sizeof(header) + body + 32 && !memcmp(data, want, sizeof(header));
    if (ok) {
        unsigned char sum[32];
        crypto_hash_sha256(sum, data, len - 32);
        ok = !memcmp(sum, data + len - 32, 32);
    }
    if (ok) {
        memcpy(found, data + sizeof(header), want->n);
        memcpy(emb, data + sizeof(header) + want->n, (size_t)want->n * want->dim * sizeof(float));
    }
    lfr_free(data);
    lfr_ctx_free(c);
    return ok;
}

static int write_cache(lfr_ctx *ctx, const char *path, const header *h, const float *emb,
                       const uint8_t *found)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return lfr_fail(ctx, LFR_EIO, "%s: %s", tmp, strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        return lfr_fail(ctx, LFR_EIO, "%s: %s", tmp, strerror(errno));
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    size_t emb_bytes = (size_t)h->n * h->dim * sizeof(float);
    crypto_hash_sha256_update(&st, (const unsigned char *)h, sizeof *h);
    crypto_hash_sha256_update(&st, found, h->n);
    crypto_hash_sha256_update(&st, (const unsigned char *)emb, emb_bytes);
    unsigned char sum[32];
    crypto_hash_sha256_final(&st, sum);
    int bad = fwrite(h, sizeof *h, 1, f) != 1 || fwrite(found, 1, h->n, f) != h->n ||
              fwrite(emb, 1, emb_bytes, f) != emb_bytes || fwrite(sum, 1, 32, f) != 32;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return lfr_fail(ctx, LFR_EIO, "%s: cannot write the embedding cache", path);
    }
    return LFR_OK;
}

int lfr_embed_paths_cached(lfr_ctx *ctx, const lfr_engine *e, int flip, char *const *paths,
                           int n_paths, int n_threads, const char *cache_path, float *embeddings,
                           uint8_t *found, lfr_progress_fn progress, void *progress_arg,
                           int *from_cache)
{
    *from_cache = 0;
    header h;
    make_header(&h, e, flip, paths, n_paths);
    if (cache_path && read_cache(cache_path, &h, embeddings, found)) {
        *from_cache = 1;
        return LFR_OK;
    }
    int rc = lfr_embed_paths(ctx, e, paths, n_paths, n_threads, embeddings, found, progress,
                             progress_arg);
    if (rc == LFR_OK && cache_path) rc = write_cache(ctx, cache_path, &h, embeddings, found);
    return rc;
}
