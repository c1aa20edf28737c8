/* cli/cmd_serve.c - `lfr serve`: the server, until SIGINT or SIGTERM. */
#include "governance.h"

#include <getopt.h>
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

/* A secret from a file: its first line. */
static int read_password_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, (int)len, f)) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"web", required_argument, NULL, 'w'},
        {"models", required_argument, NULL, 'm'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"admin-password-file", required_argument, NULL, 'p'},
        {"retention-days", required_argument, NULL, 'r'},
        {"tick-ms", required_argument, NULL, 't'},
        {"threshold-floor", required_argument, NULL, 'f'},
        {"metrics-token-file", required_argument, NULL, 'M'},
        {"require-walk-test", no_argument, NULL, 'W'},
        {"max-connections", required_argument, NULL, 'C'},
        {"max-connections-per-address", required_argument, NULL, 'A'},
        {"log-level", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0}};
    lfr_server_config cfg = lfr_server_default_config();
    cfg.web_dir = LFR_SOURCE_DIR "/web";
    const char *db = NULL, *password_file = NULL, *metrics_file = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            cfg.listen = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'w':
            cfg.web_dir = optarg;
            break;
        case 'm':
            cfg.model_dir = optarg;
            break;
        case 'c':
            cfg.tls_cert = optarg;
            break;
        case 'k':
            cfg.tls_key = optarg;
            break;
        case 'p':
            password_file = optarg;
            break;
        case 'r':
            if (cli_parse_int(optarg, 1, 31, &cfg.retention_days))
                return cli_usage("serve", "--retention-days is 1 to 31 (PRI-3)");
            break;
        case 't':
            if (cli_parse_int(optarg, 50, 60000, &cfg.tick_ms))
                return cli_usage("serve", "--tick-ms is 50 to 60000");
            break;
        case 'f':
            /* A floor on the command line had no named approver and no
             * evidence (issue 13 item 26). */
            return cli_usage("serve",
                             "--threshold-floor is gone: an authorising officer sets the floor "
                             "with its validation evidence (POST /api/settings/threshold-floor or "
                             "lfr settings floor), and it is kept in the database, audited");
        case 'M':
            metrics_file = optarg;
            break;
        case 'W':
            cfg.require_walk_test = 1;
            break;
        case 'L':
            cfg.log_level = optarg;
            break;
        case 'C':
            if (cli_parse_int(optarg, 8, 100000, &cfg.max_connections))
                return cli_usage("serve", "--max-connections is 8 to 100000");
            break;
        case 'A':
            if (cli_parse_int(optarg, 1, 100000, &cfg.max_connections_per_address))
                return cli_usage("serve", "--max-connections-per-address is 1 to 100000");
            break;
        default:
            return cli_usage("serve", "unknown option");
        }
    }
    if (optind != argc) return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    cfg.db_path = cli_db_path(db);
    gov_make_parent(cfg.db_path);
    char key_path[4200];
    gov_key_path(cfg.db_path, key_path, sizeof key_path);
    cfg.key_path = key_path;
    char given[256] = "";
    if (password_file && read_password_file(password_file, given, sizeof given))
        return cli_fail("serve", LFR_EIO, "cannot read the password file %s", password_file);
    char metrics_token[256] = "";
    if (metrics_file) {
        if (read_password_file(metrics_file, metrics_token, sizeof metrics_token))
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
                password_file, cfg.db_path);
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
            cfg.tls_cert ? "https" : "http", lfr_server_port(s), cfg.db_path);
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
