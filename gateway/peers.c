#include "config.h"

#include "peers.h"

#include "xalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing; a slot with count 0 after having been
 * used is a tombstone (used = true), so probes go on past it. */
struct peers_slot {
    struct peers_key key;
    unsigned count;
    bool used;
};

struct peers {
    struct peers_slot *slots;
    size_t cap, used; /* used: slots ever taken since the last rehash */
};

struct peers *peers_new(void)
{
    struct peers *p = xcalloc(1, sizeof *p);
    p->cap = 1024;
    p->slots = xcalloc(p->cap, sizeof *p->slots);
    return p;
}

void peers_free(struct peers *p)
{
    if (!p)
        return;
    free(p->slots);
    free(p);
}

struct peers_key peers_key_of(const struct sockaddr *sa)
{
    struct peers_key k;
    memset(&k, 0, sizeof k);
    if (sa->sa_family == AF_INET6) {
        memcpy(k.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else if (sa->sa_family == AF_INET) {
        k.addr[10] = k.addr[11] = 0xff;
        memcpy(k.addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    }
    return k;
}

static size_t hash(const struct peers_key *k)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < sizeof k->addr; i++)
        h = (h ^ k->addr[i]) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot holding key, or the first free one for it. */
static struct peers_slot *find(const struct peers *p, const struct peers_key *k, bool for_insert)
{
    struct peers_slot *tomb = NULL;
    for (size_t i = hash(k) & (p->cap - 1);; i = (i + 1) & (p->cap - 1)) {
        struct peers_slot *s = &p->slots[i];
        if (s->used && memcmp(&s->key, k, sizeof *k) == 0)
            return s;
        if (s->used && s->count == 0 && !tomb)
            tomb = s;
        if (!s->used)
            return for_insert ? (tomb ? tomb : s) : NULL;
    }
}

static void rehash(struct peers *p, size_t cap)
{
    struct peers_slot *old = p->slots;
    size_t old_cap = p->cap;
    p->slots = xcalloc(cap, sizeof *p->slots);
    p->cap = cap;
    p->used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].used && old[i].count) {
            struct peers_slot *s = find(p, &old[i].key, true);
            *s = old[i];
            p->used++;
        }
    }
    free(old);
}

bool peers_add(struct peers *p, const struct peers_key *key, unsigned limit)
{
    if (2 * (p->used + 1) > p->cap)
        rehash(p, p->cap * 2);
    struct peers_slot *s = find(p, key, true);
    if (s->used && memcmp(&s->key, key, sizeof *key) == 0) {
        if (s->count >= limit)
            return false;
        s->count++;
        return true;
    }
    if (limit == 0)
        return false;
    if (!s->used)
        p->used++;
    s->key = *key;
    s->used = true;
    s->count = 1;
    return true;
}

void peers_remove(struct peers *p, const struct peers_key *key)
{
    struct peers_slot *s = find(p, key, false);
    if (s && s->count)
        s->count--;
}

unsigned peers_count(const struct peers *p, const struct peers_key *key)
{
    const struct peers_slot *s = find(p, key, false);
    return s ? s->count : 0;
}
