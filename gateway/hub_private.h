/* hub_private: the hub's own structures, shared by the files of the hub
 * module only (hub.c: channels and latest prices; hub_subscriptions.c:
 * subscription sets and the feed's symbol list; hub_fanout.c: the tick
 * fan-out).  Same loop and ownership as hub.h; no other module includes it. */
#ifndef CP_HUB_PRIVATE_H
#define CP_HUB_PRIVATE_H

#include "hub.h"
#include "price.h"

/* One symbol's channel ("*": every symbol): how many subscribe to it, the
 * latest price of the symbol (owned, or NULL), and its part in the tick
 * being fanned out (hub_fanout.c). */
struct hub_channel {
    char symbol[PRICE_SYMBOL_MAX];
    size_t count; /* subscribers */
    json_t *latest;
    struct msg *tick_msg; /* during a fan-out: this tick's message here, or NULL */
    uint64_t mark;        /* during a fan-out: hub->mark when the client served is on it */
    char *snapshot_text;  /* hub_snapshot_one_text() until the next change, or NULL */
    size_t snapshot_len;
};

/* One client's membership of one channel, on the client's list in the
 * order of subscription. */
struct hub_member {
    struct hub_channel *ch;
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
    uint64_t batch;    /* hub_set_batch(); clients start at 0 */
    uint64_t tick_seq; /* ticks begun, for hub_client.id_owed */
    /* Every client with a subscription, in the order of its first one (the
     * last fills a gap): the fan-out's one walk per tick, in about the order
     * the sockets were accepted.  hub_client.sub_index is its place here. */
    struct hub_client **subs;
    size_t n_subs, cap_subs;
    struct hub_channel **tick_chs; /* this tick's channels with a message, in its order */
    size_t n_tick_chs, cap_tick_chs;
    uint64_t mark;            /* hub_channel.mark of the client being served */
    struct hub_client **owed; /* SSE clients owed this tick's id block */
    size_t n_owed, cap_owed;
    struct hub_stats stats;
    /* Shared by every connection that subscribes: the "*" snapshot's text
     * (NULL until asked for again after any change of a latest price, id or
     * channel order), and a counter that moves whenever hub_symbols() may
     * answer differently (the welcome is rebuilt then, proto.c). */
    char *snapshot_all;
    size_t snapshot_all_len;
    uint64_t symbols_gen;
};

/* The channel of symbol ("*": hub->all), or NULL when there is none. */
struct hub_channel *hub_channel_find(const struct hub *hub, const char *symbol);
/* The channel of symbol, made (empty, no price) when there is none. */
struct hub_channel *hub_channel_get(struct hub *hub, const char *symbol);
/* Free ch when nobody subscribes to it and it has never had a price. */
void hub_channel_drop_if_unused(struct hub *hub, struct hub_channel *ch);

/* Order of two tick ids (Redis stream ids "<ms>-<seq>"): <0, 0 or >0 as a
 * sorts before, with or after b. */
int hub_id_cmp(const char *a, const char *b);

/* Make obj (a reference taken over) ch's latest price: the shared "*"
 * snapshot is rebuilt, and the symbol list moves when ch had none. */
void hub_channel_set_latest(struct hub *hub, struct hub_channel *ch, json_t *obj);

/* Forget the shared "*" snapshot text: the latest prices changed. */
void hub_snapshot_changed(struct hub *hub);

/* Remember id (ts in ms) as the newest seen when it is after the last one. */
void hub_note_id(struct hub *hub, const char *id, int64_t ts);

/* Free the feed's symbol list (hub_subscriptions.c). */
void hub_symbols_clear(struct hub *hub);

#endif
