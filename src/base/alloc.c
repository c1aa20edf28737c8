/* base/alloc.c - the one allocator of liblfr, with a fault hook for tests.
 *
 * Tests call lfr_alloc_fault_after(n) to let n allocations succeed and fail
 * the rest, then loop n over 0..N to prove every failure path unwinds
 * cleanly (the SQLite faultsim habit).
 */
#include "lfr/base.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fault_budget = -1; /* < 0: never fail */
static atomic_long alloc_count;

static int should_fail(void)
{
    atomic_fetch_add(&alloc_count, 1);
    long budget = atomic_load(&fault_budget);
    if (budget < 0) return 0;
    if (budget == 0) return 1;
    atomic_fetch_sub(&fault_budget, 1);
    return 0;
}

long lfr_alloc_fault_after(long n)
{
    atomic_store(&fault_budget, n);
    return atomic_exchange(&alloc_count, 0);
}

void *lfr_alloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *lfr_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lfr_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void lfr_free(void *p)
{
    free(p);
}

char *lfr_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lfr_alloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void lfr_wipe_free_unsized(void *p)
{
    if (!p) return;
    lfr_wipe(p, malloc_usable_size(p));
    free(p);
}

void *lfr_wipe_realloc(void *p, size_t n)
{
    if (!p) return lfr_alloc(n);
    size_t old = malloc_usable_size(p);
    void *q = lfr_alloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    lfr_wipe_free_unsized(p);
    return q;
}
