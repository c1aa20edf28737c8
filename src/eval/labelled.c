/* eval/labelled.c - an image set with identity labels (LFW's manifest.csv),
 * with identities filed under two names merged into one. */
#include "lfr/eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MANIFEST_MAX_BYTES (64 * 1024 * 1024)
#define NAMES_MAX 1000000

typedef struct name_table {
    char **names;
    int n, cap;
} name_table;

/* Index of name, adding it. Names arrive grouped in LFW's sorted manifest,
 * so the last name is checked first; -1 on out of memory. */
static int name_index(name_table *t, const char *name)
{
    if (t->n && !strcmp(t->names[t->n - 1], name)) return t->n - 1;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], name)) return i;
    if (t->n == t->cap) {
        int ncap = t->cap ? 2 * t->cap : 1024;
        char **nn = lfr_realloc(t->names, (size_t)ncap * sizeof *nn);
        if (!nn) return -1;
        t->names = nn;
        t->cap = ncap;
    }
    char *copy = lfr_strdup(name);
    if (!copy) return -1;
    t->names[t->n] = copy;
    return t->n++;
}

static int apply_merges(lfr_ctx *ctx, lfr_labelled *s, const char *merge_file)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, merge_file, 1 << 20, &text, &len);
    if (rc) return rc;
    text[len] = '\0';
    int line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char a[256], b[256];
        if (sscanf(line, " %255[^, \t\r] , %255[^, \t\r]", a, b) != 2) {
            if (strspn(line, " \t\r") == strlen(line)) continue;
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s:%d: expected 'NAME,SAME_AS'", merge_file, line_no);
            break;
        }
        int ia = -1, ib = -1;
        for (int i = 0; i < s->n_names; i++) {
            if (!strcmp(s->names[i], a)) ia = i;
            if (!strcmp(s->names[i], b)) ib = i;
        }
        if (ia < 0 || ib < 0) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s:%d: no identity named '%s'", merge_file, line_no,
                          ia < 0 ? a : b);
            break;
        }
        if (ia == ib) continue;
        for (int i = 0; i < s->n; i++)
            if (s->label[i] == ib) s->label[i] = ia;
        s->n_merged++;
    }
    lfr_free(text);
    return rc;
}

int lfr_labelled_load_lfw(lfr_ctx *ctx, const char *lfw_dir, const char *merge_file,
                          lfr_labelled **out)
{
    *out = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.csv", lfw_dir);
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, path, MANIFEST_MAX_BYTES, &text, &len);
    if (rc) return rc;
    text[len] = '\0';
    lfr_labelled *s = lfr_calloc(1, sizeof *s);
    name_table names = {0};
    int cap = 0, line_no = 0;
    if (!s) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        if (line_no == 1 && !strncmp(line, "path,", 5)) continue;
        char rel[1024], name[256];
        if (sscanf(line, "%1023[^,],%255[^,\r\n]", rel, name) != 2 || strstr(rel, "..")) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s:%d: expected 'path,identity'", path, line_no);
            goto fail;
        }
        if (s->n == cap) {
            int ncap = cap ? 2 * cap : 4096;
            char **np = lfr_realloc(s->paths, (size_t)ncap * sizeof *np);
            if (np) s->paths = np;
            int *nl = np ? lfr_realloc(s->label, (size_t)ncap * sizeof *nl) : NULL;
            if (!np || !nl) {
                rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            s->label = nl;
            cap = ncap;
        }
        char full[5200];
        snprintf(full, sizeof full, "%s/%s", lfw_dir, rel);
        int id = names.n < NAMES_MAX ? name_index(&names, name) : -1;
        s->paths[s->n] = id >= 0 ? lfr_strdup(full) : NULL;
        if (!s->paths[s->n]) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        s->label[s->n++] = id;
    }
    s->names = names.names;
    s->n_names = names.n;
    names.names = NULL;
    if (s->n == 0) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: no images listed", path);
        goto fail;
    }
    if (merge_file && (rc = apply_merges(ctx, s, merge_file))) goto fail;
    lfr_free(text);
    *out = s;
    return LFR_OK;
fail:
    for (int i = 0; i < names.n && names.names; i++)
        lfr_free(names.names[i]);
    lfr_free(names.names);
    lfr_free(text);
    lfr_labelled_free(s);
    return rc;
}

void lfr_labelled_free(lfr_labelled *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++)
        lfr_free(s->paths[i]);
    for (int i = 0; i < s->n_names; i++)
        lfr_free(s->names[i]);
    lfr_free(s->paths);
    lfr_free(s->label);
    lfr_free(s->names);
    lfr_free(s);
}

double lfr_expected_false_alerts(double faces, int watchlist_size, double fmr)
{
    if (faces <= 0 || watchlist_size <= 0 || fmr <= 0) return 0;
    /* log1p/expm1 keep 1 - (1 - fmr)^n accurate at fmr = 1e-7. */
    double fpir = -expm1((double)watchlist_size * log1p(-fmr));
    return faces * fpir;
}
