/* vision/quality.c - how usable a face is for recognition: size, pose,
 * sharpness, exposure.
 *
 * Pose comes from the 5 points with a simple head model: the nose tip stands
 * out of the eye plane by about 0.55 inter-eye distances, so turning the head
 * by an angle moves it sideways (or up) by depth * sin against the eye
 * spacing foreshortened by cos; inverting that gives the angle.
 */
#include "internal.h"

#include <math.h>

#define RAD2DEG 57.29577951f
#define NOSE_DEPTH 0.55f       /* nose tip depth / inter-eye distance */
#define NOSE_REST_RATIO 0.495f /* nose between eye line and mouth line, frontal face */

void quality_measure(lfr_face *face, const float *grey64)
{
    lfr_face_quality *q = &face->quality;
    const float(*p)[2] = (const float(*)[2])face->points;
    float ex = p[1][0] - p[0][0], ey = p[1][1] - p[0][1];
    float eye = sqrtf(ex * ex + ey * ey);
    q->box_px = face->x2 - face->x1;
    q->eye_distance_px = eye;
    q->roll_deg = atan2f(ey, ex) * RAD2DEG;
    if (eye > 1e-3f) {
        /* Express nose and mouth in the eye line's frame to remove roll. */
        float ux = ex / eye, uy = ey / eye;
        float mx = (p[0][0] + p[1][0]) / 2, my = (p[0][1] + p[1][1]) / 2;
        float nx = p[2][0] - mx, ny = p[2][1] - my;
        float nose_along = nx * ux + ny * uy, nose_down = -nx * uy + ny * ux;
        float mmx = (p[3][0] + p[4][0]) / 2 - mx, mmy = (p[3][1] + p[4][1]) / 2 - my;
        float mouth_down = -mmx * uy + mmy * ux;
        q->yaw_deg = atanf(nose_along / eye / NOSE_DEPTH) * RAD2DEG;
        if (mouth_down > 1e-3f) {
            float ratio = nose_down / mouth_down;
            q->pitch_deg =
                atanf((NOSE_REST_RATIO - ratio) * mouth_down / (NOSE_DEPTH * eye)) * RAD2DEG;
        }
    }
    if (!grey64) return;
    /* Sharpness: variance of the 4-neighbour Laplacian; exposure: the middle
     * half of the crop, which is mostly face rather than background. */
    double sum = 0, sum2 = 0, bright = 0;
    int n = 0, nb = 0, clipped = 0;
    for (int y = 1; y < 63; y++) {
        for (int x = 1; x < 63; x++) {
            const float *c = grey64 + y * 64 + x;
            float lap = c[-1] + c[1] + c[-64] + c[64] - 4 * c[0];
            sum += lap;
            sum2 += lap * lap;
            n++;
            if (x >= 16 && x < 48 && y >= 16 && y < 48) {
                bright += c[0];
                nb++;
                if (c[0] <= 5.0f || c[0] >= 250.0f) clipped++;
            }
        }
    }
    double mean = sum / n;
    q->sharpness = (float)(sum2 / n - mean * mean);
    q->brightness = (float)(bright / nb);
    q->clipped = (float)clipped / (float)nb;
}
