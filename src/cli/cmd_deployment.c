/* cli/cmd_deployment.c - `lfr deployment ...`: the whole lifecycle from a
 * script, each step an audited act of the user named with --as. */
#include "governance.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_deployment(int argc, char **argv)
{
    if (argc < 2) return cli_usage("deployment", "expected an action");
    const char *verb = argv[1];
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"reason", required_argument, NULL, 'r'},
                                         {"urgent", no_argument, NULL, 'u'},
                                         {"sensitive", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"location", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *reason = NULL, *sensitive = NULL, *models = NULL,
               *location = NULL;
    int urgent = 0, json = 0, c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'a':
            as = optarg;
            break;
        case 'r':
            reason = optarg;
            break;
        case 'u':
            urgent = 1;
            break;
        case 's':
            sensitive = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'm':
            models = optarg;
            break;
        case 'l':
            location = optarg;
            break;
        default:
            return cli_usage("deployment", "unknown option");
        }
    }
    int n_args = argc - optind;
    char **args = argv + optind;
    static const struct {
        const char *verb;
        int n_args; /* -1: any */
        const char *usage;
    } verbs[] = {{"create", 1, "create NAME"},
                 {"set", 3, "set ID FIELD VALUE"},
                 {"location", 3, "location ID NAME REASON [--sensitive JUSTIFICATION]"},
                 {"camera", 3, "camera ID NAME SOURCE [--location NAME]"},
                 {"submit", 1, "submit ID"},
                 {"authorise", 1, "authorise ID [--urgent]"},
                 {"ratify", 1, "ratify ID"},
                 {"start", 1, "start ID"},
                 {"stop", 1, "stop ID --reason TEXT"},
                 {"suspend", 1, "suspend ID --reason TEXT"},
                 {"cancel", 1, "cancel ID --reason TEXT"},
                 {"review", 1, "review ID"},
                 {"show", 1, "show ID"},
                 {"report", 1, "report ID"},
                 {"list", 0, "list"},
                 {"tick", 0, "tick"}};
    int known = -1;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(verbs[i].verb, verb)) known = (int)i;
    if (known < 0) return cli_usage("deployment", "unknown action '%s'", verb);
    if (n_args != verbs[known].n_args)
        return cli_usage("deployment", "usage: lfr deployment %s --as USER", verbs[known].usage);
    int64_t id = 0;
    if (verbs[known].n_args > 0 && strcmp(verb, "create") && gov_parse_id(args[0], &id))
        return cli_usage("deployment", "'%s' is not a deployment id", args[0]);
    int tick = !strcmp(verb, "tick");
    gov g;
    int status = gov_open("deployment", &g, db, models, !tick, as);
    if (status) {
        gov_close(&g);
        return status;
    }
    int64_t now = gov_now_ms();
    int rc = LFR_OK;
    json_t *doc = NULL;
    const lfr_actor *a = &g.actor;
    if (!strcmp(verb, "create")) {
        rc = lfr_deployment_create(g.ctx, g.pol, a, args[0], &id);
        if (!rc) printf("%lld\n", (long long)id);
    } else if (!strcmp(verb, "set")) {
        rc = lfr_deployment_set(g.ctx, g.pol, a, id, args[1], args[2]);
    } else if (!strcmp(verb, "location")) {
        rc = lfr_deployment_add_location(g.ctx, g.pol, a, id, args[1], args[2], sensitive != NULL,
                                         sensitive);
    } else if (!strcmp(verb, "camera")) {
        rc = lfr_camera_add(g.ctx, g.pol, a, id, args[1], args[2], location);
    } else if (!strcmp(verb, "submit")) {
        rc = lfr_deployment_submit(g.ctx, g.pol, a, id);
    } else if (!strcmp(verb, "authorise")) {
        rc = lfr_deployment_authorise(g.ctx, g.pol, a, id, urgent, now);
    } else if (!strcmp(verb, "ratify")) {
        rc = lfr_deployment_ratify(g.ctx, g.pol, a, id, now);
    } else if (!strcmp(verb, "start")) {
        rc = lfr_deployment_start(g.ctx, g.pol, a, id, now);
    } else if (!strcmp(verb, "stop") || !strcmp(verb, "suspend") || !strcmp(verb, "cancel")) {
        if (!reason) {
            gov_close(&g);
            return cli_usage("deployment", "%s needs --reason TEXT", verb);
        }
        rc = !strcmp(verb, "stop")      ? lfr_deployment_stop(g.ctx, g.pol, a, id, reason, now)
             : !strcmp(verb, "suspend") ? lfr_deployment_suspend(g.ctx, g.pol, a, id, reason, now)
                                        : lfr_deployment_cancel(g.ctx, g.pol, a, id, reason, now);
    } else if (!strcmp(verb, "review")) {
        rc = lfr_deployment_review(g.ctx, g.pol, a, id, now);
    } else if (!strcmp(verb, "show")) {
        rc = lfr_deployment_show(g.ctx, g.pol, a, id, &doc);
    } else if (!strcmp(verb, "report")) {
        rc = lfr_deployment_report(g.ctx, g.pol, a, id, &doc);
    } else if (!strcmp(verb, "list")) {
        rc = lfr_deployment_list(g.ctx, g.pol, a, &doc);
    } else {
        int n = 0;
        rc = lfr_policy_tick(g.ctx, g.pol, now, &n);
        if (!rc) printf("%d deployment%s ended\n", n, n == 1 ? "" : "s");
    }
    if (!rc && doc) {
        if (json) {
            cli_print_json(doc);
        } else {
            char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (text) puts(text);
            free(text);
            json_decref(doc);
        }
    }
    if (rc) status = gov_fail(&g, rc);
    gov_close(&g);
    return status;
}
