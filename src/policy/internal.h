/* policy/internal.h - private to the policy module. */
#ifndef LFR_POLICY_INTERNAL_H
#define LFR_POLICY_INTERNAL_H

#include "lfr/policy.h"

struct lfr_policy {
    lfr_store *s;
    lfr_policy_config cfg;
};

/* Fails unless actor holds one of the roles in `any`. */
int need_role(lfr_ctx *ctx, const lfr_actor *actor, int any, const char *what);
/* Appends an audit record inside the current transaction. */
int audit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, const char *action, int64_t id,
          const char *kind, json_t *details /* stolen; may be NULL */);
/* Ends the transaction: commit when rc is LFR_OK, else roll back. */
int finish(lfr_ctx *ctx, lfr_policy *p, int rc);

/* Validates and stores one DEP-4 field into the record. */
int field_set(lfr_ctx *ctx, const lfr_policy_config *cfg, json_t *record, const char *field,
              const char *value);
/* The first mandatory field missing from a record, or NULL. */
const char *field_missing(const json_t *record);

#endif
