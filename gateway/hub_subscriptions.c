/* hub_subscriptions: the hub's subscription sets — which client is on which
 * channel (the client's list, in the order of subscription; a count per
 * channel), every client with any (the array the fan-out walks) — and the
 * feed's symbol list that decides which symbols may be subscribed to. */
#include "config.h"

#include "hub.h"

#include "cp_error.h"
#include "hub_private.h"
#include "price.h"
#include "strlist.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

void hub_client_init(struct hub_client *c, struct evbuffer *out, enum msg_transport transport,
                     void (*on_overflow)(struct hub_client *, void *), void *arg)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->transport = transport;
    c->on_overflow = on_overflow;
    c->arg = arg;
    c->fd = -1;
}

void hub_client_set_socket(struct hub_client *c, int fd)
{
    c->fd = fd;
}

void hub_client_count_queued(struct hub_client *c, size_t queued)
{
    c->queued_counted = true;
    c->queued = queued;
}

static bool listed(const struct hub *hub, const char *symbol)
{
    for (size_t i = 0; i < hub->n_symbols; i++)
        if (strcmp(hub->symbols[i], symbol) == 0)
            return true;
    return false;
}

bool hub_symbol_known(const struct hub *hub, const char *symbol)
{
    const struct hub_channel *ch = hub_channel_find(hub, symbol);
    if (ch && ch->latest)
        return true;
    /* Before the feed has said what it carries, accept any symbol. */
    return listed(hub, symbol) || hub->n_symbols == 0;
}

bool hub_has_symbol_list(const struct hub *hub)
{
    return hub->n_symbols > 0;
}

json_t *hub_symbols(const struct hub *hub)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < hub->n_symbols; i++)
        json_array_append_new(arr, json_string(hub->symbols[i]));
    for (size_t i = 0; i < hub->n_channels; i++) {
        const struct hub_channel *ch = hub->channels[i];
        if (ch->latest && !listed(hub, ch->symbol))
            json_array_append_new(arr, json_string(ch->symbol));
    }
    return arr;
}

/* The same rule as the feeder's list everywhere else (strlist): items split
 * at commas, blanks around them trimmed; empty, over-long and invalid items
 * are skipped. */
void hub_set_symbols(struct hub *hub, const char *list)
{
    hub_symbols_clear(hub);
    hub->symbols_gen++;
    const char *item;
    size_t len;
    while (strlist_next(&list, &item, &len)) {
        char sym[PRICE_SYMBOL_MAX];
        if (len == 0 || !strlist_copy(item, len, sym, sizeof sym) || !price_symbol_valid(sym))
            continue;
        hub->symbols = xrealloc(hub->symbols, (hub->n_symbols + 1) * sizeof(char *));
        hub->symbols[hub->n_symbols++] = xstrdup(sym);
    }
}

static struct hub_member **find_member(struct hub_client *c, const struct hub_channel *ch)
{
    for (struct hub_member **m = &c->members; *m; m = &(*m)->client_next)
        if ((*m)->ch == ch)
            return m;
    return NULL;
}

/* c has its first subscription: it joins the fan-out's walk, last. */
static void add_subscriber(struct hub *hub, struct hub_client *c)
{
    hub->subs = xgrow(hub->subs, hub->n_subs, &hub->cap_subs, sizeof *hub->subs, 64);
    c->sub_index = hub->n_subs;
    hub->subs[hub->n_subs++] = c;
}

/* c has no subscription left: the last subscriber fills its place.  The
 * fan-out walks the array downwards, so a client it drops (on_overflow) is
 * replaced by one already served. */
static void remove_subscriber(struct hub *hub, struct hub_client *c)
{
    struct hub_client *last = hub->subs[--hub->n_subs];
    hub->subs[c->sub_index] = last;
    last->sub_index = c->sub_index;
    if (hub->cap_subs > 64 && hub->n_subs < hub->cap_subs / 4) { /* after a mass disconnect */
        hub->cap_subs /= 2;
        hub->subs = xrealloc(hub->subs, hub->cap_subs * sizeof *hub->subs);
    }
}

int hub_subscribe(struct hub *hub, struct hub_client *c, const char *symbol)
{
    if (strcmp(symbol, "*") != 0 && !price_symbol_valid(symbol))
        return CP_EINVAL;
    if (strcmp(symbol, "*") != 0 && !hub_symbol_known(hub, symbol))
        return CP_ENOENT;
    struct hub_channel *ch = hub_channel_get(hub, symbol);
    if (find_member(c, ch))
        return 0;
    struct hub_member *m = xcalloc(1, sizeof *m);
    m->ch = ch;
    ch->count++;
    if (c->n_members == 0)
        add_subscriber(hub, c);
    struct hub_member **tail = &c->members; /* keep the order of subscription */
    while (*tail)
        tail = &(*tail)->client_next;
    *tail = m;
    c->n_members++;
    c->all |= ch == &hub->all;
    return 1;
}

static void unlink_member(struct hub *hub, struct hub_member *m)
{
    struct hub_channel *ch = m->ch;
    ch->count--;
    free(m);
    hub_channel_drop_if_unused(hub, ch);
}

int hub_unsubscribe(struct hub *hub, struct hub_client *c, const char *symbol)
{
    if (strcmp(symbol, "*") == 0) {
        int had = c->members != NULL;
        hub_client_clear(hub, c);
        return had;
    }
    struct hub_channel *ch = hub_channel_find(hub, symbol);
    struct hub_member **pm = ch ? find_member(c, ch) : NULL;
    if (!pm)
        return 0;
    struct hub_member *m = *pm;
    *pm = m->client_next;
    if (--c->n_members == 0)
        remove_subscriber(hub, c);
    unlink_member(hub, m);
    return 1;
}

void hub_client_clear(struct hub *hub, struct hub_client *c)
{
    if (c->members)
        remove_subscriber(hub, c);
    while (c->members) {
        struct hub_member *m = c->members;
        c->members = m->client_next;
        unlink_member(hub, m);
    }
    c->n_members = 0;
    c->all = false;
}

bool hub_client_has(const struct hub_client *c, const char *symbol)
{
    for (const struct hub_member *m = c->members; m; m = m->client_next)
        if (strcmp(m->ch->symbol, symbol) == 0)
            return true;
    return false;
}

json_t *hub_client_symbols(const struct hub_client *c)
{
    json_t *arr = json_array();
    for (const struct hub_member *m = c->members; m; m = m->client_next) {
        if (strcmp(m->ch->symbol, "*") == 0)
            json_array_insert_new(arr, 0, json_string("*"));
        else
            json_array_append_new(arr, json_string(m->ch->symbol));
    }
    return arr;
}

const char *hub_client_only_symbol(const struct hub_client *c)
{
    return c->n_members == 1 && c->members ? c->members->ch->symbol : NULL;
}

json_t *hub_subscriptions(const struct hub *hub)
{
    json_t *o = json_object();
    if (hub->all.count)
        json_object_set_new(o, "*", json_integer((json_int_t)hub->all.count));
    for (size_t i = 0; i < hub->n_channels; i++)
        if (hub->channels[i]->count)
            json_object_set_new(o, hub->channels[i]->symbol,
                                json_integer((json_int_t)hub->channels[i]->count));
    return o;
}

size_t hub_channel_size(const struct hub *hub, const char *symbol)
{
    const struct hub_channel *ch = hub_channel_find(hub, symbol);
    return ch ? ch->count : 0;
}
