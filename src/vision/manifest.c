/* vision/manifest.c - reading a model's JSON manifest (models/ *.json).
 *
 * The manifest, not the code, knows a model's input size, colour order,
 * normalisation, outputs, alignment points and checksum; every field is
 * checked here so a wrong manifest fails at load with the field's name.
 */
#include "internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MANIFEST_MAX_BYTES (256 * 1024)

typedef struct reader {
    lfr_ctx *ctx;
    const char *path;
    int rc;
} reader;

static int bad(reader *r, const char *field, const char *problem)
{
    if (r->rc == LFR_OK)
        r->rc = lfr_fail(r->ctx, LFR_EMODEL, "%s: %s: %s", r->path, field, problem);
    return r->rc;
}

static json_t *get(reader *r, json_t *obj, const char *field, int required)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    if (!v && required) bad(r, field, "missing");
    return v;
}

static void get_string(reader *r, json_t *obj, const char *field, char *dst, size_t len)
{
    json_t *v = get(r, obj, field, 1);
    if (!v) return;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len) {
        bad(r, field, "must be a non-empty string of reasonable length");
        return;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
}

static float get_number(reader *r, json_t *obj, const char *field, int required, double lo,
                        double hi, double fallback)
{
    json_t *v = get(r, obj, field, required);
    if (!v) return (float)fallback;
    if (!json_is_number(v)) {
        bad(r, field, "must be a number");
        return (float)fallback;
    }
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) {
        char msg[96];
        snprintf(msg, sizeof msg, "%g is outside [%g, %g]", x, lo, hi);
        bad(r, field, msg);
        return (float)fallback;
    }
    return (float)x;
}

static void read_input(reader *r, json_t *root, manifest *m)
{
    json_t *in = get(r, root, "input", 1);
    if (!in) return;
    get_string(r, in, "name", m->input_name, sizeof m->input_name);
    m->input_w = (int)get_number(r, in, "width", 1, 0, 4096, 0);
    m->input_h = (int)get_number(r, in, "height", 1, 0, 4096, 0);
    char colour[16] = "";
    get_string(r, in, "colour", colour, sizeof colour);
    if (!strcmp(colour, "rgb"))
        m->colour = COLOUR_RGB;
    else if (!strcmp(colour, "bgr"))
        m->colour = COLOUR_BGR;
    else if (!strcmp(colour, "grey"))
        m->colour = COLOUR_GREY;
    else
        bad(r, "input.colour", "must be \"rgb\", \"bgr\" or \"grey\"");
    m->mean = get_number(r, in, "mean", 1, -1000, 1000, 0);
    m->scale = get_number(r, in, "scale", 1, 1e-6, 1000, 1);
    if ((m->input_w == 0) != (m->input_h == 0))
        bad(r, "input", "width and height must both be 0 or both set");
}

static void read_outputs(reader *r, json_t *root, manifest *m, const char *a, const char *b)
{
    json_t *out = get(r, root, "outputs", 1);
    if (!out) return;
    get_string(r, out, a, m->output_names[0], sizeof m->output_names[0]);
    m->n_outputs = 1;
    if (b) {
        get_string(r, out, b, m->output_names[1], sizeof m->output_names[1]);
        m->n_outputs = 2;
    }
}

