/* policy/evidence.c - evidence holds (issue 15 item 3).
 *
 * An alert needed for proceedings is held: by a named officer, for a
 * reason and a case reference, until a date. While it is held, retention
 * passes it by (PRI-3 is the rule, the hold its recorded exception), and
 * the hold keeps its own sealed copy of the watchlist photo, so that the
 * watchlist's destruction at the deployment's end (WL-8) does not take
 * it. A release, or the date passing, ends the hold and destroys that
 * copy; the alert then goes at its retention time like any other.
 *
 * A held alert can be exported as an evidence bundle: both faces, the
 * alert's facts, its decision and outcome, and every audit record about it
 * with its hashes, signed with the audit anchor's Ed25519 key (whose public
 * half heads the anchor file), so that anyone holding the force's anchor
 * file can check that nothing in the bundle changed after the system made
 * it (lfr_evidence_verify). */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define HOLD_MAX_DAYS 730 /* a date to review the hold by: renewable */
#define HOLDERS (LFR_ROLE_OPERATOR | LFR_ROLE_ENGAGEMENT | LFR_ROLE_AUTHORISER)
#define RELEASERS (LFR_ROLE_AUTHORISER | LFR_ROLE_AUDITOR)
#define FACE_ROLES (LFR_ROLE_OPERATOR | LFR_ROLE_ENGAGEMENT)
#define BUNDLE_FORMAT "openlfr-evidence-bundle/1"
/* What the signature covers: this label, then the payload's bytes. The
 * label keeps a bundle from ever passing for an audit anchor line. */
#define SIGNED_LABEL BUNDLE_FORMAT "\n"

/* The alert's open hold: *hold 0 when it has none. */
static int open_hold(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int64_t *hold, int64_t *until_ms)
{
    *hold = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, until_ms FROM evidence_holds WHERE alert_id = ? AND "
                              "released_ms IS NULL",
                              &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, alert)) &&
        (rc = lfr_stmt_step(ctx, st)) == 1) {
        *hold = lfr_stmt_int64(st, 0);
        if (until_ms) *until_ms = lfr_stmt_int64(st, 1);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

static int run(lfr_ctx *ctx, lfr_policy *p, const char *sql, const int64_t *nums, int n_nums,
               const char *const *texts, int n_texts)
{
    return policy_exec(ctx, p->s, sql, nums, n_nums, texts, n_texts);
}

/* The watchlist photo, sealed again into the hold while the entry still
 * has it: *kept 0 when the watchlist was already destroyed. */
static int keep_photo(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int64_t hold, int *kept)
{
    *kept = 0;
    uint8_t *photo = NULL, *box = NULL;
    size_t len = 0, box_len = 0;
    int rc = policy_alert_image(ctx, p, alert, 1, &photo, &len);
    if (rc == LFR_ENOENT) return LFR_OK; /* destroyed (WL-8): the bundle will say so */
    if (!rc) rc = policy_seal(ctx, p, "evidence_holds.photo", hold, photo, len, &box, &box_len);
    lfr_locked_free(photo);
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s, "UPDATE evidence_holds SET photo = ? WHERE id = ?",
                                &st)) &&
        !(rc = lfr_stmt_bind_blob(ctx, st, 1, box, box_len)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 2, hold)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    lfr_free(box);
    *kept = !rc;
    return rc;
}

