/* health: the one rule for /health (docs/PROTOCOL.md §5) — status, HTTP code
 * and JSON — from values the gateway and cryptopulse-fcgi each measure their
 * own way.  Pure functions, no I/O, any thread.  json_t results are new
 * references the caller must json_decref(); inputs are borrowed. */
#ifndef CP_HEALTH_H
#define CP_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTH_STALE_INTERVALS 3 /* last tick older than this many intervals: degraded */
#define HEALTH_VERSION_MAX 32
#define HEALTH_ERROR_MAX 160

/* What a program found out about Redis and the feeder.  {0} is "Redis not
 * connected, nothing known"; set latency_ms and ticks to -1 when unknown. */
struct health_probe {
    bool connected;                   /* Redis usable (fcgi: answered PING; gateway: subscribed) */
    double latency_ms;                /* PING round trip in ms, < 0 when not measured */
    char version[HEALTH_VERSION_MAX]; /* redis_version from INFO, "" unknown */
    bool tick_found;                  /* the time of the feeder's last tick is known */
    int64_t last_tick_ms;             /* that time: ms since the Unix epoch */
    int64_t ticks;                    /* ticks this process received, < 0 unknown */
    char error[HEALTH_ERROR_MAX];     /* why not connected / no tick, "" none */
    const json_t *sources;            /* the live feed's state as the feeder wrote it
                                       * ({"fresh":n,"sources":[...]}), borrowed;
                                       * NULL when the feed is not live */
};

enum health_status { HEALTH_OK, HEALTH_DEGRADED, HEALTH_DOWN };

/* Decide the status at now_ms (ms since the epoch) for a feeder ticking every
 * interval_ms: down when Redis is not connected ("redis unreachable: ERROR"),
 * degraded when no tick is known ("no feeder heartbeat[: ERROR]"), when the
 * last tick is older than HEALTH_STALE_INTERVALS * interval_ms ("last feeder
 * tick N ms ago (limit M ms)"), or when live prices have no fresh exchange
 * ("no exchange source is fresh"), else ok.  Writes the reason ("" when ok)
 * into reason (len bytes, truncated to fit). */
enum health_status health_evaluate(const struct health_probe *p, int64_t now_ms, int interval_ms,
                                   char *reason, size_t len);

/* "ok", "degraded" or "down". */
const char *health_status_name(enum health_status s);

/* HTTP status of the answer: 200 for ok, 503 otherwise. */
int health_http_status(enum health_status s);

/* Age of the last tick at now_ms in ms (0 if the clock is behind the
 * feeder's), or -1 when no tick is known. */
int64_t health_tick_age(const struct health_probe *p, int64_t now_ms);

/* The "sources" array of p->sources (a new reference), or NULL when the feed
 * is not live or the state holds no array. */
json_t *health_sources(const struct health_probe *p);

/* The /health JSON, the same from every program: {"status","reason" (unless
 * ok),"redis":{"connected","latency_ms","version"},"feeder":{
 * "last_tick_age_ms","ticks"},"time"}, and "sources" with live prices;
 * unknown values are null.  Stores the HTTP status in *http_status when not
 * NULL.  Returns a new reference. */
json_t *health_to_json(const struct health_probe *p, int64_t now_ms, int interval_ms,
                       int *http_status);

#endif
