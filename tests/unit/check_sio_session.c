/* Unit tests of gateway/sio_session.c: a Socket.IO client's Engine.IO
 * session (docs/PROTOCOL.md §7) — the Engine.IO heartbeat on polling and
 * WebSocket, closing (and what a waiting poll gets), the counters, and the
 * tick messages shared by every session (msg.h) — on real loopback sockets
 * (gw_fixture, sio_client) and, for the sharing, on a table driven
 * directly. */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "sio_client.h"
#include "sio_events.h"
#include "sio_session.h"
#include "socketio.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 1700000000000L
/* pingInterval and pingTimeout of the heartbeat tests: short, with room
 * for a request or two under valgrind. */
#define PING_MS 400

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Run the loop until fx has no Socket.IO session or ms passed; returns the
 * ms it took. */
static int until_no_sessions(int ms)
{
    int waited = 0;
    for (; waited < ms && socketio_sessions(fx.ctx.socketio) > 0; waited += 10)
        gw_fixture_run(&fx, 10);
    return waited;
}

START_TEST(a_polling_client_is_pinged_then_closed_without_a_pong)
{
    fx.conf.socketio_ping_interval_ms = PING_MS;
    fx.conf.socketio_ping_timeout_ms = PING_MS;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    int fd = sio_poll_start(&fx, sid), status;
    char *got = sio_poll_read(&fx, fd, 2 * PING_MS, &status);
    close(fd);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "2");
    free(got);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 1);
    int took = until_no_sessions(3 * PING_MS);
    ck_assert_msg(socketio_sessions(fx.ctx.socketio) == 0, "not closed after the ping timeout");
    ck_assert_int_le(took, PING_MS + 100);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_total, 1);
}
END_TEST

START_TEST(a_client_that_stopped_polling_is_closed)
{
    fx.conf.socketio_ping_interval_ms = PING_MS;
    fx.conf.socketio_ping_timeout_ms = PING_MS;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    int took = until_no_sessions(4 * PING_MS);
    ck_assert_msg(socketio_sessions(fx.ctx.socketio) == 0, "still open");
    ck_assert_int_ge(took, PING_MS); /* interval, then timeout, from the handshake's end */
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
}
END_TEST

START_TEST(answering_pings_keeps_a_polling_session)
{
    fx.conf.socketio_ping_interval_ms = PING_MS;
    fx.conf.socketio_ping_timeout_ms = PING_MS;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    int pings = 0;
    for (int round = 0; round < 4; round++) {
        char *got = sio_poll(&fx, sid, 2 * PING_MS);
        ck_assert_str_eq(got, "2");
        free(got);
        pings++;
        sio_post(&fx, sid, "3");
    }
    ck_assert_int_eq(pings, 4); /* four timeouts survived */
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 1);
}
END_TEST

START_TEST(a_websocket_client_is_pinged_in_frames_and_closed_with_1001)
{
    fx.conf.socketio_ping_interval_ms = PING_MS;
    fx.conf.socketio_ping_timeout_ms = PING_MS;
    gw_fixture_start(&fx, NULL);
    json_t *opened = json_array();
    int fd = sio_ws_open(&fx, "", opened);
    ck_assert_uint_le(json_array_size(opened), 1); /* the open packet, no ping yet */
    json_decref(opened);
    for (int i = 0; i < 3; i++) { /* answered: kept */
        char *got = gw_wire_read_until(&fx, fd,
                                       "\x81\x01"
                                       "2",
                                       2 * PING_MS, NULL);
        ck_assert_msg(strstr(got, "\x81\x01"
                                  "2") != NULL,
                      "no ping frame");
        free(got);
        sio_ws_send(fd, "3");
    }
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    /* Not answered: a ping, then the close after pingTimeout. */
    size_t n;
    char *got = gw_wire_read_until(&fx, fd, "\x88", 4 * PING_MS, &n);
    json_t *f = json_array();
    sio_ws_frames((unsigned char *)got, n, f);
    free(got);
    ck_assert_uint_eq(json_array_size(f), 2);
    ck_assert_str_eq(sio_at(f, 0), "2");
    ck_assert_str_eq(sio_at(f, json_array_size(f) - 1), "close:1001");
    json_decref(f);
    close(fd);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
}
END_TEST

START_TEST(a_close_packet_answers_the_waiting_poll_with_close)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    int fd = sio_poll_start(&fx, sid), status;
    ck_assert_ptr_null(sio_poll_read(&fx, fd, 100, &status));
    sio_post(&fx, sid, "1");
    char *got = sio_poll_read(&fx, fd, 1000, &status);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(got, "1");
    free(got);
    close(fd);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
}
END_TEST

