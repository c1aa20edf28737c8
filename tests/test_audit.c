/* tests/test_audit.c - the store and the hash-chained audit log: appends,
 * tampering named by verify, bad input refused, and a writer killed in the
 * middle leaving a consistent database. */
#include "testutil.h"

#include "lfr/audit.h"
#include "store/internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static lfr_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    return lfr_ctx_new(&ctx);
}

static int teardown(void **state)
{
    (void)state;
    lfr_ctx_free(ctx);
    return 0;
}

static lfr_store *fresh(const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s", test_db(name));
    lfr_store *s = NULL;
    assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
    return s;
}

/* Removes one of the log's guards, as someone with the database's
 * owner rights could. */
static void drop_trigger(lfr_store *s, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP TRIGGER %s%s", name, test_db_is_pg() ? " ON audit_log" : "");
    assert_int_equal(lfr_store_exec(ctx, s, sql), LFR_OK);
}

static void append(lfr_store *s, const char *actor, const char *action, const char *object)
{
    assert_int_equal(lfr_store_begin(ctx, s), LFR_OK);
    assert_int_equal(lfr_audit_append(ctx, s, actor, action, object, "{\"n\": 1}"), LFR_OK);
    assert_int_equal(lfr_store_commit(ctx, s), LFR_OK);
}

static void test_chain_and_tampering(void **state)
{
    (void)state;
    char path[4096];
    lfr_store *s = fresh("audit.db", path, sizeof path);
    assert_true(lfr_store_schema_version(s) >= 1);
    for (int i = 0; i < 20; i++)
        append(s, "inspector.jones", "deployment.create", "deployment/1");
    /* SQL metacharacters are data, not SQL. */
    append(s, "o'brien\"; DROP TABLE audit_log; --", "user.view", "user/'1' OR 1=1");
    lfr_audit_report r;
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.records, 21);
    assert_int_equal(r.first_bad_seq, 0);
    /* The log refuses changes through SQL... */
    assert_int_equal(lfr_store_exec(ctx, s, "UPDATE audit_log SET actor = 'x' WHERE seq = 5"),
                     LFR_EREFUSED);
    assert_non_null(strstr(lfr_errmsg(ctx), "append-only"));
    assert_int_equal(lfr_store_exec(ctx, s, "DELETE FROM audit_log WHERE seq = 5"), LFR_EREFUSED);
    /* ...and a change made around that (the triggers dropped, as someone
     * editing the file would) is named by verify. */
    drop_trigger(s, "audit_no_update");
    assert_int_equal(
        lfr_store_exec(ctx, s, "UPDATE audit_log SET actor = 'someone.else' WHERE seq = 7"),
        LFR_OK);
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 7);
    assert_non_null(strstr(r.problem, "does not match its hash"));
    lfr_store_close(s);

    s = fresh("audit2.db", path, sizeof path);
    for (int i = 0; i < 10; i++)
        append(s, "a", "b", "c");
    drop_trigger(s, "audit_no_delete");
    assert_int_equal(lfr_store_exec(ctx, s, "DELETE FROM audit_log WHERE seq = 4"), LFR_OK);
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 5);
    assert_non_null(strstr(r.problem, "missing"));
    lfr_store_close(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    char path[4096];
    lfr_store *s = fresh("audit3.db", path, sizeof path);
    assert_int_equal(lfr_audit_append(ctx, s, "", "a", "o", NULL), LFR_EINVAL);
    assert_int_equal(lfr_audit_append(ctx, s, "u", "a", "o", "not json"), LFR_EINVAL);
    assert_int_equal(lfr_audit_append(ctx, s, "u", "a", "o", "[1, 2]"), LFR_EINVAL);
    char big[LFR_AUDIT_FIELD_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(lfr_audit_append(ctx, s, big, "a", "o", NULL), LFR_EINVAL);
    lfr_audit_report r;
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.records, 0);
    /* Export: one JSON object per line. */
    append(s, "u", "a", "o");
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(lfr_audit_export(ctx, s, f), LFR_OK);
    rewind(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "\"seq\":1"));
    assert_non_null(strstr(line, "\"details\":{\"n\":1}"));
    fclose(f);
    /* A database from a newer build is refused, not misread. */
    assert_int_equal(lfr_store_exec(ctx, s,
                                    test_db_is_pg() ? "UPDATE lfr_schema SET version = 999"
                                                    : "PRAGMA user_version = 999"),
                     LFR_OK);
    lfr_store_close(s);
    s = (lfr_store *)1;
    assert_int_equal(lfr_store_open(ctx, path, &s), LFR_EFORMAT);
    assert_null(s);
    assert_non_null(strstr(lfr_errmsg(ctx), "newer"));
    /* Not a database at all. */
    if (test_db_is_pg()) return;
    char junk[4096];
    snprintf(junk, sizeof junk, "%s", test_tmp_path("junk.db"));
    test_write_file(junk, "this is not an SQLite database, just text padding it out.......", 64);
    assert_true(lfr_store_open(ctx, junk, &s) != LFR_OK);
    assert_null(s);
}

/* A writer killed mid-way (SIGKILL, no clean-up) leaves a database that
 * opens, with an intact chain holding exactly the committed records. */
