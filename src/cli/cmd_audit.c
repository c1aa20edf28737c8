/* cli/cmd_audit.c - `lfr audit verify|export`: check the audit chain, or
 * write it out as JSON lines. */
#include "governance.h"
#include "lfr/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_db_path(const char *given)
{
    static char buf[4096];
    if (given) return given;
    const char *env = getenv("LFR_DB");
    if (env && *env) return env;
    const char *home = getenv("HOME");
    snprintf(buf, sizeof buf, "%s/.local/share/openlfr/lfr.db", home ? home : ".");
    return buf;
}

/* The chain and its anchor, read only: the finding on a damaged log is
 * reported without anything being written to it. EXIT_OK when intact. */
int gov_check_log(lfr_ctx *ctx, const char *db, int json, int *intact)
{
    *intact = 0;
    char shown[4200];
    lfr_store_display_name(db, shown, sizeof shown);
    lfr_store *s = NULL;
    int rc = lfr_store_open(ctx, db, &s), status = EXIT_OK;
    lfr_audit_report r;
    if (!rc) rc = lfr_audit_verify(ctx, s, &r);
    if (rc) {
        status = cli_fail_ctx("audit", ctx, rc);
        goto done;
    }
    /* Then against its anchor outside the database: the newest records
     * deleted, or the log rewritten. */
    char anchor_path[4200], anchor_key_path[4200];
    lfr_audit_anchor_paths(db, anchor_path, sizeof anchor_path, anchor_key_path,
                           sizeof anchor_key_path);
    lfr_audit_anchor *anchor = NULL;
    rc = lfr_audit_anchor_open(ctx, anchor_path, anchor_key_path, 0, &anchor);
    if (rc == LFR_OK) rc = lfr_audit_anchor_check(ctx, anchor, s, &r);
    lfr_audit_anchor_free(anchor);
    if (rc && !(rc == LFR_ENOENT && access(anchor_path, F_OK) && access(anchor_key_path, F_OK))) {
        /* A missing, replaced or forged anchor is a finding, not a detail. */
        status = cli_fail_ctx("audit", ctx, rc);
        goto done;
    }
    if (!r.first_bad_seq) {
        *intact = 1;
        goto done;
    }
    if (json)
        cli_print_json(json_pack("{s:s,s:b,s:I,s:I,s:s,s:I}", "database", shown, "intact", 0,
                                 "records", (json_int_t)r.records, "first_bad_record",
                                 (json_int_t)r.first_bad_seq, "problem", r.problem,
                                 "anchored_record", (json_int_t)r.anchored_seq));
    else
        printf("%s: audit chain BROKEN at record %lld: %s\n", shown, (long long)r.first_bad_seq,
               r.problem);
    status = EXIT_NO;
done:
    lfr_store_close(s);
    return status;
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "verify") && strcmp(argv[1], "export")))
        return cli_usage("audit", "expected 'verify' or 'export'");
    int verify = !strcmp(argv[1], "verify");
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *models = NULL;
    int json = 0, c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'a')
            as = optarg;
        else if (c == 'm')
            models = optarg;
        else if (c == 'j')
            json = 1;
        else
            return cli_usage("audit", "unknown option");
    }
    if (optind != argc) return cli_usage("audit", "unexpected argument '%s'", argv[optind]);
    db = cli_db_path(db);
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("audit", LFR_ENOMEM, "out of memory");
    int intact = 0, status = gov_check_log(ctx, db, json, &intact);
    lfr_ctx_free(ctx);
    if (!intact) return status;
    /* An intact log is read by a named auditor, and the reading is on it. */
    gov g;
    if ((status = gov_open("audit", &g, db, models, 1, as))) {
        gov_close(&g);
        return status;
    }
    if (!verify) {
        int rc = lfr_audit_export_as(g.ctx, g.pol, &g.actor, stdout);
        status = rc ? gov_fail(&g, rc) : EXIT_OK;
        gov_close(&g);
        return status;
    }
    char shown[4200];
    lfr_store_display_name(db, shown, sizeof shown);
    lfr_audit_report r;
    int rc = lfr_audit_check(g.ctx, g.pol, &g.actor, &r);
    if (rc) {
        status = gov_fail(&g, rc);
    } else if (json) {
        cli_print_json(json_pack("{s:s,s:b,s:I,s:I,s:s,s:I}", "database", shown, "intact",
                                 r.first_bad_seq == 0, "records", (json_int_t)r.records,
                                 "first_bad_record", (json_int_t)r.first_bad_seq, "problem",
                                 r.problem, "anchored_record", (json_int_t)r.anchored_seq));
    } else if (r.first_bad_seq) {
        printf("%s: audit chain BROKEN at record %lld: %s\n", shown, (long long)r.first_bad_seq,
               r.problem);
    } else {
        printf("%s: audit chain intact, %lld records, anchored up to record %lld\n", shown,
               (long long)r.records, (long long)r.anchored_seq);
    }
    if (!rc && r.first_bad_seq) status = EXIT_NO;
    gov_close(&g);
    return status;
}
