/* store: the feeder's Redis writer, the only feeder module that includes
 * hiredis.  It owns the synchronous connection, its reconnects with backoff
 * and the per-tick pipeline.  Main loop only; store_free() closes and frees. */
#ifndef CP_STORE_H
#define CP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "price.h"
#include "tickid.h"

struct store;

/* A writer for the Redis of conf (borrowed; must outlive the store).  Does
 * not connect yet.  Never NULL. */
struct store *store_new(const struct cp_conf *conf);
void store_free(struct store *s); /* NULL is a no-op */

/* Make sure a connection is up: connects (AUTH, SELECT; each step bounded by
 * REDIS_TIMEOUT_MS) unless connected or still backing off after a failure
 * (100 ms, doubling up to 5 s, on the monotonic clock).  Sets *fresh when this
 * call connected.  Returns 0, CP_EAGAIN while backing off, or CP_EIO when the
 * attempt failed (logged). */
int store_ensure(struct store *s, bool *fresh);

/* The id of the newest entry of the history stream ({0, 0} when empty), read
 * with XREVRANGE.  Returns 0, CP_EPROTO when Redis refused (logged), or
 * CP_EIO (connection dropped, logged). */
int store_last_id(struct store *s, struct tickid *out);

/* Write one tick in one pipeline: SET price:<SYM> per price with the price TTL,
 * XADD history (MAXLEN ~ HISTORY_LENGTH), PUBLISH ticks, SET feeder:heartbeat
 * ts and SET symbols (comma list).  ts in ms; prices and symbols borrowed.
 * Returns 0; CP_EPROTO when Redis refused a command (logged; the connection
 * stays); CP_EIO when the connection failed (logged; dropped, backoff starts). */
int store_write_tick(struct store *s, const char *id, int64_t ts, const struct price *prices,
                     size_t n, const char *symbols);

#endif
