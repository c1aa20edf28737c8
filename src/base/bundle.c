/* base/bundle.c - files sealed together under a passphrase: `lfr backup`
 * (a database, its watchlist key and its audit anchor in one file that is
 * useless without the passphrase).
 *
 * Layout: "LFRBNDL1", a 16-byte salt, the Argon2id limits (two 8-byte
 * little-endian numbers), the secretstream header, then XChaCha20-Poly1305
 * messages, each a 4-byte little-endian length and the ciphertext. Inside,
 * each file is a message "name\0size" followed by its bytes in messages of
 * up to CHUNK bytes; an empty message tagged FINAL ends the bundle, so a
 * truncated bundle is refused, as is any changed byte. */
#include "lfr/base.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "LFRBNDL1"
#define CHUNK 65536
#define NAME_MAX_BYTES 64

struct lfr_bundle {
    FILE *f;
    char *path;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char *buf; /* CHUNK + the tag's bytes */
    lfr_bytes_fn progress;
    void *progress_arg;
    int64_t sealed; /* bytes of files so far */
};

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int derive(lfr_ctx *ctx, const char *passphrase, const unsigned char *salt, uint64_t ops,
                  uint64_t mem, unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES])
{
    if (strlen(passphrase) < 12)
        return lfr_fail(ctx, LFR_EINVAL, "bundle: the passphrase needs 12 characters or more");
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return lfr_fail(ctx, LFR_EFORMAT, "bundle: key derivation limits out of range");
    if (crypto_pwhash(key, crypto_secretstream_xchacha20poly1305_KEYBYTES, passphrase,
                      strlen(passphrase), salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13))
        return lfr_fail(ctx, LFR_ENOMEM, "bundle: out of memory deriving the key");
    return LFR_OK;
}

static int push(lfr_ctx *ctx, lfr_bundle *b, const void *data, size_t len, unsigned char tag)
{
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&b->st, b->buf, &clen, data, len, NULL, 0, tag);
    unsigned char n[4] = {(unsigned char)clen, (unsigned char)(clen >> 8),
                          (unsigned char)(clen >> 16), (unsigned char)(clen >> 24)};
    if (fwrite(n, 1, 4, b->f) != 4 || fwrite(b->buf, 1, (size_t)clen, b->f) != clen)
        return lfr_fail(ctx, LFR_EIO, "%s: %s", b->path, strerror(errno));
    return LFR_OK;
}

int lfr_bundle_create(lfr_ctx *ctx, const char *path, const char *passphrase, lfr_bundle **out)
{
    *out = NULL;
    unsigned char salt[crypto_pwhash_SALTBYTES],
        key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    unsigned char head[8 + sizeof salt + 16 + crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE, mem = crypto_pwhash_MEMLIMIT_MODERATE;
    randombytes_buf(salt, sizeof salt);
    int rc = derive(ctx, passphrase, salt, ops, mem, key);
    if (rc) return rc;
    lfr_bundle *b = lfr_calloc(1, sizeof *b);
    if (!b || !(b->path = lfr_strdup(path)) ||
        !(b->buf = lfr_alloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES))) {
        sodium_memzero(key, sizeof key);
        lfr_bundle_abort(b);
        return lfr_fail(ctx, LFR_ENOMEM, "bundle: out of memory");
    }
    /* Created new, owner only: an existing file is never overwritten. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || !(b->f = fdopen(fd, "wb"))) {
        rc = lfr_fail(ctx, errno == EEXIST ? LFR_EREFUSED : LFR_EIO, "%s: %s", path,
                      errno == EEXIST ? "already exists" : strerror(errno));
        if (fd >= 0) close(fd);
        lfr_free(b->path);
        b->path = NULL; /* not ours to remove */
        sodium_memzero(key, sizeof key);
        lfr_bundle_abort(b);
        return rc;
    }
    memcpy(head, MAGIC, 8);
    memcpy(head + 8, salt, sizeof salt);
    put_u64(head + 8 + sizeof salt, ops);
    put_u64(head + 16 + sizeof salt, mem);
    crypto_secretstream_xchacha20poly1305_init_push(&b->st, head + 24 + sizeof salt, key);
    sodium_memzero(key, sizeof key);
    if (fwrite(head, 1, sizeof head, b->f) != sizeof head) {
        rc = lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));
        lfr_bundle_abort(b);
        return rc;
    }
    *out = b;
    return LFR_OK;
}

