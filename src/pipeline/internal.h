/* pipeline/internal.h - private to the pipeline module. */
#ifndef LFR_PIPELINE_INTERNAL_H
#define LFR_PIPELINE_INTERNAL_H

#include "lfr/pipeline.h"

/* A face in the frame, for the live view: its box in frame pixels, and
 * whether its track raised an alert (outlined) or not (blurred). */
typedef struct live_face {
    float box[4];
    int alerted;
} live_face;

/* The live view of one frame: JPEG and boxes in view pixels, owned. */
typedef struct live_view {
    uint8_t *jpeg;
    size_t len;
    int width, height, n;
    float (*boxes)[4];
    int *alerted;
} live_view;

/* Makes the view (scaled to at most 640 px wide); live_view_free wipes it. */
int live_view_make(lfr_ctx *ctx, const lfr_image *frame, const live_face *faces, int n,
                   live_view *out);
void live_view_free(live_view *v);

#endif
