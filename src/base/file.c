/* base/file.c - reading whole files under a size limit, and file checksums. */
#include "lfr/base.h"

#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int lfr_read_file(lfr_ctx *ctx, const char *path, size_t max_bytes, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", path,
                        strerror(errno));
    if (!S_ISREG(st.st_mode)) return lfr_fail(ctx, LFR_EIO, "%s: not a regular file", path);
    if ((uint64_t)st.st_size > max_bytes)
        return lfr_fail(ctx, LFR_ELIMIT, "%s: file is %lld bytes, over the limit of %zu", path,
                        (long long)st.st_size, max_bytes);
    FILE *f = fopen(path, "rb");
    if (!f) return lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));
    size_t cap = (size_t)st.st_size;
    uint8_t *buf = lfr_alloc(cap + 1);
    if (!buf) {
        fclose(f);
        return lfr_fail(ctx, LFR_ENOMEM, "%s: cannot allocate %zu bytes", path, cap + 1);
    }
    size_t got = fread(buf, 1, cap + 1, f);
    int read_err = ferror(f);
    fclose(f);
    if (read_err || got > cap) {
        lfr_free(buf);
        return lfr_fail(ctx, LFR_EIO, "%s: %s", path,
                        read_err ? "read error" : "file grew while being read");
    }
    buf[got] = '\0'; /* text can be read as a string */
    *out = buf;
    *out_len = got;
    return LFR_OK;
}

int lfr_sha256_file(lfr_ctx *ctx, const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lfr_fail(ctx, errno == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", path,
                        strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        crypto_hash_sha256_update(&st, chunk, n);
    int read_err = ferror(f);
    fclose(f);
    if (read_err) return lfr_fail(ctx, LFR_EIO, "%s: read error", path);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return LFR_OK;
}

int64_t lfr_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int lfr_secret_file(lfr_ctx *ctx, const char *path, const char *what, void *secret, size_t n,
                    const void *fresh)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && fresh) {
        /* First use: written once, readable by its owner only. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return lfr_fail(ctx, LFR_EIO, "%s: cannot create the %s: %s", path, what,
                            strerror(errno));
        int bad = write(fd, fresh, n) != (ssize_t)n || fsync(fd);
        close(fd);
        if (bad) {
            unlink(path);
            return lfr_fail(ctx, LFR_EIO, "%s: cannot write the %s", path, what);
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) return lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc = LFR_OK;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        rc = lfr_fail(ctx, LFR_EIO, "%s: not a file", path);
    else if (st.st_mode & 077)
        rc = lfr_fail(ctx, LFR_EINVAL, "%s: the %s is readable by others (mode %o): chmod 600 it",
                      path, what, (unsigned)(st.st_mode & 0777));
    else if ((size_t)st.st_size != n || read(fd, secret, n) != (ssize_t)n)
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: a %s is exactly %zu bytes", path, what, n);
    close(fd);
    return rc;
}
