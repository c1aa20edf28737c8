/* tests/test_media.c - decoding, encoding, resizing and warping images.
 *
 * Fixtures are made in memory with the same libraries liblfr uses (libspng,
 * libturbojpeg) or written out byte by byte (PNM), so the tests need no
 * files; the real-data tests at the end skip when ../shared/data is absent.
 */
#include "testutil.h"

#include "lfr/media.h"

#include <math.h>
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

static lfr_ctx *ctx;
static lfr_image sentinel; /* *out starts here, so a failure must reset it */

static int group_setup(void **state)
{
    return lfr_ctx_new(&ctx) == LFR_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    lfr_ctx_free(ctx);
    return 0;
}

#define assert_msg_has(needle)                                                                     \
    do {                                                                                           \
        if (!strstr(lfr_errmsg(ctx), (needle)))                                                    \
            fail_msg("message \"%s\" lacks \"%s\"", lfr_errmsg(ctx), (needle));                    \
    } while (0)

#define assert_rc(rc, want)                                                                        \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ != (want))                                                                         \
            fail_msg("got %s, want %s (message: %s)", lfr_err_name(rc_), lfr_err_name(want),       \
                     lfr_errmsg(ctx));                                                             \
    } while (0)

static uint8_t *px(const lfr_image *img, int x, int y)
{
    return img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
}

