/* media/jpeg.c - JPEG decoding and encoding through libturbojpeg.
 *
 * libjpeg only warns about damaged data and fills the gap with grey, so a
 * truncated upload would decode "successfully" into a half-grey face. We
 * refuse every warning except a few that leave the pixels intact (stray bytes
 * between segments, unusual header versions), and because libjpeg records
 * only the first warning's text, a file that warned benignly must also end
 * its last scan with an EOI marker.
 */
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <turbojpeg.h>

/* Warnings after which the decoded pixels are still the encoder's pixels. */
static const char *const benign_warnings[] = {
    "extraneous bytes before marker",      /* JWRN_EXTRANEOUS_DATA */
    "unknown JFIF revision number",        /* JWRN_JFIF_MAJOR */
    "Unknown Adobe color transform code",  /* JWRN_ADOBE_XFORM */
    "thumbnail image size does not match", /* JWRN_JFIF_BADTHUMBNAILSIZE */
    "bad ICC marker",                      /* JWRN_BOGUS_ICC */
};

static int warning_is_benign(const char *msg)
{
    for (size_t i = 0; i < sizeof benign_warnings / sizeof benign_warnings[0]; i++)
        if (strstr(msg, benign_warnings[i])) return 1;
    return 0;
}

/* Nonzero if an EOI marker follows the last SOS marker. Inside entropy-coded
 * data 0xFF is always followed by 0x00 or RSTn, so neither marker can appear
 * there by accident; a truncated file has no EOI after its last scan. */
static int eoi_after_last_scan(const uint8_t *d, size_t len)
{
    int seen_sos = 0, eoi = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (d[i] != 0xff) continue;
        if (d[i + 1] == 0xda) {
            seen_sos = 1;
            eoi = 0;
        } else if (d[i + 1] == 0xd9 && seen_sos) {
            eoi = 1;
        }
    }
    return eoi;
}

/* Nonzero if the segments before the first scan include Adobe's APP14, whose
 * presence means CMYK samples are stored inverted (Photoshop's habit). */
static int has_adobe_marker(const uint8_t *d, size_t len)
{
    size_t i = 2; /* after SOI */
    while (i + 4 <= len) {
        if (d[i] != 0xff) return 0;
        uint8_t m = d[i + 1];
        if (m == 0xff) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xda || m == 0xd9) return 0;        /* SOS or EOI: headers are over */
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { /* markers without a length */
            i += 2;
            continue;
        }
        size_t seg = (size_t)d[i + 2] << 8 | d[i + 3];
        if (seg < 2) return 0;
        if (m == 0xee && seg >= 7 && i + 9 <= len && memcmp(d + i + 4, "Adobe", 5) == 0) return 1;
        i += 2 + seg;
    }
    return 0;
}

static uint8_t mul255(unsigned a, unsigned b)
{
    return (uint8_t)((a * b + 127) / 255);
}

/* Naive CMYK to RGB (no colour management): enough to find a face. */
static void cmyk_to_rgb(const uint8_t *cmyk, size_t n_px, int inverted, uint8_t *rgb)
{
    for (size_t i = 0; i < n_px; i++, cmyk += 4, rgb += 3) {
        unsigned k = inverted ? cmyk[3] : 255u - cmyk[3];
        for (int c = 0; c < 3; c++)
            rgb[c] = mul255(inverted ? cmyk[c] : 255u - cmyk[c], k);
    }
}

