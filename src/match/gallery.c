/* match/gallery.c - the in-memory gallery and its exact top-k search.
 *
 * Templates are rows of one matrix, so a search streams memory once. Ranking
 * needs the best template of each identity; instead of a score per identity
 * (a gallery-sized array per search), a bounded heap keeps the best
 * k x (most templates of any identity) rows, which must contain the best
 * template of each of the top k identities.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_ROWS 256 /* rows scored per step: 512 KiB of 512-d floats, in L2 */

typedef struct identity {
    char id[LFR_ID_MAX];
    int n_templates;
} identity;

struct lfr_gallery {
    lfr_gallery_params p;
    char model[LFR_ID_MAX];
    pthread_rwlock_t lock; /* read: searches; write: add, remove */
    int dim, dim8;         /* dim8: int8 rows padded to a multiple of 64 */
    /* rows (guarded by lock) */
    float *rows;
    int *row_ident, *row_tpl;
    int8_t *rows8;
    float *scale8, *l1_8; /* per row: quantisation step, L1 norm of the int8 row */
    int32_t *sum8;        /* per row: sum of its int8 values (for the VNNI kernel) */
    int n_rows, cap_rows;
    identity *idents;
    int n_ids, cap_ids;
    int max_tpl; /* most templates any identity has had: the heap's factor */
    idmap map;
};

lfr_gallery_params lfr_gallery_default_params(void)
{
    /* Keep in step with the comments in lfr/match.h. */
    return (lfr_gallery_params){.dim = 0,
                                .model = NULL,
                                .quantize_int8 = 0,
                                .max_identities = 1000000,
                                .max_templates = 4000000,
                                .max_templates_per_id = 64,
                                .locked = 1};
}

static const char *ident_key(const void *owner, int value)
{
    return ((const lfr_gallery *)owner)->idents[value].id;
}

int lfr_gallery_new(lfr_ctx *ctx, const lfr_gallery_params *p, lfr_gallery **out)
{
    *out = NULL;
    if (!p || p->dim < 2 || p->dim > 2048)
        return lfr_fail(ctx, LFR_EINVAL, "gallery: dim must be 2..2048");
    if (!p->model || !*p->model || strlen(p->model) >= LFR_ID_MAX)
        return lfr_fail(ctx, LFR_EINVAL, "gallery: model name must be 1..63 bytes");
    if (p->max_identities < 1 || p->max_templates < 1 || p->max_templates_per_id < 1)
        return lfr_fail(ctx, LFR_EINVAL, "gallery: limits must be positive");
    lfr_gallery *g = lfr_calloc(1, sizeof *g);
    if (!g) return lfr_fail(ctx, LFR_ENOMEM, "gallery: out of memory");
    g->p = *p;
    snprintf(g->model, sizeof g->model, "%s", p->model);
    g->p.model = g->model;
    g->dim = p->dim;
    g->dim8 = (p->dim + 63) / 64 * 64;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Writers first: a watchlist update must not wait behind a stream of
     * searches from busy cameras. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&g->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc) {
        lfr_free(g);
        return lfr_fail(ctx, LFR_ENOMEM, "gallery: cannot create its lock");
    }
    *out = g;
    return LFR_OK;
}

/* The templates' arrays: locked unless the gallery was asked otherwise. */
static void *templates_alloc(const lfr_gallery *g, size_t bytes)
{
    return g->p.locked ? lfr_locked_alloc(bytes) : lfr_calloc(1, bytes);
}

static void templates_free(const lfr_gallery *g, void *p, size_t bytes)
{
    if (g->p.locked)
        lfr_locked_free(p);
    else
        lfr_wipe_free(p, bytes);
}

void lfr_gallery_free(lfr_gallery *g)
{
    if (!g) return;
    size_t n = (size_t)g->cap_rows;
    templates_free(g, g->rows, n * (size_t)g->dim * sizeof(float));
    templates_free(g, g->rows8, n * (size_t)g->dim8);
    lfr_wipe_free(g->scale8, n * sizeof(float));
    lfr_wipe_free(g->l1_8, n * sizeof(float));
    lfr_wipe_free(g->sum8, n * sizeof(int32_t));
    lfr_free(g->row_ident);
    lfr_free(g->row_tpl);
    lfr_wipe_free(g->idents, (size_t)g->cap_ids * sizeof(identity));
    idmap_free(&g->map);
    pthread_rwlock_destroy(&g->lock);
    lfr_free(g);
}

