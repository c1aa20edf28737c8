/* media/encode.c - choosing an encoder, and saving an image to a file.
 *
 * A save writes a temporary file beside the target and renames it over, so a
 * reader never sees half an image. The file is created with mode 0600 (it
 * may hold a face) and the encoded bytes are wiped once written.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int lfr_image_encode(lfr_ctx *ctx, const lfr_image *img, lfr_image_format fmt, int quality,
                     uint8_t **out, size_t *out_len)
{
    if (!out || !out_len) return lfr_fail(ctx, LFR_EINVAL, "image encode: no output pointer");
    *out = NULL;
    *out_len = 0;
    if (!lfr_media_image_ok(img)) return lfr_fail(ctx, LFR_EINVAL, "image encode: invalid image");
    switch (fmt) {
    case LFR_IMAGE_JPEG:
        return lfr_media_encode_jpeg(ctx, img, quality, out, out_len);
    case LFR_IMAGE_PNG:
        return lfr_media_encode_png(ctx, img, out, out_len);
    case LFR_IMAGE_PNM:
        return lfr_media_encode_ppm(ctx, img, out, out_len);
    }
    return lfr_fail(ctx, LFR_EINVAL, "image encode: unknown format %d", (int)fmt);
}

/* Format from the file name's extension; -1 if unknown. */
static int format_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return -1;
    if (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0) return LFR_IMAGE_JPEG;
    if (strcasecmp(dot, ".png") == 0) return LFR_IMAGE_PNG;
    if (strcasecmp(dot, ".ppm") == 0 || strcasecmp(dot, ".pnm") == 0) return LFR_IMAGE_PNM;
    return -1;
}

static int io_fail(lfr_ctx *ctx, const char *path, int err)
{
    return lfr_fail(ctx, err == ENOENT ? LFR_ENOENT : LFR_EIO, "%s: %s", path, strerror(err));
}

/* Writes len bytes to path through a temporary file and a rename. */
static int write_atomic(lfr_ctx *ctx, const char *path, const uint8_t *data, size_t len)
{
    size_t n = strlen(path) + sizeof ".XXXXXX";
    char *tmp = lfr_alloc(n);
    if (!tmp) return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.XXXXXX", path);
    int rc;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = io_fail(ctx, path, errno);
        lfr_free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        rc = io_fail(ctx, path, errno);
        close(fd);
        goto fail;
    }
    errno = 0;
    size_t put = fwrite(data, 1, len, f);
    int write_errno = errno;
    if (put != len) {
        fclose(f);
        rc = io_fail(ctx, path, write_errno ? write_errno : EIO);
        goto fail;
    }
    if (fclose(f) != 0) {
        rc = io_fail(ctx, path, errno);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = io_fail(ctx, path, errno);
        goto fail;
    }
    lfr_free(tmp);
    return LFR_OK;

fail:
    unlink(tmp);
    lfr_free(tmp);
    return rc;
}

int lfr_image_save(lfr_ctx *ctx, const lfr_image *img, const char *path, int quality)
{
    if (!path) return lfr_fail(ctx, LFR_EINVAL, "image save: no path");
    int fmt = format_for_path(path);
    if (fmt < 0)
        return lfr_fail(ctx, LFR_EINVAL, "%s: unknown image extension (use .jpg, .png or .ppm)",
                        path);
    uint8_t *buf;
    size_t len;
    int rc = lfr_image_encode(ctx, img, (lfr_image_format)fmt, quality, &buf, &len);
    if (rc) return lfr_fail_prefix(ctx, "%s", path);
    rc = write_atomic(ctx, path, buf, len);
    lfr_wipe_free(buf, len);
    return rc;
}
