/* report/internal.h - private to the report module: a growing text buffer
 * with HTML and CSV escaping, the statistics and disclosure control of
 * published figures, the page shell and the SVG charts. */
#ifndef LFR_REPORT_INTERNAL_H
#define LFR_REPORT_INTERNAL_H

#include "lfr/report.h"

/* Text being written; on allocation failure it stops growing and remembers
 * it, so writers check once at the end (buf_take). */
typedef struct buf {
    char *p;
    size_t len, cap;
    int oom;
} buf;

void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with &, <, >, " and ' escaped: everything interpolated into HTML. */
void buf_html(buf *b, const char *s);
/* One CSV field: quoted when it holds a comma, quote or line break. */
void buf_csv(buf *b, const char *s);
/* A JSON document, indented, with a final newline. */
void buf_json(buf *b, const json_t *doc);
/* Hands the text over (*out owned, lfr_free), or fails with LFR_ENOMEM;
 * frees the buffer either way. */
int buf_take(lfr_ctx *ctx, buf *b, char **out, size_t *len);
void buf_free(buf *b);

/* Words in a language (report/lang.c): the catalogue's text of key
 * (English when the language lacks it). buf_tr writes it with each {name}
 * filled from the pairs that follow (name, value, ..., NULL; a NULL value
 * fills ""), buf_tr_html the same escaped for HTML, tr_format into out. */
const char *tr(lfr_lang lang, const char *key);
void buf_tr(buf *b, lfr_lang lang, const char *key, ...) __attribute__((sentinel));
void buf_tr_html(buf *b, lfr_lang lang, const char *key, ...) __attribute__((sentinel));
void tr_format(char *out, size_t len, lfr_lang lang, const char *key, ...)
    __attribute__((sentinel));

/* UTF-8 text in capitals, in place: ASCII, the small letters of Latin-1
 * and those of Latin Extended-A that pair with a capital just before them,
 * which covers Welsh (â, ê, î, ô, û, ŵ, ŷ, ä, ï...); anything else stays as
 * it is. */
void text_upper(char *s);

/* A published value as text: integers plain, reals with up to 6
 * significant digits, strings (a suppressed "<5" or "[c]") as they are,
 * null empty. */
void value_text(const json_t *v, char *out, size_t len);
/* The same for a person to read: thousands separated, percentages for
 * fields named *_share*, UTC times as "1 Dec 2026 09:00" (time_short),
 * "-" for null. */
void value_human(lfr_lang lang, const char *field, const json_t *v, char *out, size_t len);

/* Statistical disclosure control (PUB-3): counts of one table that add up
 * to a published total. Cells of 1-4 become "<5"; then, while the hidden
 * cells' sum (the total minus the shown cells) can be made in only one way
 * by what a reader knows of them, the smallest other cell of 5 or more
 * becomes "[c]"; when none is left, the total must be hidden too (returns
 * 1). n <= 16. Returns new JSON values into out (integers or strings). */
#define SUPPRESS_SMALL "<5"
#define SUPPRESS_SECONDARY "[c]"
int suppress_table(const int64_t *counts, int n, int64_t total, json_t **out);
/* A total on its own: "<5" for 1-4. */
json_t *suppress_count(int64_t n);
/* Whether a published value was suppressed. */
int is_suppressed(const json_t *v);

/* x rounded to `digits` decimals, as a JSON real. */
json_t *rounded(double x, int digits);

/* Times as people read them, in the words of lang (doc.date.*):
 * "Tuesday 1 December 2026, 09:00 UTC" (with the weekday) or
 * "1 Dec 2026 09:00"; "-" for null. */
void time_long(lfr_lang lang, const json_t *ms, char *out, size_t len);
void time_short(lfr_lang lang, const json_t *ms, char *out, size_t len);
/* ISO 8601 UTC ("2026-12-01T09:00Z") of a ms value, "" for null. */
void time_iso(const json_t *ms, char *out, size_t len);

/* The page shell: <!doctype html> with the stylesheet, a title bar naming
 * the document and the REQUIREMENTS id; page_end closes it with a footer.
 * The texts come in lang already: lang only sets <html lang>. */
