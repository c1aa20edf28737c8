/* base/arena.c - per-frame scratch: a worker's crops, tensors and
 * appearance vectors come from one locked block that is wiped and reset
 * after every frame, so nothing of a frame survives it by accident and the
 * hot path makes no system call per face.
 *
 * A thread adopts an arena with lfr_arena_use; lfr_scratch_alloc then
 * carves from it, and from the locked pool when the thread has none or it
 * is full. Blocks freed in any order are given back as soon as every block
 * above them is free, so a frame with many faces reuses the same bytes.
 */
#include "lfr/base.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 64               /* keeps blocks aligned for SIMD, like the pool's */
#define ARENA_MAGIC 0x4152454eu /* "AREN" */
#define POOL_MAGIC 0x504f4f4cu  /* "POOL": a block the arena could not hold */

typedef struct {
    size_t size;  /* header and payload, rounded to HEADER */
    size_t below; /* offset of the block below it; NONE for the first */
    unsigned magic;
    int freed;
} block;

#define NONE SIZE_MAX

struct lfr_arena {
    unsigned char *base;
    size_t cap, used, peak;
    size_t top;     /* offset of the last block handed out; NONE when empty */
    long overflows; /* blocks that did not fit and went to the pool */
};

static _Thread_local lfr_arena *current;

int lfr_arena_new(lfr_ctx *ctx, size_t bytes, lfr_arena **out)
{
    *out = NULL;
    lfr_arena *a = lfr_calloc(1, sizeof *a);
    if (!a) return lfr_fail(ctx, LFR_ENOMEM, "arena: out of memory");
    a->cap = (bytes + HEADER - 1) / HEADER * HEADER;
    a->top = NONE;
    if (!(a->base = lfr_locked_alloc(a->cap))) {
        lfr_free(a);
        return lfr_locked_fail(ctx, "per-frame arena");
    }
    *out = a;
    return LFR_OK;
}

void lfr_arena_free(lfr_arena *a)
{
    if (!a) return;
    if (current == a) current = NULL;
    lfr_locked_free(a->base); /* wipes the whole block */
    lfr_free(a);
}

void lfr_arena_use(lfr_arena *a)
{
    current = a;
}

void lfr_arena_reset(lfr_arena *a)
{
    if (!a) return;
    sodium_memzero(a->base, a->used);
    a->used = 0;
    a->top = NONE;
}

size_t lfr_arena_peak(const lfr_arena *a)
{
    return a ? a->peak : 0;
}

long lfr_arena_overflows(const lfr_arena *a)
{
    return a ? a->overflows : 0;
}

void *lfr_scratch_alloc(size_t n)
{
    lfr_arena *a = current;
    size_t size =
        n > SIZE_MAX - 2 * HEADER ? SIZE_MAX : (HEADER + n + HEADER - 1) / HEADER * HEADER;
    if (a && size <= a->cap - a->used) {
        block *b = (block *)(a->base + a->used);
        b->size = size;
        b->below = a->top;
        b->magic = ARENA_MAGIC;
        b->freed = 0;
        a->top = a->used;
        a->used += size;
        if (a->used > a->peak) a->peak = a->used;
        return (unsigned char *)b + HEADER; /* zero: fresh, or wiped when given back */
    }
    if (a) a->overflows++;
    if (n > SIZE_MAX - HEADER) return lfr_locked_alloc(SIZE_MAX); /* fails, saying why */
    unsigned char *p = lfr_locked_alloc(HEADER + n);
    if (!p) return NULL;
    ((block *)p)->magic = POOL_MAGIC;
    return p + HEADER;
}

void lfr_scratch_free(void *p)
{
    if (!p) return;
    block *b = (block *)((unsigned char *)p - HEADER);
    if (b->magic == POOL_MAGIC) {
        lfr_locked_free(b);
        return;
    }
    if (b->magic != ARENA_MAGIC || b->freed) abort(); /* not scratch, or freed twice */
    sodium_memzero(p, b->size - HEADER);
    b->freed = 1;
    /* Give back the top of the arena while it is free. The block belongs
     * to the thread's arena: scratch never crosses threads. */
    lfr_arena *a = current;
    if (!a || (unsigned char *)b < a->base || (unsigned char *)b >= a->base + a->cap) return;
    while (a->top != NONE) {
        block *top = (block *)(a->base + a->top);
        if (!top->freed) break;
        a->used = a->top;
        a->top = top->below;
        sodium_memzero(top, HEADER);
    }
}
