/* source: one exchange as a source of quotes for the live feed — its
 * WebSocket connection (wsclient), kept up with exponential backoff and
 * jitter, replaced before the exchange's lifetime limit without a gap,
 * reconnected when silent for SOURCE_STALE_MS; its messages parsed (exch) and
 * its quotes handed to the live rule.  Main loop only; the feeder frees it
 * with source_free(). */
#ifndef CP_SOURCE_H
#define CP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exch.h"
#include "live.h"

struct exch_map; /* exch_map.h */

struct event_base;
struct ssl_ctx_st;

#define SOURCE_BACKOFF_MIN_MS 500   /* first reconnect delay, doubling... */
#define SOURCE_BACKOFF_MAX_MS 30000 /* ...up to this */
#define SOURCE_ATTEMPT_GAP_MS                                                                      \
    1000                             /* at most one connection attempt a second                    \
                                      * (Binance: 300 per 5 minutes per IP) */
#define SOURCE_MESSAGE_MAX (1 << 20) /* largest message accepted, bytes */

/* What /health and /stats show of a source (README "Live prices"). */
struct source_state {
    bool connected;          /* a connection is open */
    int64_t last_message_ms; /* wall clock of the last message of any kind, 0: none */
    uint64_t messages;       /* messages received */
    uint64_t quotes;         /* quotes taken */
    uint64_t malformed;      /* messages refused by the parser, or out of order */
    uint64_t rejected;       /* errors the exchange sent (a refused subscription...) */
    uint64_t reconnects;     /* connections after the first */
    char last_error[160];    /* why the last connection ended, or "" */
};

struct source_settings {
    const char *url;     /* base URL of the exchange (BINANCE_WS_URL...) */
    int64_t stale_ms;    /* SOURCE_STALE_MS */
    int64_t lifetime_ms; /* SOURCE_RECONNECT_MS */
    int connect_timeout_ms;
};

/* A source for exchange id at index (its place in FEED_SOURCES and in
 * live), subscribing to live's symbols as m maps them.  base, tls, m and live
 * are borrowed and must outlive it; settings are copied. */
struct source *source_new(struct event_base *base, struct ssl_ctx_st *tls, enum exch_id id,
                          size_t index, const struct exch_map *m, struct live *live,
                          const struct source_settings *settings);
void source_free(struct source *s); /* NULL is a no-op */

/* Connect, and keep connected until source_free(). */
void source_start(struct source *s);

const struct source_state *source_state(const struct source *s);
const char *source_name(const struct source *s);

#endif
