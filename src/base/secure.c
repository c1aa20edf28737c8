/* base/secure.c - wiping memory that held faces, templates or keys.
 *
 * memset before free can be removed by the optimiser; sodium_memzero cannot
 * (REQUIREMENTS PRI-1 needs the bytes gone, not merely released).
 */
#include "lfr/base.h"

#include <sodium.h>

void lfr_wipe(void *p, size_t n)
{
    if (p && n) sodium_memzero(p, n);
}

void lfr_wipe_free(void *p, size_t n)
{
    if (!p) return;
    sodium_memzero(p, n);
    lfr_free(p);
}
