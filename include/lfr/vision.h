/* lfr/vision.h - the face engine: detection, landmarks, alignment, embedding
 * and face quality, on ONNX Runtime.
 *
 * Objects and threads: one lfr_runtime per process (the ORT environment).
 * lfr_model and lfr_engine are immutable after creation and may be used by
 * many threads at once, each with its own lfr_ctx.
 *
 * Models are described by JSON manifests (models/ *.json) found in a model
 * folder beside the .onnx files; a manifest gives the input size, colour
 * order, normalisation, alignment points, output size and the file's SHA-256,
 * so another ArcFace-style model drops in without code changes.
 */
#ifndef LFR_VISION_H
#define LFR_VISION_H

/* Changes whenever the engine's output for the same models changes (face
 * choice, landmarks, pre-processing), so caches of embeddings expire. */
#define LFR_ENGINE_REVISION "5"

#include "lfr/base.h"
#include "lfr/media.h"

typedef struct lfr_runtime lfr_runtime;
typedef struct lfr_model lfr_model;
typedef struct lfr_engine lfr_engine;

typedef enum { LFR_MODEL_DETECTOR, LFR_MODEL_LANDMARKS, LFR_MODEL_EMBEDDER } lfr_model_kind;

typedef struct lfr_runtime_params {
    int intra_op_threads; /* threads ORT may use inside one network run (default 1) */
} lfr_runtime_params;

lfr_runtime_params lfr_runtime_default_params(void);

/* Creates the process's ORT environment. LFR_ERUNTIME if ONNX Runtime cannot
 * start (message from ORT). */
int lfr_runtime_new(lfr_ctx *ctx, const lfr_runtime_params *p, lfr_runtime **out);
void lfr_runtime_free(lfr_runtime *rt);
/* Bytes of ONNX Runtime's tensor memory wiped on release so far: every
 * session allocates through a wiping allocator (PRI-1). For tests. */
size_t lfr_runtime_wiped_bytes(const lfr_runtime *rt);
/* Version string of the ONNX Runtime library in use (static). */
const char *lfr_runtime_ort_version(void);

/* Model folder: $LFR_MODEL_DIR, else $LFR_CACHE/models, else
 * ~/.cache/openlfr/models. Writes into buf; returns buf. */
const char *lfr_default_model_dir(char *buf, size_t len);

/* Loads a model from its manifest, either a path to a .json file or a name
 * looked up as DIR/NAME.json. Checks the .onnx file's SHA-256 against the
 * manifest before ORT sees it, then the network's inputs and outputs against
 * the manifest. Errors: LFR_EMODEL (manifest or model file missing, bad
 * manifest, checksum mismatch, wrong network), LFR_ERUNTIME.
 * The model borrows rt, which must outlive it. */
int lfr_model_load(lfr_ctx *ctx, lfr_runtime *rt, const char *dir, const char *name,
                   lfr_model **out);
void lfr_model_free(lfr_model *m);
const char *lfr_model_name(const lfr_model *m);
lfr_model_kind lfr_model_kind_of(const lfr_model *m);
/* Floats in the model's embedding (0 for a detector or landmark model). */
int lfr_model_embedding_size(const lfr_model *m);

/* A fusion is an embedder whose manifest ("kind": "fusion") lists other
 * embedders in the same folder, each with a weight calibrated on pairs
 * apart from any test set (lfr eval ... --fuse; weights sum to 1). Its
 * template is each member's L2-normalised embedding times sqrt(weight),
 * concatenated, so the template has unit length and the cosine of two
 * templates is the weighted mean of the members' cosines: the gallery,
 * thresholds and operating points work on it unchanged. Loading a fusion
 * loads its members (each checked as lfr_model_load does); a member that is
 * itself a fusion is refused (LFR_EMODEL). */
int lfr_model_n_members(const lfr_model *m); /* 0 for a single network */
/* Member i (borrowed from m) and its weight; NULL if i is out of range. */
const lfr_model *lfr_model_member(const lfr_model *m, int i, float *weight);
/* Checks a manifest and its model file's checksum without creating an ORT
 * session (for `lfr doctor`). */
int lfr_model_check(lfr_ctx *ctx, const char *dir, const char *name);

/* Calibration for int8 versions of a network (tools/quantize_int8.py):
 * the range of values each inner tensor takes. */
typedef struct lfr_tensor_range {
    char name[128];
    float min, max;
} lfr_tensor_range;

