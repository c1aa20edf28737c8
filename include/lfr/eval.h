/* lfr/eval.h - accuracy evaluation on labelled face sets (LFW protocols).
 *
 * The measures follow the published protocols so figures can be compared
 * with others': LFW View 2 is 10 folds of 300 same and 300 different pairs;
 * a threshold is chosen on 9 folds and tested on the 10th.
 */
#ifndef LFR_EVAL_H
#define LFR_EVAL_H

#include "lfr/base.h"
#include "lfr/match.h"
#include "lfr/vision.h"

/* A set of verification pairs over a table of unique image paths. */
typedef struct lfr_pair {
    int a, b; /* indexes into paths */
    int same; /* 1: same person */
    int fold; /* 0-based */
} lfr_pair;

typedef struct lfr_pairs {
    char **paths; /* owned */
    int n_paths;
    lfr_pair *pairs; /* owned */
    int n_pairs;
    int n_folds;
} lfr_pairs;

/* Reads LFW's pairs.txt format (first line "folds pairs_per_class", or just
 * "pairs_per_class" for one fold as in View 1's pairsDevTrain.txt, then
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

/* lfr_embed_paths with a cache file: when cache_path names a cache made by
 * the same model (name and flip) for the same list of paths, the embeddings
 * are read from it; otherwise they are computed and the cache (mode 0600)
 * written. cache_path NULL: no cache. *from_cache says which happened. */
int lfr_embed_paths_cached(lfr_ctx *ctx, const lfr_engine *e, int flip, char *const *paths,
                           int n_paths, int n_threads, const char *cache_path, float *embeddings,
                           uint8_t *found, lfr_progress_fn progress, void *progress_arg,
                           int *from_cache);

