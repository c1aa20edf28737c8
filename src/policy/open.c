/* policy/open.c - the one way to open the rules on a database, used by the
 * server and the command line alike: the store (migrated), the watchlist
 * key beside it, the audit log's anchor beside it, and the policy with the
 * settings the database records. */
#include "internal.h"

#include <stdio.h>

int lfr_policy_open(lfr_ctx *ctx, const char *db_path, const char *key_path,
                    const lfr_policy_config *cfg, lfr_store **store, lfr_policy **out)
{
    *store = NULL;
    *out = NULL;
    char key_file[4200], anchor_path[4200], anchor_key_path[4200];
    char base[4096];
    lfr_store_files_base(db_path, base, sizeof base);
    snprintf(key_file, sizeof key_file, "%s%s", key_path ? key_path : base, key_path ? "" : ".key");
    lfr_audit_anchor_paths(db_path, anchor_path, sizeof anchor_path, anchor_key_path,
                           sizeof anchor_key_path);
    lfr_policy_config c = cfg ? *cfg : lfr_policy_default_config();
    unsigned char key[32];
    int rc = lfr_store_open(ctx, db_path, store);
    if (!rc) rc = lfr_policy_load_key(ctx, key_file, key);
    if (!rc) {
        c.key = key;
        c.audit_anchor_path = anchor_path;
        c.audit_anchor_key_path = anchor_key_path;
        rc = lfr_policy_new(ctx, *store, &c, out);
    }
    lfr_wipe(key, sizeof key); /* the policy holds its copy */
    if (rc) {
        lfr_store_close(*store);
        *store = NULL;
    }
    return rc;
}
