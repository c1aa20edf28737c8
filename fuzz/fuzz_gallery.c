/* fuzz/fuzz_gallery.c - libFuzzer target for the gallery file reader
 * (lfr_gallery_load): a truncated or forged file is refused with a
 * message, never read past its end. */
#include "fuzz_file.h"
#include "lfr/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    char dir[4096];
    const char *path = fuzz_write("fuzzed.gallery", data, size, dir, sizeof dir);
    lfr_gallery_params p = lfr_gallery_default_params();
    p.dim = 8;
    p.model = "fuzz";
    p.max_identities = 1000;
    p.max_templates = 4000;
    lfr_gallery *g = NULL;
    int rc = lfr_gallery_load(ctx, path, &p, &g);
    if (rc == LFR_OK) {
        float probe[8] = {1, 0, 0, 0, 0, 0, 0, 0};
        lfr_match m[4];
        int n = 0;
        if (lfr_gallery_dim(g) == 8) lfr_gallery_search(ctx, g, probe, 4, m, &n);
    } else if (g || lfr_errmsg(ctx)[0] == '\0') {
        __builtin_trap();
    }
    lfr_gallery_free(g);
    return 0;
}
