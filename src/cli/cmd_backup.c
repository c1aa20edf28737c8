/* cli/cmd_backup.c - `lfr backup` and `lfr restore`: a database with its
 * watchlist key and its audit anchor, copied while the server runs and
 * sealed with a passphrase into one file; restored only into a place that
 * is empty, and only when the restored audit chain verifies. */
#include "governance.h"
#include "lfr/audit.h"
#include "lfr/store.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files of a database, by their names in a backup. */
enum { F_DATABASE, F_KEY, F_ANCHOR, F_ANCHOR_KEY, N_FILES };
static const char *const file_names[N_FILES] = {"database", "watchlist.key", "audit.anchor",
                                                "audit.anchor.key"};

#define PATH_BYTES 4200
#define DIR_BYTES 2048 /* a database's path is refused beyond this */

static void file_paths(const char *db, char paths[N_FILES][PATH_BYTES])
{
    snprintf(paths[F_DATABASE], PATH_BYTES, "%.2047s", db);
    gov_key_path(db, paths[F_KEY], PATH_BYTES);
    lfr_audit_anchor_paths(db, paths[F_ANCHOR], PATH_BYTES, paths[F_ANCHOR_KEY], PATH_BYTES);
}

typedef struct backup_args {
    const char *db, *file, *passphrase_file;
} backup_args;

static int parse(const char *cmd, int argc, char **argv, backup_args *a)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            a->db = optarg;
        else if (c == 'p')
            a->passphrase_file = optarg;
        else
            return cli_usage(cmd, "unknown option");
    }
    if (argc - optind != 1) return cli_usage(cmd, "expected one FILE");
    a->file = argv[optind];
    a->db = cli_db_path(a->db);
    if (lfr_store_is_url(a->db))
        return cli_fail(cmd, LFR_EINVAL,
                        "%s copies an SQLite database; a PostgreSQL one is backed up with "
                        "pg_dump, with its key and anchor files beside (docs/deploy.md)",
                        cmd);
    if (strlen(a->db) >= DIR_BYTES - 32 || strlen(a->file) >= DIR_BYTES - 32)
        return cli_usage(cmd, "paths of %d bytes or more", DIR_BYTES - 32);
    return EXIT_OK;
}

/* --passphrase-file, else $LFR_BACKUP_PASSPHRASE. */
static int passphrase(const char *cmd, const backup_args *a, char *buf, size_t len)
{
    const char *env = getenv("LFR_BACKUP_PASSPHRASE");
    if (a->passphrase_file) {
        if (cli_read_secret_file(a->passphrase_file, buf, len))
            return cli_fail(cmd, LFR_EIO, "cannot read the passphrase file %s", a->passphrase_file);
    } else if (env && *env) {
        snprintf(buf, len, "%s", env);
    } else {
        return cli_usage(cmd, "needs --passphrase-file FILE or $LFR_BACKUP_PASSPHRASE");
    }
    return EXIT_OK;
}

/* Bytes of long work as a cli_progress in kB: total known in advance. */
typedef struct byte_progress {
    cli_progress p;
    int64_t total;
} byte_progress;

static void show_bytes(int64_t bytes, void *arg)
{
    byte_progress *bp = arg;
    cli_progress_update(&bp->p, (long)(bytes >> 10), (long)(bp->total >> 10));
}

static int64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) ? 0 : (int64_t)sb.st_size;
}

int cmd_backup(int argc, char **argv)
{
    backup_args a;
    char secret[256];
    int status = parse("backup", argc, argv, &a);
    if (status || (status = passphrase("backup", &a, secret, sizeof secret))) return status;
    char paths[N_FILES][PATH_BYTES], snapshot[DIR_BYTES];
    file_paths(a.db, paths);
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    snprintf(snapshot, sizeof snapshot, "%.2000s.snapshot-%02x%02x%02x%02x%02x%02x%02x%02x", a.file,
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) return cli_fail("backup", LFR_ENOMEM, "out of memory");
    lfr_store *s = NULL;
    lfr_bundle *b = NULL;
    int rc = access(a.db, F_OK) ? lfr_fail(ctx, LFR_ENOENT, "%s: no such database", a.db)
                                : lfr_store_open(ctx, a.db, &s);
    if (rc == LFR_OK) rc = lfr_bundle_create(ctx, a.file, secret, &b);
    sodium_memzero(secret, sizeof secret);
    /* The anchor before the copy: it then vouches for a record the copy
     * holds (the log only grows), and the restored log verifies against it. */
    for (int f = F_ANCHOR; f <= F_ANCHOR_KEY && rc == LFR_OK; f++)
        if (!access(paths[f], F_OK)) rc = lfr_bundle_add(ctx, b, file_names[f], paths[f]);
    byte_progress bp = {.total = 0};
    if (rc == LFR_OK && (rc = lfr_store_snapshot(ctx, s, snapshot)) == LFR_OK) {
        chmod(snapshot, 0600);
        cli_progress_start(&bp.p, "backup", "sealing", "kB");
        bp.total = file_size(snapshot) + file_size(paths[F_KEY]);
        for (int f = F_ANCHOR; f <= F_ANCHOR_KEY; f++)
            bp.total += file_size(paths[f]); /* sealed already, counted in */
        lfr_bundle_on_progress(b, show_bytes, &bp);
        rc = lfr_bundle_add(ctx, b, file_names[F_DATABASE], snapshot);
    }
    unlink(snapshot);
    if (rc == LFR_OK && !access(paths[F_KEY], F_OK))
        rc = lfr_bundle_add(ctx, b, file_names[F_KEY], paths[F_KEY]);
    if (rc == LFR_OK) {
        rc = lfr_bundle_finish(ctx, b);
        b = NULL;
    }
    lfr_bundle_abort(b);
    lfr_store_close(s);
    if (rc)
        status = cli_fail_ctx("backup", ctx, rc);
    else
        printf("%s: %s sealed with its watchlist key and audit anchor\n", a.file, a.db);
    lfr_ctx_free(ctx);
    return status;
}

