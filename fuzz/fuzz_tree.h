/* fuzz/fuzz_tree.h - removes a target's scratch folder and all under it
 * (at exit, and between inputs that build folders). The including file
 * defines _XOPEN_SOURCE 700 first, for nftw. */
#ifndef LFR_FUZZ_TREE_H
#define LFR_FUZZ_TREE_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int fuzz_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fuzz_remove_tree(const char *dir)
{
    nftw(dir, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
