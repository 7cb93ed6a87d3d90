/* Unit tests of lib/health.c, the one /health rule of the gateway and
 * cryptopulse-fcgi: ok, degraded and down with their reasons and HTTP codes,
 * and the one JSON shape of docs/PROTOCOL.md §5 (unknown values null). */
#include "config.h"

#include "check_main.h"
#include "health.h"
#include "price.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1764442000000LL /* ms, a fixed "now" */
#define INTERVAL 1500       /* ms, UPDATE_INTERVAL_MS */

static struct health_probe healthy(void)
{
    struct health_probe p = {.connected = true,
                             .latency_ms = 0.4123,
                             .version = "7.0.15",
                             .tick_found = true,
                             .last_tick_ms = NOW - 812,
                             .ticks = -1};
    return p;
}

static char *dump(const json_t *obj)
{
    return json_dumps(obj, PRICE_JSON_FLAGS);
}

START_TEST(ok_with_fresh_tick)
{
    struct health_probe p = healthy();
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    ck_assert_str_eq(reason, "");
    p.last_tick_ms = NOW - 3 * INTERVAL; /* exactly at the limit still counts */
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    p.last_tick_ms = NOW + 50; /* feeder clock slightly ahead */
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    ck_assert_int_eq(health_tick_age(&p, NOW), 0);
    ck_assert_str_eq(health_status_name(HEALTH_OK), "ok");
    ck_assert_int_eq(health_http_status(HEALTH_OK), 200);
}
END_TEST

START_TEST(degraded_with_stale_tick)
{
    struct health_probe p = healthy();
    p.last_tick_ms = NOW - 3 * INTERVAL - 1;
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DEGRADED);
    ck_assert_str_eq(reason, "last feeder tick 4501 ms ago (limit 4500 ms)");
    ck_assert_str_eq(health_status_name(HEALTH_DEGRADED), "degraded");
    ck_assert_int_eq(health_http_status(HEALTH_DEGRADED), 503);
}
END_TEST

START_TEST(degraded_without_tick)
{
    struct health_probe p = healthy();
    p.tick_found = false;
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DEGRADED);
    ck_assert_str_eq(reason, "no feeder heartbeat");
    ck_assert_int_eq(health_tick_age(&p, NOW), -1);
    snprintf(p.error, sizeof p.error, "key holds no timestamp");
    health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason);
    ck_assert_str_eq(reason, "no feeder heartbeat: key holds no timestamp");
}
END_TEST

START_TEST(down_without_redis)
{
    struct health_probe p = {.connected = false, .error = "127.0.0.1:6379: Connection refused"};
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DOWN);
    ck_assert_str_eq(reason, "redis unreachable: 127.0.0.1:6379: Connection refused");
    ck_assert_str_eq(health_status_name(HEALTH_DOWN), "down");
    ck_assert_int_eq(health_http_status(HEALTH_DOWN), 503);
    p.error[0] = '\0';
    health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason);
    ck_assert_str_eq(reason, "redis unreachable: unknown error");
}
END_TEST

START_TEST(down_even_with_a_fresh_tick)
{
    /* The gateway still knows its last tick while Redis is away. */
    struct health_probe p = healthy();
    p.connected = false;
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DOWN);
    ck_assert_int_eq(health_tick_age(&p, NOW), 812);
}
END_TEST

START_TEST(ok_json_has_protocol_shape)
{
    struct health_probe p = healthy();
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_ptr_nonnull(obj);
    ck_assert_int_eq(status, 200);
    char *text = dump(obj);
    ck_assert_str_eq(text, "{\"status\":\"ok\",\"redis\":{\"connected\":true,\"latency_ms\":0.41,"
                           "\"version\":\"7.0.15\"},\"feeder\":{\"last_tick_age_ms\":812,"
                           "\"ticks\":null},\"time\":1764442000000}");
    free(text);
    json_decref(obj);
}
END_TEST

START_TEST(ticks_are_given_when_counted)
{
    struct health_probe p = healthy();
    p.ticks = 42;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, NULL);
    json_t *feeder = json_object_get(obj, "feeder");
    ck_assert_int_eq(json_integer_value(json_object_get(feeder, "ticks")), 42);
    json_decref(obj);
}
END_TEST

START_TEST(unmeasured_latency_and_version_are_null)
{
    struct health_probe p = healthy();
    p.latency_ms = -1;
    p.version[0] = '\0';
    json_t *obj = health_to_json(&p, NOW, INTERVAL, NULL);
    json_t *redis = json_object_get(obj, "redis");
    ck_assert(json_is_true(json_object_get(redis, "connected")));
    ck_assert(json_is_null(json_object_get(redis, "latency_ms")));
    ck_assert(json_is_null(json_object_get(redis, "version")));
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "ok");
    json_decref(obj);
}
END_TEST