typedef struct lfr_verify_result {
    int n_pairs, n_same, n_diff;
    int n_failed_pairs; /* pairs with an image that gave no face */
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

/* A labelled image set: every image with its identity. */
typedef struct lfr_labelled {
    char **paths; /* owned */
    int *label;   /* identity index of each image */
    int n;
    char **names; /* owned: identity names */
    int n_names;
    int n_merged; /* names folded into another by the merge list */
} lfr_labelled;

/* Reads LFW's manifest.csv ("path,identity"). merge_file (may be NULL) lists
 * identities filed under two names, one pair per line "NAME,SAME_AS" ('#'
 * starts a comment): both become one identity. */
int lfr_labelled_load_lfw(lfr_ctx *ctx, const char *lfw_dir, const char *merge_file,
                          lfr_labelled **out);
void lfr_labelled_free(lfr_labelled *s);

/* Expected false alerts of a deployment: faces x FPIR, where FPIR for a
 * watchlist of n identities is 1 - (1 - fmr)^n (about n x fmr). */
double lfr_expected_false_alerts(double faces, int watchlist_size, double fmr);

#define LFR_EVAL_TOP 20 /* highest-scoring false matches kept for inspection */

typedef struct lfr_scored_pair {
    int a, b; /* image indexes */
    float score;
} lfr_scored_pair;

typedef struct lfr_fmr_point {
    double fmr_target;
    double threshold;   /* accept at score >= threshold */
    long false_matches; /* impostor pairs accepted */
    double fmr_lo, fmr_hi;
    long false_non_matches; /* genuine pairs rejected */
    double fnmr, fnmr_lo, fnmr_hi;
} lfr_fmr_point;

typedef struct lfr_fmr_result {
    long n_genuine, n_impostor;
    int n_images, n_no_face;
    lfr_fmr_point points[5]; /* FMR 1e-3 .. 1e-7 */
    lfr_scored_pair top_false[LFR_EVAL_TOP];
    int n_top_false;
    /* score histograms for plots: 200 bins over [-1, 1] */
    long hist_genuine[200], hist_impostor[200];
    /* the DET curve: FMR from 1e-7 to 1 in steps of 10^0.1 */
    lfr_fmr_point det[71];
    int n_det;
} lfr_fmr_result;

/* Every same-identity and every cross-identity pair of the set. found[i] =
 * 0 marks an image without a face: its genuine pairs count as non-matches,
 * its impostor pairs as non-matches too. */
int lfr_eval_fmr(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                 int dim, lfr_fmr_result *r);

typedef struct lfr_identify_point {
    double fpir_target;
    double threshold;
    long false_positives; /* non-mated probes with a candidate at >= threshold */
    double fpir_lo, fpir_hi;
    long false_negatives; /* mated probes whose mate is not rank 1 at >= threshold */
    double fnir, fnir_lo, fnir_hi;
} lfr_identify_point;

typedef struct lfr_identify_result {
    int n_gallery, n_mated, n_nonmated, n_no_face;
    long rank1_hits;
    double rank1, rank1_lo, rank1_hi;
    lfr_identify_point points[3];            /* FPIR 1e-1, 1e-2, 1e-3 */
    lfr_scored_pair top_false[LFR_EVAL_TOP]; /* a: probe, b: gallery image */
    int n_top_false;
    /* Every probe, for breakdowns and curves (owned; lfr_identify_result_free):
     * score = the mate's score when the mate is rank 1 (else -inf) for a
     * mated probe, the top candidate's score for a non-mated one. */
    int n_probes;
    int *probe_image;
    uint8_t *probe_mated;
    float *probe_score;
} lfr_identify_result;

void lfr_identify_result_free(lfr_identify_result *r);

/* The open-set protocol: the first photo of each identity with 2+ photos is
 * enrolled; their other photos are mated probes; photos of identities with
 * one photo are non-mated probes. */
int lfr_eval_identify(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                      int dim, lfr_identify_result *r);

/* Demographic groups of identities, from one column of a CSV file with an
 * "identity" column (LFW: lfw/groups/lfw_identity_groups.csv). Values
 * "unknown", "ambiguous", "unlabelled" and empty are missing data, not a
 * group. */
#define LFR_MAX_GROUPS 8
typedef struct lfr_groups {
    char column[32];
    int n_groups;
    char names[LFR_MAX_GROUPS][32];
    int *group_of; /* per identity of the set: group index or -1 */
} lfr_groups;

int lfr_groups_load(lfr_ctx *ctx, const char *csv_path, const char *column, const lfr_labelled *set,
                    lfr_groups **out);
void lfr_groups_free(lfr_groups *g);

typedef struct lfr_group_rates {
    char name[32];
    int n_identities;
    long impostor_pairs, false_matches; /* both identities of this group */
    double fmr, fmr_lo, fmr_hi;
    long genuine_pairs, false_non_matches;
    double fnmr, fnmr_lo, fnmr_hi;
    long nonmated, false_positives;
    double fpir, fpir_lo, fpir_hi;
    long mated, false_negatives;
    double fnir, fnir_lo, fnir_hi;
} lfr_group_rates;

/* Rates by group at one threshold: FMR over impostor pairs within the
 * group, FNMR over its genuine pairs, and (when id is not NULL) FPIR and
 * FNIR over its probes. out has g->n_groups entries. */
int lfr_eval_groups(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                    int dim, const lfr_groups *g, double threshold, const lfr_identify_result *id,
                    lfr_group_rates *out);

/* The validated threshold floor (REQUIREMENTS ACC-1): a sweep of
 * thresholds t_from, t_from + step, ... (LFR_FLOOR_STEPS of them); at each,
 * the FMR within every group (impostor pairs of two people of the group)
 * with its Wilson 95% interval. A step is significant when the intervals of
 * two groups do not meet. The floor is the lowest threshold from which on,
 * to the end of the sweep, no step is significant (< -1: none). */
#define LFR_FLOOR_STEPS 64
typedef struct lfr_floor_step {
    double threshold;
    int significant;
    char highest[32], lowest[32]; /* the groups of highest and lowest FMR */
    long highest_fm, highest_pairs, lowest_fm, lowest_pairs;
} lfr_floor_step;
typedef struct lfr_group_floor {
    double floor;
    int n_steps;
    lfr_floor_step steps[LFR_FLOOR_STEPS];
} lfr_group_floor;
int lfr_eval_group_floor(lfr_ctx *ctx, const lfr_labelled *set, const float *emb,
                         const uint8_t *found, int dim, const lfr_groups *g, double t_from,
                         double step, lfr_group_floor *out);

/* Writes an SVG of DET curves (FNMR against FMR when fmr is not NULL, FNIR
 * against FPIR when id is not NULL; log axes) and the score histograms. */
int lfr_plot_svg(lfr_ctx *ctx, const char *path, const char *title, const lfr_fmr_result *fmr,
                 const lfr_identify_result *id);

/* Score-level fusion of several embedders. Each model's cosine is divided by
 * the spread (standard deviation) of its impostor scores on calibration
 * pairs that are not test pairs (LFW View 1), and the fused score is their
 * mean. Because every embedding has unit length, that is the dot product of
 * the concatenated embeddings each scaled by sqrt(1 / (M sd_m)), up to a
 * constant factor, so every protocol runs on the fused vectors unchanged. */
int lfr_impostor_sd(lfr_ctx *ctx, const lfr_pairs *pairs, const float *emb, const uint8_t *found,
                    int dim, double *sd);
/* out: n x sum(dims) floats, unit length; found_out[i] = 1 only if every
 * model found a face in image i. */
int lfr_fuse(lfr_ctx *ctx, int n_models, const float *const *emb, const int *dims, const double *sd,
             const uint8_t *const *found, int n, float *out, uint8_t *found_out);

/* Walk-by scoring (REQUIREMENTS ACC-3): a video of people walking past a
 * camera with a face box for every passer in every frame (the JSON of
 * celeba_dev/walkby, or a force's own footage labelled the same way), and
 * the alerts a run raised on it. A watchlisted passer is found by an alert
 * naming them while in view (first_frame .. last_frame + grace) whose box
 * centre lies on them (their box enlarged by half on each side, the nearest
 * passer first); any other alert is false; further alerts for a found
 * passer are duplicates (HIL-3 wants none). */
typedef struct lfr_walkby lfr_walkby;
/* LFR_EFORMAT, naming the field, for a truth file that is not as above. */
int lfr_walkby_load(lfr_ctx *ctx, const char *truth_path, lfr_walkby **out);
void lfr_walkby_free(lfr_walkby *w);

typedef struct lfr_walkby_alert {
    int64_t frame;             /* of the face that raised it */
    char identity[LFR_ID_MAX]; /* the watchlist identity named */
    float box[4];              /* x1 y1 x2 y2 in frame pixels */
} lfr_walkby_alert;

#define LFR_WALKBY_MAX_LISTED 64
typedef struct lfr_walkby_result {
    int passers, watchlisted, found, false_alerts, duplicates;
    double tpir, tpir_lo, tpir_hi;   /* found / watchlisted, Wilson 95% */
    double false_per_1000, false_hi; /* per 1,000 passers, and its upper 95% bound */
    double fps;
    /* frames from first appearance (and from fully in view) to the first
     * correct alert, over the passers found; -1 if none */
    double latency_median, latency_p90, latency_full_median;
    /* the first LFR_WALKBY_MAX_LISTED missed passers ("pid N identity X")
     * and false alerts ("frame N identity X: why") */
    int n_missed, n_false_listed;
    char missed[LFR_WALKBY_MAX_LISTED][96];
    char false_listed[LFR_WALKBY_MAX_LISTED][160];
} lfr_walkby_result;

int lfr_walkby_score(lfr_ctx *ctx, const lfr_walkby *w, const lfr_walkby_alert *alerts, int n,
                     int grace_frames, lfr_walkby_result *out);

#endif
