/* cli/cmd_eval_sets.c - `lfr eval fmr` and `lfr eval identify`: error rates
 * over a whole labelled set, with counts and 95% intervals beside each. */
#include "cli.h"
#include "lfr/eval.h"

#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct set_opts {
    engine_opts eo;
    const char *lfw, *merge, *cache, *groups, *plot, *fuse;
    const char *in_the_wild; /* names the data: the points are recorded as a second set */
    double threshold;        /* for --groups; < -1: the embedder's threshold */
    int json, threads, update_manifest, find_floor;
} set_opts;

static int parse_set_opts(const char *what, int argc, char **argv, set_opts *o)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"lfw", required_argument, NULL, 'l'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"embedder", required_argument, NULL, 'e'},
                                         {"model", required_argument, NULL, 'e'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"no-flip", no_argument, NULL, 'f'},
                                         {"merge", required_argument, NULL, 'M'},
                                         {"embeddings", required_argument, NULL, 'E'},
                                         {"update-manifest", no_argument, NULL, 'U'},
                                         {"in-the-wild", required_argument, NULL, 'W'},
                                         {"groups", required_argument, NULL, 'G'},
                                         {"threshold", required_argument, NULL, 'T'},
                                         {"plot", required_argument, NULL, 'P'},
                                         {"fuse", required_argument, NULL, 'F'},
                                         {"find-floor", no_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->eo.flip = 1;
    o->threads = 2;
    o->threshold = -2;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = 1;
            break;
        case 'l':
            o->lfw = optarg;
            break;
        case 'm':
            o->eo.model_dir = optarg;
            break;
        case 'e':
            o->eo.embedder = optarg;
            break;
        case 'f':
            o->eo.flip = 0;
            break;
        case 'M':
            o->merge = optarg;
            break;
        case 'E':
            o->cache = optarg;
            break;
        case 'U':
            o->update_manifest = 1;
            break;
        case 'W':
            o->in_the_wild = optarg;
            break;
        case 'G':
            o->groups = optarg;
            break;
        case 'P':
            o->plot = optarg;
            break;
        case 'F':
            o->fuse = optarg;
            break;
        case 'R':
            o->find_floor = 1;
            break;
        case 'T':
            if (cli_parse_float(optarg, -1, 1, &o->threshold))
                return cli_usage("eval", "--threshold needs a number in [-1, 1]");
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 64, &o->threads))
                return cli_usage("eval", "--threads needs a number 1..64");
            break;
        default:
            return cli_usage("eval", "unknown option");
        }
    }
    if (!o->lfw) return cli_usage("eval", "%s needs --lfw DIR", what);
    if (optind != argc) return cli_usage("eval", "unexpected argument '%s'", argv[optind]);
    if (o->update_manifest && strcmp(what, "fmr"))
        return cli_usage("eval", "--update-manifest is for 'fmr'");
    if (o->in_the_wild && (!o->update_manifest || !*o->in_the_wild))
        return cli_usage("eval", "--in-the-wild DATA names the data for --update-manifest");
    if (o->fuse && (o->update_manifest || o->eo.embedder))
        return cli_usage("eval", "--fuse names its models; no --embedder or --update-manifest");
    if (o->find_floor && (strcmp(what, "fmr") || !o->groups))
        return cli_usage("eval", "--find-floor is for 'fmr' with --groups");
    if (o->fuse && o->groups && o->threshold < -1)
        return cli_usage(
            "eval", "with --fuse, --groups needs --threshold (fused scores have their own scale)");
    return EXIT_OK;
}

/* The set, the engine and every image's embedding. */
typedef struct loaded {
    lfr_ctx *ctx;
    lfr_runtime *rt;
    lfr_engine *engine;
    lfr_labelled *set;
    float *emb;
    uint8_t *found;
    size_t emb_bytes;
    int dim;
    char fused_name[128]; /* "fusion of a,b" when fusing; then engine is NULL */
} loaded;