/* Runs augmented_path (a network with its inner tensors made outputs, by
 * tools/quantize_int8.py augment) on each image at each scale, fed as the
 * model model_name is fed, and gives every tensor's range, the input's
 * included (*ranges owned, lfr_free). Only detectors of any input size for
 * now (LFR_EINVAL otherwise). */
int lfr_calibrate(lfr_ctx *ctx, lfr_runtime *rt, const char *model_dir, const char *model_name,
                  const char *augmented_path, char *const *images, int n_images,
                  const float *scales, int n_scales, lfr_tensor_range **ranges, int *n_ranges);

/* Face quality measures, all from one detection. */
typedef struct lfr_face_quality {
    float box_px;          /* face box width in image pixels */
    float eye_distance_px; /* between the eye centres */
    float yaw_deg;         /* + = face turned to the image's right */
    float pitch_deg;       /* + = face tilted up */
    float roll_deg;        /* + = clockwise in the image */
    float sharpness;       /* variance of the Laplacian on the 64x64 face crop */
    float brightness;      /* mean grey level of the face centre, 0-255 */
    float clipped;         /* fraction of face-centre pixels at <= 5 or >= 250 */
} lfr_face_quality;

/* One face. points: left eye, right eye, nose tip, left and right mouth
 * corners, in image pixels, "left" meaning the image's left. */
typedef struct lfr_face {
    float x1, y1, x2, y2;
    float score;
    float points[5][2];
    lfr_face_quality quality;
} lfr_face;

typedef struct lfr_engine_params {
    const char *model_dir;  /* NULL: lfr_default_model_dir */
    const char *detector;   /* manifest name (default "ultraface_anysize") */
    const char *landmarks;  /* default "landmark68" */
    const char *embedder;   /* a single embedder or a fusion (default "fusion_512_192") */
    int detect_max_side_px; /* stills larger than this are scaled down first (default 1920) */
    int detect_min_side_px; /* smaller stills are scaled up to this (default 240) */
    float detect_score_min; /* 0: the manifest's threshold */
    int max_faces;          /* keep at most this many, highest score first (default 256) */
    int embed_flip;         /* also embed the mirror image and average (default 0) */
    int fusion_parallel;    /* a fusion's members run on their own threads at once,
                               one face's latency falls, throughput does not rise
                               (default 1) */
} lfr_engine_params;

lfr_engine_params lfr_engine_default_params(void);

/* Loads the three models. Borrows rt. */
int lfr_engine_new(lfr_ctx *ctx, lfr_runtime *rt, const lfr_engine_params *p, lfr_engine **out);
void lfr_engine_free(lfr_engine *e);
int lfr_engine_embedding_size(const lfr_engine *e);
/* The embedder manifest's same/different threshold on cosine similarity. */
float lfr_engine_threshold(const lfr_engine *e);
/* The threshold at which the embedder's measured false match rate is fmr,
 * interpolated on log(FMR) between the manifest's operating points
 * (REQUIREMENTS ACC-1). LFR_EMODEL if the manifest has none; LFR_ELIMIT if
 * fmr is beyond the points measured (the data cannot support it). */
int lfr_engine_threshold_for_fmr(lfr_ctx *ctx, const lfr_engine *e, double fmr, float *threshold);
/* The inverse: the measured FMR at a threshold (interpolated likewise). */
int lfr_engine_fmr_at(lfr_ctx *ctx, const lfr_engine *e, float threshold, double *fmr);
/* The same on an embedder model alone (no engine needed). */
int lfr_model_threshold_for_fmr(lfr_ctx *ctx, const lfr_model *m, double fmr, float *threshold);
int lfr_model_fmr_at(lfr_ctx *ctx, const lfr_model *m, float threshold, double *fmr);
/* What the operating points were measured on, as the manifest names it
 * (ACC-1: a claimed false alert rate says its data); static. */
const char *lfr_model_operating_data(const lfr_model *m);
/* The false match rate at a threshold on the second set of operating
 * points, measured on in-the-wild data (ACC-1: a claim quoted beside the
 * first set's, with its data and its 95% interval). LFR_EMODEL if the
 * manifest has none; LFR_ELIMIT outside the thresholds measured. */
typedef struct lfr_fmr_claim {
    const char *data; /* static, as the manifest names it */
    double fmr, lo, hi;
} lfr_fmr_claim;
int lfr_model_fmr_in_the_wild(lfr_ctx *ctx, const lfr_model *m, float threshold,
                              lfr_fmr_claim *out);
