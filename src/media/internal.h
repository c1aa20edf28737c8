/* media/internal.h - helpers shared by the media module's files; not API. */
#ifndef LFR_MEDIA_INTERNAL_H
#define LFR_MEDIA_INTERNAL_H

#include "lfr/media.h"

/* Refuses a w x h image over p's limits (LFR_ELIMIT) or with a zero side
 * (LFR_EFORMAT), before any pixel memory is allocated. `what` names the
 * format in the message ("PNG"). */
int lfr_media_check_size(lfr_ctx *ctx, const char *what, int64_t w, int64_t h,
                         const lfr_decode_params *p);

/* A video source's reusable frame blocks (frame_pool.c). The source holds
 * the pool from _new to _close; each frame taken holds it until
 * lfr_image_free gives its block back (wiped). */
typedef struct lfr_frame_pool lfr_frame_pool;
int lfr_frame_pool_new(lfr_frame_pool **out);
void lfr_frame_pool_close(lfr_frame_pool *pool);
/* A frame of w x h whose pixels are not initialised; the block has a spare
 * row after them (lfr_frame_pool_block_bytes) and is 64-byte aligned. */
int lfr_frame_pool_take(lfr_frame_pool *pool, int w, int h, lfr_image **out);
void lfr_frame_pool_give(lfr_frame_pool *pool, uint8_t *block, int w, int h);
size_t lfr_frame_pool_block_bytes(int w, int h);

/* A new zeroed image of src's size, locked when src is (a crop's copies
 * are crops too). */
int lfr_media_image_like(lfr_ctx *ctx, const lfr_image *src, lfr_image **out);

/* Nonzero if img is a well-formed image (sizes >= 1, pixels present). */
int lfr_media_image_ok(const lfr_image *img);

/* Per-format decoders: data is non-empty and starts with the format's
 * magic; p is non-NULL. Same contract as lfr_image_decode. */
int lfr_media_decode_jpeg(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                          lfr_image **out);
int lfr_media_decode_png(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                         lfr_image **out);
int lfr_media_decode_pnm(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                         lfr_image **out);

/* Per-format encoders: img is well formed. Same contract as
 * lfr_image_encode. */
int lfr_media_encode_jpeg(lfr_ctx *ctx, const lfr_image *img, int quality, uint8_t **out,
                          size_t *out_len);
int lfr_media_encode_png(lfr_ctx *ctx, const lfr_image *img, uint8_t **out, size_t *out_len);
int lfr_media_encode_ppm(lfr_ctx *ctx, const lfr_image *img, uint8_t **out, size_t *out_len);

#endif
