/* cli/cmd_eval_calibrate.c - `lfr eval calibrate`: the ranges of a
 * network's inner tensors on LFW View 1's development images, for its int8
 * version (tools/quantize_int8.py quantize reads the JSON this writes). */
#include "cli.h"
#include "lfr/eval.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Faces in LFW fill a 250 px photo; seen also at half and a quarter of
 * that, as a camera sees people further away. */
static const float scales[] = {1.0f, 0.5f, 0.25f};

int eval_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"lfw", required_argument, NULL, 'l'},       {"model", required_argument, NULL, 'm'},
        {"augmented", required_argument, NULL, 'a'}, {"limit", required_argument, NULL, 'n'},
        {"models", required_argument, NULL, 'M'},    {NULL, 0, NULL, 0}};
    const char *lfw = NULL, *model = NULL, *augmented = NULL, *model_dir = NULL;
    int limit = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            lfw = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'a':
            augmented = optarg;
            break;
        case 'M':
            model_dir = optarg;
            break;
        case 'n':
            if (cli_parse_int(optarg, 1, 100000, &limit))
                return cli_usage("eval", "--limit needs a number of pairs 1..100000");
            break;
        default:
            return cli_usage("eval", "unknown option");
        }
    }
    if (!lfw || !model || !augmented)
        return cli_usage("eval", "calibrate needs --lfw DIR, --model NAME and --augmented FILE");
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("eval", LFR_ENOMEM, "out of memory");
    char dev[4096], dir[4096];
    snprintf(dev, sizeof dev, "%s/pairsDevTrain.txt", lfw);
    lfr_pairs *pairs = NULL;
    lfr_runtime *rt = NULL;
    lfr_tensor_range *ranges = NULL;
    int n = 0, status = EXIT_OK;
    int rc = lfr_pairs_load_lfw(ctx, lfw, dev, limit, &pairs);
    if (rc == LFR_OK) rc = lfr_runtime_new(ctx, NULL, &rt);
    if (rc == LFR_OK)
        rc = lfr_calibrate(ctx, rt, model_dir ? model_dir : lfr_default_model_dir(dir, sizeof dir),
                           model, augmented, pairs->paths, pairs->n_paths, scales,
                           (int)(sizeof scales / sizeof *scales), &ranges, &n);
    if (rc) {
        status = cli_fail_ctx("eval", ctx, rc);
    } else {
        json_t *r = json_object();
        for (int i = 0; i < n; i++)
            json_object_set_new(r, ranges[i].name,
                                json_pack("[f,f]", (double)ranges[i].min, (double)ranges[i].max));
        cli_print_json(json_pack("{s:s,s:s,s:i,s:[f,f,f],s:o}", "model", model, "images",
                                 "LFW View 1 development (pairsDevTrain.txt)", "n_images",
                                 pairs->n_paths, "scales", (double)scales[0], (double)scales[1],
                                 (double)scales[2], "ranges", r));
    }
    lfr_free(ranges);
    lfr_runtime_free(rt);
    lfr_pairs_free(pairs);
    lfr_ctx_free(ctx);
    return status;
}
