/* fuzz/fuzz_manifest.c - libFuzzer target for the model manifest reader
 * (every field, the operating points of both sets, the floor, a fusion's
 * members): a malformed manifest is refused with a message, never
 * crashes. */
#include "fuzz_file.h"
#include "lfr/vision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    char dir[4096];
    fuzz_write("fuzzed.json", data, size, dir, sizeof dir);
    int rc = lfr_model_check(ctx, dir, "fuzzed");
    if (rc != LFR_OK && lfr_errmsg(ctx)[0] == '\0') __builtin_trap(); /* say why */
    return 0;
}
