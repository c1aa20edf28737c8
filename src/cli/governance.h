/* cli/governance.h - private to the command line: shared set-up of the
 * governance commands (user, deployment). */
#ifndef LFR_CLI_GOVERNANCE_H
#define LFR_CLI_GOVERNANCE_H

#include "cli.h"
#include "lfr/policy.h"

typedef struct gov {
    const char *cmd;
    lfr_ctx *ctx;
    lfr_store *store;
    lfr_runtime *rt;
    lfr_model *embedder;
    lfr_policy *pol;
    lfr_actor actor;
    int have_actor;
} gov;

/* Opens the database and the policy and, when need_actor, logs in `as`
 * with the password in $LFR_PASSWORD. Returns an exit code (0: ready);
 * gov_close in every case. */
int gov_open(const char *cmd, gov *g, const char *db, const char *model_dir, int need_actor,
             const char *as);
void gov_close(gov *g);
/* Reports a refused or failed call; exits as the error table says (a rule
 * that refused, a role that may not: 1, "ran, the answer is no"). */
int gov_fail(gov *g, int rc);
int64_t gov_now_ms(void);
/* Creates the folder of the database's files (0700: personal data). */
void gov_make_parent(const char *db);
/* The watchlist key file: $LFR_KEY, else beside the database. */
void gov_key_path(const char *db, char *buf, size_t len);
/* The audit chain of db and its anchor, read only (lfr audit verify):
 * EXIT_OK with *intact when both hold; a broken chain is reported. */
int gov_check_log(lfr_ctx *ctx, const char *db, int json, int *intact);
/* A positive decimal id; 0 on success, -1 if s is anything else. */
int gov_parse_id(const char *s, int64_t *id);

#endif