int lfr_media_decode_jpeg(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                          lfr_image **out)
{
    *out = NULL;
    lfr_image *img = NULL;
    uint8_t *cmyk = NULL;
    size_t cmyk_bytes = 0;
    int rc;
    if (len > ULONG_MAX) return lfr_fail(ctx, LFR_ELIMIT, "JPEG: %zu bytes is too large", len);
    tjhandle tj = tjInitDecompress();
    if (!tj) return lfr_fail(ctx, LFR_ENOMEM, "JPEG: cannot start the decoder");

    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0 &&
        (tjGetErrorCode(tj) != TJERR_WARNING || w < 1 || h < 1)) {
        rc = lfr_fail(ctx, LFR_EFORMAT, "corrupt JPEG: %s", tjGetErrorStr2(tj));
        goto fail;
    }
    if (w < 1 || h < 1) { /* a tables-only stream (motion JPEG) parses as 0x0 */
        rc = lfr_fail(ctx, LFR_EFORMAT, "corrupt JPEG: no image in the data");
        goto fail;
    }
    rc = lfr_media_check_size(ctx, "JPEG", w, h, p);
    if (rc) goto fail;
    rc = lfr_image_new(ctx, w, h, &img);
    if (rc) goto fail;

    /* Progressive files may hold thousands of tiny scans, a known way to
     * make a small file cost minutes of CPU. */
    int flags = TJFLAG_LIMITSCANS;
    int cmyk_in = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    int ret;
    if (cmyk_in) {
        /* libjpeg cannot convert CMYK to RGB itself. */
        cmyk_bytes = (size_t)w * (size_t)h * 4;
        cmyk = lfr_alloc(cmyk_bytes);
        if (!cmyk) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "JPEG: cannot allocate %dx%d CMYK pixels", w, h);
            goto fail;
        }
        ret = tjDecompress2(tj, data, (unsigned long)len, cmyk, w, 0, h, TJPF_CMYK, flags);
    } else {
        ret = tjDecompress2(tj, data, (unsigned long)len, img->rgb, w, 0, h, TJPF_RGB, flags);
    }
    if (ret != 0) {
        const char *msg = tjGetErrorStr2(tj);
        if (tjGetErrorCode(tj) != TJERR_WARNING || !warning_is_benign(msg)) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "corrupt JPEG: %s", msg);
            goto fail;
        }
        if (!eoi_after_last_scan(data, len)) {
            rc =
                lfr_fail(ctx, LFR_EFORMAT, "corrupt JPEG: truncated (no end marker after %s)", msg);
            goto fail;
        }
    }
    if (cmyk_in) {
        cmyk_to_rgb(cmyk, (size_t)w * (size_t)h, has_adobe_marker(data, len), img->rgb);
        lfr_wipe_free(cmyk, cmyk_bytes);
    }
    tjDestroy(tj);
    *out = img;
    return LFR_OK;

fail:
    lfr_wipe_free(cmyk, cmyk_bytes);
    lfr_image_free(img);
    tjDestroy(tj);
    return rc;
}

int lfr_media_encode_jpeg(lfr_ctx *ctx, const lfr_image *img, int quality, uint8_t **out,
                          size_t *out_len)
{
    if (quality < 1 || quality > 100)
        return lfr_fail(ctx, LFR_EINVAL, "JPEG: quality %d is outside 1-100", quality);
    unsigned long cap = tjBufSize(img->width, img->height, TJSAMP_420);
    if (cap == (unsigned long)-1)
        return lfr_fail(ctx, LFR_EINVAL, "JPEG: cannot encode a %dx%d image", img->width,
                        img->height);
    tjhandle tj = tjInitCompress();
    if (!tj) return lfr_fail(ctx, LFR_ENOMEM, "JPEG: cannot start the encoder");
    /* Our buffer, sized for the worst case, so turbojpeg never reallocates
     * it with its own allocator. */
    uint8_t *buf = lfr_alloc(cap);
    if (!buf) {
        tjDestroy(tj);
        return lfr_fail(ctx, LFR_ENOMEM, "JPEG: cannot allocate %lu bytes", cap);
    }
    unsigned long size = cap;
    if (tjCompress2(tj, img->rgb, img->width, 0, img->height, TJPF_RGB, &buf, &size, TJSAMP_420,
                    quality, TJFLAG_NOREALLOC) != 0) {
        int rc = lfr_fail(ctx, LFR_EINTERNAL, "JPEG: encoding failed: %s", tjGetErrorStr2(tj));
        lfr_wipe_free(buf, cap);
        tjDestroy(tj);
        return rc;
    }
    tjDestroy(tj);
    /* The worst case is about 3x the pixels; hand back a tight copy when
     * that wastes much. */
    if (cap - size > 65536) {
        uint8_t *tight = lfr_alloc(size);
        if (tight) {
            memcpy(tight, buf, size);
            lfr_wipe_free(buf, size);
            buf = tight;
        }
    }
    *out = buf;
    *out_len = size;
    return LFR_OK;
}