/* Moves an array to a bigger allocation, wiping the old one: realloc would
 * leave a copy of the templates in freed memory. */
static void *grow_wiped(void *old, size_t old_bytes, size_t new_bytes)
{
    void *p = lfr_alloc(new_bytes);
    if (!p) return NULL;
    if (old_bytes && old) memcpy(p, old, old_bytes);
    lfr_wipe_free(old, old_bytes);
    return p;
}

static int reserve_rows(lfr_gallery *g, int need)
{
    if (need <= g->cap_rows) return 0;
    /* Small to start: the rows are locked memory, a bounded pool that live
     * watchlists and cameras share (a 704-d row and its int8 copy are
     * 3.5 KB); doubling keeps growth cheap. */
    int ncap = g->cap_rows ? g->cap_rows : 16;
    while (ncap < need)
        ncap = ncap > INT32_MAX / 2 ? need : ncap * 2;
    size_t o = (size_t)g->cap_rows, n = (size_t)ncap, d = (size_t)g->dim;
    /* Allocate everything first so a failure leaves the gallery as it was.
     * Spare rows start zeroed: rows past n_rows are always zero. */
    float *rows = templates_alloc(g, n * d * sizeof(float));
    int *ri = lfr_alloc(n * sizeof(int)), *rt = lfr_alloc(n * sizeof(int));
    int8_t *r8 = NULL;
    float *s8 = NULL, *l8 = NULL;
    int32_t *m8 = NULL;
    int q = g->p.quantize_int8;
    if (q) {
        r8 = templates_alloc(g, n * (size_t)g->dim8);
        s8 = lfr_alloc(n * sizeof(float));
        l8 = lfr_alloc(n * sizeof(float));
        m8 = lfr_alloc(n * sizeof(int32_t));
    }
    if (!rows || !ri || !rt || (q && (!r8 || !s8 || !l8 || !m8))) {
        templates_free(g, rows, n * d * sizeof(float));
        lfr_free(ri);
        lfr_free(rt);
        templates_free(g, r8, n * (size_t)g->dim8);
        lfr_free(s8);
        lfr_free(l8);
        lfr_free(m8);
        return -1;
    }
    size_t used = (size_t)g->n_rows;
    if (used) { /* memcpy from a NULL array, even of 0 bytes, is undefined */
        memcpy(rows, g->rows, used * d * sizeof(float));
        memcpy(ri, g->row_ident, used * sizeof(int));
        memcpy(rt, g->row_tpl, used * sizeof(int));
        if (q) {
            memcpy(r8, g->rows8, used * (size_t)g->dim8);
            memcpy(s8, g->scale8, used * sizeof(float));
            memcpy(l8, g->l1_8, used * sizeof(float));
            memcpy(m8, g->sum8, used * sizeof(int32_t));
        }
    }
    templates_free(g, g->rows, o * d * sizeof(float));
    lfr_free(g->row_ident);
    lfr_free(g->row_tpl);
    g->rows = rows;
    g->row_ident = ri;
    g->row_tpl = rt;
    if (q) {
        templates_free(g, g->rows8, o * (size_t)g->dim8);
        lfr_wipe_free(g->scale8, o * sizeof(float));
        lfr_wipe_free(g->l1_8, o * sizeof(float));
        lfr_wipe_free(g->sum8, o * sizeof(int32_t));
        g->rows8 = r8;
        g->scale8 = s8;
        g->l1_8 = l8;
        g->sum8 = m8;
    }
    g->cap_rows = ncap;
    return 0;
}

/* Symmetric int8 quantisation of one vector: v ~ step * v8, |v8| <= 127. */
static float quantize(const float *v, int dim, int dim8, int8_t *v8, float *l1_out,
                      int32_t *sum_out)
{
    float mx = 0;
    for (int i = 0; i < dim; i++)
        mx = fmaxf(mx, fabsf(v[i]));
    float step = mx > 0 ? mx / 127.0f : 1.0f;
    float l1 = 0;
    int32_t sum = 0;
    for (int i = 0; i < dim8; i++) {
        int q = 0;
        if (i < dim) {
            q = (int)lrintf(v[i] / step);
            q = q > 127 ? 127 : q < -127 ? -127 : q;
        }
        v8[i] = (int8_t)q;
        l1 += fabsf((float)q);
        sum += q;
    }
    if (l1_out) *l1_out = l1 * step;
    if (sum_out) *sum_out = sum;
    return step;
}

