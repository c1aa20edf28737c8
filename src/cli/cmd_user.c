/* cli/cmd_user.c - `lfr user add|list|disable|enable|reset-password`. */
#include "governance.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_user(int argc, char **argv)
{
    if (argc < 2) return cli_usage("user", "expected add, list, disable, enable or reset-password");
    const char *verb = argv[1];
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"roles", required_argument, NULL, 'r'},
                                         {"rank", required_argument, NULL, 'k'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"models", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *roles_text = NULL, *rank_text = "none", *models = NULL;
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
        case 'r':
            roles_text = optarg;
            break;
        case 'k':
            rank_text = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'm':
            models = optarg;
            break;
        default:
            return cli_usage("user", "unknown option");
        }
    }
    int add = !strcmp(verb, "add"), list = !strcmp(verb, "list"),
        disable = !strcmp(verb, "disable"), enable = !strcmp(verb, "enable"),
        reset = !strcmp(verb, "reset-password"), set_roles = !strcmp(verb, "roles");
    if (!add && !list && !disable && !enable && !reset && !set_roles)
        return cli_usage("user", "unknown action '%s'", verb);
    if ((add || disable || enable || reset || set_roles) && argc - optind != 1)
        return cli_usage("user", "%s needs one NAME", verb);
    if (reset && as)
        return cli_usage("user", "reset-password is the host's act (the database and its key "
                                 "file), not a user's: no --as");
    if (list && argc != optind) return cli_usage("user", "list takes no NAME");
    int roles = 0, rank = 0;
    if (add || set_roles) {
        if (!roles_text || (roles = lfr_roles_parse(roles_text)) <= 0)
            return cli_usage("user", "--roles takes applicant, authoriser, reviewer, operator, "
                                     "engagement, auditor, oversight, admin (comma-separated)");
        if ((rank = lfr_rank_parse(rank_text)) < 0)
            return cli_usage("user", "unknown rank '%s'", rank_text);
    }
    gov g;
    /* The very first user (an administrator) is added without --as, and a
     * password is reset by the host, with no user. */
    int status = gov_open("user", &g, db, models, reset ? 0 : as != NULL || !add, as);
    if (status) {
        gov_close(&g);
        return status;
    }
    int rc = LFR_OK;
    if (add) {
        const char *pw = getenv("LFR_NEW_PASSWORD");
        if (!pw) {
            gov_close(&g);
            return cli_fail("user", LFR_EINVAL, "set LFR_NEW_PASSWORD to the new user's password");
        }
        rc = lfr_user_add(g.ctx, g.pol, g.have_actor ? &g.actor : NULL, argv[optind], roles, rank,
                          pw);
        if (!rc) printf("user %s added\n", argv[optind]);
    } else if (reset) {
        char pw[LFR_ONE_TIME_PASSWORD_LEN];
        rc = lfr_user_reset_password(g.ctx, g.pol, argv[optind], pw);
        if (!rc)
            printf("one-time password for %s: %s\n(valid for one login, where it must be "
                   "changed; audited as user.reset_password)\n",
                   argv[optind], pw);
        lfr_wipe(pw, sizeof pw);
    } else if (set_roles) {
        rc = lfr_user_set_roles(g.ctx, g.pol, &g.actor, argv[optind], roles, rank);
        if (!rc)
            printf("user %s: roles %s, rank %s, from their next sign-in (a running server's "
                   "console or POST /api/users/%s/roles also ends their sessions at once)\n",
                   argv[optind], roles_text, lfr_rank_name(rank), argv[optind]);
    } else if (disable || enable) {
        rc = (disable ? lfr_user_disable : lfr_user_enable)(g.ctx, g.pol, &g.actor, argv[optind]);
        if (!rc) printf("user %s %s\n", argv[optind], disable ? "disabled" : "enabled");
    } else {
        json_t *users = NULL;
        rc = lfr_user_list(g.ctx, g.pol, &g.actor, &users);
        if (!rc && json)
            cli_print_json(users);
        else if (!rc) {
            size_t i;
            json_t *u;
            json_array_foreach(users, i, u)
            {
                printf("%-24s %-40s %-24s%s\n", json_string_value(json_object_get(u, "name")),
                       json_string_value(json_object_get(u, "roles")),
                       json_string_value(json_object_get(u, "rank")),
                       json_is_true(json_object_get(u, "disabled")) ? " disabled" : "");
            }
            json_decref(users);
        }
    }
    if (rc) status = gov_fail(&g, rc);
    gov_close(&g);
    return status;
}
