/* report/stats.c - the statistics of published figures: the suppression of
 * small counts that could identify someone (PUB-3). */
#include "internal.h"

#include <string.h>

json_t *suppress_count(int64_t n)
{
    return n >= 1 && n <= 4 ? json_string(SUPPRESS_SMALL) : json_integer(n);
}

int is_suppressed(const json_t *v)
{
    return json_is_string(v) && (!strcmp(json_string_value(v), SUPPRESS_SMALL) ||
                                 !strcmp(json_string_value(v), SUPPRESS_SECONDARY));
}

/* How many ways (0, 1 or "2 or more") the hidden cells of a table can add
 * up to sum, given what a reader knows: a "<5" cell holds 1 to 4, a "[c]"
 * cell 0 is never picked for, so 5 or more. */
static int ways_to_sum(const int *hidden, int n, int64_t sum)
{
    if (sum < 0 || sum > 1000000) return 2; /* too large to pin down */
    size_t len = (size_t)sum + 1;
    unsigned char *ways = lfr_calloc(len, 1), *next = lfr_calloc(len, 1);
    int result = 2;
    if (ways && next) {
        ways[0] = 1;
        for (int i = 0; i < n; i++) {
            if (!hidden[i]) continue;
            /* running[s] = min(2, ways[0] + ... + ways[s]) */
            int running = 0;
            for (size_t s = 0; s < len; s++) {
                int w = 0;
                if (hidden[i] == 1) {
                    for (int v = 1; v <= 4 && (size_t)v <= s; v++)
                        w += ways[s - (size_t)v];
                } else if (s >= 5) {
                    running += ways[s - 5];
                    if (running > 2) running = 2;
                    w = running;
                }
                next[s] = (unsigned char)(w > 2 ? 2 : w);
            }
            unsigned char *t = ways;
            ways = next;
            next = t;
        }
        result = ways[sum];
    }
    lfr_free(ways);
    lfr_free(next);
    return result;
}

int suppress_table(const int64_t *counts, int n, int64_t total, json_t **out)
{
    int hidden[16] = {0}, n_hidden = 0, hide_total = total >= 1 && total <= 4;
    for (int i = 0; i < n && i < 16; i++)
        if (counts[i] >= 1 && counts[i] <= 4) hidden[i] = 1, n_hidden++;
    /* Beside a shown total, the hidden cells add up to the total minus the
     * rest: hide more cells (the smallest of 5 or more) until that sum can
     * be made in more than one way, else hide the total too. */
    if (n_hidden && !hide_total) {
        int64_t shown = 0;
        for (int i = 0; i < n && i < 16; i++)
            if (!hidden[i]) shown += counts[i];
        while (ways_to_sum(hidden, n < 16 ? n : 16, total - shown) < 2) {
            int pick = -1;
            for (int i = 0; i < n && i < 16; i++)
                if (!hidden[i] && counts[i] >= 5 && (pick < 0 || counts[i] < counts[pick]))
                    pick = i;
            if (pick < 0) {
                hide_total = 1;
                break;
            }
            hidden[pick] = 2;
            shown -= counts[pick];
        }
    }
    for (int i = 0; i < n && i < 16; i++)
        out[i] = hidden[i] == 1   ? json_string(SUPPRESS_SMALL)
                 : hidden[i] == 2 ? json_string(SUPPRESS_SECONDARY)
                                  : json_integer(counts[i]);
    return hide_total;
}
