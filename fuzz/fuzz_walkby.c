/* fuzz/fuzz_walkby.c - libFuzzer target for the walk-by ground truth
 * reader and scorer (lfr eval walkby reads a force's own labelled JSON). */
#include "fuzz_file.h"
#include "lfr/eval.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    char dir[4096];
    const char *path = fuzz_write("truth.json", data, size, dir, sizeof dir);
    lfr_walkby *w = NULL;
    int rc = lfr_walkby_load(ctx, path, &w);
    if (rc == LFR_OK) {
        /* Alerts drawn from the input's own bytes, scored against it. */
        lfr_walkby_alert a[4];
        memset(a, 0, sizeof a);
        for (int i = 0; i < 4; i++) {
            a[i].frame = size > (size_t)i ? data[i] : i;
            snprintf(a[i].identity, sizeof a[i].identity, "%d", i);
            a[i].box[2] = a[i].box[3] = 40;
        }
        lfr_walkby_result r;
        if (lfr_walkby_score(ctx, w, a, 4, 2, &r) == LFR_OK && r.found > r.watchlisted)
            __builtin_trap();
    } else if (w || lfr_errmsg(ctx)[0] == '\0') {
        __builtin_trap();
    }
    lfr_walkby_free(w);
    return 0;
}