/* A smooth, colourful test card: red across, green down, blue diagonal. */
static lfr_image *make_card(int w, int h)
{
    lfr_image *img;
    assert_int_equal(lfr_image_new(ctx, w, h, &img), LFR_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px(img, x, y);
            p[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
            p[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
            p[2] = (uint8_t)((x + y) * 255 / (w + h - 2 > 0 ? w + h - 2 : 1));
        }
    return img;
}

/* Pixels that defeat prediction: any lossless round trip must keep them. */
static lfr_image *make_noise(int w, int h)
{
    lfr_image *img;
    assert_int_equal(lfr_image_new(ctx, w, h, &img), LFR_OK);
    uint32_t s = 12345;
    for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
        s = s * 1103515245u + 12345u;
        img->rgb[i] = (uint8_t)(s >> 16);
    }
    return img;
}

static void assert_same_image(const lfr_image *a, const lfr_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_memory_equal(a->rgb, b->rgb, (size_t)a->width * (size_t)a->height * 3);
}

static void encode(const lfr_image *img, lfr_image_format fmt, int quality, uint8_t **buf,
                   size_t *len)
{
    assert_rc(lfr_image_encode(ctx, img, fmt, quality, buf, len), LFR_OK);
    assert_non_null(*buf);
    assert_true(*len > 0);
}

static lfr_image *decode_ok(const void *data, size_t len)
{
    lfr_image *img = &sentinel;
    assert_rc(lfr_image_decode(ctx, data, len, NULL, &img), LFR_OK);
    assert_non_null(img);
    assert_ptr_not_equal(img, &sentinel);
    return img;
}

static void decode_fails(const void *data, size_t len, const lfr_decode_params *p, int code,
                         const char *needle)
{
    lfr_image *img = &sentinel;
    assert_rc(lfr_image_decode(ctx, data, len, p, &img), code);
    assert_null(img);
    assert_int_equal(lfr_errcode(ctx), code);
    assert_msg_has(needle);
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* Rewrites the IHDR size of a PNG made by libspng (IHDR first) and its CRC. */
static void png_set_size(uint8_t *png, uint32_t w, uint32_t h)
{
    assert_memory_equal(png + 12, "IHDR", 4);
    put_be32(png + 16, w);
    put_be32(png + 20, h);
    put_be32(png + 29, crc32_png(png + 12, 17));
}

/* A PNG of any colour type from raw rows (host-endian for 16 bit). The
 * result is malloc'ed by libspng's default allocator: free() it. */
static uint8_t *make_png(uint32_t w, uint32_t h, uint8_t depth, uint8_t color_type, const void *raw,
                         size_t raw_len, const struct spng_plte *plte, const struct spng_trns *trns,
                         size_t *len)
{
    spng_ctx *sp = spng_ctx_new(SPNG_CTX_ENCODER);
    assert_non_null(sp);
    struct spng_ihdr ihdr = {.width = w, .height = h, .bit_depth = depth, .color_type = color_type};
    assert_int_equal(spng_set_option(sp, SPNG_ENCODE_TO_BUFFER, 1), 0);
    assert_int_equal(spng_set_ihdr(sp, &ihdr), 0);
    if (plte) assert_int_equal(spng_set_plte(sp, (struct spng_plte *)plte), 0);
    if (trns) assert_int_equal(spng_set_trns(sp, (struct spng_trns *)trns), 0);
    assert_int_equal(spng_encode_image(sp, raw, raw_len, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE), 0);
    int err = 0;
    uint8_t *png = spng_get_png_buffer(sp, len, &err);
    assert_int_equal(err, 0);
    assert_non_null(png);
    spng_ctx_free(sp);
    return png;
}

/* A JPEG from raw pixels of any turbojpeg pixel format; tjFree() it. */
static uint8_t *make_jpeg(const uint8_t *pixels, int w, int h, int pf, int subsamp, int flags,
                          size_t *len)
{
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    uint8_t *jpeg = NULL;
    unsigned long size = 0;
    if (tjCompress2(tj, pixels, w, 0, h, pf, &jpeg, &size, subsamp, 95, flags) != 0)
        fail_msg("tjCompress2: %s", tjGetErrorStr2(tj));
    tjDestroy(tj);
    *len = size;
    return jpeg;
}

/* ---- images ---- */

/* Camera URLs in messages: the password is hidden, the rest kept. */
static void test_url_redact(void **state)
{
    (void)state;
    char out[64];
    lfr_url_redact("rtsp://admin:S3cret@10.0.0.5:554/stream1", out, sizeof out);
    assert_string_equal(out, "rtsp://***@10.0.0.5:554/stream1");
    lfr_url_redact("rtsp://10.0.0.5/a@b", out, sizeof out); /* '@' in the path: no user */
    assert_string_equal(out, "rtsp://10.0.0.5/a@b");
    lfr_url_redact("/data/clips/x@y.mp4", out, sizeof out);
    assert_string_equal(out, "/data/clips/x@y.mp4");
    lfr_url_redact("http://u:p@host", out, 8); /* truncated, never the password */
    assert_string_equal(out, "http://");
}

static void test_defaults(void **state)
{
    lfr_decode_params p = lfr_decode_default_params();
    assert_int_equal(p.max_file_bytes, (size_t)64 << 20);
    assert_int_equal(p.max_pixels, 40000000);
    assert_int_equal(p.max_side_px, 16384);
}

static void test_new_clone_free(void **state)
{
    lfr_image *img = &sentinel;
    assert_rc(lfr_image_new(ctx, 0, 5, &img), LFR_EINVAL);
    assert_null(img);
    img = &sentinel;
    assert_rc(lfr_image_new(ctx, 5, -1, &img), LFR_EINVAL);
    assert_null(img);

    assert_rc(lfr_image_new(ctx, 7, 3, &img), LFR_OK);
    assert_int_equal(img->width, 7);
    assert_int_equal(img->height, 3);
    for (size_t i = 0; i < 7 * 3 * 3; i++)
        assert_int_equal(img->rgb[i], 0);

    lfr_image *card = make_card(9, 4), *copy;
    assert_rc(lfr_image_clone(ctx, card, &copy), LFR_OK);
    assert_ptr_not_equal(copy->rgb, card->rgb);
    assert_same_image(copy, card);
    copy->rgb[0] ^= 0xff;
    assert_int_not_equal(copy->rgb[0], card->rgb[0]);
    lfr_image_free(copy);

    copy = &sentinel;
    assert_rc(lfr_image_clone(ctx, NULL, &copy), LFR_EINVAL);
    assert_null(copy);
    lfr_image_free(img);
    lfr_image_free(card);
    lfr_image_free(NULL);
}

/* ---- round trips ---- */

static void test_png_roundtrip(void **state)
{
    lfr_image *img = make_noise(37, 23);
    uint8_t *buf;
    size_t len;
    encode(img, LFR_IMAGE_PNG, 0, &buf, &len);
    assert_memory_equal(buf, "\x89PNG\r\n\x1a\n", 8);
    lfr_image *back = decode_ok(buf, len);
    assert_same_image(back, img);
    lfr_image_free(back);
    lfr_free(buf);
    lfr_image_free(img);
}

static void test_ppm_roundtrip(void **state)
{
    lfr_image *img = make_noise(37, 23);
    uint8_t *buf;
    size_t len;
    encode(img, LFR_IMAGE_PNM, 0, &buf, &len);
    const char head[] = "P6\n37 23\n255\n";
    assert_int_equal(len, sizeof head - 1 + 37 * 23 * 3);
    assert_memory_equal(buf, head, sizeof head - 1);
    lfr_image *back = decode_ok(buf, len);
    assert_same_image(back, img);
    lfr_image_free(back);
    lfr_free(buf);
    lfr_image_free(img);
}

static void test_jpeg_roundtrip(void **state)
{
    lfr_image *img = make_card(64, 48);
    uint8_t *buf;
    size_t len;
    encode(img, LFR_IMAGE_JPEG, 95, &buf, &len);
    assert_memory_equal(buf, "\xff\xd8\xff", 3);
    lfr_image *back = decode_ok(buf, len);
    assert_int_equal(back->width, 64);
    assert_int_equal(back->height, 48);
    double sum = 0;
    int worst = 0;
    size_t n = 64 * 48 * 3;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)back->rgb[i] - (int)img->rgb[i]);
        sum += d;
        if (d > worst) worst = d;
    }
    if (sum / (double)n > 2.0 || worst > 24)
        fail_msg("JPEG error too large: mean %.2f, max %d", sum / (double)n, worst);
    lfr_image_free(back);
    lfr_free(buf);

    /* Lower quality still decodes and is smaller. */
    uint8_t *small;
    size_t small_len;
    encode(img, LFR_IMAGE_JPEG, 20, &small, &small_len);
    assert_true(small_len < len);
    back = decode_ok(small, small_len);
    lfr_image_free(back);
    lfr_free(small);

    uint8_t *none = (uint8_t *)"x";
    size_t none_len = 1;
    assert_rc(lfr_image_encode(ctx, img, LFR_IMAGE_JPEG, 0, &none, &none_len), LFR_EINVAL);
    assert_null(none);
    assert_msg_has("quality");
    assert_rc(lfr_image_encode(ctx, img, LFR_IMAGE_JPEG, 101, &none, &none_len), LFR_EINVAL);
    assert_rc(lfr_image_encode(ctx, NULL, LFR_IMAGE_PNG, 0, &none, &none_len), LFR_EINVAL);
    assert_rc(lfr_image_encode(ctx, img, (lfr_image_format)42, 90, &none, &none_len), LFR_EINVAL);
    lfr_image_free(img);
}

