/* audit/audit.c - appending to and verifying the hash-chained audit log. */
#include "lfr/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define HASH_BYTES LFR_AUDIT_HASH_BYTES

/* The canonical form hashed for a record: each field length-prefixed (so
 * no choice of text can make two records hash alike). */
void lfr_audit_record_hash(const unsigned char prev[HASH_BYTES], int64_t seq, int64_t time_ms,
                           const char *actor, const char *action, const char *object,
                           const char *details, unsigned char out[HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
    crypto_generichash_update(&st, prev, HASH_BYTES);
    int64_t nums[2] = {seq, time_ms};
    for (int i = 0; i < 2; i++) {
        unsigned char b[8];
        for (int k = 0; k < 8; k++)
            b[k] = (unsigned char)((uint64_t)nums[i] >> (8 * k));
        crypto_generichash_update(&st, b, 8);
    }
    const char *fields[4] = {actor, action, object, details};
    for (int i = 0; i < 4; i++) {
        uint32_t n = (uint32_t)strlen(fields[i]);
        unsigned char b[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                              (unsigned char)(n >> 24)};
        crypto_generichash_update(&st, b, 4);
        crypto_generichash_update(&st, (const unsigned char *)fields[i], n);
    }
    crypto_generichash_final(&st, out, HASH_BYTES);
}

static int check_field(lfr_ctx *ctx, const char *name, const char *v, size_t max)
{
    if (!v || !*v) return lfr_fail(ctx, LFR_EINVAL, "audit: %s is empty", name);
    if (strlen(v) > max) return lfr_fail(ctx, LFR_EINVAL, "audit: %s is over %zu bytes", name, max);
    return LFR_OK;
}

/* The new record after the head, inside the caller's transaction: its
 * write lock keeps one chain when several processes append at once. */
static int append_record(lfr_ctx *ctx, lfr_store *s, const char *actor, const char *action,
                         const char *object, const char *details)
{
    int rc;
    lfr_stmt *last = NULL, *ins = NULL;
    unsigned char prev[HASH_BYTES] = {0}, hash[HASH_BYTES];
    int64_t seq = 1;
    if ((rc = lfr_stmt_prepare(ctx, s, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                               &last)))
        return rc;
    rc = lfr_stmt_step(ctx, last);
    if (rc == 1) {
        size_t n = 0;
        const void *h = lfr_stmt_blob(last, 1, &n);
        if (n != HASH_BYTES) {
            long long damaged = (long long)lfr_stmt_int64(last, 0);
            lfr_stmt_free(last);
            return lfr_fail(ctx, LFR_EFORMAT, "audit: record %lld has a damaged hash", damaged);
        }
        memcpy(prev, h, HASH_BYTES);
        seq = lfr_stmt_int64(last, 0) + 1;
        rc = LFR_OK;
    }
    lfr_stmt_free(last);
    if (rc < 0) return rc;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t time_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    lfr_audit_record_hash(prev, seq, time_ms, actor, action, object, details, hash);
    if ((rc = lfr_stmt_prepare(ctx, s,
                               "INSERT INTO audit_log (seq, time_ms, actor, action, object, "
                               "details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
                               &ins)))
        return rc;
    if ((rc = lfr_stmt_bind_int64(ctx, ins, 1, seq)) ||
        (rc = lfr_stmt_bind_int64(ctx, ins, 2, time_ms)) ||
        (rc = lfr_stmt_bind_text(ctx, ins, 3, actor)) ||
        (rc = lfr_stmt_bind_text(ctx, ins, 4, action)) ||
        (rc = lfr_stmt_bind_text(ctx, ins, 5, object)) ||
        (rc = lfr_stmt_bind_text(ctx, ins, 6, details)) ||
        (rc = lfr_stmt_bind_blob(ctx, ins, 7, prev, HASH_BYTES)) ||
        (rc = lfr_stmt_bind_blob(ctx, ins, 8, hash, HASH_BYTES)))
        goto done;
    rc = lfr_stmt_step(ctx, ins);
    if (rc > 0) rc = LFR_OK;
done:
    lfr_stmt_free(ins);
    return rc;
}

int lfr_audit_append(lfr_ctx *ctx, lfr_store *s, const char *actor, const char *action,
                     const char *object, const char *details)
{
    if (!details) details = "{}";
    int rc;
    if ((rc = check_field(ctx, "actor", actor, LFR_AUDIT_FIELD_MAX)) ||
        (rc = check_field(ctx, "action", action, LFR_AUDIT_FIELD_MAX)) ||
        (rc = check_field(ctx, "object", object, LFR_AUDIT_FIELD_MAX)) ||
        (rc = check_field(ctx, "details", details, LFR_AUDIT_DETAILS_MAX)))
        return rc;
    json_error_t err;
    json_t *d = json_loads(details, JSON_REJECT_DUPLICATES, &err);
    int is_object = json_is_object(d);
    json_decref(d);
    if (!is_object) return lfr_fail(ctx, LFR_EINVAL, "audit: details must be a JSON object");
    if (lfr_store_in_transaction(s)) return append_record(ctx, s, actor, action, object, details);
    if ((rc = lfr_store_begin(ctx, s))) return rc;
    if ((rc = append_record(ctx, s, actor, action, object, details)) ||
        (rc = lfr_store_commit(ctx, s)))
        lfr_store_rollback(s);
    return rc;
}

int lfr_audit_verify(lfr_ctx *ctx, lfr_store *s, lfr_audit_report *r)
{
    memset(r, 0, sizeof *r);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, s,
                              "SELECT seq, time_ms, actor, action, object, details, prev_hash, "
                              "hash FROM audit_log ORDER BY seq",
                              &st);
    if (rc) return rc;
    unsigned char prev[HASH_BYTES] = {0}, want[HASH_BYTES];
    int64_t expect_seq = 1;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        r->records++;
        int64_t seq = lfr_stmt_int64(st, 0);
        size_t n_prev = 0, n_hash = 0;
        const void *p = lfr_stmt_blob(st, 6, &n_prev), *h = lfr_stmt_blob(st, 7, &n_hash);
        const char *problem = NULL;
        if (seq != expect_seq)
            problem = "a record is missing before this one";
        else if (n_prev != HASH_BYTES || memcmp(p, prev, HASH_BYTES))
            problem = "its link to the previous record is broken";
        else {
            lfr_audit_record_hash(prev, seq, lfr_stmt_int64(st, 1), lfr_stmt_text(st, 2),
                                  lfr_stmt_text(st, 3), lfr_stmt_text(st, 4), lfr_stmt_text(st, 5),
                                  want);
            if (n_hash != HASH_BYTES || memcmp(h, want, HASH_BYTES))
                problem = "its content does not match its hash (changed after writing)";
        }
        if (problem && !r->first_bad_seq) {
            r->first_bad_seq = seq;
            snprintf(r->problem, sizeof r->problem, "%s", problem);
            break;
        }
        memcpy(prev, h, HASH_BYTES);
        expect_seq = seq + 1;
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int lfr_audit_export(lfr_ctx *ctx, lfr_store *s, FILE *out)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, s,
                              "SELECT seq, time_ms, actor, action, object, details, hash "
                              "FROM audit_log ORDER BY seq",
                              &st);
    if (rc) return rc;
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        size_t n = 0;
        const unsigned char *h = lfr_stmt_blob(st, 6, &n);
        char hex[2 * HASH_BYTES + 1] = "";
        if (n == HASH_BYTES) sodium_bin2hex(hex, sizeof hex, h, n);
        json_error_t err;
        json_t *details = json_loads(lfr_stmt_text(st, 5), 0, &err);
        json_t *rec =
            json_pack("{s:I,s:I,s:s,s:s,s:s,s:o,s:s}", "seq", (json_int_t)lfr_stmt_int64(st, 0),
                      "time_ms", (json_int_t)lfr_stmt_int64(st, 1), "actor", lfr_stmt_text(st, 2),
                      "action", lfr_stmt_text(st, 3), "object", lfr_stmt_text(st, 4), "details",
                      details ? details : json_string(lfr_stmt_text(st, 5)), "hash", hex);
        char *line = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_decref(rec);
        if (!line || fprintf(out, "%s\n", line) < 0) {
            free(line);
            rc = lfr_fail(ctx, line ? LFR_EIO : LFR_ENOMEM, "audit export: cannot write");
            break;
        }
        free(line);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}
