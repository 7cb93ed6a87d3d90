/* health: the /health answer of PROTOCOL.md §5 (status, HTTP code, JSON)
 * computed from values measured elsewhere.  Pure functions, no I/O, any thread.
 * json_t results are new references the caller must json_decref(). */
#ifndef CP_HEALTH_H
#define CP_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define HEALTH_STALE_INTERVALS 3 /* heartbeat older than this many ticks: degraded */
#define HEALTH_VERSION_MAX 32
#define HEALTH_ERROR_MAX 160
#define HEALTH_SOURCES_MAX 4096 /* bytes of the live feed's source state kept */

/* What a probe of Redis and the feeder heartbeat found. */
struct health_probe {
    bool connected;                   /* Redis answered PING */
    double latency_ms;                /* PING round trip, ms */
    char version[HEALTH_VERSION_MAX]; /* redis_version from INFO, "" unknown */
    bool heartbeat_found;             /* the heartbeat key held a timestamp */
    int64_t heartbeat_ms;             /* its value: ms since the Unix epoch */
    char error[HEALTH_ERROR_MAX];     /* why not connected / no heartbeat, "" none */
    char sources[HEALTH_SOURCES_MAX]; /* the live feed's exchanges as the feeder wrote
                                       * them (JSON), "" when the feed is not live */
};

enum health_status { HEALTH_OK, HEALTH_DEGRADED, HEALTH_DOWN };

/* Decide the status at now_ms for a feeder ticking every interval_ms: down
 * when Redis is unreachable, degraded when the heartbeat is missing or older
 * than HEALTH_STALE_INTERVALS * interval_ms, or when live prices have no
 * fresh exchange, else ok.  Writes a reason
 * ("" when ok) into reason (len bytes). */
enum health_status health_evaluate(const struct health_probe *p, int64_t now_ms, int interval_ms,
                                   char *reason, size_t len);

/* "ok", "degraded" or "down". */
const char *health_status_name(enum health_status s);

/* HTTP status of the answer: 200 for ok, 503 otherwise. */
int health_http_status(enum health_status s);

/* Heartbeat age at now_ms in ms (0 if the clock is behind the feeder's), or
 * -1 when there is no heartbeat. */
int64_t health_heartbeat_age(const struct health_probe *p, int64_t now_ms);

/* The "sources" array of p->sources (a new reference), or NULL when the feed
 * is not live. */
json_t *health_sources(const struct health_probe *p);

/* The /health JSON: {"status","reason" (unless ok),"redis":{"connected",
 * "latency_ms","version"},"feeder":{"last_tick_age_ms"},"time"}, and
 * "sources" for live prices; unknown values are null.  Stores the HTTP status in *http_status when
 * not NULL. */
json_t *health_to_json(const struct health_probe *p, int64_t now_ms, int interval_ms,
                       int *http_status);

#endif
