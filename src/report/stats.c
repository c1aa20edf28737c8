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

void suppress_table(const int64_t *counts, int n, int64_t total, json_t **out)
{
    int hidden[16] = {0}, n_hidden = 0;
    for (int i = 0; i < n && i < 16; i++)
        if (counts[i] >= 1 && counts[i] <= 4) hidden[i] = 1, n_hidden++;
    /* One hidden cell beside a shown total is the total minus the rest. */
    int total_shown = !(total >= 1 && total <= 4);
    if (n_hidden == 1 && total_shown) {
        int pick = -1;
        for (int i = 0; i < n && i < 16; i++)
            if (!hidden[i] && (pick < 0 || counts[i] < counts[pick])) pick = i;
        if (pick >= 0) hidden[pick] = 2;
    }
    for (int i = 0; i < n && i < 16; i++)
        out[i] = hidden[i] == 1   ? json_string(SUPPRESS_SMALL)
                 : hidden[i] == 2 ? json_string(SUPPRESS_SECONDARY)
                                  : json_integer(counts[i]);
}
