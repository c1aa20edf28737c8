/* store/pg_sql.c - SQL written for SQLite, as PostgreSQL takes it. The
 * statements keep SQLite's parameter marks (?, ?N); PostgreSQL numbers its
 * own ($N). The rest of the SQL is kept to what both run. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* SQLite functions PostgreSQL spells otherwise (same arguments). */
static const struct {
    const char *sqlite, *pg;
} renamed[] = {{"instr(", "strpos("}};

static int word_start(const char *sql, const char *p)
{
    return p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
}

char *store_pg_sql(const char *sql, int *n_params)
{
    size_t len = strlen(sql);
    /* Each '?' grows to at most "$" and 10 digits; renamings grow by at
     * most 8 bytes each. */
    size_t cap = len * 11 + 1;
    char *out = lfr_alloc(cap);
    if (!out) return NULL;
    char *o = out;
    int highest = 0;
    char quote = 0;
    for (const char *p = sql; *p;) {
        if (quote) {
            if (*p == quote) quote = 0;
            *o++ = *p++;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p++;
            continue;
        }
        if (*p == '?') {
            p++;
            int n = 0;
            if (isdigit((unsigned char)*p)) {
                n = (int)strtol(p, (char **)&p, 10);
            } else {
                n = highest + 1; /* as SQLite numbers a bare '?' */
            }
            if (n > highest) highest = n;
            o += snprintf(o, cap - (size_t)(o - out), "$%d", n);
            continue;
        }
        size_t k = 0;
        for (; k < sizeof renamed / sizeof renamed[0]; k++) {
            size_t n = strlen(renamed[k].sqlite);
            if (word_start(sql, p) && !strncasecmp(p, renamed[k].sqlite, n)) {
                o += snprintf(o, cap - (size_t)(o - out), "%s", renamed[k].pg);
                p += n;
                break;
            }
        }
        if (k == sizeof renamed / sizeof renamed[0]) *o++ = *p++;
    }
    *o = '\0';
    *n_params = highest;
    return out;
}
