/* eval/plot_svg.c - DET curves and score histograms as an SVG a person can
 * read: log axes with labelled decades, the operating points marked. */
#include "lfr/eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 1000
#define H 460
/* DET panel */
#define DX0 80
#define DX1 520
#define DY0 50
#define DY1 390
#define X_DECADES 7    /* 1e-7 .. 1 */
#define Y_MIN_EXP (-4) /* 1e-4 .. 1 */
/* histogram panel */
#define HX0 600
#define HX1 960

static double det_x(double rate)
{
    double l = log10(rate < 1e-7 ? 1e-7 : rate);
    return DX0 + (l + X_DECADES) / X_DECADES * (DX1 - DX0);
}

static double det_y(double rate)
{
    double l = log10(rate < 1e-4 ? 1e-4 : rate);
    return DY1 - (l - Y_MIN_EXP) / (-Y_MIN_EXP) * (DY1 - DY0);
}

static void axes(FILE *f)
{
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='#fff' stroke='#333'/>\n", DX0, DY0,
            DX1 - DX0, DY1 - DY0);
    for (int e = -X_DECADES; e <= 0; e++) {
        double x = det_x(pow(10, e));
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>\n", x, DY0, x, DY1);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>1e%d</text>\n", x, DY1 + 18, e);
    }
    for (int e = Y_MIN_EXP; e <= 0; e++) {
        double y = det_y(pow(10, e));
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", DX0, y, DX1, y);
        fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%g%%</text>\n", DX0 - 6, y + 4,
                100 * pow(10, e));
    }
    fprintf(f,
            "<text x='%d' y='%d' text-anchor='middle'>false match rate (FMR) / false positive "
            "identification rate (FPIR)</text>\n",
            (DX0 + DX1) / 2, DY1 + 40);
    fprintf(f,
            "<text x='20' y='%d' text-anchor='middle' transform='rotate(-90 20 %d)'>false "
            "non-match rate (FNMR) / FNIR</text>\n",
            (DY0 + DY1) / 2, (DY0 + DY1) / 2);
}

static void polyline(FILE *f, const double *x, const double *y, int n, const char *colour)
{
    fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2.5' points='", colour);
    for (int i = 0; i < n; i++)
        fprintf(f, "%.1f,%.1f ", det_x(x[i]), det_y(y[i]));
    fprintf(f, "'/>\n");
}

static int float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* FNIR against FPIR from the probes: each distinct non-mated count is a
 * point. */
static int identify_curve(const lfr_identify_result *id, double *x, double *y, int max)
{
    int n_nm = 0, n_m = 0;
    for (int p = 0; p < id->n_probes; p++) {
        if (id->probe_mated[p])
            n_m++;
        else
            n_nm++;
    }
    float *nm = malloc((size_t)(n_nm ? n_nm : 1) * sizeof(float));
    float *m = malloc((size_t)(n_m ? n_m : 1) * sizeof(float));
    if (!nm || !m) {
        free(nm);
        free(m);
        return -1;
    }
    int a = 0, b = 0;
    for (int p = 0; p < id->n_probes; p++) {
        if (id->probe_mated[p])
            m[a++] = id->probe_score[p];
        else
            nm[b++] = id->probe_score[p];
    }
    qsort(nm, (size_t)n_nm, sizeof *nm, float_desc);
    int n = 0;
    for (int k = 1; k <= n_nm && n < max; k = k < 10 ? k + 1 : (int)(k * 1.25)) {
        double t = nextafterf(nm[k - 1], INFINITY);
        long fn = 0;
        for (int i = 0; i < n_m; i++)
            fn += !(m[i] >= t);
        x[n] = (double)(k - 1 > 0 ? k - 1 : 0.5) / n_nm;
        y[n++] = n_m ? (double)fn / n_m : 0;
    }
    free(nm);
    free(m);
    return n;
}

