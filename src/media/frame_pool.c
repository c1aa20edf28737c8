/* media/frame_pool.c - pixel blocks a video source reuses for its frames.
 *
 * A 1080p frame is 6 MB. Allocated fresh for every frame, it comes from
 * mmap and pays a page fault per 4 KiB page on first write, then goes back
 * to the kernel when freed: with two cameras that was most of the kernel's
 * share of the CPU. The pool hands the same few blocks round instead.
 * A block is wiped when its frame is freed, as any frame is (PRI-1), so a
 * block waiting in the pool holds no picture.
 *
 * Frames may outlive their source (a consumer frees the last one after the
 * video is closed), so the pool counts its holders and the last one out
 * frees it.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BLOCKS 4 /* the slot, the consumer's frame, the one decoding, one spare */

struct lfr_frame_pool {
    pthread_mutex_t lock; /* guards everything below */
    int holders;          /* the source, and each frame out */
    size_t bytes;         /* each block's size: a frame and a spare row */
    uint8_t *blocks[POOL_BLOCKS];
    int n_blocks;
};

int lfr_frame_pool_new(lfr_frame_pool **out)
{
    lfr_frame_pool *pool = lfr_calloc(1, sizeof *pool);
    if (!pool) return LFR_ENOMEM;
    pthread_mutex_init(&pool->lock, NULL);
    pool->holders = 1;
    *out = pool;
    return LFR_OK;
}

/* Frees the pool once nobody holds it. pool->lock held; unlocks it. */
static void release_locked(lfr_frame_pool *pool)
{
    int last = --pool->holders == 0;
    pthread_mutex_unlock(&pool->lock);
    if (!last) return;
    for (int i = 0; i < pool->n_blocks; i++)
        free(pool->blocks[i]);
    pthread_mutex_destroy(&pool->lock);
    lfr_free(pool);
}

void lfr_frame_pool_close(lfr_frame_pool *pool)
{
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    release_locked(pool);
}

size_t lfr_frame_pool_block_bytes(int w, int h)
{
    /* A spare row after the picture: swscale's vector code may write a
     * little past the last row it converts. Rounded for aligned_alloc. */
    return ((size_t)w * 3 * ((size_t)h + 1) + 63) / 64 * 64;
}

int lfr_frame_pool_take(lfr_frame_pool *pool, int w, int h, lfr_image **out)
{
    *out = NULL;
    size_t bytes = lfr_frame_pool_block_bytes(w, h);
    lfr_image *img = lfr_calloc(1, sizeof *img);
    if (!img) return LFR_ENOMEM;
    uint8_t *block = NULL;
    pthread_mutex_lock(&pool->lock);
    if (bytes != pool->bytes) {
        /* The source changed size (a camera reconnected at another
         * resolution): the old blocks fit nothing now. */
        for (int i = 0; i < pool->n_blocks; i++)
            free(pool->blocks[i]);
        pool->n_blocks = 0;
        pool->bytes = bytes;
    }
    if (pool->n_blocks) block = pool->blocks[--pool->n_blocks];
    pool->holders++;
    pthread_mutex_unlock(&pool->lock);
    if (!block && !(block = aligned_alloc(64, bytes))) {
        pthread_mutex_lock(&pool->lock);
        release_locked(pool);
        lfr_free(img);
        return LFR_ENOMEM;
    }
    img->width = w;
    img->height = h;
    img->rgb = block;
    img->pool = pool;
    *out = img;
    return LFR_OK;
}

void lfr_frame_pool_give(lfr_frame_pool *pool, uint8_t *block, int w, int h)
{
    size_t bytes = lfr_frame_pool_block_bytes(w, h);
    lfr_wipe(block, bytes);
    pthread_mutex_lock(&pool->lock);
    if (bytes == pool->bytes && pool->n_blocks < POOL_BLOCKS) {
        pool->blocks[pool->n_blocks++] = block;
        block = NULL;
    }
    release_locked(pool);
    free(block);
}