static void read_detector(reader *r, json_t *root, manifest *m)
{
    read_outputs(r, root, m, "scores", "boxes");
    char decode[16] = "";
    get_string(r, root, "decode", decode, sizeof decode);
    m->score_threshold = get_number(r, root, "score_threshold", 1, 0.01, 1, 0.7);
    m->nms_iou = get_number(r, root, "nms_iou", 1, 0.01, 1, 0.3);
    if (!strcmp(decode, "corners")) {
        m->decode = DECODE_CORNERS;
        if (m->input_w == 0) bad(r, "decode", "\"corners\" needs a fixed input size");
        return;
    }
    if (strcmp(decode, "priors") != 0) {
        bad(r, "decode", "must be \"corners\" or \"priors\"");
        return;
    }
    m->decode = DECODE_PRIORS;
    json_t *pr = get(r, root, "priors", 1);
    json_t *strides = get(r, pr, "strides", 1), *sizes = get(r, pr, "min_sizes", 1);
    if (!strides || !sizes) return;
    size_t n = json_array_size(strides);
    if (!json_is_array(strides) || n == 0 || n > MANIFEST_MAX_LEVELS ||
        json_array_size(sizes) != n) {
        bad(r, "priors", "strides and min_sizes must be arrays of equal length 1..8");
        return;
    }
    m->n_levels = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(strides, i), *ms = json_array_get(sizes, i);
        size_t k = json_array_size(ms);
        if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > 1024 ||
            !json_is_array(ms) || k == 0 || k > MANIFEST_MAX_SIZES) {
            bad(r, "priors", "each stride must be 1..1024 with 1..4 min sizes");
            return;
        }
        m->strides[i] = (int)json_integer_value(s);
        m->n_sizes[i] = (int)k;
        for (size_t j = 0; j < k; j++) {
            json_t *v = json_array_get(ms, j);
            if (!json_is_number(v) || json_number_value(v) <= 0) {
                bad(r, "priors.min_sizes", "must be positive numbers");
                return;
            }
            m->min_sizes[i][j] = (float)json_number_value(v);
        }
    }
    m->center_variance = get_number(r, pr, "center_variance", 1, 1e-4, 10, 0.1);
    m->size_variance = get_number(r, pr, "size_variance", 1, 1e-4, 10, 0.2);
}

static void read_points(reader *r, json_t *arr, manifest *m)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n < 2 || n > MANIFEST_MAX_POINTS) {
        bad(r, "alignment", "must be an array of 2..8 [x, y] points");
        return;
    }
    m->n_align_points = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(arr, i);
        if (json_array_size(p) != 2 || !json_is_number(json_array_get(p, 0)) ||
            !json_is_number(json_array_get(p, 1))) {
            bad(r, "alignment", "each point must be [x, y]");
            return;
        }
        m->align_points[i][0] = (float)json_number_value(json_array_get(p, 0));
        m->align_points[i][1] = (float)json_number_value(json_array_get(p, 1));
    }
}

/* Optional: what `lfr eval fmr --update-manifest` measured. */
static void read_operating_points(reader *r, json_t *op, manifest *m)
{
    if (!op) return;
    const char *data = json_string_value(json_object_get(op, "data"));
    snprintf(m->op_data, sizeof m->op_data, "%s", data ? data : "");
    json_t *pts = get(r, op, "points", 1);
    size_t n = json_array_size(pts);
    if (!json_is_array(pts) || n > 16) {
        bad(r, "operating_points.points", "must be an array of at most 16 points");
        return;
    }
    for (size_t i = 0; i < n && r->rc == LFR_OK; i++) {
        json_t *p = json_array_get(pts, i);
        double fmr = get_number(r, p, "fmr", 1, 1e-12, 1, 0);
        double t = get_number(r, p, "threshold", 1, -1, 1, 0);
        if (i > 0 && !(fmr < m->op_fmr[i - 1] && t >= m->op_threshold[i - 1]))
            bad(r, "operating_points.points", "must go down in FMR and up in threshold");
        m->op_fmr[i] = fmr;
        m->op_threshold[i] = t;
    }
    if (r->rc == LFR_OK) m->n_points_op = (int)n;
}