START_TEST(down_json_keeps_shape_with_nulls)
{
    struct health_probe p = {.connected = false, .error = "timeout", .ticks = -1};
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "down");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "reason")),
                     "redis unreachable: timeout");
    json_t *redis = json_object_get(obj, "redis");
    ck_assert(json_is_false(json_object_get(redis, "connected")));
    ck_assert(json_is_null(json_object_get(redis, "latency_ms")));
    ck_assert(json_is_null(json_object_get(redis, "version")));
    json_t *feeder = json_object_get(obj, "feeder");
    ck_assert(json_is_null(json_object_get(feeder, "last_tick_age_ms")));
    ck_assert(json_is_null(json_object_get(feeder, "ticks")));
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "time")), NOW);
    ck_assert_ptr_null(json_object_get(obj, "sources"));
    json_decref(obj);
}
END_TEST

START_TEST(degraded_json_has_reason_and_age)
{
    struct health_probe p = healthy();
    p.last_tick_ms = NOW - 10000;
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 503);
    char *text = dump(obj);
    ck_assert_ptr_nonnull(strstr(text, "{\"status\":\"degraded\",\"reason\":\"last feeder tick"));
    free(text);
    ck_assert(json_is_true(json_object_get(json_object_get(obj, "redis"), "connected")));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(obj, "feeder"), "last_tick_age_ms")),
        10000);
    json_decref(obj);
}
END_TEST

/* A version or error cut mid-character (HEALTH_VERSION_MAX,
 * HEALTH_ERROR_MAX) is not UTF-8: jansson refused it and "redis" or
 * "reason" vanished.  Each byte outside a whole character becomes '?'. */
START_TEST(text_cut_mid_character_keeps_its_field)
{
    struct health_probe p = healthy();
    snprintf(p.version, sizeof p.version, "7.0.\xc3");
    json_t *obj = health_to_json(&p, NOW, INTERVAL, NULL);
    json_t *redis = json_object_get(obj, "redis");
    ck_assert_msg(json_is_object(redis), "no redis object");
    ck_assert(json_is_true(json_object_get(redis, "connected")));
    ck_assert_str_eq(json_string_value(json_object_get(redis, "version")), "7.0.?");
    json_decref(obj);

    p.connected = false;
    snprintf(p.error, sizeof p.error, "caf\xc3\xa9 \xff cut \xe2\x82");
    obj = health_to_json(&p, NOW, INTERVAL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "down");
    ck_assert_msg(json_is_string(json_object_get(obj, "reason")), "no reason");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "reason")),
                     "redis unreachable: caf\xc3\xa9 ? cut ??");
    json_decref(obj);

    p = healthy();
    p.tick_found = false;
    snprintf(p.error, sizeof p.error, "GET: \xf0\x9f\x9a");
    obj = health_to_json(&p, NOW, INTERVAL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "reason")),
                     "no feeder heartbeat: GET: ???");
    json_decref(obj);
}
END_TEST

START_TEST(live_sources_are_shown_and_degrade_when_none_is_fresh)
{
    json_t *state =
        json_loads("{\"fresh\":1,\"sources\":[{\"name\":\"kraken\",\"fresh\":true}]}", 0, NULL);
    struct health_probe p = healthy();
    p.sources = state;
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 200);
    json_t *arr = json_object_get(obj, "sources");
    ck_assert(json_is_array(arr));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "kraken");
    json_decref(obj);
    json_object_set_new(state, "fresh", json_integer(0));
    obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "degraded");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "reason")),
                     "no exchange source is fresh");
    ck_assert(json_is_array(json_object_get(obj, "sources")));
    json_decref(obj);
    json_decref(state);
}
END_TEST

START_TEST(sources_without_an_array_are_left_out)
{
    json_t *state = json_loads("{\"fresh\":2,\"sources\":\"x\"}", 0, NULL);
    struct health_probe p = healthy();
    p.sources = state;
    ck_assert_ptr_null(health_sources(&p));
    json_t *obj = health_to_json(&p, NOW, INTERVAL, NULL);
    ck_assert_ptr_null(json_object_get(obj, "sources"));
    json_decref(obj);
    p.sources = NULL;
    ck_assert_ptr_null(health_sources(&p));
    json_decref(state);
}
END_TEST

static Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *h = tcase_create("rule");
    tcase_add_test(h, ok_with_fresh_tick);
    tcase_add_test(h, degraded_with_stale_tick);
    tcase_add_test(h, degraded_without_tick);
    tcase_add_test(h, down_without_redis);
    tcase_add_test(h, down_even_with_a_fresh_tick);
    suite_add_tcase(s, h);
    TCase *j = tcase_create("json");
    tcase_add_test(j, ok_json_has_protocol_shape);
    tcase_add_test(j, ticks_are_given_when_counted);
    tcase_add_test(j, unmeasured_latency_and_version_are_null);
    tcase_add_test(j, down_json_keeps_shape_with_nulls);
    tcase_add_test(j, degraded_json_has_reason_and_age);
    tcase_add_test(j, text_cut_mid_character_keeps_its_field);
    tcase_add_test(j, live_sources_are_shown_and_degrade_when_none_is_fresh);
    tcase_add_test(j, sources_without_an_array_are_left_out);
    suite_add_tcase(s, j);
    return s;
}

CHECK_MAIN(health_suite)
