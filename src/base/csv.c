/* base/csv.c - writing and reading comma-separated values as RFC 4180 has them:
 * fields in double quotes may hold commas, line breaks and doubled quotes;
 * records end in CRLF or LF. Spreadsheets add a UTF-8 byte order mark and
 * a blank last line; both are accepted. Anything else malformed is refused
 * with its line, never guessed at: a watchlist import must not shift a
 * column. */
#include "lfr/base.h"

#include <string.h>

#define CSV_MAX_FIELDS 64

typedef struct record {
    char *text; /* the fields, each NUL-terminated, one after another */
    size_t len, cap;
    size_t starts[CSV_MAX_FIELDS];
    int n;
} record;

static int record_put(lfr_ctx *ctx, record *r, char c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *t = lfr_wipe_realloc(r->text, cap);
        if (!t) return lfr_fail(ctx, LFR_ENOMEM, "csv: out of memory");
        r->text = t;
        r->cap = cap;
    }
    r->text[r->len++] = c;
    return LFR_OK;
}

static int end_field(lfr_ctx *ctx, record *r, size_t start, const char *name, int line)
{
    if (r->n == CSV_MAX_FIELDS)
        return lfr_fail(ctx, LFR_EFORMAT, "%s line %d: more than %d fields", name, line,
                        CSV_MAX_FIELDS);
    int rc = record_put(ctx, r, '\0');
    if (!rc) r->starts[r->n++] = start;
    return rc;
}

/* Calls fn with the record, unless it is a blank line, and empties it. */
static int end_record(lfr_ctx *ctx, record *r, int line, int quoted, lfr_csv_fn fn, void *arg)
{
    int blank = r->n == 1 && r->text[0] == '\0' && !quoted;
    const char *fields[CSV_MAX_FIELDS];
    for (int i = 0; i < r->n; i++)
        fields[i] = r->text + r->starts[i];
    int rc = blank ? LFR_OK : fn(ctx, line, r->n, fields, arg);
    lfr_wipe(r->text, r->len);
    r->len = 0;
    r->n = 0;
    return rc;
}

int lfr_csv_parse(lfr_ctx *ctx, const char *name, const char *text, size_t len, lfr_csv_fn fn,
                  void *arg)
{
    record r = {0};
    size_t i = 0;
    int line = 1, record_line = 1, rc = LFR_OK;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) i = 3;
    /* Each pass reads one field and what ends it. */
    while (rc == LFR_OK && i < len) {
        size_t start = r.len;
        int quoted = text[i] == '"';
        if (quoted) {
            int closed = 0;
            for (i++; i < len && rc == LFR_OK; i++) {
                char c = text[i];
                if (c == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        rc = record_put(ctx, &r, '"');
                        i++;
                        continue;
                    }
                    closed = 1;
                    i++;
                    break;
                }
                if (c == '\0') {
                    rc =
                        lfr_fail(ctx, LFR_EFORMAT, "%s line %d: a NUL byte in a field", name, line);
                    break;
                }
                if (c == '\n') line++;
                rc = record_put(ctx, &r, c);
            }
            if (rc) break;
            if (!closed) {
                rc = lfr_fail(ctx, LFR_EFORMAT, "%s line %d: a quoted field is not closed", name,
                              record_line);
                break;
            }
        } else {
            for (; i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r' && rc == LFR_OK;
                 i++) {
                if (text[i] == '"' || text[i] == '\0') {
                    rc = lfr_fail(ctx, LFR_EFORMAT,
                                  "%s line %d: %s inside a field that is not quoted", name, line,
                                  text[i] ? "a quote" : "a NUL byte");
                    break;
                }
                rc = record_put(ctx, &r, text[i]);
            }
            if (rc) break;
        }
        if ((rc = end_field(ctx, &r, start, name, record_line))) break;
        if (i == len) break;
        char c = text[i];
        if (c == ',') {
            i++;
            if (i == len) rc = end_field(ctx, &r, r.len, name, record_line); /* "a,b," ends empty */
            continue;
        }
        if (c == '\r' && i + 1 < len && text[i + 1] == '\n') i++;
        if (c == '\n' || c == '\r') {
            rc = end_record(ctx, &r, record_line, quoted, fn, arg);
            i++;
            record_line = ++line;
            continue;
        }
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s line %d: text after a closing quote", name, line);
    }
    if (rc == LFR_OK && r.n) rc = end_record(ctx, &r, record_line, 0, fn, arg);
    lfr_wipe_free(r.text, r.cap);
    return rc;
}

void lfr_csv_write(const char *s, lfr_put_fn put, void *arg)
{
    if (!s) s = "";
    /* A leading =, +, - or @ would run as a formula in a spreadsheet. */
    int formula = *s && strchr("=+-@", *s) && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9');
    /* A byte order mark first in a file is skipped by the reader: quoted,
     * a field that starts with one reads back whole. */
    int bom = !strncmp(s, "\xEF\xBB\xBF", 3);
    if (!strpbrk(s, ",\"\r\n") && !formula && !bom) {
        put(arg, s, strlen(s));
        return;
    }
    put(arg, "\"", 1);
    if (formula) put(arg, "'", 1);
    for (const char *run = s;; s++) {
        if (*s == '"' || !*s) {
            put(arg, run, (size_t)(s - run + (*s == '"')));
            if (!*s) break;
            run = s; /* the quote again: doubled */
        }
    }
    put(arg, "\"", 1);
}
