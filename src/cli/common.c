/* cli/common.c - error reporting, exit codes, engine set-up and JSON output
 * shared by the commands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

int cli_exit_code(int code)
{
    return lfr_err_exit_status(code);
}

int cli_fail(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lfr %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return cli_exit_code(code);
}

int cli_fail_ctx(const char *cmd, lfr_ctx *ctx, int code)
{
    return cli_fail(cmd, code, "%s", lfr_errmsg(ctx));
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lfr %s: usage error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; try 'lfr help %s'\n", cmd);
    return EXIT_USAGE;
}

int cli_engine_open(const char *cmd, lfr_ctx *ctx, const engine_opts *o, lfr_runtime **rt,
                    lfr_engine **engine)
{
    *rt = NULL;
    *engine = NULL;
    lfr_runtime_params rp = lfr_runtime_default_params();
    rp.intra_op_threads = o->threads > 0 ? o->threads : 1;
    int rc = lfr_runtime_new(ctx, &rp, rt);
    if (rc) return cli_fail_ctx(cmd, ctx, rc);
    lfr_engine_params ep = lfr_engine_default_params();
    ep.model_dir = o->model_dir;
    if (o->embedder) ep.embedder = o->embedder;
    if (o->detector) ep.detector = o->detector;
    ep.embed_flip = o->flip;
    if (o->fusion_in_turn) ep.fusion_parallel = 0;
    rc = lfr_engine_new(ctx, *rt, &ep, engine);
    if (rc) {
        lfr_runtime_free(*rt);
        *rt = NULL;
        fprintf(stderr, "lfr %s: error: %s\n(run 'lfr doctor' for a full check)\n", cmd,
                lfr_errmsg(ctx));
        return cli_exit_code(rc);
    }
    return EXIT_OK;
}

void cli_engine_close(lfr_runtime *rt, lfr_engine *engine)
{
    lfr_engine_free(engine);
    lfr_runtime_free(rt);
}

void cli_print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

json_t *cli_face_json(const lfr_face *f)
{
    json_t *pts = json_array();
    for (int i = 0; i < 5; i++)
        json_array_append_new(pts, json_pack("[f,f]", round_to(f->points[i][0], 0.01),
                                             round_to(f->points[i][1], 0.01)));
    const lfr_face_quality *q = &f->quality;
    return json_pack(
        "{s:[f,f,f,f],s:f,s:o,s:{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}}", "box", round_to(f->x1, 0.01),
        round_to(f->y1, 0.01), round_to(f->x2, 0.01), round_to(f->y2, 0.01), "score",
        round_to(f->score, 1e-4), "points", pts, "quality", "box_px", round_to(q->box_px, 0.01),
        "eye_distance_px", round_to(q->eye_distance_px, 0.01), "yaw_deg", round_to(q->yaw_deg, 0.1),
        "pitch_deg", round_to(q->pitch_deg, 0.1), "roll_deg", round_to(q->roll_deg, 0.1),
        "sharpness", round_to(q->sharpness, 0.1), "brightness", round_to(q->brightness, 0.1),
        "clipped", round_to(q->clipped, 1e-4));
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_float(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

int cli_read_secret_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, (int)len, f)) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

const char *cli_installed(const char *what, char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    if (snprintf(buf, len, "%s/../share/openlfr/%s", exe, what) >= (int)len) return NULL;
    return access(buf, F_OK) ? NULL : buf;
}
