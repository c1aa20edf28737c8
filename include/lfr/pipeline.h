/* lfr/pipeline.h - live camera pipelines: decode -> detect -> track ->
 * embed the best views -> search the watchlist -> alert.
 *
 * One worker thread per camera (beside its decode thread) shares the engine
 * and the gallery. A track is embedded only when its face is usable (size,
 * pose, sharpness) and better than what was embedded for it before; each
 * template is compared with the gallery and then wiped at once, match or
 * not, so nothing of a passer-by outlives the comparison (REQUIREMENTS
 * PRI-1). A track alerts at most once per identity.
 */
#ifndef LFR_PIPELINE_H
#define LFR_PIPELINE_H

#include "lfr/match.h"
#include "lfr/media.h"
#include "lfr/track.h"
#include "lfr/vision.h"

typedef struct lfr_pipeline lfr_pipeline;

typedef struct lfr_pipeline_params {
    float threshold;        /* alert at cosine >= this (default 0.45) */
    int votes;              /* or: this many views of a track at >= vote_threshold (2) */
    float vote_threshold;   /* (default threshold - 0.05) */
    int detect_long_side_px; /* detector input: frames scaled so the long side is this (960) */
    float min_eye_px;       /* usable view: inter-eye distance at least (16 px) */
    float max_yaw_deg;      /* and |yaw| at most (40) */
    float max_pitch_deg;    /* and |pitch| at most (35) */
    float min_sharpness;    /* and Laplacian variance at least (20) */
    int max_embeds_per_track; /* stop embedding a track after this many views (8) */
    int crop_jpeg_quality;  /* probe crop in the alert (85) */
    lfr_tracker_params tracker;
} lfr_pipeline_params;

lfr_pipeline_params lfr_pipeline_default_params(void);

/* An alert: a possible match for a person to review (REQUIREMENTS PRI-4). */
typedef struct lfr_alert {
    const char *camera;      /* borrowed for the callback's duration */
    int64_t time_unix_ms;    /* wall clock when raised */
    int64_t frame_index, pts_ms;
    int track_id;
    char identity[LFR_ID_MAX];
    float score_cos;
    int votes;               /* views of the track at or above the vote threshold */
    float box[4];            /* x1 y1 x2 y2 in the frame */
    lfr_face_quality quality;
    const uint8_t *crop_jpeg; /* the probe face, JPEG; borrowed for the callback */
    size_t crop_jpeg_len;
    int64_t latency_us;      /* from frame decode to alert */
} lfr_alert;

typedef void (*lfr_alert_fn)(const lfr_alert *alert, void *arg);

typedef struct lfr_pipeline_stats {
    int64_t frames_decoded, frames_processed, frames_dropped;
    int64_t faces_detected, tracks, templates_compared, alerts;
    int64_t latency_p50_us, latency_p95_us, latency_p99_us; /* frame decode -> processed */
    double seconds;
} lfr_pipeline_stats;

/* The pipeline borrows the engine and the gallery: both must outlive it. */
int lfr_pipeline_new(lfr_ctx *ctx, const lfr_engine *engine, lfr_gallery *gallery,
                     const lfr_pipeline_params *p, lfr_alert_fn on_alert, void *arg,
                     lfr_pipeline **out);
/* Adds a camera; sources start when lfr_pipeline_run is called. */
int lfr_pipeline_add_source(lfr_ctx *ctx, lfr_pipeline *p, const char *camera_id,
                            const char *url, const lfr_video_params *vp);
/* Runs every camera until all sources end, fail, or lfr_pipeline_stop.
 * Returns LFR_OK, or the first camera's failure (message in ctx). Alerts
 * are delivered on the camera threads, one at a time. */
int lfr_pipeline_run(lfr_ctx *ctx, lfr_pipeline *p);
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

/* Test hook (PRI-1): called with each template buffer right after it has
 * been wiped, so a test can check every byte is zero. */
typedef void (*lfr_wipe_probe_fn)(const void *buf, size_t len, void *arg);
void lfr_pipeline_set_wipe_probe(lfr_pipeline *p, lfr_wipe_probe_fn fn, void *arg);

#endif
