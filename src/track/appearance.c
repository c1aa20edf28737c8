/* track/appearance.c - a head's colours, for re-joining a lost track. */
#include "lfr/track.h"

#include <math.h>
#include <string.h>

#define HUE_BINS 8
#define SAT_BINS 6
#define GRID 20 /* samples per side: enough for a histogram, cheap per face */

void lfr_appearance(const lfr_image *img, const lfr_face *f, float out[LFR_APPEARANCE_DIM])
{
    memset(out, 0, LFR_APPEARANCE_DIM * sizeof(float));
    float w = f->x2 - f->x1, h = f->y2 - f->y1;
    float cx = (f->x1 + f->x2) / 2, cy = (f->y1 + f->y2) / 2;
    /* 1.6 x the box: the face with hair and a little collar. */
    float bw = 1.6f * w, bh = 1.6f * h;
    int n = 0;
    for (int gy = 0; gy < GRID; gy++) {
        int y = (int)(cy - bh / 2 + (gy + 0.5f) * bh / GRID);
        if (y < 0 || y >= img->height) continue;
        for (int gx = 0; gx < GRID; gx++) {
            int x = (int)(cx - bw / 2 + (gx + 0.5f) * bw / GRID);
            if (x < 0 || x >= img->width) continue;
            const uint8_t *p = img->rgb + ((size_t)y * img->width + (size_t)x) * 3;
            float r = p[0] / 255.0f, g = p[1] / 255.0f, b = p[2] / 255.0f;
            float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
            float hue = 0;
            if (d > 1e-6f) {
                if (mx == r)
                    hue = fmodf((g - b) / d + 6.0f, 6.0f);
                else if (mx == g)
                    hue = (b - r) / d + 2.0f;
                else
                    hue = (r - g) / d + 4.0f;
            }
            float sat = mx > 1e-6f ? d / mx : 0;
            /* Greys and near-blacks carry no hue: left out, so a plain
             * background or shadow does not make two heads look alike. */
            if (sat < 0.12f || mx < 0.12f) continue;
            int hb = (int)(hue / 6.0f * HUE_BINS), sb = (int)((sat - 0.12f) / 0.88f * SAT_BINS);
            if (hb >= HUE_BINS) hb = HUE_BINS - 1;
            if (sb >= SAT_BINS) sb = SAT_BINS - 1;
            out[hb * SAT_BINS + sb] += 1.0f;
            n++;
        }
    }
    if (!n) return;
    for (int i = 0; i < LFR_APPEARANCE_DIM; i++)
        out[i] = sqrtf(out[i] / (float)n);
}