static void unload(loaded *l)
{
    if (l->emb) lfr_wipe_free(l->emb, l->emb_bytes);
    lfr_free(l->found);
    lfr_labelled_free(l->set);
    cli_engine_close(l->rt, l->engine);
    lfr_ctx_free(l->ctx);
}

/* --fuse A,B[,C]: the fused vectors replace the embeddings. */
static int load_fused(const set_opts *o, loaded *l)
{
    fuse_opts f = {.lfw = o->lfw,
                   .models = o->fuse,
                   .cache = o->cache,
                   .eo = o->eo,
                   .threads = o->threads,
                   .json = o->json};
    int status = cli_fuse_paths(l->ctx, &f, l->set->paths, l->set->n, &l->emb, &l->found, &l->dim);
    if (status) return status;
    l->emb_bytes = (size_t)l->set->n * (size_t)l->dim * sizeof(float);
    snprintf(l->fused_name, sizeof l->fused_name, "fusion of %.100s", o->fuse);
    return EXIT_OK;
}

static int load_and_embed(const set_opts *o, loaded *l)
{
    memset(l, 0, sizeof *l);
    if (lfr_ctx_new(&l->ctx)) return cli_fail("eval", LFR_ENOMEM, "out of memory");
    int rc = lfr_labelled_load_lfw(l->ctx, o->lfw, o->merge, &l->set);
    if (rc) return cli_fail_ctx("eval", l->ctx, rc);
    if (o->fuse) return load_fused(o, l);
    /* Several workers keep the cores busy: a fusion's members in turn. */
    engine_opts eo = o->eo;
    eo.fusion_in_turn = o->threads > 1;
    int status = cli_engine_open("eval", l->ctx, &eo, &l->rt, &l->engine);
    if (status) return status;
    l->dim = lfr_engine_embedding_size(l->engine);
    l->emb_bytes = (size_t)l->set->n * (size_t)l->dim * sizeof(float);
    l->emb = lfr_alloc(l->emb_bytes);
    l->found = lfr_calloc((size_t)l->set->n, 1);
    if (!l->emb || !l->found) return cli_fail("eval", LFR_ENOMEM, "out of memory");
    int cached = 0;
    cli_progress pr;
    cli_progress_start(&pr, "eval", "embedding", "images");
    rc = lfr_embed_paths_cached(l->ctx, l->engine, o->eo.flip, l->set->paths, l->set->n, o->threads,
                                o->cache, l->emb, l->found, o->json ? NULL : cli_progress_embedded,
                                &pr, &cached);
    if (rc) return cli_fail_ctx("eval", l->ctx, rc);
    if (cached && !o->json) fprintf(stderr, "lfr eval: embeddings read from %s\n", o->cache);
    return EXIT_OK;
}

static const char *model_of(const loaded *l)
{
    if (l->fused_name[0]) return l->fused_name;
    return lfr_model_name(lfr_engine_model(l->engine, LFR_MODEL_EMBEDDER));
}

static const char *name_of(const loaded *l, int image)
{
    return l->set->names[l->set->label[image]];
}

static json_t *top_json(const loaded *l, const lfr_scored_pair *p, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        char *a = l->set->paths[p[i].a], *b = l->set->paths[p[i].b];
        json_array_append_new(arr,
                              json_pack("{s:f,s:s,s:s,s:s,s:s}", "score", p[i].score, "identity_a",
                                        name_of(l, p[i].a), "image_a", basename(a), "identity_b",
                                        name_of(l, p[i].b), "image_b", basename(b)));
    }
    return arr;
}

static void print_top(const loaded *l, const char *title, const lfr_scored_pair *p, int n)
{
    printf("%s (label errors show up here):\n", title);
    for (int i = 0; i < n && i < 10; i++)
        printf("  %.4f  %s  ~  %s\n", p[i].score, basename(l->set->paths[p[i].a]),
               basename(l->set->paths[p[i].b]));
}

/* The embedder's manifest in the model folder, parsed; NULL after
 * reporting the failure. */
