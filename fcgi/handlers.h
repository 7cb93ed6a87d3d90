/* handlers: the CGI response to each request of cryptopulse-fcgi — /health,
 * /stats and /history (docs/PROTOCOL.md §1, §5), 404 and 405 — from its CGI
 * variables, the configuration and the Redis probe.  Single-threaded (the CGI
 * run or the FastCGI accept loop); every answer is malloc'd, the caller frees. */
#ifndef CP_HANDLERS_H
#define CP_HANDLERS_H

#include "conf.h"
#include "probe.h"
#include "route.h"

#include <stdbool.h>
#include <stddef.h>

/* What the handlers keep across requests, so that Redis state changes are
 * logged once, not per request.  Filled by handlers_init; the fields are the
 * handlers' own, a caller only embeds the struct. */
struct handlers_state {
    const struct cp_conf *conf; /* borrowed: update_interval_ms, stats_interval_ms */
    struct probe *probe;        /* borrowed: reads Redis for every answer */
    int last_status;            /* HTTP status of the previous /health, -1 before the first */
    bool redis_failed;          /* the previous /stats or /history found Redis unreachable */
};

/* Prepare h for conf and probe, both borrowed: they must outlive h.  Nothing
 * to free. */
void handlers_init(struct handlers_state *h, const struct cp_conf *conf, struct probe *probe);

/* The whole CGI response (Status line, headers, blank line, body unless the
 * method is HEAD) to the request whose CGI variables are v (borrowed), routed
 * by route_request: 200 or 503 for /health, 200 or 503 "unavailable" for
 * /stats and /history (400 for a bad /history query), 405 with Allow, 404.
 * Logs /health status changes and Redis becoming unreachable or answering
 * again.  Stores the size in bytes in *len; never returns NULL. */
char *handlers_answer(struct handlers_state *h, const struct route_vars *v, size_t *len);

/* An error response: status with {"error":code,"message":msg} (both
 * borrowed), an Allow header when allow is not NULL, no body when head.
 * Stores the size in bytes in *len; never returns NULL. */
char *handlers_error(int status, const char *allow, const char *code, const char *msg, bool head,
                     size_t *len);

#endif
