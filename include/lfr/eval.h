/* lfr/eval.h - accuracy evaluation on labelled face sets (LFW protocols).
 *
 * The measures follow the published protocols so figures can be compared
 * with others': LFW View 2 is 10 folds of 300 same and 300 different pairs;
 * a threshold is chosen on 9 folds and tested on the 10th.
 */
#ifndef LFR_EVAL_H
#define LFR_EVAL_H

#include "lfr/base.h"
#include "lfr/vision.h"

/* A set of verification pairs over a table of unique image paths. */
typedef struct lfr_pair {
    int a, b;  /* indexes into paths */
    int same;  /* 1: same person */
    int fold;  /* 0-based */
} lfr_pair;

typedef struct lfr_pairs {
    char **paths; /* owned */
    int n_paths;
    lfr_pair *pairs; /* owned */
    int n_pairs;
    int n_folds;
} lfr_pairs;

/* Reads LFW's pairs.txt format (first line "folds pairs_per_class", then
 * per fold the same pairs "name i j" and the different pairs "name i name
 * j"), resolving images as DIR/images/NAME/NAME_NNNN.jpg. limit > 0 keeps
 * the first limit pairs of each class in each fold. LFR_EFORMAT with the line
 * number for a malformed file. */
int lfr_pairs_load_lfw(lfr_ctx *ctx, const char *lfw_dir, const char *pairs_file, int limit,
                       lfr_pairs **out);
void lfr_pairs_free(lfr_pairs *p);

/* Embeds each image's main face with n_threads workers (each its own ctx).
 * embeddings: n_paths * dim floats; found[i] = 1 if image i gave a face, 0
 * if none. An unreadable image fails the call (its path in the message). */
typedef void (*lfr_progress_fn)(int done, int total, void *arg);
int lfr_embed_paths(lfr_ctx *ctx, const lfr_engine *e, char *const *paths, int n_paths,
                    int n_threads, float *embeddings, uint8_t *found, lfr_progress_fn progress,
                    void *progress_arg);

typedef struct lfr_verify_result {
    int n_pairs, n_same, n_diff;
    int n_failed_pairs;  /* pairs with an image that gave no face */
    double accuracy_mean, accuracy_std;
    double fold_accuracy[10];
    double fold_threshold[10];
    double far_target;       /* 1e-3 */
    double tar_at_far;       /* true accept rate at the threshold below */
    double threshold_at_far; /* lowest threshold with FAR <= far_target */
    int n_false_accepts;     /* impostor pairs accepted at that threshold */
} lfr_verify_result;

/* The 10-fold protocol on scores (cosine) of each pair; failed[i] marks a
 * pair with an image without a face: it counts as an error in accuracy and
 * as a rejection in TAR/FAR. */
int lfr_verify_eval(lfr_ctx *ctx, const lfr_pairs *p, const float *scores, const uint8_t *failed,
                    lfr_verify_result *r);

#endif