int lfr_alert_hold(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                   const char *reason, const char *reference, int64_t until_ms, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, HOLDERS, "holding an alert as evidence");
    if (rc || (rc = text_check(ctx, "evidence hold: reason", reason, 1000, 1)) ||
        (rc = text_check(ctx, "evidence hold: reference", reference, 100, 0)))
        return rc;
    if (until_ms <= now_ms || until_ms > now_ms + HOLD_MAX_DAYS * DAY_MS)
        return lfr_fail(ctx, LFR_EINVAL,
                        "evidence hold: until is a time within the next %d days (a hold is "
                        "renewed before it lapses)",
                        HOLD_MAX_DAYS);
    if (!p->have_key)
        return lfr_fail(ctx, LFR_EREFUSED, "evidence hold: no key to keep the photo sealed");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    int64_t hold = 0, old_until = 0;
    if (policy_count(ctx, p, "SELECT count(*) FROM alerts WHERE id = ?", alert) != 1)
        rc = lfr_fail(ctx, LFR_ENOENT, "no alert %lld (deleted at the end of retention?)",
                      (long long)alert);
    if (!rc) rc = open_hold(ctx, p, alert, &hold, &old_until);
    if (!rc && hold) {
        /* A renewal: a new date, reason or reference; the photo stays. */
        const int64_t nums[] = {until_ms, hold};
        const char *const texts[] = {reason, reference};
        rc = run(ctx, p,
                 "UPDATE evidence_holds SET until_ms = ?1, reason = ?3, reference = ?4 WHERE "
                 "id = ?2",
                 nums, 2, texts, 2);
        if (!rc)
            rc = audit(ctx, p, actor, "alert.hold", alert, "alert",
                       json_pack("{s:b,s:I,s:I,s:s,s:s}", "renewed", 1, "previous_until_ms",
                                 (json_int_t)old_until, "until_ms", (json_int_t)until_ms, "reason",
                                 reason, "reference", reference));
    } else if (!rc) {
        const int64_t nums[] = {alert, actor->id, now_ms, until_ms};
        const char *const texts[] = {reason, reference};
        rc = run(ctx, p,
                 "INSERT INTO evidence_holds (alert_id, held_by, held_ms, until_ms, reason, "
                 "reference) VALUES (?,?,?,?,?,?)",
                 nums, 4, texts, 2);
        int kept = 0;
        if (!rc) rc = keep_photo(ctx, p, alert, lfr_store_last_id(p->s), &kept);
        if (!rc)
            rc = audit(ctx, p, actor, "alert.hold", alert, "alert",
                       json_pack("{s:I,s:s,s:s,s:b}", "until_ms", (json_int_t)until_ms, "reason",
                                 reason, "reference", reference, "watchlist_photo_kept", kept));
    }
    return finish(ctx, p, rc);
}

/* Ends a hold: its copy of the photo destroyed, the row kept as its
 * record. by 0: the system (the hold lapsed). */
static int end_hold(lfr_ctx *ctx, lfr_policy *p, int64_t hold, int64_t by, const char *why,
                    int64_t now_ms)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "UPDATE evidence_holds SET released_by = ?, released_ms = ?, "
                              "release_reason = ?, photo = NULL WHERE id = ?",
                              &st);
    /* by 0 binds NULL: no user released it. */
    if (!rc && !(rc = lfr_stmt_bind_null(ctx, st, 1)) && by)
        rc = lfr_stmt_bind_int64(ctx, st, 1, by);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 2, now_ms)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, why)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, hold)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int lfr_alert_release(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                      const char *why, int64_t now_ms)
{
    int rc = lfr_actor_need(ctx, actor, RELEASERS, "releasing an evidence hold");
    if (rc || (rc = text_check(ctx, "evidence release: reason", why, 1000, 1))) return rc;
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    int64_t hold = 0;
    rc = open_hold(ctx, p, alert, &hold, NULL);
    if (!rc && !hold)
        rc = lfr_fail(ctx, LFR_EREFUSED, "alert %lld is not held as evidence", (long long)alert);
    if (!rc) rc = end_hold(ctx, p, hold, actor->id, why, now_ms);
    if (!rc)
        rc = audit(ctx, p, actor, "alert.release", alert, "alert",
                   json_pack("{s:s}", "reason", why));
    return finish(ctx, p, rc);
}

int evidence_lapse(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms)
{
    /* Every hold past its date, a page at a time: none may keep its alert
     * past this run. */
    int n = 0, rc = LFR_OK;
    do {
        lfr_stmt *st = NULL;
        int64_t holds[256], alerts[256];
        n = 0;
        rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, alert_id FROM evidence_holds WHERE released_ms IS NULL "
                              "AND until_ms <= ? LIMIT 256",
                              &st);
        if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, now_ms);
        while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
            holds[n] = lfr_stmt_int64(st, 0);
            alerts[n++] = lfr_stmt_int64(st, 1);
            rc = LFR_OK;
        }
        lfr_stmt_free(st);
        if (rc < 0) return rc;
        rc = LFR_OK;
        for (int i = 0; i < n && !rc; i++) {
            rc = end_hold(ctx, p, holds[i], 0, "lapsed: its date passed without renewal", now_ms);
            if (!rc)
                rc = audit(ctx, p, NULL, "alert.hold_lapse", alerts[i], "alert",
                           json_pack("{s:s}", "reason", "the hold's date passed without renewal"));
        }
    } while (!rc && n == 256);
    return rc;
}

