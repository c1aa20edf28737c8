/* eval/embed_paths.c - embedding a list of image files on several threads.
 *
 * Two workers on two cores beat one network on two intra-op threads
 * (DESIGN.md), so evaluation splits the images, each worker with its own
 * ctx; the engine is shared read-only.
 */
#include "lfr/eval.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct job {
    const lfr_engine *engine;
    char *const *paths;
    int n_paths, dim;
    float *embeddings;
    uint8_t *found;
    atomic_int next, done, failed;
    pthread_mutex_t lock; /* guards err_code, err_msg and progress calls */
    int err_code;
    char err_msg[1024];
    lfr_progress_fn progress;
    void *progress_arg;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) {
        pthread_mutex_lock(&j->lock);
        if (!j->err_code) {
            j->err_code = LFR_ENOMEM;
            snprintf(j->err_msg, sizeof j->err_msg, "out of memory");
        }
        pthread_mutex_unlock(&j->lock);
        atomic_store(&j->failed, 1);
        return NULL;
    }
    for (;;) {
        if (atomic_load(&j->failed)) break;
        int i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n_paths) break;
        lfr_image *img = NULL;
        float *emb = j->embeddings + (size_t)i * (size_t)j->dim;
        int rc = lfr_image_load(ctx, j->paths[i], NULL, &img);
        if (rc == LFR_OK) rc = lfr_engine_embed_main(ctx, j->engine, img, emb, NULL, NULL);
        lfr_image_free(img);
        j->found[i] = rc == LFR_OK;
        if (rc == LFR_ENOFACE) {
            memset(emb, 0, (size_t)j->dim * sizeof(float));
            rc = LFR_OK;
        }
        if (rc) {
            pthread_mutex_lock(&j->lock);
            if (!j->err_code) {
                j->err_code = rc;
                snprintf(j->err_msg, sizeof j->err_msg, "%s", lfr_errmsg(ctx));
            }
            pthread_mutex_unlock(&j->lock);
            atomic_store(&j->failed, 1);
            break;
        }
        int done = atomic_fetch_add(&j->done, 1) + 1;
        if (j->progress) {
            pthread_mutex_lock(&j->lock);
            j->progress(done, j->n_paths, j->progress_arg);
            pthread_mutex_unlock(&j->lock);
        }
    }
    lfr_ctx_free(ctx);
    return NULL;
}

int lfr_embed_paths(lfr_ctx *ctx, const lfr_engine *e, char *const *paths, int n_paths,
                    int n_threads, float *embeddings, uint8_t *found, lfr_progress_fn progress,
                    void *progress_arg)
{
    if (n_threads < 1 || n_threads > 64)
        return lfr_fail(ctx, LFR_EINVAL, "threads: %d outside 1..64", n_threads);
    job j = {.engine = e,
             .paths = paths,
             .n_paths = n_paths,
             .dim = lfr_engine_embedding_size(e),
             .embeddings = embeddings,
             .found = found,
             .progress = progress,
             .progress_arg = progress_arg};
    pthread_mutex_init(&j.lock, NULL);
    pthread_t tid[64];
    int started = 0;
    for (; started < n_threads - 1; started++)
        if (pthread_create(&tid[started], NULL, worker, &j)) break;
    worker(&j); /* the calling thread works too */
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.lock);
    if (j.err_code) return lfr_fail(ctx, j.err_code, "%s", j.err_msg);
    return LFR_OK;
}
