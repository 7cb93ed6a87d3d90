/* probe: measures Redis and the feeder heartbeat for /health and reads the
 * counters of /stats and the ticks and candles of /history; the only fcgi module that
 * includes hiredis.  Owns one synchronous connection kept across FastCGI
 * requests.  Single-threaded (the request loop).  probe_free frees it. */
#ifndef CP_PROBE_H
#define CP_PROBE_H

#include "candles.h"
#include "conf.h"
#include "health.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe;

/* Strings read from Redis: texts[i] is lens[i] bytes, NUL-terminated, or
 * NULL for a missing key.  The caller frees them with probe_strings_free. */
struct probe_strings {
    char **texts;
    size_t *lens;
    size_t n;
};

/* A probe for the Redis server of conf (borrowed: must outlive the probe).
 * Does not connect yet.  Never returns NULL. */
struct probe *probe_new(const struct cp_conf *conf);

/* Close the connection and free probe.  probe_free(NULL) is a no-op. */
void probe_free(struct probe *probe);

/* Fill *out: connect if needed (connect and each command time out after
 * REDIS_TIMEOUT_MS; AUTH and SELECT as configured), PING for the latency,
 * INFO server for the version (once per connection), GET the heartbeat key.
 * A reused connection that turns out broken is replaced once, so an idle
 * connection Redis dropped costs no failed answer.  Never fails: what went
 * wrong is in out->error.  out->sources is lent by the probe: valid until the
 * next probe_run, probe_sources or probe_free. */
void probe_run(struct probe *probe, struct health_probe *out);

/* Only the live feed's source state into out->sources (NULL when the feed is
 * not live or Redis cannot be read; lent as by probe_run); the rest of *out
 * is left as it is.
 * For /stats, which needs no PING, INFO or heartbeat. */
void probe_sources(struct probe *probe, struct health_probe *out);

/* The counters of every gateway worker that wrote them since since_ms (ms
 * since the epoch): the keys of the stats index scored since then, then
 * their values, in one EVAL as the gateway's /stats reads them.  Returns
 * CP_OK with *out filled, or CP_EIO with the reason in err (errlen bytes). */
int probe_stats(struct probe *probe, int64_t since_ms, struct probe_strings *out, char *err,
                size_t errlen);

/* The field "tick" of the newest count entries of the history stream, newest
 * first (XREVRANGE), and in *symbols the feed's comma list of symbols (""
 * before the feeder wrote it; malloc'd, the caller frees).  Returns CP_OK, or
 * CP_EIO with the reason in err. */
int probe_history(struct probe *probe, int count, struct probe_strings *out, char **symbols,
                  char *err, size_t errlen);

/* What probe_candles read; probe_candles_free frees it. */
struct probe_candles {
    struct probe_strings members; /* as stored; newest first when reverse */
    bool reverse;                 /* read with ZREVRANGEBYSCORE (no from) */
    char *newest;                 /* the key's newest member (NUL-terminated), NULL: empty key */
    size_t newest_len;
    char *symbols; /* the feed's comma list of symbols, "" before the feeder wrote it */
};

/* The candles of q (candles.h; docs/PROTOCOL.md §1 /history) as the gateway
 * reads them: the feed's symbol list, then one pipelined pair, ZRANGE key -1
 * -1 and the range of candles_query_range() with LIMIT 0 q->limit.  Returns
 * CP_OK with *out filled, or CP_EIO with the reason in err (errlen bytes)
 * and *out empty. */
int probe_candles(struct probe *probe, const struct candles_query *q, struct probe_candles *out,
                  char *err, size_t errlen);

/* Free what probe_candles stored in c and empty it. */
void probe_candles_free(struct probe_candles *c);

/* Free what probe_stats or probe_history stored in s and empty it. */
void probe_strings_free(struct probe_strings *s);

#endif
