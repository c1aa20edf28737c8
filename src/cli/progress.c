/* cli/progress.c - how far long work has got: on a terminal a bar redrawn
 * in place with the rate and the time left; otherwise (a log, a pipe, CI)
 * a plain line now and then, so a file of output stays readable. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define TTY_REDRAW_S 0.2 /* a terminal is redrawn at most five times a second */
#define LOG_EVERY_S 15.0 /* a log gets a line this often */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "1h02m", "4m05s", "12s". */
static void format_duration(double s, char *out, size_t len)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, len, "%lds", t);
}

void cli_progress_start(cli_progress *p, const char *cmd, const char *what, const char *unit)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->what = what;
    p->unit = unit;
    p->tty = isatty(STDERR_FILENO);
    p->start_s = p->last_s = now_s();
}

void cli_progress_update(cli_progress *p, long done, long total)
{
    double t = now_s();
    int last = done >= total;
    if (!last && t - p->last_s < (p->tty ? TTY_REDRAW_S : LOG_EVERY_S)) return;
    p->last_s = t;
    double elapsed = t - p->start_s;
    double rate = elapsed > 0 ? done / elapsed : 0;
    double frac = total > 0 ? (double)done / (double)total : 1;
    char took[48], left[48];
    format_duration(elapsed, took, sizeof took);
    format_duration(rate > 0 ? (total - done) / rate : 0, left, sizeof left);
    if (p->tty) {
        char bar[BAR_WIDTH + 1];
        int full = (int)(frac * BAR_WIDTH);
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < full ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        /* \033[K clears what a longer earlier line left behind. */
        fprintf(stderr, "\rlfr %s: %s [%s] %3.0f%% %ld/%ld %.1f %s/s %s %s\033[K", p->cmd, p->what,
                bar, 100 * frac, done, total, rate, p->unit, last ? "in" : "ETA",
                last ? took : left);
        if (last) fputc('\n', stderr);
    } else if (last) {
        fprintf(stderr, "lfr %s: %s: %ld of %ld %s in %s (%.1f a second)\n", p->cmd, p->what, done,
                total, p->unit, took, rate);
    } else {
        fprintf(stderr, "lfr %s: %s: %ld of %ld %s (%.0f%%), %.1f a second, about %s left\n",
                p->cmd, p->what, done, total, p->unit, 100 * frac, rate, left);
    }
    fflush(stderr);
}

void cli_progress_embedded(int done, int total, void *arg)
{
    cli_progress_update(arg, done, total);
}
