/* report/page.c - how the HTML documents look: one stylesheet (printable,
 * no scripts, no external fonts or images: the page must work offline and
 * on a force website as it is), the figure rows, and SVG charts drawn
 * here rather than by a script so that what is published is what was
 * tested. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#eef0f3;color:#1d2430;font:16px/1.55 'DejaVu Sans','Helvetica "
    "Neue',Arial,sans-serif}"
    "main{max-width:880px;margin:28px auto;background:#fff;box-shadow:0 1px 4px "
    "rgba(0,0,0,.12)}"
    "header{background:#14213d;color:#fff;padding:28px 44px 24px}"
    "header .kind{font-size:13px;letter-spacing:.08em;text-transform:uppercase;color:#b8c4dc}"
    "header h1{margin:6px 0 4px;font:600 30px/1.25 'DejaVu Serif',Georgia,serif}"
    "header .sub{color:#dfe5f0;font-size:15px}"
    "section{padding:6px 44px 14px}"
    "h2{font:600 20px/1.3 'DejaVu Serif',Georgia,serif;color:#14213d;border-bottom:2px solid "
    "#e3e7ee;padding-bottom:6px;margin:24px 0 12px}"
    "p{margin:8px 0}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:15px}"
    "th,td{padding:7px 10px;border-bottom:1px solid #e3e7ee;text-align:left;vertical-align:top}"
    "thead th{background:#f4f6f9;color:#3b4658;font-weight:600;font-size:13px;"
    "text-transform:uppercase;letter-spacing:.04em}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tbody th{font-weight:normal;color:#3b4658;width:46%}"
    "td[data-k$='/date']{white-space:nowrap}"
    "tr.total td,tr.total th{font-weight:600;border-top:2px solid #c9d0db}"
    ".facts{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}"
    ".fact{flex:1 1 120px;background:#f4f6f9;border-left:4px solid #2a6f97;padding:10px 14px}"
    ".fact b{display:block;font-size:24px;color:#14213d;font-variant-numeric:tabular-nums}"
    ".fact span{font-size:13px;color:#4c5668}"
    ".notice{background:#fff7e0;border-left:4px solid #e0a100;padding:10px 14px;margin:12px 0}"
    ".ok{background:#e8f5ee;border-left:4px solid #2e8b57;padding:10px 14px;margin:12px 0}"
    ".muted{color:#5d6778;font-size:14px}"
    "ul{margin:6px 0 10px 22px;padding:0}li{margin:3px 0}"
    "figure{margin:12px 0 18px}figcaption{font-size:14px;color:#4c5668;margin-top:4px}"
    "footer{padding:16px 44px 26px;color:#5d6778;font-size:13px;border-top:1px solid #e3e7ee}"
    "@media print{body{background:#fff}main{box-shadow:none;margin:0}}";

void page_begin(buf *b, lfr_lang lang, const char *title, const char *kind, const char *subtitle)
{
    buf_printf(b, "<!doctype html>\n<html lang=\"");
    buf_tr_html(b, lang, "doc.page.lang", NULL);
    buf_printf(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>");
    buf_html(b, title);
    buf_printf(b,
               "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<header>\n"
               "<div class=\"kind\">",
               css);
    buf_html(b, kind);
    buf_printf(b, "</div>\n<h1>");
    buf_html(b, title);
    buf_printf(b, "</h1>\n");
    if (subtitle && *subtitle) {
        buf_printf(b, "<div class=\"sub\">");
        buf_html(b, subtitle);
        buf_printf(b, "</div>\n");
    }
    buf_printf(b, "</header>\n");
}

void page_end(buf *b, const char *footer)
{
    buf_printf(b, "<footer>");
    buf_html(b, footer);
    buf_printf(b, "</footer>\n</main>\n</body>\n</html>\n");
}

/* A cell showing `human` for the published value v. */
static void cell_shown(buf *b, const char *key, const json_t *v, const char *human)
{
    char raw[4200];
    value_text(v, raw, sizeof raw);
    int numeric = json_is_number(v) || is_suppressed(v);
    buf_printf(b, "<td%s data-k=\"", numeric ? " class=\"n\"" : "");
    buf_html(b, key);
    buf_printf(b, "\" data-v=\"");
    buf_html(b, raw);
    buf_printf(b, "\">");
    buf_html(b, human);
    buf_printf(b, "</td>");
}

void html_cell(buf *b, lfr_lang lang, const char *key, const char *field, const json_t *v)
{
    char human[4200];
    value_human(lang, field, v, human, sizeof human);
    cell_shown(b, key, v, human);
}

void html_figure_row(buf *b, lfr_lang lang, const char *key, const char *label, const json_t *v,
                     const char *shown)
{
    buf_printf(b, "<tr><th>");
    buf_html(b, label);
    buf_printf(b, "</th>");
    if (shown)
        cell_shown(b, key, v, shown);
    else
        html_cell(b, lang, key, key, v);
    buf_printf(b, "</tr>\n");
}

void html_facts(buf *b, lfr_lang lang, const json_t *row, const char *const *keys, int n)
{
    buf_printf(b, "<div class=\"facts\">");
    for (int i = 0; i < n; i++) {
        char h[64], caption[64];
        value_human(lang, keys[i], json_object_get(row, keys[i]), h, sizeof h);
        snprintf(caption, sizeof caption, "doc.fact.%s", keys[i]);
        buf_printf(b, "<div class=\"fact\"><b>");
        buf_html(b, h);
        buf_printf(b, "</b><span>");
        buf_tr_html(b, lang, caption, NULL);
        buf_printf(b, "</span></div>");
    }
    buf_printf(b, "</div>\n");
}

