/* answer: replies that wait for Redis — price history (WebSocket "history"
 * message or GET /history) and the counters of every worker (GET /stats,
 * /metrics).  Runs on the gateway's loop; the connection waits (conn_await)
 * and a connection closed meanwhile is freed once the answer arrives. */
#ifndef CP_ANSWER_H
#define CP_ANSWER_H

#include <stdbool.h>

#include "conn.h"

/* Answer hq (borrowed; its symbol valid and carried by the feed;
 * docs/PROTOCOL.md §1 /history, §2 history): the candles of hq->q from their
 * sorted set, or up to hq->limit points from the history stream.  A
 * "history" message on WebSocket, else a 200 JSON response — candles of a
 * closed range with ETag and Cache-Control: public, max-age, and 304 when
 * If-None-Match names the tag; others Cache-Control: no-cache.  Redis
 * unreachable: an "unavailable" error, or 503. */
void answer_history(struct conn *c, const struct history_query *hq);

/* Answer GET /stats (JSON totals, docs/PROTOCOL.md §5) or, with prometheus,
 * GET /metrics (text exposition format 0.0.4): this worker's counters,
 * fresh, merged with the others' as they last wrote them to Redis;
 * "partial": true when Redis could not be asked. */
void answer_stats(struct conn *c, bool prometheus);

#endif
