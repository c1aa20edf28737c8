/* match/internal.h - private to the match module: vector kernels and the
 * identity map. */
#ifndef LFR_MATCH_INTERNAL_H
#define LFR_MATCH_INTERNAL_H

#include "lfr/match.h"

/* The kernels in use, chosen once from what the processor offers. */
typedef struct match_kernels {
    const char *name;
    /* out[r] = q . rows[r] for r < n. */
    void (*dot_f32)(const float *q, const float *rows, int n, int dim, float *out);
    /* out[r] = q8 . rows8[r] as integers, r < n; dim is a multiple of 64
     * (rows are padded). q8 values in [-127, 127]. */
    void (*dot_i8)(const int8_t *q8, const int8_t *rows8, const int32_t *row_sums, int n, int dim,
                   int32_t *out);
} match_kernels;

const match_kernels *match_kernels_get(void);

/* Portable versions, also the reference for tests. */
void dot_f32_scalar(const float *q, const float *rows, int n, int dim, float *out);
void dot_i8_scalar(const int8_t *q8, const int8_t *rows8, const int32_t *row_sums, int n, int dim,
                   int32_t *out);
/* x86 versions; NULL where the build cannot make them. */
extern const match_kernels *match_kernels_avx2;
extern const match_kernels *match_kernels_avx512;

/* Open-addressing map from identity id to a slot number. */
typedef struct idmap {
    int *slots;  /* -1 empty, -2 deleted, else a value */
    size_t cap;  /* power of two */
    size_t used; /* live + deleted */
} idmap;

/* key_of(value) gives the id string stored for a value. */
typedef const char *(*idmap_key_fn)(const void *owner, int value);
int idmap_find(const idmap *m, const char *id, idmap_key_fn key_of, const void *owner);
/* Inserts; returns 0, or -1 if it cannot grow. */
int idmap_insert(idmap *m, const char *id, int value, idmap_key_fn key_of, const void *owner);
void idmap_erase(idmap *m, const char *id, idmap_key_fn key_of, const void *owner);
/* Changes the value stored for id (after a swap-remove moved it). */
void idmap_update(idmap *m, const char *id, int value, idmap_key_fn key_of, const void *owner);
void idmap_free(idmap *m);

/* For gallery_file.c: calls fn for each identity with its templates in the
 * order they were added, under the read lock; stops at a non-zero return.
 * It first calls fn(arg, NULL, NULL, number of identities). */
int gallery_each(lfr_gallery *g, int (*fn)(void *arg, const char *id, const float *tpl, int n),
                 void *arg);
const char *gallery_model(const lfr_gallery *g);
/* For tests: the float row storage and its capacity in rows, to check that
 * removed templates were wiped. */
const float *gallery_raw_rows(const lfr_gallery *g, int *cap_rows);

#endif
