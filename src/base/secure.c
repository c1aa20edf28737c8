/* base/secure.c - wiping memory that held faces, templates or keys, and
 * hiding the passwords in camera URLs before they reach a message.
 *
 * memset before free can be removed by the optimiser; sodium_memzero cannot
 * (REQUIREMENTS PRI-1 needs the bytes gone, not merely released).
 */
#include "lfr/base.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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
