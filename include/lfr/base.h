/* lfr/base.h - errors, the per-thread context, allocation and memory wiping.
 *
 * Every fallible liblfr call takes an lfr_ctx first, returns LFR_OK or a
 * negative LFR_E* code, and leaves a sentence in lfr_errmsg(ctx) saying which
 * item failed and why. A ctx belongs to one thread at a time.
 */
#ifndef LFR_BASE_H
#define LFR_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* X(name, value, description). The CLI maps each to an exit code. */
#define LFR_ERRNO_MAP(X)                                                                           \
    X(OK, 0, "success")                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(EIO, -3, "input/output error")                                                               \
    X(ENOENT, -4, "no such file")                                                                  \
    X(EFORMAT, -5, "malformed input data")                                                         \
    X(ELIMIT, -6, "input exceeds a configured limit")                                              \
    X(EMODEL, -7, "model file missing, corrupt or unsuitable")                                     \
    X(ERUNTIME, -8, "neural network runtime failure")                                              \
    X(ENOFACE, -9, "no face found")                                                                \
    X(EINTERNAL, -10, "internal error")                                                            \
    X(EEND, -11, "end of stream")                                                                  \
    X(EPERM, -12, "not permitted for this user")                                                   \
    X(EBUSY, -13, "too many requests: try again later")

typedef enum {
#define LFR_ERR_ENUM(name, value, text) LFR_##name = value,
    LFR_ERRNO_MAP(LFR_ERR_ENUM)
#undef LFR_ERR_ENUM
} lfr_err;

/* Static description of a code ("out of memory"); never NULL. */
const char *lfr_strerror(int code);
/* Static name of a code ("LFR_ENOMEM"); never NULL. */
const char *lfr_err_name(int code);

/* Per-thread context: holds the last error's code and message. */
typedef struct lfr_ctx lfr_ctx;

/* Allocates a context. Returns LFR_OK or LFR_ENOMEM (*out NULL). */
int lfr_ctx_new(lfr_ctx **out);
void lfr_ctx_free(lfr_ctx *ctx);
/* Message of the last failure on ctx; "" after success. Borrowed: valid until
 * the next call on ctx. */
const char *lfr_errmsg(const lfr_ctx *ctx);
/* Code of the last failure on ctx. */
int lfr_errcode(const lfr_ctx *ctx);
/* Records a failure and returns code, so callers can write
 * `return lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));`. */
int lfr_fail(lfr_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the current message with "prefix: " (adds the outer item's name
 * to an inner failure) and returns the current code. */
int lfr_fail_prefix(lfr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lfr_ctx_clear(lfr_ctx *ctx);

/* Allocation. All liblfr memory goes through these so tests can make any
 * allocation fail. lfr_free(NULL) is a no-op. */
void *lfr_alloc(size_t n);
void *lfr_calloc(size_t count, size_t size);
void *lfr_realloc(void *p, size_t n);
void lfr_free(void *p);
char *lfr_strdup(const char *s);

/* Test hook: the next `n` allocations succeed, then every one fails until
 * reset with n < 0. Returns the number of allocations made since the last
 * call. Process-wide; only for single-threaded tests. */
long lfr_alloc_fault_after(long n);

/* Overwrites n bytes with zeros in a way the compiler cannot drop. */
void lfr_wipe(void *p, size_t n);
/* Wipes n bytes then frees: for crops, templates and keys. */
void lfr_wipe_free(void *p, size_t n);
/* For libraries that hand back memory without its size (a decoder's row
 * buffers): the whole block is wiped, then freed; a reallocation moves to
 * a new block and wipes the old one. */
void lfr_wipe_free_unsized(void *p);
void *lfr_wipe_realloc(void *p, size_t n);
/* Turns core dumps off for the whole process, for good (RLIMIT_CORE 0 and
 * not dumpable): a crash must not write the faces in memory to disk
 * (PRI-1). Called by every process that handles faces (lfr serve, the
 * pipeline). LFR_ERUNTIME if the system refuses. */
int lfr_core_dumps_off(lfr_ctx *ctx);
/* 1 if they are off in this process. */
int lfr_core_dumps_are_off(void);
/* A URL fit to show (messages, logs): a "user:password@" in its authority
 * is shown as three stars before the '@'; anything else is copied as it is
 * (truncated to len). */
void lfr_url_redact(const char *url, char *out, size_t len);

/* Wilson score interval (95%) of a rate of k in n; [0, 1] when n is 0. */
void lfr_wilson95(int64_t k, int64_t n, double *lo, double *hi);

/* Monotonic clock in microseconds, for timing. */
int64_t lfr_now_us(void);

/* Reads a whole file into a new buffer (owned; lfr_free). Refuses files over
 * max_bytes with LFR_ELIMIT. */
int lfr_read_file(lfr_ctx *ctx, const char *path, size_t max_bytes, uint8_t **out, size_t *out_len);

/* A secret of exactly n bytes kept in a file of its own, readable by its
 * owner only (refused otherwise). When the file does not exist and fresh
 * is given, it is created (0600) holding fresh. what names it in messages
 * ("watchlist key"). */
int lfr_secret_file(lfr_ctx *ctx, const char *path, const char *what, void *secret, size_t n,
                    const void *fresh);

/* SHA-256 of a file as 64 lowercase hex digits plus NUL into hex[65]. */
int lfr_sha256_file(lfr_ctx *ctx, const char *path, char hex[65]);

#define LFR_VERSION "0.1.0"

#endif
