/* policy/seal.c - what is kept encrypted in the database: watchlist photos
 * and templates, alert crops, blue list templates (PRI-5). Each is sealed
 * with the watchlist key (a file outside the database, lfr_policy_load_key)
 * and bound to its place, the table, column and row it belongs to, as
 * associated data: a blob copied or swapped into another row does not
 * open there (issue 13 item 18).
 *
 * A sealed blob: "LFS\2" || 24-byte nonce || XChaCha20-Poly1305 of the
 * plain text, with "place\0" and the row number (8 bytes, little-endian)
 * as associated data. Blobs of the first format (secretbox, bound to
 * nothing) are sealed again in place when a policy opens the database. */
#include "internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAGIC "LFS\2"
#define MAGIC_LEN 4
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define OVERHEAD (MAGIC_LEN + NONCE + TAG)

int lfr_policy_load_key(lfr_ctx *ctx, const char *path, unsigned char key[32])
{
    unsigned char fresh[32];
    randombytes_buf(fresh, sizeof fresh); /* used only if there is no key yet */
    int rc = lfr_secret_file(ctx, path, "key", key, 32, fresh);
    sodium_memzero(fresh, sizeof fresh);
    return rc;
}

/* The associated data of a place and row. */
static size_t bind_data(const char *place, int64_t row, unsigned char *ad, size_t len)
{
    size_t n = strlen(place) + 1;
    if (n + 8 > len) n = len - 8;
    memcpy(ad, place, n);
    for (int k = 0; k < 8; k++)
        ad[n + (size_t)k] = (unsigned char)((uint64_t)row >> (8 * k));
    return n + 8;
}

int policy_seal(lfr_ctx *ctx, const lfr_policy *p, const char *place, int64_t row,
                const void *plain, size_t n, uint8_t **out, size_t *out_len)
{
    *out_len = OVERHEAD + n;
    *out = lfr_alloc(*out_len);
    if (!*out) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    unsigned char ad[96];
    size_t ad_len = bind_data(place, row, ad, sizeof ad);
    memcpy(*out, MAGIC, MAGIC_LEN);
    randombytes_buf(*out + MAGIC_LEN, NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt(*out + MAGIC_LEN + NONCE, NULL, plain, n, ad, ad_len,
                                               NULL, *out + MAGIC_LEN, p->key);
    return LFR_OK;
}

int policy_open(const lfr_policy *p, const char *place, int64_t row, const uint8_t *box, size_t n,
                void *plain, size_t plain_n)
{
    if (!p->have_key || n != OVERHEAD + plain_n || memcmp(box, MAGIC, MAGIC_LEN)) return -1;
    unsigned char ad[96];
    size_t ad_len = bind_data(place, row, ad, sizeof ad);
    return crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, box + MAGIC_LEN + NONCE,
                                                      n - MAGIC_LEN - NONCE, ad, ad_len,
                                                      box + MAGIC_LEN, p->key);
}

int policy_open_alloc(lfr_ctx *ctx, const lfr_policy *p, const char *place, int64_t row,
                      const uint8_t *box, size_t n, uint8_t **plain, size_t *plain_n)
{
    *plain = NULL;
    *plain_n = 0;
    if (n <= OVERHEAD) return lfr_fail(ctx, LFR_EFORMAT, "%s %lld: damaged", place, (long long)row);
    uint8_t *buf = lfr_locked_alloc(n - OVERHEAD);
    if (!buf) return lfr_locked_fail(ctx, place);
    if (policy_open(p, place, row, box, n, buf, n - OVERHEAD)) {
        lfr_locked_free(buf);
        return lfr_fail(ctx, LFR_EFORMAT,
                        "%s %lld does not open with this key, or was sealed for another row "
                        "(copied or swapped)",
                        place, (long long)row);
    }
    *plain = buf;
    *plain_n = n - OVERHEAD;
    return LFR_OK;
}

/* A blob of the first format: nonce || secretbox, bound to nothing. */
static int open_unbound(const lfr_policy *p, const uint8_t *box, size_t n, uint8_t **plain,
                        size_t *plain_n)
{
    size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (n <= overhead || !(*plain = lfr_alloc(n - overhead))) return -1;
    *plain_n = n - overhead;
    if (crypto_secretbox_open_easy(*plain, box + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, box, p->key)) {
        lfr_free(*plain);
        *plain = NULL;
        return -1;
    }
    return 0;
}

/* The places where sealed blobs are kept. */
static const struct {
    const char *table, *column;
} places[] = {{"watchlist_entries", "photo"},
              {"watchlist_entries", "template"},
              {"alerts", "crop"},
              {"blue_entries", "template"}};

