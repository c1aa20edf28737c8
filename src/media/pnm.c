/* media/pnm.c - PGM and PPM (Netpbm) decoding and binary PPM encoding.
 *
 * Netpbm has no library we depend on, so this is a small strict parser:
 * binary P5/P6 and plain (ASCII) P2/P3, maxval 1-65535 scaled to 8 bits,
 * '#' comments between tokens. Short pixel data is an error, not a grey
 * fill. Bytes after the first image are ignored (the format allows several
 * images in one file).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

typedef struct cursor {
    const uint8_t *d;
    size_t len;
    size_t pos;
} cursor;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and comments (from '#' to the end of the line). */
static void skip_space(cursor *c)
{
    while (c->pos < c->len) {
        if (is_space(c->d[c->pos])) {
            c->pos++;
        } else if (c->d[c->pos] == '#') {
            while (c->pos < c->len && c->d[c->pos] != '\n' && c->d[c->pos] != '\r')
                c->pos++;
        } else {
            break;
        }
    }
}

/* Reads a decimal number after optional space. Values saturate at 2^40 so a
 * silly width still reaches the limit check rather than wrapping. Returns 0,
 * or -1 at the end of data or a non-digit. */
static int read_number(cursor *c, uint64_t *v)
{
    skip_space(c);
    if (c->pos >= c->len || c->d[c->pos] < '0' || c->d[c->pos] > '9') return -1;
    uint64_t n = 0;
    while (c->pos < c->len && c->d[c->pos] >= '0' && c->d[c->pos] <= '9') {
        n = n * 10 + (uint64_t)(c->d[c->pos] - '0');
        if (n > (uint64_t)1 << 40) n = (uint64_t)1 << 40;
        c->pos++;
    }
    *v = n;
    return 0;
}

static int header_fail(lfr_ctx *ctx, const cursor *c, const char *what)
{
    if (c->pos >= c->len) return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: truncated header");
    return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: bad %s at byte %zu", what, c->pos);
}

static uint8_t scale_sample(uint32_t v, uint32_t maxval)
{
    if (maxval == 255) return (uint8_t)v;
    return (uint8_t)(((uint64_t)v * 255 + maxval / 2) / maxval);
}

/* Stores sample i (grey samples fill all three channels). */
static void put_sample(uint8_t *rgb, size_t i, int channels, uint8_t v)
{
    if (channels == 3) {
        rgb[i] = v;
    } else {
        rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = v;
    }
}

static int read_plain(lfr_ctx *ctx, cursor *c, uint32_t maxval, int channels, size_t n,
                      uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (read_number(c, &v) != 0) {
            if (c->pos >= c->len)
                return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: truncated: %zu of %zu samples", i,
                                n);
            return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: bad sample at byte %zu", c->pos);
        }
        if (v > maxval)
            return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: sample %zu is %llu, over maxval %u", i,
                            (unsigned long long)v, maxval);
        put_sample(rgb, i, channels, scale_sample((uint32_t)v, maxval));
    }
    return LFR_OK;
}

static int read_raw(lfr_ctx *ctx, cursor *c, uint32_t maxval, int channels, size_t n, uint8_t *rgb)
{
    const uint8_t *s = c->d + c->pos;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = maxval > 255 ? (uint32_t)s[2 * i] << 8 | s[2 * i + 1] : s[i];
        if (v > maxval)
            return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: sample %zu is %u, over maxval %u", i, v,
                            maxval);
        put_sample(rgb, i, channels, scale_sample(v, maxval));
    }
    return LFR_OK;
}

int lfr_media_decode_pnm(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                         lfr_image **out)
{
    *out = NULL;
    cursor c = {data, len, 2};
    char kind = (char)data[1];
    if (kind != '2' && kind != '3' && kind != '5' && kind != '6')
        return lfr_fail(ctx, LFR_EFORMAT, "PNM: P%c images are not supported (only P2, P3, P5, P6)",
                        kind);
    int plain = kind == '2' || kind == '3';
    int channels = kind == '3' || kind == '6' ? 3 : 1;
    if (len < 3 || !is_space(data[2])) return header_fail(ctx, &c, "magic number");

    uint64_t w, h, maxval;
    if (read_number(&c, &w) != 0) return header_fail(ctx, &c, "width");
    if (read_number(&c, &h) != 0) return header_fail(ctx, &c, "height");
    if (read_number(&c, &maxval) != 0) return header_fail(ctx, &c, "maxval");
    if (maxval < 1 || maxval > 65535)
        return lfr_fail(ctx, LFR_EFORMAT, "corrupt PNM: maxval %llu is outside 1-65535",
                        (unsigned long long)maxval);
    int rc = lfr_media_check_size(ctx, "PNM", (int64_t)w, (int64_t)h, p);
    if (rc) return rc;

    size_t n = (size_t)w * (size_t)h * (size_t)channels;
    if (!plain) {
        /* Exactly one whitespace byte separates maxval from the raster. */
        if (c.pos >= len || !is_space(data[c.pos])) return header_fail(ctx, &c, "maxval");
        c.pos++;
        size_t need = n * (maxval > 255 ? 2 : 1);
        if (len - c.pos < need)
            return lfr_fail(ctx, LFR_EFORMAT,
                            "corrupt PNM: truncated: %zu of %zu bytes of pixel data", len - c.pos,
                            need);
    }

    lfr_image *img;
    rc = lfr_image_new(ctx, (int)w, (int)h, &img);
    if (rc) return rc;
    if (plain)
        rc = read_plain(ctx, &c, (uint32_t)maxval, channels, n, img->rgb);
    else
        rc = read_raw(ctx, &c, (uint32_t)maxval, channels, n, img->rgb);
    if (rc) {
        lfr_image_free(img);
        return rc;
    }
    *out = img;
    return LFR_OK;
}

int lfr_media_encode_ppm(lfr_ctx *ctx, const lfr_image *img, uint8_t **out, size_t *out_len)
{
    char head[64];
    int head_len = snprintf(head, sizeof head, "P6\n%d %d\n255\n", img->width, img->height);
    size_t bytes = (size_t)img->width * (size_t)img->height * 3;
    size_t total = (size_t)head_len + bytes;
    uint8_t *buf = lfr_alloc(total);
    if (!buf) return lfr_fail(ctx, LFR_ENOMEM, "PPM: cannot allocate %zu bytes", total);
    memcpy(buf, head, (size_t)head_len);
    memcpy(buf + head_len, img->rgb, bytes);
    *out = buf;
    *out_len = total;
    return LFR_OK;
}
