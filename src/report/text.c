/* report/text.c - writing documents: a growing buffer, HTML and CSV
 * escaping, and published values and times as text. */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Documents stay far below this; a larger one is a bug, not input. */
#define BUF_MAX (64u << 20)

static int grow(buf *b, size_t need)
{
    if (b->oom) return -1;
    if (b->len + need + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + need + 1)
        cap *= 2;
    char *p = cap <= BUF_MAX ? lfr_realloc(b->p, cap) : NULL;
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put(buf *b, const char *s, size_t n)
{
    if (grow(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_html(buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            put(b, "&amp;", 5);
            break;
        case '<':
            put(b, "&lt;", 4);
            break;
        case '>':
            put(b, "&gt;", 4);
            break;
        case '"':
            put(b, "&quot;", 6);
            break;
        case '\'':
            put(b, "&#39;", 5);
            break;
        default:
            put(b, s, 1);
        }
    }
}

static void put_buf(void *arg, const char *bytes, size_t n)
{
    put(arg, bytes, n);
}

void buf_csv(buf *b, const char *s)
{
    lfr_csv_write(s, put_buf, b);
}

void buf_json(buf *b, const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (text)
        buf_printf(b, "%s\n", text);
    else
        b->oom = 1;
    free(text);
}

int buf_take(lfr_ctx *ctx, buf *b, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->oom || grow(b, 0)) {
        buf_free(b);
        return lfr_fail(ctx, LFR_ENOMEM, "report: out of memory");
    }
    b->p[b->len] = '\0';
    *out = b->p;
    *len = b->len;
    memset(b, 0, sizeof *b);
    return LFR_OK;
}

void buf_free(buf *b)
{
    lfr_free(b->p);
    memset(b, 0, sizeof *b);
}

void text_upper(char *s)
{
    for (unsigned char *c = (unsigned char *)s; *c; c++) {
        if (*c >= 'a' && *c <= 'z') {
            *c = (unsigned char)(*c - 'a' + 'A');
        } else if (*c == 0xC3 && c[1] >= 0xA0 && c[1] <= 0xBE && c[1] != 0xB7) {
            c[1] -= 0x20; /* U+00E0-U+00FE less the division sign */
            c++;
        } else if ((*c == 0xC4 || *c == 0xC5) && (c[1] & 0xC0) == 0x80) {
            /* U+0100-U+0137 and U+014A-U+0177 pair each capital (even)
             * with its small letter (odd): w and y with a circumflex. */
            unsigned cp = ((*c & 0x1Fu) << 6) | (c[1] & 0x3Fu);
            if (cp % 2 && (cp <= 0x137 || (cp >= 0x14A && cp <= 0x177))) cp--;
            *c = (unsigned char)(0xC0 | (cp >> 6));
            c[1] = (unsigned char)(0x80 | (cp & 0x3F));
            c++;
        }
    }
}

void value_text(const json_t *v, char *out, size_t len)
{
    if (json_is_integer(v))
        snprintf(out, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, len, "%.6g", json_real_value(v));
    else if (json_is_string(v))
        snprintf(out, len, "%s", json_string_value(v));
    else if (json_is_boolean(v))
        snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
    else
        snprintf(out, len, "%s", "");
}

/* 1234567 -> "1,234,567". */
static void thousands(long long n, char *out, size_t len)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
    size_t nd = strlen(digits), o = 0;
    if (n < 0 && o + 1 < len) out[o++] = '-';
    for (size_t i = 0; i < nd && o + 2 < len; i++) {
        out[o++] = digits[i];
        if ((nd - i - 1) % 3 == 0 && i + 1 < nd) out[o++] = ',';
    }
    out[o] = '\0';
}

void value_human(lfr_lang lang, const char *field, const json_t *v, char *out, size_t len)
{
    if (json_is_null(v) || !v)
        snprintf(out, len, "-");
    else if (json_is_integer(v))
        thousands((long long)json_integer_value(v), out, len);
    else if (json_is_number(v) && strstr(field, "_share"))
        snprintf(out, len, "%.1f%%", 100.0 * json_number_value(v));
    else if (json_is_string(v) && lfr_parse_time_utc(json_string_value(v)) > 0) {
        json_t *ms = json_integer(lfr_parse_time_utc(json_string_value(v)));
        time_short(lang, ms, out, len);
        json_decref(ms);
    } else
        value_text(v, out, len);
}

static int to_tm(const json_t *ms, struct tm *tm)
{
    if (!json_is_integer(ms)) return -1;
    time_t t = (time_t)(json_integer_value(ms) / 1000);
    return gmtime_r(&t, tm) ? 0 : -1;
}

/* A time in a language's words: the layout (a catalogue key) filled with
 * the weekday, day, month (from months, a key prefix), year and time. */
static void time_words(lfr_lang lang, const json_t *ms, const char *layout, const char *months,
                       char *out, size_t len)
{
    struct tm tm;
    if (to_tm(ms, &tm)) {
        snprintf(out, len, "-");
        return;
    }
    char weekday[32], month[40], day[16], year[16], hm[16];
    snprintf(weekday, sizeof weekday, "doc.date.weekday.%d", tm.tm_wday);
    snprintf(month, sizeof month, "%s.%d", months, tm.tm_mon + 1);
    snprintf(day, sizeof day, "%d", tm.tm_mday);
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
    snprintf(hm, sizeof hm, "%02d:%02d", tm.tm_hour, tm.tm_min);
    tr_format(out, len, lang, layout, "weekday", tr(lang, weekday), "day", day, "month",
              tr(lang, month), "year", year, "time", hm, NULL);
}

void time_long(lfr_lang lang, const json_t *ms, char *out, size_t len)
{
    time_words(lang, ms, "doc.date.long", "doc.date.month", out, len);
}

void time_short(lfr_lang lang, const json_t *ms, char *out, size_t len)
{
    time_words(lang, ms, "doc.date.short", "doc.date.month_short", out, len);
}

void time_iso(const json_t *ms, char *out, size_t len)
{
    struct tm tm;
    if (to_tm(ms, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%MZ", &tm)) snprintf(out, len, "%s", "");
}

json_t *rounded(double x, int digits)
{
    double s = pow(10, digits);
    return json_real(round(x * s) / s);
}
