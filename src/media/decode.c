/* media/decode.c - recognising an image by its content and checking limits.
 *
 * Input is untrusted (uploads, watchlist files), so the format comes from the
 * first bytes, never the file name, and every size is checked against the
 * caller's limits before a pixel buffer exists.
 */
#include "internal.h"

#include <string.h>

static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

int lfr_media_check_size(lfr_ctx *ctx, const char *what, int64_t w, int64_t h,
                         const lfr_decode_params *p)
{
    if (w < 1 || h < 1)
        return lfr_fail(ctx, LFR_EFORMAT, "%s: image has zero %s", what,
                        w < 1 ? "width" : "height");
    if (w > p->max_side_px || h > p->max_side_px)
        return lfr_fail(ctx, LFR_ELIMIT,
                        "%s: image is %lldx%lld px, a side over the limit of %d px", what,
                        (long long)w, (long long)h, p->max_side_px);
    /* Both sides fit an int here, so the product fits int64_t. */
    if (w * h > p->max_pixels)
        return lfr_fail(ctx, LFR_ELIMIT,
                        "%s: image is %lldx%lld = %lld px, over the limit of %lld px", what,
                        (long long)w, (long long)h, (long long)(w * h), (long long)p->max_pixels);
    return LFR_OK;
}

int lfr_image_decode(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                     lfr_image **out)
{
    if (!out) return lfr_fail(ctx, LFR_EINVAL, "image decode: no output pointer");
    *out = NULL;
    if (!data && len) return lfr_fail(ctx, LFR_EINVAL, "image decode: no data");
    lfr_decode_params defaults = lfr_decode_default_params();
    if (!p) p = &defaults;
    if (len == 0) return lfr_fail(ctx, LFR_EFORMAT, "empty data: not a JPEG, PNG or PNM image");
    if (len > p->max_file_bytes)
        return lfr_fail(ctx, LFR_ELIMIT, "image data is %zu bytes, over the limit of %zu", len,
                        p->max_file_bytes);

    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return lfr_media_decode_jpeg(ctx, data, len, p, out);
    if (len >= sizeof png_magic && memcmp(data, png_magic, sizeof png_magic) == 0)
        return lfr_media_decode_png(ctx, data, len, p, out);
    if (len >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7')
        return lfr_media_decode_pnm(ctx, data, len, p, out);
    return lfr_fail(ctx, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
}

int lfr_image_load(lfr_ctx *ctx, const char *path, const lfr_decode_params *p, lfr_image **out)
{
    if (!out) return lfr_fail(ctx, LFR_EINVAL, "image load: no output pointer");
    *out = NULL;
    if (!path) return lfr_fail(ctx, LFR_EINVAL, "image load: no path");
    lfr_decode_params defaults = lfr_decode_default_params();
    if (!p) p = &defaults;

    uint8_t *buf;
    size_t len;
    int rc = lfr_read_file(ctx, path, p->max_file_bytes, &buf, &len);
    if (rc) return rc; /* the message already names the path */
    rc = lfr_image_decode(ctx, buf, len, p, out);
    /* The encoded bytes are as much a face as the pixels are. */
    lfr_wipe_free(buf, len);
    if (rc) return lfr_fail_prefix(ctx, "%s", path);
    return LFR_OK;
}
