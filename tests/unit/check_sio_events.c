/* Unit tests of gateway/sio_events.c: the Socket.IO v5 layer of a session
 * (docs/PROTOCOL.md §7) — connect and the welcome, the default "*" bulk,
 * subscribe replacing it, ping and its forms, acknowledgements, history,
 * other namespaces, binary packets, malformed packets and the rate limit —
 * as the exact bytes a long-polling (or WebSocket) client reads on real
 * loopback sockets (gw_fixture, sio_client); history against a real
 * redis-server. */
#include "config.h"

#include "candles.h"
#include "check_main.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "keys.h"
#include "price.h"
#include "proto.h"
#include "sio_client.h"
#include "socketio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 1700000000000L

static struct gw_fixture fx;
static struct redis_server gone; /* one stopped by the test */

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
    redis_server_free(&gone);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* POST payload to sid, then poll: what the client reads back. */
static char *exchange(const char *sid, const char *payload)
{
    sio_post(&fx, sid, payload);
    return sio_poll(&fx, sid, 2000);
}

/* The poll after a 400 code 1: the session is gone. */
static void assert_gone(const char *sid)
{
    char t[96];
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    char *req = sio_request("GET", t, NULL, 0), *got = sio_ask(&fx, req, 2000);
    ck_assert_int_eq(sio_error_code(got, 400), 1);
    free(got);
    free(req);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
}

/* server_ts in text ("...\"server_ts\":N...") is now, give or take 5 s. */
static void assert_server_ts(const char *text)
{
    const char *p = strstr(text, "\"server_ts\":");
    ck_assert_msg(p != NULL, "%s", text);
    long long ts = atoll(p + 12), now = (long long)price_now_ms();
    ck_assert_msg(ts > now - 5000 && ts <= now + 5000, "%s", text);
}

START_TEST(connect_answers_the_socket_id_then_the_welcome)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    char sid[64];
    free(sio_handshake(&fx, sid));
    char *got = exchange(sid, "40");
    char *welcome = proto_welcome(&fx.ctx), want[2048];
    ck_assert_uint_gt(strlen(got), 32);
    snprintf(want, sizeof want,
             "40{\"sid\":\"%.20s\"}\x1e"
             "42[\"welcome\",%s]",
             got + 10, welcome);
    ck_assert_str_eq(got, want);
    ck_assert_str_ne(got + 10, sid); /* its own id, not the Engine.IO one */
    free(welcome);
    free(got);
    /* A second CONNECT of the same namespace is ignored; auth is accepted. */
    sio_post(&fx, sid, "40{\"token\":\"x\"}");
    int fd = sio_poll_start(&fx, sid), status;
    ck_assert_ptr_null(sio_poll_read(&fx, fd, 200, &status));
    close(fd);
}
END_TEST

/* Before CONNECT the client is in no namespace: events are dropped and no
 * tick comes. */
START_TEST(nothing_flows_before_connect)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024];
    free(sio_handshake(&fx, sid));
    sio_post(&fx, sid,
             "421[\"ping\"]\x1e"
             "42[\"subscribe\",[\"BTC\"]]");
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    int fd = sio_poll_start(&fx, sid), status;
    char *got = sio_poll_read(&fx, fd, 200, &status);
    ck_assert_msg(got == NULL, "%s", got);
    close(fd);
    ck_assert_uint_eq(hub_channel_size(fx.ctx.hub, "*"), 0);
    ck_assert_uint_eq(hub_channel_size(fx.ctx.hub, "BTC"), 0);
}
END_TEST

