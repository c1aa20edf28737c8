/* audit/anchor.c - the audit log's anchor outside the database.
 *
 * The hash chain finds a record changed or removed in the middle of the
 * log, but not the newest records deleted, nor a log rewritten with its
 * chain recomputed. So the head of the log (its sequence number and hash)
 * is written, signed with an Ed25519 key the database does not hold, to an
 * append-only file beside it. Because each record's hash covers every
 * record before it, the last anchor is enough: a log that ends before the
 * anchored record was truncated, and one whose hash there differs was
 * rewritten.
 *
 * The file: a first line "lfr-audit-anchors 1 PUBLIC_KEY_HEX", then one
 * line per anchor "SEQ TIME_MS HASH_HEX SIGNATURE_HEX", the signature over
 * "SEQ TIME_MS HASH_HEX". */
#include "lfr/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define HASH_BYTES LFR_AUDIT_HASH_BYTES
#define HEADER "lfr-audit-anchors 1 "
#define MIN_INTERVAL_MS 1000 /* at most one anchor a second, but always at close */

struct lfr_audit_anchor {
    char *path;
    int fd;            /* O_APPEND */
    unsigned char *sk; /* crypto_sign_SECRETKEYBYTES, locked */
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    int64_t seq, time_ms; /* the last anchor; seq 0: none yet */
    unsigned char hash[HASH_BYTES];
};

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The signing key: created with the anchor file, readable by its owner only. */
static int load_key(lfr_ctx *ctx, const char *path, int create, unsigned char *sk)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], *fresh = NULL;
    if (create && (fresh = sodium_malloc(crypto_sign_SECRETKEYBYTES)))
        crypto_sign_keypair(pk, fresh); /* used only if there is no key yet */
    if (create && !fresh) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    int rc = lfr_secret_file(ctx, path, "audit anchor key", sk, crypto_sign_SECRETKEYBYTES, fresh);
    sodium_free(fresh);
    return rc;
}

/* The text an anchor's signature covers. */
static void anchor_text(int64_t seq, int64_t time_ms, const unsigned char hash[HASH_BYTES],
                        char *out, size_t len)
{
    char hex[2 * HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, hash, HASH_BYTES);
    snprintf(out, len, "%" PRId64 " %" PRId64 " %s", seq, time_ms, hex);
}

/* Reads the header and the last anchor of the file (the others are not
 * needed: see the top of this file) and checks both against the key. */
static int read_file(lfr_ctx *ctx, lfr_audit_anchor *a)
{
    struct stat st;
    if (fstat(a->fd, &st)) return lfr_fail(ctx, LFR_EIO, "%s: %s", a->path, strerror(errno));
    char head[256];
    ssize_t n = pread(a->fd, head, sizeof head - 1, 0);
    if (n <= 0) return lfr_fail(ctx, LFR_EFORMAT, "%s: empty audit anchor file", a->path);
    head[n] = '\0';
    head[strcspn(head, "\n")] = '\0';
    char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
    sodium_bin2hex(pk_hex, sizeof pk_hex, a->pk, sizeof a->pk);
    if (strncmp(head, HEADER, strlen(HEADER)) || strcmp(head + strlen(HEADER), pk_hex))
        return lfr_fail(ctx, LFR_EREFUSED,
                        "%s: the audit anchor file was not written with this key (its header "
                        "names another): the file or the key was replaced",
                        a->path);
    /* The last line is the last anchor. */
    char tail[512];
    off_t from = st.st_size > (off_t)sizeof tail - 1 ? st.st_size - (off_t)sizeof tail + 1 : 0;
    n = pread(a->fd, tail, sizeof tail - 1, from);
    if (n < 0) return lfr_fail(ctx, LFR_EIO, "%s: %s", a->path, strerror(errno));
    tail[n] = '\0';
    while (n > 0 && tail[n - 1] == '\n')
        tail[--n] = '\0';
    char *line = strrchr(tail, '\n');
    line = line ? line + 1 : tail;
    if (!strncmp(line, HEADER, strlen(HEADER))) return LFR_OK; /* no anchor yet */
    long long seq = 0, time_ms = 0;
    char hash_hex[2 * HASH_BYTES + 2], sig_hex[2 * crypto_sign_BYTES + 2];
    unsigned char sig[crypto_sign_BYTES];
    size_t got_hash = 0, got_sig = 0;
    if (sscanf(line, "%lld %lld %65s %129s", &seq, &time_ms, hash_hex, sig_hex) != 4 || seq < 1 ||
        sodium_hex2bin(a->hash, HASH_BYTES, hash_hex, strlen(hash_hex), NULL, &got_hash, NULL) ||
        got_hash != HASH_BYTES ||
        sodium_hex2bin(sig, sizeof sig, sig_hex, strlen(sig_hex), NULL, &got_sig, NULL) ||
        got_sig != sizeof sig)
        return lfr_fail(ctx, LFR_EFORMAT, "%s: its last line is not an anchor: '%.80s'", a->path,
                        line);
    char text[128];
    anchor_text(seq, time_ms, a->hash, text, sizeof text);
    if (crypto_sign_verify_detached(sig, (const unsigned char *)text, strlen(text), a->pk))
        return lfr_fail(ctx, LFR_EREFUSED,
                        "%s: the last anchor (record %lld) is not signed by this key: the file "
                        "was forged",
                        a->path, seq);
    a->seq = seq;
    a->time_ms = time_ms;
    return LFR_OK;
}

