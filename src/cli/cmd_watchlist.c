/* cli/cmd_watchlist.c - `lfr watchlist add|approve|review|remove|list`,
 * `lfr sar lookup` and `lfr retention run`. */
#include "governance.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_doc(json_t *doc, int json)
{
    if (json) {
        cli_print_json(doc);
        return;
    }
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) puts(text);
    free(text);
    json_decref(doc);
}

int cmd_watchlist(int argc, char **argv)
{
    if (argc < 2) return cli_usage("watchlist", "expected add, approve, review, remove or list");
    const char *verb = argv[1];
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"person", required_argument, NULL, 'p'},
                                         {"category", required_argument, NULL, 'c'},
                                         {"reason", required_argument, NULL, 'r'},
                                         {"source", required_argument, NULL, 's'},
                                         {"legal-basis", required_argument, NULL, 'l'},
                                         {"photo-date", required_argument, NULL, 't'},
                                         {"justification", required_argument, NULL, 'J'},
                                         {"child", no_argument, NULL, 'C'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *models = NULL;
    lfr_watchlist_entry e = {0};
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
        case 'p':
            e.person_ref = optarg;
            break;
        case 'c':
            e.category = optarg;
            break;
        case 'r':
            e.reason = optarg;
            break;
        case 's':
            e.source = optarg;
            break;
        case 'l':
            e.legal_basis = optarg;
            break;
        case 't':
            e.photo_date = optarg;
            break;
        case 'J':
            e.extra_justification = optarg;
            break;
        case 'C':
            e.child = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'm':
            models = optarg;
            break;
        default:
            return cli_usage("watchlist", "unknown option");
        }
    }
    int n = argc - optind;
    char **args = argv + optind;
    int add = !strcmp(verb, "add");
    if (add ? n != 2 : n != 1)
        return cli_usage("watchlist",
                         add ? "add DEPLOYMENT PHOTO --person REF --category C --reason R "
                               "--source S --legal-basis L --photo-date YYYY-MM-DD"
                             : "%s ID",
                         verb);
    int64_t id = 0;
    if (gov_parse_id(args[0], &id)) return cli_usage("watchlist", "'%s' is not an id", args[0]);
    gov g;
    int status = gov_open("watchlist", &g, db, models, 1, as);
    lfr_runtime *rt = NULL;
    lfr_engine *engine = NULL;
    uint8_t *photo = NULL;
    size_t photo_len = 0;
    if (status) goto done;
    int rc = LFR_OK;
    int64_t now = gov_now_ms();
    if (add) {
        engine_opts eo = {.model_dir = models, .flip = 1};
        if ((status = cli_engine_open("watchlist", g.ctx, &eo, &rt, &engine))) goto done;
        rc = lfr_read_file(g.ctx, args[1], 32 << 20, &photo, &photo_len);
        int64_t entry = 0;
        json_t *flags = NULL;
        if (!rc)
            rc = lfr_watchlist_add(g.ctx, g.pol, &g.actor, id, &e, engine, photo, photo_len, now,
                                   &entry, &flags);
        if (!rc)
            print_doc(json_pack("{s:I,s:o}", "entry", (json_int_t)entry, "flags", flags), json);
    } else if (!strcmp(verb, "approve")) {
        rc = lfr_watchlist_approve(g.ctx, g.pol, &g.actor, id);
    } else if (!strcmp(verb, "review")) {
        rc = lfr_watchlist_review(g.ctx, g.pol, &g.actor, id, now);
    } else if (!strcmp(verb, "remove")) {
        rc = lfr_watchlist_remove(g.ctx, g.pol, &g.actor, id, now);
    } else if (!strcmp(verb, "list")) {
        json_t *doc = NULL;
        rc = lfr_watchlist_list(g.ctx, g.pol, &g.actor, id, &doc);
        if (!rc) print_doc(doc, json);
    } else {
        gov_close(&g);
        return cli_usage("watchlist", "unknown action '%s'", verb);
    }
    if (rc) status = gov_fail(&g, rc);
done:
    if (photo) lfr_wipe_free(photo, photo_len);
    cli_engine_close(rt, engine);
    gov_close(&g);
    return status;
}

int cmd_sar(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 3 || strcmp(argv[1], "lookup"))
        return cli_usage("sar", "usage: lfr sar lookup PERSON_REF --as AUDITOR");
    const char *db = NULL, *as = NULL, *models = NULL;
    int json = 0, c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'a')
            as = optarg;
        else if (c == 'j')
            json = 1;
        else if (c == 'm')
            models = optarg;
        else
            return cli_usage("sar", "unknown option");
    }
    if (argc - optind != 1) return cli_usage("sar", "lookup needs one PERSON_REF");
    gov g;
    int status = gov_open("sar", &g, db, models, 1, as);
    if (!status) {
        json_t *doc = NULL;
        int rc = lfr_sar_lookup(g.ctx, g.pol, &g.actor, argv[optind], &doc);
        if (rc)
            status = gov_fail(&g, rc);
        else
            print_doc(json_pack("{s:s,s:o}", "person_ref", argv[optind], "watchlists", doc), json);
    }
    gov_close(&g);
    return status;
}

int cmd_retention(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"days", required_argument, NULL, 'n'},
                                         {"models", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 2 || strcmp(argv[1], "run"))
        return cli_usage("retention", "usage: lfr retention run [--days N]");
    const char *db = NULL, *models = NULL;
    int days = 31, c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'm')
            models = optarg;
        else if (c == 'n') {
            if (cli_parse_int(optarg, 1, 31, &days)) return cli_usage("retention", "--days 1..31");
        } else
            return cli_usage("retention", "unknown option");
    }
    gov g;
    int status = gov_open("retention", &g, db, models, 0, NULL);
    if (!status) {
        int n = 0, ended = 0;
        int rc = lfr_policy_tick(g.ctx, g.pol, gov_now_ms(), &ended);
        if (!rc) rc = lfr_policy_retention(g.ctx, g.pol, gov_now_ms(), days, &n);
        if (rc)
            status = gov_fail(&g, rc);
        else
            printf("%d deployment%s ended, %d alert%s past %d days deleted\n", ended,
                   ended == 1 ? "" : "s", n, n == 1 ? "" : "s", days);
    }
    gov_close(&g);
    return status;
}