START_TEST(a_waiting_get_is_answered_by_a_tick_with_the_bulk)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024], want[1200];
    sio_connect(&fx, sid);
    int fd = sio_poll_start(&fx, sid), status;
    ck_assert_ptr_null(sio_poll_read(&fx, fd, 200, &status)); /* it waits */
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    char *got = sio_poll_read(&fx, fd, 1000, &status);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(status, 200);
    snprintf(want, sizeof want, "42[\"price-update-bulk\",%s]", tick);
    ck_assert_str_eq(got, want);
    free(got);
    close(fd);
    /* Two ticks while nobody polls: one answer, joined by \x1e. */
    char tick2[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS + 1));
    gw_fixture_tick(&fx, gw_wire_tick(tick2, sizeof tick2, TICK_MS + 2));
    got = sio_poll(&fx, sid, 1000);
    char want2[2400];
    snprintf(want2, sizeof want2,
             "42[\"price-update-bulk\",%s]\x1e"
             "42[\"price-update-bulk\",%s]",
             tick, tick2);
    ck_assert_str_eq(got, want2);
    free(got);
}
END_TEST

START_TEST(subscribe_replaces_the_bulk_by_the_named_symbols)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "42[\"subscribe\",[\"BTC\"]]");
    ck_assert_str_eq(got, "42[\"subscribed\",{\"symbols\":[\"BTC\"]}]"); /* no prices yet */
    free(got);
    int fd = sio_poll_start(&fx, sid), status;
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    got = sio_poll_read(&fx, fd, 1000, &status);
    close(fd);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "42[\"price-update\",{\"symbol\":\"BTC\",\"price\":0.5,\"change24h\":1,"
                          "\"volume24h\":2,\"high24h\":3,\"low24h\":1,\"ts\":1700000000000,"
                          "\"id\":\"1700000000000-0\"}]");
    free(got);
    /* The object form; a snapshot of the newly added symbol follows. */
    got = exchange(sid, "42[\"subscribe\",{\"symbols\":[\"ETH\"]}]");
    ck_assert_msg(starts(got, "42[\"subscribed\",{\"symbols\":[\"BTC\",\"ETH\"]}]\x1e"
                              "42[\"price-update-bulk\",{\"id\":\"1700000000000-0\""),
                  "%s", got);
    ck_assert_ptr_null(strstr(got, "\"BTC\",\"price\""));
    free(got);
    got = exchange(sid, "42[\"unsubscribe\",[\"BTC\",\"ETH\"]]");
    ck_assert_str_eq(got, "42[\"subscribed\",{\"symbols\":[]}]");
    free(got);
}
END_TEST

START_TEST(subscribing_star_keeps_the_bulk)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024], want[1200];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "42[\"subscribe\",[\"*\"]]");
    ck_assert_str_eq(got, "42[\"subscribed\",{\"symbols\":[\"*\"]}]");
    free(got);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    got = sio_poll(&fx, sid, 1000);
    snprintf(want, sizeof want, "42[\"price-update-bulk\",%s]", tick);
    ck_assert_str_eq(got, want);
    free(got);
}
END_TEST

/* A first subscribe naming only symbols the feed does not carry is refused
 * whole: the client keeps its default "*", and the acknowledgement carries
 * the error, not an empty subscription. */
START_TEST(a_subscribe_of_unknown_symbols_only_keeps_the_default_and_acks_the_error)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "423[\"subscribe\",[\"NOPE\"]]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"unknown_symbol\""), "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "42[\"subscribed\",{\"symbols\":[\"*\"]}]"));
    ck_assert_ptr_nonnull(strstr(got, "\x1e"
                                      "433[{\"code\":\"unknown_symbol\""));
    free(got);
    ck_assert_uint_eq(hub_channel_size(fx.ctx.hub, "*"), 1);
}
END_TEST

