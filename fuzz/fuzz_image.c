/* fuzz/fuzz_image.c - libFuzzer target for lfr_image_decode (JPEG, PNG, PNM).
 *
 * Limits are small so a header claiming a huge image is refused quickly and
 * the fuzzer spends its time in the parsers, not in memset.
 */
#include "lfr/media.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    lfr_decode_params p = lfr_decode_default_params();
    p.max_file_bytes = (size_t)1 << 20;
    p.max_pixels = 4000000;
    p.max_side_px = 4096;
    lfr_image *img = NULL;
    int rc = lfr_image_decode(ctx, data, size, &p, &img);
    if (rc == LFR_OK) {
        /* Touch every pixel so a short buffer shows up under ASan. */
        volatile uint8_t sum = 0;
        size_t n = (size_t)img->width * (size_t)img->height * 3;
        for (size_t i = 0; i < n; i++)
            sum ^= img->rgb[i];
        (void)sum;
    } else if (img || lfr_errmsg(ctx)[0] == '\0') {
        __builtin_trap(); /* failure must leave *out NULL and say why */
    }
    lfr_image_free(img);
    return 0;
}