static int check_id(lfr_ctx *ctx, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= LFR_ID_MAX)
        return lfr_fail(ctx, LFR_EINVAL, "gallery: identity id must be 1..%d bytes",
                        LFR_ID_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return lfr_fail(ctx, LFR_EINVAL, "gallery: identity id has a control character");
    return LFR_OK;
}

/* A template must be finite and of unit length: anything else means the
 * caller mixed up buffers or models, and would score nonsense. */
static int check_template(lfr_ctx *ctx, const char *what, const float *t, int dim, int index)
{
    double norm = 0;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(t[i]))
            return lfr_fail(ctx, LFR_EINVAL, "%s: template %d has a non-finite value at %d", what,
                            index, i);
        norm += (double)t[i] * t[i];
    }
    if (fabs(sqrt(norm) - 1.0) > 1e-3)
        return lfr_fail(ctx, LFR_EINVAL, "%s: template %d has length %.4f, not 1 (not normalised)",
                        what, index, sqrt(norm));
    return LFR_OK;
}

int lfr_gallery_add(lfr_ctx *ctx, lfr_gallery *g, const char *id, const float *templates, int n)
{
    int rc = check_id(ctx, id);
    if (rc) return rc;
    if (n < 1 || n > g->p.max_templates_per_id)
        return lfr_fail(ctx, LFR_ELIMIT, "gallery: %s: %d templates, allowed 1..%d", id, n,
                        g->p.max_templates_per_id);
    for (int t = 0; t < n; t++)
        if ((rc = check_template(ctx, id, templates + (size_t)t * g->dim, g->dim, t))) return rc;
    pthread_rwlock_wrlock(&g->lock);
    if (idmap_find(&g->map, id, ident_key, g) >= 0) {
        rc = lfr_fail(ctx, LFR_EINVAL, "gallery: %s is already in the gallery", id);
        goto done;
    }
    if (g->n_ids >= g->p.max_identities || g->n_rows + n > g->p.max_templates) {
        rc = lfr_fail(ctx, LFR_ELIMIT, "gallery: full (%d identities, %d templates; limits %d, %d)",
                      g->n_ids, g->n_rows, g->p.max_identities, g->p.max_templates);
        goto done;
    }
    if (g->n_ids == g->cap_ids) {
        int ncap = g->cap_ids ? g->cap_ids * 2 : 64;
        identity *ni =
            grow_wiped(g->idents, (size_t)g->cap_ids * sizeof *ni, (size_t)ncap * sizeof *ni);
        if (!ni) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "gallery: out of memory");
            goto done;
        }
        g->idents = ni;
        g->cap_ids = ncap;
    }
    if (reserve_rows(g, g->n_rows + n)) {
        rc = g->p.locked ? lfr_locked_fail(ctx, "gallery")
                         : lfr_fail(ctx, LFR_ENOMEM, "gallery: out of memory for %d templates",
                                    g->n_rows + n);
        goto done;
    }
    int slot = g->n_ids;
    identity *ident = &g->idents[slot];
    snprintf(ident->id, sizeof ident->id, "%s", id);
    ident->n_templates = n;
    if (idmap_insert(&g->map, id, slot, ident_key, g)) {
        memset(ident, 0, sizeof *ident);
        rc = lfr_fail(ctx, LFR_ENOMEM, "gallery: out of memory");
        goto done;
    }
    g->n_ids++;
    for (int t = 0; t < n; t++) {
        int r = g->n_rows++;
        memcpy(g->rows + (size_t)r * g->dim, templates + (size_t)t * g->dim,
               (size_t)g->dim * sizeof(float));
        g->row_ident[r] = slot;
        g->row_tpl[r] = t;
        if (g->p.quantize_int8)
            g->scale8[r] = quantize(templates + (size_t)t * g->dim, g->dim, g->dim8,
                                    g->rows8 + (size_t)r * g->dim8, &g->l1_8[r], &g->sum8[r]);
    }
    if (n > g->max_tpl) g->max_tpl = n;
done:
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

/* Moves row `from` into row `to` and wipes `from`. */
static void move_row(lfr_gallery *g, int from, int to)
{
    size_t d = (size_t)g->dim;
    if (from != to) {
        memcpy(g->rows + (size_t)to * d, g->rows + (size_t)from * d, d * sizeof(float));
        g->row_ident[to] = g->row_ident[from];
        g->row_tpl[to] = g->row_tpl[from];
        if (g->p.quantize_int8) {
            memcpy(g->rows8 + (size_t)to * g->dim8, g->rows8 + (size_t)from * g->dim8,
                   (size_t)g->dim8);
            g->scale8[to] = g->scale8[from];
            g->l1_8[to] = g->l1_8[from];
            g->sum8[to] = g->sum8[from];
        }
    }
    lfr_wipe(g->rows + (size_t)from * d, d * sizeof(float));
    if (g->p.quantize_int8) lfr_wipe(g->rows8 + (size_t)from * g->dim8, (size_t)g->dim8);
}

