/* lfr/media.h - images: decode, encode, resize, flip and warp.
 *
 * An lfr_image is always 8-bit RGB, interleaved, rows packed (stride = 3 *
 * width). Grey and palette inputs are expanded to RGB at decode, so every
 * later stage sees one layout. Pixels are wiped when an image is freed: an
 * image may hold a face (REQUIREMENTS PRI-1).
 */
#ifndef LFR_MEDIA_H
#define LFR_MEDIA_H

#include "lfr/base.h"

typedef struct lfr_image {
    int width;
    int height;
    uint8_t *rgb;                /* owned: width * height * 3 bytes */
    int locked;                  /* rgb is locked scratch (lfr_image_new_locked) */
    struct lfr_frame_pool *pool; /* a video frame's: rgb goes back to its source's pool */
} lfr_image;

/* Limits applied before any pixel memory is allocated. */
typedef struct lfr_decode_params {
    size_t max_file_bytes; /* refuse larger files (default 64 MiB) */
    int64_t max_pixels;    /* refuse width*height above this (default 40 Mpx) */
    int max_side_px;       /* refuse a side above this (default 16384) */
} lfr_decode_params;

lfr_decode_params lfr_decode_default_params(void);

typedef enum { LFR_IMAGE_JPEG, LFR_IMAGE_PNG, LFR_IMAGE_PNM } lfr_image_format;

/* New image of w x h, pixels zeroed. LFR_EINVAL for w or h < 1. */
int lfr_image_new(lfr_ctx *ctx, int w, int h, lfr_image **out);
/* The same with its pixels in locked scratch memory (lfr_scratch_alloc:
 * the thread's per-frame arena, else the locked pool): for face crops,
 * never for frames. */
int lfr_image_new_locked(lfr_ctx *ctx, int w, int h, lfr_image **out);
/* Wipes and frees the pixels and the image. NULL is a no-op. */
void lfr_image_free(lfr_image *img);
/* Deep copy. */
int lfr_image_clone(lfr_ctx *ctx, const lfr_image *src, lfr_image **out);

/* Decodes JPEG, PNG, PGM or PPM (binary P5/P6 and ASCII P2/P3) from memory,
 * recognised by content, not name. p may be NULL for the defaults. Errors:
 * LFR_EFORMAT (not an image, corrupt, truncated), LFR_ELIMIT (over p's
 * limits), LFR_ENOMEM. *out is NULL on failure. */
int lfr_image_decode(lfr_ctx *ctx, const uint8_t *data, size_t len, const lfr_decode_params *p,
                     lfr_image **out);
/* Reads and decodes a file; messages start with the path. LFR_ENOENT and
 * LFR_EIO for file problems, then as lfr_image_decode. */
int lfr_image_load(lfr_ctx *ctx, const char *path, const lfr_decode_params *p, lfr_image **out);

/* Encodes to JPEG (quality 1-100), PNG (quality ignored) or binary PPM.
 * *out is owned by the caller (lfr_free; wipe first if it holds a face). */
int lfr_image_encode(lfr_ctx *ctx, const lfr_image *img, lfr_image_format fmt, int quality,
                     uint8_t **out, size_t *out_len);
int lfr_image_save(lfr_ctx *ctx, const lfr_image *img, const char *path, int quality);

/* Bilinear resize to w x h (a new image). */
int lfr_image_resize(lfr_ctx *ctx, const lfr_image *src, int w, int h, lfr_image **out);
/* Mirror image (left-right), a new image. */
int lfr_image_flip(lfr_ctx *ctx, const lfr_image *src, lfr_image **out);

/* A 2x3 affine map [a b c; d e f]: x' = a x + b y + c, y' = d x + e y + f. */
typedef struct lfr_affine {
    double m[6];
} lfr_affine;

/* Fills dst (already sized) by bilinear sampling of src at inv(dst_from_src)
 * of each dst pixel; samples outside src are black. LFR_EINVAL if the map is
 * singular. */
int lfr_image_warp(lfr_ctx *ctx, const lfr_image *src, const lfr_affine *dst_from_src,
                   lfr_image *dst);

/* Inverse of an affine map; returns 0 if singular. */
int lfr_affine_invert(const lfr_affine *a, lfr_affine *inv);

/* Samples the three channels of one pixel with bilinear interpolation and a
 * black border, at real coordinates (pixel centres at integer positions);
 * the taps and weights are worked out once for the three. */
