/* tests/test_base.c - locked memory (issue 18): blocks are locked in RAM and
 * left out of core dumps, the pool is bounded with a message that says how
 * to raise the bound, the templates, crops and keys that need it use it,
 * and a worker's per-frame arena is reused face after face and wiped at the
 * frame's end. */
#include "testutil.h"

#include "lfr/base.h"
#include "lfr/match.h"
#include "lfr/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static lfr_ctx *ctx;

/* A field of /proc/self/status in kB ("VmLck"). */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') kb = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return kb;
}

/* The VmFlags line of the mapping holding p, from /proc/self/smaps. */
static void mapping_flags(const void *p, char *flags, size_t len)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    int inside = 0;
    flags[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (inside && !strncmp(line, "VmFlags:", 8)) {
            snprintf(flags, len, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

/* Whether mlock reaches the kernel here: AddressSanitizer intercepts it
 * and does nothing, so under ASan only the counting and the bound can be
 * checked, not the kernel's side. */
static int kernel_locks(void)
{
    static int known = -1;
    if (known >= 0) return known;
    long before = status_kb("VmLck");
    void *page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(page != MAP_FAILED);
    known = mlock(page, 65536) == 0 && status_kb("VmLck") >= before + 64;
    munlock(page, 65536);
    munmap(page, 65536);
    if (!known) print_message("mlock does not reach the kernel here (a sanitizer): skipped\n");
    return known;
}

/* The mapping holding p is locked (when the kernel's locks can be seen). */
static void assert_locked(const void *p)
{
    if (!kernel_locks()) return;
    char flags[512];
    mapping_flags(p, flags, sizeof flags);
    assert_non_null(strstr(flags, " lo"));
}

static void test_locked_blocks(void **state)
{
    (void)state;
    long before = status_kb("VmLck");
    size_t used = lfr_locked_in_use();
    unsigned char *p = lfr_locked_alloc(100000);
    assert_non_null(p);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(p[i], 0); /* zeroed */
    memset(p, 0xAB, 100000);
    assert_true(lfr_locked_in_use() >= used + 100000);
    if (kernel_locks()) /* locked by the kernel, not only counted */
        assert_true(status_kb("VmLck") >= before + 97);
    assert_locked(p);
    char flags[512];
    mapping_flags(p, flags, sizeof flags);
    assert_non_null(strstr(flags, " dd")); /* left out of core dumps */
    assert_non_null(strstr(flags, " wf")); /* wiped in a child */
    lfr_locked_free(p);
    assert_int_equal(lfr_locked_in_use(), used);
    assert_int_equal(status_kb("VmLck"), before);
    lfr_locked_free(NULL);
}

static void test_bound_says_how_to_raise_it(void **state)
{
    (void)state;
    size_t limit = lfr_locked_limit();
    assert_true(limit > 0);
    lfr_locked_set_limit(lfr_locked_in_use() + 64 * 1024);
    void *a = lfr_locked_alloc(32 * 1024);
    assert_non_null(a);
    assert_null(lfr_locked_alloc(64 * 1024));
    assert_int_equal(lfr_locked_fail(ctx, "crop"), LFR_ELIMIT);
    assert_non_null(strstr(lfr_errmsg(ctx), "crop: the locked memory pool is full"));
    assert_non_null(strstr(lfr_errmsg(ctx), "LimitMEMLOCK"));
    /* What needs the pool fails with the same message, changing nothing. */
    lfr_image *img = NULL;
    assert_int_equal(lfr_image_new_locked(ctx, 200, 200, &img), LFR_ELIMIT);
    assert_null(img);
    lfr_gallery_params gp = lfr_gallery_default_params();
    gp.dim = 512;
    gp.model = "test";
    lfr_gallery *g = NULL;
    assert_int_equal(lfr_gallery_new(ctx, &gp, &g), LFR_OK);
    float tpl[512] = {1};
    assert_int_equal(lfr_gallery_add(ctx, g, "P1", tpl, 1), LFR_ELIMIT);
    assert_non_null(strstr(lfr_errmsg(ctx), "gallery: the locked memory pool is full"));
    assert_int_equal(lfr_gallery_identities(g), 0);
    lfr_locked_free(a);
    lfr_locked_set_limit(limit);
    assert_int_equal(lfr_gallery_add(ctx, g, "P1", tpl, 1), LFR_OK);
    lfr_gallery_free(g);
}

static void test_crops_stay_locked(void **state)
{
    (void)state;
    lfr_image *crop = NULL, *mirror = NULL, *copy = NULL;
    assert_int_equal(lfr_image_new_locked(ctx, 112, 112, &crop), LFR_OK);
    assert_true(crop->locked);
    assert_int_equal(lfr_image_flip(ctx, crop, &mirror), LFR_OK);
    assert_int_equal(lfr_image_clone(ctx, crop, &copy), LFR_OK);
    assert_true(mirror->locked && copy->locked); /* a crop's copies are crops */
    assert_locked(mirror->rgb);
    lfr_image_free(copy);
    lfr_image_free(mirror);
    lfr_image_free(crop);
}

static void test_frame_arena(void **state)
{
    (void)state;
    lfr_arena *a = NULL;
    assert_int_equal(lfr_arena_new(ctx, 256 * 1024, &a), LFR_OK);
    lfr_arena_use(a);
    /* A frame's faces, freed in any order: the same bytes serve every face. */
    for (int face = 0; face < 50; face++) {
        unsigned char *crop = lfr_scratch_alloc(37632), *tensor = lfr_scratch_alloc(150528);
        unsigned char *mirror = lfr_scratch_alloc(37632);
        assert_true(crop && tensor && mirror);
        assert_int_equal(crop[0] | tensor[150527] | mirror[37631], 0); /* zeroed, even reused */
        memset(crop, 1, 37632);
        memset(tensor, 2, 150528);
        memset(mirror, 3, 37632);
        lfr_scratch_free(tensor);
        lfr_scratch_free(mirror);
        lfr_scratch_free(crop);
    }
    assert_true(lfr_arena_peak(a) < 240 * 1024);
    assert_int_equal(lfr_arena_overflows(a), 0);
    /* What a frame left behind is wiped at its end. */
    unsigned char *kept = lfr_scratch_alloc(1000);
    memset(kept, 0x5A, 1000);
    lfr_arena_reset(a);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(kept[i], 0);
    /* Past the arena, the locked pool. */
    unsigned char *big = lfr_scratch_alloc(300 * 1024);
    assert_non_null(big);
    assert_int_equal(lfr_arena_overflows(a), 1);
    assert_locked(big);
    lfr_scratch_free(big);
    /* A crop made on a worker with an arena is in it. */
    lfr_image *crop = NULL;
    assert_int_equal(lfr_image_new_locked(ctx, 112, 112, &crop), LFR_OK);
    assert_int_equal(lfr_arena_overflows(a), 1);
    lfr_image_free(crop);
    lfr_arena_use(NULL);
    lfr_arena_free(a);
}

typedef struct conf_seen {
    char text[512];
} conf_seen;

static int note_pair(lfr_ctx *c, const char *key, const char *value, void *arg)
{
    conf_seen *seen = arg;
    if (!strcmp(key, "refused")) return lfr_fail(c, LFR_EINVAL, "no '%s' here", value);
    size_t n = strlen(seen->text);
    snprintf(seen->text + n, sizeof seen->text - n, "%s=[%s];", key, value);
    return LFR_OK;
}

static void expect_conf(const char *text, int rc, const char *pairs_or_error)
{
    conf_seen seen = {""};
    int got = lfr_conf_parse(ctx, "t.conf", text, strlen(text), note_pair, &seen);
    if (rc == LFR_OK) {
        assert_int_equal(got, LFR_OK);
        assert_string_equal(seen.text, pairs_or_error);
    } else {
        test_expect_rc(ctx, got, rc, pairs_or_error);
    }
}

/* lfr serve's configuration file (issue 16): pairs in order, comments and
 * blank lines skipped, values trimmed; every error names the line. */
static void test_conf_parse(void **state)
{
    (void)state;
    expect_conf("# comment\n\nlisten = 127.0.0.1:8080\r\n  log_level=warn  \n"
                "web = /usr/share/openlfr/web # not a comment\nempty =\n",
                LFR_OK,
                "listen=[127.0.0.1:8080];log_level=[warn];"
                "web=[/usr/share/openlfr/web # not a comment];empty=[];");
    expect_conf("", LFR_OK, "");
    expect_conf("a = 1\nlisten 127.0.0.1\n", LFR_EINVAL, "t.conf line 2: expected 'key = value'");
    expect_conf("Listen = x\n", LFR_EINVAL, "t.conf line 1: expected 'key = value'");
    expect_conf("= x\n", LFR_EINVAL, "t.conf line 1: expected");
    expect_conf("a = 1\n\nrefused = yes\n", LFR_EINVAL, "t.conf line 3: no 'yes' here");
    char nul[] = "a = 1\nb = x\0y\n";
    conf_seen seen = {""};
    test_expect_rc(ctx, lfr_conf_parse(ctx, "t.conf", nul, sizeof nul - 1, note_pair, &seen),
                   LFR_EINVAL, "t.conf line 2: a NUL byte");
    static char longline[5000];
    memset(longline, 'x', sizeof longline - 1);
    memcpy(longline, "a = ", 4);
    expect_conf(longline, LFR_EINVAL, "t.conf line 1: longer than");
}

/* Records as "line:[f1|f2|...];" so a test sees fields, their bounds and
 * the line each record starts on. */
static int note_record(lfr_ctx *c, int line, int n, const char *const *fields, void *arg)
{
    conf_seen *seen = arg;
    if (n == 1 && !strcmp(fields[0], "refuse")) return lfr_fail(c, LFR_EINVAL, "refused");
    size_t len = strlen(seen->text);
    len += (size_t)snprintf(seen->text + len, sizeof seen->text - len, "%d:[", line);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(seen->text + len, sizeof seen->text - len, "%s%s", i ? "|" : "",
                                fields[i]);
    snprintf(seen->text + len, sizeof seen->text - len, "];");
    return LFR_OK;
}

static void expect_csv(const char *text, size_t len, int rc, const char *records_or_error)
{
    conf_seen seen = {""};
    int got = lfr_csv_parse(ctx, "t.csv", text, len, note_record, &seen);
    if (rc == LFR_OK) {
        assert_int_equal(got, LFR_OK);
        assert_string_equal(seen.text, records_or_error);
    } else {
        test_expect_rc(ctx, got, rc, records_or_error);
    }
}
#define CSV(text, rc, want) expect_csv(text, sizeof text - 1, rc, want)

/* Watchlist imports (issue 15 item 6): RFC 4180 quoting, CRLF or LF, a
 * spreadsheet's byte order mark; malformed text refused with its line. */
static void test_csv_parse(void **state)
{
    (void)state;
    CSV("a,b,c\r\n1,2,3\r\n", LFR_OK, "1:[a|b|c];2:[1|2|3];");
    CSV("a,b\n1,2", LFR_OK, "1:[a|b];2:[1|2];"); /* no line break at the end */
    CSV("\xEF\xBB\xBFname,reason\n\n", LFR_OK, "1:[name|reason];");
    CSV("\"Smith, John\",\"said \"\"hello\"\"\",x\n", LFR_OK, "1:[Smith, John|said \"hello\"|x];");
    CSV("\"two\nlines\",b\nnext,row\n", LFR_OK, "1:[two\nlines|b];3:[next|row];");
    CSV("a,,c,\n\"\"\n", LFR_OK, "1:[a||c|];2:[];");
    CSV("a\rb\r", LFR_OK, "1:[a];2:[b];");
    CSV("", LFR_OK, "");
    CSV("a,b\nx\"y,z\n", LFR_EFORMAT, "t.csv line 2: a quote inside a field that is not quoted");
    CSV("a,b\n\"open,z\n", LFR_EFORMAT, "t.csv line 2: a quoted field is not closed");
    CSV("\"a\"b,c\n", LFR_EFORMAT, "t.csv line 1: text after a closing quote");
    CSV("a,b\nx,y\0z\n", LFR_EFORMAT, "t.csv line 2: a NUL byte");
    CSV("ok\nrefuse\n", LFR_EINVAL, "refused");
    static char wide[200];
    for (int i = 0; i < 65; i++)
        memcpy(wide + 2 * i, "x,", 2);
    wide[129] = '\n';
    expect_csv(wide, 130, LFR_EFORMAT, "t.csv line 1: more than 64 fields");
}

static void put_text(void *arg, const char *bytes, size_t n)
{
    conf_seen *seen = arg;
    size_t len = strlen(seen->text);
    snprintf(seen->text + len, sizeof seen->text - len, "%.*s|", (int)n, bytes);
}

/* Exports (the audit log, reports): quoting only where needed, quotes
 * doubled, a formula made text; what it writes reads back the same. */
static void test_csv_write(void **state)
{
    (void)state;
    const char *cases[][2] = {{"plain", "plain|"},
                              {"a,b", "\"|a,b|\"|"},
                              {"say \"hi\"", "\"|say \"|\"hi\"|\"|\"|"},
                              {"=SUM(A1)", "\"|'|=SUM(A1)|\"|"},
                              {"-12.5", "-12.5|"},
                              {"\xEF\xBB\xBFx", "\"|\xEF\xBB\xBFx|\"|"},
                              {"", "|"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        conf_seen seen = {""};
        lfr_csv_write(cases[i][0], put_text, &seen);
        assert_string_equal(seen.text, cases[i][1]);
    }
}

int main(void)
{
    if (lfr_ctx_new(&ctx)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locked_blocks),     cmocka_unit_test(test_bound_says_how_to_raise_it),
        cmocka_unit_test(test_crops_stay_locked), cmocka_unit_test(test_frame_arena),
        cmocka_unit_test(test_conf_parse),        cmocka_unit_test(test_csv_parse),
        cmocka_unit_test(test_csv_write),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    lfr_ctx_free(ctx);
    return failed;
}