int lfr_gallery_remove(lfr_ctx *ctx, lfr_gallery *g, const char *id)
{
    int rc = check_id(ctx, id);
    if (rc) return rc;
    pthread_rwlock_wrlock(&g->lock);
    int slot = idmap_find(&g->map, id, ident_key, g);
    if (slot < 0) {
        rc = lfr_fail(ctx, LFR_ENOENT, "gallery: %s is not in the gallery", id);
        goto done;
    }
    for (int r = 0; r < g->n_rows;) {
        if (g->row_ident[r] == slot)
            move_row(g, --g->n_rows, r);
        else
            r++;
    }
    /* The last identity takes the freed slot. */
    idmap_erase(&g->map, id, ident_key, g);
    int last = g->n_ids - 1;
    if (slot != last) {
        idmap_update(&g->map, g->idents[last].id, slot, ident_key, g);
        g->idents[slot] = g->idents[last];
        for (int r = 0; r < g->n_rows; r++)
            if (g->row_ident[r] == last) g->row_ident[r] = slot;
    }
    lfr_wipe(&g->idents[last], sizeof(identity));
    g->n_ids--;
done:
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

/* A bounded min-heap of (score, row): the best `cap` rows seen. */
typedef struct row_heap {
    float *score;
    int *row;
    int n, cap;
} row_heap;

static void heap_push(row_heap *h, float s, int row)
{
    int i;
    if (h->n < h->cap) {
        i = h->n++;
        while (i > 0 && h->score[(i - 1) / 2] > s) {
            h->score[i] = h->score[(i - 1) / 2];
            h->row[i] = h->row[(i - 1) / 2];
            i = (i - 1) / 2;
        }
    } else {
        if (s <= h->score[0]) return;
        i = 0;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= h->n) break;
            if (c + 1 < h->n && h->score[c + 1] < h->score[c]) c++;
            if (h->score[c] >= s) break;
            h->score[i] = h->score[c];
            h->row[i] = h->row[c];
            i = c;
        }
    }
    h->score[i] = s;
    h->row[i] = row;
}

static float heap_floor(const row_heap *h)
{
    return h->n < h->cap ? -INFINITY : h->score[0];
}

typedef struct scored_row {
    float score;
    int row;
} scored_row;

static int by_score_desc(const void *a, const void *b)
{
    const scored_row *x = a, *y = b;
    if (x->score != y->score) return (x->score < y->score) - (x->score > y->score);
    return (x->row > y->row) - (x->row < y->row);
}

/* The best k distinct identities among the heap's rows, into out. */
static int heap_top_identities(const lfr_gallery *g, row_heap *h, int k, lfr_match *out,
                               scored_row *order)
{
    for (int i = 0; i < h->n; i++)
        order[i] = (scored_row){h->score[i], h->row[i]};
    qsort(order, (size_t)h->n, sizeof *order, by_score_desc);
    int n = 0;
    for (int i = 0; i < h->n && n < k; i++) {
        int row = order[i].row, ident = g->row_ident[row], seen = 0;
        for (int j = 0; j < n && !seen; j++)
            seen = !strcmp(out[j].identity, g->idents[ident].id);
        if (seen) continue;
        snprintf(out[n].identity, sizeof out[n].identity, "%s", g->idents[ident].id);
        out[n].score_cos = order[i].score;
        out[n].template_index = g->row_tpl[row];
        n++;
    }
    return n;
}

typedef struct search_scratch {
    row_heap heap;
    float q_step, q_l1; /* int8: the probe's quantisation step and L1 norm */
    scored_row *order;
    float *block; /* BLOCK_ROWS scores */
    int32_t *dots;
    int8_t *q8;
    int *cand;
    int n_cand, cap_cand;
} search_scratch;

static void scratch_free(search_scratch *s)
{
    lfr_free(s->heap.score);
    lfr_free(s->heap.row);
    lfr_free(s->order);
    lfr_free(s->block);
    lfr_free(s->dots);
    lfr_wipe_free(s->q8, 2048);
    lfr_free(s->cand);
    memset(s, 0, sizeof *s); /* freeing twice is then harmless */
}

