#include "config.h"

#include "hub.h"

#include "cp_error.h"
#include "price.h"
#include "tickid.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUB_MAX_FUTURE_MS 60000 /* clock skew tolerated between feeder and gateway */

struct hub_channel {
    char symbol[PRICE_SYMBOL_MAX];
    struct hub_member *head;
    size_t count;
    json_t *latest; /* latest price object, or NULL */
};

/* One client's membership of one channel: on the channel's list (to fan out)
 * and on the client's list (to unsubscribe everything when it goes). */
struct hub_member {
    struct hub_channel *ch;
    struct hub_client *client;
    struct hub_member *prev, *next;
    struct hub_member *client_next;
};

struct hub {
    struct hub_limits limits;
    struct deflate_ctx *deflate; /* borrowed */
    struct hub_channel all;      /* "*" */
    struct hub_channel **channels;
    size_t n_channels, cap_channels;
    char **symbols; /* the feed's list, from Redis */
    size_t n_symbols;
    char tick_id[PRICE_ID_MAX]; /* newest tick fanned out: ordering and resume */
    char last_id[PRICE_ID_MAX]; /* newest id seen, cached prices too: snapshots */
    int64_t last_ts;
    uint64_t batch;           /* hub_set_batch(); clients start at 0 */
    uint64_t tick_seq;        /* ticks begun, for hub_client.id_owed */
    struct hub_client **owed; /* SSE clients owed this tick's id block */
    size_t n_owed, cap_owed;
    struct hub_stats stats;
};

struct hub *hub_new(const struct hub_limits *limits, struct deflate_ctx *deflate)
{
    struct hub *hub = xcalloc(1, sizeof *hub);
    hub->limits = *limits;
    hub->deflate = deflate;
    hub->batch = 1;
    strcpy(hub->all.symbol, "*");
    return hub;
}

static void free_symbols(struct hub *hub)
{
    for (size_t i = 0; i < hub->n_symbols; i++)
        free(hub->symbols[i]);
    free(hub->symbols);
    hub->symbols = NULL;
    hub->n_symbols = 0;
}

void hub_free(struct hub *hub)
{
    if (!hub)
        return;
    for (size_t i = 0; i < hub->n_channels; i++) {
        json_decref(hub->channels[i]->latest);
        free(hub->channels[i]);
    }
    free(hub->channels);
    free(hub->owed);
    free_symbols(hub);
    free(hub);
}

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

void hub_set_batch(struct hub *hub, uint64_t batch)
{
    hub->batch = batch;
}

void hub_client_set_socket(struct hub_client *c, int fd)
{
    c->fd = fd;
}

static struct hub_channel *find_channel(const struct hub *hub, const char *symbol)
{
    if (strcmp(symbol, "*") == 0)
        return (struct hub_channel *)&hub->all;
    for (size_t i = 0; i < hub->n_channels; i++)
        if (strcmp(hub->channels[i]->symbol, symbol) == 0)
            return hub->channels[i];
    return NULL;
}

static struct hub_channel *get_channel(struct hub *hub, const char *symbol)
{
    struct hub_channel *ch = find_channel(hub, symbol);
    if (ch)
        return ch;
    if (hub->n_channels == hub->cap_channels) {
        hub->cap_channels = hub->cap_channels ? hub->cap_channels * 2 : 16;
        hub->channels = xrealloc(hub->channels, hub->cap_channels * sizeof *hub->channels);
    }
    ch = xcalloc(1, sizeof *ch);
    snprintf(ch->symbol, sizeof ch->symbol, "%s", symbol);
    hub->channels[hub->n_channels++] = ch;
    return ch;
}

bool hub_symbol_known(const struct hub *hub, const char *symbol)
{
    const struct hub_channel *ch = find_channel(hub, symbol);
    if (ch && ch->latest)
        return true;
    for (size_t i = 0; i < hub->n_symbols; i++)
        if (strcmp(hub->symbols[i], symbol) == 0)
            return true;
    /* Before the feed has said what it carries, accept any symbol. */
    return hub->n_symbols == 0;
}

static struct hub_member **find_member(struct hub_client *c, const struct hub_channel *ch)
{
    for (struct hub_member **m = &c->members; *m; m = &(*m)->client_next)
        if ((*m)->ch == ch)
            return m;
    return NULL;
}

int hub_subscribe(struct hub *hub, struct hub_client *c, const char *symbol)
{
    if (strcmp(symbol, "*") != 0 && !price_symbol_valid(symbol))
        return CP_EINVAL;
    if (strcmp(symbol, "*") != 0 && !hub_symbol_known(hub, symbol))
        return CP_ENOENT;
    struct hub_channel *ch = get_channel(hub, symbol);
    if (find_member(c, ch))
        return 0;
    struct hub_member *m = xcalloc(1, sizeof *m);
    m->ch = ch;
    m->client = c;
    m->next = ch->head;
    if (ch->head)
        ch->head->prev = m;
    ch->head = m;
    ch->count++;
    struct hub_member **tail = &c->members; /* keep the order of subscription */
    while (*tail)
        tail = &(*tail)->client_next;
    *tail = m;
    c->n_members++;
    c->all |= ch == &hub->all;
    return 1;
}

