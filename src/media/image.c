/* media/image.c - creating, copying and freeing images; decode limits. */
#include "internal.h"

#include <string.h>

lfr_decode_params lfr_decode_default_params(void)
{
    /* Keep in step with the comments on lfr_decode_params in media.h. */
    lfr_decode_params p = {
        .max_file_bytes = (size_t)64 << 20,
        .max_pixels = 40000000,
        .max_side_px = 16384,
    };
    return p;
}

int lfr_media_image_ok(const lfr_image *img)
{
    return img && img->width > 0 && img->height > 0 && img->rgb;
}

static size_t image_bytes(const lfr_image *img)
{
    return (size_t)img->width * (size_t)img->height * 3;
}

static int image_alloc(lfr_ctx *ctx, int w, int h, int locked, lfr_image **out)
{
    *out = NULL;
    if (w < 1 || h < 1) return lfr_fail(ctx, LFR_EINVAL, "image: invalid size %dx%d", w, h);
    if ((size_t)w > SIZE_MAX / 3 / (size_t)h)
        return lfr_fail(ctx, LFR_ENOMEM, "image: %dx%d is too large to address", w, h);
    lfr_image *img = lfr_calloc(1, sizeof *img);
    if (!img) return lfr_fail(ctx, LFR_ENOMEM, "image: out of memory");
    img->width = w;
    img->height = h;
    img->locked = locked;
    img->rgb = locked ? lfr_scratch_alloc(image_bytes(img)) : lfr_alloc(image_bytes(img));
    if (!img->rgb) {
        lfr_free(img);
        if (locked) return lfr_locked_fail(ctx, "image");
        return lfr_fail(ctx, LFR_ENOMEM, "image: cannot allocate %dx%d pixels", w, h);
    }
    *out = img;
    return LFR_OK;
}

int lfr_image_new(lfr_ctx *ctx, int w, int h, lfr_image **out)
{
    int rc = image_alloc(ctx, w, h, 0, out);
    if (rc == LFR_OK) memset((*out)->rgb, 0, image_bytes(*out));
    return rc;
}

int lfr_image_new_locked(lfr_ctx *ctx, int w, int h, lfr_image **out)
{
    return image_alloc(ctx, w, h, 1, out); /* locked blocks come zeroed */
}

int lfr_media_image_like(lfr_ctx *ctx, const lfr_image *src, lfr_image **out)
{
    return src->locked ? lfr_image_new_locked(ctx, src->width, src->height, out)
                       : lfr_image_new(ctx, src->width, src->height, out);
}

void lfr_image_free(lfr_image *img)
{
    if (!img) return;
    if (img->pool)
        lfr_frame_pool_give(img->pool, img->rgb, img->width, img->height);
    else if (img->locked)
        lfr_scratch_free(img->rgb);
    else if (img->rgb)
        lfr_wipe_free(img->rgb, image_bytes(img));
    lfr_free(img);
}

int lfr_image_clone(lfr_ctx *ctx, const lfr_image *src, lfr_image **out)
{
    *out = NULL;
    if (!lfr_media_image_ok(src)) return lfr_fail(ctx, LFR_EINVAL, "image clone: invalid image");
    int rc = lfr_media_image_like(ctx, src, out);
    if (rc) return rc;
    memcpy((*out)->rgb, src->rgb, image_bytes(src));
    return LFR_OK;
}
