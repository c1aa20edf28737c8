/* base/locked.c - memory for faces, templates and keys that never reaches
 * swap or a core dump.
 *
 * Each block is a mapping of its own: locked in RAM (mlock), left out of
 * core dumps (MADV_DONTDUMP) and out of any child process (MADV_WIPEONFORK),
 * and wiped before it is unmapped. The pool is bounded: by the process's
 * RLIMIT_MEMLOCK (raised to its hard limit at first use), or a smaller
 * bound the program sets. Past the bound an allocation fails and says why,
 * rather than quietly handing out memory that can be swapped.
 */
#include "lfr/base.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* The header keeps the mapping's length; 64 bytes keep the block aligned
 * for the SIMD loads of the matcher. */
#define HEADER 64
#define MAGIC 0x4c4f434bu /* "LOCK" */
/* An unlimited RLIMIT_MEMLOCK (or CAP_IPC_LOCK) still gets a bound. */
#define DEFAULT_CAP ((size_t)1 << 30)

typedef struct {
    size_t map_len;
    unsigned magic;
} block_header;

static atomic_size_t in_use;
static atomic_size_t limit;
static pthread_once_t limit_once = PTHREAD_ONCE_INIT;
static _Thread_local char why[256];
static _Thread_local int why_code;

static void read_limit(void)
{
    struct rlimit r;
    size_t bound = DEFAULT_CAP;
    if (getrlimit(RLIMIT_MEMLOCK, &r) == 0) {
        if (r.rlim_cur < r.rlim_max) {
            r.rlim_cur = r.rlim_max;
            setrlimit(RLIMIT_MEMLOCK, &r);
            getrlimit(RLIMIT_MEMLOCK, &r);
        }
        if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < bound) bound = (size_t)r.rlim_cur;
    }
    size_t unset = 0;
    atomic_compare_exchange_strong(&limit, &unset, bound);
}

size_t lfr_locked_limit(void)
{
    pthread_once(&limit_once, read_limit);
    return atomic_load(&limit);
}

void lfr_locked_set_limit(size_t bytes)
{
    pthread_once(&limit_once, read_limit);
    atomic_store(&limit, bytes);
}

size_t lfr_locked_in_use(void)
{
    return atomic_load(&in_use);
}

void *lfr_locked_alloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - HEADER - page) {
        why_code = LFR_ENOMEM;
        snprintf(why, sizeof why, "%zu bytes cannot be locked", n);
        return NULL;
    }
    size_t len = (HEADER + n + page - 1) / page * page;
    size_t cap = lfr_locked_limit();
    size_t used = atomic_fetch_add(&in_use, len);
    if (used + len > cap) {
        atomic_fetch_sub(&in_use, len);
        why_code = LFR_ELIMIT;
        snprintf(why, sizeof why,
                 "the locked memory pool is full: %zu KiB more asked, %zu KiB in use of %zu KiB "
                 "(RLIMIT_MEMLOCK: raise LimitMEMLOCK= in the service unit, or ulimit -l)",
                 len / 1024, used / 1024, cap / 1024);
        return NULL;
    }
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        atomic_fetch_sub(&in_use, len);
        why_code = LFR_ENOMEM;
        snprintf(why, sizeof why, "out of memory for %zu locked bytes", n);
        return NULL;
    }
    if (mlock(base, len)) {
        int err = errno;
        munmap(base, len);
        atomic_fetch_sub(&in_use, len);
        why_code = LFR_ELIMIT;
        snprintf(why, sizeof why,
                 "cannot lock %zu KiB in memory (%s; %zu KiB locked of %zu KiB: raise "
                 "LimitMEMLOCK= in the service unit, or ulimit -l)",
                 len / 1024, strerror(err), used / 1024, cap / 1024);
        return NULL;
    }
    /* Kernels before 4.14 lack WIPEONFORK; the lock and the dump
     * exclusion are what matter, and lfr forks no children that run. */
    madvise(base, len, MADV_DONTDUMP);
    madvise(base, len, MADV_WIPEONFORK);
    block_header *h = base;
    h->map_len = len;
    h->magic = MAGIC;
    return (unsigned char *)base + HEADER;
}

void *lfr_locked_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        why_code = LFR_ENOMEM;
        snprintf(why, sizeof why, "%zu x %zu bytes cannot be locked", count, size);
        return NULL;
    }
    return lfr_locked_alloc(count * size); /* fresh mappings are zeroed */
}

void lfr_locked_free(void *p)
{
    if (!p) return;
    unsigned char *base = (unsigned char *)p - HEADER;
    block_header *h = (block_header *)base;
    if (h->magic != MAGIC) abort(); /* not ours: freeing it would corrupt memory */
    size_t len = h->map_len;
    sodium_memzero(base, len);
    munlock(base, len);
    munmap(base, len);
    atomic_fetch_sub(&in_use, len);
}

int lfr_locked_fail(lfr_ctx *ctx, const char *what)
{
    return lfr_fail(ctx, why_code ? why_code : LFR_ENOMEM, "%s: %s", what,
                    why[0] ? why : "out of locked memory");
}
