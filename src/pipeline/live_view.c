/* pipeline/live_view.c - the picture an operator watches (issue 15): the
 * camera frame scaled down, every face that matches nobody pixelated
 * before the picture exists anywhere else, the faces of people alerted on
 * outlined. Passers-by stay unidentifiable in it (collateral intrusion),
 * and it is made only while someone watches. Also a camera's preview
 * before authorisation: one picture, every face in it blurred. */
#include "internal.h"

#include <math.h>
#include <string.h>

#define VIEW_MAX_WIDTH 640
#define VIEW_JPEG_QUALITY 70
#define BLUR_MARGIN 0.2f /* of the box, each side: hair, ears and chin too */
#define BLUR_BLOCKS 5    /* across the widened box: no feature survives */

static const uint8_t OUTLINE_ALERT[3] = {255, 176, 0}; /* amber: look here */
static const uint8_t OUTLINE_OTHER[3] = {160, 160, 160};

typedef struct rect {
    int x1, y1, x2, y2; /* half-open, inside the image */
} rect;

static rect clip_box(const lfr_image *img, const float b[4], float margin)
{
    float mx = (b[2] - b[0]) * margin, my = (b[3] - b[1]) * margin;
    rect r = {(int)floorf(b[0] - mx), (int)floorf(b[1] - my), (int)ceilf(b[2] + mx),
              (int)ceilf(b[3] + my)};
    if (r.x1 < 0) r.x1 = 0;
    if (r.y1 < 0) r.y1 = 0;
    if (r.x2 > img->width) r.x2 = img->width;
    if (r.y2 > img->height) r.y2 = img->height;
    return r;
}

static float iou(const float a[4], const float b[4])
{
    lfr_face fa = {.x1 = a[0], .y1 = a[1], .x2 = a[2], .y2 = a[3]};
    lfr_face fb = {.x1 = b[0], .y1 = b[1], .x2 = b[2], .y2 = b[3]};
    return lfr_face_iou(&fa, &fb);
}

static int inside_any(const rect *keep, int n_keep, int x, int y)
{
    for (int i = 0; i < n_keep; i++)
        if (x >= keep[i].x1 && x < keep[i].x2 && y >= keep[i].y1 && y < keep[i].y2) return 1;
    return 0;
}

/* Each block of the rectangle becomes its mean colour, but for the pixels
 * of the faces to keep (an alerted face inside a larger false box). */
static void pixelate(lfr_image *img, rect r, const rect *keep, int n_keep)
{
    int w = r.x2 - r.x1, h = r.y2 - r.y1;
    if (w <= 0 || h <= 0) return;
    int side = (w > h ? w : h) / BLUR_BLOCKS;
    if (side < 2) side = 2;
    for (int by = r.y1; by < r.y2; by += side) {
        for (int bx = r.x1; bx < r.x2; bx += side) {
            int ex = bx + side < r.x2 ? bx + side : r.x2, ey = by + side < r.y2 ? by + side : r.y2;
            unsigned sum[3] = {0, 0, 0}, n = 0;
            for (int y = by; y < ey; y++)
                for (int x = bx; x < ex; x++, n++)
                    for (int k = 0; k < 3; k++)
                        sum[k] += img->rgb[((size_t)y * img->width + x) * 3 + k];
            for (int y = by; y < ey; y++)
                for (int x = bx; x < ex; x++)
                    if (!inside_any(keep, n_keep, x, y))
                        for (int k = 0; k < 3; k++)
                            img->rgb[((size_t)y * img->width + x) * 3 + k] = (uint8_t)(sum[k] / n);
        }
    }
}

static void outline(lfr_image *img, rect r, int thick, const uint8_t rgb[3], const rect *keep,
                    int n_keep)
{
    for (int y = r.y1; y < r.y2; y++) {
        for (int x = r.x1; x < r.x2; x++) {
            int edge =
                x < r.x1 + thick || x >= r.x2 - thick || y < r.y1 + thick || y >= r.y2 - thick;
            if (edge && !inside_any(keep, n_keep, x, y))
                memcpy(img->rgb + ((size_t)y * img->width + x) * 3, rgb, 3);
        }
    }
}

