/* cli/cmd_report.c - `lfr report notice|review|record|summary|oversight`:
 * the documents of REQUIREMENTS section 5, for the user named with --as,
 * to standard output or a file. */
#include "governance.h"
#include "lfr/report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* "2026-01-01" (midnight UTC) or a full UTC time to ms; -1 if malformed. */
static int64_t parse_day(const char *s)
{
    char t[40];
    if (s && strlen(s) == 10) {
        snprintf(t, sizeof t, "%sT00:00Z", s);
        return lfr_parse_time_utc(t);
    }
    return lfr_parse_time_utc(s);
}

static int write_out(const char *path, const char *text, size_t len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) return cli_fail("report", LFR_EIO, "%s: cannot open for writing", path);
    int bad = fwrite(text, 1, len, f) != len;
    if (path)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    return bad ? cli_fail("report", LFR_EIO, "%s: write failed", path ? path : "stdout") : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("report", "expected notice, review, record, summary or oversight");
    const char *verb = argv[1];
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {"models", required_argument, NULL, 'm'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *as = NULL, *fmt = NULL, *path = NULL, *from_s = NULL, *to_s = NULL,
               *models = NULL, *lang_s = NULL;
    int c;
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
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            path = optarg;
            break;
        case 'F':
            from_s = optarg;
            break;
        case 'T':
            to_s = optarg;
            break;
        case 'm':
            models = optarg;
            break;
        case 'l':
            lang_s = optarg;
            break;
        default:
            return cli_usage("report", "unknown option");
        }
    }
    int n_args = argc - optind;
    char **args = argv + optind;
    int per_deployment =
        !strcmp(verb, "notice") || !strcmp(verb, "review") || !strcmp(verb, "record");
    int summary = !strcmp(verb, "summary"), oversight = !strcmp(verb, "oversight");
    if (!per_deployment && !summary && !oversight)
        return cli_usage("report", "unknown document '%s'", verb);
    int64_t id = 0, from = 0, to = 0;
    if (per_deployment && (n_args != 1 || gov_parse_id(args[0], &id)))
        return cli_usage("report", "usage: lfr report %s DEPLOYMENT_ID --as USER", verb);
    if (!per_deployment && n_args != 0)
        return cli_usage("report", "%s takes no deployment id", verb);
    if (summary) {
        from = parse_day(from_s);
        to = parse_day(to_s);
        if (from < 0 || to < 0)
            return cli_usage("report", "summary needs --from and --to as YYYY-MM-DD (UTC)");
    }
    lfr_report_format format =
        per_deployment && !strcmp(verb, "notice") ? LFR_REPORT_TEXT : LFR_REPORT_HTML;
    if (oversight) format = LFR_REPORT_JSON;
    if (fmt && lfr_report_format_parse(fmt, &format))
        return cli_usage("report", "--format is html, text, csv or json");
    if (oversight && format != LFR_REPORT_JSON)
        return cli_usage("report", "the oversight data comes as json");
    lfr_lang lang;
    if (lfr_lang_parse(lang_s, &lang))
        return cli_usage("report", "--lang is en (English, the default) or cy (Welsh)");
    gov g;
    int status = gov_open("report", &g, db, models, 1, as);
    if (status) {
        gov_close(&g);
        return status;
    }
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (!strcmp(verb, "notice"))
        rc = lfr_report_notice(g.ctx, g.pol, &g.actor, id, lang, format, &text, &len);
    else if (!strcmp(verb, "review"))
        rc = lfr_report_review(g.ctx, g.pol, &g.actor, id, lang, format, &text, &len);
    else if (!strcmp(verb, "record"))
        rc = lfr_report_record(g.ctx, g.pol, &g.actor, id, lang, format, &text, &len);
    else if (summary)
        rc = lfr_report_summary(g.ctx, g.pol, &g.actor, from, to, lang, format, &text, &len);
    else {
        json_t *doc = NULL;
        rc = lfr_report_oversight(g.ctx, g.pol, &g.actor, &doc);
        if (!rc) {
            char *dump =
                json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
            text = dump ? lfr_strdup(dump) : NULL;
            len = text ? strlen(text) : 0;
            free(dump);
            json_decref(doc);
            if (!text) rc = lfr_fail(g.ctx, LFR_ENOMEM, "out of memory");
        }
    }
    if (rc)
        status = gov_fail(&g, rc);
    else
        status = write_out(path, text, len);
    lfr_free(text);
    gov_close(&g);
    return status;
}
