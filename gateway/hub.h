/* hub: the fan-out — channels per symbol plus "*", their subscribers, and
 * the latest price of each symbol.  One hub per worker event loop; a tick is
 * parsed once, each message encoded once (msg.h) and shared by reference.
 * The hub owns channels and memberships; clients are embedded in connections
 * that the caller owns and must hub_client_clear() before freeing.
 * Files: hub.c (channels, latest prices, snapshots), hub_subscriptions.c
 * (subscription sets, the feed's symbol list), hub_fanout.c (tick fan-out,
 * slow consumers, replay hold-off); hub_private.h is theirs alone. */
#ifndef CP_HUB_H
#define CP_HUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "latency.h"
#include "msg.h"
#include "tickid.h"

struct hub;
struct hub_member;

#define HUB_MAX_SYMBOLS_PER_REQUEST 256 /* symbols one request may name */

/* A subscriber: one per WebSocket or SSE connection.  What the fan-out reads
 * for every client and tick comes first, within one cache line. */
struct hub_client {
    bool overflowed;     /* output passed the limit; being closed */
    bool conflating;     /* output past the high-water mark: ticks skipped */
    bool replaying;      /* history is being replayed: live ticks held off */
    bool all;            /* on the "*" channel (set by the hub) */
    bool skipping;       /* replay ran ahead of live ticks: skip through skip_through */
    bool queued_counted; /* the owner keeps queued (hub_client_count_queued()) */
    int fd;              /* its socket for direct writes (msg_write), or -1 */
    enum msg_transport transport;
    size_t queued;              /* bytes on out, while queued_counted */
    uint64_t direct_batch;      /* the batch of its last direct write */
    struct evbuffer *out;       /* borrowed: the connection's output */
    size_t n_members;           /* subscriptions, "*" counting as one */
    struct hub_member *members; /* owned by the hub */
    struct tickid skip_through; /* an id the client already has */
    int64_t conflating_since_ms;
    uint64_t id_owed; /* SSE: the hub's tick whose id block it is owed */
    size_t sub_index; /* its place among the hub's subscribers, while it has any */
    /* Called at most once when out passes the hub's hard limit, or the client
     * has been conflating for longer than the stall limit.  The
     * callee may unsubscribe the client but must not free it synchronously
     * (defer to the loop). */
    void (*on_overflow)(struct hub_client *client, void *arg);
    void *arg;
};

struct hub_stats {
    uint64_t ticks;              /* ticks published */
    uint64_t bad_ticks;          /* ticks rejected by hub_publish_tick() */
    uint64_t messages_out;       /* messages queued to clients */
    uint64_t bytes_out;          /* bytes queued to clients */
    uint64_t overflows;          /* clients dropped as stuck (hard limit or stall) */
    uint64_t conflations;        /* times a client started conflating */
    uint64_t conflated;          /* messages not queued to a conflating client */
    struct latency_hist latency; /* tick ts → written to every subscriber, ms */
};

/* Limits against slow consumers, in the manner of Redis' client output
 * buffer limits (a soft limit with a grace time, and a hard limit). */
struct hub_limits {
    size_t high_water;     /* bytes queued past which a client's ticks are conflated */
    size_t hard_limit;     /* bytes queued past which it is dropped (MAX_OUTPUT_BYTES) */
    int64_t stall_ms;      /* conflating longer than this drops it too */
    size_t max_tick_bytes; /* larger ticks from Redis are skipped (MAX_TICK_BYTES) */
};

struct deflate_ctx;

/* New hub; limits are copied.  deflate (borrowed, may be NULL) compresses
 * each broadcast message once for permessage-deflate clients. */
struct hub *hub_new(const struct hub_limits *limits, struct deflate_ctx *deflate);
void hub_free(struct hub *hub); /* NULL is a no-op; clients must be cleared first */

void hub_client_init(struct hub_client *c, struct evbuffer *out, enum msg_transport transport,
                     void (*on_overflow)(struct hub_client *, void *), void *arg);
/* Let the fan-out write ticks straight to c's connected socket fd while c's
 * output is empty (msg_write()); -1, the default, always queues on out.  Only
 * for a plain socket whose bytes need no further layer (not TLS). */
void hub_client_set_socket(struct hub_client *c, int fd);
/* The owner of c's output counts its bytes in c->queued from now on (an
 * evbuffer callback: evbuffer_cb_info's orig_size + n_added - n_deleted),
 * so that the fan-out reads that instead of the buffer; queued is the count
 * now. */
void hub_client_count_queued(struct hub_client *c, size_t queued);
/* Remove c from every channel. */
void hub_client_clear(struct hub *hub, struct hub_client *c);

/* c's output has drained (below the caller's low-water mark): if c was
 * conflating, queue the latest price of each of its symbols (one
 * price-update-bulk for "*" subscribers, else a price-update per symbol) and
 * resume normal delivery.  Per-client encoding, only on recovery. */
void hub_client_catch_up(struct hub *hub, struct hub_client *c);

/* Hold live ticks off c while its missed ticks are replayed from history. */
void hub_client_pause(struct hub_client *c);
/* The replay has sent every tick up to and including last_id (NULL: none):
 * live delivery resumes with the first tick after it, so nothing is lost or
 * sent twice, even when the replay read ticks the hub has not yet seen. */
