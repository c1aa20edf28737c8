/* cli/cmd_detect.c - `lfr detect IMAGE`: every face with box, score, points
 * and quality. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

int cmd_detect(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"detector", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    engine_opts eo = {0};
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'm':
            eo.model_dir = optarg;
            break;
        case 'd':
            eo.detector = optarg;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 64, &eo.threads))
                return cli_usage("detect", "--threads needs a number 1..64");
            break;
        default:
            return cli_usage("detect", "unknown option");
        }
    }
    if (argc - optind != 1) return cli_usage("detect", "expected one IMAGE");
    const char *path = argv[optind];

    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("detect", LFR_ENOMEM, "out of memory");
    lfr_runtime *rt = NULL;
    lfr_engine *engine = NULL;
    lfr_image *img = NULL;
    lfr_face *faces = NULL;
    int n = 0, status = cli_engine_open("detect", ctx, &eo, &rt, &engine);
    if (status) goto done;
    int rc = lfr_image_load(ctx, path, NULL, &img);
    if (rc == LFR_OK) rc = lfr_engine_detect(ctx, engine, img, &faces, &n);
    if (rc) {
        status = cli_fail_ctx("detect", ctx, rc);
        goto done;
    }
    if (json) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, cli_face_json(&faces[i]));
        cli_print_json(json_pack("{s:s,s:i,s:i,s:i,s:o}", "image", path, "width", img->width,
                                 "height", img->height, "n_faces", n, "faces", arr));
    } else {
        printf("%s: %dx%d, %d face%s\n", path, img->width, img->height, n, n == 1 ? "" : "s");
        for (int i = 0; i < n; i++) {
            const lfr_face *f = &faces[i];
            const lfr_face_quality *q = &f->quality;
            printf("face %d: box %.0f,%.0f %.0fx%.0f score %.3f\n", i + 1, f->x1, f->y1,
                   f->x2 - f->x1, f->y2 - f->y1, f->score);
            printf("  eyes (%.1f,%.1f) (%.1f,%.1f) nose (%.1f,%.1f) mouth (%.1f,%.1f) "
                   "(%.1f,%.1f)\n",
                   f->points[0][0], f->points[0][1], f->points[1][0], f->points[1][1],
                   f->points[2][0], f->points[2][1], f->points[3][0], f->points[3][1],
                   f->points[4][0], f->points[4][1]);
            printf("  quality: inter-eye %.1f px, yaw %.0f, pitch %.0f, roll %.0f deg, "
                   "sharpness %.0f, brightness %.0f, clipped %.1f%%\n",
                   q->eye_distance_px, q->yaw_deg, q->pitch_deg, q->roll_deg, q->sharpness,
                   q->brightness, 100 * q->clipped);
        }
    }
    status = n > 0 ? EXIT_OK : EXIT_NO;
done:
    lfr_free(faces);
    lfr_image_free(img);
    cli_engine_close(rt, engine);
    lfr_ctx_free(ctx);
    return status;
}
