/* cli/cmd_doctor.c - `lfr doctor`: is everything in place to run, and if
 * not, what to do about it. */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct report {
    int json, problems;
    json_t *checks;
} report;

static void note(report *r, const char *what, int ok, const char *detail, const char *fix)
{
    if (!ok) r->problems++;
    if (r->json) {
        json_array_append_new(r->checks, json_pack("{s:s,s:b,s:s,s:s}", "check", what, "ok", ok,
                                                   "detail", detail, "fix", ok ? "" : fix));
        return;
    }
    printf("%-4s %s: %s\n", ok ? "ok" : "FAIL", what, detail);
    if (!ok && fix && *fix) printf("     fix: %s\n", fix);
}

/* The locked pool (issue 18): its bound, whether a block locks, and how
 * many watchlisted people it holds beside a few cameras' working sets. */
static void locked_memory_check(report *r, lfr_ctx *ctx, int dim)
{
    char detail[512];
    size_t limit = lfr_locked_limit(), probe = (size_t)1 << 20;
    void *p = lfr_locked_alloc(probe);
    int ok = p != NULL;
    if (!ok) lfr_locked_fail(ctx, "a 1 MiB block");
    lfr_locked_free(p);
    /* Per person: the float template and its int8 copy; per camera about a
     * megabyte of crops, tensors and track templates. */
    size_t per_person = (size_t)dim * 4 + ((size_t)dim + 63) / 64 * 64;
    size_t cameras = (size_t)4 << 20;
    if (!ok)
        snprintf(detail, sizeof detail, "%s", lfr_errmsg(ctx));
    else if (dim > 0)
        snprintf(detail, sizeof detail,
                 "crops, templates, decrypted photos and keys are locked in RAM (never swapped, "
                 "not in core dumps); limit %zu MiB: a watchlist of about %zu people beside "
                 "four cameras",
                 limit >> 20, limit > cameras ? (limit - cameras) / per_person : 0);
    else
        snprintf(detail, sizeof detail,
                 "crops, templates, decrypted photos and keys are locked in RAM; limit %zu MiB",
                 limit >> 20);
    note(r, "locked memory", ok, detail,
         "raise RLIMIT_MEMLOCK (LimitMEMLOCK= in the service unit, or ulimit -l)");
}

int cmd_doctor(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    report r = {0};
    char dir[4096];
    lfr_default_model_dir(dir, sizeof dir);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            r.json = 1;
        else if (c == 'm')
            snprintf(dir, sizeof dir, "%s", optarg);
        else
            return cli_usage("doctor", "unknown option");
    }
    if (optind != argc) return cli_usage("doctor", "unexpected argument '%s'", argv[optind]);
    r.checks = json_array();
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("doctor", LFR_ENOMEM, "out of memory");

    lfr_runtime *rt = NULL;
    int dim = 0;
    int rc = lfr_runtime_new(ctx, NULL, &rt);
    char detail[4200];
    snprintf(detail, sizeof detail, "ONNX Runtime %s %s", lfr_runtime_ort_version(),
             rc ? lfr_errmsg(ctx) : "starts");
    note(&r, "runtime", rc == LFR_OK, detail,
         "run scripts/setup.sh, or rebuild with ONNXRUNTIME_ROOT set to a working release");

    DIR *d = opendir(dir);
    snprintf(detail, sizeof detail, "%s", dir);
    note(&r, "model folder", d != NULL, detail,
         "run scripts/setup.sh, or set LFR_MODEL_DIR to a folder of manifests and .onnx files");
    int n_manifests = 0;
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t len = strlen(de->d_name);
            if (len < 6 || strcmp(de->d_name + len - 5, ".json")) continue;
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(len - 5), de->d_name);
            n_manifests++;
            rc = lfr_model_check(ctx, dir, name);
            snprintf(detail, sizeof detail, "%s", rc ? lfr_errmsg(ctx) : "manifest and SHA-256 ok");
            char what[300];
            snprintf(what, sizeof what, "model %s", name);
            note(&r, what, rc == LFR_OK, detail, "run scripts/setup.sh to fetch and check it");
        }
        closedir(d);
    }
    if (d && n_manifests == 0)
        note(&r, "models", 0, "no manifests (*.json) in the model folder", "run scripts/setup.sh");
    if (rt) {
        lfr_engine_params ep = lfr_engine_default_params();
        ep.model_dir = dir;
        lfr_engine *engine = NULL;
        rc = lfr_engine_new(ctx, rt, &ep, &engine);
        if (!rc) dim = lfr_engine_embedding_size(engine);
        snprintf(detail, sizeof detail, "%s", rc ? lfr_errmsg(ctx) : "default models load");
        note(&r, "engine", rc == LFR_OK, detail, "run scripts/setup.sh");
        lfr_engine_free(engine);
    }
    /* What lfr serve and the pipeline do at start, tried here. */
    rc = lfr_core_dumps_off(ctx);
    snprintf(detail, sizeof detail, "%s",
             rc ? lfr_errmsg(ctx)
             : lfr_core_dumps_are_off()
                 ? "off in lfr serve and every pipeline (RLIMIT_CORE 0, not dumpable): a "
                   "crash writes no face to disk"
                 : "the system did not keep them off");
    note(&r, "core dumps", rc == LFR_OK && lfr_core_dumps_are_off(), detail,
         "run where prctl(PR_SET_DUMPABLE) and setrlimit(RLIMIT_CORE) are allowed");
    locked_memory_check(&r, ctx, dim);
    lfr_runtime_free(rt);
    lfr_ctx_free(ctx);
    if (r.json)
        cli_print_json(json_pack("{s:b,s:i,s:o}", "ok", r.problems == 0, "problems", r.problems,
                                 "checks", r.checks));
    else {
        json_decref(r.checks);
        printf("%s\n", r.problems ? "problems found" : "all checks passed");
    }
    return r.problems ? EXIT_ENV : EXIT_OK;
}
