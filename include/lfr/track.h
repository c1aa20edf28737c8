/* lfr/track.h - following faces from frame to frame.
 *
 * An IoU tracker with constant-velocity prediction and two-stage
 * association: confident detections are matched to tracks first, then weak
 * ones may only extend tracks that are already there (a face turning away
 * scores lower but is still the same person), and only confident ones start
 * tracks. A track that has been missing may also take a detection whose
 * centre is within a face width of its prediction (after an occlusion), or,
 * given appearances, a confident one further away whose colours match it
 * (the face came back after the person turned away). A track is confirmed
 * after min_hits matches and ends max_missed_ms after its last one.
 *
 * Threads: a tracker belongs to one camera worker.
 */
#ifndef LFR_TRACK_H
#define LFR_TRACK_H

#include "lfr/vision.h"

typedef struct lfr_tracker lfr_tracker;

/* Colour appearance of a head: a hue-saturation histogram (square roots, so
 * the dot product of two is their Bhattacharyya coefficient) over the box
 * enlarged to take in hair and collar. It is not a biometric template; it
 * lets a track survive its face turning away (a back of a head has the same
 * colours) and lives only as long as the track. */
#define LFR_APPEARANCE_DIM 48
void lfr_appearance(const lfr_image *img, const lfr_face *f, float out[LFR_APPEARANCE_DIM]);

typedef struct lfr_tracker_params {
    float high_score;     /* detections at or above match first and may start tracks (0.8) */
    float low_score;      /* weaker ones only extend tracks; below this ignored (0.5) */
    float iou_min;        /* least overlap with the predicted box to match (0.3) */
    int min_hits;         /* matches before a track is confirmed (2) */
    int max_missed_ms;    /* time without a match before a track ends (3000) */
    int max_tracks;       /* live tracks at most (256) */
    float appearance_min; /* colour similarity to re-join a lost track (0.85) */
    float rejoin_widths;  /* ... within this many face widths of it, and as many again
                             for each second it was lost (3) */
} lfr_tracker_params;

lfr_tracker_params lfr_tracker_default_params(void);

typedef struct lfr_track {
    int id;               /* unique per tracker, from 1 */
    float x1, y1, x2, y2; /* last matched (or predicted, while missed) box */
    int hits, missed;
    int confirmed;
    int det_index; /* detection matched in this update, or -1 */
    int rejoined;  /* matched in this update after being lost for more than 2
                      frames (by position or appearance): possibly someone
                      else, so look at the face afresh */
} lfr_track;

int lfr_tracker_new(lfr_ctx *ctx, const lfr_tracker_params *p, lfr_tracker **out);
void lfr_tracker_free(lfr_tracker *t);

/* Feeds one frame's detections, with their appearance (n_dets x
 * LFR_APPEARANCE_DIM floats, or NULL to track by position alone), and the
 * frame's time in milliseconds: motion is predicted over the time between
 * frames, so frames dropped under load do not split tracks. Afterwards
 * lfr_tracker_tracks lists the live
 * tracks (with det_index set for those matched now) and lfr_tracker_ended
 * the ids of tracks that ended in this update. Both are borrowed until the
 * next update. */
int lfr_tracker_update(lfr_ctx *ctx, lfr_tracker *t, int64_t t_ms, const lfr_face *dets, int n_dets,
                       const float *appearance);
const lfr_track *lfr_tracker_tracks(const lfr_tracker *t, int *n);
const int *lfr_tracker_ended(const lfr_tracker *t, int *n);
/* Ends every track (end of stream): they appear in lfr_tracker_ended. */
void lfr_tracker_finish(lfr_tracker *t);
/* Tracks started so far. */
int lfr_tracker_started(const lfr_tracker *t);

#endif
