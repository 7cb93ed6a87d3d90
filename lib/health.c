#include "config.h"

#include "health.h"

#include "jsontext.h"
#include "price.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int64_t health_tick_age(const struct health_probe *p, int64_t now_ms)
{
    if (!p->tick_found)
        return -1;
    return now_ms > p->last_tick_ms ? now_ms - p->last_tick_ms : 0;
}

enum health_status health_evaluate(const struct health_probe *p, int64_t now_ms, int interval_ms,
                                   char *reason, size_t len)
{
    if (!p->connected) {
        snprintf(reason, len, "redis unreachable: %s", *p->error ? p->error : "unknown error");
        return HEALTH_DOWN;
    }
    if (!p->tick_found) {
        snprintf(reason, len, "no feeder heartbeat%s%s", *p->error ? ": " : "", p->error);
        return HEALTH_DEGRADED;
    }
    int64_t age = health_tick_age(p, now_ms);
    int64_t limit = (int64_t)HEALTH_STALE_INTERVALS * interval_ms;
    if (age > limit) {
        snprintf(reason, len, "last feeder tick %" PRId64 " ms ago (limit %" PRId64 " ms)", age,
                 limit);
        return HEALTH_DEGRADED;
    }
    if (p->sources && json_integer_value(json_object_get(p->sources, "fresh")) == 0) {
        snprintf(reason, len, "no exchange source is fresh");
        return HEALTH_DEGRADED;
    }
    snprintf(reason, len, "%s", "");
    return HEALTH_OK;
}

json_t *health_sources(const struct health_probe *p)
{
    json_t *arr = json_object_get(p->sources, "sources");
    return json_is_array(arr) ? json_incref(arr) : NULL;
}

const char *health_status_name(enum health_status s)
{
    switch (s) {
    case HEALTH_OK: return "ok";
    case HEALTH_DEGRADED: return "degraded";
    case HEALTH_DOWN: return "down";
    }
    return "down";
}

int health_http_status(enum health_status s)
{
    return s == HEALTH_OK ? 200 : 503;
}

static json_t *redis_json(const struct health_probe *p)
{
    bool measured = p->connected && p->latency_ms >= 0;
    return json_pack("{s:b, s:o, s:o}", "connected", p->connected, "latency_ms",
                     measured ? json_real(price_round(p->latency_ms, 2)) : json_null(), "version",
                     p->connected && *p->version ? jsontext_string(p->version, strlen(p->version))
                                                 : json_null());
}

json_t *health_to_json(const struct health_probe *p, int64_t now_ms, int interval_ms,
                       int *http_status)
{
    char reason[HEALTH_ERROR_MAX + 64];
    enum health_status s = health_evaluate(p, now_ms, interval_ms, reason, sizeof reason);
    int64_t age = health_tick_age(p, now_ms);
    json_t *obj = json_pack("{s:s}", "status", health_status_name(s));
    if (s != HEALTH_OK)
        json_object_set_new(obj, "reason", jsontext_string(reason, strlen(reason)));
    json_object_set_new(obj, "redis", redis_json(p));
    json_object_set_new(obj, "feeder",
                        json_pack("{s:o, s:o}", "last_tick_age_ms",
                                  age >= 0 ? json_integer(age) : json_null(), "ticks",
                                  p->ticks >= 0 ? json_integer(p->ticks) : json_null()));
    json_object_set_new(obj, "time", json_integer(now_ms));
    json_t *sources = health_sources(p);
    if (sources)
        json_object_set_new(obj, "sources", sources);
    if (http_status)
        *http_status = health_http_status(s);
    return obj;
}