static void test_jpeg_grey_progressive_cmyk(void **state)
{
    /* Grey JPEG: three equal channels. */
    uint8_t grey[16 * 8];
    for (int i = 0; i < 16 * 8; i++)
        grey[i] = (uint8_t)(i * 2);
    size_t len;
    uint8_t *jpeg = make_jpeg(grey, 16, 8, TJPF_GRAY, TJSAMP_GRAY, 0, &len);
    lfr_image *img = decode_ok(jpeg, len);
    assert_int_equal(img->width, 16);
    assert_int_equal(img->height, 8);
    for (int i = 0; i < 16 * 8; i++) {
        assert_int_equal(img->rgb[i * 3], img->rgb[i * 3 + 1]);
        assert_int_equal(img->rgb[i * 3], img->rgb[i * 3 + 2]);
        assert_true(abs((int)img->rgb[i * 3] - grey[i]) <= 4);
    }
    lfr_image_free(img);
    tjFree(jpeg);

    /* Progressive JPEG. */
    lfr_image *card = make_card(40, 30);
    jpeg = make_jpeg(card->rgb, 40, 30, TJPF_RGB, TJSAMP_444, TJFLAG_PROGRESSIVE, &len);
    img = decode_ok(jpeg, len);
    assert_int_equal(img->width, 40);
    assert_true(abs((int)px(img, 20, 15)[0] - px(card, 20, 15)[0]) <= 6);
    lfr_image_free(img);
    tjFree(jpeg);
    lfr_image_free(card);

    /* CMYK (Adobe, inverted as Photoshop stores it): 255 means no ink. */
    uint8_t cmyk[8 * 8 * 4];
    for (int i = 0; i < 64; i++) {
        const uint8_t *c = i < 32 ? (const uint8_t[]){255, 0, 255, 255}  /* magenta ink */
                                  : (const uint8_t[]){255, 255, 255, 0}; /* full black */
        memcpy(cmyk + i * 4, c, 4);
    }
    jpeg = make_jpeg(cmyk, 8, 8, TJPF_CMYK, TJSAMP_444, 0, &len);
    img = decode_ok(jpeg, len);
    uint8_t *top = px(img, 3, 1), *bottom = px(img, 3, 6);
    assert_true(top[0] > 240 && top[1] < 15 && top[2] > 240);
    assert_true(bottom[0] < 15 && bottom[1] < 15 && bottom[2] < 15);
    lfr_image_free(img);
    tjFree(jpeg);
}

/* Stray bytes between segments only warn, and the image stays whole. Cut
 * the same file short: the first (benign) warning must not hide the
 * truncation. */
static void test_jpeg_benign_warning(void **state)
{
    lfr_image *card = make_card(32, 32);
    size_t len;
    uint8_t *jpeg = make_jpeg(card->rgb, 32, 32, TJPF_RGB, TJSAMP_420, 0, &len);
    /* Insert two junk bytes before the first DQT marker. */
    size_t at = 2;
    while (!(jpeg[at] == 0xff && jpeg[at + 1] == 0xdb))
        at++;
    uint8_t *junk = malloc(len + 2);
    assert_non_null(junk);
    memcpy(junk, jpeg, at);
    junk[at] = 0x12;
    junk[at + 1] = 0x34;
    memcpy(junk + at + 2, jpeg + at, len - at);
    lfr_image *img = decode_ok(junk, len + 2);
    lfr_image *clean = decode_ok(jpeg, len);
    assert_same_image(img, clean);
    lfr_image_free(img);
    lfr_image_free(clean);
    decode_fails(junk, len + 2 - 40, NULL, LFR_EFORMAT, "JPEG");
    free(junk);
    tjFree(jpeg);
    lfr_image_free(card);
}

/* ---- PNM ---- */

static void test_pnm_plain(void **state)
{
    const char p2[] = "P2\n# a comment\n3 2 # trailing\n255\n0 128 255\n 10 20\t30\n";
    lfr_image *img = decode_ok(p2, sizeof p2 - 1);
    assert_int_equal(img->width, 3);
    assert_int_equal(img->height, 2);
    const uint8_t want[] = {0, 128, 255, 10, 20, 30};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(img->rgb[i * 3], want[i]);
        assert_int_equal(img->rgb[i * 3 + 1], want[i]);
        assert_int_equal(img->rgb[i * 3 + 2], want[i]);
    }
    lfr_image_free(img);

    const char p3[] = "P3 2 1 255  255 0 0  0 0 255";
    img = decode_ok(p3, sizeof p3 - 1);
    assert_memory_equal(img->rgb, "\xff\x00\x00\x00\x00\xff", 6);
    lfr_image_free(img);

    /* maxval 15: 15 -> 255, 7 -> 119 (rounded 7 * 255 / 15). */
    const char p2_15[] = "P2 2 1 15 15 7\n";
    img = decode_ok(p2_15, sizeof p2_15 - 1);
    assert_int_equal(img->rgb[0], 255);
    assert_int_equal(img->rgb[3], 119);
    lfr_image_free(img);
}

static void test_pnm_binary(void **state)
{
    const uint8_t p5[] = "P5\n2 2\n255\n\x00\x40\x80\xff";
    lfr_image *img = decode_ok(p5, sizeof p5 - 1);
    const uint8_t want[] = {0x00, 0x40, 0x80, 0xff};
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(img->rgb[i * 3 + c], want[i]);
    lfr_image_free(img);

    /* 16-bit samples are big-endian and scale to 8 bits. */
    const uint8_t p5_16[] = "P5 3 1 65535\n\x00\x00\xff\xff\x80\x00";
    img = decode_ok(p5_16, sizeof p5_16 - 1);
    assert_int_equal(img->rgb[0], 0);
    assert_int_equal(img->rgb[3], 255);
    assert_int_equal(img->rgb[6], 128);
    assert_int_equal(img->rgb[7], 128);
    lfr_image_free(img);

    const uint8_t p6_10[] = "P6 1 1 1023\n\x03\xff\x00\x00\x02\x00";
    img = decode_ok(p6_10, sizeof p6_10 - 1);
    assert_int_equal(img->rgb[0], 255);
    assert_int_equal(img->rgb[1], 0);
    assert_int_equal(img->rgb[2], 128);
    lfr_image_free(img);

    const char p2_16[] = "P2 2 1 65535 65535 257";
    img = decode_ok(p2_16, sizeof p2_16 - 1);
    assert_int_equal(img->rgb[0], 255);
    assert_int_equal(img->rgb[3], 1);
    lfr_image_free(img);

    /* Bytes after the first image are ignored. */
    const uint8_t two[] = "P5 1 1 255\n\x07P5 1 1 255\n\x08";
    img = decode_ok(two, sizeof two - 1);
    assert_int_equal(img->rgb[0], 7);
    lfr_image_free(img);
}