static int scratch_init(search_scratch *s, int heap_cap)
{
    memset(s, 0, sizeof *s);
    s->heap.cap = heap_cap;
    s->heap.score = lfr_alloc((size_t)heap_cap * sizeof(float));
    s->heap.row = lfr_alloc((size_t)heap_cap * sizeof(int));
    s->order = lfr_alloc((size_t)heap_cap * sizeof(scored_row));
    s->block = lfr_alloc(BLOCK_ROWS * sizeof(float));
    s->dots = lfr_alloc(BLOCK_ROWS * sizeof(int32_t));
    s->q8 = lfr_alloc(2048);
    if (!s->heap.score || !s->heap.row || !s->order || !s->block || !s->dots || !s->q8) {
        scratch_free(s);
        return -1;
    }
    return 0;
}

static int push_candidate(search_scratch *s, int row)
{
    if (s->n_cand == s->cap_cand) {
        int ncap = s->cap_cand ? s->cap_cand * 2 : 1024;
        int *nc = lfr_realloc(s->cand, (size_t)ncap * sizeof(int));
        if (!nc) return -1;
        s->cand = nc;
        s->cap_cand = ncap;
    }
    s->cand[s->n_cand++] = row;
    return 0;
}

/* Exact search by int8 screening: each row's int8 score is within a proven
 * bound of its float score, so rows whose upper bound falls below the k-th
 * identity's lower bound cannot be in the result; the rest are re-scored in
 * float. */
/* Exact search by int8 screening: each row's int8 score is within a proven
 * bound of its float score, so rows whose upper bound falls below the k-th
 * identity's lower bound cannot be in the result; the rest are re-scored in
 * float. In three steps, so a batch can screen each block of rows for all
 * its probes while the block is in cache. */
static void int8_begin(const lfr_gallery *g, const float *probe, search_scratch *s)
{
    s->q_step = quantize(probe, g->dim, g->dim8, s->q8, NULL, NULL);
    s->q_l1 = 0;
    for (int i = 0; i < g->dim; i++)
        s->q_l1 += fabsf(probe[i]);
    s->heap.n = 0;
    s->n_cand = 0;
}

static int int8_block(const lfr_gallery *g, const match_kernels *kern, search_scratch *s, int r0,
                      int nb)
{
    row_heap *h = &s->heap;
    kern->dot_i8(s->q8, g->rows8 + (size_t)r0 * g->dim8, g->sum8 + r0, nb, g->dim8, s->dots);
    float floor = heap_floor(h);
    for (int i = 0; i < nb; i++) {
        int r = r0 + i;
        float approx = s->q_step * g->scale8[r] * (float)s->dots[i];
        /* |q.t - approx| <= |q|_1 step_t / 2 + step_q |t8 step_t|_1 / 2;
         * the small constant covers float rounding of these sums. */
        float bound = 0.5f * (s->q_l1 * g->scale8[r] + s->q_step * g->l1_8[r]) + 1e-4f;
        if (approx + bound < floor) continue;
        if (approx - bound > floor) {
            heap_push(h, approx - bound, r);
            floor = heap_floor(h);
        }
        if (push_candidate(s, r)) return -1;
    }
    return 0;
}

/* Candidates passed against the heap's floor at the time, which only rises
 * and never exceeds the k-th identity's lower bound: re-score them. */
static void int8_finish(const lfr_gallery *g, const match_kernels *kern, const float *probe,
                        search_scratch *s)
{
    row_heap *h = &s->heap;
    h->n = 0;
    for (int c = 0; c < s->n_cand; c++) {
        int r = s->cand[c];
        float exact;
        kern->dot_f32(probe, g->rows + (size_t)r * g->dim, 1, g->dim, &exact);
        heap_push(h, exact, r);
    }
}

static void float_block(const lfr_gallery *g, const match_kernels *kern, const float *probe,
                        search_scratch *s, int r0, int nb)
{
    row_heap *h = &s->heap;
    kern->dot_f32(probe, g->rows + (size_t)r0 * g->dim, nb, g->dim, s->block);
    float floor = heap_floor(h);
    for (int i = 0; i < nb; i++)
        if (s->block[i] > floor) {
            heap_push(h, s->block[i], r0 + i);
            floor = heap_floor(h);
        }
}

