/* report/lang.c - the words of the public documents in English and in
 * Welsh (issue 15 item 5). They come from the same catalogues as the
 * console's (web/lang/LANG.json: one flat object of key -> text, {name}
 * for what is filled in), embedded in the binary at build time by
 * cmake/embed_lang.cmake, so a document never depends on finding a file.
 *
 * Placeholders are named, not printf conversions: a translation may put
 * them in another order, and text from a file never becomes a format. */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const unsigned char report_catalogue_en[], report_catalogue_cy[];
extern const size_t report_catalogue_en_len, report_catalogue_cy_len;

static json_t *catalogues[2];
static char load_error[200];
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void load(void)
{
    const unsigned char *text[2] = {report_catalogue_en, report_catalogue_cy};
    const size_t len[2] = {report_catalogue_en_len, report_catalogue_cy_len};
    for (int i = 0; i < 2; i++) {
        json_error_t err;
        catalogues[i] = json_loadb((const char *)text[i], len[i], JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(catalogues[i]) && !load_error[0])
            snprintf(load_error, sizeof load_error, "web/lang/%s.json: line %d: %s",
                     i ? "cy" : "en", err.line, json_is_object(catalogues[i]) ? "" : err.text);
    }
}

int lfr_lang_parse(const char *name, lfr_lang *out)
{
    if (!name || !*name || !strcmp(name, "en"))
        *out = LFR_LANG_EN;
    else if (!strcmp(name, "cy"))
        *out = LFR_LANG_CY;
    else
        return -1;
    return 0;
}

const char *tr(lfr_lang lang, const char *key)
{
    pthread_once(&loaded, load);
    const char *s = json_string_value(json_object_get(catalogues[lang == LFR_LANG_CY], key));
    if (!s) s = json_string_value(json_object_get(catalogues[0], key));
    return s ? s : key; /* a key missing from both: lfr_lang_check fails the tests */
}

/* Writes text with each {name} replaced by its value from the pairs
 * (name, value, ..., NULL), escaped for HTML when html. */
static void put_filled(buf *b, int html, const char *text, va_list ap)
{
    const char *names[16], *values[16];
    int n = 0;
    for (const char *name; n < 16 && (name = va_arg(ap, const char *));) {
        names[n] = name;
        values[n++] = va_arg(ap, const char *);
    }
    while (*text) {
        const char *open = strchr(text, '{'), *close = open ? strchr(open, '}') : NULL;
        const char *value = NULL;
        for (int i = 0; close && i < n && !value; i++)
            if ((size_t)(close - open - 1) == strlen(names[i]) &&
                !strncmp(open + 1, names[i], strlen(names[i])))
                value = values[i] ? values[i] : "";
        size_t upto = value   ? (size_t)(open - text)
                      : close ? (size_t)(close + 1 - text)
                              : strlen(text);
        char piece[512];
        for (size_t done = 0; done < upto;) {
            size_t k = upto - done < sizeof piece - 1 ? upto - done : sizeof piece - 1;
            memcpy(piece, text + done, k);
            piece[k] = '\0';
            if (html)
                buf_html(b, piece);
            else
                buf_printf(b, "%s", piece);
            done += k;
        }
        if (value) {
            if (html)
                buf_html(b, value);
            else
                buf_printf(b, "%s", value);
        }
        text += value ? (size_t)(close + 1 - text) : upto;
    }
}

void buf_tr(buf *b, lfr_lang lang, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    put_filled(b, 0, tr(lang, key), ap);
    va_end(ap);
}

void buf_tr_html(buf *b, lfr_lang lang, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    put_filled(b, 1, tr(lang, key), ap);
    va_end(ap);
}

void tr_format(char *out, size_t len, lfr_lang lang, const char *key, ...)
{
    buf b = {0};
    va_list ap;
    va_start(ap, key);
    put_filled(&b, 0, tr(lang, key), ap);
    va_end(ap);
    snprintf(out, len, "%s", b.p && !b.oom ? b.p : "");
    buf_free(&b);
}

/* The {names} of a text, sorted and joined, for comparing two languages. */
static void placeholders(const char *text, char *out, size_t len)
{
    const char *found[32];
    size_t sizes[32];
    int n = 0;
    for (const char *p = text; (p = strchr(p, '{')) && n < 32; p++) {
        const char *close = strchr(p, '}');
        if (!close) break;
        found[n] = p;
        sizes[n++] = (size_t)(close - p + 1);
    }
    for (int i = 1; i < n; i++) /* insertion sort: a handful */
        for (int j = i; j > 0 && strncmp(found[j - 1], found[j], 64) > 0; j--) {
            const char *t = found[j];
            size_t s = sizes[j];
            found[j] = found[j - 1];
            sizes[j] = sizes[j - 1];
            found[j - 1] = t;
            sizes[j - 1] = s;
        }
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used + sizes[i] < len; i++) {
        memcpy(out + used, found[i], sizes[i]);
        used += sizes[i];
        out[used] = '\0';
    }
}

int lfr_lang_check(lfr_ctx *ctx, int64_t *n_keys)
{
    pthread_once(&loaded, load);
    *n_keys = 0;
    if (load_error[0]) return lfr_fail(ctx, LFR_EFORMAT, "%s", load_error);
    const char *names[2] = {"en", "cy"};
    for (int i = 0; i < 2; i++) {
        const char *key;
        json_t *v;
        json_object_foreach(catalogues[i], key, v)
        {
            const char *text = json_string_value(v);
            json_t *other = json_object_get(catalogues[!i], key);
            if (!text || !*text)
                return lfr_fail(ctx, LFR_EFORMAT, "web/lang/%s.json: '%s' is not a text", names[i],
                                key);
            if (!json_string_value(other))
                return lfr_fail(ctx, LFR_EFORMAT, "web/lang/%s.json has '%s' but %s.json has not",
                                names[i], key, names[!i]);
            char mine[512], theirs[512];
            placeholders(text, mine, sizeof mine);
            placeholders(json_string_value(other), theirs, sizeof theirs);
            if (strcmp(mine, theirs))
                return lfr_fail(ctx, LFR_EFORMAT,
                                "'%s': the placeholders differ: %s.json has '%s', %s.json '%s'",
                                key, names[i], mine, names[!i], theirs);
        }
    }
    *n_keys = (int64_t)json_object_size(catalogues[0]);
    return LFR_OK;
}