void hub_client_resume(struct hub *hub, struct hub_client *c, const char *last_id);

/* Subscribe c to symbol, or to every symbol for "*".  Returns 1 if added, 0 if
 * c already had it, CP_ENOENT for a symbol the feed does not know (when the
 * hub knows the feed's list), CP_EINVAL for text that is not a symbol. */
int hub_subscribe(struct hub *hub, struct hub_client *c, const char *symbol);
/* Unsubscribe c from symbol ("*": from everything).  Returns 1 if removed, 0 if not present. */
int hub_unsubscribe(struct hub *hub, struct hub_client *c, const char *symbol);

/* True when c is subscribed to symbol (or "*" for the all-symbols channel). */
bool hub_client_has(const struct hub_client *c, const char *symbol);

/* c's current subscriptions as a new JSON array of strings, "*" first, then
 * in the order they were made. */
json_t *hub_client_symbols(const struct hub_client *c);

/* c's one subscription ("*" or a symbol: 1-15 of A-Z and 0-9, JSON-safe as
 * it is), borrowed from the hub; NULL unless c has exactly one. */
const char *hub_client_only_symbol(const struct hub_client *c);

/* Subscribers per channel with any: a new object {"*":n,"BTC":n,...}. */
json_t *hub_subscriptions(const struct hub *hub);

/* Every symbol the feed is known to carry, as a new JSON array of strings. */
json_t *hub_symbols(const struct hub *hub);
/* Set the feed's symbol list from a comma list (the feeder's symbols key),
 * split as lib/strlist splits it: "BTC,ETH" and "BTC, ETH" are the same;
 * empty, over-long and invalid items are skipped. */
void hub_set_symbols(struct hub *hub, const char *comma_list);

/* True when the feed carries symbol (or no list is known yet). */
bool hub_symbol_known(const struct hub *hub, const char *symbol);

/* True once hub_set_symbols() has given the feed's list. */
bool hub_has_symbol_list(const struct hub *hub);

/* Mark the ticks published from now on as one batch (any value that differs
 * from the previous one; the gateway passes its event loop's cached time,
 * the same for every callback of one loop turn).  Within a batch a client
 * gets at most one direct write; the batch's later ticks queue behind it and
 * leave together in one writev, so that a burst of ticks costs a system call
 * per client per loop turn, not per tick. */
void hub_set_batch(struct hub *hub, uint64_t batch);

/* Parse a tick (docs/PROTOCOL.md §4 tick JSON) and fan it out: one
 * price-update-bulk to "*" subscribers, one price-update per symbol to that
 * symbol's subscribers (in the tick's order to a client on several), each
 * encoded once and given to every subscriber in one walk over them;
 * remembers each latest price.  Only the fields the
 * contract defines are passed on (price_tick_clean()).  On SSE streams the
 * per-symbol events carry no id; each subscriber that got any is sent the
 * tick's id-only block after them, so its last event id only ever names a
 * whole tick (docs/PROTOCOL.md §3).  Returns 0 or CP_EINVAL with the reason in err
 * (the tick is then dropped whole): over max_tick_bytes, malformed JSON or
 * price, an id not after the last one, or an id over a minute in the future. */
int hub_publish_tick(struct hub *hub, const char *json, size_t len, char *err, size_t errlen);

/* Remember a latest price object (from the Redis cache at start-up) without
 * sending it; only the contract's fields are kept (price_clean()).  Returns
 * 0 or CP_EINVAL. */
int hub_set_latest(struct hub *hub, const char *json, size_t len);

/* A price-update-bulk payload of the latest prices of symbols (a JSON array
 * of strings, "*" meaning all): a new object {"id","ts","prices"}.  Symbols
 * with no price yet are left out. */
json_t *hub_snapshot(const struct hub *hub, const json_t *symbols);

/* The text of hub_snapshot() of ["*"] as json_dumps(PRICE_JSON_FLAGS)
 * writes it (*len bytes), or NULL (*len 0) while there is no price: built
 * once after each change of the latest prices and shared by every client
 * that subscribes to "*" meanwhile.  Owned by the hub; valid until the next
 * tick, cached price or symbol list. */
const char *hub_snapshot_all_text(struct hub *hub, size_t *len);

/* The same for one symbol (not "*"): the text of hub_snapshot() of
 * [symbol], or NULL (*len 0) while it has no price.  Built once per change
 * of the latest prices and shared by every client subscribing to symbol
 * alone meanwhile; owned by the hub, valid as hub_snapshot_all_text()'s. */
const char *hub_snapshot_one_text(struct hub *hub, const char *symbol, size_t *len);

/* A number that changes whenever hub_symbols() may answer differently (a
 * new symbol list, a first price of a symbol not on it). */
uint64_t hub_symbols_gen(const struct hub *hub);

/* Id of the newest tick fanned out ("" before any); cached prices loaded at
 * start-up do not count, so the tick they came from is still delivered. */
const char *hub_last_id(const struct hub *hub);

/* ts (ms) of the newest tick or cached price seen, 0 before any. */
int64_t hub_last_ts(const struct hub *hub);

const struct hub_stats *hub_get_stats(const struct hub *hub);
/* Subscribers of symbol ("*" for the all-symbols channel). */
size_t hub_channel_size(const struct hub *hub, const char *symbol);

#endif
