/* cli/cmd_settings.c - `lfr settings floor|show`: the settings a force
 * records in the database, each set by a named officer with its evidence. */
#include "governance.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_settings(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "floor") && strcmp(argv[1], "show")))
        return cli_usage("settings", "expected 'floor' or 'show'");
    int set = !strcmp(argv[1], "floor");
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"as", required_argument, NULL, 'a'},
        {"evidence", required_argument, NULL, 'e'}, {"models", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *evidence = NULL, *models = NULL;
    int json = 0, c;
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
        case 'e':
            evidence = optarg;
            break;
        case 'm':
            models = optarg;
            break;
        case 'j':
            json = 1;
            break;
        default:
            return cli_usage("settings", "unknown option");
        }
    }
    double floor = 0;
    if (set && (argc - optind != 1 || cli_parse_float(argv[optind], -1, 1, &floor)))
        return cli_usage("settings", "floor takes one threshold in [-1, 1]");
    if (!set && argc != optind) return cli_usage("settings", "show takes no argument");
    if (set && !evidence)
        return cli_usage("settings", "--evidence names the validation behind the floor (ACC-1)");
    gov g;
    int status = gov_open("settings", &g, db, models, set, as);
    if (status) {
        gov_close(&g);
        return status;
    }
    int rc =
        set ? lfr_policy_set_floor(g.ctx, g.pol, &g.actor, floor, evidence, gov_now_ms()) : LFR_OK;
    json_t *doc = NULL;
    if (!rc) rc = lfr_policy_floor(g.ctx, g.pol, &doc);
    if (rc) {
        status = gov_fail(&g, rc);
    } else if (json) {
        cli_print_json(doc);
        doc = NULL;
    } else {
        printf("threshold floor %.4f (%s; the model's is %.4f)",
               json_number_value(json_object_get(doc, "threshold_floor")),
               json_string_value(json_object_get(doc, "source")),
               json_number_value(json_object_get(doc, "model_floor")));
        if (json_object_get(doc, "set_by"))
            printf(", set by %s on the evidence: %s",
                   json_string_value(json_object_get(doc, "set_by")),
                   json_string_value(json_object_get(doc, "evidence")));
        printf("\n");
    }
    json_decref(doc);
    gov_close(&g);
    return status;
}
