/* edge/queue.c - alerts waiting on the node's disk for the centre. Each is
 * one file, sealed to the centre's box key before it is written (the node
 * cannot read it back, nor can whoever takes the disk), written to a
 * temporary name, synced and renamed, so a crash leaves it whole or
 * absent. Names start with the time in microseconds: sorted, they are the
 * order the alerts were raised in. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE_MAX_BYTES (2 << 20)

static int queue_path(lfr_ctx *ctx, const char *dir, const char *name, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s/queue%s%s", dir, name ? "/" : "", name ? name : "") >= (int)cap)
        return lfr_fail(ctx, LFR_EINVAL, "%s: path too long", dir);
    return LFR_OK;
}

int queue_put(lfr_ctx *ctx, const char *dir, const uint8_t *data, size_t len)
{
    char qdir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8], name[64];
    int rc = queue_path(ctx, dir, NULL, qdir, sizeof qdir);
    if (rc) return rc;
    if (mkdir(qdir, 0700) && errno != EEXIST)
        return lfr_fail(ctx, LFR_EIO, "%s: %s", qdir, strerror(errno));
    snprintf(name, sizeof name, "%020lld-%08x.alert", (long long)edge_wall_us(),
             randombytes_random());
    if ((rc = queue_path(ctx, dir, name, path, sizeof path))) return rc;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return lfr_fail(ctx, LFR_EIO, "%s: %s", tmp, strerror(errno));
    int bad = write(fd, data, len) != (ssize_t)len || fsync(fd);
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return lfr_fail(ctx, LFR_EIO, "%s: cannot write a waiting alert: %s", path, strerror(e));
    }
    /* The rename itself survives a power cut once the folder is synced. */
    int dfd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return LFR_OK;
}

static int is_alert(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && n < 64 && !strcmp(name + n - 6, ".alert");
}

int queue_oldest(lfr_ctx *ctx, const char *dir, char name[64])
{
    char qdir[PATH_MAX];
    int rc = queue_path(ctx, dir, NULL, qdir, sizeof qdir);
    if (rc) return rc;
    DIR *d = opendir(qdir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return lfr_fail(ctx, LFR_EIO, "%s: %s", qdir, strerror(errno));
    }
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_alert(e->d_name) && (!found || strcmp(e->d_name, name) < 0)) {
            memcpy(name, e->d_name, strlen(e->d_name) + 1); /* under 64: is_alert */
            found = 1;
        }
    closedir(d);
    return found;
}

int queue_count(const char *dir)
{
    char qdir[PATH_MAX];
    snprintf(qdir, sizeof qdir, "%s/queue", dir);
    DIR *d = opendir(qdir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += is_alert(e->d_name);
    closedir(d);
    return n;
}

int queue_read(lfr_ctx *ctx, const char *dir, const char *name, uint8_t **data, size_t *len,
               int64_t *age_ms)
{
    char path[PATH_MAX];
    int rc = queue_path(ctx, dir, name, path, sizeof path);
    if (rc) return rc;
    long long raised_us = 0;
    sscanf(name, "%lld", &raised_us);
    *age_ms = (edge_wall_us() - raised_us) / 1000;
    return lfr_read_file(ctx, path, QUEUE_MAX_BYTES, data, len);
}

int queue_drop(lfr_ctx *ctx, const char *dir, const char *name)
{
    char path[PATH_MAX];
    int rc = queue_path(ctx, dir, name, path, sizeof path);
    if (rc) return rc;
    if (unlink(path) && errno != ENOENT)
        return lfr_fail(ctx, LFR_EIO, "%s: cannot remove a delivered alert: %s", path,
                        strerror(errno));
    return LFR_OK;
}

int queue_set_aside(lfr_ctx *ctx, const char *dir, const char *name)
{
    char path[PATH_MAX], aside[PATH_MAX + 16];
    int rc = queue_path(ctx, dir, name, path, sizeof path);
    if (rc) return rc;
    snprintf(aside, sizeof aside, "%s.rejected", path);
    if (rename(path, aside))
        return lfr_fail(ctx, LFR_EIO, "%s: cannot set a rejected alert aside: %s", path,
                        strerror(errno));
    return LFR_OK;
}