static void test_pnm_errors(void **state)
{
    /* Literals may hold NUL bytes, so lengths come from sizeof. */
#define PNM_CASE(lit, code, needle)                                                                \
    {                                                                                              \
        lit, sizeof lit - 1, code, needle                                                          \
    }
    static const struct {
        const char *data;
        size_t len;
        int code;
        const char *needle;
    } cases[] = {
        PNM_CASE("P6\n", LFR_EFORMAT, "truncated header"),
        PNM_CASE("P6\n4", LFR_EFORMAT, "truncated header"),
        PNM_CASE("P6\n4 4", LFR_EFORMAT, "truncated header"),
        PNM_CASE("P6\n4 4\n255", LFR_EFORMAT, "truncated header"),
        PNM_CASE("P6\n4 4\n255\n", LFR_EFORMAT, "truncated: 0 of 48 bytes"),
        PNM_CASE("P6\n4 4\n255\nabc", LFR_EFORMAT, "truncated: 3 of 48 bytes"),
        PNM_CASE("P5 2 2 65535\n\x01\x02\x03", LFR_EFORMAT, "truncated: 3 of 8 bytes"),
        PNM_CASE("P2 2 2 255 1 2 3", LFR_EFORMAT, "truncated: 3 of 4 samples"),
        PNM_CASE("P3 1 1 255 1 2 x", LFR_EFORMAT, "bad sample"),
        PNM_CASE("P2 1 1 100 200", LFR_EFORMAT, "over maxval 100"),
        PNM_CASE("P5 1 1 100\n\xc8", LFR_EFORMAT, "over maxval 100"),
        PNM_CASE("P6 1 1 0\n\x00\x00\x00", LFR_EFORMAT, "maxval 0"),
        PNM_CASE("P6 1 1 65536\n\x00\x00\x00", LFR_EFORMAT, "maxval 65536"),
        PNM_CASE("P6 -1 1 255\n\x00\x00\x00", LFR_EFORMAT, "bad width"),
        PNM_CASE("P6 1 x 255\n\x00\x00\x00", LFR_EFORMAT, "bad height"),
        PNM_CASE("P6x1 1 255\n\x00\x00\x00", LFR_EFORMAT, "magic"),
        PNM_CASE("P6 1 1 255#\x00\x00\x00", LFR_EFORMAT, "maxval"),
        PNM_CASE("P6\n0 5\n255\n", LFR_EFORMAT, "zero width"),
        PNM_CASE("P5\n5 0\n255\n", LFR_EFORMAT, "zero height"),
        PNM_CASE("P4\n1 1\n\x80", LFR_EFORMAT, "P4"),
        PNM_CASE("P1\n1 1\n1", LFR_EFORMAT, "not supported"),
        PNM_CASE("P6\n100000 100000\n255\n", LFR_ELIMIT, "100000x100000"),
        PNM_CASE("P6\n99999999999999999999 1\n255\n", LFR_ELIMIT, "over the limit"),
        PNM_CASE("P6\n16385 1\n255\n", LFR_ELIMIT, "16384"),
        PNM_CASE("P6\n10000 10000\n255\n", LFR_ELIMIT, "40000000"),
    };
#undef PNM_CASE
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        decode_fails(cases[i].data, cases[i].len, NULL, cases[i].code, cases[i].needle);
        assert_msg_has("PNM");
    }
}

/* ---- PNG colour types ---- */

