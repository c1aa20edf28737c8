/* cli/fuse.c - embedding a list of images with several embedders and
 * fusing them (lfr eval ... --fuse), calibrated on LFW View 1's dev pairs,
 * never on the pairs being tested. */
#include "cli.h"
#include "lfr/eval.h"

#include <stdio.h>
#include <string.h>

/* Embeds paths with one embedder into new arrays (owned). */
static int embed_with(lfr_ctx *ctx, const fuse_opts *f, const char *model, char *const *paths,
                      int n, const char *cache, float **emb, uint8_t **found, int *dim)
{
    engine_opts eo = f->eo;
    eo.embedder = model;
    lfr_runtime *rt = NULL;
    lfr_engine *e = NULL;
    int status = cli_engine_open("eval", ctx, &eo, &rt, &e);
    if (status) return status;
    *dim = lfr_engine_embedding_size(e);
    *emb = lfr_alloc((size_t)n * (size_t)*dim * sizeof(float));
    *found = lfr_calloc((size_t)n, 1);
    int cached = 0, rc = LFR_ENOMEM;
    char what[96];
    snprintf(what, sizeof what, "embedding with %s", model);
    cli_progress pr;
    cli_progress_start(&pr, "eval", what, "images");
    if (*emb && *found)
        rc = lfr_embed_paths_cached(ctx, e, f->eo.flip, paths, n, f->threads, cache, *emb, *found,
                                    f->json ? NULL : cli_progress_embedded, &pr, &cached);
    cli_engine_close(rt, e);
    return rc ? cli_fail("eval", rc, "%s: %s", model, lfr_errmsg(ctx)) : EXIT_OK;
}

int cli_fuse_paths(lfr_ctx *ctx, const fuse_opts *f, char *const *paths, int n, float **out,
                   uint8_t **found_out, int *dim_out)
{
    *out = NULL;
    *found_out = NULL;
    *dim_out = 0;
    char list[256], *save = NULL, *names[4];
    int n_models = 0;
    snprintf(list, sizeof list, "%s", f->models);
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (n_models < 4) names[n_models++] = t;
    if (n_models < 2) return cli_usage("eval", "--fuse needs 2 to 4 model names, comma-separated");
    char dev_path[4096];
    snprintf(dev_path, sizeof dev_path, "%s/pairsDevTrain.txt", f->lfw);
    lfr_pairs *dev = NULL;
    int rc = lfr_pairs_load_lfw(ctx, f->lfw, dev_path, 0, &dev);
    if (rc) return cli_fail_ctx("eval", ctx, rc);
    float *emb[4] = {NULL}, *dev_emb = NULL;
    uint8_t *found[4] = {NULL}, *dev_found = NULL;
    int dims[4] = {0}, status = EXIT_OK;
    double sd[4];
    for (int m = 0; m < n_models && !status; m++) {
        char cache[4200], dev_cache[4300];
        if (f->cache) snprintf(cache, sizeof cache, "%s.%s", f->cache, names[m]);
        if (f->cache) snprintf(dev_cache, sizeof dev_cache, "%s.%s.dev", f->cache, names[m]);
        status = embed_with(ctx, f, names[m], paths, n, f->cache ? cache : NULL, &emb[m], &found[m],
                            &dims[m]);
        int dev_dim = 0;
        if (!status)
            status = embed_with(ctx, f, names[m], dev->paths, dev->n_paths,
                                f->cache ? dev_cache : NULL, &dev_emb, &dev_found, &dev_dim);
        if (!status && (rc = lfr_impostor_sd(ctx, dev, dev_emb, dev_found, dev_dim, &sd[m])))
            status = cli_fail_ctx("eval", ctx, rc);
        if (!status && !f->json)
            fprintf(stderr, "lfr eval: %s: impostor spread on View 1 dev pairs %.6f\n", names[m],
                    sd[m]);
        lfr_free(dev_emb);
        lfr_free(dev_found);
        dev_emb = NULL;
        dev_found = NULL;
    }
    if (!status && !f->json) {
        /* The weights a fusion manifest (models/fusion_*.json) records. */
        double total = 0;
        for (int m = 0; m < n_models; m++)
            total += 1.0 / sd[m];
        for (int m = 0; m < n_models; m++)
            fprintf(stderr, "lfr eval: %s: fusion weight %.6f\n", names[m], 1.0 / sd[m] / total);
    }
    if (!status) {
        int dim = 0;
        for (int m = 0; m < n_models; m++)
            dim += dims[m];
        *out = lfr_alloc((size_t)n * (size_t)dim * sizeof(float));
        *found_out = lfr_calloc((size_t)n, 1);
        if (!*out || !*found_out)
            status = cli_fail("eval", LFR_ENOMEM, "out of memory");
        else if ((rc = lfr_fuse(ctx, n_models, (const float *const *)emb, dims, sd,
                                (const uint8_t *const *)found, n, *out, *found_out)))
            status = cli_fail_ctx("eval", ctx, rc);
        *dim_out = dim;
    }
    for (int m = 0; m < n_models; m++) {
        lfr_free(emb[m]);
        lfr_free(found[m]);
    }
    lfr_pairs_free(dev);
    return status;
}
