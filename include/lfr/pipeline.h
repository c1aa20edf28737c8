/* lfr/pipeline.h - live camera pipelines: decode -> detect -> track ->
 * embed the track's views -> search the watchlist -> alert.
 *
 * One worker thread per camera (beside its decode thread) shares the engine
 * and the gallery. The decision is made on the track, not the frame: usable
 * views of a track (size, pose, sharpness), spaced in time, are embedded and
 * summed into the track's template, weighted by view quality; the
 * normalised sum is searched again after each view and alerts when its best
 * identity reaches the threshold. Averaging views cancels the blur, noise
 * and compression of single frames, which pushes a stranger's scores down
 * and a watchlisted person's up (measured in docs/accuracy.md).
 *
 * Views are embedded most needed first (a face never searched before any
 * track's next view). A camera that drops frames (live, or a file in real
 * time) puts the rest off once its next frame is waiting, rather than drop
 * that frame: they are still wanted on a later frame (views_deferred counts
 * them). A file read at full speed gets every view.
 *
 * Privacy (REQUIREMENTS PRI-1): each view's template is wiped as soon as it
 * is added; the track's sum lives in memory only while the track does and is
 * wiped when it ends, when it is re-joined after a gap (it may be someone
 * else), and when the pipeline stops. Nothing of it is written anywhere.
 *
 * One alert per pass (HIL-3): a track alerts at most once, and an identity
 * alerted on a camera is not alerted there again within repeat_alert_ms, so
 * a passer whose track splits raises one alert.
 */
#ifndef LFR_PIPELINE_H
#define LFR_PIPELINE_H

#include "lfr/match.h"
#include "lfr/media.h"
#include "lfr/track.h"
#include "lfr/vision.h"

typedef struct lfr_pipeline lfr_pipeline;

typedef struct lfr_pipeline_params {
    float threshold;          /* alert when the track's template scores >= this (default 0.45) */
    int detect_native_max_px; /* detector input: a frame whose long side is at most this is
                                 searched at its own size (960) */
    int detect_long_side_px;  /* and a larger one scaled so its long side is this (640) */
    float min_eye_px;         /* usable view: inter-eye distance at least (16 px) */
    float max_yaw_deg;        /* and |yaw| at most (40) */
    float max_pitch_deg;      /* and |pitch| at most (35) */
    float min_sharpness;      /* and Laplacian variance at least (20) */
    int max_embeds_per_track; /* stop embedding a track after this many views (16) */
    int embed_interval_ms;    /* at least this long between two views of a track (160) */
    int repeat_alert_ms;      /* an identity alerted on a camera is not alerted there again
                                 within this much stream time (30000) */
    int crop_jpeg_quality;    /* probe crop in the alert (85) */
    lfr_tracker_params tracker;
} lfr_pipeline_params;

lfr_pipeline_params lfr_pipeline_default_params(void);
/* The detector's input size for a w x h frame under p (at least 16 x 16). */
void lfr_pipeline_detect_size(const lfr_pipeline_params *p, int w, int h, int *in_w, int *in_h);

/* An alert: a possible match for a person to review (REQUIREMENTS PRI-4). */
typedef struct lfr_alert {
    const char *camera;   /* borrowed for the callback's duration */
    int64_t time_unix_ms; /* wall clock when raised */
    int64_t frame_index, pts_ms;
    int track_id;
    char identity[LFR_ID_MAX];
    float score_cos;
    int views;    /* views summed in the track's template when it alerted */
    float box[4]; /* x1 y1 x2 y2 in the frame */
    lfr_face_quality quality;
    const uint8_t *crop_jpeg; /* the probe face, JPEG; borrowed for the callback */
    size_t crop_jpeg_len;
    int64_t latency_us; /* from frame decode to alert */
} lfr_alert;

typedef void (*lfr_alert_fn)(const lfr_alert *alert, void *arg);

typedef struct lfr_pipeline_stats {
    int64_t frames_decoded, frames_processed, frames_dropped;
    int64_t faces_detected, tracks, templates_compared, alerts;
    int64_t views_deferred; /* views wanted, put off to a later frame as the next was waiting */
    int64_t latency_p50_us, latency_p95_us, latency_p99_us; /* frame decode -> processed */
    int64_t latency_sum_us;                                 /* over every frame processed */
    double seconds;
} lfr_pipeline_stats;