static void test_png_color_types(void **state)
{
    size_t len;
    /* 8-bit grey. */
    uint8_t grey[4 * 2] = {0, 50, 100, 150, 200, 250, 1, 2};
    uint8_t *png =
        make_png(4, 2, 8, SPNG_COLOR_TYPE_GRAYSCALE, grey, sizeof grey, NULL, NULL, &len);
    lfr_image *img = decode_ok(png, len);
    assert_int_equal(img->width, 4);
    assert_int_equal(img->height, 2);
    for (int i = 0; i < 8; i++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(img->rgb[i * 3 + c], grey[i]);
    lfr_image_free(img);
    free(png);

    /* 1-bit grey. */
    uint8_t bits[1] = {0xa0}; /* 1 0 1 0 */
    png = make_png(4, 1, 1, SPNG_COLOR_TYPE_GRAYSCALE, bits, 1, NULL, NULL, &len);
    img = decode_ok(png, len);
    assert_memory_equal(img->rgb, "\xff\xff\xff\x00\x00\x00\xff\xff\xff\x00\x00\x00", 12);
    lfr_image_free(img);
    free(png);

    /* 16-bit RGB: the high byte survives. */
    uint16_t rgb16[2 * 3] = {0xffff, 0x0000, 0x8000, 0x1234, 0xabcd, 0x0101};
    png = make_png(2, 1, 16, SPNG_COLOR_TYPE_TRUECOLOR, rgb16, sizeof rgb16, NULL, NULL, &len);
    img = decode_ok(png, len);
    const uint8_t want16[6] = {0xff, 0x00, 0x80, 0x12, 0xab, 0x01};
    for (int i = 0; i < 6; i++)
        assert_true(abs((int)img->rgb[i] - want16[i]) <= 1);
    lfr_image_free(img);
    free(png);

    /* Palette. */
    struct spng_plte plte = {.n_entries = 3};
    plte.entries[0] = (struct spng_plte_entry){10, 20, 30, 0};
    plte.entries[1] = (struct spng_plte_entry){200, 100, 0, 0};
    plte.entries[2] = (struct spng_plte_entry){1, 2, 3, 0};
    uint8_t idx[3] = {2, 0, 1};
    png = make_png(3, 1, 8, SPNG_COLOR_TYPE_INDEXED, idx, sizeof idx, &plte, NULL, &len);
    img = decode_ok(png, len);
    assert_memory_equal(img->rgb, "\x01\x02\x03\x0a\x14\x1e\xc8\x64\x00", 9);
    lfr_image_free(img);
    free(png);

    /* RGBA: composited over white. */
    uint8_t rgba[4 * 4] = {255, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 128, 10, 20, 30, 255};
    png = make_png(4, 1, 8, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, rgba, sizeof rgba, NULL, NULL, &len);
    img = decode_ok(png, len);
    assert_memory_equal(img->rgb, "\xff\xff\xff\x00\x00\x00\xff\x7f\x7f\x0a\x14\x1e", 12);
    lfr_image_free(img);
    free(png);

    /* Grey with a tRNS colour key: the keyed grey becomes white. */
    struct spng_trns trns = {.gray = 0};
    uint8_t keyed[2] = {0, 9};
    png = make_png(2, 1, 8, SPNG_COLOR_TYPE_GRAYSCALE, keyed, 2, NULL, &trns, &len);
    img = decode_ok(png, len);
    assert_memory_equal(img->rgb, "\xff\xff\xff\x09\x09\x09", 6);
    lfr_image_free(img);
    free(png);
}

/* ---- bad input ---- */

static void test_not_an_image(void **state)
{
    decode_fails("", 0, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
    decode_fails(NULL, 0, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
    const char text[] = "Name,Photo\nAlice,alice.jpg\n";
    decode_fails(text, sizeof text - 1, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
    decode_fails("\xff\xd8", 2, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
    decode_fails("\x89PNG\r\n", 6, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");
    decode_fails("GIF89a\x01\x00\x01\x00", 10, NULL, LFR_EFORMAT, "not a JPEG, PNG or PNM image");

    lfr_image *img = &sentinel;
    assert_rc(lfr_image_decode(ctx, NULL, 10, NULL, &img), LFR_EINVAL);
    assert_null(img);
    assert_rc(lfr_image_decode(ctx, (const uint8_t *)"P5", 2, NULL, NULL), LFR_EINVAL);
}

static void test_truncated(void **state)
{
    lfr_image *card = make_noise(40, 30);
    static const lfr_image_format fmts[] = {LFR_IMAGE_JPEG, LFR_IMAGE_PNG, LFR_IMAGE_PNM};
    static const char *const names[] = {"JPEG", "PNG", "PNM"};
    for (int f = 0; f < 3; f++) {
        uint8_t *buf;
        size_t len;
        encode(card, fmts[f], 90, &buf, &len);
        /* Inside the header, just after it, halfway, near the end, and
         * one byte short. */
        const size_t cuts[] = {3, 9, 20, len / 4, len / 2, len - 100, len - 1};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            lfr_image *img = &sentinel;
            int rc = lfr_image_decode(ctx, buf, cuts[i], NULL, &img);
            if (rc != LFR_EFORMAT)
                fail_msg("%s cut at %zu of %zu: got %s (%s)", names[f], cuts[i], len,
                         lfr_err_name(rc), lfr_errmsg(ctx));
            assert_null(img);
            assert_msg_has(names[f]);
        }
        lfr_free(buf);
    }
    lfr_image_free(card);
}

static void test_corrupt(void **state)
{
    lfr_image *card = make_noise(40, 30);
    uint8_t *buf;
    size_t len;

    /* PNG: a flipped byte in the pixel data breaks the chunk CRC. */
    encode(card, LFR_IMAGE_PNG, 0, &buf, &len);
    buf[len / 2] ^= 0x55;
    decode_fails(buf, len, NULL, LFR_EFORMAT, "corrupt PNG");
    lfr_free(buf);

    /* JPEG: garbage in place of the headers. */
    encode(card, LFR_IMAGE_JPEG, 90, &buf, &len);
    for (size_t i = 4; i < 200; i++)
        buf[i] = (uint8_t)(i * 7);
    decode_fails(buf, len, NULL, LFR_EFORMAT, "corrupt JPEG");
    lfr_free(buf);

    /* JPEG: the scan replaced by stuffed 0xFF bytes, a run of 1 bits longer
     * than any Huffman code. */
    encode(card, LFR_IMAGE_JPEG, 90, &buf, &len);
    size_t sos = 2;
    while (!(buf[sos] == 0xff && buf[sos + 1] == 0xda))
        sos++;
    size_t scan = sos + 2 + ((size_t)buf[sos + 2] << 8 | buf[sos + 3]);
    for (size_t i = scan; i + 1 < len - 2; i += 2) {
        buf[i] = 0xff;
        buf[i + 1] = 0x00;
    }
    decode_fails(buf, len, NULL, LFR_EFORMAT, "corrupt JPEG");
    lfr_free(buf);
    lfr_image_free(card);
}

static void test_zero_and_huge(void **state)
{
    uint8_t pix[3] = {1, 2, 3};
    size_t len;
    uint8_t *png = make_png(1, 1, 8, SPNG_COLOR_TYPE_TRUECOLOR, pix, 3, NULL, NULL, &len);
    png_set_size(png, 0, 1);
    decode_fails(png, len, NULL, LFR_EFORMAT, "PNG");
    png_set_size(png, 100000, 100000);
    decode_fails(png, len, NULL, LFR_ELIMIT, "100000x100000");
    png_set_size(png, 10000, 10000); /* under the side limit, over the pixels */
    decode_fails(png, len, NULL, LFR_ELIMIT, "40000000");
    free(png);

    /* JPEG: patch the frame header to 60000 x 60000. */
    lfr_image *card = make_card(16, 16);
    uint8_t *jpeg;
    encode(card, LFR_IMAGE_JPEG, 90, &jpeg, &len);
    size_t sof = 2;
    while (!(jpeg[sof] == 0xff && jpeg[sof + 1] == 0xc0))
        sof++;
    jpeg[sof + 5] = jpeg[sof + 7] = 0xea; /* 0xea60 = 60000 */
    jpeg[sof + 6] = jpeg[sof + 8] = 0x60;
    decode_fails(jpeg, len, NULL, LFR_ELIMIT, "60000x60000");
    lfr_free(jpeg);

    /* The limits are refused before any pixel allocation: with every
     * allocation failing, the answer is still LFR_ELIMIT. */
    const char huge[] = "P6\n100000 100000\n255\n";
    lfr_alloc_fault_after(0);
    lfr_image *img = &sentinel;
    int rc = lfr_image_decode(ctx, (const uint8_t *)huge, sizeof huge - 1, NULL, &img);
    lfr_alloc_fault_after(-1);
    assert_rc(rc, LFR_ELIMIT);
    assert_null(img);

    /* Caller's own limits. */
    uint8_t *buf;
    encode(card, LFR_IMAGE_PNG, 0, &buf, &len);
    lfr_decode_params p = lfr_decode_default_params();
    p.max_pixels = 100;
    decode_fails(buf, len, &p, LFR_ELIMIT, "256 px, over the limit of 100 px");
    p = lfr_decode_default_params();
    p.max_side_px = 15;
    decode_fails(buf, len, &p, LFR_ELIMIT, "16x16 px, a side over the limit of 15 px");
    p = lfr_decode_default_params();
    p.max_file_bytes = len - 1;
    decode_fails(buf, len, &p, LFR_ELIMIT, "bytes, over the limit");
    lfr_free(buf);
    lfr_image_free(card);
}

/* ---- files ---- */

static void test_files(void **state)
{
    lfr_image *img = &sentinel;
    const char *missing = test_tmp_path("no-such-dir/photo.jpg");
    assert_rc(lfr_image_load(ctx, missing, NULL, &img), LFR_ENOENT);
    assert_null(img);
    assert_msg_has(missing);

    const char *dir = test_tmp_path("media-dir.jpg");
    mkdir(dir, 0700);
    img = &sentinel;
    int rc = lfr_image_load(ctx, dir, NULL, &img);
    assert_true(rc == LFR_EIO || rc == LFR_EFORMAT);
    assert_null(img);
    assert_msg_has(dir);

    const char *text = test_tmp_path("media-text.jpg");
    test_write_file(text, "hello\n", 6);
    img = &sentinel;
    assert_rc(lfr_image_load(ctx, text, NULL, &img), LFR_EFORMAT);
    assert_null(img);
    char want[4200];
    snprintf(want, sizeof want, "%s: not a JPEG, PNG or PNM image", text);
    assert_string_equal(lfr_errmsg(ctx), want);
    unlink(text);

    /* A corrupt JPEG names the path first, then the problem. */
    lfr_image *card = make_card(20, 10);
    uint8_t *jpeg;
    size_t len;
    encode(card, LFR_IMAGE_JPEG, 90, &jpeg, &len);
    const char *cut = test_tmp_path("media-cut.jpg");
    test_write_file(cut, jpeg, len / 2);
    assert_rc(lfr_image_load(ctx, cut, NULL, &img), LFR_EFORMAT);
    snprintf(want, sizeof want, "%s: corrupt JPEG: ", cut);
    assert_memory_equal(lfr_errmsg(ctx), want, strlen(want));
    unlink(cut);
    lfr_free(jpeg);

    /* Size limit applies to the file. */
    const char *ppm = test_tmp_path("media-card.ppm");
    assert_rc(lfr_image_save(ctx, card, ppm, 0), LFR_OK);
    lfr_decode_params p = lfr_decode_default_params();
    p.max_file_bytes = 100;
    assert_rc(lfr_image_load(ctx, ppm, &p, &img), LFR_ELIMIT);
    assert_null(img);

    /* Save and load each format. */
    static const char *const names[] = {"media-card.png", "media-card.ppm", "media-card.jpg",
                                        "media-card.JPEG"};
    for (int i = 0; i < 4; i++) {
        const char *path = test_tmp_path(names[i]);
        assert_rc(lfr_image_save(ctx, card, path, 95), LFR_OK);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_rc(lfr_image_load(ctx, path, NULL, &img), LFR_OK);
        assert_int_equal(img->width, 20);
        assert_int_equal(img->height, 10);
        if (i < 2) assert_same_image(img, card);
        lfr_image_free(img);
        unlink(path);
    }
    assert_rc(lfr_image_save(ctx, card, test_tmp_path("media-card.gif"), 90), LFR_EINVAL);
    assert_msg_has("extension");
    assert_rc(lfr_image_save(ctx, card, test_tmp_path("no-such-dir/x.png"), 90), LFR_ENOENT);
    assert_msg_has("no-such-dir/x.png");
    assert_rc(lfr_image_save(ctx, card, test_tmp_path("media-bad-q.jpg"), 0), LFR_EINVAL);
    assert_msg_has("media-bad-q.jpg: JPEG: quality 0");
    assert_int_not_equal(access(test_tmp_path("media-bad-q.jpg"), F_OK), 0);
    lfr_image_free(card);
}

/* ---- resize, flip, warp ---- */

static void test_resize_constant(void **state)
{
    lfr_image *src;
    assert_int_equal(lfr_image_new(ctx, 50, 40, &src), LFR_OK);
    for (int i = 0; i < 50 * 40; i++)
        memcpy(src->rgb + i * 3, "\x4d\x82\xc8", 3);
    static const int sizes[][2] = {{13, 7}, {1, 1}, {25, 20}, {30, 35}, {120, 90}, {50, 40}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        lfr_image *dst;
        assert_rc(lfr_image_resize(ctx, src, sizes[s][0], sizes[s][1], &dst), LFR_OK);
        assert_int_equal(dst->width, sizes[s][0]);
        assert_int_equal(dst->height, sizes[s][1]);
        for (int i = 0; i < dst->width * dst->height; i++)
            assert_memory_equal(dst->rgb + i * 3, "\x4d\x82\xc8", 3);
        lfr_image_free(dst);
    }
    lfr_image *dst = &sentinel;
    assert_rc(lfr_image_resize(ctx, src, 0, 10, &dst), LFR_EINVAL);
    assert_null(dst);
    lfr_image_free(src);
}

static void test_resize_gradient(void **state)
{
    lfr_image *src = make_card(100, 60);
    static const int widths[] = {7, 37, 60, 99, 250};
    for (size_t s = 0; s < sizeof widths / sizeof widths[0]; s++) {
        lfr_image *dst;
        assert_rc(lfr_image_resize(ctx, src, widths[s], 30, &dst), LFR_OK);
        for (int y = 0; y < dst->height; y++)
            for (int x = 1; x < dst->width; x++)
                assert_true(px(dst, x, y)[0] >= px(dst, x - 1, y)[0]);
        for (int x = 0; x < dst->width; x++)
            for (int y = 1; y < dst->height; y++)
                assert_true(px(dst, x, y)[1] >= px(dst, x, y - 1)[1]);
        /* Centre-aligned: the middle of the output is the middle of the
         * input, and the ends stay near the ends. */
        int mid = px(dst, dst->width / 2, 15)[0];
        if (dst->width % 2) assert_true(abs(mid - 128) <= 4);
        assert_true(px(dst, 0, 0)[0] < 40);
        assert_true(px(dst, dst->width - 1, 0)[0] > 215);
        lfr_image_free(dst);
    }
    lfr_image_free(src);
}

static void test_resize_no_alias(void **state)
{
    /* A one-pixel checkerboard shrunk 10x is flat grey, not a moire of
     * black and white (what point sampling would give). */
    lfr_image *src;
    assert_int_equal(lfr_image_new(ctx, 100, 100, &src), LFR_OK);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 100; x++)
            memset(px(src, x, y), (x + y) % 2 ? 255 : 0, 3);
    lfr_image *dst;
    assert_rc(lfr_image_resize(ctx, src, 10, 10, &dst), LFR_OK);
    for (int i = 0; i < 10 * 10 * 3; i++)
        assert_true(abs((int)dst->rgb[i] - 128) <= 1);
    lfr_image_free(dst);
    /* Non-integer factor. */
    assert_rc(lfr_image_resize(ctx, src, 13, 7, &dst), LFR_OK);
    for (int i = 0; i < 13 * 7 * 3; i++)
        assert_true(abs((int)dst->rgb[i] - 128) <= 12);
    lfr_image_free(dst);
    lfr_image_free(src);
}

static void test_flip(void **state)
{
    lfr_image *src = make_noise(11, 5), *once, *twice;
    assert_rc(lfr_image_flip(ctx, src, &once), LFR_OK);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 11; x++)
            assert_memory_equal(px(once, x, y), px(src, 10 - x, y), 3);
    assert_rc(lfr_image_flip(ctx, once, &twice), LFR_OK);
    assert_same_image(twice, src);
    lfr_image_free(once);
    lfr_image_free(twice);
    once = &sentinel;
    assert_rc(lfr_image_flip(ctx, NULL, &once), LFR_EINVAL);
    assert_null(once);
    lfr_image_free(src);
}

static void test_affine_invert(void **state)
{
    double c = cos(0.3) * 1.7, s = sin(0.3) * 1.7;
    lfr_affine a = {{c, -s, 12.5, s, c, -3.25}}, inv;
    assert_int_equal(lfr_affine_invert(&a, &inv), 1);
    /* a(inv(p)) = p */
    double x = 5, y = -7;
    double ix = inv.m[0] * x + inv.m[1] * y + inv.m[2];
    double iy = inv.m[3] * x + inv.m[4] * y + inv.m[5];
    assert_true(fabs(a.m[0] * ix + a.m[1] * iy + a.m[2] - x) < 1e-9);
    assert_true(fabs(a.m[3] * ix + a.m[4] * iy + a.m[5] - y) < 1e-9);

    lfr_affine flat = {{1, 2, 3, 2, 4, 5}}, zero = {{0}}, nan_map = {{NAN, 0, 0, 0, 1, 0}};
    assert_int_equal(lfr_affine_invert(&flat, &inv), 0);
    assert_int_equal(lfr_affine_invert(&zero, &inv), 0);
    assert_int_equal(lfr_affine_invert(&nan_map, &inv), 0);
}

static void test_warp(void **state)
{
    lfr_image *src = make_noise(20, 16), *dst;
    assert_int_equal(lfr_image_new(ctx, 20, 16, &dst), LFR_OK);

    lfr_affine id = {{1, 0, 0, 0, 1, 0}};
    assert_rc(lfr_image_warp(ctx, src, &id, dst), LFR_OK);
    assert_same_image(dst, src);

    /* Shift right by 5 and down by 3: dst(x, y) = src(x - 5, y - 3). */
    lfr_affine shift = {{1, 0, 5, 0, 1, 3}};
    assert_rc(lfr_image_warp(ctx, src, &shift, dst), LFR_OK);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 20; x++) {
            if (x < 5 || y < 3)
                assert_memory_equal(px(dst, x, y), "\0\0\0", 3);
            else
                assert_memory_equal(px(dst, x, y), px(src, x - 5, y - 3), 3);
        }

    /* Half-pixel shift averages neighbours. */
    lfr_affine half = {{1, 0, 0.5, 0, 1, 0}};
    assert_rc(lfr_image_warp(ctx, src, &half, dst), LFR_OK);
    int avg = (px(src, 3, 2)[1] + px(src, 4, 2)[1] + 1) / 2;
    assert_true(abs((int)px(dst, 4, 2)[1] - avg) <= 1);

    /* Into a smaller crop, scaled 2x down. */
    lfr_image *crop;
    assert_int_equal(lfr_image_new(ctx, 10, 8, &crop), LFR_OK);
    lfr_affine down = {{0.5, 0, -0.25, 0, 0.5, -0.25}};
    assert_rc(lfr_image_warp(ctx, src, &down, crop), LFR_OK);
    lfr_image_free(crop);

    /* Far outside and huge coordinates stay black, without UB. */
    lfr_affine far = {{1e-3, 0, 1e9, 0, 1e-3, -1e9}};
    assert_rc(lfr_image_warp(ctx, src, &far, dst), LFR_OK);
    for (int i = 0; i < 20 * 16 * 3; i++)
        assert_int_equal(dst->rgb[i], 0);

    lfr_affine singular = {{1, 2, 0, 2, 4, 0}};
    memset(dst->rgb, 7, 20 * 16 * 3);
    assert_rc(lfr_image_warp(ctx, src, &singular, dst), LFR_EINVAL);
    assert_msg_has("singular");
    for (int i = 0; i < 20 * 16 * 3; i++)
        assert_int_equal(dst->rgb[i], 7);
    assert_rc(lfr_image_warp(ctx, src, &id, src), LFR_EINVAL);
    assert_rc(lfr_image_warp(ctx, src, NULL, dst), LFR_EINVAL);
    lfr_image_free(dst);
    lfr_image_free(src);
}

/* ---- allocation faults ---- */

typedef int (*scenario)(const void *arg);

static const uint8_t *fault_data;
static size_t fault_len;

static int decode_scenario(const void *arg)
{
    lfr_image *img = &sentinel;
    int rc = lfr_image_decode(ctx, fault_data, fault_len, NULL, &img);
    if (rc != LFR_OK) assert_null(img);
    lfr_image_free(rc == LFR_OK ? img : NULL);
    return rc;
}

static int encode_scenario(const void *arg)
{
    const lfr_image *img = arg;
    uint8_t *out = (uint8_t *)"x";
    size_t len = 0;
    int rc = lfr_image_encode(ctx, img, (lfr_image_format)fault_len, 90, &out, &len);
    if (rc != LFR_OK) assert_null(out);
    lfr_free(out);
    return rc;
}

static int resize_scenario(const void *arg)
{
    lfr_image *out = &sentinel;
    int rc = lfr_image_resize(ctx, arg, 7, 5, &out);
    if (rc != LFR_OK) assert_null(out);
    lfr_image_free(rc == LFR_OK ? out : NULL);
    return rc;
}

static int save_scenario(const void *arg)
{
    return lfr_image_save(ctx, arg, test_tmp_path("media-fault.png"), 90);
}

/* Runs fn failing the n-th allocation for n = 0, 1, ... until it succeeds;
 * every failure must be LFR_ENOMEM (ASan checks for leaks). */
static void fault_loop(const char *name, scenario fn, const void *arg)
{
    for (long n = 0;; n++) {
        assert_true(n < 10000);
        lfr_alloc_fault_after(n);
        int rc = fn(arg);
        lfr_alloc_fault_after(-1);
        if (rc == LFR_OK) {
            print_message("%s: ok after %ld allocations failed in turn\n", name, n);
            return;
        }
        if (rc != LFR_ENOMEM)
            fail_msg("%s: allocation %ld failing gave %s: %s", name, n, lfr_err_name(rc),
                     lfr_errmsg(ctx));
    }
}

static void test_alloc_faults(void **state)
{
    lfr_image *card = make_card(24, 18);
    uint8_t *bufs[3];
    size_t lens[3];
    static const lfr_image_format fmts[] = {LFR_IMAGE_PNG, LFR_IMAGE_PNM, LFR_IMAGE_JPEG};
    for (int f = 0; f < 3; f++) {
        encode(card, fmts[f], 90, &bufs[f], &lens[f]);
        fault_data = bufs[f];
        fault_len = lens[f];
        fault_loop("decode", decode_scenario, NULL);
    }
    uint8_t rgba[2 * 2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    size_t len;
    uint8_t *png =
        make_png(2, 2, 8, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, rgba, sizeof rgba, NULL, NULL, &len);
    fault_data = png;
    fault_len = len;
    fault_loop("decode rgba png", decode_scenario, NULL);
    free(png);
    const char plain[] = "P3 2 1 255 1 2 3 4 5 6";
    fault_data = (const uint8_t *)plain;
    fault_len = sizeof plain - 1;
    fault_loop("decode plain ppm", decode_scenario, NULL);

    for (int f = 0; f < 3; f++) {
        fault_len = fmts[f];
        fault_loop("encode", encode_scenario, card);
        lfr_free(bufs[f]);
    }
    fault_loop("resize", resize_scenario, card);
    fault_loop("save", save_scenario, card);
    unlink(test_tmp_path("media-fault.png"));
    lfr_image_free(card);
}

/* ---- real data ---- */

static void load_real(const char *rel, int w, int h)
{
    TEST_NEED_DATA(rel);
    lfr_image *img = &sentinel;
    assert_rc(lfr_image_load(ctx, test_data_path(rel), NULL, &img), LFR_OK);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    /* Not blank: a real photo has some spread of values. */
    int lo = 255, hi = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
        if (img->rgb[i] < lo) lo = img->rgb[i];
        if (img->rgb[i] > hi) hi = img->rgb[i];
    }
    assert_true(hi - lo > 100);
    lfr_image_free(img);
}

static void test_real_lfw_jpeg(void **state)
{
    load_real("lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg", 150, 150);
}

static void test_real_orl_pgm(void **state)
{
    load_real("orl/att_faces/s1/1.pgm", 92, 112);
}

static void test_real_rgba_png(void **state)
{
    load_real("video/face_recognition_hamilton/alex-lacamoire.png", 424, 394);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_redact),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_new_clone_free),
        cmocka_unit_test(test_png_roundtrip),
        cmocka_unit_test(test_ppm_roundtrip),
        cmocka_unit_test(test_jpeg_roundtrip),
        cmocka_unit_test(test_jpeg_grey_progressive_cmyk),
        cmocka_unit_test(test_jpeg_benign_warning),
        cmocka_unit_test(test_pnm_plain),
        cmocka_unit_test(test_pnm_binary),
        cmocka_unit_test(test_pnm_errors),
        cmocka_unit_test(test_png_color_types),
        cmocka_unit_test(test_not_an_image),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_zero_and_huge),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_resize_constant),
        cmocka_unit_test(test_resize_gradient),
        cmocka_unit_test(test_resize_no_alias),
        cmocka_unit_test(test_flip),
        cmocka_unit_test(test_affine_invert),
        cmocka_unit_test(test_warp),
        cmocka_unit_test(test_alloc_faults),
        cmocka_unit_test(test_real_lfw_jpeg),
        cmocka_unit_test(test_real_orl_pgm),
        cmocka_unit_test(test_real_rgba_png),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
