/* tests/testutil.c - locating test data, models and scratch files; checking error codes. */
#include "testutil.h"
#include "lfr/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path_buf[4][4096];
static int path_slot;

static char *next_buf(void)
{
    path_slot = (path_slot + 1) % 4;
    return path_buf[path_slot];
}

const char *test_data_path(const char *rel)
{
    const char *root = getenv("LFR_DATA");
    if (!root) root = "../shared/data";
    char *buf = next_buf();
    snprintf(buf, 4096, "%s/%s", root, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *test_model_dir(void)
{
    const char *dir = getenv("LFR_MODEL_DIR");
    return dir ? dir : "models";
}

const char *test_tmp_path(const char *name)
{
    const char *root = getenv("LFR_TEST_TMP");
    char *buf = next_buf();
    snprintf(buf, 4096, "%s/%s", root ? root : "/tmp", name);
    return buf;
}

int test_db_is_pg(void)
{
    const char *dir = getenv("LFR_TEST_PG");
    return dir && *dir;
}

const char *test_db(const char *name)
{
    if (!test_db_is_pg()) {
        const char *path = test_tmp_path(name);
        char *buf = next_buf();
        memmove(buf, path, strlen(path) + 1);
        char cmd[12400];
        snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'", buf, buf, buf);
        assert_int_equal(system(cmd), 0);
        return buf;
    }
    /* One database per name and process: test programs run side by side. */
    char db[128];
    int n = snprintf(db, sizeof db, "t%ld_", (long)getpid());
    for (const char *p = name; *p && n < (int)sizeof db - 1; p++)
        db[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
    db[n] = '\0';
    const char *dir = getenv("LFR_TEST_PG");
    char cmd[8800];
    snprintf(cmd, sizeof cmd,
             "PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "
             "'postgresql:///postgres?host=%s&user=lfr' -c 'DROP "
             "DATABASE IF EXISTS %s WITH (FORCE)' -c 'CREATE DATABASE %s'",
             dir, db, db);
    assert_int_equal(system(cmd), 0);
    char *buf = next_buf();
    snprintf(buf, 4096, "postgresql:///%s?host=%s&user=lfr", db, dir);
    return buf;
}

void test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void test_expect_rc_at(int line, const lfr_ctx *ctx, int rc, int code, const char *needle)
{
    if (rc != code)
        fail_msg("line %d: got %s (%s), expected %s", line, lfr_err_name(rc), lfr_errmsg(ctx),
                 lfr_err_name(code));
    if (needle && !strstr(lfr_errmsg(ctx), needle))
        fail_msg("line %d: message '%s' lacks '%s'", line, lfr_errmsg(ctx), needle);
}
