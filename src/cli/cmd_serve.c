/* cli/cmd_serve.c - `lfr serve`: the server, until SIGINT or SIGTERM. */
#include "governance.h"

#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfr/server.h"

static lfr_server *running;

static void on_signal(int sig)
{
    (void)sig;
    if (running) lfr_server_stop(running);
}

/* What lfr serve is told, by its configuration file and its flags. */
typedef struct serve_opts {
    lfr_server_config cfg;
    const char *db, *state_dir, *password_file, *metrics_file;
    char *owned[32]; /* values copied out of the configuration file */
    int n_owned;
} serve_opts;

typedef enum { S_TEXT, S_INT, S_BOOL, S_LEVEL, S_GONE } setting_type;

/* Every setting, once: its key in lfr.conf, its flag, its type and range,
 * and where it goes. */
typedef struct serve_setting {
    const char *key, *flag;
    setting_type type;
    int lo, hi;
    size_t offset; /* in serve_opts */
} serve_setting;

#define AT(field) offsetof(serve_opts, field)
static const serve_setting settings[] = {
    {"listen", "listen", S_TEXT, 0, 0, AT(cfg.listen)},
    {"db", "db", S_TEXT, 0, 0, AT(db)},
    {"state_dir", "state-dir", S_TEXT, 0, 0, AT(state_dir)},
    {"web", "web", S_TEXT, 0, 0, AT(cfg.web_dir)},
    {"models", "models", S_TEXT, 0, 0, AT(cfg.model_dir)},
    {"tls_cert", "cert", S_TEXT, 0, 0, AT(cfg.tls_cert)},
    {"tls_key", "key", S_TEXT, 0, 0, AT(cfg.tls_key)},
    {"admin_password_file", "admin-password-file", S_TEXT, 0, 0, AT(password_file)},
    {"metrics_token_file", "metrics-token-file", S_TEXT, 0, 0, AT(metrics_file)},
    {"retention_days", "retention-days", S_INT, 1, 31, AT(cfg.retention_days)},
    {"session_hours", "session-hours", S_INT, 1, 24, AT(cfg.session_hours)},
    {"session_idle_minutes", "session-idle-minutes", S_INT, 1, 480, AT(cfg.session_idle_minutes)},
    {"tick_ms", "tick-ms", S_INT, 50, 60000, AT(cfg.tick_ms)},
    {"max_connections", "max-connections", S_INT, 8, 100000, AT(cfg.max_connections)},
    {"max_connections_per_address", "max-connections-per-address", S_INT, 1, 100000,
     AT(cfg.max_connections_per_address)},
    {"require_walk_test", "require-walk-test", S_BOOL, 0, 1, AT(cfg.require_walk_test)},
    {"alert_queue_keeps_session", "alert-queue-keeps-session", S_BOOL, 0, 1,
     AT(cfg.queue_keeps_session)},
    {"log_level", "log-level", S_LEVEL, 0, 0, AT(cfg.log_level)},
    /* A floor given at start had no named approver and no evidence (issue
     * 13 item 26). */
    {"threshold_floor", "threshold-floor", S_GONE, 0, 0, 0},
};
#define N_SETTINGS ((int)(sizeof settings / sizeof *settings))

/* Sets one setting from text; LFR_EINVAL with the reason otherwise. */
static int apply_setting(lfr_ctx *ctx, serve_opts *o, const serve_setting *st, const char *value)
{
    void *field = (char *)o + st->offset;
    switch (st->type) {
    case S_TEXT:
        if (!*value) return lfr_fail(ctx, LFR_EINVAL, "%s: empty", st->key);
        *(const char **)field = value;
        return LFR_OK;
    case S_INT:
        if (cli_parse_int(value, st->lo, st->hi, (int *)field))
            return lfr_fail(ctx, LFR_EINVAL, "%s is %d to %d, not '%s'", st->key, st->lo, st->hi,
                            value);
        return LFR_OK;
    case S_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
            *(int *)field = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
            *(int *)field = 0;
        else
            return lfr_fail(ctx, LFR_EINVAL, "%s is true or false, not '%s'", st->key, value);
        return LFR_OK;
    case S_LEVEL:
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") &&
            strcmp(value, "error"))
            return lfr_fail(ctx, LFR_EINVAL, "%s is debug, info, warn or error, not '%s'", st->key,
                            value);
        *(const char **)field = value;
        return LFR_OK;
    case S_GONE:
        break;
    }
    return lfr_fail(ctx, LFR_EINVAL,
                    "%s is gone: an authorising officer sets the floor with its validation "
                    "evidence (POST /api/settings/threshold-floor or lfr settings floor), and it "
                    "is kept in the database, audited",
                    st->key);
}

static int on_conf(lfr_ctx *ctx, const char *key, const char *value, void *arg)
{
    serve_opts *o = arg;
    for (int i = 0; i < N_SETTINGS; i++) {
        if (strcmp(settings[i].key, key)) continue;
        if (o->n_owned == (int)(sizeof o->owned / sizeof *o->owned))
            return lfr_fail(ctx, LFR_EINVAL, "too many settings");
        char *copy = lfr_strdup(value);
        if (!copy) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        o->owned[o->n_owned++] = copy;
        return apply_setting(ctx, o, &settings[i], copy);
    }
    return lfr_fail(ctx, LFR_EINVAL, "unknown setting '%s'", key);
}

#define DEFAULT_CONFIG "/etc/openlfr/lfr.conf"

/* The configuration file: --config FILE, else DEFAULT_CONFIG if there is
 * one. Flags given with it override it. */