void lfr_bundle_on_progress(lfr_bundle *b, lfr_bytes_fn fn, void *arg)
{
    b->progress = fn;
    b->progress_arg = arg;
}

int lfr_bundle_add(lfr_ctx *ctx, lfr_bundle *b, const char *name, const char *src_path)
{
    if (!*name || strlen(name) >= NAME_MAX_BYTES || strchr(name, '/') || name[0] == '.')
        return lfr_fail(ctx, LFR_EINVAL, "bundle: '%s' is not a plain file name", name);
    FILE *in = fopen(src_path, "rb");
    if (!in)
        return lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", src_path,
                        strerror(errno));
    struct stat sb;
    int rc = LFR_OK;
    if (fstat(fileno(in), &sb) || !S_ISREG(sb.st_mode))
        rc = lfr_fail(ctx, LFR_EINVAL, "%s: not a regular file", src_path);
    char header[NAME_MAX_BYTES + 32];
    int hn = snprintf(header, sizeof header, "%s", name) + 1;
    hn += snprintf(header + hn, sizeof header - (size_t)hn, "%lld", (long long)sb.st_size);
    if (rc == LFR_OK) rc = push(ctx, b, header, (size_t)hn, 0);
    unsigned char *chunk = rc ? NULL : lfr_alloc(CHUNK);
    if (rc == LFR_OK && !chunk) rc = lfr_fail(ctx, LFR_ENOMEM, "bundle: out of memory");
    long long left = sb.st_size;
    while (rc == LFR_OK && left > 0) {
        size_t n = fread(chunk, 1, left < CHUNK ? (size_t)left : CHUNK, in);
        if (n == 0) {
            rc = lfr_fail(ctx, LFR_EIO, "%s: changed while read", src_path);
            break;
        }
        rc = push(ctx, b, chunk, n, 0);
        left -= (long long)n;
        b->sealed += (int64_t)n;
        if (b->progress) b->progress(b->sealed, b->progress_arg);
    }
    if (chunk) lfr_wipe_free(chunk, CHUNK);
    fclose(in);
    return rc;
}

int lfr_bundle_finish(lfr_ctx *ctx, lfr_bundle *b)
{
    int rc = push(ctx, b, "", 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    if (rc == LFR_OK && (fflush(b->f) || fsync(fileno(b->f))))
        rc = lfr_fail(ctx, LFR_EIO, "%s: %s", b->path, strerror(errno));
    if (rc) {
        lfr_bundle_abort(b);
        return rc;
    }
    fclose(b->f);
    b->f = NULL;
    lfr_free(b->path);
    b->path = NULL;
    lfr_bundle_abort(b);
    return LFR_OK;
}

void lfr_bundle_abort(lfr_bundle *b)
{
    if (!b) return;
    if (b->f) fclose(b->f);
    if (b->path) unlink(b->path);
    lfr_free(b->path);
    if (b->buf) lfr_wipe_free(b->buf, CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    sodium_memzero(&b->st, sizeof b->st);
    lfr_free(b);
}

/* Reads and opens the next message into out (at most cap bytes). */
static int pull(lfr_ctx *ctx, FILE *f, const char *path,
                crypto_secretstream_xchacha20poly1305_state *st, unsigned char *cbuf,
                unsigned char *out, size_t cap, size_t *len, unsigned char *tag)
{
    unsigned char n[4];
    if (fread(n, 1, 4, f) != 4)
        return lfr_fail(ctx, LFR_EFORMAT, "%s: cut short (no end mark)", path);
    size_t clen = (size_t)n[0] | (size_t)n[1] << 8 | (size_t)n[2] << 16 | (size_t)n[3] << 24;
    if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
        clen > cap + crypto_secretstream_xchacha20poly1305_ABYTES)
        return lfr_fail(ctx, LFR_EFORMAT, "%s: damaged (a message of %zu bytes)", path, clen);
    if (fread(cbuf, 1, clen, f) != clen) return lfr_fail(ctx, LFR_EFORMAT, "%s: cut short", path);
    unsigned long long mlen = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(st, out, &mlen, tag, cbuf, clen, NULL, 0))
        return lfr_fail(ctx, LFR_EFORMAT,
                        "%s: wrong passphrase, or the backup was altered or damaged", path);
    *len = (size_t)mlen;
    return LFR_OK;
}

