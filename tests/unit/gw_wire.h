/* gw_wire: what a test client reads off a gateway connection, decoded —
 * server WebSocket text frames, SSE event blocks, HTTP responses — and a
 * plain hiredis client to a redis_server.h server, to put entries into Redis
 * and read them back.  Test code only: every helper asserts (Check) on input
 * it cannot decode; JSON results are new references for the caller. */
#ifndef CP_TEST_GW_WIRE_H
#define CP_TEST_GW_WIRE_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>

#include "gw_fixture.h"
#include "redis_server.h"

/* The server's unmasked, unfragmented, uncompressed text frames in buf (n
 * bytes, whole frames only) as an array of their JSON messages
 * ({"event","data"}).  Asserts each frame's first byte is 0x81. */
json_t *gw_wire_ws_messages(const void *buf, size_t n);

/* The SSE event blocks in text (WHATWG HTML §9.2), comments and the retry
 * field left out: an array of {"event":name|null,"id":id|null,"data":JSON
 * value|null} in order; an id-only block is {"event":null,"id":..}. */
json_t *gw_wire_sse_events(const char *text);

/* The ids of events (from either decoder; a WebSocket message's data.id),
 * comma separated, in order, in buf of len bytes: for ordering checks. */
const char *gw_wire_ids(const json_t *events, char *buf, size_t len);

/* An HTTP response's status code, and its body (after the blank line). */
int gw_wire_status(const char *response);
const char *gw_wire_body(const char *response);

/* Run fx's loop and read fd until what was read holds needle, or ms passed
 * (then it returns what came).  As gw_fixture_read: NUL-terminated, caller
 * frees, *len the byte count when not NULL. */
char *gw_wire_read_until(struct gw_fixture *fx, int fd, const char *needle, int ms, size_t *len);

/* A tick with id "<ms>-0" and ts ms, as the feeder writes it (docs/PROTOCOL.md
 * §4): BTC at price p + 0.5, ETH at p + 1.25, where p is ms modulo one
 * million (prices stay in range for ids of now); written into buf of len
 * bytes (1024 is enough), which is returned. */
const char *gw_wire_tick(char *buf, size_t len, long ms);

/* A synchronous hiredis connection to rs (asserts it connects). */
redisContext *gw_wire_redis(const struct redis_server *rs);

/* Run a command on r (hiredis format) and assert it did not fail. */
void gw_wire_redis_ok(redisContext *r, const char *format, ...);

#endif
