/* fuzz/fuzz_watchlist.c - libFuzzer target for the watchlist reader of
 * `lfr watch` and `lfr bench pipeline` (cli_watchlist_load): a CSV manifest
 * or a folder of photos either loads into a gallery with at least one
 * person or is refused with a message, never crashes.
 *
 * An input starting "folder\n" names, one per line, the files of a
 * watchlist folder made for it ("alice.jpg", "bob/1.png", "carol/");
 * any other input is the CSV manifest itself. Either may point at the
 * photos kept beside it: face.jpg (a real face, when ../shared has it)
 * and blank.pgm (no face), so that both enrolment outcomes are reached. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the scratch folder */

#include "cli.h"
#include "fuzz_tree.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ONNX Runtime (the engine's networks) keeps a few process-lifetime
 * allocations: not ours (tests/lsan.supp says the same). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libonnxruntime.so\n";
}

#define FACE_SAMPLE                                                                                \
    LFR_SOURCE_DIR "/../shared/data/samples/face_recognition_examples/examples/obama_small.jpg"
#define MAX_FOLDER_ENTRIES 64

static struct {
    lfr_ctx *ctx;
    lfr_runtime *rt;
    lfr_engine *engine;
    char dir[4096];
    uint8_t *face;
    size_t face_len;
} wl;

static void fatal(const char *what)
{
    fprintf(stderr, "fuzz_watchlist: %s: %s\n", what, wl.ctx ? lfr_errmsg(wl.ctx) : "");
    abort();
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
        fprintf(stderr, "fuzz_watchlist: %s: %s\n", path, strerror(errno));
        abort();
    }
}

static void clean_up(void)
{
    lfr_engine_free(wl.engine);
    lfr_runtime_free(wl.rt);
    lfr_free(wl.face);
    lfr_ctx_free(wl.ctx);
    fuzz_remove_tree(wl.dir);
}

static void start(void)
{
    if (lfr_ctx_new(&wl.ctx)) abort();
    const char *tmp = getenv("TMPDIR");
    snprintf(wl.dir, sizeof wl.dir, "%s/lfr-fuzz-watchlist-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(wl.dir)) fatal("mkdtemp");
    atexit(clean_up);
    /* The smallest embedder: the reader is the target, not the networks. */
    lfr_engine_params ep = lfr_engine_default_params();
    ep.embedder = "mobilefacenet192";
    /* Small stills searched as they are, not scaled up to 240 px first:
     * blank.pgm then costs a 32 px detector run. */
    ep.detect_min_side_px = 16;
    if (lfr_runtime_new(wl.ctx, NULL, &wl.rt) || lfr_engine_new(wl.ctx, wl.rt, &ep, &wl.engine))
        fatal("engine");
    char path[4200];
    if (lfr_read_file(wl.ctx, FACE_SAMPLE, 1 << 20, &wl.face, &wl.face_len) == LFR_OK) {
        snprintf(path, sizeof path, "%s/face.jpg", wl.dir);
        write_file(path, wl.face, wl.face_len);
    }
    /* A mid-grey image with no face in it. */
    char blank[16 + 32 * 32];
    int n = snprintf(blank, sizeof blank, "P5\n32 32\n255\n");
    memset(blank + n, 128, 32 * 32);
    snprintf(path, sizeof path, "%s/blank.pgm", wl.dir);
    write_file(path, blank, (size_t)n + 32 * 32);
}

/* A name part the folder may hold: no path tricks, no hidden files (the
 * reader skips those anyway). */
static int plain(const char *s, size_t len)
{
    return len > 0 && len < 200 && s[0] != '.' && !memchr(s, '/', len) && !memchr(s, '\0', len);
}

/* Makes dir/folder afresh from the input's lines; its path, or NULL when
 * the input names nothing it may make. */
static const char *make_folder(const uint8_t *data, size_t size)
{
    static char folder[4200];
    snprintf(folder, sizeof folder, "%s/folder", wl.dir);
    fuzz_remove_tree(folder);
    if (mkdir(folder, 0700)) fatal("mkdir");
    const char *p = (const char *)data, *end = p + size;
    for (int n = 0; p < end && n < MAX_FOLDER_ENTRIES; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *slash = memchr(p, '/', len);
        size_t first = slash ? (size_t)(slash - p) : len;
        const char *file = slash ? slash + 1 : p;
        size_t file_len = slash ? len - first - 1 : len;
        char path[4800];
        if (plain(p, first) && slash) {
            snprintf(path, sizeof path, "%s/%.*s", folder, (int)first, p);
            mkdir(path, 0700); /* may be there already, or be a file */
        }
        if (plain(p, first) && (!slash || plain(file, file_len))) {
            snprintf(path, sizeof path, "%s/%.*s", folder, (int)len, p);
            int pgm = file_len > 4 && !memcmp(file + file_len - 4, ".pgm", 4);
            struct stat st;
            if (!stat(path, &st)) {
                /* named twice: the first stands */
            } else if (pgm) {
                char blank[4200];
                snprintf(blank, sizeof blank, "%s/blank.pgm", wl.dir);
                if (symlink(blank, path)) {
                    /* a component is a file: nothing made */
                }
            } else {
                /* Every other name gets the face's bytes: a .jpg loads, a
                 * .png holds JPEG bytes, a .txt is no photo at all. */
                FILE *f = fopen(path, "wb");
                if (f) {
                    if (wl.face_len) fwrite(wl.face, 1, wl.face_len, f);
                    fclose(f);
                }
            }
        }
        p += len + 1;
    }
    return folder;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!wl.engine) start();
    char path[4200];
    const char *load = path;
    if (size >= 7 && !memcmp(data, "folder\n", 7)) {
        load = make_folder(data + 7, size - 7);
    } else {
        snprintf(path, sizeof path, "%s/list.csv", wl.dir);
        write_file(path, data, size);
    }
    lfr_gallery *g = NULL;
    /* Odd sizes leave refused photos out instead of failing: both ways
     * keep the same promise (a gallery with someone, or an error). */
    int rc = cli_watchlist_load(wl.ctx, wl.engine, load, "fuzz", (int)(size & 1), &g);
    if (rc == LFR_OK ? !g || lfr_gallery_identities(g) < 1 : g || !lfr_errmsg(wl.ctx)[0]) {
        fprintf(stderr, "fuzz_watchlist: rc %d, gallery %p, message '%s'\n", rc, (void *)g,
                lfr_errmsg(wl.ctx));
        __builtin_trap();
    }
    lfr_gallery_free(g);
    return 0;
}
