/* fuzz/fuzz_file.h - for targets whose parser reads a file: the input is
 * written to one scratch file per process, named the way the parser wants
 * it, then parsed from there. */
#ifndef LFR_FUZZ_FILE_H
#define LFR_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dir (created once, under $TMPDIR or /tmp) and dir/name holding data. */
static const char *fuzz_write(const char *name, const uint8_t *data, size_t size, char *dir,
                              size_t dir_len)
{
    static char path[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, dir_len, "%s/lfr-fuzz-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "%s/%s", dir, name);
    snprintf(path, sizeof path, "%s", cmd);
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        if (system(cmd) != 0 || !(f = fopen(path, "wb"))) abort();
    }
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

#endif