/* A session closed while a poll waits answered it "1" at once and dropped what
 * was queued for it in the same turn — here the rate_limited error and the
 * "41" of the rate limit (sio_events.c), which engine.io would send before
 * its close packet. */
START_TEST(a_closing_session_flushes_its_queue_to_the_waiting_poll)
{
    fx.conf.max_messages_per_second = 1;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    int fd = sio_poll_start(&fx, sid), status;
    ck_assert_ptr_null(sio_poll_read(&fx, fd, 100, &status));
    sio_post(&fx, sid,
             "42[\"ping\"]\x1e"
             "42[\"ping\"]\x1e"
             "42[\"ping\"]");
    char *got = sio_poll_read(&fx, fd, 1000, &status);
    close(fd);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    bool ok = starts(got, "42[\"pong\",") &&
              strstr(got, "\x1e"
                          "42[\"error\",{\"code\":\"rate_limited\"") &&
              strstr(got, "\x1e"
                          "41\x1e"
                          "1");
    char seen[256];
    snprintf(seen, sizeof seen, "%s", got);
    free(got); /* before the assertion: valgrind then sees no leak of the failure */
    ck_assert_msg(ok, "the waiting poll got %s", seen);
}
END_TEST

START_TEST(counters_follow_sessions_and_upgrades)
{
    gw_fixture_start(&fx, NULL);
    char a[64], b[64];
    sio_connect(&fx, a);
    sio_connect(&fx, b);
    int ws = sio_ws_open(&fx, "", NULL);
    struct ctx_counters *k = &fx.ctx.counters;
    ck_assert_uint_eq(k->sio_total, 3);
    ck_assert_uint_eq(k->sio_current, 3);
    ck_assert_uint_eq(k->sio_peak, 3);
    ck_assert_uint_eq(k->sio_websocket, 1);
    ck_assert_uint_eq(k->ws_total, 0); /* not /ws clients */
    sio_post(&fx, a, "1");
    close(ws);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(k->sio_current, 1);
    ck_assert_uint_eq(k->sio_peak, 3);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    char c[64];
    sio_connect(&fx, c);
    ck_assert_uint_eq(k->sio_total, 4);
    ck_assert_uint_eq(k->sio_current, 2);
    ck_assert_uint_eq(k->sio_peak, 3);
}
END_TEST

START_TEST(one_tick_is_the_same_message_to_polling_and_websocket_sessions)
{
    gw_fixture_start(&fx, NULL);
    char a[64], b[64], tick[1024], want[1200];
    sio_connect(&fx, a);
    sio_connect(&fx, b);
    int ws = sio_ws_open(&fx, "", NULL);
    sio_ws_send(ws, "40");
    json_decref(sio_ws_read(&fx, ws, 500));
    ck_assert_uint_eq(hub_channel_size(fx.ctx.hub, "*"), 3);
    uint64_t out = hub_get_stats(fx.ctx.hub)->messages_out;
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    ck_assert_uint_eq(hub_get_stats(fx.ctx.hub)->messages_out, out + 3);
    snprintf(want, sizeof want, "42[\"price-update-bulk\",%s]", tick);
    char *pa = sio_poll(&fx, a, 1000), *pb = sio_poll(&fx, b, 1000);
    json_t *f = sio_ws_read(&fx, ws, 1000);
    ck_assert_str_eq(pa, want);
    ck_assert_str_eq(pb, want);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_str_eq(sio_at(f, 0), want);
    json_decref(f);
    free(pa);
    free(pb);
    close(ws);
}
END_TEST

/* A polling client that lets its queue grow past OUTPUT_HIGH_WATER_BYTES is
 * conflated like a /ws client: the backlog stops, and its next poll after
 * the queue drains gets the latest prices, not the ticks it missed. */
START_TEST(a_slow_polling_client_is_conflated_then_caught_up)
{
    fx.conf.output_high_water_bytes = 1000; /* about two bulk ticks */
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024], id[32];
    sio_connect(&fx, sid);
    for (long i = 1; i <= 10; i++)
        gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS + i));
    const struct hub_stats *st = hub_get_stats(fx.ctx.hub);
    ck_assert_uint_eq(st->conflations, 1);
    ck_assert_uint_ge(st->conflated, 6);
    char *got = sio_poll(&fx, sid, 1000);
    ck_assert_ptr_null(strstr(got, "\"1700000000010-0\"")); /* the backlog stopped */
    ck_assert_msg(starts(got, "42[\"price-update-bulk\",{\"id\":\"1700000000001-0\""), "%s", got);
    free(got);
    got = sio_poll(&fx, sid, 1000);
    snprintf(id, sizeof id, "\"%ld-0\"", TICK_MS + 10);
    ck_assert_msg(starts(got, "42[\"price-update-bulk\",{") && strstr(got, id), "%s", got);
    ck_assert_ptr_null(strchr(got, '\x1e')); /* one snapshot */
    free(got);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
}
END_TEST

