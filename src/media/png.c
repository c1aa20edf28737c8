/* media/png.c - PNG decoding and encoding through libspng.
 *
 * libspng (and zlib under it) allocates through lfr_alloc (spng_ctx_new2),
 * so the fault tests reach its failure paths too and an encoded buffer can be
 * handed to the caller without a copy. zlib allocates its window lazily and
 * libspng reports that failure as a corrupt stream, so the allocator hooks
 * note any failure and we report LFR_ENOMEM instead. Transparent pixels are composited over white:
 * the colour under alpha 0 is whatever the editor left there, and a cut-out portrait is meant to be
 * seen on a light page.
 */
#include "internal.h"

#include <spng.h>
#include <string.h>

/* Ancillary chunks (text, ICC profiles) are parsed and kept by libspng; these
 * bound the memory a hostile file can make it spend on them. */
#define PNG_CHUNK_MAX_BYTES ((size_t)16 << 20)
#define PNG_CACHE_MAX_BYTES ((size_t)32 << 20)

/* Set when an allocation for libspng failed on this thread. */
static _Thread_local int spng_oom;

static void *spng_malloc(size_t n)
{
    void *p = lfr_alloc(n);
    if (!p) spng_oom = 1;
    return p;
}

static void *spng_realloc(void *p, size_t n)
{
    void *q = lfr_wipe_realloc(p, n);
    if (!q) spng_oom = 1;
    return q;
}

static void *spng_calloc(size_t count, size_t size)
{
    void *p = lfr_calloc(count, size);
    if (!p) spng_oom = 1;
    return p;
}

static spng_ctx *new_spng(int flags)
{
    /* Its row buffers and zlib's window hold the picture: wiped when freed. */
    struct spng_alloc alloc = {spng_malloc, spng_realloc, spng_calloc, lfr_wipe_free_unsized};
    spng_oom = 0;
    return spng_ctx_new2(&alloc, flags);
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int png_fail(lfr_ctx *ctx, int err, const uint8_t *data, size_t len,
                    const lfr_decode_params *p)
{
    if (spng_oom) err = SPNG_EMEM;
    switch (err) {
    case SPNG_EMEM:
    case SPNG_EZLIB_INIT: /* zlib allocates through us; this is its Z_MEM_ERROR */
        return lfr_fail(ctx, LFR_ENOMEM, "PNG: out of memory");
    case SPNG_EUSER_WIDTH:
    case SPNG_EUSER_HEIGHT:
        /* libspng refused the IHDR against our side limit: say the size. */
        if (len >= 24) {
            int rc = lfr_media_check_size(ctx, "PNG", be32(data + 16), be32(data + 20), p);
            if (rc) return rc;
        }
        return lfr_fail(ctx, LFR_ELIMIT, "PNG: image side over the limit of %d px", p->max_side_px);
    case SPNG_ECHUNK_LIMITS:
        return lfr_fail(ctx, LFR_ELIMIT, "PNG: a chunk is over the limit of %zu bytes",
                        PNG_CHUNK_MAX_BYTES);
    default:
        return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNG: %s", spng_strerror(err));
    }
}

/* Nonzero if the chunk list reaches a whole IEND chunk. libspng stops
 * reading at IEND's header, so a file cut inside the last 4 bytes would
 * otherwise pass. Bytes after IEND are allowed (many writers leave some). */
static int has_iend(const uint8_t *d, size_t len)
{
    size_t pos = 8;
    while (len - pos >= 12) {
        uint32_t n = be32(d + pos);
        if (memcmp(d + pos + 4, "IEND", 4) == 0) return 1;
        if (n > len - pos - 12) return 0;
        pos += 12 + (size_t)n;
    }
    return 0;
}

/* RGBA to RGB over a white background. */
static void flatten_rgba(const uint8_t *rgba, size_t n_px, uint8_t *rgb)
{
    for (size_t i = 0; i < n_px; i++, rgba += 4, rgb += 3) {
        unsigned a = rgba[3];
        for (int c = 0; c < 3; c++)
            rgb[c] = (uint8_t)((rgba[c] * a + 255u * (255u - a) + 127u) / 255u);
    }
}

int lfr_media_decode_png(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                         lfr_image **out)
{
    *out = NULL;
    lfr_image *img = NULL;
    uint8_t *rgba = NULL;
    size_t rgba_bytes = 0;
    int rc;
    spng_ctx *sp = new_spng(0);
    if (!sp) return lfr_fail(ctx, LFR_ENOMEM, "PNG: cannot start the decoder");

    uint32_t side = p->max_side_px < 1 ? 1 : (uint32_t)p->max_side_px;
    struct spng_ihdr ihdr;
    int err = spng_set_image_limits(sp, side, side);
    if (!err) err = spng_set_chunk_limits(sp, PNG_CHUNK_MAX_BYTES, PNG_CACHE_MAX_BYTES);
    if (!err) err = spng_set_png_buffer(sp, data, len);
    if (!err) err = spng_get_ihdr(sp, &ihdr);
    if (err) {
        rc = png_fail(ctx, err, data, len, p);
        goto fail;
    }
    rc = lfr_media_check_size(ctx, "PNG", ihdr.width, ihdr.height, p);
    if (rc) goto fail;
    if (!has_iend(data, len)) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "corrupt PNG: truncated (no IEND chunk)");
        goto fail;
    }
    rc = lfr_image_new(ctx, (int)ihdr.width, (int)ihdr.height, &img);
    if (rc) goto fail;

    size_t n_px = (size_t)ihdr.width * ihdr.height;
    int alpha = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
                ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
    if (!alpha) {
        struct spng_trns trns;
        err = spng_get_trns(sp, &trns);
        if (err == SPNG_OK) {
            alpha = 1;
        } else if (err != SPNG_ECHUNKAVAIL) {
            rc = png_fail(ctx, err, data, len, p);
            goto fail;
        }
    }
    int fmt = alpha ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
    size_t need;
    err = spng_decoded_image_size(sp, fmt, &need);
    if (err) {
        rc = png_fail(ctx, err, data, len, p);
        goto fail;
    }
    if (need != n_px * (alpha ? 4 : 3)) {
        rc = lfr_fail(ctx, LFR_EINTERNAL, "PNG: decoder wants %zu bytes for %zu px", need, n_px);
        goto fail;
    }
    if (alpha) {
        rgba_bytes = need;
        rgba = lfr_alloc(rgba_bytes);
        if (!rgba) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "PNG: cannot allocate %zu bytes", rgba_bytes);
            goto fail;
        }
        err = spng_decode_image(sp, rgba, rgba_bytes, fmt, SPNG_DECODE_TRNS);
    } else {
        err = spng_decode_image(sp, img->rgb, need, fmt, 0);
    }
    /* The rest of the file, to IEND: a PNG cut short is refused even when
     * all its pixels arrived, as a JPEG without its end marker is. */
    if (!err) err = spng_decode_chunks(sp);
    if (err) {
        rc = png_fail(ctx, err, data, len, p);
        goto fail;
    }
    if (alpha) {
        flatten_rgba(rgba, n_px, img->rgb);
        lfr_wipe_free(rgba, rgba_bytes);
    }
    spng_ctx_free(sp);
    *out = img;
    return LFR_OK;

