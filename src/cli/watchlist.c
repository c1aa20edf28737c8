/* cli/watchlist.c - a watchlist for `lfr watch` and `lfr bench pipeline`
 * from a folder (one sub-folder or image file per person) or a CSV manifest
 * ("identity,path" per line, or "path,identity" under such a header; paths
 * relative to the manifest). */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PHOTOS_PER_PERSON 16

static int is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    static const char *ext[] = {".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".JPG", ".JPEG", ".PNG"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcmp(dot, ext[i])) return 1;
    return 0;
}

/* Embeds one enrolment photo through the enrolment gate (WL-5), the one
 * the server's watchlists use. */
static int embed_photo(lfr_ctx *ctx, const lfr_engine *e, const char *path, float *out)
{
    lfr_image *img = NULL;
    int rc = lfr_image_load(ctx, path, NULL, &img);
    if (rc == LFR_OK) {
        rc = lfr_engine_enrol(ctx, e, img, NULL, out, NULL);
        if (rc) lfr_fail(ctx, rc, "%s: refused: %s", path, lfr_errmsg(ctx));
    }
    lfr_image_free(img);
    return rc;
}

/* Refused photos are an error, or with skip_refused (an evaluation over
 * someone else's photo set) said on stderr and left out. */
typedef struct loader {
    const lfr_engine *e;
    lfr_gallery *g;
    const char *cmd;
    int skip_refused;
    int n_refused, n_people_left_out;
} loader;