/* Optional: the second set, `lfr eval fmr --update-manifest --in-the-wild`. */
static void read_wild_points(reader *r, json_t *op, manifest *m)
{
    if (!op) return;
    const char *data = json_string_value(json_object_get(op, "data"));
    if (!data || !*data) {
        bad(r, "operating_points_in_the_wild.data", "must name the data");
        return;
    }
    snprintf(m->wild_data, sizeof m->wild_data, "%s", data);
    json_t *pts = get(r, op, "points", 1);
    size_t n = json_array_size(pts);
    if (!json_is_array(pts) || n < 1 || n > 16) {
        bad(r, "operating_points_in_the_wild.points", "must be an array of 1 to 16 points");
        return;
    }
    for (size_t i = 0; i < n && r->rc == LFR_OK; i++) {
        json_t *p = json_array_get(pts, i);
        double fmr = get_number(r, p, "fmr", 1, 1e-12, 1, 0);
        double t = get_number(r, p, "threshold", 1, -1, 1, 0);
        double lo = get_number(r, p, "fmr_ci95_lo", 1, 0, 1, 0);
        double hi = get_number(r, p, "fmr_ci95_hi", 1, 0, 1, 0);
        if (i > 0 && !(fmr < m->wild_fmr[i - 1] && t >= m->wild_threshold[i - 1]))
            bad(r, "operating_points_in_the_wild.points",
                "must go down in FMR and up in threshold");
        if (!(lo <= fmr && fmr <= hi))
            bad(r, "operating_points_in_the_wild.points", "interval must hold the FMR");
        m->wild_fmr[i] = fmr;
        m->wild_threshold[i] = t;
        m->wild_lo[i] = lo;
        m->wild_hi[i] = hi;
    }
    if (r->rc == LFR_OK) m->n_wild = (int)n;
}

/* What evaluation measured: the operating points and, once validated, the
 * threshold floor (ACC-1). */
static void read_measured(reader *r, json_t *root, manifest *m)
{
    read_operating_points(r, get(r, root, "operating_points", 0), m);
    read_wild_points(r, get(r, root, "operating_points_in_the_wild", 0), m);
    json_t *floor = get(r, root, "threshold_floor", 0);
    m->floor = floor ? get_number(r, floor, "threshold", 1, -1, 1, 0) : NAN;
}

/* A fusion: "members": [{"model": NAME, "weight": W}, ...], weights
 * computed on calibration pairs apart from any test pairs (lfr/eval.h). */
static void read_fusion(reader *r, json_t *root, manifest *m)
{
    m->kind = LFR_MODEL_EMBEDDER;
    json_t *members = get(r, root, "members", 1);
    size_t n = json_array_size(members);
    if (!members) return;
    if (!json_is_array(members) || n < 2 || n > MANIFEST_MAX_MEMBERS) {
        bad(r, "members", "must be an array of 2..4 embedders");
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n && r->rc == LFR_OK; i++) {
        json_t *mem = json_array_get(members, i);
        get_string(r, mem, "model", m->member_names[i], sizeof m->member_names[i]);
        m->member_weight[i] = get_number(r, mem, "weight", 1, 1e-6, 1e6, 1);
        sum += m->member_weight[i];
        if (r->rc == LFR_OK && strchr(m->member_names[i], '/'))
            bad(r, "members.model", "must be a manifest name in the same folder, not a path");
        for (size_t k = 0; k < i && r->rc == LFR_OK; k++)
            if (!strcmp(m->member_names[k], m->member_names[i]))
                bad(r, "members", "names the same model twice");
    }
    if (r->rc) return;
    m->n_members = (int)n;
    for (int i = 0; i < m->n_members; i++)
        m->member_weight[i] = (float)(m->member_weight[i] / sum);
    /* Checked against the members' sizes at load. */
    m->embedding_size = (int)get_number(r, root, "embedding_size", 1, 2, 8192, 0);
    m->threshold = get_number(r, root, "threshold", 1, -1, 1, 0.4);
    read_measured(r, root, m);
}

