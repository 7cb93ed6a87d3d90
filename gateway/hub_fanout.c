/* hub_fanout: the tick fan-out — a tick is checked whole, each of its
 * messages encoded once, then one walk over every subscriber queues each
 * the messages of its channels by reference, with the limits against slow
 * consumers (conflation, drop), the SSE id blocks that close a tick, and the
 * hold-off of live ticks during a replay. */
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

#define HUB_MAX_FUTURE_MS 60000 /* clock skew tolerated between feeder and gateway */

void hub_set_batch(struct hub *hub, uint64_t batch)
{
    hub->batch = batch;
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
static bool may_queue(struct hub *hub, struct hub_client *c, size_t queued, int64_t now)
{
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

/* Bytes on c's output, read without touching the buffer when counted. */
static size_t queued_bytes(const struct hub_client *c)
{
    return c->queued_counted ? c->queued : evbuffer_get_length(c->out);
}

static void queue(struct hub *hub, struct hub_client *c, size_t queued, struct msg *m,
                  enum msg_transport t)
{
    int fd = c->fd;
    if (fd >= 0 && c->direct_batch == hub->batch)
        fd = -1; /* written to once in this batch: coalesce the rest */
    else if (fd >= 0)
        c->direct_batch = hub->batch;
    msg_write(m, fd, c->out, queued, t);
    hub->stats.messages_out++;
    hub->stats.bytes_out += msg_len(m, t);
}

/* How c gets a per-symbol message of a tick.  An SSE stream on several
 * channels may get several events of one tick: they go without their id
 * and the tick's id-only block follows them (pay_ids()), so that its last
 * event id only ever names a whole tick (docs/PROTOCOL.md §3).  On one channel
 * the single event is the whole tick and keeps its id. */
static enum msg_transport part_transport(struct hub *hub, struct hub_client *c)
{
    if (c->transport != MSG_SSE || c->n_members < 2)
        return c->transport;
    if (c->id_owed == hub->tick_seq)
        return MSG_SSE_PART;
    c->id_owed = hub->tick_seq;
    hub->owed = xgrow(hub->owed, hub->n_owed, &hub->cap_owed, sizeof *hub->owed, 64);
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
        msg_write(m, -1, c->out, 0, MSG_SSE); /* behind the tick's events */
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

/* Clients ahead of the one being served whose first cache line is fetched
 * meanwhile, and (half as far ahead) their first membership: the walk is a
 * miss per client otherwise. */
#define HUB_PREFETCH 8

/* Queue m to c, unless c is too slow for it now. */
static void offer(struct hub *hub, struct hub_client *c, struct msg *m, enum msg_transport t,
                  int64_t now)
{
    size_t queued = queued_bytes(c);
    if (may_queue(hub, c, queued, now))
        queue(hub, c, queued, m, t);
}

/* c is on several channels: the messages of those in this tick, in the
 * tick's order.  Its channels are marked first, so that this costs its
 * subscriptions plus the tick's channels, not their product.  Stops when c
 * overflows: on_overflow may have dropped its memberships. */
static void offer_parts(struct hub *hub, struct hub_client *c, int64_t now)
{
    uint64_t mark = ++hub->mark;
    for (struct hub_member *m = c->members; m; m = m->client_next)
        m->ch->mark = mark;
    for (size_t k = 0; k < hub->n_tick_chs && !c->overflowed; k++) {
        struct hub_channel *ch = hub->tick_chs[k];
        if (ch->mark == mark)
            offer(hub, c, ch->tick_msg, part_transport(hub, c), now);
    }
}

/* Queue this tick's messages (each channel's tick_msg; bulk for "*",
 * NULL when nobody is on it) to every subscriber, tick id.  One walk in
 * the order clients subscribed, which is about the order their sockets were
 * accepted: the kernel's per-socket structures are then visited in the
 * order they were allocated, measurably cheaper than channel by channel.
 * Downwards through the array: on_overflow may unsubscribe the client,
 * and its place then holds one already served (remove_subscriber()).  The
 * array is read afresh each step: that may also shrink it (realloc). */
static void deliver(struct hub *hub, struct msg *bulk, struct tickid id)
{
    int64_t now = price_now_ms();
    for (size_t i = hub->n_subs; i-- > 0;) {
        struct hub_client **subs = hub->subs;
        if (i >= 2 * HUB_PREFETCH)
            __builtin_prefetch(subs[i - 2 * HUB_PREFETCH]);
        if (i >= HUB_PREFETCH)
            __builtin_prefetch(subs[i - HUB_PREFETCH]->members);
        struct hub_client *c = subs[i];
        if (c->overflowed || held_off(c, id))
            continue;
        if (c->all) {
            if (bulk)
                offer(hub, c, bulk, c->transport, now);
        } else if (c->n_members == 1) {
            struct msg *m = c->members->ch->tick_msg;
            if (m)
                offer(hub, c, m, c->transport, now);
        } else {
            offer_parts(hub, c, now);
        }
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
    /* A hub that has fanned out nothing yet (just started) may still get
     * the ticks the replay sent, live: skip through them too. */
    c->skipping = last_id && (!hub->tick_id[0] || hub_id_cmp(last_id, hub->tick_id) > 0);
    if (c->skipping)
        tickid_parse(last_id, &c->skip_through);
}

static void send_json(struct hub *hub, struct hub_client *c, const char *event, const json_t *data,
                      const char *sse_id)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    struct msg *m = msg_new(event, text, strlen(text), sse_id, hub->deflate);
    queue(hub, c, queued_bytes(c), m, c->transport);
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
    /* One event per symbol: only the last carries the id (docs/PROTOCOL.md §3). */
    const struct hub_member *last = NULL;
    for (const struct hub_member *m = c->members; m; m = m->client_next)
        if (m->ch->latest)
            last = m;
    for (const struct hub_member *m = c->members; m; m = m->client_next)
        if (m->ch->latest)
            send_json(hub, c, "price-update", m->ch->latest, m == last ? hub->last_id : NULL);
}

/* data encoded once as event, with the tick's id. */
static struct msg *encode(struct hub *hub, const char *event, const json_t *data, const char *id,
                          int64_t ts)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    struct msg *m = msg_new(event, text, strlen(text), id, hub->deflate);
    msg_observe(m, &hub->stats.latency, ts);
    free(text);
    return m;
}

/* ch is in this tick: its message, when anyone is on it to get one. */
static void add_tick_channel(struct hub *hub, struct hub_channel *ch, const json_t *price,
                             const char *id, int64_t ts)
{
    if (ch->count == 0 || ch->tick_msg)
        return;
    hub->tick_chs =
        xgrow(hub->tick_chs, hub->n_tick_chs, &hub->cap_tick_chs, sizeof *hub->tick_chs, 32);
    ch->tick_msg = encode(hub, "price-update", price, id, ts);
    hub->tick_chs[hub->n_tick_chs++] = ch;
}

/* Ids only move forward (docs/PROTOCOL.md §4), so a replayed, duplicated or
 * far-future tick cannot send SSE clients' Last-Event-ID backwards or pin it. */
static int check_order(const struct hub *hub, const char *id, char *err, size_t errlen)
{
    struct tickid t = {0, 0};
    tickid_parse(id, &t);
    if (hub->tick_id[0] && hub_id_cmp(id, hub->tick_id) <= 0) {
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
        struct hub_channel *ch =
            hub_channel_get(hub, json_string_value(json_object_get(p, "symbol")));
        hub_channel_set_latest(hub, ch, json_incref(p));
        add_tick_channel(hub, ch, p, id, ts);
    }
    struct msg *bulk = hub->all.count ? encode(hub, "price-update-bulk", tick, id, ts) : NULL;
    if (bulk || hub->n_tick_chs) {
        struct tickid tid = {0, 0};
        tickid_parse(id, &tid);
        deliver(hub, bulk, tid);
    }
    pay_ids(hub, id);
    msg_unref(bulk);
    for (i = 0; i < hub->n_tick_chs; i++) {
        msg_unref(hub->tick_chs[i]->tick_msg);
        hub->tick_chs[i]->tick_msg = NULL;
    }
    hub->n_tick_chs = 0;
    snprintf(hub->tick_id, sizeof hub->tick_id, "%s", id);
    hub_note_id(hub, id, ts);
    hub->stats.ticks++;
    json_decref(tick);
    return CP_OK;
}
