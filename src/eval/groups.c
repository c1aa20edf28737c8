/* eval/groups.c - error rates broken down by demographic group, the way the
 * National Physical Laboratory reports them (REQUIREMENTS ACC-1, ACC-2). */
#include "lfr/eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GROUPS_MAX_BYTES (64 * 1024 * 1024)
#define MAX_FIELDS 32

/* Splits one CSV line in place (RFC 4180 quoting); returns the field count. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            char *in = p + 1;
            for (;;) {
                if (*in == '\0') break;
                if (*in == '"' && in[1] == '"') {
                    *out++ = '"';
                    in += 2;
                } else if (*in == '"') {
                    in++;
                    break;
                } else {
                    *out++ = *in++;
                }
            }
            while (*in && *in != ',')
                in++;
            int more = *in == ',';
            *out = '\0';
            if (!more) break;
            p = in + 1;
        } else {
            char *comma = strchr(p, ',');
            if (!comma) break;
            *comma = '\0';
            p = comma + 1;
        }
    }
    /* Trim a trailing CR from the last field. */
    char *last = fields[n - 1];
    size_t len = strlen(last);
    if (len && last[len - 1] == '\r') last[len - 1] = '\0';
    return n;
}

static int is_missing(const char *v)
{
    return !*v || !strcmp(v, "unknown") || !strcmp(v, "ambiguous") || !strcmp(v, "unlabelled");
}

int lfr_groups_load(lfr_ctx *ctx, const char *csv_path, const char *column, const lfr_labelled *set,
                    lfr_groups **out)
{
    *out = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfr_read_file(ctx, csv_path, GROUPS_MAX_BYTES, &text, &len);
    if (rc) return rc;
    text[len] = '\0';
    lfr_groups *g = lfr_calloc(1, sizeof *g);
    if (g) g->group_of = lfr_alloc((size_t)set->n_names * sizeof(int));
    if (!g || !g->group_of) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", csv_path);
        goto fail;
    }
    snprintf(g->column, sizeof g->column, "%s", column);
    for (int i = 0; i < set->n_names; i++)
        g->group_of[i] = -1;
    char *save = NULL, *fields[MAX_FIELDS];
    int id_col = -1, val_col = -1, line_no = 0;
    for (char *line = strtok_r((char *)text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        int nf = split_csv(line, fields, MAX_FIELDS);
        if (line_no == 1) {
            for (int f = 0; f < nf; f++) {
                if (!strcmp(fields[f], "identity")) id_col = f;
                if (!strcmp(fields[f], column)) val_col = f;
            }
            if (id_col < 0 || val_col < 0) {
                rc = lfr_fail(ctx, LFR_EFORMAT, "%s:1: no '%s' column (and 'identity')", csv_path,
                              column);
                goto fail;
            }
            continue;
        }
        if (nf <= id_col || nf <= val_col) {
            rc = lfr_fail(ctx, LFR_EFORMAT, "%s:%d: %d fields, expected at least %d", csv_path,
                          line_no, nf, (id_col > val_col ? id_col : val_col) + 1);
            goto fail;
        }
        const char *value = fields[val_col];
        if (is_missing(value)) continue;
        int grp = -1;
        for (int k = 0; k < g->n_groups; k++)
            if (!strcmp(g->names[k], value)) grp = k;
        if (grp < 0) {
            if (g->n_groups == LFR_MAX_GROUPS || strlen(value) >= sizeof g->names[0]) {
                rc = lfr_fail(ctx, LFR_ELIMIT, "%s:%d: more than %d groups in '%s'", csv_path,
                              line_no, LFR_MAX_GROUPS, column);
                goto fail;
            }
            grp = g->n_groups++;
            snprintf(g->names[grp], sizeof g->names[grp], "%s", value);
        }
        for (int i = 0; i < set->n_names; i++)
            if (!strcmp(set->names[i], fields[id_col])) {
                g->group_of[i] = grp;
                break;
            }
    }
    lfr_free(text);
    *out = g;
    return LFR_OK;
fail:
    lfr_free(text);
    lfr_groups_free(g);
    return rc;
}

void lfr_groups_free(lfr_groups *g)
{
    if (!g) return;
    lfr_free(g->group_of);
    lfr_free(g);
}

static void rate(long k, long n, double *r, double *lo, double *hi)
{
    *r = n ? (double)k / (double)n : 0;
    lfr_wilson95(k, n, lo, hi);
}