/* ...and one conflating past SLOW_CLIENT_TIMEOUT_MS is dropped. */
START_TEST(a_polling_client_conflating_too_long_is_closed)
{
    fx.conf.output_high_water_bytes = 1000;
    fx.conf.slow_client_timeout_ms = 100;
    gw_fixture_start(&fx, NULL);
    char sid[64], tick[1024];
    sio_connect(&fx, sid);
    for (long i = 1; i <= 5; i++)
        gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS + i));
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    gw_fixture_run(&fx, 200);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS + 6));
    gw_fixture_run(&fx, 20);
    ck_assert_uint_eq(hub_get_stats(fx.ctx.hub)->overflows, 1);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
}
END_TEST

/* The table grows past its first buckets and still finds every session. */
START_TEST(the_table_finds_every_session_as_it_grows)
{
    gw_fixture_start(&fx, NULL);
    struct sio_table *t = sio_table_new(&fx.ctx);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct peers_key key = peers_key_of((struct sockaddr *)&sa);
    enum { N = 300 };
    static struct sio_session *all[N];
    for (int i = 0; i < N; i++) {
        all[i] = sio_session_open(t, &key, NULL);
        ck_assert_ptr_nonnull(all[i]);
        sio_events_init(all[i]);
    }
    ck_assert_uint_eq(sio_table_count(t), N);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_eq(sio_session_find(t, all[i]->sid), all[i]);
    for (int i = 0; i < N; i += 2)
        sio_session_close(all[i], 1000, "test");
    ck_assert_uint_eq(sio_table_count(t), N / 2);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_eq(sio_session_find(t, all[i]->sid), i % 2 ? all[i] : NULL);
    gw_fixture_run(&fx, 10); /* the closed ones are reaped */
    ck_assert_uint_eq(fx.ctx.counters.sio_current, N / 2);
    ck_assert_uint_eq(fx.ctx.counters.sio_peak, N);
    sio_table_free(t);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
}
END_TEST

/* Every waiting poll is answered by one tick, with the same bytes. */
START_TEST(a_tick_answers_every_waiting_poll)
{
    gw_fixture_start(&fx, NULL);
    enum { N = 5 };
    char sid[N][64], tick[1024], want[1200];
    int fd[N], status;
    for (int i = 0; i < N; i++) {
        sio_connect(&fx, sid[i]);
        fd[i] = sio_poll_start(&fx, sid[i]);
    }
    gw_fixture_run(&fx, 50);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    snprintf(want, sizeof want, "42[\"price-update-bulk\",%s]", tick);
    for (int i = 0; i < N; i++) {
        char *got = sio_poll_read(&fx, fd[i], 1000, &status);
        ck_assert_msg(got != NULL, "poll %d not answered", i);
        ck_assert_int_eq(status, 200);
        ck_assert_str_eq(got, want);
        free(got);
        close(fd[i]);
    }
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), N);
}
END_TEST

/* The extent of buf's bytes that holds needle's first byte. */
static const void *extent_of(struct evbuffer *buf, const char *needle)
{
    struct evbuffer_ptr at = evbuffer_search(buf, needle, strlen(needle), NULL);
    ck_assert_int_ge(at.pos, 0);
    struct evbuffer_iovec v;
    ck_assert_int_eq(evbuffer_peek(buf, 1, &at, &v, 1), 1);
    return v.iov_base;
}