void page_begin(buf *b, lfr_lang lang, const char *title, const char *kind, const char *subtitle);
void page_end(buf *b, const char *footer);
/* A table row of one published figure: label, and the value in a cell
 * carrying data-k (the key the CSV and JSON use) and data-v (the value as
 * they write it), shown as `shown` or, when NULL, as value_human. */
void html_figure_row(buf *b, lfr_lang lang, const char *key, const char *label, const json_t *v,
                     const char *shown);
/* One such cell: <td data-k data-v>human</td>; field picks the human form. */
void html_cell(buf *b, lfr_lang lang, const char *key, const char *field, const json_t *v);
/* The key figures in large type: each key's value in row, captioned with
 * the catalogue's doc.fact.KEY. */
void html_facts(buf *b, lfr_lang lang, const json_t *row, const char *const *keys, int n);
/* A heading of the catalogue's text of key. */
void html_h2(buf *b, lfr_lang lang, const char *key);
/* Opens a table with a head of the catalogue's texts of keys; columns from
 * `numeric` on are figures, aligned right. */
void html_thead(buf *b, lfr_lang lang, const char *const *keys, int n, int numeric);
/* What the published documents say of their figures: true and false
 * alerts, and how small counts are hidden (escaped, without <p>). */
void html_published_note(buf *b, lfr_lang lang);

/* SVG charts (inline in the HTML). */
typedef struct bar {
    const char *label;
    double value;       /* drawn length */
    const char *text;   /* the value as printed beside it */
    const char *colour; /* NULL: the default */
} bar;
/* Horizontal bars scaled to the largest value. */
void svg_bars(buf *b, const char *title, const bar *bars, int n);
/* Proportions with their 95% intervals on a 0..max axis (percent). */
typedef struct interval {
    const char *label;
    double p, lo, hi;
    int hidden; /* suppressed: a note instead of a bar */
} interval;
void svg_intervals(buf *b, lfr_lang lang, const char *title, const interval *iv, int n, double max);

/* Refuses a format the document does not come in ("html, text"). */
int report_format_in(lfr_ctx *ctx, lfr_report_format f, unsigned allowed, const char *what);
#define FMT_BIT(f) (1u << (f))
/* Whether a deployment's figures show it is over (ended, reviewed or
 * cancelled after going live); else fails with LFR_EREFUSED. */
int report_over(lfr_ctx *ctx, const json_t *fig, const char *what);

/* The published row of a deployment (PUB-3): an ordered flat object of
 * field -> value, small counts suppressed. Shared by the record and the
 * summary so both publish the same figures. */
json_t *record_row(const json_t *fig);
/* The fields of a published row, in order, with the catalogue keys of
 * their labels and sections (tr them). */
typedef struct record_field {
    const char *key;
    const char *label;
    const char *section;
} record_field;
extern const record_field record_fields[];
extern const int n_record_fields;
/* The label in lang of a published row's field, or fallback when the row
 * has no such field. */
const char *record_label(lfr_lang lang, const char *field, const char *fallback);
/* What the published figures hold for a group or a model nobody
 * recorded: the machine value of CSV and JSON; the HTML says
 * doc.not_recorded in its language. */
#define NOT_RECORDED "not recorded"
/* The published totals of several deployments' figures (the same fields
 * as a row, plus "deployments"); *exact gets the unsuppressed sums (owned),
 * for the rates and for oversight. */
json_t *totals_row(const json_t *figs, json_t **exact);
/* Rates over exact sums (PUB-4): false alerts per 1,000 faces and as a
 * share of alerts, true alerts as a share, each with its Wilson 95%
 * interval (_lo, _hi). With shown (the published totals), every rate
 * whose count or denominator they suppressed is "[c]"; NULL: all shown
 * (oversight's exact figures). */
json_t *rates_of(const json_t *exact, const json_t *shown);
/* True and false alerts by officer-recorded group over the figures
 * (PUB-6): [{group, true_alerts, false_alerts, false_share, _lo, _hi}],
 * with small counts suppressed when `suppress`. */
json_t *groups_of(const json_t *figs, int suppress);

#endif