/* A channel that nobody subscribes to and that has never had a price was
 * made by a subscription alone: free it, so clients cannot grow the table. */
static void drop_channel_if_unused(struct hub *hub, struct hub_channel *ch)
{
    if (ch == &hub->all || ch->count > 0 || ch->latest)
        return;
    for (size_t i = 0; i < hub->n_channels; i++) {
        if (hub->channels[i] == ch) {
            hub->channels[i] = hub->channels[--hub->n_channels];
            free(ch);
            return;
        }
    }
}

static void unlink_member(struct hub *hub, struct hub_member *m)
{
    struct hub_channel *ch = m->ch;
    if (m->prev)
        m->prev->next = m->next;
    else
        ch->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    ch->count--;
    free(m);
    drop_channel_if_unused(hub, ch);
}

int hub_unsubscribe(struct hub *hub, struct hub_client *c, const char *symbol)
{
    if (strcmp(symbol, "*") == 0) {
        int had = c->members != NULL;
        hub_client_clear(hub, c);
        return had;
    }
    struct hub_channel *ch = find_channel(hub, symbol);
    struct hub_member **pm = ch ? find_member(c, ch) : NULL;
    if (!pm)
        return 0;
    struct hub_member *m = *pm;
    *pm = m->client_next;
    c->n_members--;
    unlink_member(hub, m);
    return 1;
}

void hub_client_clear(struct hub *hub, struct hub_client *c)
{
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

json_t *hub_symbols(const struct hub *hub)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < hub->n_symbols; i++)
        json_array_append_new(arr, json_string(hub->symbols[i]));
    for (size_t i = 0; i < hub->n_channels; i++) {
        const struct hub_channel *ch = hub->channels[i];
        bool listed = false;
        for (size_t j = 0; j < hub->n_symbols && !listed; j++)
            listed = strcmp(hub->symbols[j], ch->symbol) == 0;
        if (!listed && ch->latest)
            json_array_append_new(arr, json_string(ch->symbol));
    }
    return arr;
}

void hub_set_symbols(struct hub *hub, const char *list)
{
    free_symbols(hub);
    while (*list) {
        size_t n = strcspn(list, ", ");
        char sym[PRICE_SYMBOL_MAX];
        if (n > 0 && n < sizeof sym) {
            memcpy(sym, list, n);
            sym[n] = '\0';
            if (price_symbol_valid(sym)) {
                hub->symbols = xrealloc(hub->symbols, (hub->n_symbols + 1) * sizeof(char *));
                hub->symbols[hub->n_symbols++] = xstrdup(sym);
            }
        }
        list += n;
        list += strspn(list, ", ");
    }
}

/* Tick ids are Redis stream ids "<ms>-<seq>"; price_tick_clean() made sure
 * they parse.  Returns <0, 0 or >0 as a sorts before, with or after b. */
static int id_cmp(const char *a, const char *b)
{
    struct tickid x = {0, 0}, y = {0, 0};
    tickid_parse(a, &x);
    tickid_parse(b, &y);
    return tickid_after(x, y) ? 1 : tickid_after(y, x) ? -1 : 0;
}

static void note_id(struct hub *hub, const char *id, int64_t ts)
{
    if (!hub->last_id[0] || id_cmp(id, hub->last_id) > 0) {
        snprintf(hub->last_id, sizeof hub->last_id, "%s", id);
        hub->last_ts = ts;
    }
}

static void overflow(struct hub *hub, struct hub_client *c)
{
    c->overflowed = true;
    hub->stats.overflows++;
    if (c->on_overflow)
        c->on_overflow(c, c->arg);
}

/* Decide before queuing: false when c must not get this message now, because
 * it is stuck (dropped) or slow (conflating: it gets the latest prices when
 * its output drains, not a backlog). */
static bool may_queue(struct hub *hub, struct hub_client *c, int64_t now)
{
    size_t queued = evbuffer_get_length(c->out);
    if (queued > hub->limits.hard_limit ||
        (c->conflating && now - c->conflating_since_ms > hub->limits.stall_ms)) {
        overflow(hub, c);
        return false;
    }
    if (queued > hub->limits.high_water || c->conflating) {
        if (!c->conflating) {
            c->conflating = true;
            c->conflating_since_ms = now;
            hub->stats.conflations++;
        }
        hub->stats.conflated++;
        return false;
    }
    return true;
}

