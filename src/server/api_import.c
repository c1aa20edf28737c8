/* server/api_import.c - a watchlist from a spreadsheet (issue 15 item 6):
 * a CSV (RFC 4180) of entries with their photos, each row put through the
 * same checks as one entry added by hand (WL-1..8) and reported on its own.
 *
 * The whole CSV is read before any row is added, so a malformed file or a
 * wrong header changes nothing. A row refused (no photo, an unusable face,
 * a missing reason) is reported and the others go on. */
#include "internal.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define IMPORT_MAX_ROWS 500

enum {
    C_PERSON,
    C_CATEGORY,
    C_REASON,
    C_SOURCE,
    C_BASIS,
    C_DATE,
    C_EXTRA,
    C_CHILD,
    C_PHOTO,
    N_COLS
};

static const char *const column_names[N_COLS] = {
    "person_ref",          "category", "reason", "source", "legal_basis", "photo_date",
    "extra_justification", "child",    "photo"};
static const int column_required[N_COLS] = {1, 1, 1, 1, 1, 1, 0, 0, 1};

typedef struct import {
    request *r;
    json_t *photos;  /* file name -> base64, from the body */
    json_t *report;  /* one object per row */
    json_t *used;    /* photo names a row used */
    int col[N_COLS]; /* each column's place in the file, -1 if absent */
    int n_fields;    /* in the header */
    int rows, added; /* data rows seen, rows added */
    int adding;      /* 0: the first pass, which only checks the file */
} import;

static int read_header(lfr_ctx *ctx, import *im, int n, const char *const *fields)
{
    for (int c = 0; c < N_COLS; c++)
        im->col[c] = -1;
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < N_COLS && strcasecmp(fields[i], column_names[c]))
            c++;
        if (c == N_COLS)
            return lfr_fail(ctx, LFR_EINVAL,
                            "import: column '%.64s' is not one of person_ref, category, reason, "
                            "source, legal_basis, photo_date, extra_justification, child, photo",
                            fields[i]);
        if (im->col[c] >= 0)
            return lfr_fail(ctx, LFR_EINVAL, "import: column '%s' twice", column_names[c]);
        im->col[c] = i;
    }
    for (int c = 0; c < N_COLS; c++)
        if (column_required[c] && im->col[c] < 0)
            return lfr_fail(ctx, LFR_EINVAL, "import: the header has no '%s' column",
                            column_names[c]);
    im->n_fields = n;
    return LFR_OK;
}

static const char *field(const import *im, const char *const *fields, int c)
{
    return im->col[c] >= 0 ? fields[im->col[c]] : NULL;
}

/* A row's photo, decoded; NULL with the reason in ctx. */
static uint8_t *row_photo(lfr_ctx *ctx, import *im, const char *name, size_t *len, size_t *cap)
{
    const char *b64 = json_string_value(json_object_get(im->photos, name));
    if (!*name) return lfr_fail(ctx, LFR_EINVAL, "no photo named in the row"), NULL;
    if (!b64)
        return lfr_fail(ctx, LFR_EINVAL, "photo '%.128s' is not among the files sent", name), NULL;
    json_array_append_new(im->used, json_string(name));
    size_t b64_len = strlen(b64);
    *cap = b64_len / 4 * 3 + 3;
    uint8_t *photo = lfr_alloc(*cap);
    if (!photo) return lfr_fail(ctx, LFR_ENOMEM, "out of memory"), NULL;
    if (sodium_base642bin(photo, *cap, b64, b64_len, NULL, len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        *len == 0) {
        lfr_wipe_free(photo, *cap);
        return lfr_fail(ctx, LFR_EINVAL, "photo '%.128s' is not base64", name), NULL;
    }
    return photo;
}

/* Adds one data row; its outcome goes in the report, never up: one bad row
 * does not stop the others. */
static void add_row(import *im, int line, const char *const *fields)
{
    request *r = im->r;
    lfr_ctx *ctx = r->ctx;
    lfr_watchlist_entry e = {.person_ref = field(im, fields, C_PERSON),
                             .category = field(im, fields, C_CATEGORY),
                             .reason = field(im, fields, C_REASON),
                             .source = field(im, fields, C_SOURCE),
                             .legal_basis = field(im, fields, C_BASIS),
                             .photo_date = field(im, fields, C_DATE),
                             .extra_justification = field(im, fields, C_EXTRA)};
    const char *child = field(im, fields, C_CHILD);
    json_t *row = json_pack("{s:i,s:s}", "line", line, "person_ref", e.person_ref);
    if (e.extra_justification && !*e.extra_justification) e.extra_justification = NULL;
    int64_t id = 0;
    json_t *flags = NULL;
    size_t len = 0, cap = 0;
    uint8_t *photo = NULL;
    int rc = LFR_OK;
    lfr_ctx_clear(ctx);
    if (child && *child && strcasecmp(child, "no") && strcasecmp(child, "false") &&
        strcmp(child, "0")) {
        if (strcasecmp(child, "yes") && strcasecmp(child, "true") && strcmp(child, "1"))
            rc = lfr_fail(ctx, LFR_EINVAL, "child is yes or no, not '%.32s'", child);
        e.child = 1;
    }
    if (!rc && !(photo = row_photo(ctx, im, field(im, fields, C_PHOTO), &len, &cap)))
        rc = lfr_errcode(ctx);
    if (!rc) rc = watchlist_add_entry(r, &e, photo, len, &id, &flags);
    if (photo) lfr_wipe_free(photo, cap);
    im->added += !rc;
    json_array_append_new(im->report, watchlist_row_result(r, row, rc, id, flags));
}

static int on_record(lfr_ctx *ctx, int line, int n, const char *const *fields, void *arg)
{
    import *im = arg;
    if (!im->n_fields) return read_header(ctx, im, n, fields);
    if (n != im->n_fields)
        return lfr_fail(ctx, LFR_EINVAL, "import line %d: %d fields where the header has %d", line,
                        n, im->n_fields);
    if (++im->rows > IMPORT_MAX_ROWS)
        return lfr_fail(ctx, LFR_ELIMIT, "import: more than %d entries: send them in parts",
                        IMPORT_MAX_ROWS);
    if (im->adding) add_row(im, line, fields);
    return LFR_OK;
}

/* The body held every photo: it goes, and so do the parsed strings. */
static void wipe_body(request *r, json_t *body)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(body, "photos"), key, v)
    {
        if (json_is_string(v)) sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
    sodium_memzero(r->body, r->body_len);
}

