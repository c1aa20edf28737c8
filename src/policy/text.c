/* policy/text.c - the one check for free text that officers type into the
 * records (deployment fields, watchlist entries, camera names): it is
 * printed in public notices, reviews and the console, so it must say
 * something, fit its field, and hold nothing that hides or reorders what
 * is shown. */
#include "internal.h"

#include <stdint.h>
#include <string.h>

/* Invisible characters and those that change the direction text is shown
 * in (an entry could read one way on screen and another in the record). */
static int is_hidden(uint32_t c)
{
    return c == 0x061C || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

/* Decodes one UTF-8 character at s; its length, or 0 if malformed. */
static int utf8_next(const unsigned char *s, uint32_t *c)
{
    int n = s[0] < 0x80             ? 1
            : (s[0] & 0xE0) == 0xC0 ? 2
            : (s[0] & 0xF0) == 0xE0 ? 3
            : (s[0] & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (!n) return 0;
    uint32_t v = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past Unicode. */
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[n] || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) return 0;
    *c = v;
    return n;
}

int text_check(lfr_ctx *ctx, const char *what, const char *v, size_t max, int multiline)
{
    if (!v) return lfr_fail(ctx, LFR_EINVAL, "%s: missing", what);
    size_t len = strlen(v);
    if (len > max) return lfr_fail(ctx, LFR_EINVAL, "%s: %zu bytes, at most %zu", what, len, max);
    int seen = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c = 0;
        int n = utf8_next((const unsigned char *)v + i, &c);
        if (!n) return lfr_fail(ctx, LFR_EINVAL, "%s: not valid UTF-8", what);
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || (c >= 0x7F && c < 0xA0))
            return lfr_fail(ctx, LFR_EINVAL, "%s: control characters are not allowed", what);
        if (is_hidden(c))
            return lfr_fail(ctx, LFR_EINVAL,
                            "%s: invisible or direction-changing characters (U+%04X) are not "
                            "allowed",
                            what, (unsigned)c);
        seen |= !(c == ' ' || c == '\t' || c == '\n' || c == 0xA0 || c == 0x3000);
        i += (size_t)n;
    }
    if (!seen) return lfr_fail(ctx, LFR_EINVAL, "%s: empty (or only spaces)", what);
    return LFR_OK;
}