static void test_killed_writer(void **state)
{
    (void)state;
    char path[4096];
    lfr_store *s = fresh("audit_kill.db", path, sizeof path);
    lfr_store_close(s);
    for (int round = 0; round < 3; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            lfr_ctx *c = NULL;
            lfr_store *cs = NULL;
            if (lfr_ctx_new(&c) || lfr_store_open(c, path, &cs)) _exit(3);
            for (int i = 0;; i++) {
                if (lfr_store_begin(c, cs)) _exit(4);
                for (int k = 0; k < 5; k++)
                    if (lfr_audit_append(
                            c, cs, "writer", "test.write", "object/x",
                            "{\"bulk\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"))
                        _exit(5);
                if (lfr_store_commit(c, cs)) _exit(6);
            }
        }
        usleep(150000 + 70000 * round);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        s = NULL;
        assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
        lfr_audit_report r;
        assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
        print_message("round %d: %lld records after SIGKILL, chain %s\n", round,
                      (long long)r.records, r.first_bad_seq ? "BROKEN" : "intact");
        assert_int_equal(r.first_bad_seq, 0);
        assert_true(r.records > 0);
        assert_int_equal(r.records % 5, 0); /* whole transactions only */
        lfr_store_close(s);
    }
}

/* The anchor outside the database finds what the chain cannot: the newest
 * records deleted (every one of them, too), or the log rewritten with its
 * chain recomputed; and a missing, replaced or forged anchor is named. */
static void test_anchor(void **state)
{
    (void)state;
    char path[4096], anchors[4200], key[4200];
    lfr_store *s = fresh("anchor.db", path, sizeof path);
    lfr_audit_anchor_paths(path, anchors, sizeof anchors, key, sizeof key);
    unlink(anchors);
    unlink(key);
    lfr_audit_anchor *a = NULL;
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 0, &a), LFR_ENOENT);
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 1, &a), LFR_OK);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    for (int i = 0; i < 5; i++)
        append(s, "alice", "deployment.view", "deployment/1");
    assert_int_equal(lfr_audit_anchor_update(ctx, a, s, 1), LFR_OK);
    lfr_audit_report r;
    memset(&r, 0, sizeof r);
    assert_int_equal(lfr_audit_anchor_check(ctx, a, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.anchored_seq, 5);
    lfr_audit_anchor_free(a);
    /* The newest records deleted: the chain still verifies, the anchor does not. */
    drop_trigger(s, "audit_no_delete");
    assert_int_equal(lfr_store_exec(ctx, s, "DELETE FROM audit_log WHERE seq > 3"), LFR_OK);
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 0, &a), LFR_OK);
    assert_int_equal(lfr_audit_anchor_check(ctx, a, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 4);
    assert_non_null(strstr(r.problem, "deleted"));
    /* Nor is such a log anchored again over what it lost. */
    append(s, "mallory", "deployment.view", "deployment/1");
    assert_int_equal(lfr_audit_anchor_update(ctx, a, s, 1), LFR_EREFUSED);
    assert_non_null(strstr(lfr_errmsg(ctx), "deleted"));
    lfr_audit_anchor_free(a);
    /* Every record deleted and a new chain written in their place. */
    assert_int_equal(lfr_store_exec(ctx, s, "DELETE FROM audit_log"), LFR_OK);
    for (int i = 0; i < 6; i++)
        append(s, "mallory", "deployment.view", "deployment/2");
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 0, &a), LFR_OK);
    assert_int_equal(lfr_audit_anchor_check(ctx, a, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 5);
    assert_non_null(strstr(r.problem, "rewritten"));
    lfr_audit_anchor_free(a);
    /* A forged last anchor (its signature changed) is refused. */
    FILE *f = fopen(anchors, "a");
    assert_non_null(f);
    fprintf(f, "6 1 %064d %0128d\n", 0, 0);
    fclose(f);
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 0, &a), LFR_EREFUSED);
    assert_non_null(strstr(lfr_errmsg(ctx), "forged"));
    /* Another key did not write the file; a missing file or key is named. */
    char other[4300];
    snprintf(other, sizeof other, "%s.other", key);
    unlink(other);
    lfr_audit_anchor *b = NULL;
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, other, 0, &b), LFR_ENOENT);
    assert_non_null(strstr(lfr_errmsg(ctx), "key is missing"));
    unlink(anchors);
    assert_int_equal(lfr_audit_anchor_open(ctx, anchors, key, 1, &b), LFR_ENOENT);
    assert_non_null(strstr(lfr_errmsg(ctx), "deleted"));
    unlink(key);
    lfr_store_close(s);
}

/* Several processes opening one new database at once (two servers started
 * together, a command beside a server): each migrates it or finds it
 * migrated, and every step runs once. */
