/* cli/cmd_evidence.c - `lfr evidence verify`: checks an evidence bundle
 * exported from the console (issue 15 item 3) away from the server, as a
 * court or the defence would: its signature, against the force's audit
 * anchor file when given, its faces and its audit records. */
#include "cli.h"
#include "lfr/audit.h"
#include "lfr/policy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define BUNDLE_MAX_BYTES (64u << 20)

int cmd_evidence(int argc, char **argv)
{
    static const struct option opts[] = {{"anchors", required_argument, NULL, 'a'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 3 || strcmp(argv[1], "verify"))
        return cli_usage("evidence",
                         "usage: lfr evidence verify BUNDLE [--anchors FILE | --db PATH]");
    const char *anchors = NULL, *db = NULL, *path = argv[2];
    int json = 0, c;
    argc -= 2;
    argv += 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'a')
            anchors = optarg;
        else if (c == 'd')
            db = optarg;
        else if (c == 'j')
            json = 1;
        else
            return cli_usage("evidence", "unknown option");
    }
    if (optind < argc) return cli_usage("evidence", "one bundle at a time");
    char anchor_path[4200], key_path[4200];
    if (db && !anchors) {
        lfr_audit_anchor_paths(db, anchor_path, sizeof anchor_path, key_path, sizeof key_path);
        anchors = anchor_path;
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("evidence", LFR_ENOMEM, "out of memory");
    unsigned char key[32];
    uint8_t *text = NULL;
    size_t len = 0;
    json_t *report = NULL;
    int rc = anchors ? lfr_audit_anchor_file_key(ctx, anchors, key) : LFR_OK;
    if (!rc) rc = lfr_read_file(ctx, path, BUNDLE_MAX_BYTES, &text, &len);
    /* The text must end where the file does: a NUL inside is not JSON. */
    if (!rc && memchr(text, '\0', len))
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: not an evidence bundle (binary data)", path);
    if (!rc) rc = lfr_evidence_verify(ctx, (const char *)text, anchors ? key : NULL, &report);
    lfr_wipe_free_unsized(text);
    int status = EXIT_OK;
    if (rc == LFR_EREFUSED) {
        /* The answer is no: the bundle does not verify. */
        fprintf(stderr, "lfr evidence: %s: NOT VERIFIED: %s\n", path, lfr_errmsg(ctx));
        status = EXIT_NO;
    } else if (rc)
        status = cli_fail_ctx("evidence", ctx, rc);
    else if (json)
        cli_print_json(report);
    else {
        const char *reference = json_string_value(json_object_get(report, "reference"));
        printf("%s: verified: alert %lld, reference %s, %lld audit records, signed by %s%s\n", path,
               (long long)json_integer_value(json_object_get(report, "alert")),
               reference ? reference : "(none)",
               (long long)json_integer_value(json_object_get(report, "audit_records")),
               json_string_value(json_object_get(report, "public_key")),
               anchors ? " (the anchor file's key)" : " (key not checked: give --anchors)");
        json_decref(report);
    }
    lfr_ctx_free(ctx);
    return status;
}