int lfr_evidence_holds(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int released,
                       json_t **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, HOLDERS | RELEASERS, "listing evidence holds");
    if (rc) return rc;
    lfr_stmt *st = NULL;
    json_t *arr = json_array();
    if (!(rc = lfr_stmt_prepare(
              ctx, p->s,
              "SELECT h.id, h.alert_id, (SELECT name FROM users WHERE id = h.held_by), h.held_ms, "
              "h.until_ms, h.reason, h.reference, h.photo IS NOT NULL, h.released_ms, "
              "coalesce((SELECT name FROM users WHERE id = h.released_by), 'system'), "
              "coalesce(h.release_reason, ''), a.id IS NOT NULL, coalesce(a.camera, ''), "
              "coalesce(a.time_ms, 0), coalesce(d.name, '') FROM evidence_holds h LEFT JOIN alerts "
              "a "
              "ON a.id = h.alert_id LEFT JOIN deployments d ON d.id = a.deployment_id WHERE "
              "h.released_ms IS NULL OR ? <> 0 ORDER BY h.released_ms IS NOT NULL, h.until_ms, "
              "h.id "
              "LIMIT 500",
              &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, released != 0)))
        while ((rc = lfr_stmt_step(ctx, st)) == 1) {
            json_t *row = json_pack(
                "{s:I,s:I,s:s,s:I,s:I,s:s,s:s,s:b,s:b,s:s,s:I,s:s}", "id",
                (json_int_t)lfr_stmt_int64(st, 0), "alert", (json_int_t)lfr_stmt_int64(st, 1),
                "held_by", lfr_stmt_text(st, 2), "held_ms", (json_int_t)lfr_stmt_int64(st, 3),
                "until_ms", (json_int_t)lfr_stmt_int64(st, 4), "reason", lfr_stmt_text(st, 5),
                "reference", lfr_stmt_text(st, 6), "watchlist_photo_kept",
                (int)lfr_stmt_int64(st, 7), "alert_kept", (int)lfr_stmt_int64(st, 11), "camera",
                lfr_stmt_text(st, 12), "time_ms", (json_int_t)lfr_stmt_int64(st, 13),
                "deployment_name", lfr_stmt_text(st, 14));
            if (row && !lfr_stmt_is_null(st, 8))
                json_object_set_new(
                    row, "released",
                    json_pack("{s:I,s:s,s:s}", "ms", (json_int_t)lfr_stmt_int64(st, 8), "by",
                              lfr_stmt_text(st, 9), "reason", lfr_stmt_text(st, 10)));
            json_array_append_new(arr, row);
        }
    lfr_stmt_free(st);
    if (rc >= 0) rc = audit_listing(ctx, p, actor, "alert.holds", 0, "evidence_holds", arr);
    if (rc < 0 || rc > 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

/* An image of the bundle: its SHA-256 and bytes, or why it is missing. */
static json_t *bundle_image(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int watchlist_photo,
                            int *rc)
{
    uint8_t *jpeg = NULL;
    size_t len = 0;
    *rc = policy_alert_image(ctx, p, alert, watchlist_photo, &jpeg, &len);
    if (*rc == LFR_ENOENT) {
        *rc = LFR_OK;
        return json_pack("{s:s}", "missing", lfr_errmsg(ctx));
    }
    if (*rc) return NULL;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof digest + 1];
    crypto_hash_sha256(digest, jpeg, len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = lfr_alloc(b64_len);
    json_t *img = NULL;
    if (b64) {
        sodium_bin2base64(b64, b64_len, jpeg, len, sodium_base64_VARIANT_ORIGINAL);
        img = json_pack("{s:s,s:I,s:s,s:s}", "media_type", "image/jpeg", "bytes", (json_int_t)len,
                        "sha256", hex, "base64", b64);
        lfr_wipe_free(b64, b64_len);
    }
    lfr_locked_free(jpeg);
    if (!img) *rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    return img;
}

/* Every audit record about the alert, in order, with its hashes. */
static json_t *bundle_trail(lfr_ctx *ctx, lfr_policy *p, int64_t alert, int *rc)
{
    char object[64];
    snprintf(object, sizeof object, "alert/%lld", (long long)alert);
    lfr_stmt *st = NULL;
    json_t *trail = json_array();
    *rc = lfr_stmt_prepare(ctx, p->s,
                           "SELECT seq, time_ms, actor, action, object, details, prev_hash, hash "
                           "FROM audit_log WHERE object = ? ORDER BY seq",
                           &st);
    if (!*rc) *rc = lfr_stmt_bind_text(ctx, st, 1, object);
    while (!*rc && (*rc = lfr_stmt_step(ctx, st)) == 1) {
        *rc = LFR_OK;
        char hex[2][2 * LFR_AUDIT_HASH_BYTES + 1] = {"", ""};
        for (int k = 0; k < 2; k++) {
            size_t n = 0;
            const void *h = lfr_stmt_blob(st, 6 + k, &n);
            if (n == LFR_AUDIT_HASH_BYTES) sodium_bin2hex(hex[k], sizeof hex[k], h, n);
        }
        json_array_append_new(
            trail,
            json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)lfr_stmt_int64(st, 0),
                      "time_ms", (json_int_t)lfr_stmt_int64(st, 1), "actor", lfr_stmt_text(st, 2),
                      "action", lfr_stmt_text(st, 3), "object", lfr_stmt_text(st, 4), "details",
                      lfr_stmt_text(st, 5), "prev_hash", hex[0], "hash", hex[1]));
    }
    lfr_stmt_free(st);
    if (*rc > 0) *rc = LFR_OK;
    return trail;
}

