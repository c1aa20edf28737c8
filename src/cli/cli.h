/* cli/cli.h - private to the lfr command: the command table and helpers
 * shared by the cmd_*.c files. */
#ifndef LFR_CLI_H
#define LFR_CLI_H

#include "lfr/base.h"
#include "lfr/match.h"
#include "lfr/pipeline.h"
#include "lfr/vision.h"

#include <jansson.h>

/* Exit codes (STYLE.md section 8). */
enum {
    EXIT_OK = 0,
    EXIT_NO = 1, /* ran; the answer is no */
    EXIT_USAGE = 2,
    EXIT_DATA = 3, /* bad input data */
    EXIT_ENV = 4,  /* I/O, missing model, runtime */
    EXIT_INTERNAL = 5,
};

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* full help text */
} cli_command;

/* Prints "lfr CMD: error: MESSAGE" to stderr and returns the exit code for
 * an lfr error code. */
int cli_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same with the ctx's message. */
int cli_fail_ctx(const char *cmd, lfr_ctx *ctx, int code);
/* "lfr CMD: usage error: ...; try 'lfr help CMD'", exit 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a command's help to stdout. */
void cli_print_help(const char *cmd);
/* The exit code that an lfr error code maps to. */
int cli_exit_code(int code);

/* Options every engine command takes. */
typedef struct engine_opts {
    const char *model_dir;
    const char *embedder;
    const char *detector; /* NULL: the default */
    int threads;
    int flip;           /* embed the mean of the face and its mirror */
    int fusion_in_turn; /* a fusion's members one after the other: more faces
                           per second when other threads keep the cores busy */
} engine_opts;

/* Progress of long work on stderr (issue 16): a bar with the rate and the
 * time left on a terminal, a plain line every 15 s otherwise, and always a
 * last line with the time taken. what: "embedding"; unit: "images". */
typedef struct cli_progress {
    const char *cmd, *what, *unit;
    int tty;
    double start_s, last_s;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *cmd, const char *what, const char *unit);
void cli_progress_update(cli_progress *p, long done, long total);
/* An lfr_progress_fn over a cli_progress (arg). */
void cli_progress_embedded(int done, int total, void *arg);

/* Several embedders fused (lfr eval --fuse): each embeds paths and LFW
 * View 1's dev pairs, which calibrate it. *out (n x *dim floats) and
 * *found are owned (lfr_free). Returns an exit code, printing the error. */
typedef struct fuse_opts {
    const char *lfw, *models, *cache; /* models: "a,b[,c]"; cache may be NULL */
    engine_opts eo;
    int threads, json;
} fuse_opts;
int cli_fuse_paths(lfr_ctx *ctx, const fuse_opts *f, char *const *paths, int n, float **out,
                   uint8_t **found, int *dim);

/* Opens runtime + engine with the options; on failure prints and returns an
 * exit code (else 0). */
int cli_engine_open(const char *cmd, lfr_ctx *ctx, const engine_opts *o, lfr_runtime **rt,
                    lfr_engine **engine);
void cli_engine_close(lfr_runtime *rt, lfr_engine *engine);

/* Prints a JSON value on one line to stdout and releases it. */
void cli_print_json(json_t *v);
json_t *cli_face_json(const lfr_face *f);

/* Parses a positive integer option; returns 0 on success. */
int cli_parse_int(const char *s, int lo, int hi, int *out);
/* A secret from a file: its first line, without the line's end. -1 if the
 * file cannot be read or is empty. */
int cli_read_secret_file(const char *path, char *buf, size_t len);
int cli_parse_float(const char *s, double lo, double hi, double *out);

/* A watchlist folder or CSV manifest, embedded into a new gallery through
 * the enrolment gate. A refused photo is an error, or with skip_refused
 * said on stderr (as lfr cmd) and left out. */
int cli_watchlist_load(lfr_ctx *ctx, const lfr_engine *e, const char *path, const char *cmd,
                       int skip_refused, lfr_gallery **out);

/* A run of the live pipeline over sources against a watchlist, as `lfr
 * watch` and `lfr eval walkby` make it. */
typedef struct watch_setup {
    const char **sources;
    int n_sources;
    const char *watchlist;
    int realtime, threshold_given, announce;
    int skip_refused;        /* refused enrolment photos are left out, not an error */
    double false_alert_rate; /* per person passing, chooses the threshold */
    engine_opts eo;
    lfr_pipeline_params pp;
    int people; /* out: on the watchlist */
} watch_setup;
watch_setup cli_watch_defaults(void);
/* Takes one of their shared options (--watchlist, --realtime, --models,
 * --embedder, --threshold, --false-alert-rate, --detect-size,
 * --skip-refused): 0 taken, 1
 * not one of them, else the exit status of a bad value (printed). */
int cli_watch_option(const char *cmd, int c, const char *arg, watch_setup *w);
/* Loads the watchlist through the enrolment gate, chooses the threshold,
 * runs the sources to their end; returns an exit status (errors printed)
 * and the run's counts in st. */
int cli_watch_run(const char *cmd, lfr_ctx *ctx, watch_setup *w, lfr_alert_fn on_alert,
                  void *alert_arg, lfr_camera_fn on_camera, void *camera_arg,
                  lfr_pipeline_stats *st);

/* An installed lfr's own files, beside its binary (BIN/../share/openlfr/
 * what: "web", "models"), or NULL in a build tree. */
const char *cli_installed(const char *what, char *buf, size_t len);

/* The database: --db, else $LFR_DB, else ~/.local/share/openlfr/lfr.db. */
const char *cli_db_path(const char *given);

int cmd_serve(int argc, char **argv);
int cmd_edge(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_settings(int argc, char **argv);
int cmd_deployment(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_watchlist(int argc, char **argv);
int cmd_sar(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int bench_search(int argc, char **argv);
int bench_pipeline(int argc, char **argv);
int eval_fmr(int argc, char **argv);
int eval_identify(int argc, char **argv);
int eval_walkby(int argc, char **argv);
int eval_calibrate(int argc, char **argv);

extern const cli_command cli_commands[];

#endif
