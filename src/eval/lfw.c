/* eval/lfw.c - reading LFW pair lists into a table of unique images. */
#include "lfr/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS_MAX_BYTES (16 * 1024 * 1024)
#define LFW_MAX_PAIRS 1000000

typedef struct builder {
    lfr_ctx *ctx;
    const char *lfw_dir;
    lfr_pairs *p;
    int cap_paths, cap_pairs;
} builder;

/* Index of the image NAME_NNNN, adding it; -1 on out of memory. A linear
 * search would be quadratic over LFW's 13,000 images, so paths are kept in a
 * sorted side index. */
typedef struct path_index {
    char *key;
    int id;
} path_index;

static int cmp_index(const void *a, const void *b)
{
    return strcmp(((const path_index *)a)->key, ((const path_index *)b)->key);
}

static int image_id(builder *b, path_index **idx, const char *name, int number)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/images/%s/%s_%04d.jpg", b->lfw_dir, name, name, number);
    lfr_pairs *p = b->p;
    path_index key = {path, 0};
    path_index *hit =
        p->n_paths ? bsearch(&key, *idx, (size_t)p->n_paths, sizeof **idx, cmp_index) : NULL;
    if (hit) return hit->id;
    if (p->n_paths == b->cap_paths) {
        int ncap = b->cap_paths ? 2 * b->cap_paths : 1024;
        char **np = lfr_realloc(p->paths, (size_t)ncap * sizeof *np);
        if (!np) return -1;
        p->paths = np;
        path_index *ni = lfr_realloc(*idx, (size_t)ncap * sizeof *ni);
        if (!ni) return -1;
        *idx = ni;
        b->cap_paths = ncap;
    }
    char *copy = lfr_strdup(path);
    if (!copy) return -1;
    int id = p->n_paths;
    p->paths[id] = copy;
    /* Insert into the sorted index. */
    int pos = p->n_paths;
    while (pos > 0 && strcmp((*idx)[pos - 1].key, copy) > 0) {
        (*idx)[pos] = (*idx)[pos - 1];
        pos--;
    }
    (*idx)[pos] = (path_index){copy, id};
    p->n_paths++;
    return id;
}

static int add_pair(builder *b, int a, int bb, int same, int fold)
{
    lfr_pairs *p = b->p;
    if (p->n_pairs == b->cap_pairs) {
        int ncap = b->cap_pairs ? 2 * b->cap_pairs : 1024;
        lfr_pair *np = lfr_realloc(p->pairs, (size_t)ncap * sizeof *np);
        if (!np) return -1;
        p->pairs = np;
        b->cap_pairs = ncap;
    }
    p->pairs[p->n_pairs++] = (lfr_pair){a, bb, same, fold};
    return 0;
}

int lfr_pairs_load_lfw(lfr_ctx *ctx, const char *lfw_dir, const char *pairs_file, int limit,
                       lfr_pairs **out)
{
    *out = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, pairs_file, PAIRS_MAX_BYTES, &text, &len);
    if (rc) return rc;
    text[len] = '\0';
    lfr_pairs *p = lfr_calloc(1, sizeof *p);
    path_index *idx = NULL;
    builder b = {ctx, lfw_dir, p, 0, 0};
    if (!p) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", pairs_file);
        goto fail;
    }
    char *save = NULL;
    char *line = strtok_r((char *)text, "\n", &save);
    int folds = 0, per_class = 0, line_no = 1;
    /* View 2 starts "10 300" (folds, pairs per class); View 1's dev files
     * just "1100" (one fold). */
    int fields = line ? sscanf(line, "%d %d", &folds, &per_class) : 0;
    if (fields == 1) {
        per_class = folds;
        folds = 1;
    }
    if (fields < 1 || folds < 1 || folds > 10 || per_class < 1 ||
        (long)folds * per_class * 2 > LFW_MAX_PAIRS) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s:1: expected 'FOLDS PAIRS' (folds 1..10) or 'PAIRS'",
                      pairs_file);
        goto fail;
    }
    p->n_folds = folds;
    for (int f = 0; f < folds; f++) {
        for (int same = 1; same >= 0; same--) {
            for (int k = 0; k < per_class; k++) {
                line = strtok_r(NULL, "\n", &save);
                line_no++;
                char n1[256], n2[256];
                int i1, i2, got = 0;
                if (line) {
                    if (same)
                        got = sscanf(line, "%255s %d %d", n1, &i1, &i2) == 3;
                    else
                        got = sscanf(line, "%255s %d %255s %d", n1, &i1, n2, &i2) == 4;
                }
                if (!got || i1 < 1 || i2 < 1 || i1 > 9999 || i2 > 9999) {
                    rc =
                        lfr_fail(ctx, LFR_EFORMAT, "%s:%d: expected a %s pair", pairs_file, line_no,
                                 same ? "'NAME N1 N2' same" : "'NAME1 N1 NAME2 N2' different");
                    goto fail;
                }
                if (limit > 0 && k >= limit) continue;
                int a = image_id(&b, &idx, n1, i1);
                int c = a < 0 ? -1 : image_id(&b, &idx, same ? n1 : n2, i2);
                if (c < 0 || add_pair(&b, a, c, same, f)) {
                    rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", pairs_file);
                    goto fail;
                }
            }
        }
    }
    lfr_free(idx);
    lfr_free(text);
    *out = p;
    return LFR_OK;
fail:
    lfr_free(idx);
    lfr_free(text);
    lfr_pairs_free(p);
    return rc;
}

void lfr_pairs_free(lfr_pairs *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_paths; i++)
        lfr_free(p->paths[i]);
    lfr_free(p->paths);
    lfr_free(p->pairs);
    lfr_free(p);
}
