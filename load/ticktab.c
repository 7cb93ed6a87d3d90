#include "config.h"

#include "ticktab.h"

#include "xalloc.h"

#include <stdlib.h>

#define TICKTAB_FIRST 4096 /* slots at first, a power of two */

struct ticktab {
    struct load_tick *slot; /* count == 0: free */
    size_t cap, n;
};

struct ticktab *ticktab_new(void)
{
    struct ticktab *t = xcalloc(1, sizeof *t);
    t->cap = TICKTAB_FIRST;
    t->slot = xcalloc(t->cap, sizeof *t->slot);
    return t;
}

void ticktab_free(struct ticktab *t)
{
    if (!t)
        return;
    free(t->slot);
    free(t);
}

static struct load_tick *find(struct load_tick *slot, size_t cap, int64_t ms, uint64_t seq)
{
    size_t h = (size_t)((uint64_t)ms * 0x9E3779B97F4A7C15ULL ^ seq) & (cap - 1);
    for (;; h = (h + 1) & (cap - 1))
        if (slot[h].count == 0 || (slot[h].ms == ms && slot[h].seq == seq))
            return &slot[h];
}

/* Keep the table at most half full, so that probes stay short. */
static void grow(struct ticktab *t)
{
    size_t cap = t->cap * 2;
    struct load_tick *slot = xcalloc(cap, sizeof *slot);
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].count)
            *find(slot, cap, t->slot[i].ms, t->slot[i].seq) = t->slot[i];
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
}

void ticktab_add(struct ticktab *t, int64_t ms, uint64_t seq)
{
    if (t->n + 1 > t->cap / 2)
        grow(t);
    struct load_tick *s = find(t->slot, t->cap, ms, seq);
    if (s->count == 0) {
        *s = (struct load_tick){ms, seq, 0};
        t->n++;
    }
    s->count++;
}

size_t ticktab_size(const struct ticktab *t)
{
    return t->n;
}

const struct load_tick *ticktab_pack(struct ticktab *t, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].count)
            t->slot[k++] = t->slot[i];
    *n = k;
    return t->slot;
}