static int load_config(lfr_ctx *ctx, serve_opts *o, const char *path)
{
    if (!path) {
        if (access(DEFAULT_CONFIG, F_OK)) return LFR_OK;
        path = DEFAULT_CONFIG;
    }
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, path, (size_t)1 << 20, &text, &len);
    if (rc == LFR_OK) rc = lfr_conf_parse(ctx, path, (const char *)text, len, on_conf, o);
    lfr_free(text);
    return rc;
}

static void serve_opts_free(serve_opts *o)
{
    for (int i = 0; i < o->n_owned; i++)
        lfr_free(o->owned[i]);
}

static int serve(serve_opts *o);

int cmd_serve(int argc, char **argv)
{
    struct option opts[N_SETTINGS + 2];
    for (int i = 0; i < N_SETTINGS; i++)
        opts[i] = (struct option){settings[i].flag,
                                  settings[i].type == S_BOOL ? no_argument : required_argument,
                                  NULL, 1000 + i};
    opts[N_SETTINGS] = (struct option){"config", required_argument, NULL, 'c'};
    opts[N_SETTINGS + 1] = (struct option){NULL, 0, NULL, 0};
    serve_opts o = {.cfg = lfr_server_default_config()};
    char installed_web[PATH_MAX];
    o.cfg.web_dir = cli_installed("web", installed_web, sizeof installed_web);
    if (!o.cfg.web_dir) o.cfg.web_dir = LFR_SOURCE_DIR "/web";
    /* First the file (where --config says), then the flags over it. */
    const char *config = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (c == 'c') config = optarg;
    opterr = 1;
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("serve", LFR_ENOMEM, "out of memory");
    int rc = load_config(ctx, &o, config);
    if (rc) {
        int status = cli_fail_ctx("serve", ctx, rc);
        serve_opts_free(&o);
        lfr_ctx_free(ctx);
        return status;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') continue;
        if (c < 1000 || c >= 1000 + N_SETTINGS) {
            serve_opts_free(&o);
            lfr_ctx_free(ctx);
            return cli_usage("serve", "unknown option");
        }
        const serve_setting *st = &settings[c - 1000];
        if (apply_setting(ctx, &o, st, st->type == S_BOOL ? "true" : optarg)) {
            fprintf(stderr, "lfr serve: usage error: --%s: %s; try 'lfr help serve'\n", st->flag,
                    lfr_errmsg(ctx));
            serve_opts_free(&o);
            lfr_ctx_free(ctx);
            return EXIT_USAGE;
        }
    }
    lfr_ctx_free(ctx);
    if (optind != argc) {
        serve_opts_free(&o);
        return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    }
    int status = serve(&o);
    serve_opts_free(&o);
    return status;
}

static int serve(serve_opts *o)
{
    lfr_server_config cfg = o->cfg;
    const char *db = o->db, *password_file = o->password_file, *metrics_file = o->metrics_file;

    cfg.db_path = cli_db_path(db);
    /* Where a PostgreSQL database's key and anchor are kept (and the
     * commands run beside the server are told by the same variable). */
    if (o->state_dir) setenv("LFR_STATE_DIR", o->state_dir, 1);
    gov_make_parent(cfg.db_path);
    char shown_db[4200];
    lfr_store_display_name(cfg.db_path, shown_db, sizeof shown_db);
    char key_path[4200];
    gov_key_path(cfg.db_path, key_path, sizeof key_path);
    cfg.key_path = key_path;
    char given[256] = "";
    if (password_file && cli_read_secret_file(password_file, given, sizeof given))
        return cli_fail("serve", LFR_EIO, "cannot read the password file %s", password_file);
    char metrics_token[256] = "";
    if (metrics_file) {
        if (cli_read_secret_file(metrics_file, metrics_token, sizeof metrics_token))
            return cli_fail("serve", LFR_EIO, "cannot read the metrics token file %s",
                            metrics_file);
        if (strlen(metrics_token) < 16)
            return cli_usage("serve", "the metrics token must be at least 16 characters");
        cfg.metrics_token = metrics_token;
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("serve", LFR_ENOMEM, "out of memory");
    char *shown = NULL;
    lfr_server *s = NULL;
    int rc = lfr_server_new(ctx, &cfg, password_file ? given : NULL, &shown, &s);
    lfr_wipe(given, sizeof given);
    if (rc) {
        int status = cli_fail_ctx("serve", ctx, rc);
        lfr_ctx_free(ctx);
        return status;
    }
    if (password_file && lfr_server_created_admin(s))
        fprintf(stderr,
                "lfr serve: first start: administrator 'admin' created with the password in "
                "%s\n",
                password_file);
    else if (password_file)
        fprintf(stderr,
                "lfr serve: the database already has its administrator: the password in %s "
                "applies to a first start only, not to this database (lost it? lfr user "
                "reset-password admin --db %s)\n",
                password_file, shown_db);
    if (shown) {
        /* Once, on the terminal of whoever started it; never logged. */
        fprintf(stderr,
                "lfr serve: first start: administrator 'admin' created with the one-time "
                "password\n\n    %s\n\nLog in and give each officer a named account.\n",
                shown);
        lfr_wipe(shown, strlen(shown));
        free(shown);
    }
    fprintf(stderr, "lfr serve: %s://127.0.0.1:%d/ (database %s)\n",
            cfg.tls_cert ? "https" : "http", lfr_server_port(s), shown_db);
    /* Signals are handled before anyone is told the server is ready. */
    running = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Ready: tests wait for this line on stdout. */
    printf("listening on port %d\n", lfr_server_port(s));
    fflush(stdout);
    lfr_server_run(ctx, s);
    fprintf(stderr, "lfr serve: stopping: cameras, then the listener\n");
    running = NULL;
    lfr_server_free(s);
    lfr_ctx_free(ctx);
    return EXIT_OK;
}