enum MHD_Result api_watchlist_import(request *r)
{
    static const body_field spec[] = {
        {"csv", JSON_STRING, 1}, {"photos", JSON_OBJECT, 1}, {NULL, 0, 0}};
    json_t *body = body_object(r, spec);
    if (!body) return MHD_YES;
import im = {.r = r, .photos = json_object_get(body, "photos") };
    const char *key;
    json_t *v;
    enum MHD_Result ret = MHD_YES;
    /* Outside the role, one answer for the file rather than one per row. */
    if (lfr_actor_need(r->ctx, &r->sess.actor, LFR_ROLE_APPLICANT, "importing a watchlist")) {
        ret = reply_rc(r, lfr_errcode(r->ctx));
        goto done;
    }
    json_object_foreach(im.photos, key, v)
    {
        if (!json_is_string(v)) {
            ret = reply_error(r, 400, "bad_request", "photos: '%.64s' is not a base64 string", key);
            goto done;
        }
    }
    const char *csv = body_str(body, "csv");
    size_t csv_len = json_string_length(json_object_get(body, "csv"));
    /* First the whole file: nothing is added from a file that is wrong. */
    int rc = lfr_csv_parse(r->ctx, "import", csv, csv_len, on_record, &im);
    if (!rc && !im.rows) rc = lfr_fail(r->ctx, LFR_EINVAL, "import: the file has no entries");
    if (rc) {
        ret = reply_rc(r, rc);
        goto done;
    }
    if (!gate_enter(&photo_decodes)) {
        ret = reply_busy(r, "too many photos are being checked at once");
        goto done;
    }
    im.report = json_array();
    im.used = json_array();
    im.rows = im.n_fields = 0;
    im.adding = 1;
    rc = lfr_csv_parse(r->ctx, "import", csv, csv_len, on_record, &im);
    gate_leave(&photo_decodes);
    json_t *unused = json_array();
    json_object_foreach(im.photos, key, v)
    {
        size_t i;
        json_t *u;
        int found = 0;
        json_array_foreach(im.used, i, u) found |= !strcmp(json_string_value(u), key);
        if (!found) json_array_append_new(unused, json_string(key));
    }
    json_decref(im.used);
    if (rc) /* out of memory part way: what was added stays, and says so */
        json_array_append_new(im.report,
                              json_pack("{s:{s:s,s:s}}", "error", "code", lfr_err_api_code(rc),
                                        "message", lfr_errmsg(r->ctx)));
    slog(LOG_INFO, "watchlist.import", "deployment=%lld rows=%d added=%d", (long long)r->ids[0],
         im.rows, im.added);
    ret = reply_json(r, 200,
                     json_pack("{s:i,s:i,s:o,s:o}", "added", im.added, "refused",
                               im.rows - im.added, "rows", im.report, "unused_photos", unused));
done:
    wipe_body(r, body);
    json_decref(body);
    return ret;
}
