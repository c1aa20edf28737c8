/* fuzz/fuzz_config.c - libFuzzer target for the configuration file reader
 * (lfr serve's lfr.conf): any bytes give the pairs in order or an error
 * naming the line, never a crash; a refusal by the caller is passed on. */
#include "lfr/base.h"

#include <string.h>

static int on_pair(lfr_ctx *ctx, const char *key, const char *value, void *arg)
{
    int *pairs = arg;
    /* What the parser promises: a key of [a-z0-9_]+, a value without the
     * line's end. */
    if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key) ||
        strchr(value, '\n'))
        __builtin_trap();
    (*pairs)++;
    if (!strcmp(key, "refused")) return lfr_fail(ctx, LFR_EINVAL, "refused by the caller");
    return LFR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lfr_ctx *ctx;
    if (!ctx && lfr_ctx_new(&ctx) != LFR_OK) return 0;
    int pairs = 0;
    int rc = lfr_conf_parse(ctx, "fuzzed.conf", (const char *)data, size, on_pair, &pairs);
    if (rc != LFR_OK && !strstr(lfr_errmsg(ctx), "fuzzed.conf line ")) __builtin_trap();
    return 0;
}
