/* lfr/match.h - the watchlist gallery: exact 1:N search of face templates.
 *
 * A gallery holds L2-normalised templates grouped by identity (a watchlist
 * entry may have several photos). A search scores every template against the
 * probe (cosine = dot product) and ranks identities by their best template.
 * The search is exact: the optional int8 copy only screens candidates, and
 * every candidate that could reach the top k is re-scored in float, so the
 * results equal the float search.
 *
 * Threads: any number of searches may run at once; an add or remove waits
 * for the searches in progress and holds new ones back until it is done
 * (writers are preferred, so updates are not starved).
 *
 * Memory: template memory is wiped when an identity is removed and when the
 * gallery is freed.
 */
#ifndef LFR_MATCH_H
#define LFR_MATCH_H

#include "lfr/base.h"

#define LFR_ID_MAX 64 /* identity ids are 1..63 bytes */

typedef struct lfr_gallery lfr_gallery;

typedef struct lfr_gallery_params {
    int dim;                  /* template size, e.g. 512 (required) */
    const char *model;        /* embedder name the templates come from (required) */
    int quantize_int8;        /* keep an int8 copy to screen large galleries (default 0) */
    int max_identities;       /* default 1,000,000 */
    int max_templates;        /* default 4,000,000 */
    int max_templates_per_id; /* default 64 */
    int locked;               /* templates in locked memory (lfr_locked_alloc; default 1);
                                 0 only for public evaluation sets too big for the pool */
} lfr_gallery_params;

lfr_gallery_params lfr_gallery_default_params(void);

typedef struct lfr_match {
    char identity[LFR_ID_MAX];
    float score_cos;    /* best template's cosine similarity */
    int template_index; /* which of the identity's templates, in order of adding */
} lfr_match;

int lfr_gallery_new(lfr_ctx *ctx, const lfr_gallery_params *p, lfr_gallery **out);
/* Wipes every template and frees. NULL is a no-op. */
void lfr_gallery_free(lfr_gallery *g);

/* Adds an identity with n templates (n * dim floats, copied). Each must be
 * finite and of unit length (within 1e-3). LFR_EINVAL for a bad id, a
 * duplicate id or a bad template (its index in the message), LFR_ELIMIT over
 * a limit. On failure the gallery is unchanged. */
int lfr_gallery_add(lfr_ctx *ctx, lfr_gallery *g, const char *id, const float *templates, int n);
/* Removes an identity and wipes its templates. LFR_ENOENT if absent. */
int lfr_gallery_remove(lfr_ctx *ctx, lfr_gallery *g, const char *id);

/* Top k identities for one probe (dim floats, unit length), best first.
 * *n_out = min(k, identities). */
int lfr_gallery_search(lfr_ctx *ctx, lfr_gallery *g, const float *probe, int k, lfr_match *out,
                       int *n_out);
/* The same for n probes at once (faster per probe: the gallery is read once
 * per block of probes). out has n * k entries; n_out[i] per probe. */
int lfr_gallery_search_batch(lfr_ctx *ctx, lfr_gallery *g, const float *probes, int n, int k,
                             lfr_match *out, int *n_out);

int lfr_gallery_identities(const lfr_gallery *g);
int lfr_gallery_templates(const lfr_gallery *g);
int lfr_gallery_dim(const lfr_gallery *g);
/* Bytes of template storage (float plus int8 copy). */
size_t lfr_gallery_memory_bytes(const lfr_gallery *g);

/* Writes the gallery to a file: magic "LFRGALY1", model, dim, identities
 * with their templates, and a SHA-256 of all that. The file holds biometric
 * templates: created with mode 0600, written aside and renamed. */
int lfr_gallery_save(lfr_ctx *ctx, lfr_gallery *g, const char *path);
/* Reads a gallery file, refusing with LFR_EFORMAT a wrong magic or version,
 * a checksum mismatch, truncation, NaN or non-unit templates, and with
 * LFR_EMODEL a model or dimension other than p->model / p->dim. */
int lfr_gallery_load(lfr_ctx *ctx, const char *path, const lfr_gallery_params *p,
                     lfr_gallery **out);

/* Which vector kernel the search uses here ("avx512-vnni", "avx2", "scalar"). */
const char *lfr_match_kernel_name(void);
/* Test hook: force the portable kernels (1) or the best available (0). */
void lfr_match_force_scalar(int on);

/* Dot products of one float query with n rows of dim floats. */
void lfr_dot_rows_f32(const float *q, const float *rows, int n, int dim, float *out);

#endif
