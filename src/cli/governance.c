/* cli/governance.c - what the governance commands share: the database, the
 * policy configured from the model's measured operating points, and the
 * acting user, authenticated. */
#include "governance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

int gov_parse_id(const char *s, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1) return -1;
    *id = v;
    return 0;
}

int64_t gov_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void gov_make_parent(const char *db)
{
    /* For PostgreSQL, the folder of the files kept beside it (the key). */
    char dir[4096];
    lfr_store_files_base(db, dir, sizeof dir);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
}

void gov_key_path(const char *db, char *buf, size_t len)
{
    const char *env_key = getenv("LFR_KEY");
    if (env_key && *env_key)
        snprintf(buf, len, "%s", env_key);
    else {
        char base[4096];
        lfr_store_files_base(db, base, sizeof base);
        snprintf(buf, len, "%s.key", base);
    }
}

int gov_open(const char *cmd, gov *g, const char *db, const char *model_dir, int need_actor,
             const char *as)
{
    memset(g, 0, sizeof *g);
    g->cmd = cmd;
    if (lfr_ctx_new(&g->ctx)) return cli_fail(cmd, LFR_ENOMEM, "out of memory");
    db = cli_db_path(db);
    gov_make_parent(db);
    lfr_policy_config cfg = lfr_policy_default_config();
    int rc = lfr_runtime_new(g->ctx, NULL, &g->rt);
    if (rc == LFR_OK)
        rc = lfr_model_load(g->ctx, g->rt, model_dir, lfr_engine_default_params().embedder,
                            &g->embedder);
    if (rc == LFR_OK) rc = lfr_policy_config_use_model(g->ctx, &cfg, g->embedder);
    if (rc != LFR_OK)
        fprintf(stderr, "lfr %s: warning: %s; authorisation will be refused (DEP-6, DEP-7)\n", cmd,
                lfr_errmsg(g->ctx));
    /* The same door as the server's: one database, one set of rules. */
    char key_path[4200];
    gov_key_path(db, key_path, sizeof key_path);
    if ((rc = lfr_policy_open(g->ctx, db, key_path, &cfg, &g->store, &g->pol)))
        return cli_fail_ctx(cmd, g->ctx, rc);
    if (!need_actor) return EXIT_OK;
    if (!as) return cli_usage(cmd, "the acting user must be given with --as NAME");
    const char *pw = getenv("LFR_PASSWORD");
    if (!pw) return cli_fail(cmd, LFR_EINVAL, "set LFR_PASSWORD to the password of %s", as);
    if ((rc = lfr_policy_login(g->ctx, g->pol, as, pw, &g->actor))) return gov_fail(g, rc);
    /* As in the console: a one-time password opens nothing but its change. */
    if (g->actor.must_change)
        return cli_fail(cmd, LFR_EAUTH,
                        "%s's password is a one-time password: sign in to the console and "
                        "change it first",
                        as);
    g->have_actor = 1;
    return EXIT_OK;
}

void gov_close(gov *g)
{
    lfr_policy_free(g->pol);
    lfr_store_close(g->store);
    lfr_model_free(g->embedder);
    lfr_runtime_free(g->rt);
    lfr_ctx_free(g->ctx);
}

int gov_fail(gov *g, int rc)
{
    return cli_fail_ctx(g->cmd, g->ctx, rc);
}
