/* hub_recent: the newest ticks fanned out, held so that a resume from one
 * of them is answered from memory (hub.h, "The newest ticks"). */
#include "config.h"

#include "hub.h"

#include "hub_private.h"
#include "price.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hub_recent_tick *slot_at(struct hub_recent *r, size_t i)
{
    return &r->slot[(r->first + i) % HUB_RECENT_TICKS];
}

static void slot_free(struct hub_recent_tick *t)
{
    json_decref(t->tick);
    free(t->text);
    memset(t, 0, sizeof *t);
}

void hub_recent_clear(struct hub *hub)
{
    struct hub_recent *r = &hub->recent;
    for (size_t i = 0; i < r->n; i++)
        slot_free(slot_at(r, i));
    r->first = r->n = 0;
    r->whole = false;
}

/* Append tick (a reference taken) with id, dropping the oldest when full. */
static void append(struct hub_recent *r, const char *id, json_t *tick)
{
    if (r->n == HUB_RECENT_TICKS) {
        slot_free(slot_at(r, 0));
        r->first = (r->first + 1) % HUB_RECENT_TICKS;
        r->n--;
    }
    struct hub_recent_tick *t = slot_at(r, r->n++);
    snprintf(t->id, sizeof t->id, "%s", id);
    t->tick = tick;
    t->text = NULL;
}

void hub_recent_push(struct hub *hub, const char *id, json_t *tick)
{
    struct hub_recent *r = &hub->recent;
    /* A tick the anchor's read already brought (stored, read, and only then
     * published) is held once. */
    if (r->open && (r->n == 0 || hub_id_cmp(id, slot_at(r, r->n - 1)->id) > 0))
        append(r, id, json_incref(tick));
}

uint64_t hub_recent_open(struct hub *hub)
{
    hub_recent_clear(hub);
    hub->recent.open = true;
    return ++hub->recent.gen;
}

void hub_recent_close(struct hub *hub)
{
    hub_recent_clear(hub);
    hub->recent.open = false;
    hub->recent.gen++;
}

/* A history entry as the fan-out would take it: the cleaned tick, or NULL
 * when it is not a valid tick, over MAX_TICK_BYTES, or its id is not the
 * entry's. */
static json_t *entry_tick(const struct hub *hub, const char *id, const char *text, size_t len)
{
    if (len > hub->limits.max_tick_bytes)
        return NULL;
    char err[256];
    json_t *raw = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *tick = raw ? price_tick_clean(raw, err, sizeof err) : NULL;
    json_decref(raw);
    const char *tid = json_string_value(json_object_get(tick, "id"));
    if (tick && (!tid || strcmp(tid, id) != 0)) {
        json_decref(tick);
        tick = NULL;
    }
    return tick;
}

bool hub_recent_anchor(struct hub *hub, uint64_t gen, const char *const *ids,
                       const char *const *texts, const size_t *lens, size_t n)
{
    struct hub_recent *r = &hub->recent;
    if (!r->open || gen != r->gen)
        return false;
    /* What the fan-out held since the open, after the newest entry read. */
    struct hub_recent since_open = *r;
    r->first = r->n = 0;
    /* Only the newest HUB_RECENT_TICKS entries can stay. */
    for (size_t i = n > HUB_RECENT_TICKS ? n - HUB_RECENT_TICKS : 0; i < n; i++) {
        json_t *tick = entry_tick(hub, ids[i], texts[i], lens[i]);
        if (tick)
            append(r, ids[i], tick);
    }
    /* When more than HUB_RECENT_TICKS came before the answer (the oldest
     * dropped for room), those held are all newer than the entries read,
     * and the entries are dropped for room in turn: none is joined to them
     * across the gap. */
    for (size_t i = 0; i < since_open.n; i++) {
        struct hub_recent_tick *t = slot_at(&since_open, i);
        if (n == 0 || hub_id_cmp(t->id, ids[n - 1]) > 0) {
            append(r, t->id, t->tick);
            t->tick = NULL;
        }
        slot_free(t);
    }
    r->whole = true;
    return true;
}

bool hub_recent_after(struct hub *hub, const char *since, hub_recent_cb cb, void *arg)
{
    struct hub_recent *r = &hub->recent;
    if (!r->whole || !since)
        return false;
    size_t after = r->n; /* newest first: most resumes name one of the last ticks */
    while (after > 0 && strcmp(slot_at(r, after - 1)->id, since) != 0)
        after--;
    if (after == 0)
        return false;
    for (size_t i = after; i < r->n; i++) {
        struct hub_recent_tick *t = slot_at(r, i);
        if (!t->text)
            t->text = json_dumps(t->tick, PRICE_JSON_FLAGS);
        cb(t->tick, t->text, t->id, arg);
    }
    return true;
}

size_t hub_recent_count(const struct hub *hub)
{
    return hub->recent.whole ? hub->recent.n : 0;
}