int lfr_audit_anchor_open(lfr_ctx *ctx, const char *path, const char *key_path, int create,
                          lfr_audit_anchor **out)
{
    *out = NULL;
    if (sodium_init() < 0) return lfr_fail(ctx, LFR_EINTERNAL, "libsodium cannot start");
    lfr_audit_anchor *a = lfr_calloc(1, sizeof *a);
    if (!a || !(a->path = lfr_strdup(path)) ||
        !(a->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
        if (a) lfr_free(a->path);
        lfr_free(a);
        return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    a->fd = -1;
    struct stat st;
    int file_exists = stat(path, &st) == 0, key_exists = stat(key_path, &st) == 0;
    int rc = LFR_OK;
    /* One without the other is a loss to name, never to paper over. */
    if (file_exists && !key_exists)
        rc = lfr_fail(ctx, LFR_ENOENT,
                      "%s: the audit anchor key is missing, so the anchors in %s cannot be "
                      "checked: restore the key",
                      key_path, path);
    else if (!file_exists && key_exists)
        rc = lfr_fail(ctx, LFR_ENOENT,
                      "%s: the audit anchor file is missing (its key %s is there): it was "
                      "deleted; restore it from backup",
                      path, key_path);
    else if (!file_exists && !create)
        rc = lfr_fail(ctx, LFR_ENOENT, "%s: no audit anchor file", path);
    if (!rc) rc = load_key(ctx, key_path, create, a->sk);
    if (!rc) crypto_sign_ed25519_sk_to_pk(a->pk, a->sk);
    if (!rc) {
        a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (a->fd < 0) rc = lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));
    }
    if (!rc && !file_exists) {
        char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1], line[128];
        sodium_bin2hex(pk_hex, sizeof pk_hex, a->pk, sizeof a->pk);
        int len = snprintf(line, sizeof line, HEADER "%s\n", pk_hex);
        if (write(a->fd, line, (size_t)len) != len || fsync(a->fd))
            rc = lfr_fail(ctx, LFR_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    if (!rc) rc = read_file(ctx, a);
    if (rc) {
        lfr_audit_anchor_free(a);
        return rc;
    }
    *out = a;
    return LFR_OK;
}

void lfr_audit_anchor_paths(const char *db, char *path, size_t path_len, char *key_path,
                            size_t key_len)
{
    char base[4096];
    lfr_store_files_base(db, base, sizeof base);
    snprintf(path, path_len, "%s.anchors", base);
    snprintf(key_path, key_len, "%s.anchor-key", base);
}

void lfr_audit_anchor_free(lfr_audit_anchor *a)
{
    if (!a) return;
    if (a->fd >= 0) close(a->fd);
    sodium_free(a->sk); /* wiped */
    lfr_free(a->path);
    lfr_free(a);
}

/* The log's newest record: seq 0 for an empty log. */
static int log_head(lfr_ctx *ctx, lfr_store *s, int64_t *seq, unsigned char hash[HASH_BYTES])
{
    *seq = 0;
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, s, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &st);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        size_t n = 0;
        const void *h = lfr_stmt_blob(st, 1, &n);
        *seq = lfr_stmt_int64(st, 0);
        rc = n == HASH_BYTES ? LFR_OK
                             : lfr_fail(ctx, LFR_EFORMAT, "audit: record %lld has a damaged hash",
                                        (long long)*seq);
        if (!rc) memcpy(hash, h, HASH_BYTES);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int lfr_audit_anchor_update(lfr_ctx *ctx, lfr_audit_anchor *a, lfr_store *s, int force)
{
    int64_t now = now_ms(), seq = 0;
    if (!force && now - a->time_ms < MIN_INTERVAL_MS) return LFR_OK;
    unsigned char hash[HASH_BYTES];
    int rc = log_head(ctx, s, &seq, hash);
    if (rc || seq == 0 || seq == a->seq) return rc;
    /* Never anchor over a log that lost what was anchored before. */
    lfr_audit_report r;
    memset(&r, 0, sizeof r);
    if ((rc = lfr_audit_anchor_check(ctx, a, s, &r))) return rc;
    if (r.first_bad_seq)
        return lfr_fail(ctx, LFR_EREFUSED, "audit log: %s (not anchored again)", r.problem);
    char text[128], sig_hex[2 * crypto_sign_BYTES + 1], line[300];
    unsigned char sig[crypto_sign_BYTES];
    anchor_text(seq, now, hash, text, sizeof text);
    crypto_sign_detached(sig, NULL, (const unsigned char *)text, strlen(text), a->sk);
    sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
    int len = snprintf(line, sizeof line, "%s %s\n", text, sig_hex);
    /* One write of the whole line: appends never interleave. */
    if (write(a->fd, line, (size_t)len) != len || fdatasync(a->fd))
        return lfr_fail(ctx, LFR_EIO, "%s: cannot append the audit anchor: %s", a->path,
                        strerror(errno));
    a->seq = seq;
    a->time_ms = now;
    memcpy(a->hash, hash, HASH_BYTES);
    return LFR_OK;
}

int lfr_audit_anchor_check(lfr_ctx *ctx, const lfr_audit_anchor *a, lfr_store *s,
                           lfr_audit_report *r)
{
    r->anchored_seq = a->seq;
    r->anchored_ms = a->time_ms;
    if (a->seq == 0 || r->first_bad_seq) return LFR_OK;
    int64_t head = 0;
    unsigned char head_hash[HASH_BYTES];
    int rc = log_head(ctx, s, &head, head_hash);
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if (head < a->seq) {
        r->first_bad_seq = head + 1;
        snprintf(r->problem, sizeof r->problem,
                 "the log ends at record %lld but record %lld was anchored: the newest records "
                 "were deleted",
                 (long long)head, (long long)a->seq);
        return LFR_OK;
    }
    rc = lfr_stmt_prepare(ctx, s, "SELECT hash FROM audit_log WHERE seq = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, a->seq);
    if (!rc && (rc = lfr_stmt_step(ctx, st)) >= 0) {
        size_t n = 0;
        const void *h = rc == 1 ? lfr_stmt_blob(st, 0, &n) : NULL;
        if (!h || n != HASH_BYTES || memcmp(h, a->hash, HASH_BYTES)) {
            r->first_bad_seq = a->seq;
            snprintf(r->problem, sizeof r->problem,
                     "record %lld is not the one anchored: the log was rewritten",
                     (long long)a->seq);
        }
        rc = LFR_OK;
    }
    lfr_stmt_free(st);
    return rc;
}

void lfr_audit_anchor_sign(const lfr_audit_anchor *a, const void *doc, size_t len,
                           unsigned char sig[64], unsigned char public_key[32])
{
    crypto_sign_detached(sig, NULL, doc, len, a->sk);
    memcpy(public_key, a->pk, crypto_sign_PUBLICKEYBYTES);
}

int lfr_audit_anchor_file_key(lfr_ctx *ctx, const char *path, unsigned char public_key[32])
{
    FILE *f = fopen(path, "re");
    if (!f) return lfr_fail(ctx, LFR_ENOENT, "%s: %s", path, strerror(errno));
    char head[256] = "";
    int got = fgets(head, sizeof head, f) != NULL;
    fclose(f);
    head[strcspn(head, "\n")] = '\0';
    size_t n = 0;
    if (!got || strncmp(head, HEADER, strlen(HEADER)) ||
        sodium_hex2bin(public_key, crypto_sign_PUBLICKEYBYTES, head + strlen(HEADER),
                       strlen(head + strlen(HEADER)), NULL, &n, NULL) ||
        n != crypto_sign_PUBLICKEYBYTES)
        return lfr_fail(ctx, LFR_EFORMAT, "%s: not an audit anchor file (no key in its header)",
                        path);
    return LFR_OK;
}
