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

/* The one table of errors: X(name, value, description, exit, http, api).
 * exit is the lfr command's exit status (0 ok; 1 ran and the answer is no:
 * refused, forbidden, not authenticated; 2 usage or invalid argument; 3 bad
 * input data; 4 environment; 5 internal); http and api are the status and
 * the error code the HTTP API answers with.
 *   EINVAL     a value is malformed or out of range: the caller can fix it;
 *   EREFUSED   the value is well formed but a rule of the APP or the state
 *              of the thing refuses it (DEP-3's ranks, a closed watchlist);
 *   EPERM      the user is known but their role may not do this;
 *   EAUTH      who is asking is not established (wrong name or password,
 *              a locked name, an expired session). */
#define LFR_ERRNO_MAP(X)                                                                           \
    X(OK, 0, "success", 0, 200, "ok")                                                              \
    X(ENOMEM, -1, "out of memory", 4, 503, "unavailable")                                          \
    X(EINVAL, -2, "invalid argument", 2, 400, "invalid")                                           \
    X(EIO, -3, "input/output error", 4, 500, "internal")                                           \
    X(ENOENT, -4, "no such file or record", 3, 404, "not_found")                                   \
    X(EFORMAT, -5, "malformed input data", 3, 400, "bad_request")                                  \
    X(ELIMIT, -6, "input exceeds a configured limit", 3, 413, "too_large")                         \
    X(EMODEL, -7, "model file missing, corrupt or unsuitable", 4, 500, "internal")                 \
    X(ERUNTIME, -8, "neural network runtime failure", 4, 500, "internal")                          \
    X(ENOFACE, -9, "no face found", 3, 400, "invalid")                                             \
    X(EINTERNAL, -10, "internal error", 5, 500, "internal")                                        \
    X(EEND, -11, "end of stream", 5, 500, "internal")                                              \
    X(EPERM, -12, "not permitted for this user", 1, 403, "forbidden")                              \
    X(EBUSY, -13, "too many requests: try again later", 4, 429, "too_many")                        \
    X(EREFUSED, -14, "refused by a rule", 1, 409, "refused")                                       \
    X(EAUTH, -15, "not authenticated", 1, 401, "unauthenticated")

typedef enum {
#define LFR_ERR_ENUM(name, value, text, exit, http, api) LFR_##name = value,
    LFR_ERRNO_MAP(LFR_ERR_ENUM)
#undef LFR_ERR_ENUM
} lfr_err;

/* Static description of a code ("out of memory"); never NULL. */
const char *lfr_strerror(int code);
/* Static name of a code ("LFR_ENOMEM"); never NULL. */
const char *lfr_err_name(int code);
/* The table's exit status, HTTP status and API error code of a code (an
 * unknown code is internal: 5, 500, "internal"). */
int lfr_err_exit_status(int code);
int lfr_err_http_status(int code);
const char *lfr_err_api_code(int code);

/* Per-thread context: holds the last error's code and message. */
typedef struct lfr_ctx lfr_ctx;

/* Allocates a context. Returns LFR_OK or LFR_ENOMEM (*out NULL). */
int lfr_ctx_new(lfr_ctx **out);
void lfr_ctx_free(lfr_ctx *ctx);
/* Message of the last failure on ctx; "" on a new or cleared ctx. Like
 * errno, a call that succeeds leaves it as it was: read it only after a
 * call that failed. Borrowed: valid until the next call on ctx. */
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
/* Locked memory, for faces, crops, templates, decrypted photos and keys:
 * never swapped (mlock), never in a core dump, not inherited by a child,
 * wiped when freed. Bounded by RLIMIT_MEMLOCK (raised to its hard limit)
 * or lfr_locked_set_limit. NULL on failure; lfr_locked_fail(ctx, what)
 * then records why (LFR_ELIMIT when the bound is reached, naming how to
 * raise it). Blocks are zeroed; each takes whole pages: for buffers, not
 * for many small objects. Thread-safe. */
void *lfr_locked_alloc(size_t n);
void *lfr_locked_calloc(size_t count, size_t size);
void lfr_locked_free(void *p);
int lfr_locked_fail(lfr_ctx *ctx, const char *what);
/* The bound in bytes, and what is locked now (page-rounded). */
size_t lfr_locked_limit(void);
size_t lfr_locked_in_use(void);
void lfr_locked_set_limit(size_t bytes);
/* Per-frame scratch (a worker's crops, tensors, appearance vectors): an
 * arena is one locked block; a thread that adopts it (lfr_arena_use; NULL
 * to stop) gets lfr_scratch_alloc from it, and from the locked pool when
 * it has none or it is full. lfr_arena_reset wipes everything handed out:
 * the worker calls it after every frame, so nothing of a frame outlives
 * it. Scratch is freed with lfr_scratch_free, on the thread that took it;
 * blocks come zeroed. */