START_TEST(acks_carry_the_reply_data)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "421[\"ping\"]");
    ck_assert_msg(starts(got, "42[\"pong\",{\"server_ts\":"), "%s", got);
    const char *ack = strchr(got, '\x1e');
    ck_assert_ptr_nonnull(ack);
    char want[128];
    snprintf(want, sizeof want,
             "\x1e"
             "431[%.*s]",
             (int)(ack - got - 11), got + 10);
    ck_assert_str_eq(ack, want); /* the same pong data */
    assert_server_ts(got);
    free(got);
    got = exchange(sid, "422[\"subscribe\",[\"BTC\"]]");
    ck_assert_str_eq(got, "42[\"subscribed\",{\"symbols\":[\"BTC\"]}]\x1e"
                          "432[{\"symbols\":[\"BTC\"]}]");
    free(got);
    /* A refused symbol: the error event, yet the reply (the set) is the ack;
     * an event that fails with no reply is acknowledged with the error. */
    got = exchange(sid, "4217[\"subscribe\",[\"bad symbol!\"]]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"unknown_symbol\""), "%s", got);
    ck_assert_msg(strstr(got, "\x1e"
                              "42[\"subscribed\",{\"symbols\":[\"BTC\"]}]\x1e"
                              "4317[{\"symbols\":[\"BTC\"]}]") != NULL,
                  "%s", got);
    free(got);
    got = exchange(sid, "4299[\"nonsense\"]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"unknown_event\""), "%s", got);
    ck_assert_msg(strstr(got, "\x1e"
                              "4399[{\"code\":\"unknown_event\"") != NULL,
                  "%s", got);
    free(got);
}
END_TEST

START_TEST(ping_echoes_a_number_or_id_and_ts)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "42[\"ping\",1699999999999]");
    ck_assert_msg(starts(got, "42[\"pong\",{\"ts\":1699999999999,\"server_ts\":"), "%s", got);
    ck_assert_ptr_null(strchr(got, '\x1e'));
    assert_server_ts(got);
    free(got);
    got = exchange(sid, "42[\"ping\",{\"id\":1,\"ts\":2}]");
    ck_assert_msg(starts(got, "42[\"pong\",{\"id\":1,\"ts\":2,\"server_ts\":"), "%s", got);
    assert_server_ts(got);
    free(got);
}
END_TEST

START_TEST(another_namespace_is_refused)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    char *got = exchange(sid, "40/admin,");
    ck_assert_str_eq(got, "44/admin,{\"message\":\"Invalid namespace\"}");
    free(got);
    /* Events there are dropped, and the default namespace still connects. */
    sio_post(&fx, sid, "42/admin,[\"ping\"]");
    got = exchange(sid, "40");
    ck_assert_msg(starts(got, "40{\"sid\":\""), "%s", got);
    free(got);
}
END_TEST

/* The namespace is echoed outside the JSON and cannot hold its comma, but a
 * long-polling body is not checked for UTF-8: bytes outside a whole
 * character must not reach the client's text (a WebSocket text frame after
 * the upgrade would be invalid). */
START_TEST(a_namespace_that_is_not_utf8_is_echoed_as_utf8)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    char *got = exchange(sid, "40/caf\xc3\xa9\xff\xe2\x82,");
    ck_assert_str_eq(got, "44/caf\xc3\xa9???,{\"message\":\"Invalid namespace\"}");
    free(got);
}
END_TEST

START_TEST(binary_packets_get_an_error_event)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "451-[\"x\",{\"_placeholder\":true,\"num\":0}]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"binary_not_supported\",\"message\":"), "%s",
                  got);
    free(got);
    got = exchange(sid, "461-3[{\"_placeholder\":true,\"num\":0}]"); /* a binary ack */
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"binary_not_supported\","), "%s", got);
    free(got);
    got = exchange(sid, "bAQID"); /* Engine.IO base64 binary */
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"binary_not_supported\","), "%s", got);
    free(got);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
}
END_TEST

START_TEST(a_malformed_packet_closes_the_session)
{
    gw_fixture_start(&fx, NULL);
    static const char *const bad[] = {"42[\"ping\"", "42{\"a\":1}", "9", "4x[1]", "42[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char sid[64];
        sio_connect(&fx, sid);
        sio_post(&fx, sid, bad[i]); /* still "ok": the POST itself was fine */
        gw_fixture_run(&fx, 20);
        assert_gone(sid);
        ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
    }
}
END_TEST

START_TEST(disconnect_closes_the_session)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    sio_post(&fx, sid, "41");
    gw_fixture_run(&fx, 20);
    assert_gone(sid);
}
END_TEST

