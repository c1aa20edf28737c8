/* lfr/audit.h - the tamper-evident audit log (REQUIREMENTS SEC-2).
 *
 * Every create, change, view, export and deletion is appended with who did
 * it, when, what and to which object. Record n stores
 * BLAKE2b-256(hash of record n-1 || record n in canonical form), so changing,
 * removing or reordering any record breaks every hash after it, and
 * lfr_audit_verify names the first record that no longer verifies.
 */
#ifndef LFR_AUDIT_H
#define LFR_AUDIT_H

#include <stdio.h>

#include "lfr/store.h"

#define LFR_AUDIT_FIELD_MAX 256     /* actor, action, object */
#define LFR_AUDIT_DETAILS_MAX 16384 /* details (JSON text) */

/* Appends a record. Call inside the transaction of the change it records,
 * so that both happen or neither. details: a JSON object as text, or NULL
 * ("{}"). Refuses empty or overlong fields with LFR_EINVAL. */
int lfr_audit_append(lfr_ctx *ctx, lfr_store *s, const char *actor, const char *action,
                     const char *object, const char *details);

/* The hash of a record (LFR_AUDIT_HASH_BYTES): BLAKE2b-256 of the previous
 * record's hash and this record's fields, each length-prefixed, so that
 * whoever holds a run of records (an evidence bundle) can check them. */
#define LFR_AUDIT_HASH_BYTES 32
void lfr_audit_record_hash(const unsigned char prev[LFR_AUDIT_HASH_BYTES], int64_t seq,
                           int64_t time_ms, const char *actor, const char *action,
                           const char *object, const char *details,
                           unsigned char out[LFR_AUDIT_HASH_BYTES]);

typedef struct lfr_audit_report {
    int64_t records;
    int64_t first_bad_seq; /* 0: the chain is intact */
    char problem[256];     /* what is wrong with that record */
    int64_t anchored_seq;  /* the last anchor checked (0: none), and when it was written */
    int64_t anchored_ms;
} lfr_audit_report;

/* Checks the whole chain. LFR_OK whether or not it is intact: read the
 * report; an error code means the check itself could not run. */
int lfr_audit_verify(lfr_ctx *ctx, lfr_store *s, lfr_audit_report *r);

/* The anchor of the log outside the database (audit/anchor.c): the head's
 * sequence number and hash, signed with an Ed25519 key the database does
 * not hold, appended to a file of its own. It finds what the chain cannot:
 * the newest records deleted, or the whole log rewritten.
 *
 * Opens the anchor file at path with the key at key_path (both 0600). With
 * create, both are made when neither exists; one without the other, a key
 * that did not write the file, or a last anchor it did not sign is refused
 * with a message naming what was lost. */
typedef struct lfr_audit_anchor lfr_audit_anchor;
int lfr_audit_anchor_open(lfr_ctx *ctx, const char *path, const char *key_path, int create,
                          lfr_audit_anchor **out);
void lfr_audit_anchor_free(lfr_audit_anchor *a);
/* Where a database's anchor file and key live unless told otherwise:
 * DB.anchors and DB.anchor-key (for a PostgreSQL URL, beside
 * lfr_store_files_base). */
void lfr_audit_anchor_paths(const char *db, char *path, size_t path_len, char *key_path,
                            size_t key_len);
/* Anchors the log's head if it moved: at most once a second unless force
 * (at close). Refuses, anchoring nothing, when the log no longer holds the
 * last anchored record as it was. Call after a commit. */
int lfr_audit_anchor_update(lfr_ctx *ctx, lfr_audit_anchor *a, lfr_store *s, int force);
/* Checks the log against the last anchor, into the report (anchored_seq,
 * anchored_ms; first_bad_seq and problem when the log was truncated or
 * rewritten). Run after lfr_audit_verify: a broken chain is named first. */
int lfr_audit_anchor_check(lfr_ctx *ctx, const lfr_audit_anchor *a, lfr_store *s,
                           lfr_audit_report *r);

/* Signs a document with the anchor's key (Ed25519, 64 bytes into sig) and
 * gives its public key (32 bytes), the one the anchor file's header names:
 * what the force signs it exports (evidence bundles). The caller puts a
 * label of its own before the document, so that no document can pass for
 * an anchor line. */
void lfr_audit_anchor_sign(const lfr_audit_anchor *a, const void *doc, size_t len,
                           unsigned char sig[64], unsigned char public_key[32]);
/* The public key named in an anchor file's header (32 bytes), for checking
 * what was signed with its key without the key. */
int lfr_audit_anchor_file_key(lfr_ctx *ctx, const char *path, unsigned char public_key[32]);

/* Writes every record as one JSON object per line. */
int lfr_audit_export(lfr_ctx *ctx, lfr_store *s, FILE *out);

#endif