static void queue(struct hub *hub, struct hub_client *c, struct msg *m, enum msg_transport t)
{
    int fd = c->fd;
    if (fd >= 0 && c->direct_batch == hub->batch)
        fd = -1; /* written to once in this batch: coalesce the rest */
    else if (fd >= 0)
        c->direct_batch = hub->batch;
    msg_write(m, fd, c->out, t);
    hub->stats.messages_out++;
    hub->stats.bytes_out += msg_len(m, t);
}

/* How c gets a per-symbol message of a tick.  An SSE stream on several
 * channels may get several events of one tick: they go without their id
 * and the tick's id-only block follows them (pay_ids()), so that its last
 * event id only ever names a whole tick (PROTOCOL.md §3).  On one channel
 * the single event is the whole tick and keeps its id. */
static enum msg_transport part_transport(struct hub *hub, struct hub_client *c)
{
    if (c->transport != MSG_SSE || c->n_members < 2)
        return c->transport;
    if (c->id_owed == hub->tick_seq)
        return MSG_SSE_PART;
    c->id_owed = hub->tick_seq;
    if (hub->n_owed == hub->cap_owed) {
        hub->cap_owed = hub->cap_owed ? hub->cap_owed * 2 : 64;
        hub->owed = xrealloc(hub->owed, hub->cap_owed * sizeof *hub->owed);
    }
    hub->owed[hub->n_owed++] = c;
    return MSG_SSE_PART;
}

/* Close the tick on every SSE stream that got some of its events: one shared
 * id-only block, after them, so that Last-Event-ID names the tick only once
 * all its events are there.  A client that began conflating during the tick
 * has not got all of them: it gets the id with its catch-up instead. */
static void pay_ids(struct hub *hub, const char *id)
{
    if (hub->n_owed == 0)
        return;
    struct msg *m = msg_sse_id_new(id);
    for (size_t i = 0; i < hub->n_owed; i++) {
        struct hub_client *c = hub->owed[i];
        if (c->overflowed || c->conflating)
            continue;
        msg_write(m, -1, c->out, MSG_SSE); /* behind the tick's events */
        hub->stats.bytes_out += msg_len(m, MSG_SSE);
    }
    msg_unref(m);
    hub->n_owed = 0;
}

/* Replay (hub_client_pause) holds live ticks off; afterwards the ticks the
 * replay already sent are skipped. */
static bool held_off(struct hub_client *c, struct tickid id)
{
    if (!c->replaying && !c->skipping)
        return false;
    if (c->replaying)
        return true;
    if (c->skipping && !tickid_after(id, c->skip_through))
        return true;
    c->skipping = false;
    return false;
}

/* Queue m, the message of tick id, to every subscriber of ch.  skip_all:
 * leave out clients that are also on "*", who get the bulk message instead. */
static void deliver(struct hub *hub, struct hub_channel *ch, struct msg *m, struct tickid id,
                    bool skip_all)
{
    int64_t now = price_now_ms();
    struct hub_member *next;
    /* on_overflow may unsubscribe the client, freeing mem: step first. */
    for (struct hub_member *mem = ch->head; mem; mem = next) {
        next = mem->next;
        struct hub_client *c = mem->client;
        if (c->overflowed || (skip_all && c->all) || held_off(c, id))
            continue;
        if (may_queue(hub, c, now))
            queue(hub, c, m, ch == &hub->all ? c->transport : part_transport(hub, c));
    }
}

void hub_client_pause(struct hub_client *c)
{
    c->replaying = true;
    c->skipping = false;
}

void hub_client_resume(struct hub *hub, struct hub_client *c, const char *last_id)
{
    c->replaying = false;
    c->skipping = last_id && hub->tick_id[0] && id_cmp(last_id, hub->tick_id) > 0;
    if (c->skipping)
        tickid_parse(last_id, &c->skip_through);
}

static void send_json(struct hub *hub, struct hub_client *c, const char *event, const json_t *data,
                      const char *sse_id)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    struct msg *m = msg_new(event, text, strlen(text), sse_id, hub->deflate);
    queue(hub, c, m, c->transport);
    msg_unref(m);
    free(text);
}

void hub_client_catch_up(struct hub *hub, struct hub_client *c)
{
    if (!c->conflating || c->overflowed)
        return;
    c->conflating = false;
    if (c->all) {
        json_t *all = json_pack("[s]", "*");
        json_t *snap = hub_snapshot(hub, all);
        send_json(hub, c, "price-update-bulk", snap, hub->last_id);
        json_decref(snap);
        json_decref(all);
        return;
    }
    /* One event per symbol: only the last carries the id (PROTOCOL.md §3). */
    const struct hub_member *last = NULL;
    for (const struct hub_member *m = c->members; m; m = m->client_next)
        if (m->ch->latest)
            last = m;
    for (const struct hub_member *m = c->members; m; m = m->client_next)
        if (m->ch->latest)
            send_json(hub, c, "price-update", m->ch->latest, m == last ? hub->last_id : NULL);
}

