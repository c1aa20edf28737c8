/* base/conf.c - configuration files of "key = value" lines (the server's
 * /etc/openlfr/lfr.conf). Blank lines and lines starting with # are
 * skipped; a key is lower-case letters, digits and '_'; the value is the
 * rest of the line, trimmed. Every error names the file and the line. */
#include "lfr/base.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES 4096

static int is_key_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int lfr_conf_parse(lfr_ctx *ctx, const char *name, const char *text, size_t len, lfr_conf_fn fn,
                   void *arg)
{
    char line[LINE_MAX_BYTES];
    size_t pos = 0;
    for (int number = 1; pos < len; number++) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos;
        if (n >= sizeof line)
            return lfr_fail(ctx, LFR_EINVAL, "%s line %d: longer than %d bytes", name, number,
                            LINE_MAX_BYTES - 1);
        if (memchr(text + pos, '\0', n))
            return lfr_fail(ctx, LFR_EINVAL, "%s line %d: a NUL byte", name, number);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        char *s = line, *e = line + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (s == e || *s == '#') continue;
        char *key = s;
        while (s < e && is_key_char((unsigned char)*s))
            s++;
        char *key_end = s;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (key_end == key || s == e || *s != '=')
            return lfr_fail(ctx, LFR_EINVAL, "%s line %d: expected 'key = value'", name, number);
        *key_end = '\0';
        s++;
        while (s < e && isspace((unsigned char)*s))
            s++;
        int rc = fn(ctx, key, s, arg);
        if (rc) {
            char why[512];
            snprintf(why, sizeof why, "%s", lfr_errmsg(ctx));
            return lfr_fail(ctx, rc, "%s line %d: %s", name, number, why);
        }
    }
    return LFR_OK;
}
