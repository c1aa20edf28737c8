/* cli/cmd_compare.c - `lfr compare A B`: are these the same person? */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

/* Loads an image and embeds its main face; prints the error itself. */
static int embed_image(lfr_ctx *ctx, const lfr_engine *engine, const char *path, float *emb,
                       lfr_face *face, int *n_faces)
{
    lfr_image *img = NULL;
    int rc = lfr_image_load(ctx, path, NULL, &img);
    if (rc == LFR_OK) {
        rc = lfr_engine_embed_main(ctx, engine, img, emb, face, n_faces);
        if (rc == LFR_ENOFACE) lfr_fail_prefix(ctx, "%s", path);
    }
    lfr_image_free(img);
    return rc ? cli_fail_ctx("compare", ctx, rc) : EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},           {"models", required_argument, NULL, 'm'},
        {"embedder", required_argument, NULL, 'e'}, {"threshold", required_argument, NULL, 'T'},
        {"no-flip", no_argument, NULL, 'f'},        {NULL, 0, NULL, 0}};
    engine_opts eo = {.flip = 1}; /* stills: mirror-averaged embedding */
    int json = 0, c;
    double threshold = -2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
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
        case 'T':
            if (cli_parse_float(optarg, -1, 1, &threshold))
                return cli_usage("compare", "--threshold needs a number in [-1, 1]");
            break;
        default:
            return cli_usage("compare", "unknown option");
        }
    }
    if (argc - optind != 2) return cli_usage("compare", "expected IMAGE_A IMAGE_B");
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("compare", LFR_ENOMEM, "out of memory");
    lfr_runtime *rt = NULL;
    lfr_engine *engine = NULL;
    float *emb = NULL;
    int status = cli_engine_open("compare", ctx, &eo, &rt, &engine);
    if (status) goto done;
    int dim = lfr_engine_embedding_size(engine);
    emb = lfr_calloc(2 * (size_t)dim, sizeof(float));
    if (!emb) {
        status = cli_fail("compare", LFR_ENOMEM, "out of memory");
        goto done;
    }
    lfr_face fa, fb;
    int na = 0, nb = 0;
    if ((status = embed_image(ctx, engine, argv[optind], emb, &fa, &na)) ||
        (status = embed_image(ctx, engine, argv[optind + 1], emb + dim, &fb, &nb)))
        goto done;
    if (threshold < -1) threshold = lfr_engine_threshold(engine);
    float sim = lfr_cosine(emb, emb + dim, dim);
    int same = sim >= threshold;
    if (json) {
        cli_print_json(json_pack(
            "{s:s,s:s,s:f,s:f,s:b,s:s,s:i,s:i,s:o,s:o}", "image_a", argv[optind], "image_b",
            argv[optind + 1], "similarity", sim, "threshold", threshold, "same", same, "model",
            lfr_model_name(lfr_engine_model(engine, LFR_MODEL_EMBEDDER)), "faces_a", na, "faces_b",
            nb, "face_a", cli_face_json(&fa), "face_b", cli_face_json(&fb)));
    } else {
        printf("similarity %.4f: %s (threshold %.3f)\n", sim, same ? "same" : "different",
               threshold);
    }
    status = same ? EXIT_OK : EXIT_NO;
done:
    if (emb) lfr_wipe_free(emb, 2 * (size_t)lfr_engine_embedding_size(engine) * sizeof(float));
    cli_engine_close(rt, engine);
    lfr_ctx_free(ctx);
    return status;
}
