/* hub_private: the hub's own structures, shared by the files of the hub
 * module only (hub.c: channels and latest prices; hub_subscriptions.c:
 * subscription sets and the feed's symbol list; hub_fanout.c: the tick
 * fan-out).  Same loop and ownership as hub.h; no other module includes it. */
#ifndef CP_HUB_PRIVATE_H
#define CP_HUB_PRIVATE_H

#include "hub.h"
#include "price.h"

/* One symbol's channel ("*": every symbol): its subscribers and the latest
 * price object of the symbol (owned, or NULL). */
struct hub_channel {
    char symbol[PRICE_SYMBOL_MAX];
    struct hub_slot *slots; /* the subscribers, in an array the fan-out walks */
    size_t count, cap;
    json_t *latest;
};

/* A subscriber in its channel's array: the client, read by the fan-out
 * without a trip through the membership, and the membership, whose index
 * moves when another leaves (the last slot fills the gap). */
struct hub_slot {
    struct hub_client *client;
    struct hub_member *member;
};

/* One client's membership of one channel: in the channel's array (to fan
 * out) and on the client's list (to unsubscribe everything when it goes). */
struct hub_member {
    struct hub_channel *ch;
    struct hub_client *client;
    size_t index; /* of its slot in ch->slots */
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