int policy_rebind(lfr_ctx *ctx, lfr_policy *p)
{
    int rc = lfr_store_begin(ctx, p->s), resealed = 0;
    for (size_t k = 0; !rc && k < sizeof places / sizeof places[0]; k++) {
        char sql[256], place[64];
        snprintf(place, sizeof place, "%s.%s", places[k].table, places[k].column);
        snprintf(sql, sizeof sql,
                 "SELECT id, %s FROM %s WHERE %s IS NOT NULL AND substr(%s, 1, 4) <> ?",
                 places[k].column, places[k].table, places[k].column, places[k].column);
        lfr_stmt *st = NULL, *up = NULL;
        if ((rc = lfr_stmt_prepare(ctx, p->s, sql, &st)) ||
            (rc = lfr_stmt_bind_blob(ctx, st, 1, MAGIC, MAGIC_LEN))) {
            lfr_stmt_free(st);
            break;
        }
        char upd[160];
        snprintf(upd, sizeof upd, "UPDATE %s SET %s = ? WHERE id = ?", places[k].table,
                 places[k].column);
        if ((rc = lfr_stmt_prepare(ctx, p->s, upd, &up))) {
            lfr_stmt_free(st);
            break;
        }
        while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
            rc = LFR_OK;
            int64_t id = lfr_stmt_int64(st, 0);
            size_t n = 0, plain_n = 0, box_n = 0;
            const uint8_t *old = lfr_stmt_blob(st, 1, &n);
            uint8_t *plain = NULL, *box = NULL;
            if (open_unbound(p, old, n, &plain, &plain_n)) {
                rc = lfr_fail(ctx, LFR_EREFUSED,
                              "%s %lld does not open with this key: a wrong or replaced key "
                              "file (nothing was changed)",
                              place, (long long)id);
                break;
            }
            rc = policy_seal(ctx, p, place, id, plain, plain_n, &box, &box_n);
            lfr_wipe_free(plain, plain_n);
            if (!rc && !(rc = lfr_stmt_reset(ctx, up)) &&
                !(rc = lfr_stmt_bind_blob(ctx, up, 1, box, box_n)) &&
                !(rc = lfr_stmt_bind_int64(ctx, up, 2, id)))
                rc = lfr_stmt_step(ctx, up) < 0 ? lfr_errcode(ctx) : LFR_OK;
            lfr_free(box);
            resealed += !rc;
        }
        lfr_stmt_free(up);
        lfr_stmt_free(st);
        if (rc > 0) rc = LFR_OK;
    }
    if (!rc && resealed)
        rc = audit(ctx, p, NULL, "settings.reseal", 0, "settings",
                   json_pack("{s:i,s:s}", "blobs", resealed, "why",
                             "each sealed photo, template and crop bound to its row"));
    return finish(ctx, p, rc);
}

int policy_key_check(lfr_ctx *ctx, const lfr_policy *p)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT 'watchlist_entries.photo', id, photo FROM watchlist_entries "
                              "WHERE photo IS NOT NULL AND substr(photo, 1, 4) = ?1 "
                              "UNION ALL SELECT 'alerts.crop', id, crop FROM alerts WHERE crop IS "
                              "NOT NULL AND substr(crop, 1, 4) = ?1 LIMIT 1",
                              &st);
    if (!rc) rc = lfr_stmt_bind_blob(ctx, st, 1, MAGIC, MAGIC_LEN);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 1) {
        size_t n = 0, plain_n = 0;
        const uint8_t *box = lfr_stmt_blob(st, 2, &n);
        uint8_t *plain = NULL;
        rc = policy_open_alloc(ctx, p, lfr_stmt_text(st, 0), lfr_stmt_int64(st, 1), box, n, &plain,
                               &plain_n);
        lfr_locked_free(plain);
        if (rc)
            rc = lfr_fail(ctx, LFR_EREFUSED,
                          "the watchlist key does not open the photos sealed in this database: "
                          "a wrong, mistyped or replaced key file (nothing was changed; start "
                          "with the key the data was sealed with)");
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}

int policy_destroy_sealed(lfr_ctx *ctx, lfr_policy *p, const char *sql, const char *action,
                          int64_t deployment, int64_t now_ms)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, now_ms);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 2, deployment);
    if (!rc) rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    int n = lfr_store_changes(p->s);
    lfr_stmt_free(st);
    if (!rc && n > 0)
        rc =
            audit(ctx, p, NULL, action, deployment, "deployment", json_pack("{s:i}", "entries", n));
    return rc;
}