/* Who decided and when, who recorded the outcome and when. */
static json_t *bundle_people(lfr_ctx *ctx, lfr_policy *p, int64_t alert)
{
    lfr_stmt *st = NULL;
    json_t *who = json_object();
    if (!lfr_stmt_prepare(ctx, p->s,
                          "SELECT (SELECT name FROM users WHERE id = a.decided_by), a.decided_ms, "
                          "(SELECT name FROM users WHERE id = o.recorded_by), o.recorded_ms FROM "
                          "alerts a LEFT JOIN outcomes o ON o.alert_id = a.id WHERE a.id = ?",
                          &st) &&
        !lfr_stmt_bind_int64(ctx, st, 1, alert) && lfr_stmt_step(ctx, st) == 1) {
        if (!lfr_stmt_is_null(st, 0))
            json_object_set_new(who, "decision",
                                json_pack("{s:s,s:I}", "by", lfr_stmt_text(st, 0), "ms",
                                          (json_int_t)lfr_stmt_int64(st, 1)));
        if (!lfr_stmt_is_null(st, 2))
            json_object_set_new(who, "outcome",
                                json_pack("{s:s,s:I}", "by", lfr_stmt_text(st, 2), "ms",
                                          (json_int_t)lfr_stmt_int64(st, 3)));
    }
    lfr_stmt_free(st);
    return who;
}

/* The signed envelope around the payload's text. */
static char *bundle_sign(const lfr_audit_anchor *anchor, const char *payload)
{
    size_t label = strlen(SIGNED_LABEL), n = strlen(payload);
    unsigned char *doc = lfr_alloc(label + n), sig[crypto_sign_BYTES],
                  pk[crypto_sign_PUBLICKEYBYTES];
    if (!doc) return NULL;
    memcpy(doc, SIGNED_LABEL, label);
    memcpy(doc + label, payload, n);
    lfr_audit_anchor_sign(anchor, doc, label + n, sig, pk);
    lfr_wipe_free(doc, label + n);
    char sig_hex[2 * sizeof sig + 1], pk_hex[2 * sizeof pk + 1];
    sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
    sodium_bin2hex(pk_hex, sizeof pk_hex, pk, sizeof pk);
    json_t *env =
        json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "format", BUNDLE_FORMAT, "payload", payload,
                  "signature", "algorithm", "Ed25519", "public_key", pk_hex, "value", sig_hex,
                  "covers", "the text '" BUNDLE_FORMAT "' and a line feed, then payload's bytes");
    char *text = env ? json_dumps(env, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(env);
    return text;
}

