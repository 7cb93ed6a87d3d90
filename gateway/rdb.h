/* rdb: the gateway's only hiredis user — a pub/sub connection for ticks and a
 * command connection for the price cache, history, counters and the health
 * readings, with reconnects, backoff and resubscription (rdb_link.c,
 * rdb_sentinel.c).  Runs on the worker's event base; rdb_free() releases
 * everything and is never called from inside a hiredis callback. */
#ifndef CP_RDB_H
#define CP_RDB_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "candles.h"
#include "conf.h"

/* Replies live only during the callback (hiredis' contract): copy to keep. */
struct rdb_callbacks {
    void (*on_tick)(const char *json, size_t len, void *arg);  /* a message on the channel */
    void (*on_symbols)(const char *comma_list, void *arg);     /* the feed's symbol list */
    void (*on_price)(const char *json, size_t len, void *arg); /* a cached latest price */
    void (*on_state)(bool subscribed, void *arg);              /* subscription up or down */
};

struct rdb;

/* Start connecting to Redis per conf (REDIS_HOST, _PORT, _PASSWORD, _DB,
 * _PREFIX, _TIMEOUT_MS).  conf and cb are borrowed and must outlive the rdb.
 * Never fails: an unreachable Redis is retried with exponential backoff. */
struct rdb *rdb_new(struct event_base *base, const struct cp_conf *conf,
                    const struct rdb_callbacks *cb, void *arg);
void rdb_free(struct rdb *r); /* NULL is a no-op */

/* Read the feed's symbol list again (and the cached prices of its symbols);
 * answers arrive through on_symbols/on_price.  A no-op while disconnected. */
void rdb_refresh_symbols(struct rdb *r);

/* The reads below may be asked while the connection to Redis is being set
 * up (at start, or reconnecting): they are sent once it is up, and fail (cb
 * with ok false) if it does not come within REDIS_TIMEOUT_MS. */

/* Called exactly once with the newest ticks of the history stream, newest
 * first (borrowed: valid during the call only), or with ok false when Redis
 * failed or went away first. */
typedef void (*rdb_strings_cb)(bool ok, const char *const *ticks, const size_t *lens, size_t n,
                               void *arg);

/* Read the newest count ticks of the history stream (XREVRANGE).  Returns 0,
 * or CP_EIO when no connection to Redis is up or being set up (cb is then
 * never called). */
int rdb_history(struct rdb *r, int count, rdb_strings_cb cb, void *arg);

/* Called exactly once with the candles read (members as stored, newest
 * first when reverse, else oldest first) and newest, the key's newest member
 * (NULL when the key is empty), all borrowed for the call; or with ok false
 * when Redis failed or went away first. */
typedef void (*rdb_candles_cb)(bool ok, const char *const *members, const size_t *lens, size_t n,
                               bool reverse, const char *newest, size_t newest_len, void *arg);

/* Read the candles of q (candles.h; docs/PROTOCOL.md §1 /history) with one
 * pipelined pair: ZRANGE key -1 -1 (the newest candle, for last_open and
 * caching), then ZRANGEBYSCORE or ZREVRANGEBYSCORE ... LIMIT 0 q->limit per
 * candles_query_range().  Returns 0, or CP_EIO when no connection to Redis
 * is up or being set up (cb is then never called). */
int rdb_candles(struct rdb *r, const struct candles_query *q, rdb_candles_cb cb, void *arg);

/* One entry of the history stream: its stream id and its "tick" field (""
 * when it has none), borrowed for the callback's duration. */
struct rdb_entry {
    const char *id;
    const char *tick;
    size_t len; /* bytes of tick */
};

/* Called exactly once with the entries read, oldest first, or with ok false
 * when Redis failed or went away first. */
typedef void (*rdb_entries_cb)(bool ok, const struct rdb_entry *entries, size_t n, void *arg);

/* Read up to count entries of the history stream from id on, oldest first
 * (XRANGE): including id itself when inclusive, else strictly after it.
 * Every entry is given, with its stream id, whatever its tick holds, so a
 * reader can step past entries that are not valid ticks.  Returns 0, or
 * CP_EIO when no connection to Redis is up or being set up (cb is then never
 * called). */
int rdb_ticks_from(struct rdb *r, const char *id, bool inclusive, int count, rdb_entries_cb cb,
                   void *arg);

/* Store this worker's counters (JSON text) under key for ttl_ms, and index
 * the key at now_ms in the sorted set index (dropping entries older than
 * ttl_ms).  Fire and forget; a no-op while disconnected. */
void rdb_stats_write(struct rdb *r, const char *key, const char *index, const char *json,
                     int ttl_ms, int64_t now_ms);

/* Read the counters of every worker indexed in index since since_ms (one
 * EVAL: ZRANGEBYSCORE then MGET).  cb gets the JSON texts.  Returns 0, or
 * CP_EIO when no connection to Redis is up or being set up (cb is then never
 * called). */
int rdb_stats_read(struct rdb *r, const char *index, int64_t since_ms, rdb_strings_cb cb,
                   void *arg);

/* Read the string at key (GET): cb gets it as the one string, or n 0 when
 * the key does not exist.  Returns 0, or CP_EIO when no connection to Redis
 * is up or being set up (cb is then never called). */
int rdb_get(struct rdb *r, const char *key, rdb_strings_cb cb, void *arg);

/* True while the tick subscription is active. */
bool rdb_subscribed(const struct rdb *r);

#define RDB_VERSION_MAX 32

/* Round trip in ms of the last PING on the command connection (one is sent
 * when it connects, then every STATS_INTERVAL_MS, one at a time), or the time
 * the PING still out has waited when that is longer; -1 while not connected
 * or before the first answer.  Never blocks. */
double rdb_latency_ms(const struct rdb *r);

/* redis_version of the server, from INFO server once per connection; ""
 * while not connected or before the answer.  Borrowed: valid until the next
 * loop turn. */
const char *rdb_version(const struct rdb *r);

#endif
