/* match/idmap.c - identity id to index, by open addressing.
 *
 * The map stores only ints; the strings live in the gallery's identity
 * records and are read back through key_of, so nothing is stored twice.
 */
#include "internal.h"

#include <string.h>

#define EMPTY (-1)
#define DELETED (-2)

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t probe_slot(const idmap *m, const char *id, idmap_key_fn key_of, const void *owner,
                         int for_insert)
{
    size_t mask = m->cap - 1, i = (size_t)hash_id(id) & mask, first_free = (size_t)-1;
    for (;;) {
        int v = m->slots[i];
        if (v == EMPTY) return for_insert && first_free != (size_t)-1 ? first_free : i;
        if (v == DELETED) {
            if (first_free == (size_t)-1) first_free = i;
        } else if (!strcmp(key_of(owner, v), id)) {
            return i;
        }
        i = (i + 1) & mask;
    }
}

int idmap_find(const idmap *m, const char *id, idmap_key_fn key_of, const void *owner)
{
    if (!m->cap) return -1;
    int v = m->slots[probe_slot(m, id, key_of, owner, 0)];
    return v >= 0 ? v : -1;
}

static int grow(idmap *m, idmap_key_fn key_of, const void *owner)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    int *ns = lfr_alloc(ncap * sizeof *ns);
    if (!ns) return -1;
    memset(ns, 0xff, ncap * sizeof *ns); /* all EMPTY (-1) */
    idmap old = *m;
    m->slots = ns;
    m->cap = ncap;
    m->used = 0;
    for (size_t i = 0; i < old.cap; i++) {
        int v = old.slots[i];
        if (v < 0) continue;
        m->slots[probe_slot(m, key_of(owner, v), key_of, owner, 1)] = v;
        m->used++;
    }
    lfr_free(old.slots);
    return 0;
}

int idmap_insert(idmap *m, const char *id, int value, idmap_key_fn key_of, const void *owner)
{
    /* Keep the load (deleted slots included) under 1/2 so probes stay short. */
    if ((m->used + 1) * 2 > m->cap && grow(m, key_of, owner)) return -1;
    size_t i = probe_slot(m, id, key_of, owner, 1);
    if (m->slots[i] == EMPTY) m->used++;
    m->slots[i] = value;
    return 0;
}

void idmap_erase(idmap *m, const char *id, idmap_key_fn key_of, const void *owner)
{
    if (!m->cap) return;
    size_t i = probe_slot(m, id, key_of, owner, 0);
    if (m->slots[i] >= 0) m->slots[i] = DELETED;
}

void idmap_update(idmap *m, const char *id, int value, idmap_key_fn key_of, const void *owner)
{
    size_t i = probe_slot(m, id, key_of, owner, 0);
    if (m->slots[i] >= 0) m->slots[i] = value;
}

void idmap_free(idmap *m)
{
    lfr_free(m->slots);
    memset(m, 0, sizeof *m);
}