START_TEST(past_the_rate_limit_an_error_then_the_close)
{
    fx.conf.max_messages_per_second = 2;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "42[\"ping\"]\x1e"
                              "42[\"ping\"]\x1e"
                              "42[\"ping\"]");
    ck_assert_msg(starts(got, "42[\"pong\",{"), "%s", got);
    ck_assert_msg(strstr(got, "\x1e"
                              "42[\"error\",{\"code\":\"rate_limited\",") != NULL,
                  "%s", got);
    ck_assert_uint_eq(fx.ctx.counters.rate_limited, 1);
    free(got);
    /* Another second's worth regardless: closed. */
    sio_post(&fx, sid,
             "42[\"ping\"]\x1e"
             "42[\"ping\"]\x1e"
             "42[\"ping\"]");
    gw_fixture_run(&fx, 20);
    assert_gone(sid);
}
END_TEST

START_TEST(past_the_rate_limit_on_websocket_41_then_1008)
{
    fx.conf.max_messages_per_second = 2;
    gw_fixture_start(&fx, NULL);
    int fd = sio_ws_open(&fx, "", NULL);
    sio_ws_send(fd, "40");
    json_decref(sio_ws_read(&fx, fd, 500));
    for (int i = 0; i < 5; i++)
        sio_ws_send(fd, "42[\"ping\"]");
    json_t *f = sio_ws_read(&fx, fd, 1000);
    size_t n = json_array_size(f);
    ck_assert_uint_ge(n, 4);
    ck_assert_msg(starts(sio_at(f, 2), "42[\"error\",{\"code\":\"rate_limited\","), "%s",
                  sio_at(f, 2));
    ck_assert_str_eq(sio_at(f, n - 2), "41");
    ck_assert_str_eq(sio_at(f, n - 1), "close:1008");
    json_decref(f);
    close(fd);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
}
END_TEST

START_TEST(history_is_answered_and_acknowledged)
{
    gw_fixture_start(&fx, &redis_fixture);
    char key[KEYS_MAX], tick[1024];
    keys_format(key, sizeof key, fx.conf.redis_prefix, KEYS_HISTORY, NULL);
    redisContext *r = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(r, "DEL %s", key);
    gw_wire_redis_ok(r, "XADD %s 1000-0 tick %s", key, gw_wire_tick(tick, sizeof tick, 1000));
    gw_wire_redis_ok(r, "XADD %s 2000-0 tick %s", key, gw_wire_tick(tick, sizeof tick, 2000));
    redisFree(r);
    char sid[64];
    sio_connect(&fx, sid);
    sio_post(&fx, sid, "425[\"history\",{\"symbol\":\"BTC\",\"limit\":60}]");
    char *got = sio_poll(&fx, sid, 2000);
    ck_assert_msg(starts(got, "42[\"history\",{\"symbol\":\"BTC\""), "%s", got);
    const char *ack = strchr(got, '\x1e');
    ck_assert_ptr_nonnull(ack);
    char *want;
    ck_assert_int_gt(asprintf(&want,
                              "\x1e"
                              "435[%.*s]",
                              (int)(ack - got - 14), got + 13),
                     0);
    ck_assert_str_eq(ack, want);
    ck_assert_ptr_nonnull(strstr(got, "1000"));
    ck_assert_ptr_nonnull(strstr(got, "2000"));
    free(want);
    free(got);
}
END_TEST

START_TEST(candles_are_answered_and_acknowledged)
{
    gw_fixture_start(&fx, &redis_fixture);
    char key[KEYS_MAX];
    candles_key(key, sizeof key, fx.conf.redis_prefix, "BTC", CANDLES_1M);
    redisContext *r = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(r, "DEL %s", key);
    gw_wire_redis_ok(r, "ZADD %s 60000 %s 120000 %s 180000 %s", key, "c[60000,1.5,2,1,1.75,10]",
                     "c[120000,1.75,1.75,1.25,1.5,2.5]", "o[180000,1.5,1.5,1.5,1.5,0]");
    redisFree(r);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "427[\"history\",{\"symbol\":\"BTC\",\"interval\":\"1m\","
                              "\"from\":\"60000\",\"to\":120000,\"limit\":\"1\"}]");
    const char *body = "{\"symbol\":\"BTC\",\"interval\":\"1m\",\"candles\":"
                       "[[60000,1.5,2,1,1.75,10]],\"last_open\":false}";
    char want[512];
    snprintf(want, sizeof want,
             "42[\"history\",%s]\x1e"
             "437[%s]",
             body, body);
    ck_assert_str_eq(got, want);
    free(got);
    got = exchange(sid, "428[\"history\",{\"symbol\":\"BTC\",\"interval\":\"1w\"}]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"bad_request\",\"message\":\"interval"),
                  "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\x1e"
                                      "438[{\"code\":\"bad_request\""));
    free(got);
}
END_TEST

