/* cli/cmd_edge.c - `lfr edge init|enrol|run`: an edge node (issue 17 item
 * 3), the machine beside a deployment's cameras. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lfr/edge.h"

static lfr_edge *running;

/* `--code -`: the code read from standard input (one line), so it is not in
 * the command line that `ps` shows. Returns 0, or an exit status. */
static int read_code(char *buf, size_t len)
{
    if (isatty(STDIN_FILENO)) fputs("the enrolment code: ", stderr);
    const char *bad = NULL;
    if (!fgets(buf, (int)len, stdin)) {
        bad = "no code on standard input";
    } else {
        size_t n = strcspn(buf, "\r\n");
        if (buf[n] == '\0' && !feof(stdin))
            bad = "the line is too long for a code";
        else if (n == 0)
            bad = "the line is empty";
        buf[n] = '\0';
    }
    if (!bad) return 0;
    lfr_wipe(buf, len);
    return cli_fail("edge", LFR_EINVAL, "--code -: %s", bad);
}

static void on_signal(int sig)
{
    (void)sig;
    if (running) lfr_edge_stop(running);
}

static int edge_run(lfr_ctx *ctx, const char *dir, const char *models, int poll_ms)
{
    lfr_runtime *rt = NULL;
    lfr_engine *engine = NULL;
    lfr_edge *e = NULL;
    /* The engine as the centre's server opens it: the same templates. */
    lfr_engine_params ep = lfr_engine_default_params();
    ep.model_dir = models;
    int rc = lfr_runtime_new(ctx, NULL, &rt);
    if (!rc) rc = lfr_engine_new(ctx, rt, &ep, &engine);
    lfr_edge_params p = lfr_edge_default_params();
    if (poll_ms) p.poll_ms = poll_ms;
    if (!rc) rc = lfr_edge_new(ctx, engine, dir, &p, &e);
    if (!rc) {
        running = e;
        signal(SIGPIPE, SIG_IGN); /* a connection the centre dropped is an error, not an end */
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = lfr_edge_run(ctx, e);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        running = NULL;
    }
    lfr_edge_free(e);
    lfr_engine_free(engine);
    lfr_runtime_free(rt);
    return rc;
}

int cmd_edge(int argc, char **argv)
{
    if (argc < 2) return cli_usage("edge", "expected init, enrol or run");
    const char *verb = argv[1];
    static const struct option opts[] = {
        {"state-dir", required_argument, NULL, 's'}, {"centre", required_argument, NULL, 'c'},
        {"ca", required_argument, NULL, 'a'},        {"name", required_argument, NULL, 'n'},
        {"code", required_argument, NULL, 'k'},      {"models", required_argument, NULL, 'm'},
        {"poll-ms", required_argument, NULL, 'p'},   {NULL, 0, NULL, 0}};
    const char *dir = NULL, *centre = NULL, *ca = NULL, *name = NULL, *models = NULL, *code = NULL;
    int poll_ms = 0, c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            dir = optarg;
            break;
        case 'c':
            centre = optarg;
            break;
        case 'a':
            ca = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'm':
            models = optarg;
            break;
        case 'k':
            code = optarg;
            break;
        case 'p':
            if (cli_parse_int(optarg, 100, 60000, &poll_ms))
                return cli_usage("edge", "--poll-ms: 100 to 60000");
            break;
        default:
            return cli_usage("edge", "unknown option");
        }
    }
    if (optind != argc) return cli_usage("edge", "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage("edge", "--state-dir DIR is needed");
    int init = !strcmp(verb, "init"), enrol = !strcmp(verb, "enrol"), run = !strcmp(verb, "run");
    if (!init && !enrol && !run) return cli_usage("edge", "unknown action '%s'", verb);
    if (enrol && (!centre || !name || !code))
        return cli_usage("edge", "enrol needs --centre, --name and --code");
    char typed[128];
    if (enrol && !strcmp(code, "-")) {
        int status = read_code(typed, sizeof typed);
        if (status) return status;
        code = typed;
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("edge", LFR_ENOMEM, "out of memory");
    int rc;
    if (init) {
        rc = lfr_edge_init(ctx, dir);
        if (!rc) printf("node keys in %s\n", dir);
    } else if (enrol) {
        int64_t id = 0;
        char fp[17];
        rc = lfr_edge_enrol(ctx, dir, centre, ca, name, code, &id);
        if (!rc) rc = lfr_edge_fingerprint(ctx, dir, fp);
        if (!rc)
            printf("enrolled as node %lld, key %s: waiting for an administrator's approval "
                   "(they check that the console shows this key)\n",
                   (long long)id, fp);
    } else {
        rc = edge_run(ctx, dir, models, poll_ms);
    }
    int status = rc ? cli_fail_ctx("edge", ctx, rc) : EXIT_OK;
    if (code == typed) lfr_wipe(typed, sizeof typed);
    lfr_ctx_free(ctx);
    return status;
}