typedef struct lfr_arena lfr_arena;
int lfr_arena_new(lfr_ctx *ctx, size_t bytes, lfr_arena **out);
void lfr_arena_free(lfr_arena *a);
void lfr_arena_use(lfr_arena *a);
void lfr_arena_reset(lfr_arena *a);
/* The most it held at once, and blocks that went to the pool instead. */
size_t lfr_arena_peak(const lfr_arena *a);
long lfr_arena_overflows(const lfr_arena *a);
void *lfr_scratch_alloc(size_t n);
void lfr_scratch_free(void *p);
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

/* Reads a whole file into a new buffer (owned; lfr_free), followed by a NUL
 * that out_len does not count. Refuses files over max_bytes with LFR_ELIMIT. */
int lfr_read_file(lfr_ctx *ctx, const char *path, size_t max_bytes, uint8_t **out, size_t *out_len);

/* Files sealed together under a passphrase (Argon2id, then
 * XChaCha20-Poly1305 in a stream that refuses any change, reordering or
 * truncation): lfr backup's format. create makes path (0600; LFR_EREFUSED
 * if it exists), add appends a regular file under a plain name, finish
 * seals and closes; abort (or a failed finish) removes the partial file.
 * Passphrases have 12 characters or more. */
typedef struct lfr_bundle lfr_bundle;
/* Told how far long work has got, in bytes. */
typedef void (*lfr_bytes_fn)(int64_t bytes, void *arg);
int lfr_bundle_create(lfr_ctx *ctx, const char *path, const char *passphrase, lfr_bundle **out);
/* fn is told the bytes of files sealed so far, as add goes. */
void lfr_bundle_on_progress(lfr_bundle *b, lfr_bytes_fn fn, void *arg);
int lfr_bundle_add(lfr_ctx *ctx, lfr_bundle *b, const char *name, const char *src_path);
int lfr_bundle_finish(lfr_ctx *ctx, lfr_bundle *b);
void lfr_bundle_abort(lfr_bundle *b);
/* Writes a bundle's files into dest_dir (which should be new and empty:
 * after a failure it holds what was written) and their names into names;
 * progress (may be NULL) is told the bytes of the bundle read so far.
 * LFR_EFORMAT for a wrong passphrase or a damaged bundle. */
int lfr_bundle_extract(lfr_ctx *ctx, const char *path, const char *passphrase, const char *dest_dir,
                       char (*names)[64], int max_names, int *n_names, lfr_bytes_fn progress,
                       void *progress_arg);

/* Configuration text of "key = value" lines ('#' comments, blank lines),
 * named name in messages: fn is called for each pair in order and may
 * refuse it (an error code, its message in ctx). LFR_EINVAL for a malformed
 * line; every error says "NAME line N: ...". */
typedef int (*lfr_conf_fn)(lfr_ctx *ctx, const char *key, const char *value, void *arg);
int lfr_conf_parse(lfr_ctx *ctx, const char *name, const char *text, size_t len, lfr_conf_fn fn,
                   void *arg);

/* Comma-separated values as RFC 4180 has them (quoted fields with commas,
 * line breaks and doubled quotes; CRLF or LF), named name in messages: fn
 * is called for each record with the line it starts on and its fields
 * (at most 64), and may refuse it. A byte order mark and blank lines are
 * skipped. LFR_EFORMAT for malformed text, saying "NAME line N: ...". The
 * parser's copies of the fields are wiped. */
typedef int (*lfr_csv_fn)(lfr_ctx *ctx, int line, int n_fields, const char *const *fields,
                          void *arg);
int lfr_csv_parse(lfr_ctx *ctx, const char *name, const char *text, size_t len, lfr_csv_fn fn,
                  void *arg);

/* Writes one CSV field through put: quoted when it holds a comma, quote or
 * line break or starts with a byte order mark, and a leading =, +, - or @ made text so that a
 * spreadsheet does not run it as a formula. */
typedef void (*lfr_put_fn)(void *arg, const char *bytes, size_t n);
void lfr_csv_write(const char *s, lfr_put_fn put, void *arg);

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