START_TEST(polling_queues_share_the_tick_bytes)
{
    gw_fixture_start(&fx, NULL);
    struct sio_table *t = sio_table_new(&fx.ctx);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct peers_key key = peers_key_of((struct sockaddr *)&sa);
    struct sio_session *s1 = sio_session_open(t, &key, NULL);
    struct sio_session *s2 = sio_session_open(t, &key, NULL);
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(s2);
    ck_assert_ptr_nonnull(sio_session_find(t, s1->sid));
    ck_assert_uint_eq(sio_table_count(t), 2);
    sio_events_init(s1);
    sio_events_init(s2);
    ck_assert(sio_events_receive(s1, "0", 1)); /* CONNECT (Engine.IO "40") */
    ck_assert(sio_events_receive(s2, "0", 1));
    char *open = sio_session_open_packet(s1);
    ck_assert_msg(starts(open, "0{\"sid\":\"") && strstr(open, "\"upgrades\":[\"websocket\"]"),
                  "%s", open);
    free(open);
    char tick[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, TICK_MS));
    const char *needle = "\x1e"
                         "42[\"price-update-bulk\"";
    const void *b1 = extent_of(s1->queue, needle), *b2 = extent_of(s2->queue, needle);
    ck_assert_ptr_eq(b1, b2); /* one copy, referenced by both queues */
    ck_assert(memcmp(b1, needle, strlen(needle)) == 0);
    /* A malformed packet closes; the table forgets it. */
    ck_assert(!sio_events_receive(s2, "9", 1));
    ck_assert_uint_eq(sio_table_count(t), 1);
    ck_assert_ptr_null(sio_session_find(t, "AAAAAAAAAAAAAAAAAAAA"));
    sio_table_free(t);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
    ck_assert_uint_eq(hub_channel_size(fx.ctx.hub, "*"), 0);
}
END_TEST

/* The client closes its waiting poll: the session is closed (as engine.io),
 * not left to write its next packets into a dead connection. */
START_TEST(a_poll_its_client_closes_closes_the_session)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    sio_connect(&fx, sid);
    int fd = sio_poll_start(&fx, sid);
    gw_fixture_run(&fx, 100);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    close(fd);
    until_no_sessions(2000);
    ck_assert_msg(socketio_sessions(fx.ctx.socketio) == 0, "the session outlived its closed poll");
}
END_TEST

/* During an upgrade (a probe said 2probe) a poll is answered at once with
 * a noop, so the client never waits for the next packet to finish it. */
START_TEST(a_poll_during_an_upgrade_is_answered_with_a_noop_at_once)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], rest[96];
    sio_connect(&fx, sid);
    snprintf(rest, sizeof rest, "&sid=%s", sid);
    json_t *frames = json_array();
    int ws = sio_ws_open(&fx, rest, frames);
    sio_ws_send(ws, "2probe");
    json_t *got = sio_ws_read(&fx, ws, 500);
    ck_assert_str_eq(sio_at(got, 0), "3probe");
    json_decref(got);
    int status = 0, fd = sio_poll_start(&fx, sid);
    char *body = sio_poll_read(&fx, fd, 300, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(body, "6");
    free(body);
    close(fd);
    close(ws);
    json_decref(frames);
}
END_TEST

START_TEST(health_live_is_full_when_sessions_reach_max_connections)
{
    fx.conf.max_connections = 2;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    char *got = sio_ask(&fx, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
    ck_assert_int_eq(gw_wire_status(got), 200);
    ck_assert_ptr_nonnull(strstr(got, "\"socketio_sessions\":1"));
    free(got);
    free(sio_handshake(&fx, sid));
    got = sio_ask(&fx, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n",
                  2000); /* one connection, two sessions: no new session */
    ck_assert_int_eq(gw_wire_status(got), 503);
    ck_assert_ptr_nonnull(strstr(got, "\"status\":\"full\""));
    free(got);
}
END_TEST

static Suite *sio_session_suite(void)
{
    Suite *s = suite_create("sio_session");
    TCase *t = tcase_create("heartbeat");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, a_polling_client_is_pinged_then_closed_without_a_pong);
    tcase_add_test(t, a_client_that_stopped_polling_is_closed);
    tcase_add_test(t, answering_pings_keeps_a_polling_session);
    tcase_add_test(t, a_websocket_client_is_pinged_in_frames_and_closed_with_1001);
    suite_add_tcase(s, t);
    t = tcase_create("sessions");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, a_close_packet_answers_the_waiting_poll_with_close);
    tcase_add_test(t, a_closing_session_flushes_its_queue_to_the_waiting_poll);
    tcase_add_test(t, counters_follow_sessions_and_upgrades);
    tcase_add_test(t, one_tick_is_the_same_message_to_polling_and_websocket_sessions);
    tcase_add_test(t, a_tick_answers_every_waiting_poll);
    tcase_add_test(t, polling_queues_share_the_tick_bytes);
    tcase_add_test(t, the_table_finds_every_session_as_it_grows);
    tcase_add_test(t, a_slow_polling_client_is_conflated_then_caught_up);
    tcase_add_test(t, a_polling_client_conflating_too_long_is_closed);
    tcase_add_test(t, a_poll_its_client_closes_closes_the_session);
    tcase_add_test(t, health_live_is_full_when_sessions_reach_max_connections);
    tcase_add_test(t, a_poll_during_an_upgrade_is_answered_with_a_noop_at_once);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(sio_session_suite)