/* Two score histograms (200 bins over [-1, 1]) drawn as shares. */
static void histograms(FILE *f, const long *hist_a, long n_a, const char *label_a,
                       const long *hist_b, long n_b, const char *label_b)
{
    /* Scores from -0.4 to 1.0: bins 60..199 of the 200 over [-1, 1]. */
    const int b0 = 60, b1 = 200;
    double max_g = 0, max_i = 0;
    for (int b = b0; b < b1; b++) {
        double g = n_a ? (double)hist_a[b] / n_a : 0;
        double i = n_b ? (double)hist_b[b] / n_b : 0;
        if (g > max_g) max_g = g;
        if (i > max_i) max_i = i;
    }
    double top = max_g > max_i ? max_g : max_i;
    if (top <= 0) top = 1;
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='#fff' stroke='#333'/>\n", HX0, DY0,
            HX1 - HX0, DY1 - DY0);
    double bw = (double)(HX1 - HX0) / (b1 - b0);
    const char *colours[2] = {"#1f77b4", "#ff7f0e"};
    for (int which = 0; which < 2; which++) {
        fprintf(f, "<polyline fill='%s' fill-opacity='0.35' stroke='%s' points='%d,%d ",
                colours[which], colours[which], HX0, DY1);
        for (int b = b0; b < b1; b++) {
            double v = which == 0 ? (n_a ? (double)hist_a[b] / n_a : 0)
                                  : (n_b ? (double)hist_b[b] / n_b : 0);
            double y = DY1 - v / top * (DY1 - DY0 - 10);
            fprintf(f, "%.1f,%.1f %.1f,%.1f ", HX0 + (b - b0) * bw, y, HX0 + (b - b0 + 1) * bw, y);
        }
        fprintf(f, "%d,%d'/>\n", HX1, DY1);
    }
    for (int t = -4; t <= 10; t += 2) {
        double x = HX0 + ((t / 10.0 + 1) * 100 - b0) * bw;
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%.1f</text>\n", x, DY1 + 18,
                t / 10.0);
    }
    fprintf(f,
            "<text x='%d' y='%d' text-anchor='middle'>cosine similarity (share of pairs per "
            "0.01)</text>\n",
            (HX0 + HX1) / 2, DY1 + 40);
    fprintf(f, "<text x='%d' y='%d' fill='%s'>%s (%ld)</text>\n", HX0 + 10, DY0 + 20, colours[0],
            label_a, n_a);
    fprintf(f, "<text x='%d' y='%d' fill='%s'>%s (%ld)</text>\n", HX0 + 10, DY0 + 40, colours[1],
            label_b, n_b);
}

int lfr_plot_svg(lfr_ctx *ctx, const char *path, const char *title, const lfr_fmr_result *fmr,
                 const lfr_identify_result *id)
{
    FILE *f = fopen(path, "w");
    if (!f) return lfr_fail(ctx, LFR_EIO, "%s: %s", path, strerror(errno));
    fprintf(f,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif' font-size='13'>\n<rect width='100%%' height='100%%' "
            "fill='#fafafa'/>\n",
            W, H);
    fprintf(f, "<text x='%d' y='28' font-size='17' font-weight='bold'>", DX0);
    for (const char *c = title; *c; c++) {
        if (*c == '<')
            fputs("&lt;", f);
        else if (*c == '&')
            fputs("&amp;", f);
        else
            fputc(*c, f);
    }
    fprintf(f, "</text>\n");
    axes(f);
    double x[128], y[128];
    int legend = 0;
    if (fmr) {
        int n = 0;
        for (int i = 0; i < fmr->n_det && n < 128; i++)
            if (fmr->det[i].false_matches > 0 || i == 0) {
                x[n] = fmr->det[i].fmr_target;
                y[n++] = fmr->det[i].fnmr;
            }
        polyline(f, x, y, n, "#1f77b4");
        for (int p = 0; p < 5; p++) {
            const lfr_fmr_point *pt = &fmr->points[p];
            fprintf(f,
                    "<circle cx='%.1f' cy='%.1f' r='4' fill='#1f77b4'><title>FMR %.0e: threshold "
                    "%.3f, FNMR %.2f%%</title></circle>\n",
                    det_x(pt->fmr_target), det_y(pt->fnmr), pt->fmr_target, pt->threshold,
                    100 * pt->fnmr);
            fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' fill='#1f77b4'>t=%.3f</text>\n",
                    det_x(pt->fmr_target) + 5, det_y(pt->fnmr) - 6, pt->threshold);
        }
        fprintf(f, "<text x='%d' y='%d' fill='#1f77b4'>1:1 verification (FNMR vs FMR)</text>\n",
                DX0 + 10, DY0 + 20 + 18 * legend++);
    }
    if (id) {
        int n = identify_curve(id, x, y, 128);
        if (n < 0) {
            fclose(f);
            return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", path);
        }
        polyline(f, x, y, n, "#d62728");
        fprintf(f,
                "<text x='%d' y='%d' fill='#d62728'>1:N identification, gallery %d (FNIR vs "
                "FPIR)</text>\n",
                DX0 + 10, DY0 + 20 + 18 * legend++, id->n_gallery);
    }
    if (fmr) {
        histograms(f, fmr->hist_genuine, fmr->n_genuine, "same person, pairs", fmr->hist_impostor,
                   fmr->n_impostor, "different people, pairs");
    } else if (id) {
        /* The top score of each search: mated (when the mate is first) and
         * non-mated. */
        long hm[200] = {0}, hn[200] = {0}, nm = 0, nn = 0;
        for (int p = 0; p < id->n_probes; p++) {
            float sc = id->probe_score[p];
            if (!(sc >= -1.0f)) continue;
            int b = (int)((sc + 1.0f) * 100.0f);
            if (b > 199) b = 199;
            if (id->probe_mated[p])
                hm[b]++, nm++;
            else
                hn[b]++, nn++;
        }
        histograms(f, hm, nm, "mated searches, mate first", hn, nn,
                   "non-mated searches, top score");
    }
    fprintf(f, "</svg>\n");
    if (fclose(f)) return lfr_fail(ctx, LFR_EIO, "%s: write failed", path);
    return LFR_OK;
}