void html_h2(buf *b, lfr_lang lang, const char *key)
{
    buf_printf(b, "<h2>");
    buf_tr_html(b, lang, key, NULL);
    buf_printf(b, "</h2>\n");
}

void html_thead(buf *b, lfr_lang lang, const char *const *keys, int n, int numeric)
{
    buf_printf(b, "<table><thead><tr>");
    for (int i = 0; i < n; i++) {
        buf_printf(b, "<th%s>", i >= numeric ? " class=\"n\"" : "");
        buf_tr_html(b, lang, keys[i], NULL);
        buf_printf(b, "</th>");
    }
    buf_printf(b, "</tr></thead><tbody>\n");
}

void html_published_note(buf *b, lfr_lang lang)
{
    buf_tr_html(b, lang, "doc.note.alert_kinds", NULL);
    buf_printf(b, " ");
    buf_tr_html(b, lang, "doc.note.suppression", "small", SUPPRESS_SMALL, "secondary",
                SUPPRESS_SECONDARY, NULL);
}

#define CHART_W 780
#define LABEL_W 230
#define ROW_H 30

static const char *const palette[] = {"#2a6f97", "#c0392b", "#8a94a6", "#2e8b57", "#e0a100"};

/* A label cut to what fits left of the bars, at a character boundary. */
static void label_fitted(buf *b, const char *label)
{
    char s[LABEL_W / 9 + 8];
    size_t n = strlen(label), max = LABEL_W / 9;
    if (n <= max) {
        buf_html(b, label);
        return;
    }
    while (max > 0 && ((unsigned char)label[max] & 0xC0) == 0x80)
        max--;
    snprintf(s, sizeof s, "%.*s\xe2\x80\xa6", (int)max, label);
    buf_html(b, s);
}

void svg_bars(buf *b, const char *title, const bar *bars, int n)
{
    double max = 0;
    for (int i = 0; i < n; i++)
        max = fmax(max, bars[i].value);
    int h = 44 + n * ROW_H + 10, x0 = LABEL_W, x1 = CHART_W - 110;
    buf_printf(b,
               "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
               CHART_W, h, CHART_W, h);
    buf_html(b, title);
    buf_printf(b, "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"14\">\n"
                  "<text x=\"0\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"#14213d\">");
    buf_html(b, title);
    buf_printf(b, "</text>\n<line x1=\"%d\" y1=\"34\" x2=\"%d\" y2=\"%d\" stroke=\"#9aa3b2\"/>\n",
               x0, x0, 36 + n * ROW_H);
    for (int i = 0; i < n; i++) {
        int y = 40 + i * ROW_H;
        double w = max > 0 ? bars[i].value / max * (x1 - x0) : 0;
        buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#3b4658\">", x0 - 10,
                   y + 17);
        label_fitted(b, bars[i].label);
        buf_printf(b,
                   "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
                   "rx=\"2\"/>\n<text x=\"%.1f\" y=\"%d\" fill=\"#1d2430\">",
                   x0, y + 3, w, ROW_H - 8, bars[i].colour ? bars[i].colour : palette[0],
                   x0 + w + 8, y + 17);
        buf_html(b, bars[i].text);
        buf_printf(b, "</text>\n");
    }
    buf_printf(b, "</svg></figure>\n");
}

void svg_intervals(buf *b, lfr_lang lang, const char *title, const interval *iv, int n, double max)
{
    int h = 44 + n * ROW_H + 40, x0 = LABEL_W, x1 = CHART_W - 40;
    buf_printf(b,
               "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
               CHART_W, h, CHART_W, h);
    buf_html(b, title);
    buf_printf(b, "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"14\">\n"
                  "<text x=\"0\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"#14213d\">");
    buf_html(b, title);
    buf_printf(b, "</text>\n");
    int y_axis = 40 + n * ROW_H + 4;
    for (int t = 0; t <= 4; t++) {
        double x = x0 + (x1 - x0) * t / 4.0;
        buf_printf(b,
                   "<line x1=\"%.1f\" y1=\"34\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e3e7ee\"/>\n"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#5d6778\" "
                   "font-size=\"12\">%.0f%%</text>\n",
                   x, x, y_axis, x, y_axis + 16, 100 * max * t / 4.0);
    }
    for (int i = 0; i < n; i++) {
        int y = 40 + i * ROW_H, cy = y + ROW_H / 2;
        buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#3b4658\">", x0 - 10,
                   cy + 5);
        buf_html(b, iv[i].label);
        buf_printf(b, "</text>\n");
        if (iv[i].hidden) {
            buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#5d6778\" font-style=\"italic\">", x0 + 8,
                       cy + 5);
            buf_tr_html(b, lang, "doc.chart.hidden", NULL);
            buf_printf(b, "</text>\n");
            continue;
        }
        double xl = x0 + (x1 - x0) * fmin(iv[i].lo / max, 1),
               xh = x0 + (x1 - x0) * fmin(iv[i].hi / max, 1),
               xp = x0 + (x1 - x0) * fmin(iv[i].p / max, 1);
        buf_printf(b,
                   "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"#2a6f97\" "
                   "fill-opacity=\".22\"/>\n<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                   "stroke=\"#2a6f97\" stroke-width=\"2\"/>\n<circle cx=\"%.1f\" cy=\"%d\" "
                   "r=\"5\" fill=\"#14213d\"/>\n",
                   xl, cy - 6, fmax(xh - xl, 1), xl, cy, xh, cy, xp, cy);
    }
    buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#5d6778\" font-size=\"12\">", x0, y_axis + 34);
    buf_tr_html(b, lang, "doc.chart.legend", NULL);
    buf_printf(b, "</text>\n</svg></figure>\n");
}