int live_view_make(lfr_ctx *ctx, const lfr_image *frame, const live_face *faces, int n,
                   live_view *out)
{
    memset(out, 0, sizeof *out);
    int w = frame->width, h = frame->height;
    if (w > VIEW_MAX_WIDTH) {
        h = (int)lroundf((float)h * VIEW_MAX_WIDTH / (float)w);
        w = VIEW_MAX_WIDTH;
    }
    float k = (float)w / (float)frame->width;
    lfr_image *view = NULL;
    int rc = lfr_image_resize(ctx, frame, w, h < 1 ? 1 : h, &view);
    if (rc) return rc;
    out->boxes = lfr_calloc((size_t)(n ? n : 1), sizeof *out->boxes);
    out->alerted = lfr_calloc((size_t)(n ? n : 1), sizeof *out->alerted);
    if (!out->boxes || !out->alerted) {
        lfr_image_free(view);
        live_view_free(out);
        return lfr_fail(ctx, LFR_ENOMEM, "live view: out of memory");
    }
    /* A box lying on an alerted face (a lost track's last place, a second
     * detection of the same head) is that face: the operator must see it. */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 4; j++)
            out->boxes[i][j] = faces[i].box[j] * k;
        out->alerted[i] = faces[i].alerted;
        for (int j = 0; j < n && !out->alerted[i]; j++)
            out->alerted[i] = faces[j].alerted && iou(faces[i].box, faces[j].box) >= 0.3f;
    }
    /* Every other face is blurred before anything is drawn, so no outline
     * can hide a part of one that was left sharp; never over an alerted
     * face, which a false box around a whole body may hold. */
    rect *keep = lfr_calloc((size_t)(n ? n : 1), sizeof *keep);
    if (!keep) {
        lfr_image_free(view);
        live_view_free(out);
        return lfr_fail(ctx, LFR_ENOMEM, "live view: out of memory");
    }
    int n_keep = 0;
    for (int i = 0; i < n; i++)
        if (out->alerted[i]) keep[n_keep++] = clip_box(view, out->boxes[i], 0);
    for (int i = 0; i < n; i++)
        if (!out->alerted[i])
            pixelate(view, clip_box(view, out->boxes[i], BLUR_MARGIN), keep, n_keep);
    for (int i = 0; i < n; i++)
        if (!out->alerted[i])
            outline(view, clip_box(view, out->boxes[i], BLUR_MARGIN), 1, OUTLINE_OTHER, keep,
                    n_keep);
    /* The alerted faces' own outlines sit just outside them. */
    for (int i = 0; i < n; i++)
        if (out->alerted[i])
            outline(view, clip_box(view, out->boxes[i], 0.1f), 3, OUTLINE_ALERT, keep, n_keep);
    lfr_free(keep);
    out->n = n;
    out->width = view->width;
    out->height = view->height;
    rc = lfr_image_encode(ctx, view, LFR_IMAGE_JPEG, VIEW_JPEG_QUALITY, &out->jpeg, &out->len);
    lfr_image_free(view); /* wiped */
    if (rc) live_view_free(out);
    return rc;
}

void live_view_free(live_view *v)
{
    if (v->jpeg) lfr_wipe_free(v->jpeg, v->len);
    lfr_free(v->boxes);
    lfr_free(v->alerted);
    memset(v, 0, sizeof *v);
}

int lfr_camera_preview(lfr_ctx *ctx, const lfr_engine *engine, const char *url, int timeout_ms,
                       lfr_camera_picture *out)
{
    memset(out, 0, sizeof *out);
    lfr_video_params vp = lfr_video_default_params();
    vp.open_timeout_ms = timeout_ms;
    vp.max_reconnects = 1;
    lfr_video *v = NULL;
    int rc = lfr_video_open(ctx, url, &vp, &v);
    if (rc) return rc;
    lfr_image *frame = NULL;
    lfr_frame_info info;
    /* A live source may need a moment after opening before a frame. */
    int64_t until = lfr_now_us() + (int64_t)timeout_ms * 1000;
    while (!frame && rc == LFR_OK && lfr_now_us() < until)
        rc = lfr_video_next(ctx, v, 200, &frame, &info);
    if (rc == LFR_EEND || (rc == LFR_OK && !frame))
        rc = lfr_fail(ctx, LFR_EIO, "%s: no picture within %d ms", url, timeout_ms);
    lfr_face *faces = NULL;
    int n = 0;
    if (rc == LFR_OK) {
        /* The live pipeline's scale and its weaker detections too: any
         * face it could see is blurred. */
        lfr_pipeline_params pp = lfr_pipeline_default_params();
        int in_w, in_h;
        lfr_pipeline_detect_size(&pp, frame->width, frame->height, &in_w, &in_h);
        rc = lfr_engine_detect_at(ctx, engine, frame, in_w, in_h, pp.tracker.low_score, &faces, &n);
    }
    live_face *lf = NULL;
    if (rc == LFR_OK && !(lf = lfr_calloc((size_t)(n ? n : 1), sizeof *lf)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "preview: out of memory");
    for (int i = 0; rc == LFR_OK && i < n; i++)
        lf[i] = (live_face){{faces[i].x1, faces[i].y1, faces[i].x2, faces[i].y2}, 0};
    live_view view;
    if (rc == LFR_OK && (rc = live_view_make(ctx, frame, lf, n, &view)) == LFR_OK) {
        out->jpeg = view.jpeg;
        out->jpeg_len = view.len;
        out->width = frame->width;
        out->height = frame->height;
        out->faces = n;
        view.jpeg = NULL;
        live_view_free(&view);
    }
    if (faces) lfr_wipe_free(faces, (size_t)n * sizeof *faces);
    lfr_free(lf);
    lfr_image_free(frame);
    lfr_video_free(v);
    return rc;
}

void lfr_camera_picture_free(lfr_camera_picture *p)
{
    if (p->jpeg) lfr_wipe_free(p->jpeg, p->jpeg_len);
    memset(p, 0, sizeof *p);
}