/* Removes what a failed restore left in its folder, then the folder. */
static void remove_dir(const char *dir, char (*names)[64], int n)
{
    char path[DIR_BYTES + 80];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%.2047s/%.63s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int cmd_restore(int argc, char **argv)
{
    backup_args a;
    char secret[256];
    int status = parse("restore", argc, argv, &a);
    if (status || (status = passphrase("restore", &a, secret, sizeof secret))) return status;
    char final[N_FILES][PATH_BYTES], staged[N_FILES][PATH_BYTES], dir[DIR_BYTES],
        db[DIR_BYTES + 16];
    file_paths(a.db, final);
    for (int f = 0; f < N_FILES; f++)
        if (!access(final[f], F_OK)) {
            sodium_memzero(secret, sizeof secret);
            return cli_fail("restore", LFR_EREFUSED,
                            "%s exists: restore writes only where nothing is (move it away "
                            "first)",
                            final[f]);
        }
    gov_make_parent(a.db);
    snprintf(dir, sizeof dir, "%.2000s.restore-XXXXXX", a.db);
    if (!mkdtemp(dir)) {
        sodium_memzero(secret, sizeof secret);
        return cli_fail("restore", LFR_EIO, "cannot make a folder beside %s: %s", a.db,
                        strerror(errno));
    }
    lfr_ctx *ctx = NULL;
    if (lfr_ctx_new(&ctx)) {
        rmdir(dir);
        return cli_fail("restore", LFR_ENOMEM, "out of memory");
    }
    char names[N_FILES + 1][64];
    int n = 0, intact = 0;
    byte_progress bp = {.total = file_size(a.file)};
    cli_progress_start(&bp.p, "restore", "unsealing", "kB");
    int rc = lfr_bundle_extract(ctx, a.file, secret, dir, names, N_FILES, &n, show_bytes, &bp);
    sodium_memzero(secret, sizeof secret);
    /* Staged under the names a database in the folder would have, so the
     * chain and its anchor are checked there before anything moves. */
    snprintf(db, sizeof db, "%.2047s/lfr.db", dir);
    file_paths(db, staged);
    snprintf(staged[F_KEY], sizeof staged[F_KEY], "%.2047s/lfr.db.key", dir);
    int have[N_FILES] = {0};
    for (int i = 0; i < n && rc == LFR_OK; i++)
        for (int f = 0; f < N_FILES; f++) {
            if (strcmp(names[i], file_names[f])) continue;
            char from[DIR_BYTES + 80];
            snprintf(from, sizeof from, "%.2047s/%.63s", dir, names[i]);
            if (rename(from, staged[f]))
                rc = lfr_fail(ctx, LFR_EIO, "%s: %s", staged[f], strerror(errno));
            else
                snprintf(names[i], 64, "%s", strrchr(staged[f], '/') + 1);
            have[f] = 1;
        }
    if (rc == LFR_OK && !have[F_DATABASE])
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: holds no database", a.file);
    if (rc) {
        status = cli_fail_ctx("restore", ctx, rc);
    } else if ((status = gov_check_log(ctx, db, 0, &intact)) == EXIT_OK && !intact) {
        status = EXIT_NO;
    }
    for (int f = 0; f < N_FILES && status == EXIT_OK; f++)
        if (have[f] && rename(staged[f], final[f]))
            status = cli_fail("restore", LFR_EIO, "%s: %s (the restored files are in %s)", final[f],
                              strerror(errno), dir);
    if (status == EXIT_OK) {
        rmdir(dir);
        printf("%s: restored from %s; audit chain and anchor verified\n", a.db, a.file);
    } else if (!intact || rc) {
        remove_dir(dir, names, n);
    }
    lfr_ctx_free(ctx);
    return status;
}