fail:
    lfr_wipe_free(rgba, rgba_bytes);
    lfr_image_free(img);
    spng_ctx_free(sp);
    return rc;
}

int lfr_media_encode_png(lfr_ctx *ctx, const lfr_image *img, uint8_t **out, size_t *out_len)
{
    int rc;
    spng_ctx *sp = new_spng(SPNG_CTX_ENCODER);
    if (!sp) return lfr_fail(ctx, LFR_ENOMEM, "PNG: cannot start the encoder");
    struct spng_ihdr ihdr = {
        .width = (uint32_t)img->width,
        .height = (uint32_t)img->height,
        .bit_depth = 8,
        .color_type = SPNG_COLOR_TYPE_TRUECOLOR,
    };
    size_t bytes = (size_t)img->width * (size_t)img->height * 3;
    int err = spng_set_option(sp, SPNG_ENCODE_TO_BUFFER, 1);
    if (!err) err = spng_set_ihdr(sp, &ihdr);
    if (!err) err = spng_encode_image(sp, img->rgb, bytes, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    if (err) goto fail;
    size_t len = 0;
    /* The buffer came from lfr_alloc and is now ours. */
    uint8_t *png = spng_get_png_buffer(sp, &len, &err);
    if (!png) {
        if (!err) err = SPNG_EINTERNAL;
        goto fail;
    }
    spng_ctx_free(sp);
    *out = png;
    *out_len = len;
    return LFR_OK;

fail:
    if (err == SPNG_EMEM || spng_oom)
        rc = lfr_fail(ctx, LFR_ENOMEM, "PNG: out of memory while encoding");
    else
        rc = lfr_fail(ctx, LFR_EINTERNAL, "PNG: encoding failed: %s", spng_strerror(err));
    spng_ctx_free(sp);
    return rc;
}