static void test_opened_together(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s", test_db("together.db"));
    enum { N = 6 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            lfr_ctx *c = NULL;
            lfr_store *st = NULL;
            int rc = lfr_ctx_new(&c) || lfr_store_open(c, path, &st);
            if (rc) fprintf(stderr, "child %d: %s\n", i, c ? lfr_errmsg(c) : "no context");
            lfr_store_close(st);
            _exit(rc ? 1 : 0);
        }
    }
    for (int i = 0; i < N; i++) {
        int status = 0;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    lfr_store *s = NULL;
    assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
    lfr_stmt *st = NULL;
    assert_int_equal(lfr_stmt_prepare(ctx, s, "SELECT count(*) FROM audit_log", &st), LFR_OK);
    assert_int_equal(lfr_stmt_step(ctx, st), 1);
    assert_int_equal(lfr_stmt_int64(st, 0), 0);
    lfr_stmt_free(st);
    lfr_store_close(s);
}

/* Several processes appending at once (servers and commands on one
 * database): every record kept, in one unbroken chain. */
static void test_writers_together(void **state)
{
    (void)state;
    char path[4096];
    lfr_store *s = fresh("together_writers.db", path, sizeof path);
    lfr_store_close(s);
    enum { WRITERS = 4, EACH = 60 };
    pid_t kids[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            lfr_ctx *c = NULL;
            lfr_store *cs = NULL;
            if (lfr_ctx_new(&c) || lfr_store_open(c, path, &cs)) _exit(3);
            char actor[32];
            snprintf(actor, sizeof actor, "writer.%d", i);
            for (int k = 0; k < EACH; k++)
                if (lfr_audit_append(c, cs, actor, "test.write", "object/x", NULL)) {
                    fprintf(stderr, "writer %d: %s\n", i, lfr_errmsg(c));
                    _exit(4);
                }
            lfr_store_close(cs);
            _exit(0);
        }
    }
    for (int i = 0; i < WRITERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(lfr_store_open(ctx, path, &s), LFR_OK);
    lfr_audit_report r;
    assert_int_equal(lfr_audit_verify(ctx, s, &r), LFR_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.records, WRITERS * EACH);
    lfr_store_close(s);
}

/* What the PostgreSQL backend sends for SQL written with SQLite's marks:
 * quoted text untouched, bare marks numbered as SQLite numbers them. */
static void test_pg_sql(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        int n;
    } cases[] = {
        {"SELECT 1", "SELECT 1", 0},
        {"SELECT ?, ?", "SELECT $1, $2", 2},
        {"SELECT ?2, ?1, ?", "SELECT $2, $1, $3", 3},
        {"SELECT '?', \"a?\", ? FROM t WHERE x = 'it''s ?'",
         "SELECT '?', \"a?\", $1 FROM t WHERE "
         "x = 'it''s ?'",
         1},
        {"SELECT instr(lower(a), ?1), xinstr(b) FROM t",
         "SELECT strpos(lower(a), $1), xinstr(b) "
         "FROM t",
         1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = -1;
        char *got = store_pg_sql(cases[i].in, &n);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        assert_int_equal(n, cases[i].n);
        lfr_free(got);
    }
}

/* A database named where it is shown, logged or audited: never with its
 * password. */
static void test_display_name(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/var/lib/openlfr/lfr.db", "/var/lib/openlfr/lfr.db"},
        {"postgresql://db.example/lfr", "postgresql://db.example/lfr"},
        {"postgresql://lfr:s3cret@db.example:5432/lfr?sslmode=verify-full",
         "postgresql://lfr@db.example:5432/lfr"},
        {"postgres://u@h/d?password=s3cret&sslmode=require", "postgresql://u@h/d"},
        {"postgresql:///lfr?host=/run/pg&password=s3cret", "postgresql:///lfr?host=/run/pg"},
        /* libpq's parse: a '?' inside the password, an encoded key */
        {"postgresql://lfr:ab?s3cret@db/lfr", "postgresql://lfr@db/lfr"},
        {"postgresql://u@h/d?pass%77ord=s3cret", "postgresql://u@h/d"},
        {"postgresql://u:p%zzs3cret@h/d", "postgresql://(a URL that does not parse)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char shown[256];
        lfr_store_display_name(cases[i][0], shown, sizeof shown);
        assert_string_equal(shown, cases[i][1]);
        assert_null(strstr(shown, "s3cret"));
    }
    char tiny[12];
    lfr_store_display_name(cases[2][0], tiny, sizeof tiny);
    assert_null(strstr(tiny, "s3"));
    char base[256], *saved = getenv("LFR_STATE_DIR") ? strdup(getenv("LFR_STATE_DIR")) : NULL;
    setenv("LFR_STATE_DIR", "/srv/lfr", 1);
    lfr_store_files_base("postgresql://u:p@h/force_db?sslmode=require", base, sizeof base);
    if (saved)
        setenv("LFR_STATE_DIR", saved, 1);
    else
        unsetenv("LFR_STATE_DIR");
    free(saved);
    assert_string_equal(base, "/srv/lfr/force_db");
    lfr_store_files_base("/data/lfr.db", base, sizeof base);
    assert_string_equal(base, "/data/lfr.db");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_tampering), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_killed_writer),       cmocka_unit_test(test_anchor),
        cmocka_unit_test(test_opened_together),     cmocka_unit_test(test_pg_sql),
        cmocka_unit_test(test_display_name),        cmocka_unit_test(test_writers_together),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
