/* hub: the hub object — its table of channels and the latest price of each
 * symbol, with the snapshots built from them.  Subscriptions are in
 * hub_subscriptions.c, the tick fan-out in hub_fanout.c. */
#include "config.h"

#include "hub.h"

#include "cp_error.h"
#include "hub_private.h"
#include "price.h"
#include "tickid.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hub *hub_new(const struct hub_limits *limits, struct deflate_ctx *deflate)
{
    struct hub *hub = xcalloc(1, sizeof *hub);
    hub->limits = *limits;
    hub->deflate = deflate;
    hub->batch = 1;
    hub->symbols_gen = 1;
    strcpy(hub->all.symbol, "*");
    return hub;
}

void hub_free(struct hub *hub)
{
    if (!hub)
        return;
    for (size_t i = 0; i < hub->n_channels; i++) {
        json_decref(hub->channels[i]->latest);
        free(hub->channels[i]->snapshot_text);
        free(hub->channels[i]);
    }
    free(hub->channels);
    free(hub->subs);
    free(hub->tick_chs);
    free(hub->owed);
    free(hub->snapshot_all);
    hub_symbols_clear(hub);
    free(hub);
}

void hub_symbols_clear(struct hub *hub)
{
    for (size_t i = 0; i < hub->n_symbols; i++)
        free(hub->symbols[i]);
    free(hub->symbols);
    hub->symbols = NULL;
    hub->n_symbols = 0;
}

struct hub_channel *hub_channel_find(const struct hub *hub, const char *symbol)
{
    if (strcmp(symbol, "*") == 0)
        return (struct hub_channel *)&hub->all;
    for (size_t i = 0; i < hub->n_channels; i++)
        if (strcmp(hub->channels[i]->symbol, symbol) == 0)
            return hub->channels[i];
    return NULL;
}

struct hub_channel *hub_channel_get(struct hub *hub, const char *symbol)
{
    struct hub_channel *ch = hub_channel_find(hub, symbol);
    if (ch)
        return ch;
    hub->channels =
        xgrow(hub->channels, hub->n_channels, &hub->cap_channels, sizeof *hub->channels, 16);
    ch = xcalloc(1, sizeof *ch);
    snprintf(ch->symbol, sizeof ch->symbol, "%s", symbol);
    hub->channels[hub->n_channels++] = ch;
    return ch;
}

/* A channel that nobody subscribes to and that has never had a price was
 * made by a subscription alone: free it, so clients cannot grow the table. */
void hub_channel_drop_if_unused(struct hub *hub, struct hub_channel *ch)
{
    if (ch == &hub->all || ch->count > 0 || ch->latest)
        return;
    for (size_t i = 0; i < hub->n_channels; i++) {
        if (hub->channels[i] == ch) {
            hub->channels[i] = hub->channels[--hub->n_channels];
            free(ch->snapshot_text);
            free(ch);
            hub_snapshot_changed(hub); /* the order of the channels moved */
            return;
        }
    }
}

/* price_tick_clean() and price_clean() made sure the ids parse. */
int hub_id_cmp(const char *a, const char *b)
{
    struct tickid x = {0, 0}, y = {0, 0};
    tickid_parse(a, &x);
    tickid_parse(b, &y);
    return tickid_after(x, y) ? 1 : tickid_after(y, x) ? -1 : 0;
}

void hub_note_id(struct hub *hub, const char *id, int64_t ts)
{
    if (!hub->last_id[0] || hub_id_cmp(id, hub->last_id) > 0) {
        snprintf(hub->last_id, sizeof hub->last_id, "%s", id);
        hub->last_ts = ts;
        hub_snapshot_changed(hub);
    }
}

void hub_snapshot_changed(struct hub *hub)
{
    free(hub->snapshot_all);
    hub->snapshot_all = NULL;
    for (size_t i = 0; i < hub->n_channels; i++) {
        free(hub->channels[i]->snapshot_text);
        hub->channels[i]->snapshot_text = NULL;
    }
}