static json_t *manifest_open(const set_opts *o, char *path, size_t len)
{
    char dir[4096];
    if (o->eo.model_dir)
        snprintf(dir, sizeof dir, "%s", o->eo.model_dir);
    else
        lfr_default_model_dir(dir, sizeof dir);
    snprintf(path, len, "%s/%s.json", dir,
             o->eo.embedder ? o->eo.embedder : lfr_engine_default_params().embedder);
    json_error_t err;
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!m) cli_fail("eval", LFR_EMODEL, "%s: %s", path, err.text);
    return m;
}

/* Sets one measured entry of the manifest (dated), writes it back. */
static int manifest_record(const set_opts *o, const char *key, json_t *value, const char *what)
{
    char path[4400], date[32];
    json_t *m = manifest_open(o, path, sizeof path);
    if (!m) {
        json_decref(value);
        return EXIT_ENV;
    }
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    json_object_set_new(value, "date", json_string(date));
    json_object_set_new(m, key, value);
    int bad =
        json_dump_file(m, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(m);
    if (bad) return cli_fail("eval", LFR_EIO, "%s: cannot write", path);
    if (!o->json) printf("%s written to %s\n", what, path);
    return EXIT_OK;
}

/* Records the measured operating points in the embedder's manifest in the
 * model folder (REQUIREMENTS ACC-1): LFW's, which choose thresholds, or
 * with --in-the-wild a second set on other data, quoted beside them. Only
 * points the data can support (a false match at least) are kept, each with
 * its Wilson 95% interval. */
static int update_manifest(const set_opts *o, const lfr_fmr_result *r)
{
    json_t *pts = json_array();
    for (int p = 0; p < 5; p++) {
        const lfr_fmr_point *pt = &r->points[p];
        if (o->in_the_wild && pt->false_matches == 0) break;
        json_array_append_new(
            pts, json_pack("{s:f,s:f,s:I,s:f,s:f,s:f,s:I}", "fmr", pt->fmr_target, "threshold",
                           pt->threshold, "false_matches", (json_int_t)pt->false_matches,
                           "fmr_ci95_lo", pt->fmr_lo, "fmr_ci95_hi", pt->fmr_hi, "fnmr", pt->fnmr,
                           "false_non_matches", (json_int_t)pt->false_non_matches));
    }
    if (o->in_the_wild)
        return manifest_record(o, "operating_points_in_the_wild",
                               json_pack("{s:s,s:b,s:I,s:I,s:o}", "data", o->in_the_wild, "flip",
                                         o->eo.flip, "genuine_pairs", (json_int_t)r->n_genuine,
                                         "impostor_pairs", (json_int_t)r->n_impostor, "points",
                                         pts),
                               "operating points in the wild");
    return manifest_record(o, "operating_points",
                           json_pack("{s:s,s:b,s:I,s:I,s:f,s:o}", "data",
                                     "LFW 150 px originals, every same- and cross-identity pair",
                                     "flip", o->eo.flip, "genuine_pairs", (json_int_t)r->n_genuine,
                                     "impostor_pairs", (json_int_t)r->n_impostor,
                                     "threshold_fmr_1e-6", r->points[3].threshold, "points", pts),
                           "operating points");
}

/* Rates by perceived sex and by ethnicity group at one threshold. */
static int report_groups(const set_opts *o, const loaded *l, const lfr_identify_result *id,
                         json_t *json_out)
{
    double t = o->threshold >= -1 ? o->threshold : lfr_engine_threshold(l->engine);
    static const char *columns[2] = {"sex", "group"};
    for (int c = 0; c < 2; c++) {
        lfr_groups *g = NULL;
        int rc = lfr_groups_load(l->ctx, o->groups, columns[c], l->set, &g);
        if (rc) return cli_fail_ctx("eval", l->ctx, rc);
        lfr_group_rates rates[LFR_MAX_GROUPS];
        rc = lfr_eval_groups(l->ctx, l->set, l->emb, l->found, l->dim, g, t, id, rates);
        if (rc) {
            lfr_groups_free(g);
            return cli_fail_ctx("eval", l->ctx, rc);
        }
        double lo_fmr = 2, hi_fmr = -1;
        for (int k = 0; k < g->n_groups; k++) {
            if (rates[k].fmr < lo_fmr) lo_fmr = rates[k].fmr;
            if (rates[k].fmr > hi_fmr) hi_fmr = rates[k].fmr;
        }
        double ratio = lo_fmr > 0 ? hi_fmr / lo_fmr : (hi_fmr > 0 ? INFINITY : 1.0);
        if (json_out) {
            json_t *arr = json_array();
            for (int k = 0; k < g->n_groups; k++) {
                const lfr_group_rates *r = &rates[k];
                json_array_append_new(
                    arr,
                    json_pack("{s:s,s:i,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f,"
                              "s:f,s:f,s:I,s:I,s:f,s:f,s:f}",
                              "group", r->name, "identities", r->n_identities, "impostor_pairs",
                              (json_int_t)r->impostor_pairs, "false_matches",
                              (json_int_t)r->false_matches, "fmr", r->fmr, "fmr_ci95_lo", r->fmr_lo,
                              "fmr_ci95_hi", r->fmr_hi, "genuine_pairs",
                              (json_int_t)r->genuine_pairs, "false_non_matches",
                              (json_int_t)r->false_non_matches, "fnmr", r->fnmr, "fnmr_ci95_lo",
                              r->fnmr_lo, "fnmr_ci95_hi", r->fnmr_hi, "nonmated",
                              (json_int_t)r->nonmated, "false_positives",
                              (json_int_t)r->false_positives, "fpir", r->fpir, "fpir_ci95_lo",
                              r->fpir_lo, "fpir_ci95_hi", r->fpir_hi, "mated", (json_int_t)r->mated,
                              "false_negatives", (json_int_t)r->false_negatives, "fnir", r->fnir,
                              "fnir_ci95_lo", r->fnir_lo, "fnir_ci95_hi", r->fnir_hi));
            }
            json_object_set_new(json_out, columns[c],
                                json_pack("{s:f,s:o,s:o}", "threshold", t, "groups", arr,
                                          "fmr_ratio_highest_to_lowest",
                                          isfinite(ratio) ? json_real(ratio) : json_null()));
        } else {
            printf("\nby %s at threshold %.3f (unknown, ambiguous and unlabelled left out):\n",
                   columns[c], t);
            printf("%-8s %6s  %-42s %-32s", "group", "people", "FMR within the group (95% CI)",
                   "FNMR (95% CI)");
            if (id) printf(" %-28s %-28s", "FPIR (95% CI)", "FNIR (95% CI)");
            printf("\n");
            for (int k = 0; k < g->n_groups; k++) {
                const lfr_group_rates *r = &rates[k];
                char fmr[64], fnmr[64];
                snprintf(fmr, sizeof fmr, "%ld/%ld=%.1e [%.1e,%.1e]", r->false_matches,
                         r->impostor_pairs, r->fmr, r->fmr_lo, r->fmr_hi);
                snprintf(fnmr, sizeof fnmr, "%ld/%ld=%.2f%% [%.2f,%.2f]", r->false_non_matches,
                         r->genuine_pairs, 100 * r->fnmr, 100 * r->fnmr_lo, 100 * r->fnmr_hi);
                printf("%-8s %6d  %-42s %-32s", r->name, r->n_identities, fmr, fnmr);
                if (id) {
                    char fpir[64], fnir[64];
                    snprintf(fpir, sizeof fpir, "%ld/%ld=%.2f%% [%.2f,%.2f]", r->false_positives,
                             r->nonmated, 100 * r->fpir, 100 * r->fpir_lo, 100 * r->fpir_hi);
                    snprintf(fnir, sizeof fnir, "%ld/%ld=%.2f%% [%.2f,%.2f]", r->false_negatives,
                             r->mated, 100 * r->fnir, 100 * r->fnir_lo, 100 * r->fnir_hi);
                    printf(" %-28s %-28s", fpir, fnir);
                }
                printf("\n");
            }
            if (isfinite(ratio))
                printf("highest / lowest group FMR: %.2f\n", ratio);
            else
                printf("highest / lowest group FMR: undefined (a group has no false match)\n");
        }
        lfr_groups_free(g);
    }
    return EXIT_OK;
}

/* ACC-1: the lowest threshold with no significant differential between
 * groups, by sex and by ethnicity group, from the FMR 1e-3 threshold up in
 * steps of 0.005. *floor: the higher of the two (< -1: none in the sweep). */
static int find_floor(const set_opts *o, const loaded *l, const lfr_fmr_result *r, json_t *json_out,
                      double *floor)
{
    static const char *columns[2] = {"sex", "group"};
    *floor = -1;
    json_t *steps = json_array();
    for (int c = 0; c < 2 && *floor > -2; c++) {
        lfr_groups *g = NULL;
        lfr_group_floor *f = lfr_alloc(sizeof *f);
        int rc = f ? lfr_groups_load(l->ctx, o->groups, columns[c], l->set, &g) : LFR_ENOMEM;
        if (!rc)
            rc = lfr_eval_group_floor(l->ctx, l->set, l->emb, l->found, l->dim, g,
                                      r->points[0].threshold, 0.005, f);
        lfr_groups_free(g);
        if (rc) {
            lfr_free(f);
            json_decref(steps);
            return cli_fail_ctx("eval", l->ctx, rc);
        }
        *floor = f->floor < -1 ? -2 : (f->floor > *floor ? f->floor : *floor);
        if (!o->json)
            printf("\nfloor by %s: FMR within groups at each threshold; * = two groups' 95%% "
                   "intervals do not meet\n",
                   columns[c]);
        for (int s = 0; s < f->n_steps; s++) {
            const lfr_floor_step *st = &f->steps[s];
            json_array_append_new(
                steps,
                json_pack("{s:s,s:f,s:b,s:s,s:I,s:I,s:s,s:I,s:I}", "by", columns[c], "threshold",
                          st->threshold, "significant", st->significant, "highest", st->highest,
                          "highest_false_matches", (json_int_t)st->highest_fm, "highest_pairs",
                          (json_int_t)st->highest_pairs, "lowest", st->lowest,
                          "lowest_false_matches", (json_int_t)st->lowest_fm, "lowest_pairs",
                          (json_int_t)st->lowest_pairs));
            if (!o->json && s % 2 == 0)
                printf("  %.3f %c highest %-6s %ld/%ld   lowest %-6s %ld/%ld\n", st->threshold,
                       st->significant ? '*' : ' ', st->highest, st->highest_fm, st->highest_pairs,
                       st->lowest, st->lowest_fm, st->lowest_pairs);
        }
        lfr_free(f);
    }
    if (json_out)
        json_object_set_new(json_out, "floor_steps", steps);
    else
        json_decref(steps);
    if (json_out)
        json_object_set_new(json_out, "threshold_floor",
                            *floor > -2 ? json_real(*floor) : json_null());
    else if (*floor > -2)
        printf("\nvalidated threshold floor (ACC-1): %.3f\n", *floor);
    else
        printf("\nno threshold in the sweep is free of a significant differential: no floor\n");
    return EXIT_OK;
}

/* Records the floor and how it was found in the embedder's manifest. */
static int update_manifest_floor(const set_opts *o, double floor)
{
    return manifest_record(
        o, "threshold_floor",
        json_pack(
            "{s:f,s:s,s:s}", "threshold", floor, "rule",
            "lowest threshold from which on no two groups (by perceived sex, by ethnicity "
            "group) have FMR 95% Wilson intervals that do not meet (lfr eval fmr --find-floor)",
            "data", "LFW 150 px originals, impostor pairs within each group"),
        "threshold floor");
}

int eval_fmr(int argc, char **argv)
{
    set_opts o;
    int status = parse_set_opts("fmr", argc, argv, &o);
    if (status) return status;
    loaded l;
    status = load_and_embed(&o, &l);
    lfr_fmr_result *r = NULL;
    if (status) goto done;
    r = lfr_calloc(1, sizeof *r);
    int rc = r ? lfr_eval_fmr(l.ctx, l.set, l.emb, l.found, l.dim, r) : LFR_ENOMEM;
    if (rc) {
        status = cli_fail("eval", rc, "fmr: %s", lfr_errmsg(l.ctx));
        goto done;
    }
    if (o.json) {
        json_t *pts = json_array();
        for (int p = 0; p < 5; p++) {
            const lfr_fmr_point *pt = &r->points[p];
            json_array_append_new(
                pts, json_pack("{s:f,s:f,s:I,s:f,s:f,s:I,s:f,s:f,s:f}", "fmr_target",
                               pt->fmr_target, "threshold", pt->threshold, "false_matches",
                               (json_int_t)pt->false_matches, "fmr_ci95_lo", pt->fmr_lo,
                               "fmr_ci95_hi", pt->fmr_hi, "false_non_matches",
                               (json_int_t)pt->false_non_matches, "fnmr", pt->fnmr, "fnmr_ci95_lo",
                               pt->fnmr_lo, "fnmr_ci95_hi", pt->fnmr_hi));
        }
        json_t *doc = json_pack(
            "{s:s,s:s,s:b,s:i,s:i,s:i,s:I,s:I,s:f,s:o,s:o}", "protocol", "LFW all pairs", "model",
            model_of(&l), "flip", o.eo.flip, "images", r->n_images, "images_without_face",
            r->n_no_face, "merged_identities", l.set->n_merged, "genuine_pairs",
            (json_int_t)r->n_genuine, "impostor_pairs", (json_int_t)r->n_impostor,
            "threshold_fmr_1e-6", r->points[3].threshold, "points", pts, "top_false_matches",
            top_json(&l, r->top_false, r->n_top_false));
        if (o.groups && (status = report_groups(&o, &l, NULL, doc))) {
            json_decref(doc);
            goto done;
        }
        cli_print_json(doc);
    } else {
        printf("LFW, every pair: %s%s; %d images (%d without a face), %d names merged\n",
               model_of(&l), o.eo.flip ? " + mirror" : "", r->n_images, r->n_no_face,
               l.set->n_merged);
        printf("%ld genuine pairs, %ld impostor pairs\n\n", r->n_genuine, r->n_impostor);
        printf("FMR target  threshold  false matches (FMR, 95%% CI)              FNMR (95%% CI)\n");
        for (int p = 0; p < 5; p++) {
            const lfr_fmr_point *pt = &r->points[p];
            printf(
                "%-10.0e  %9.4f  %9ld of %ld [%.1e, %.1e]  %6.2f%% = %ld of %ld [%.2f%%, %.2f%%]\n",
                pt->fmr_target, pt->threshold, pt->false_matches, r->n_impostor, pt->fmr_lo,
                pt->fmr_hi, 100 * pt->fnmr, pt->false_non_matches, r->n_genuine, 100 * pt->fnmr_lo,
                100 * pt->fnmr_hi);
        }
        printf("\nthreshold at FMR = 1e-6: %.4f\n\n", r->points[3].threshold);
        print_top(&l, "highest-scoring impostor pairs", r->top_false, r->n_top_false);
        if (o.groups && (status = report_groups(&o, &l, NULL, NULL))) goto done;
    }
    if (o.plot) {
        char title[512];
        snprintf(title, sizeof title, "%s%s on LFW: every pair (%ld genuine, %ld impostor)",
                 model_of(&l), o.eo.flip ? " + mirror" : "", r->n_genuine, r->n_impostor);
        if ((rc = lfr_plot_svg(l.ctx, o.plot, title, r, NULL))) {
            status = cli_fail_ctx("eval", l.ctx, rc);
            goto done;
        }
    }
    if (o.update_manifest) status = update_manifest(&o, r);
    if (o.find_floor && !status) {
        double floor = -2;
        json_t *doc = o.json ? json_object() : NULL;
        status = find_floor(&o, &l, r, doc, &floor);
        if (doc) cli_print_json(doc);
        if (!status && o.update_manifest && floor > -2) status = update_manifest_floor(&o, floor);
    }
done:
    lfr_free(r);
    unload(&l);
    return status;
}

int eval_identify(int argc, char **argv)
{
    set_opts o;
    int status = parse_set_opts("identify", argc, argv, &o);
    if (status) return status;
    loaded l;
    status = load_and_embed(&o, &l);
    if (status) {
        unload(&l);
        return status;
    }
    lfr_identify_result r;
    int rc = lfr_eval_identify(l.ctx, l.set, l.emb, l.found, l.dim, &r);
    if (rc) {
        status = cli_fail_ctx("eval", l.ctx, rc);
        unload(&l);
        return status;
    }
    if (o.json) {
        json_t *pts = json_array();
        for (int p = 0; p < 3; p++) {
            const lfr_identify_point *pt = &r.points[p];
            json_array_append_new(
                pts, json_pack("{s:f,s:f,s:I,s:f,s:f,s:I,s:f,s:f,s:f}", "fpir_target",
                               pt->fpir_target, "threshold", pt->threshold, "false_positives",
                               (json_int_t)pt->false_positives, "fpir_ci95_lo", pt->fpir_lo,
                               "fpir_ci95_hi", pt->fpir_hi, "false_negatives",
                               (json_int_t)pt->false_negatives, "fnir", pt->fnir, "fnir_ci95_lo",
                               pt->fnir_lo, "fnir_ci95_hi", pt->fnir_hi));
        }
        json_t *doc =
            json_pack("{s:s,s:s,s:b,s:i,s:i,s:i,s:i,s:I,s:f,s:f,s:f,s:o,s:o}", "protocol",
                      "LFW open-set: first photo of each person with 2+ enrolled", "model",
                      model_of(&l), "flip", o.eo.flip, "gallery", r.n_gallery, "mated_probes",
                      r.n_mated, "nonmated_probes", r.n_nonmated, "probes_without_face",
                      r.n_no_face, "rank1_hits", (json_int_t)r.rank1_hits, "rank1", r.rank1,
                      "rank1_ci95_lo", r.rank1_lo, "rank1_ci95_hi", r.rank1_hi, "points", pts,
                      "top_false_positives", top_json(&l, r.top_false, r.n_top_false));
        if (o.groups) status = report_groups(&o, &l, &r, doc);
        if (!status)
            cli_print_json(doc);
        else
            json_decref(doc);
    } else {
        printf("LFW open-set identification: %s%s; gallery %d, mated probes %d, non-mated "
               "probes %d (%d without a face)\n",
               model_of(&l), o.eo.flip ? " + mirror" : "", r.n_gallery, r.n_mated, r.n_nonmated,
               r.n_no_face);
        printf("rank-1 identification: %.2f%% = %ld of %d [%.2f%%, %.2f%%]\n\n", 100 * r.rank1,
               r.rank1_hits, r.n_mated, 100 * r.rank1_lo, 100 * r.rank1_hi);
        printf("FPIR target  threshold  FPIR: false positives (95%% CI)       FNIR (95%% CI)\n");
        for (int p = 0; p < 3; p++) {
            const lfr_identify_point *pt = &r.points[p];
            printf(
                "%-11.0e  %9.4f  %5ld of %d [%.4f, %.4f]  %6.2f%% = %ld of %d [%.2f%%, %.2f%%]\n",
                pt->fpir_target, pt->threshold, pt->false_positives, r.n_nonmated, pt->fpir_lo,
                pt->fpir_hi, 100 * pt->fnir, pt->false_negatives, r.n_mated, 100 * pt->fnir_lo,
                100 * pt->fnir_hi);
        }
        printf("\n");
        print_top(&l, "highest-scoring non-mated searches (probe ~ enrolled)", r.top_false,
                  r.n_top_false);
        if (o.groups) status = report_groups(&o, &l, &r, NULL);
    }
    if (!status && o.plot) {
        char title[512];
        snprintf(title, sizeof title, "%s%s on LFW: open-set identification", model_of(&l),
                 o.eo.flip ? " + mirror" : "");
        rc = lfr_plot_svg(l.ctx, o.plot, title, NULL, &r);
        if (rc) status = cli_fail_ctx("eval", l.ctx, rc);
    }
    lfr_identify_result_free(&r);
    unload(&l);
    return status;
}