int lfr_evidence_bundle(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t alert,
                        int64_t now_ms, char **out)
{
    *out = NULL;
    int rc = lfr_actor_need(ctx, actor, FACE_ROLES, "exporting an evidence bundle");
    if (rc) return rc;
    if (!p->anchor)
        return lfr_fail(ctx, LFR_EREFUSED,
                        "evidence bundles are signed with the audit anchor's key, and this "
                        "database has no anchor");
    if ((rc = lfr_store_begin(ctx, p->s))) return rc;
    int64_t hold = 0;
    json_t *payload = NULL, *row = NULL;
    if (!(rc = open_hold(ctx, p, alert, &hold, NULL)) && !hold)
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "alert %lld is not held as evidence: hold it first (who, why, until when)",
                      (long long)alert);
    if (!rc) rc = policy_alert_json(ctx, p, alert, &row);
    /* On the record before it is made, so the bundle's trail ends with it. */
    if (!rc)
        rc = audit(ctx, p, actor, "alert.evidence_export", alert, "alert",
                   json_pack("{s:O?}", "reference",
                             json_object_get(json_object_get(row, "hold"), "reference")));
    if (!rc) {
        payload =
            json_pack("{s:o,s:o,s:s,s:I}", "alert", row, "decided", bundle_people(ctx, p, alert),
                      "exported_by", actor->name, "exported_ms", (json_int_t)now_ms);
        row = NULL;
        if (!payload) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    const char *images[2] = {"crop", "watchlist_photo"};
    for (int k = 0; k < 2 && !rc; k++) {
        json_t *img = bundle_image(ctx, p, alert, k, &rc);
        if (img) json_object_set_new(payload, images[k], img);
    }
    if (!rc) json_object_set_new(payload, "audit_trail", bundle_trail(ctx, p, alert, &rc));
    char *text = NULL;
    if (!rc && !(text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (!rc && !(*out = bundle_sign(p->anchor, text)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    if (text) lfr_wipe_free(text, strlen(text));
    json_decref(payload);
    json_decref(row);
    rc = finish(ctx, p, rc);
    if (rc && *out) {
        lfr_wipe_free(*out, strlen(*out));
        *out = NULL;
    }
    return rc;
}

/* Checks one image of a bundle against its stated digest. */
static int verify_image(lfr_ctx *ctx, json_t *img, const char *what)
{
    if (!img || json_object_get(img, "missing")) return LFR_OK;
    const char *b64 = json_string_value(json_object_get(img, "base64"));
    const char *sha = json_string_value(json_object_get(img, "sha256"));
    if (!b64 || !sha) return lfr_fail(ctx, LFR_EFORMAT, "evidence bundle: %s has no bytes", what);
    size_t cap = strlen(b64), n = 0;
    unsigned char *bytes = lfr_alloc(cap + 1), digest[crypto_hash_sha256_BYTES];
    if (!bytes) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    int bad =
        sodium_base642bin(bytes, cap + 1, b64, cap, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL);
    char hex[2 * sizeof digest + 1] = "";
    if (!bad) {
        crypto_hash_sha256(digest, bytes, n);
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    }
    lfr_wipe_free(bytes, cap + 1);
    if (bad || strcmp(hex, sha))
        return lfr_fail(ctx, LFR_EREFUSED, "evidence bundle: %s does not match its SHA-256", what);
    return LFR_OK;
}

/* Checks that each audit record's hash is the one its fields give. */
static int verify_trail(lfr_ctx *ctx, json_t *trail)
{
    size_t i;
    json_t *r;
    json_array_foreach(trail, i, r)
    {
        unsigned char prev[LFR_AUDIT_HASH_BYTES], want[LFR_AUDIT_HASH_BYTES],
            got[LFR_AUDIT_HASH_BYTES];
        const char *prev_hex = json_string_value(json_object_get(r, "prev_hash"));
        const char *hash_hex = json_string_value(json_object_get(r, "hash"));
        const char *fields[4] = {json_string_value(json_object_get(r, "actor")),
                                 json_string_value(json_object_get(r, "action")),
                                 json_string_value(json_object_get(r, "object")),
                                 json_string_value(json_object_get(r, "details"))};
        size_t n1 = 0, n2 = 0;
        if (!prev_hex || !hash_hex || !fields[0] || !fields[1] || !fields[2] || !fields[3] ||
            sodium_hex2bin(prev, sizeof prev, prev_hex, strlen(prev_hex), NULL, &n1, NULL) ||
            sodium_hex2bin(want, sizeof want, hash_hex, strlen(hash_hex), NULL, &n2, NULL) ||
            n1 != sizeof prev || n2 != sizeof want)
            return lfr_fail(ctx, LFR_EFORMAT, "evidence bundle: audit record %zu is malformed",
                            i + 1);
        lfr_audit_record_hash(prev, json_integer_value(json_object_get(r, "seq")),
                              json_integer_value(json_object_get(r, "time_ms")), fields[0],
                              fields[1], fields[2], fields[3], got);
        if (sodium_memcmp(got, want, sizeof got))
            return lfr_fail(ctx, LFR_EREFUSED,
                            "evidence bundle: audit record %lld does not match its hash",
                            (long long)json_integer_value(json_object_get(r, "seq")));
    }
    return LFR_OK;
}

int lfr_evidence_verify(lfr_ctx *ctx, const char *bundle, const unsigned char *expected_key,
                        json_t **report)
{
    *report = NULL;
    json_error_t err;
    json_t *env = json_loads(bundle, JSON_REJECT_DUPLICATES, &err), *payload = NULL;
    int rc = LFR_OK;
    const char *text = json_string_value(json_object_get(env, "payload"));
    json_t *sig = json_object_get(env, "signature");
    const char *pk_hex = json_string_value(json_object_get(sig, "public_key"));
    const char *sig_hex = json_string_value(json_object_get(sig, "value"));
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], s[crypto_sign_BYTES];
    size_t n1 = 0, n2 = 0;
    const char *format = json_string_value(json_object_get(env, "format"));
    const char *algorithm = json_string_value(json_object_get(sig, "algorithm"));
    if (!env || !text || !pk_hex || !sig_hex || !format || strcmp(format, BUNDLE_FORMAT) ||
        !algorithm || strcmp(algorithm, "Ed25519") ||
        sodium_hex2bin(pk, sizeof pk, pk_hex, strlen(pk_hex), NULL, &n1, NULL) ||
        sodium_hex2bin(s, sizeof s, sig_hex, strlen(sig_hex), NULL, &n2, NULL) || n1 != sizeof pk ||
        n2 != sizeof s)
        rc = lfr_fail(ctx, LFR_EFORMAT, "not an evidence bundle (%s)",
                      env ? "its format, payload or signature is missing or malformed" : err.text);
    if (!rc) {
        size_t label = strlen(SIGNED_LABEL), n = strlen(text);
        unsigned char *doc = lfr_alloc(label + n);
        if (!doc) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        if (doc) {
            memcpy(doc, SIGNED_LABEL, label);
            memcpy(doc + label, text, n);
            if (crypto_sign_verify_detached(s, doc, label + n, pk))
                rc = lfr_fail(ctx, LFR_EREFUSED,
                              "evidence bundle: the signature does not match: it was changed "
                              "after it was signed");
            lfr_wipe_free(doc, label + n);
        }
    }
    if (!rc && expected_key && sodium_memcmp(pk, expected_key, sizeof pk))
        rc = lfr_fail(ctx, LFR_EREFUSED,
                      "evidence bundle: signed with another key than the anchor file's");
    if (!rc && !(payload = json_loads(text, JSON_REJECT_DUPLICATES, &err)))
        rc = lfr_fail(ctx, LFR_EFORMAT, "evidence bundle: its payload is not JSON: %s", err.text);
    if (!rc) rc = verify_image(ctx, json_object_get(payload, "crop"), "the captured face");
    if (!rc)
        rc = verify_image(ctx, json_object_get(payload, "watchlist_photo"), "the watchlist photo");
    json_t *trail = json_object_get(payload, "audit_trail");
    if (!rc && !json_is_array(trail))
        rc = lfr_fail(ctx, LFR_EFORMAT, "evidence bundle: no audit trail");
    if (!rc) rc = verify_trail(ctx, trail);
    if (!rc) {
        json_t *alert = json_object_get(payload, "alert");
        *report = json_pack(
            "{s:O?,s:O?,s:O?,s:O?,s:I,s:s,s:b,s:b,s:b}", "alert", json_object_get(alert, "id"),
            "reference", json_object_get(json_object_get(alert, "hold"), "reference"),
            "exported_by", json_object_get(payload, "exported_by"), "exported_ms",
            json_object_get(payload, "exported_ms"), "audit_records",
            (json_int_t)json_array_size(trail), "public_key", pk_hex, "key_checked",
            expected_key != NULL, "crop",
            json_object_get(json_object_get(payload, "crop"), "base64") != NULL, "watchlist_photo",
            json_object_get(json_object_get(payload, "watchlist_photo"), "base64") != NULL);
        if (!*report) rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    json_decref(payload);
    json_decref(env);
    return rc;
}
