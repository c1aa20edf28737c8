/* base/error.c - error codes, their names, and the per-thread error context. */
#include "lfr/base.h"

#include <stdio.h>
#include <string.h>

struct lfr_ctx {
    int code;
    char msg[1024];
};

const char *lfr_strerror(int code)
{
    switch (code) {
#define LFR_ERR_TEXT(name, value, text, exit, http, api)                                           \
    case value:                                                                                    \
        return text;
        LFR_ERRNO_MAP(LFR_ERR_TEXT)
#undef LFR_ERR_TEXT
    }
    return "unknown error";
}

const char *lfr_err_name(int code)
{
    switch (code) {
#define LFR_ERR_NAME(name, value, text, exit, http, api)                                           \
    case value:                                                                                    \
        return "LFR_" #name;
        LFR_ERRNO_MAP(LFR_ERR_NAME)
#undef LFR_ERR_NAME
    }
    return "LFR_EUNKNOWN";
}

int lfr_err_exit_status(int code)
{
    switch (code) {
#define LFR_ERR_EXIT(name, value, text, exit, http, api)                                           \
    case value:                                                                                    \
        return exit;
        LFR_ERRNO_MAP(LFR_ERR_EXIT)
#undef LFR_ERR_EXIT
    }
    return 5;
}

int lfr_err_http_status(int code)
{
    switch (code) {
#define LFR_ERR_HTTP(name, value, text, exit, http, api)                                           \
    case value:                                                                                    \
        return http;
        LFR_ERRNO_MAP(LFR_ERR_HTTP)
#undef LFR_ERR_HTTP
    }
    return 500;
}

const char *lfr_err_api_code(int code)
{
    switch (code) {
#define LFR_ERR_API(name, value, text, exit, http, api)                                            \
    case value:                                                                                    \
        return api;
        LFR_ERRNO_MAP(LFR_ERR_API)
#undef LFR_ERR_API
    }
    return "internal";
}

/* The ctx itself is the one allocation that must not depend on a ctx, and a
 * failure here has nowhere to write a message: hence only LFR_ENOMEM. */
int lfr_ctx_new(lfr_ctx **out)
{
    *out = lfr_calloc(1, sizeof(lfr_ctx));
    return *out ? LFR_OK : LFR_ENOMEM;
}

void lfr_ctx_free(lfr_ctx *ctx)
{
    lfr_free(ctx);
}

const char *lfr_errmsg(const lfr_ctx *ctx)
{
    return ctx ? ctx->msg : "no context";
}

int lfr_errcode(const lfr_ctx *ctx)
{
    return ctx ? ctx->code : LFR_EINVAL;
}

void lfr_ctx_clear(lfr_ctx *ctx)
{
    if (!ctx) return;
    ctx->code = LFR_OK;
    ctx->msg[0] = '\0';
}

int lfr_fail(lfr_ctx *ctx, int code, const char *fmt, ...)
{
    if (!ctx) return code;
    /* Format aside first: the arguments may include lfr_errmsg(ctx). */
    char msg[sizeof ctx->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(ctx->msg, msg, sizeof msg);
    ctx->code = code;
    return code;
}

int lfr_fail_prefix(lfr_ctx *ctx, const char *fmt, ...)
{
    if (!ctx) return LFR_EINVAL;
    char prefix[512];
    char old[sizeof ctx->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->msg, sizeof old);
    /* Truncation is acceptable here: the message is for people. */
    size_t n = strlen(prefix);
    if (n > sizeof ctx->msg - 3) n = sizeof ctx->msg - 3;
    memcpy(ctx->msg, prefix, n);
    memcpy(ctx->msg + n, ": ", 2);
    size_t room = sizeof ctx->msg - n - 3;
    size_t m = strlen(old);
    if (m > room) m = room;
    memcpy(ctx->msg + n + 2, old, m);
    ctx->msg[n + 2 + m] = '\0';
    return ctx->code;
}