int lfr_gallery_search_batch(lfr_ctx *ctx, lfr_gallery *g, const float *probes, int n, int k,
                             lfr_match *out, int *n_out)
{
    if (n < 1 || n > 4096 || k < 1 || k > 10000)
        return lfr_fail(ctx, LFR_EINVAL,
                        "gallery search: %d probes (1..4096), k %d (k must be 1..10000)", n, k);
    for (int i = 0; i < n; i++) {
        int rc = check_template(ctx, "probe", probes + (size_t)i * g->dim, g->dim, i);
        if (rc) return rc;
    }
    const match_kernels *kern = match_kernels_get();
    pthread_rwlock_rdlock(&g->lock);
    int heap_cap = k * (g->max_tpl > 0 ? g->max_tpl : 1);
    int rc = LFR_OK, q8 = g->p.quantize_int8;
    search_scratch *s = lfr_calloc((size_t)n, sizeof *s);
    int ok = s != NULL;
    for (int i = 0; ok && i < n; i++)
        if (scratch_init(&s[i], heap_cap)) ok = 0;
    if (!ok) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "gallery search: out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        s[i].heap.n = 0;
        if (q8) int8_begin(g, probes + (size_t)i * g->dim, &s[i]);
    }
    /* Each block of rows is scored against every probe while it is in
     * cache, so the gallery is read once per batch. */
    for (int r0 = 0; r0 < g->n_rows && !rc; r0 += BLOCK_ROWS) {
        int nb = g->n_rows - r0 < BLOCK_ROWS ? g->n_rows - r0 : BLOCK_ROWS;
        for (int i = 0; i < n && !rc; i++) {
            if (!q8)
                float_block(g, kern, probes + (size_t)i * g->dim, &s[i], r0, nb);
            else if (int8_block(g, kern, &s[i], r0, nb))
                rc = lfr_fail(ctx, LFR_ENOMEM, "gallery search: out of memory");
        }
    }
    for (int i = 0; i < n && !rc; i++) {
        if (q8) int8_finish(g, kern, probes + (size_t)i * g->dim, &s[i]);
        n_out[i] = heap_top_identities(g, &s[i].heap, k, out + (size_t)i * k, s[i].order);
    }
done:
    for (int i = 0; s && i < n; i++)
        scratch_free(&s[i]);
    lfr_free(s);
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

int lfr_gallery_search(lfr_ctx *ctx, lfr_gallery *g, const float *probe, int k, lfr_match *out,
                       int *n_out)
{
    return lfr_gallery_search_batch(ctx, g, probe, 1, k, out, n_out);
}

int lfr_gallery_identities(const lfr_gallery *g)
{
    return g->n_ids;
}

int lfr_gallery_templates(const lfr_gallery *g)
{
    return g->n_rows;
}

int lfr_gallery_dim(const lfr_gallery *g)
{
    return g->dim;
}

size_t lfr_gallery_memory_bytes(const lfr_gallery *g)
{
    size_t per_row = (size_t)g->dim * sizeof(float) + 2 * sizeof(int);
    if (g->p.quantize_int8) per_row += (size_t)g->dim8 + 2 * sizeof(float) + sizeof(int32_t);
    return (size_t)g->cap_rows * per_row + (size_t)g->cap_ids * sizeof(identity);
}

int gallery_each(lfr_gallery *g, int (*fn)(void *arg, const char *id, const float *tpl, int n),
                 void *arg)
{
    pthread_rwlock_rdlock(&g->lock);
    int rc = 0;
    float *buf = lfr_alloc((size_t)(g->max_tpl > 0 ? g->max_tpl : 1) * g->dim * sizeof(float));
    if (!buf) rc = LFR_ENOMEM;
    if (!rc) rc = fn(arg, NULL, NULL, g->n_ids);
    for (int id = 0; id < g->n_ids && !rc; id++) {
        int n = 0;
        for (int r = 0; r < g->n_rows; r++) {
            if (g->row_ident[r] != id) continue;
            memcpy(buf + (size_t)g->row_tpl[r] * g->dim, g->rows + (size_t)r * g->dim,
                   (size_t)g->dim * sizeof(float));
            n++;
        }
        rc = fn(arg, g->idents[id].id, buf, n);
    }
    if (buf) lfr_wipe_free(buf, (size_t)(g->max_tpl > 0 ? g->max_tpl : 1) * g->dim * sizeof(float));
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

const char *gallery_model(const lfr_gallery *g)
{
    return g->model;
}

const float *gallery_raw_rows(const lfr_gallery *g, int *cap_rows)
{
    *cap_rows = g->cap_rows;
    return g->rows;
}
