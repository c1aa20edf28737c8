/* base/error.c - error codes, their names, and the per-thread error context. */
#include "lfr/base.h"

#include <stdio.h>
#include <string.h>

struct lfr_ctx {
    int code;
    char msg[1024];
};

/* The table of include/lfr/base.h, one row per code. */
typedef struct {
    int code;
    const char *name, *text;
    int exit, http;
    const char *api;
} error_row;

static const error_row errors[] = {
#define LFR_ERR_ROW(name, value, text, exit, http, api)                                            \
    {value, "LFR_" #name, text, exit, http, api},
    LFR_ERRNO_MAP(LFR_ERR_ROW)
#undef LFR_ERR_ROW
};

/* An unknown code reads as an internal error. */
static const error_row unknown = {0, "LFR_EUNKNOWN", "unknown error", 5, 500, "internal"};

static const error_row *row_of(int code)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == code) return &errors[i];
    return &unknown;
}

const char *lfr_strerror(int code)
{
    return row_of(code)->text;
}

const char *lfr_err_name(int code)
{
    return row_of(code)->name;
}

int lfr_err_exit_status(int code)
{
    return row_of(code)->exit;
}

int lfr_err_http_status(int code)
{
    return row_of(code)->http;
}

const char *lfr_err_api_code(int code)
{
    return row_of(code)->api;
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