/* The pipeline borrows the engine and the gallery: both must outlive it. */
int lfr_pipeline_new(lfr_ctx *ctx, const lfr_engine *engine, lfr_gallery *gallery,
                     const lfr_pipeline_params *p, lfr_alert_fn on_alert, void *arg,
                     lfr_pipeline **out);
/* Adds a camera; sources start when lfr_pipeline_run is called. */
int lfr_pipeline_add_source(lfr_ctx *ctx, lfr_pipeline *p, const char *camera_id, const char *url,
                            const lfr_video_params *vp);
/* Runs every camera until all sources end, fail, or lfr_pipeline_stop.
 * Returns LFR_OK, or the first camera's failure (message in ctx). Alerts
 * are delivered on the camera threads, one at a time. */
int lfr_pipeline_run(lfr_ctx *ctx, lfr_pipeline *p);
/* The same for a thread of its own (a server's or a node's): its failure,
 * if any, into msg. */
int lfr_pipeline_run_alone(lfr_pipeline *p, char *msg, size_t len);
/* Changes the threshold of a running pipeline: the next view compared uses
 * it (a live deployment's threshold changed by its authorising officer).
 * Safe from any thread. LFR_EINVAL outside [-1, 1]. */
int lfr_pipeline_set_threshold(lfr_ctx *ctx, lfr_pipeline *p, float threshold);
float lfr_pipeline_threshold(lfr_pipeline *p);
/* Asks a running pipeline to stop; safe from any thread or a signal. */
void lfr_pipeline_stop(lfr_pipeline *p);
void lfr_pipeline_stats_get(lfr_pipeline *p, lfr_pipeline_stats *out);
/* One camera's counts (frames decoded, processed and dropped, faces
 * detected, tracks, templates compared, alerts), while running or after;
 * LFR_ENOENT for an unknown camera. Latencies are pipeline-wide only. */
int lfr_pipeline_camera_stats(lfr_pipeline *p, const char *camera_id, lfr_pipeline_stats *out);
void lfr_pipeline_free(lfr_pipeline *p);

/* Called on the camera's thread whenever a source changes state
 * (connecting, running, reconnecting, ended, failed), with its message. */
typedef void (*lfr_camera_fn)(const char *camera, lfr_camera_state state, const char *msg,
                              void *arg);
void lfr_pipeline_set_camera_callback(lfr_pipeline *p, lfr_camera_fn fn, void *arg);

/* The live view (issue 15): a camera's picture for the operator's monitor,
 * made at most max_fps times a second and only while wanted(camera) says
 * someone watches; scaled to at most 640 px wide, every face that matches
 * nobody pixelated before the picture exists, the face of a person alerted
 * on outlined. Everything in it is borrowed for the callback and wiped
 * after it: nothing of the picture outlives the frame. */
typedef struct lfr_live_frame {
    const char *camera;
    int64_t frame_index;
    int width, height; /* of the view */
    const uint8_t *jpeg;
    size_t jpeg_len;
    int n_faces; /* their boxes in view pixels (x1, y1, x2, y2) */
    const float (*boxes)[4];
    const int *alerted; /* 1: outlined, an alert's person; 0: blurred */
} lfr_live_frame;
typedef int (*lfr_live_wanted_fn)(const char *camera, void *arg);
typedef void (*lfr_live_fn)(const lfr_live_frame *frame, void *arg);
void lfr_pipeline_set_live_callback(lfr_pipeline *p, lfr_live_wanted_fn wanted, lfr_live_fn fn,
                                    void *arg, int max_fps);

/* A camera's preview before authorisation (issue 15): one picture from
 * url (waiting up to timeout_ms), every face in it blurred, for whoever
 * checks the camera points where it should. Nothing is searched. The
 * picture (owned, at most 640 px wide) is freed, wiped, by
 * lfr_camera_picture_free. */
typedef struct lfr_camera_picture {
    uint8_t *jpeg;
    size_t jpeg_len;
    int width, height; /* of the source */
    int faces;         /* blurred */
} lfr_camera_picture;
int lfr_camera_preview(lfr_ctx *ctx, const lfr_engine *engine, const char *url, int timeout_ms,
                       lfr_camera_picture *out);
void lfr_camera_picture_free(lfr_camera_picture *p);

/* Test hook (PRI-1): called with each template buffer right after it has
 * been wiped, so a test can check every byte is zero. */
typedef void (*lfr_wipe_probe_fn)(const void *buf, size_t len, void *arg);
void lfr_pipeline_set_wipe_probe(lfr_pipeline *p, lfr_wipe_probe_fn fn, void *arg);

#endif