static void read_manifest(reader *r, json_t *root, manifest *m)
{
    if (!json_is_object(root)) {
        bad(r, "(top)", "must be a JSON object");
        return;
    }
    get_string(r, root, "name", m->name, sizeof m->name);
    char kind[16] = "";
    get_string(r, root, "kind", kind, sizeof kind);
    if (r->rc == LFR_OK && !strcmp(kind, "fusion")) {
        read_fusion(r, root, m);
        return;
    }
    get_string(r, root, "file", m->file, sizeof m->file);
    if (strchr(m->file, '/')) bad(r, "file", "must be a file name in the model folder, not a path");
    get_string(r, root, "sha256", m->sha256, sizeof m->sha256);
    if (r->rc == LFR_OK && (strlen(m->sha256) != 64 || strspn(m->sha256, "0123456789abcdef") != 64))
        bad(r, "sha256", "must be 64 lowercase hex digits");
    read_input(r, root, m);
    if (r->rc) return;
    if (!strcmp(kind, "detector")) {
        m->kind = LFR_MODEL_DETECTOR;
        read_detector(r, root, m);
    } else if (!strcmp(kind, "landmarks")) {
        m->kind = LFR_MODEL_LANDMARKS;
        read_outputs(r, root, m, "points", NULL);
        m->n_points = (int)get_number(r, root, "n_points", 1, 5, 1000, 68);
        if (m->n_points != 68) bad(r, "n_points", "only the 68-point layout is supported");
        json_t *crop = get(r, root, "crop", 1);
        m->crop_scale = get_number(r, crop, "scale", 1, 0.5, 4, 1.1);
        m->crop_shift_x = get_number(r, crop, "shift_x", 1, -1, 1, 0);
        if (m->input_w == 0) bad(r, "input", "a landmark model needs a fixed input size");
    } else if (!strcmp(kind, "embedder")) {
        m->kind = LFR_MODEL_EMBEDDER;
        read_outputs(r, root, m, "embedding", NULL);
        m->embedding_size = (int)get_number(r, root, "embedding_size", 1, 2, 8192, 0);
        m->threshold = get_number(r, root, "threshold", 1, -1, 1, 0.4);
        json_t *al = get(r, root, "alignment", 1);
        if (al) read_points(r, al, m);
        read_measured(r, root, m);
        if (m->input_w == 0) bad(r, "input", "an embedder needs a fixed input size");
    } else {
        bad(r, "kind", "must be \"detector\", \"landmarks\", \"embedder\" or \"fusion\"");
    }
}

int manifest_load(lfr_ctx *ctx, const char *dir, const char *name, manifest *m, char **model_path)
{
    *model_path = NULL;
    memset(m, 0, sizeof *m);
    char path[4096];
    size_t name_len = strlen(name);
    int is_file = name_len > 5 && !strcmp(name + name_len - 5, ".json");
    if (is_file)
        snprintf(path, sizeof path, "%s", name);
    else if (snprintf(path, sizeof path, "%s/%s.json", dir, name) >= (int)sizeof path)
        return lfr_fail(ctx, LFR_EINVAL, "%s: model folder path too long", dir);

    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, path, MANIFEST_MAX_BYTES, &text, &len);
    if (rc) {
        if (rc == LFR_ENOENT) {
            lfr_fail_prefix(ctx,
                            "model '%s' has no manifest (run scripts/setup.sh, or set "
                            "LFR_MODEL_DIR)",
                            name);
            return lfr_fail(ctx, LFR_EMODEL, "%s", lfr_errmsg(ctx));
        }
        return rc;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    lfr_free(text);
    if (!root)
        return lfr_fail(ctx, LFR_EMODEL, "%s:%d:%d: invalid JSON: %s", path, jerr.line, jerr.column,
                        jerr.text);
    reader r = {ctx, path, LFR_OK};
    read_manifest(&r, root, m);
    json_decref(root);
    if (r.rc) return r.rc;

    /* The model file sits beside its manifest. */
    char model_dir[4096];
    snprintf(model_dir, sizeof model_dir, "%s", path);
    char *slash = strrchr(model_dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(model_dir, sizeof model_dir, ".");
    size_t need = strlen(model_dir) + 1 + strlen(m->file) + 1;
    *model_path = lfr_alloc(need);
    if (!*model_path) return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
    if (m->n_members)
        snprintf(*model_path, need, "%s", model_dir);
    else
        snprintf(*model_path, need, "%s/%s", model_dir, m->file);
    return LFR_OK;
}
