/* vision/internal.h - private to the vision module: manifests and the thin
 * ONNX Runtime session wrapper. */
#ifndef LFR_VISION_INTERNAL_H
#define LFR_VISION_INTERNAL_H

#include "lfr/vision.h"

#define MANIFEST_MAX_POINTS 8
#define MANIFEST_MAX_LEVELS 8
#define MANIFEST_MAX_SIZES 4
#define MANIFEST_MAX_MEMBERS 4

typedef enum { COLOUR_RGB, COLOUR_BGR, COLOUR_GREY } colour_order;
typedef enum { DECODE_CORNERS, DECODE_PRIORS } box_decode;

/* What a model's manifest says; see models/ *.json. */
typedef struct manifest {
    char name[64];
    lfr_model_kind kind;
    char file[256];
    char sha256[65];
    char input_name[64];
    int input_w, input_h; /* 0: any size (detectors) */
    colour_order colour;
    float mean, scale; /* tensor value = (pixel - mean) * scale */
    char output_names[2][64];
    int n_outputs;
    /* detector */
    box_decode decode;
    int n_levels;
    int strides[MANIFEST_MAX_LEVELS];
    int n_sizes[MANIFEST_MAX_LEVELS];
    float min_sizes[MANIFEST_MAX_LEVELS][MANIFEST_MAX_SIZES];
    float center_variance, size_variance;
    float score_threshold, nms_iou;
    /* landmarks */
    int n_points;
    float crop_scale, crop_shift_x;
    /* embedder */
    int embedding_size;
    int n_align_points;
    float align_points[MANIFEST_MAX_POINTS][2];
    float threshold;
    /* measured operating points, by falling FMR (empty if not measured) */
    int n_points_op;
    double op_fmr[16], op_threshold[16];
    char op_data[160]; /* the data they were measured on ("" if not said) */
    /* a second set on other data (in the wild), quoted beside the first:
     * FMR with its 95% interval at each threshold; empty if none */
    int n_wild;
    double wild_fmr[16], wild_threshold[16], wild_lo[16], wild_hi[16];
    char wild_data[160];
    double floor; /* the validated threshold floor (ACC-1); NAN if none */
    /* a fusion ("kind": "fusion"): an embedder made of other embedders'
     * manifests, each embedding scaled by sqrt(weight) and concatenated;
     * no file, input or alignment of its own (kind is LFR_MODEL_EMBEDDER) */
    int n_members; /* 0: a single network */
    char member_names[MANIFEST_MAX_MEMBERS][64];
    float member_weight[MANIFEST_MAX_MEMBERS]; /* positive, summing to 1 */
} manifest;

/* Parses DIR/NAME.json (or NAME if it ends in .json) into m; *model_path
 * gets the .onnx path (owned), or for a fusion the folder its members'
 * manifests are looked up in. */
int manifest_load(lfr_ctx *ctx, const char *dir, const char *name, manifest *m, char **model_path);

struct lfr_runtime {
    const void *api;  /* const OrtApi * */
    void *env;        /* OrtEnv * */
    void *mem_info;   /* OrtMemoryInfo * for CPU tensors */
    void *wiping;     /* the OrtAllocator every session uses (ort.c) */
    void *alloc_info; /* OrtMemoryInfo of that allocator */
    int intra_op_threads;
};

struct lfr_model {
    manifest man;
    lfr_runtime *rt;
    void *session;                            /* OrtSession *; NULL for a fusion */
    lfr_model *members[MANIFEST_MAX_MEMBERS]; /* a fusion's embedders (owned) */
};

/* Creates an ORT session from model bytes already checked. */
int ort_session_new(lfr_ctx *ctx, lfr_runtime *rt, const uint8_t *bytes, size_t len,
                    const char *what, void **out);
void ort_session_free(lfr_runtime *rt, void *session);

/* Checks that the session has one float input of 4 dims named as the
 * manifest says, matching its fixed sizes, and the named outputs. */
int ort_check_io(lfr_ctx *ctx, const lfr_model *m);

/* Output of one run: up to two float tensors, owned (lfr_free). */
typedef struct ort_output {
    float *data;
    int64_t shape[4];
    int ndim;
    size_t count;
} ort_output;

/* Runs the model on one float NCHW tensor; fills outs[0..n_outputs-1]. */
int ort_run(lfr_ctx *ctx, const lfr_model *m, const float *input, const int64_t shape[4],
            ort_output *outs);
void ort_output_free(ort_output *o, int n);
/* Runs a session on its one input and hands every output, by name, to fn
 * (the data is the runtime's, valid during the call): for calibration,
 * where the outputs are the network's inner tensors. */
typedef void (*ort_tensor_fn)(const char *name, const float *data, size_t count, void *arg);
int ort_run_every_output(lfr_ctx *ctx, lfr_runtime *rt, void *session, const char *what,
                         const float *input, const int64_t shape[4], ort_tensor_fn fn, void *arg);

/* Writes img's region (x0,y0 side w x h in image pixels, may extend past the
 * edges: black there) resized to out_w x out_h into a planar float tensor in
 * the manifest's colour order and normalisation. */
void preprocess_region(const lfr_image *img, float x0, float y0, float w, float h, int out_w,
                       int out_h, const manifest *m, float *tensor);

/* The crop an embedder (a single network) sees of a face with landmarks:
 * *out is locked memory (lfr_image_free). */
int align_for(lfr_ctx *ctx, const lfr_model *emb, const lfr_image *img, const lfr_face *face,
              lfr_image **out);

/* Detector internals shared with tests. */
int detector_run(lfr_ctx *ctx, const lfr_model *det, const lfr_image *img, int in_w, int in_h,
                 float score_min, lfr_face **faces, int *n_faces);
/* Greedy NMS in place, by descending score; returns the count kept. */
int faces_nms(lfr_face *faces, int n, float iou_max);

/* Runs the landmark model on a face: fills points and quality. */
int landmarks_run(lfr_ctx *ctx, const lfr_model *lm, const lfr_image *img, lfr_face *face);

/* Fills face->quality from its box and points; grey64 is the 64x64 grey crop
 * (0-255) the landmark model saw, or NULL to skip sharpness and exposure. */
void quality_measure(lfr_face *face, const float *grey64);

#endif