START_TEST(history_without_redis_is_an_error_and_its_ack)
{
    ck_assert(redis_server_start(&gone));
    gw_fixture_start(&fx, &gone);
    gw_fixture_redis_gone(&fx, &gone);
    char sid[64];
    sio_connect(&fx, sid);
    char *got = exchange(sid, "426[\"history\",{\"symbol\":\"BTC\",\"limit\":5}]");
    ck_assert_msg(starts(got, "42[\"error\",{\"code\":\"unavailable\","), "%s", got);
    const char *ack = strchr(got, '\x1e');
    ck_assert_ptr_nonnull(ack);
    char want[256];
    snprintf(want, sizeof want,
             "\x1e"
             "436[%.*s]",
             (int)(ack - got - 12), got + 11);
    ck_assert_str_eq(ack, want);
    free(got);
}
END_TEST

/* A session closed while Redis has its history request is freed once the
 * answer comes (and at shutdown, when it never will): valgrind checks. */
START_TEST(a_session_closed_while_history_is_pending_is_freed_later)
{
    gw_fixture_start(&fx, &redis_fixture);
    char a[64], b[64];
    sio_connect(&fx, a);
    sio_connect(&fx, b);
    sio_post(&fx, a,
             "42[\"history\",{\"symbol\":\"BTC\",\"limit\":5}]\x1e"
             "1");
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    gw_fixture_run(&fx, 200); /* the answer comes to a closed session */
    sio_post(&fx, b,
             "42[\"history\",{\"symbol\":\"BTC\",\"limit\":5}]\x1e"
             "1");
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
    /* b's answer is still to come: teardown frees it. */
}
END_TEST

static Suite *sio_events_suite(void)
{
    Suite *s = suite_create("sio_events");
    TCase *t = tcase_create("events");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, connect_answers_the_socket_id_then_the_welcome);
    tcase_add_test(t, nothing_flows_before_connect);
    tcase_add_test(t, a_waiting_get_is_answered_by_a_tick_with_the_bulk);
    tcase_add_test(t, subscribe_replaces_the_bulk_by_the_named_symbols);
    tcase_add_test(t, subscribing_star_keeps_the_bulk);
    tcase_add_test(t, acks_carry_the_reply_data);
    tcase_add_test(t, a_subscribe_of_unknown_symbols_only_keeps_the_default_and_acks_the_error);
    tcase_add_test(t, ping_echoes_a_number_or_id_and_ts);
    tcase_add_test(t, another_namespace_is_refused);
    tcase_add_test(t, a_namespace_that_is_not_utf8_is_echoed_as_utf8);
    tcase_add_test(t, binary_packets_get_an_error_event);
    tcase_add_test(t, a_malformed_packet_closes_the_session);
    tcase_add_test(t, disconnect_closes_the_session);
    tcase_add_test(t, past_the_rate_limit_an_error_then_the_close);
    tcase_add_test(t, past_the_rate_limit_on_websocket_41_then_1008);
    suite_add_tcase(s, t);
    t = tcase_create("history");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, history_is_answered_and_acknowledged);
    tcase_add_test(t, candles_are_answered_and_acknowledged);
    tcase_add_test(t, a_session_closed_while_history_is_pending_is_freed_later);
    tcase_add_test(t, history_without_redis_is_an_error_and_its_ack);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(sio_events_suite)