int lfr_eval_groups(lfr_ctx *ctx, const lfr_labelled *set, const float *emb, const uint8_t *found,
                    int dim, const lfr_groups *g, double threshold, const lfr_identify_result *id,
                    lfr_group_rates *out)
{
    memset(out, 0, (size_t)g->n_groups * sizeof *out);
    int n = set->n;
    float *scores = lfr_alloc((size_t)n * sizeof(float));
    uint8_t *seen = lfr_calloc((size_t)set->n_names, 1);
    if (!scores || !seen) {
        lfr_free(scores);
        lfr_free(seen);
        return lfr_fail(ctx, LFR_ENOMEM, "groups: out of memory");
    }
    for (int k = 0; k < g->n_groups; k++)
        snprintf(out[k].name, sizeof out[k].name, "%s", g->names[k]);
    for (int i = 0; i < n; i++) {
        int li = set->label[i], gi = g->group_of[li];
        if (gi < 0) continue;
        if (!seen[li]) out[gi].n_identities++, seen[li] = 1;
        int rest = n - i - 1;
        if (rest <= 0) continue;
        lfr_dot_rows_f32(emb + (size_t)i * dim, emb + (size_t)(i + 1) * dim, rest, dim, scores);
        for (int k = 0; k < rest; k++) {
            int j = i + 1 + k, lj = set->label[j];
            if (g->group_of[lj] != gi) continue;
            int accept = found[i] && found[j] && scores[k] >= threshold;
            if (li == lj) {
                out[gi].genuine_pairs++;
                out[gi].false_non_matches += !accept;
            } else {
                out[gi].impostor_pairs++;
                out[gi].false_matches += accept;
            }
        }
    }
    for (int p = 0; id && p < id->n_probes; p++) {
        int gi = g->group_of[set->label[id->probe_image[p]]];
        if (gi < 0) continue;
        int accept = id->probe_score[p] >= threshold;
        if (id->probe_mated[p]) {
            out[gi].mated++;
            out[gi].false_negatives += !accept;
        } else {
            out[gi].nonmated++;
            out[gi].false_positives += accept;
        }
    }
    for (int k = 0; k < g->n_groups; k++) {
        lfr_group_rates *o = &out[k];
        rate(o->false_matches, o->impostor_pairs, &o->fmr, &o->fmr_lo, &o->fmr_hi);
        rate(o->false_non_matches, o->genuine_pairs, &o->fnmr, &o->fnmr_lo, &o->fnmr_hi);
        rate(o->false_positives, o->nonmated, &o->fpir, &o->fpir_lo, &o->fpir_hi);
        rate(o->false_negatives, o->mated, &o->fnir, &o->fnir_lo, &o->fnir_hi);
    }
    lfr_free(scores);
    lfr_free(seen);
    return LFR_OK;
}

/* Two rates differ significantly when their 95% intervals do not meet. */
static int differ(long k1, long n1, long k2, long n2)
{
    double lo1, hi1, lo2, hi2;
    lfr_wilson95(k1, n1, &lo1, &hi1);
    lfr_wilson95(k2, n2, &lo2, &hi2);
    return lo1 > hi2 || lo2 > hi1;
}

int lfr_eval_group_floor(lfr_ctx *ctx, const lfr_labelled *set, const float *emb,
                         const uint8_t *found, int dim, const lfr_groups *g, double t_from,
                         double step, lfr_group_floor *out)
{
    memset(out, 0, sizeof *out);
    if (!(step > 0) || t_from < -1 || t_from + step * (LFR_FLOOR_STEPS - 1) > 1.0 + 1e-9)
        return lfr_fail(ctx, LFR_EINVAL, "floor: the sweep must stay within [-1, 1]");
    /* One pass over the within-group impostor pairs: how many reach each
     * threshold of the sweep, by group. */
    long(*reach)[LFR_FLOOR_STEPS] = lfr_calloc(LFR_MAX_GROUPS, sizeof *reach);
    long pairs[LFR_MAX_GROUPS] = {0};
    float *scores = lfr_alloc((size_t)set->n * sizeof(float));
    if (!reach || !scores) {
        lfr_free(reach);
        lfr_free(scores);
        return lfr_fail(ctx, LFR_ENOMEM, "floor: out of memory");
    }
    for (int i = 0; i < set->n; i++) {
        int li = set->label[i], gi = g->group_of[li], rest = set->n - i - 1;
        if (gi < 0 || !found[i] || rest <= 0) continue;
        lfr_dot_rows_f32(emb + (size_t)i * dim, emb + (size_t)(i + 1) * dim, rest, dim, scores);
        for (int k = 0; k < rest; k++) {
            int j = i + 1 + k, lj = set->label[j];
            if (lj == li || g->group_of[lj] != gi || !found[j]) continue;
            pairs[gi]++;
            int top = (int)floor((scores[k] - t_from) / step);
            if (top < 0) continue;
            reach[gi][top < LFR_FLOOR_STEPS ? top : LFR_FLOOR_STEPS - 1]++;
        }
    }
    /* From counts per step to counts at or above each step. */
    for (int a = 0; a < g->n_groups; a++)
        for (int s = LFR_FLOOR_STEPS - 2; s >= 0; s--)
            reach[a][s] += reach[a][s + 1];
    /* The floor is the lowest threshold from which on, up to the end of the
     * sweep, no two groups' FMRs differ significantly. */
    out->floor = -2;
    int clear = 1;
    for (int s = LFR_FLOOR_STEPS - 1; s >= 0; s--) {
        lfr_floor_step *st = &out->steps[s];
        st->threshold = t_from + step * s;
        int hi = -1, lo = -1;
        for (int a = 0; a < g->n_groups; a++) {
            if (!pairs[a]) continue;
            double fa = (double)reach[a][s] / (double)pairs[a];
            if (hi < 0 || fa > (double)reach[hi][s] / (double)pairs[hi]) hi = a;
            if (lo < 0 || fa < (double)reach[lo][s] / (double)pairs[lo]) lo = a;
            for (int b = 0; b < a; b++)
                if (pairs[b] && differ(reach[a][s], pairs[a], reach[b][s], pairs[b]))
                    st->significant = 1;
        }
        if (hi >= 0) {
            snprintf(st->highest, sizeof st->highest, "%s", g->names[hi]);
            snprintf(st->lowest, sizeof st->lowest, "%s", g->names[lo]);
            st->highest_fm = reach[hi][s], st->highest_pairs = pairs[hi];
            st->lowest_fm = reach[lo][s], st->lowest_pairs = pairs[lo];
        }
        clear &= !st->significant;
        if (clear) out->floor = st->threshold;
    }
    out->n_steps = LFR_FLOOR_STEPS;
    lfr_free(reach);
    lfr_free(scores);
    return LFR_OK;
}