int lfr_bundle_extract(lfr_ctx *ctx, const char *path, const char *passphrase, const char *dest_dir,
                       char (*names)[64], int max_names, int *n_names, lfr_bytes_fn progress,
                       void *progress_arg)
{
    *n_names = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", path,
                        strerror(errno));
    unsigned char
        head[8 + crypto_pwhash_SALTBYTES + 16 + crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char *cbuf = lfr_alloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned char *plain = lfr_alloc(CHUNK);
    FILE *out = NULL;
    int rc = LFR_OK;
    if (!cbuf || !plain) rc = lfr_fail(ctx, LFR_ENOMEM, "bundle: out of memory");
    if (rc == LFR_OK && (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, MAGIC, 8)))
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: not a backup made by lfr backup", path);
    const unsigned char *salt = head + 8;
    if (rc == LFR_OK)
        rc = derive(ctx, passphrase, salt, get_u64(head + 8 + crypto_pwhash_SALTBYTES),
                    get_u64(head + 16 + crypto_pwhash_SALTBYTES), key);
    if (rc == LFR_OK && crypto_secretstream_xchacha20poly1305_init_pull(
                            &st, head + 24 + crypto_pwhash_SALTBYTES, key))
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: damaged header", path);
    sodium_memzero(key, sizeof key);
    long long left = 0;
    unsigned char tag = 0;
    while (rc == LFR_OK) {
        size_t len = 0;
        rc = pull(ctx, f, path, &st, cbuf, plain, CHUNK, &len, &tag);
        if (rc) break;
        if (progress) progress((int64_t)ftello(f), progress_arg);
        if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
            if (left || len) rc = lfr_fail(ctx, LFR_EFORMAT, "%s: ends inside a file", path);
            break;
        }
        if (left > 0) { /* a file's bytes */
            if ((long long)len > left || fwrite(plain, 1, len, out) != len) {
                rc = lfr_fail(ctx, LFR_EIO, "%s: cannot write: %s", dest_dir, strerror(errno));
                break;
            }
            left -= (long long)len;
            continue;
        }
        /* A file's header: "name\0size". */
        if (out) {
            fclose(out);
            out = NULL;
        }
        const char *name = (const char *)plain;
        size_t name_len = strnlen(name, len);
        char *end = NULL;
        if (name_len == 0 || name_len >= len || name_len >= 64 || strchr(name, '/') ||
            name[0] == '.' || *n_names == max_names) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s: a file entry is malformed", path);
            break;
        }
        plain[len < CHUNK ? len : CHUNK - 1] = '\0';
        left = strtoll(name + name_len + 1, &end, 10);
        if (!end || *end || left < 0) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s: a file entry is malformed", path);
            break;
        }
        snprintf(names[*n_names], 64, "%s", name);
        char dest[4200];
        snprintf(dest, sizeof dest, "%s/%s", dest_dir, name);
        int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || !(out = fdopen(fd, "wb"))) {
            rc = lfr_fail(ctx, LFR_EIO, "%s: %s", dest, strerror(errno));
            if (fd >= 0) close(fd);
            break;
        }
        (*n_names)++;
    }
    if (out && fclose(out) && rc == LFR_OK)
        rc = lfr_fail(ctx, LFR_EIO, "%s: cannot write: %s", dest_dir, strerror(errno));
    fclose(f);
    sodium_memzero(&st, sizeof st);
    if (cbuf) lfr_wipe_free(cbuf, CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    if (plain) lfr_wipe_free(plain, CHUNK);
    return rc;
}