static int add_person(lfr_ctx *ctx, loader *L, const char *id, char **paths, int n)
{
    int dim = lfr_engine_embedding_size(L->e);
    float *tpl = lfr_calloc((size_t)n * dim, sizeof(float));
    if (!tpl) return lfr_fail(ctx, LFR_ENOMEM, "watchlist: out of memory");
    int rc = LFR_OK, kept = 0;
    for (int i = 0; i < n && rc == LFR_OK; i++) {
        rc = embed_photo(ctx, L->e, paths[i], tpl + (size_t)kept * dim);
        if (rc == LFR_OK) {
            kept++;
        } else if (L->skip_refused && (rc == LFR_EINVAL || rc == LFR_ENOFACE)) {
            fprintf(stderr, "lfr %s: warning: %s (left out)\n", L->cmd, lfr_errmsg(ctx));
            L->n_refused++;
            rc = LFR_OK;
        }
    }
    if (rc == LFR_OK && kept)
        rc = lfr_gallery_add(ctx, L->g, id, tpl, kept);
    else if (rc == LFR_OK)
        L->n_people_left_out++;
    lfr_wipe_free(tpl, (size_t)n * dim * sizeof(float));
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_folder(lfr_ctx *ctx, loader *L, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return lfr_fail(ctx, LFR_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = LFR_OK;
    char **names = NULL;
    int n_names = 0;
    while ((de = readdir(d)) && rc == LFR_OK) {
        if (de->d_name[0] == '.') continue;
        char **nn = lfr_realloc(names, (size_t)(n_names + 1) * sizeof *nn);
        if (!nn || !(nn[n_names] = lfr_strdup(de->d_name))) {
            if (nn) names = nn;
            rc = lfr_fail(ctx, LFR_ENOMEM, "watchlist: out of memory");
            break;
        }
        names = nn;
        n_names++;
    }
    closedir(d);
    /* An empty folder leaves names NULL, which qsort may not be given. */
    if (rc == LFR_OK && n_names > 0) qsort(names, (size_t)n_names, sizeof *names, cmp_str);
    for (int i = 0; i < n_names && rc == LFR_OK; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISREG(st.st_mode) && is_image(names[i])) {
            char id[LFR_ID_MAX];
            snprintf(id, sizeof id, "%.*s", (int)(strrchr(names[i], '.') - names[i]), names[i]);
            char *one[1] = {path};
            rc = add_person(ctx, L, id, one, 1);
        } else if (S_ISDIR(st.st_mode)) {
            char *photos[MAX_PHOTOS_PER_PERSON];
            int n = 0;
            DIR *pd = opendir(path);
            struct dirent *pe;
            while (pd && (pe = readdir(pd)) && n < MAX_PHOTOS_PER_PERSON) {
                if (!is_image(pe->d_name)) continue;
                size_t len = strlen(path) + strlen(pe->d_name) + 2;
                if (!(photos[n] = lfr_alloc(len))) break;
                snprintf(photos[n++], len, "%s/%s", path, pe->d_name);
            }
            if (pd) closedir(pd);
            qsort(photos, (size_t)n, sizeof *photos, cmp_str);
            if (n == 0)
                rc = lfr_fail(ctx, LFR_EFORMAT, "%s: no photos for this person", path);
            else
                rc = add_person(ctx, L, names[i], photos, n);
            for (int k = 0; k < n; k++)
                lfr_free(photos[k]);
        }
    }
    for (int i = 0; i < n_names; i++)
        lfr_free(names[i]);
    lfr_free(names);
    if (rc == LFR_OK && lfr_gallery_identities(L->g) == 0)
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: no people in the watchlist folder", dir);
    return rc;
}

static int load_manifest(lfr_ctx *ctx, loader *L, const char *file)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, file, 16 << 20, &text, &len);
    if (rc) return rc;
    text[len] = '\0';
    char base[4096];
    snprintf(base, sizeof base, "%s", file);
    char *dir = dirname(base);
    char *save = NULL;
    int line_no = 0, path_first = 0;
    /* Rows of one person may be spread out: collect per identity first. */
    typedef struct person {
        char id[LFR_ID_MAX];
        char *paths[MAX_PHOTOS_PER_PERSON];
        int n;
    } person;
    person *people = NULL;
    int n_people = 0;
    for (char *line = strtok_r((char *)text, "\n", &save); line && rc == LFR_OK;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char id[LFR_ID_MAX], rel[2048];
        if (line_no == 1 && !strncmp(line, "identity,", 9)) continue;
        if (line_no == 1 && !strncmp(line, "path,identity", 13)) {
            path_first = 1; /* the column order of the shared data's manifests */
            continue;
        }
        int got = path_first ? sscanf(line, "%2047[^,],%63[^\r\n]", rel, id)
                             : sscanf(line, "%63[^,],%2047[^\r\n]", id, rel);
        if (got != 2) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s:%d: expected '%s'", file, line_no,
                          path_first ? "path,identity" : "identity,path");
            break;
        }
        int k = 0;
        while (k < n_people && strcmp(people[k].id, id))
            k++;
        if (k == n_people) {
            person *np = lfr_realloc(people, (size_t)(n_people + 1) * sizeof *np);
            if (!np) {
                rc = lfr_fail(ctx, LFR_ENOMEM, "watchlist: out of memory");
                break;
            }
            people = np;
            memset(&people[n_people], 0, sizeof *people);
            snprintf(people[n_people++].id, LFR_ID_MAX, "%s", id);
        }
        if (people[k].n == MAX_PHOTOS_PER_PERSON) {
            rc = lfr_fail(ctx, LFR_ELIMIT, "%s:%d: more than %d photos of %s", file, line_no,
                          MAX_PHOTOS_PER_PERSON, id);
            break;
        }
        size_t plen = strlen(dir) + strlen(rel) + 2;
        char *path = lfr_alloc(plen);
        if (!path) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "watchlist: out of memory");
            break;
        }
        if (rel[0] == '/')
            snprintf(path, plen, "%s", rel);
        else
            snprintf(path, plen, "%s/%s", dir, rel);
        people[k].paths[people[k].n++] = path;
    }
    for (int k = 0; k < n_people && rc == LFR_OK; k++)
        rc = add_person(ctx, L, people[k].id, people[k].paths, people[k].n);
    for (int k = 0; k < n_people; k++)
        for (int i = 0; i < people[k].n; i++)
            lfr_free(people[k].paths[i]);
    lfr_free(people);
    lfr_free(text);
    if (rc == LFR_OK && lfr_gallery_identities(L->g) == 0)
        rc = lfr_fail(ctx, LFR_EFORMAT, "%s: no people in the watchlist", file);
    return rc;
}

int cli_watchlist_load(lfr_ctx *ctx, const lfr_engine *e, const char *path, const char *cmd,
                       int skip_refused, lfr_gallery **out)
{
    *out = NULL;
    lfr_gallery_params gp = lfr_gallery_default_params();
    gp.dim = lfr_engine_embedding_size(e);
    gp.model = lfr_model_name(lfr_engine_model(e, LFR_MODEL_EMBEDDER));
    loader L = {.e = e, .cmd = cmd, .skip_refused = skip_refused};
    int rc = lfr_gallery_new(ctx, &gp, &L.g);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st))
        rc = lfr_fail(ctx, LFR_ENOENT, "%s: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = load_folder(ctx, &L, path);
    else
        rc = load_manifest(ctx, &L, path);
    if (rc) {
        lfr_gallery_free(L.g);
        return rc;
    }
    if (L.n_refused)
        fprintf(stderr, "lfr %s: warning: %d photo%s refused and left out; %d %s without a photo\n",
                cmd, L.n_refused, L.n_refused == 1 ? "" : "s", L.n_people_left_out,
                L.n_people_left_out == 1 ? "person is" : "people are");
    *out = L.g;
    return LFR_OK;
}
