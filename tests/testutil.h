/* tests/testutil.h - shared helpers for the cmocka test programs. */
#ifndef LFR_TESTUTIL_H
#define LFR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Path under $LFR_DATA (../shared/data), or NULL when the data is absent. */
const char *test_data_path(const char *rel);
/* Path under $LFR_MODEL_DIR. */
const char *test_model_dir(void);
/* A scratch file path under the build's test folder. Like test_data_path,
 * the result lives in one of 4 rotating buffers: copy it to keep it. */
const char *test_tmp_path(const char *name);
/* The database a test opens, new and empty: an SQLite file of that name
 * under the test folder, or, when $LFR_TEST_PG names the folder of a
 * PostgreSQL server's socket (tests/pg_server.sh), a new database on it
 * (its files, key and anchors, in $LFR_STATE_DIR). Same buffers as
 * test_tmp_path. */
const char *test_db(const char *name);
/* 1 when the tests run against PostgreSQL. */
int test_db_is_pg(void);
/* Writes bytes to a file; fails the test on error. */
void test_write_file(const char *path, const void *data, size_t len);
/* Skips the current test with a message when the shared data is absent. */
#define TEST_NEED_DATA(rel)                                                                        \
    do {                                                                                           \
        if (!test_data_path(rel)) {                                                                \
            print_message("skipped: %s absent (set LFR_DATA)\n", rel);                             \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Fails the test (naming the caller's line) unless rc is code and, when
 * needle is given, the ctx's message contains it. */
typedef struct lfr_ctx lfr_ctx;
void test_expect_rc_at(int line, const lfr_ctx *ctx, int rc, int code, const char *needle);
#define test_expect_rc(ctx, rc, code, needle) test_expect_rc_at(__LINE__, ctx, rc, code, needle)

#endif
