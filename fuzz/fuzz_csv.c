/* fuzz/fuzz_csv.c - libFuzzer target for the CSV reader (watchlist
 * imports) and writer: any bytes give records or an error naming the line,
 * never a crash; and every record read, written back with lfr_csv_write and
 * read again, gives the same fields (unless the writer made a formula into
 * text, which it marks with a leading quote). */
#include "lfr/base.h"

#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put_text(void *arg, const char *bytes, size_t n)
{
    text *t = arg;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *p = realloc(t->p, cap);
        if (!p) __builtin_trap();
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, bytes, n);
    t->len += n;
}

typedef struct again {
    int n;
    const char *const *want;
    int checked;
} again;

static int compare(lfr_ctx *ctx, int line, int n, const char *const *fields, void *arg)
{
    (void)ctx;
    (void)line;
    again *a = arg;
    if (a->checked++ || n != a->n) __builtin_trap();
    for (int i = 0; i < n; i++) {
        const char *got = fields[i];
        /* The writer keeps a spreadsheet from running a formula. */
        if (got[0] == '\'' && strchr("=+-@", a->want[i][0]) && a->want[i][0]) got++;
        if (strcmp(got, a->want[i])) __builtin_trap();
    }
    return LFR_OK;
}

static int on_record(lfr_ctx *ctx, int line, int n, const char *const *fields, void *arg)
{
    (void)arg;
    if (line < 1 || n < 1 || n > 64) __builtin_trap();
    text t = {0};
    for (int i = 0; i < n; i++) {
        if (i) put_text(&t, ",", 1);
        lfr_csv_write(fields[i], put_text, &t);
    }
    put_text(&t, "\r\n", 2);
    again a = {n, fields, 0};
    lfr_ctx *inner = NULL;
    if (lfr_ctx_new(&inner) != LFR_OK) __builtin_trap();
    int rc = lfr_csv_parse(inner, "again", t.p, t.len, compare, &a);
    /* A record of one empty field is a blank line, which the reader skips. */
    int blank = n == 1 && !*fields[0];
    if (rc != LFR_OK || (a.checked != 1 && !blank)) __builtin_trap();
    lfr_ctx_free(inner);
    free(t.p);
    if (n == 1 && !strcmp(fields[0], "refused")) return lfr_fail(ctx, LFR_EINVAL, "refused");
    return LFR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    int rc = lfr_csv_parse(ctx, "fuzzed.csv", (const char *)data, size, on_record, NULL);
    if (rc != LFR_OK && rc != LFR_EINVAL && !strstr(lfr_errmsg(ctx), "fuzzed.csv line "))
        __builtin_trap();
    return 0;
}