/* The validated threshold floor of the manifest (ACC-1: the lowest
 * threshold with no significant demographic differential, found by lfr eval
 * fmr --find-floor); LFR_EMODEL if none was validated. */
int lfr_model_threshold_floor(lfr_ctx *ctx, const lfr_model *m, float *floor);
const lfr_model *lfr_engine_model(const lfr_engine *e, lfr_model_kind kind);

/* Finds every face of a still image at the scales its size calls for, with
 * landmarks and quality; highest score first. *faces is owned (lfr_free),
 * NULL when *n_faces is 0. */
int lfr_engine_detect(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, lfr_face **faces,
                      int *n_faces);
/* One detector pass with the whole image resized to in_w x in_h (no
 * landmarks); for video, where the caller picks the scale, and benchmarks.
 * score_min 0 means the engine's threshold; a tracker asks for weaker
 * detections too. A fixed-size detector refuses other sizes (LFR_EINVAL). */
int lfr_engine_detect_at(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, int in_w,
                         int in_h, float score_min, lfr_face **faces, int *n_faces);
/* Adds landmarks and quality to a face found by lfr_engine_detect_at. */
int lfr_engine_landmarks(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, lfr_face *face);
/* Aligns the face to the embedder's reference points and writes its
 * L2-normalised embedding (lfr_engine_embedding_size floats) to out. The
 * aligned crop is wiped before return. A fusion aligns the face for each
 * member (their reference points and sizes may differ) and, with
 * fusion_parallel, runs member 0 on the calling thread and the others on
 * threads of their own; their errors come back in ctx. */
int lfr_engine_embed(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, const lfr_face *face,
                     float *out);
/* The main face of a photo: among confident detections (score >= 0.95)
 * if there are any, the largest, with a face whose box holds the image's
 * centre counted at four times its area (labelled photos are centred on
 * their subject, who is not always the biggest face). A detection the
 * detector is unsure of (a shirt, a hand, a pattern at 0.7-0.94) never
 * beats a confident face, however large. Returns its index, -1 if n is 0. */
int lfr_main_face(const lfr_face *faces, int n, int img_w, int img_h);
/* Detects, picks the main face (lfr_main_face) and embeds it.
 * LFR_ENOFACE when the image has none. face may be NULL; n_faces (may be
 * NULL) gets how many faces were found. For evaluation: watchlist photos
 * go through lfr_engine_enrol. */
int lfr_engine_embed_main(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, float *out,
                          lfr_face *face, int *n_faces);
/* The enrolment gate (REQUIREMENTS WL-5), the one every way onto a
 * watchlist goes through (lfr watch, lfr watchlist add, the server). */
typedef struct lfr_enrol_params {
    float min_eye_px;    /* inter-eye distance at least (20: a template is made at 35) */
    float max_yaw_deg;   /* |yaw| at most (25) */
    float max_pitch_deg; /* |pitch| at most (25) */
    float min_sharpness; /* Laplacian variance of the face at least (20) */
} lfr_enrol_params;
lfr_enrol_params lfr_enrol_default_params(void);
/* Checks that the photo shows exactly one usable face and embeds it into
 * tpl; face (may be NULL) gets it. Another face makes the photo ambiguous
 * unless it is under a third of the main face's width, an uncertain
 * detection, or lies on the main face (centred in it, or a quarter of it
 * on it). Refusals say why:
 * LFR_ENOFACE (no face), LFR_EINVAL (several faces; too small, turned,
 * tilted, blurred or badly exposed, with the measures and limits). */
int lfr_engine_enrol(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img,
                     const lfr_enrol_params *p, float *tpl, lfr_face *face);
/* The aligned crop the embedder sees (a new image; wipe and free it); for
 * a fusion, the one its first member sees. */
int lfr_engine_align(lfr_ctx *ctx, const lfr_engine *e, const lfr_image *img, const lfr_face *face,
                     lfr_image **out);

/* Least-squares similarity transform (rotation, uniform scale, translation,
 * no reflection) taking src points to dst points. Returns LFR_EINVAL if the
 * points are degenerate. */
int lfr_similarity_fit(lfr_ctx *ctx, const float (*src)[2], const float (*dst)[2], int n,
                       lfr_affine *out);

/* Cosine similarity of two L2-normalised vectors (their dot product). */
float lfr_cosine(const float *a, const float *b, int n);

/* Intersection over union of two faces' boxes. */
float lfr_face_iou(const lfr_face *a, const lfr_face *b);

#endif
