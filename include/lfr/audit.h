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

typedef struct lfr_audit_report {
    int64_t records;
    int64_t first_bad_seq; /* 0: the chain is intact */
    char problem[256];     /* what is wrong with that record */
} lfr_audit_report;

/* Checks the whole chain. LFR_OK whether or not it is intact: read the
 * report; an error code means the check itself could not run. */
int lfr_audit_verify(lfr_ctx *ctx, lfr_store *s, lfr_audit_report *r);

/* Writes every record as one JSON object per line. */
int lfr_audit_export(lfr_ctx *ctx, lfr_store *s, FILE *out);

#endif
