/* base/secure.c - wiping memory that held faces, templates or keys, keeping
 * it out of core dumps, and hiding the passwords in camera URLs before they
 * reach a message.
 *
 * memset before free can be removed by the optimiser; sodium_memzero cannot
 * (REQUIREMENTS PRI-1 needs the bytes gone, not merely released).
 */
#include "lfr/base.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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

void lfr_url_redact(const char *url, char *out, size_t len)
{
    if (!len) return;
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : NULL;
    const char *at = host ? strchr(host, '@') : NULL;
    const char *slash = host ? strchr(host, '/') : NULL;
    if (at && (!slash || at < slash))
        snprintf(out, len, "%.*s***%s", (int)(host - url), url, at);
    else
        snprintf(out, len, "%s", url);
}

int lfr_core_dumps_off(lfr_ctx *ctx)
{
    /* A crash would otherwise write every face and template in memory to
     * disk; not dumpable also keeps other users' debuggers out of it. */
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none))
        return lfr_fail(ctx, LFR_ERUNTIME, "cannot turn core dumps off (RLIMIT_CORE): %s",
                        strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
        return lfr_fail(ctx, LFR_ERUNTIME, "cannot turn core dumps off (PR_SET_DUMPABLE): %s",
                        strerror(errno));
    return LFR_OK;
}

int lfr_core_dumps_are_off(void)
{
    struct rlimit r;
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && getrlimit(RLIMIT_CORE, &r) == 0 &&
           r.rlim_cur == 0 && r.rlim_max == 0;
}