/* Encode data once as event, with the tick's id, and queue it to ch's
 * subscribers. */
static void publish_json(struct hub *hub, struct hub_channel *ch, const char *event,
                         const json_t *data, const char *id, int64_t ts, bool skip_all)
{
    if (ch->count == 0)
        return;
    struct tickid tid = {0, 0};
    tickid_parse(id, &tid);
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    struct msg *m = msg_new(event, text, strlen(text), id, hub->deflate);
    msg_observe(m, &hub->stats.latency, ts);
    deliver(hub, ch, m, tid, skip_all);
    msg_unref(m);
    free(text);
}

/* Ids only move forward (PROTOCOL.md §4), so a replayed, duplicated or
 * far-future tick cannot send SSE clients' Last-Event-ID backwards or pin it. */
static int check_order(const struct hub *hub, const char *id, char *err, size_t errlen)
{
    struct tickid t = {0, 0};
    tickid_parse(id, &t);
    if (hub->tick_id[0] && id_cmp(id, hub->tick_id) <= 0) {
        snprintf(err, errlen, "tick %s is not after %s (stale or duplicate)", id, hub->tick_id);
        return CP_EINVAL;
    }
    if (t.ms > price_now_ms() + HUB_MAX_FUTURE_MS) {
        snprintf(err, errlen, "tick %s is from the future", id);
        return CP_EINVAL;
    }
    return CP_OK;
}

/* Parse and validate a whole tick before anything is sent, so a bad tick
 * is dropped whole rather than half-delivered.  Returns the tick with only
 * the contract's fields, or NULL with the reason in err. */
static json_t *load_tick(const struct hub *hub, const char *json, size_t len, char *err,
                         size_t errlen)
{
    if (len > hub->limits.max_tick_bytes) {
        snprintf(err, errlen, "tick of %zu bytes is over MAX_TICK_BYTES (%zu)", len,
                 hub->limits.max_tick_bytes);
        return NULL;
    }
    json_error_t jerr;
    json_t *raw = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!raw) {
        snprintf(err, errlen, "tick is not JSON: %s", jerr.text);
        return NULL;
    }
    json_t *tick = price_tick_clean(raw, err, errlen);
    json_decref(raw);
    return tick;
}

int hub_publish_tick(struct hub *hub, const char *json, size_t len, char *err, size_t errlen)
{
    json_t *tick = load_tick(hub, json, len, err, errlen);
    if (!tick) {
        hub->stats.bad_ticks++;
        return CP_EINVAL;
    }
    const char *id = json_string_value(json_object_get(tick, "id"));
    int64_t ts = json_integer_value(json_object_get(tick, "ts"));
    if (check_order(hub, id, err, errlen) != CP_OK) {
        json_decref(tick);
        hub->stats.bad_ticks++;
        return CP_EINVAL;
    }
    size_t i;
    json_t *p;
    hub->tick_seq++;
    json_array_foreach(json_object_get(tick, "prices"), i, p)
    {
        struct hub_channel *ch = get_channel(hub, json_string_value(json_object_get(p, "symbol")));
        json_decref(ch->latest);
        ch->latest = json_incref(p);
        publish_json(hub, ch, "price-update", p, id, ts, true);
    }
    pay_ids(hub, id);
    publish_json(hub, &hub->all, "price-update-bulk", tick, id, ts, false);
    snprintf(hub->tick_id, sizeof hub->tick_id, "%s", id);
    note_id(hub, id, ts);
    hub->stats.ticks++;
    json_decref(tick);
    return CP_OK;
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
    struct hub_channel *ch = get_channel(hub, p.symbol);
    const char *have = ch->latest ? json_string_value(json_object_get(ch->latest, "id")) : NULL;
    if (have && id_cmp(p.id, have) <= 0) { /* a tick already brought a newer one */
        json_decref(obj);
        return CP_OK;
    }
    json_decref(ch->latest);
    ch->latest = obj;
    note_id(hub, p.id, p.ts);
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

bool hub_has_symbol_list(const struct hub *hub)
{
    return hub->n_symbols > 0;
}

const struct hub_stats *hub_get_stats(const struct hub *hub)
{
    return &hub->stats;
}

size_t hub_channel_size(const struct hub *hub, const char *symbol)
{
    const struct hub_channel *ch = find_channel(hub, symbol);
    return ch ? ch->count : 0;
}

const char *hub_last_id(const struct hub *hub)
{
    return hub->tick_id;
}

int64_t hub_last_ts(const struct hub *hub)
{
    return hub->last_ts;
}
