/* fuzz/fuzz_video.c - libFuzzer target for video files through the FFmpeg
 * source (lfr_video_open, the decode thread, lfr_video_next): containers
 * and streams broken in every way, seeded with small valid clips. */
#include "fuzz_file.h"
#include "lfr/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    char dir[4096];
    const char *path = fuzz_write("clip.mp4", data, size, dir, sizeof dir);
    lfr_video_params p = lfr_video_default_params();
    p.max_pixels = 1000000;
    lfr_video *v = NULL;
    int rc = lfr_video_open(ctx, path, &p, &v);
    if (rc != LFR_OK) {
        if (v || lfr_errmsg(ctx)[0] == '\0') __builtin_trap(); /* NULL, and says why */
        return 0;
    }
    /* At most a few frames: the parsers, not the decoding, are the target. */
    for (int n = 0; n < 8; n++) {
        lfr_image *img = NULL;
        rc = lfr_video_next(ctx, v, 5000, &img, NULL);
        if (rc != LFR_OK || !img) break;
        volatile uint8_t sum = 0;
        size_t bytes = (size_t)img->width * (size_t)img->height * 3;
        for (size_t i = 0; i < bytes; i++)
            sum ^= img->rgb[i];
        (void)sum;
        lfr_image_free(img);
    }
    if (rc != LFR_OK && rc != LFR_EEND && lfr_errmsg(ctx)[0] == '\0') __builtin_trap();
    lfr_video_free(v);
    return 0;
}
