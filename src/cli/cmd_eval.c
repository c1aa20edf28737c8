/* cli/cmd_eval.c - `lfr eval verify`: accuracy on LFW View 2. */
#include "cli.h"
#include "lfr/eval.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int eval_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},         {"lfw", required_argument, NULL, 'l'},
        {"models", required_argument, NULL, 'm'}, {"embedder", required_argument, NULL, 'e'},
        {"model", required_argument, NULL, 'e'},  {"threads", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'n'},  {"no-flip", no_argument, NULL, 'f'},
        {"fuse", required_argument, NULL, 'F'},   {NULL, 0, NULL, 0}};
    engine_opts eo = {.flip = 1}; /* stills: mirror-averaged embedding */
    const char *lfw = NULL, *fuse = NULL;
    int json = 0, threads = 2, limit = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'l':
            lfw = optarg;
            break;
        case 'm':
            eo.model_dir = optarg;
            break;
        case 'e':
            eo.embedder = optarg;
            break;
        case 'f':
            eo.flip = 0;
            break;
        case 'F':
            fuse = optarg;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 64, &threads))
                return cli_usage("eval", "--threads needs a number 1..64");
            break;
        case 'n':
            if (cli_parse_int(optarg, 1, 1000000, &limit))
                return cli_usage("eval", "--limit needs a positive number");
            break;
        default:
            return cli_usage("eval", "unknown option");
        }
    }
    if (!lfw) return cli_usage("eval", "verify needs --lfw DIR");
    if (fuse && eo.embedder) return cli_usage("eval", "--fuse names its models; no --embedder");
    if (optind != argc) return cli_usage("eval", "unexpected argument '%s'", argv[optind]);

    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("eval", LFR_ENOMEM, "out of memory");
    lfr_runtime *rt = NULL;
    lfr_engine *engine = NULL;
    lfr_pairs *pairs = NULL;
    float *emb = NULL, *scores = NULL;
    uint8_t *found = NULL, *failed = NULL;
    size_t emb_bytes = 0;
    char pairs_path[4096];
    snprintf(pairs_path, sizeof pairs_path, "%s/pairs.txt", lfw);
    int rc = lfr_pairs_load_lfw(ctx, lfw, pairs_path, limit, &pairs);
    int status = rc ? cli_fail_ctx("eval", ctx, rc) : EXIT_OK;
    if (status) goto done;
    int dim = 0;
    int64_t t0 = lfr_now_us();
    char model[128];
    if (fuse) {
        fuse_opts f = {.lfw = lfw, .models = fuse, .eo = eo, .threads = threads, .json = json};
        if ((status = cli_fuse_paths(ctx, &f, pairs->paths, pairs->n_paths, &emb, &found, &dim)))
            goto done;
        emb_bytes = (size_t)pairs->n_paths * (size_t)dim * sizeof(float);
        snprintf(model, sizeof model, "fusion of %.100s", fuse);
    } else {
        /* Several workers keep the cores busy: a fusion's members in turn. */
        eo.fusion_in_turn = threads > 1;
        if ((status = cli_engine_open("eval", ctx, &eo, &rt, &engine))) goto done;
        dim = lfr_engine_embedding_size(engine);
        emb_bytes = (size_t)pairs->n_paths * (size_t)dim * sizeof(float);
        emb = lfr_alloc(emb_bytes);
        found = lfr_calloc((size_t)pairs->n_paths, 1);
        snprintf(model, sizeof model, "%s",
                 lfr_model_name(lfr_engine_model(engine, LFR_MODEL_EMBEDDER)));
    }
    scores = lfr_calloc((size_t)pairs->n_pairs, sizeof(float));
    failed = lfr_calloc((size_t)pairs->n_pairs, 1);
    if (!emb || !found || !scores || !failed) {
        status = cli_fail("eval", LFR_ENOMEM, "out of memory");
        goto done;
    }
    if (!fuse) {
        cli_progress pr;
        cli_progress_start(&pr, "eval", "embedding", "images");
        rc = lfr_embed_paths(ctx, engine, pairs->paths, pairs->n_paths, threads, emb, found,
                             json ? NULL : cli_progress_embedded, &pr);
        if (rc) {
            status = cli_fail_ctx("eval", ctx, rc);
            goto done;
        }
    }
    double secs = (double)(lfr_now_us() - t0) / 1e6;
    int no_face = 0;
    for (int i = 0; i < pairs->n_paths; i++)
        no_face += !found[i];
    for (int i = 0; i < pairs->n_pairs; i++) {
        const lfr_pair *pr = &pairs->pairs[i];
        failed[i] = !found[pr->a] || !found[pr->b];
        scores[i] = failed[i]
                        ? -1.0f
                        : lfr_cosine(emb + (size_t)pr->a * dim, emb + (size_t)pr->b * dim, dim);
    }
    lfr_verify_result r;
    if ((rc = lfr_verify_eval(ctx, pairs, scores, failed, &r))) {
        status = cli_fail_ctx("eval", ctx, rc);
        goto done;
    }

    if (json) {
        json_t *folds = json_array();
        for (int f = 0; f < pairs->n_folds; f++)
            json_array_append_new(folds, json_pack("{s:f,s:f}", "accuracy", r.fold_accuracy[f],
                                                   "threshold", r.fold_threshold[f]));
        cli_print_json(json_pack(
            "{s:s,s:s,s:b,s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:i,s:i,s:i,s:i,s:o,s:f}", "protocol",
            limit ? "LFW View 2 pairs.txt (limited)" : "LFW View 2 pairs.txt, 10 folds", "model",
            model, "flip", eo.flip, "pairs", r.n_pairs, "same_pairs", r.n_same, "different_pairs",
            r.n_diff, "accuracy_mean", r.accuracy_mean, "accuracy_std", r.accuracy_std, "far",
            r.far_target, "tar_at_far", r.tar_at_far, "threshold_at_far", r.threshold_at_far,
            "false_accepts_at_far", r.n_false_accepts, "images", pairs->n_paths,
            "images_without_face", no_face, "pairs_without_face", r.n_failed_pairs, "folds", folds,
            "seconds", secs));
    } else {
        printf("LFW View 2 verification, %s%s: %d pairs (%d same, %d different), %d folds%s\n",
               model, eo.flip ? " + mirror" : "", r.n_pairs, r.n_same, r.n_diff, pairs->n_folds,
               limit ? " (limited)" : "");
        printf("accuracy: %.2f%% +- %.2f%% (mean +- std over folds)\n", 100 * r.accuracy_mean,
               100 * r.accuracy_std);
        printf("TAR at FAR=1e-3: %.2f%% (threshold %.4f, %d of %d impostor pairs accepted)\n",
               100 * r.tar_at_far, r.threshold_at_far, r.n_false_accepts, r.n_diff);
        printf("images without a face: %d of %d (%d pairs counted as errors)\n", no_face,
               pairs->n_paths, r.n_failed_pairs);
        printf("time: %.1f s for %d images (%.1f ms each, %d threads)\n", secs, pairs->n_paths,
               1000 * secs / pairs->n_paths, threads);
    }
done:
    if (emb) lfr_wipe_free(emb, emb_bytes);
    lfr_free(found);
    lfr_free(scores);
    lfr_free(failed);
    lfr_pairs_free(pairs);
    cli_engine_close(rt, engine);
    lfr_ctx_free(ctx);
    return status;
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2) return cli_usage("eval", "expected a protocol: verify, fmr, identify or walkby");
    if (!strcmp(argv[1], "verify")) return eval_verify(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fmr")) return eval_fmr(argc - 1, argv + 1);
    if (!strcmp(argv[1], "identify")) return eval_identify(argc - 1, argv + 1);
    if (!strcmp(argv[1], "walkby")) return eval_walkby(argc - 1, argv + 1);
    if (!strcmp(argv[1], "calibrate")) return eval_calibrate(argc - 1, argv + 1);
    return cli_usage(
        "eval", "unknown protocol '%s' (known: verify, fmr, identify, walkby, calibrate)", argv[1]);
}
