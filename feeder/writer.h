/* writer: the feeder's tick loop on the main libevent loop — every
 * UPDATE_INTERVAL_MS the feed's next tick, written to Redis (store) while
 * this feeder holds the fail-over lease; standing by otherwise, polling for
 * the lease every quarter interval.  Main loop only; the feed, store and
 * exchanges are borrowed; writer_free() frees what writer_new() made. */
#ifndef CP_WRITER_H
#define CP_WRITER_H

#include <stdbool.h>

#include "conf.h"

struct event_base;
struct exchanges;
struct feed;
struct store;
struct writer;

/* A writer of feed's ticks through store, as owner (the lease value, e.g.
 * "host:pid:start ms"; copied, cut to 127 bytes), with a lease of 1.5
 * UPDATE_INTERVAL_MS of conf.  exchanges (may be NULL: not live) gets its
 * state written to the sources key with each tick.  conf, base, feed, store
 * and exchanges are borrowed and must outlive it.  Nothing runs before
 * writer_start().  Aborts on out-of-memory. */
struct writer *writer_new(const struct cp_conf *conf, struct event_base *base, struct feed *feed,
                          struct store *store, struct exchanges *exchanges, const char *owner);

/* Start ticking and polling on base; tries for the lease at once (and then
 * writes the first tick at once).  When the feed is done (a replay without
 * --loop), the writer breaks base's loop. */
void writer_start(struct writer *w);

/* Hand the lease over at once, if held, rather than after it expires (on
 * shutdown). */
void writer_release(struct writer *w);

void writer_free(struct writer *w); /* NULL is a no-op; stops its events */

/* True while this feeder holds the lease and writes ticks. */
bool writer_active(const struct writer *w);
/* Ticks written, and ticks dropped (failed, or Redis away while standing
 * by), since writer_new(). */
unsigned long long writer_written(const struct writer *w);
unsigned long long writer_dropped(const struct writer *w);

#endif