void hub_channel_set_latest(struct hub *hub, struct hub_channel *ch, json_t *obj)
{
    if (!ch->latest)
        hub->symbols_gen++; /* hub_symbols() names channels with a price */
    json_decref(ch->latest);
    ch->latest = obj;
    hub_snapshot_changed(hub);
}

int hub_set_latest(struct hub *hub, const char *json, size_t len)
{
    json_t *raw = len <= hub->limits.max_tick_bytes ? json_loadb(json, len, 0, NULL) : NULL;
    char why[128];
    json_t *obj = raw ? price_clean(raw, why, sizeof why) : NULL;
    json_decref(raw);
    struct price p;
    if (!obj || price_from_json(obj, &p, why, sizeof why) != CP_OK) {
        json_decref(obj);
        return CP_EINVAL;
    }
    struct hub_channel *ch = hub_channel_get(hub, p.symbol);
    const char *have = ch->latest ? json_string_value(json_object_get(ch->latest, "id")) : NULL;
    if (have && hub_id_cmp(p.id, have) <= 0) { /* a tick already brought a newer one */
        json_decref(obj);
        return CP_OK;
    }
    hub_channel_set_latest(hub, ch, obj);
    hub_note_id(hub, p.id, p.ts);
    return CP_OK;
}

static bool wanted(const json_t *symbols, const char *symbol)
{
    size_t i;
    json_t *s;
    json_array_foreach(symbols, i, s)
    {
        const char *v = json_string_value(s);
        if (v && (strcmp(v, "*") == 0 || strcmp(v, symbol) == 0))
            return true;
    }
    return false;
}

json_t *hub_snapshot(const struct hub *hub, const json_t *symbols)
{
    json_t *prices = json_array();
    for (size_t i = 0; i < hub->n_channels; i++) {
        const struct hub_channel *ch = hub->channels[i];
        if (ch->latest && wanted(symbols, ch->symbol))
            json_array_append(prices, ch->latest);
    }
    return json_pack("{s:s, s:I, s:o}", "id", hub->last_id, "ts", (json_int_t)hub->last_ts,
                     "prices", prices);
}

const char *hub_snapshot_all_text(struct hub *hub, size_t *len)
{
    if (!hub->snapshot_all) {
        json_t *all = json_pack("[s]", "*");
        json_t *snap = hub_snapshot(hub, all);
        if (json_array_size(json_object_get(snap, "prices")) > 0) {
            hub->snapshot_all = json_dumps(snap, PRICE_JSON_FLAGS);
            hub->snapshot_all_len = strlen(hub->snapshot_all);
        }
        json_decref(snap);
        json_decref(all);
    }
    *len = hub->snapshot_all ? hub->snapshot_all_len : 0;
    return hub->snapshot_all;
}

const char *hub_snapshot_one_text(struct hub *hub, const char *symbol, size_t *len)
{
    struct hub_channel *ch = strcmp(symbol, "*") != 0 ? hub_channel_find(hub, symbol) : NULL;
    *len = 0;
    if (!ch || !ch->latest)
        return NULL;
    if (!ch->snapshot_text) {
        json_t *one = json_pack("[s]", symbol);
        json_t *snap = hub_snapshot(hub, one);
        ch->snapshot_text = json_dumps(snap, PRICE_JSON_FLAGS);
        ch->snapshot_len = ch->snapshot_text ? strlen(ch->snapshot_text) : 0;
        json_decref(snap);
        json_decref(one);
    }
    *len = ch->snapshot_len;
    return ch->snapshot_text;
}

uint64_t hub_symbols_gen(const struct hub *hub)
{
    return hub->symbols_gen;
}

const struct hub_stats *hub_get_stats(const struct hub *hub)
{
    return &hub->stats;
}

const char *hub_last_id(const struct hub *hub)
{
    return hub->tick_id;
}

int64_t hub_last_ts(const struct hub *hub)
{
    return hub->last_ts;
}