static inline void lfr_image_sample(const lfr_image *img, float x, float y, float out[3])
{
    int x0 = (int)(x >= 0 ? x : x - 1.0f), y0 = (int)(y >= 0 ? y : y - 1.0f);
    float fx = x - (float)x0, fy = y - (float)y0;
    out[0] = out[1] = out[2] = 0.0f;
    for (int dy = 0; dy <= 1; dy++) {
        int yy = y0 + dy;
        if (yy < 0 || yy >= img->height) continue;
        float wy = dy ? fy : 1.0f - fy;
        for (int dx = 0; dx <= 1; dx++) {
            int xx = x0 + dx;
            if (xx < 0 || xx >= img->width) continue;
            float w = (dx ? fx : 1.0f - fx) * wy;
            const uint8_t *p = img->rgb + ((size_t)yy * (size_t)img->width + (size_t)xx) * 3;
            out[0] += w * p[0];
            out[1] += w * p[1];
            out[2] += w * p[2];
        }
    }
}

/* Video sources: files, RTSP/HTTP streams, V4L2 webcams (/dev/videoN) and
 * folders of images, decoded by FFmpeg on a thread of their own.
 *
 * Live sources (streams, webcams) always hand over the newest frame: when
 * the consumer falls behind, older frames are dropped (and counted), never
 * queued. A dropped live stream is reopened with growing back-off. Files and
 * folders hand over every frame in order unless `realtime` is set, in which
 * case they are paced at their frame rate and behave like a live source. */
typedef struct lfr_video lfr_video;

typedef enum {
    LFR_CAM_CONNECTING,
    LFR_CAM_RUNNING,
    LFR_CAM_RECONNECTING,
    LFR_CAM_ENDED, /* a file or folder reached its end */
    LFR_CAM_FAILED /* could not be opened or decoded; see the message */
} lfr_camera_state;

typedef struct lfr_video_params {
    int live;             /* 1 live, 0 file, -1 decide from the URL (default) */
    int realtime;         /* pace files at their frame rate, dropping when behind (0) */
    int open_timeout_ms;  /* for opening and for each read on a network (5000) */
    int reconnect_min_ms; /* first back-off after a live source drops (250) */
    int reconnect_max_ms; /* back-off ceiling (8000) */
    int max_reconnects;   /* give up after this many in a row; 0 = never (0) */
    int64_t max_pixels;   /* refuse larger frames (default 8.3 Mpx = 3840x2160) */
    int plays;            /* a file is played this many times over, for benchmarks (1) */
} lfr_video_params;

lfr_video_params lfr_video_default_params(void);

typedef struct lfr_frame_info {
    int64_t index;       /* frames decoded from this source before this one */
    int64_t pts_ms;      /* presentation time in the source, ms (-1 unknown) */
    int64_t captured_us; /* lfr_now_us() when decoded: for latency */
} lfr_frame_info;

typedef struct lfr_video_stats {
    int64_t decoded, delivered, dropped, decode_errors, reconnects;
    double fps; /* the source's nominal frame rate, 0 if unknown */
} lfr_video_stats;

/* 1 if a URL names a live source (a stream, a camera device) rather than
 * a file or a folder of images. */
int lfr_video_url_is_live(const char *url);

/* Opens a source and starts its decode thread. Errors opening a file or
 * folder are returned here (LFR_ENOENT, LFR_EFORMAT); a live source that
 * cannot be reached yet is retried in the background. */
int lfr_video_open(lfr_ctx *ctx, const char *url, const lfr_video_params *p, lfr_video **out);
/* Waits up to timeout_ms for the next frame. LFR_OK with *frame (owned;
 * lfr_image_free wipes it) or with *frame NULL on time-out; LFR_EEND after
 * the last frame of a file; LFR_EFORMAT or LFR_EIO when the source failed
 * (the message says why). */
int lfr_video_next(lfr_ctx *ctx, lfr_video *v, int timeout_ms, lfr_image **frame,
                   lfr_frame_info *info);
/* State now, and the last error message (copied into msg). Thread-safe. */
lfr_camera_state lfr_video_state(lfr_video *v, char *msg, size_t msg_len);
const char *lfr_camera_state_name(lfr_camera_state s);
/* 1 when a newer frame is already waiting and the source drops frames (a
 * live source, or a file played in real time): the consumer is behind, and
 * what it does before its next lfr_video_next costs a frame. Always 0 for
 * a file read at full speed, which waits for its consumer. Thread-safe. */
int lfr_video_behind(lfr_video *v);
/* When the next frame is expected (lfr_now_us's clock): the last frame's
 * arrival plus one frame interval at the source's rate (25 fps if
 * unknown). 0 for a file read at full speed, which has no such time.
 * Thread-safe. */
int64_t lfr_video_next_due_us(lfr_video *v);
void lfr_video_stats_get(lfr_video *v, lfr_video_stats *out);
/* Stops the decode thread and frees; pending frames are wiped. */
void lfr_video_free(lfr_video *v);

#endif
