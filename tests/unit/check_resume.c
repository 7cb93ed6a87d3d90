/* Unit tests of gateway/resume.c: a client that names its last tick gets
 * every tick after it from the history stream, in order and once, then live
 * ticks (docs/PROTOCOL.md §3, resume) — against a real redis-server, on SSE and
 * WebSocket connections served on loopback sockets (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "conn.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "hub.h"
#include "keys.h"
#include "resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct redis_server gone; /* a second one, stopped by the test */
static struct gw_fixture fx;
static redisContext *redis;
static char history_key[KEYS_MAX];

static void setup(void)
{
    gw_fixture_init(&fx);
    redis = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(redis, "FLUSHALL");
    keys_format(history_key, sizeof history_key, fx.conf.redis_prefix, KEYS_HISTORY, NULL);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
    redisFree(redis);
    redis_server_free(&gone);
}

/* Into the history stream (XADD with the tick's id). */
static void store(long ms)
{
    char t[1024], id[32];
    snprintf(id, sizeof id, "%ld-0", ms);
    gw_wire_redis_ok(redis, "XADD %s %s tick %s", history_key, id, gw_wire_tick(t, sizeof t, ms));
}

/* Live, as it reaches the gateway from the channel. */
static void live(long ms)
{
    char t[1024];
    gw_fixture_tick(&fx, gw_wire_tick(t, sizeof t, ms));
}

/* A connected client whose server side streams "*" in transport. */
static int subscriber(enum conn_kind kind, struct conn **c)
{
    int fd = gw_fixture_client(&fx, c);
    (*c)->kind = kind;
    if (kind == CONN_WS)
        fx.ctx.counters.ws_current++;
    else
        fx.ctx.counters.sse_current++;
    conn_subscriber_init(*c, kind == CONN_WS ? MSG_WS : MSG_SSE);
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &(*c)->pc.sub, "*"), 0);
    return fd;
}

/* The events fd receives until needle came (or ms passed). */
static json_t *events_until(enum conn_kind kind, int fd, const char *needle, int ms)
{
    size_t n;
    char *got = gw_wire_read_until(&fx, fd, needle, ms, &n);
    json_t *ev = kind == CONN_WS ? gw_wire_ws_messages(got, n) : gw_wire_sse_events(got);
    free(got);
    return ev;
}

static void assert_ids(const json_t *events, const char *want)
{
    char ids[8192];
    ck_assert_str_eq(gw_wire_ids(events, ids, sizeof ids), want);
}

/* Every event of events is named name. */
static void assert_all_named(const json_t *events, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
        ck_assert_str_eq(json_string_value(json_object_get(e, "event")), name);
}

static void replays_then_goes_live(enum conn_kind kind)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    live(5000);
    struct conn *c;
    int fd = subscriber(kind, &c);
    resume_start(c, "2000-0");
    json_t *ev = events_until(kind, fd, "5000-0", 3000);
    assert_ids(ev, "3000-0,4000-0,5000-0");
    assert_all_named(ev, "price-update-bulk");
    json_t *prices = json_object_get(json_object_get(json_array_get(ev, 0), "data"), "prices");
    ck_assert_uint_eq(json_array_size(prices), 2); /* the whole tick */
    json_decref(ev);
    ck_assert_ptr_null(c->resume); /* finished */
    store(6000);
    live(6000);
    ev = events_until(kind, fd, "6000-0", 2000);
    assert_ids(ev, "6000-0");
    json_decref(ev);
    close(fd);
}

START_TEST(sse_gets_the_ticks_after_its_id_then_live_ones)
{
    replays_then_goes_live(CONN_SSE);
}
END_TEST

START_TEST(websocket_gets_the_ticks_after_its_id_then_live_ones)
{
    replays_then_goes_live(CONN_WS);
}
END_TEST

/* since in the handshake's URL (docs/PROTOCOL.md §2, "Subscribing in the
 * URL"): the client sends nothing after its GET, and the welcome, the
 * subscription and the replay follow the 101, then live ticks. */
START_TEST(websocket_resumes_from_since_in_its_url)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    live(5000);
    int fd = gw_fixture_client(&fx, NULL);
    static const char get[] = "GET /ws?symbols=*&since=2000-0 HTTP/1.1\r\nHost: x\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    ck_assert_int_eq(write(fd, get, sizeof get - 1), (ssize_t)(sizeof get - 1));
    size_t n;
    char *got = gw_wire_read_until(&fx, fd, "5000-0", 3000, &n);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    char *body = strstr(got, "\r\n\r\n") + 4;
    json_t *ev = gw_wire_ws_messages(body, n - (size_t)(body - got));
    ck_assert_uint_eq(json_array_size(ev), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, 0), "event")), "welcome");
    json_t *sub = json_array_get(ev, 1);
    ck_assert_str_eq(json_string_value(json_object_get(sub, "event")), "subscribed");
    ck_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(json_object_get(sub, "data"), "symbols"), 0)),
                     "*");
    json_array_remove(ev, 0);
    json_array_remove(ev, 0);
    assert_ids(ev, "3000-0,4000-0,5000-0");
    assert_all_named(ev, "price-update-bulk");
    json_decref(ev);
    free(got);
    store(6000);
    live(6000);
    ev = events_until(CONN_WS, fd, "6000-0", 2000);
    assert_ids(ev, "6000-0");
    json_decref(ev);
    close(fd);
}
END_TEST

START_TEST(ticks_during_the_replay_come_once_and_in_order)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 3000; ms += 1000)
        store(ms);
    live(3000);
    struct conn *c;
    int fd = subscriber(CONN_SSE, &c);
    resume_start(c, "1000-0");
    /* Published before the replay's first page is read: held off, then
     * not sent a second time although the replay reads them too. */
    store(4000);
    live(4000);
    store(5000);
    live(5000);
    json_t *ev = events_until(CONN_SSE, fd, "5000-0", 3000);
    gw_fixture_run(&fx, 100); /* anything sent twice would come now */
    json_t *more = events_until(CONN_SSE, fd, "never", 200);
    json_array_extend(ev, more);
    assert_ids(ev, "2000-0,3000-0,4000-0,5000-0");
    json_decref(more);
    json_decref(ev);
    close(fd);
}
END_TEST

START_TEST(a_tick_the_replay_read_before_the_live_feed_is_not_sent_twice)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 3000; ms += 1000)
        store(ms);
    live(2000); /* 3000 is in the stream but not yet on the channel */
    struct conn *c;
    int fd = subscriber(CONN_WS, &c);
    resume_start(c, "1000-0");
    json_t *ev = events_until(CONN_WS, fd, "3000-0", 3000);
    assert_ids(ev, "2000-0,3000-0");
    json_decref(ev);
    live(3000);
    store(4000);
    live(4000);
    ev = events_until(CONN_WS, fd, "4000-0", 2000);
    assert_ids(ev, "4000-0");
    json_decref(ev);
    close(fd);
}
END_TEST

/* The resume point is not usable: one snapshot of the current prices, on SSE
 * as "snapshot", on WebSocket as price-update-bulk; then live ticks. */
static void snapshot_for(enum conn_kind kind, const char *last_id)
{
    struct conn *c;
    int fd = subscriber(kind, &c);
    resume_start(c, last_id);
    const char *name = kind == CONN_SSE ? "snapshot" : "price-update-bulk";
    json_t *ev = events_until(kind, fd, name, 2000);
    gw_fixture_run(&fx, 100);
    json_t *more = events_until(kind, fd, "never", 200);
    json_array_extend(ev, more);
    ck_assert_uint_eq(json_array_size(ev), 1);
    assert_all_named(ev, name);
    json_t *data = json_object_get(json_array_get(ev, 0), "data");
    ck_assert_str_eq(json_string_value(json_object_get(data, "id")), "5000-0");
    ck_assert_uint_eq(json_array_size(json_object_get(data, "prices")), 2);
    if (kind == CONN_SSE) /* the id on it: the client now holds the latest tick */
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, 0), "id")), "5000-0");
    json_decref(more);
    json_decref(ev);
    store(6000);
    live(6000);
    ev = events_until(kind, fd, "6000-0", 2000);
    assert_ids(ev, "6000-0");
    assert_all_named(ev, "price-update-bulk");
    json_decref(ev);
    close(fd);
}

START_TEST(an_unknown_id_gets_a_snapshot)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    live(5000);
    snapshot_for(CONN_SSE, "2500-0"); /* between two entries */
}
END_TEST

/* The newest id in history, and the hub has fanned out a later tick
 * (held off the replaying client) that history does not have: the resume
 * reads again rather than going live without it, and after
 * RESUME_EMPTY_READS_MAX reads the client is told with the marked
 * snapshot, not left to miss it silently.  (From the feeder, which stores
 * a tick before it publishes it, the second read finds it.) */
START_TEST(a_tick_the_hub_fanned_out_during_the_replay_is_not_lost_silently)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 4000; ms += 1000)
        store(ms);
    live(4000);
    live(5000); /* fanned out, never stored */
    snapshot_for(CONN_WS, "4000-0");
}
END_TEST

START_TEST(an_id_older_than_the_history_gets_a_snapshot)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    gw_wire_redis_ok(redis, "XTRIM %s MAXLEN 2", history_key); /* 4000 and 5000 left */
    live(5000);
    snapshot_for(CONN_WS, "3000-0");
}
END_TEST

START_TEST(a_malformed_id_gets_a_snapshot)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    live(5000);
    snapshot_for(CONN_SSE, "3000-x");
}
END_TEST

START_TEST(a_malformed_id_on_websocket_gets_a_bulk_snapshot)
{
    gw_fixture_start(&fx, &redis_fixture);
    store(5000);
    live(5000);
    snapshot_for(CONN_WS, "");
}
END_TEST

START_TEST(entries_that_are_not_ticks_are_skipped)
{
    gw_fixture_start(&fx, &redis_fixture);
    char t[1024];
    store(1000);
    gw_wire_redis_ok(redis, "XADD %s 1500-0 other x", history_key);       /* no tick field */
    gw_wire_redis_ok(redis, "XADD %s 1600-0 tick {\"id\":", history_key); /* not JSON */
    gw_wire_redis_ok(redis, "XADD %s 1700-0 tick %s", history_key,
                     gw_wire_tick(t, sizeof t, 1800)); /* its id is not the entry's */
    gw_wire_redis_ok(redis, "XADD %s 1900-0 tick %s", history_key,
                     "{\"id\":\"1900-0\",\"ts\":1900,\"prices\":[{\"symbol\":\"BTC\"}]}");
    store(2000);
    live(2000);
    struct conn *c;
    int fd = subscriber(CONN_WS, &c);
    resume_start(c, "1000-0");
    json_t *ev = events_until(CONN_WS, fd, "2000-0", 3000);
    gw_fixture_run(&fx, 100);
    json_t *more = events_until(CONN_WS, fd, "never", 200);
    json_array_extend(ev, more);
    assert_ids(ev, "2000-0");
    ck_assert_uint_eq(json_array_size(ev), 1);
    json_decref(more);
    json_decref(ev);
    close(fd);
}
END_TEST

/* A reconnect storm's clients replay the same entries: each is decoded
 * once (resume_cache_decoded), and every client still gets it in its own
 * form, "*" on WebSocket and SSE as a bulk, one symbol as its price. */
START_TEST(clients_replaying_the_same_entries_decode_them_once)
{
    gw_fixture_start(&fx, &redis_fixture);
    for (long ms = 1000; ms <= 5000; ms += 1000)
        store(ms);
    live(5000);
    struct conn *ws, *sse, *one;
    int fd_ws = subscriber(CONN_WS, &ws), fd_sse = subscriber(CONN_SSE, &sse);
    int fd_one = subscriber(CONN_WS, &one);
    hub_unsubscribe(fx.ctx.hub, &one->pc.sub, "*");
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &one->pc.sub, "BTC"), 0);
    resume_start(ws, "2000-0");
    resume_start(sse, "2000-0");
    resume_start(one, "2000-0");
    json_t *ev = events_until(CONN_WS, fd_ws, "5000-0", 3000);
    assert_ids(ev, "3000-0,4000-0,5000-0");
    assert_all_named(ev, "price-update-bulk");
    json_decref(ev);
    ev = events_until(CONN_SSE, fd_sse, "5000-0", 3000);
    assert_ids(ev, "3000-0,4000-0,5000-0");
    assert_all_named(ev, "price-update-bulk");
    json_decref(ev);
    ev = events_until(CONN_WS, fd_one, "5000-0", 3000);
    assert_ids(ev, "3000-0,4000-0,5000-0");
    assert_all_named(ev, "price-update");
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_object_get(json_array_get(ev, 0), "data"), "symbol")),
                     "BTC");
    json_decref(ev);
    ck_assert_uint_eq(resume_cache_decoded(&fx.ctx), 3);
    close(fd_ws);
    close(fd_sse);
    close(fd_one);
}
END_TEST

START_TEST(a_replay_longer_than_a_page_is_sent_whole)
{
    enum { N = 450 }; /* RESUME_PAGE is 200: three pages */
    gw_fixture_start(&fx, &redis_fixture);
    char t[1024];
    for (long i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "%ld-0", 10000 + i);
        redisAppendCommand(redis, "XADD %s %s tick %s", history_key, id,
                           gw_wire_tick(t, sizeof t, 10000 + i));
    }
    for (int i = 0; i < N; i++) {
        redisReply *r;
        ck_assert_int_eq(redisGetReply(redis, (void **)&r), REDIS_OK);
        ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
    live(10000 + N - 1);
    struct conn *c;
    int fd = subscriber(CONN_SSE, &c);
    resume_start(c, "10000-0");
    char last[32];
    snprintf(last, sizeof last, "id: %d-0\n", 10000 + N - 1);
    json_t *ev = events_until(CONN_SSE, fd, last, 2500);
    ck_assert_uint_eq(json_array_size(ev), N - 1);
    for (size_t i = 0; i < N - 1; i++) {
        char want[32];
        snprintf(want, sizeof want, "%zu-0", 10001 + i);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, i), "id")), want);
    }
    json_decref(ev);
    ck_assert_ptr_null(c->resume);
    close(fd);
}
END_TEST

/* A gateway just started holds no prices and is still connecting to
 * Redis when the first clients of a reconnect storm resume: the replay
 * waits for the connection instead of finding Redis "away" and sending a
 * snapshot of nothing (which told the client nothing while it missed the
 * ticks of the outage: tests/integration/82-load-storm.sh under ASan). */
START_TEST(a_resume_asked_while_redis_is_connecting_waits_for_it)
{
    gw_fixture_start(&fx, NULL);
    for (long ms = 1000; ms <= 4000; ms += 1000)
        store(ms);
    struct conn *c;
    int fd = subscriber(CONN_SSE, &c);
    gw_fixture_redis_connecting(&fx, &redis_fixture);
    resume_start(c, "2000-0");
    json_t *ev = events_until(CONN_SSE, fd, "4000-0", 3000);
    assert_ids(ev, "3000-0,4000-0");
    assert_all_named(ev, "price-update-bulk");
    json_decref(ev);
    ck_assert_ptr_null(c->resume);
    store(5000);
    live(5000);
    ev = events_until(CONN_SSE, fd, "5000-0", 2000);
    assert_ids(ev, "5000-0");
    json_decref(ev);
    close(fd);
}
END_TEST

START_TEST(redis_away_gets_a_snapshot)
{
    ck_assert(redis_server_start(&gone));
    gw_fixture_start(&fx, &gone);
    live(5000);
    gw_fixture_redis_gone(&fx, &gone);
    snapshot_for(CONN_SSE, "1000-0");
}
END_TEST

static Suite *resume_suite(void)
{
    Suite *s = suite_create("resume");
    TCase *t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, sse_gets_the_ticks_after_its_id_then_live_ones);
    tcase_add_test(t, websocket_gets_the_ticks_after_its_id_then_live_ones);
    tcase_add_test(t, websocket_resumes_from_since_in_its_url);
    tcase_add_test(t, ticks_during_the_replay_come_once_and_in_order);
    tcase_add_test(t, a_tick_the_replay_read_before_the_live_feed_is_not_sent_twice);
    tcase_add_test(t, an_unknown_id_gets_a_snapshot);
    tcase_add_test(t, an_id_older_than_the_history_gets_a_snapshot);
    tcase_add_test(t, a_tick_the_hub_fanned_out_during_the_replay_is_not_lost_silently);
    tcase_add_test(t, a_malformed_id_gets_a_snapshot);
    tcase_add_test(t, a_malformed_id_on_websocket_gets_a_bulk_snapshot);
    tcase_add_test(t, entries_that_are_not_ticks_are_skipped);
    tcase_add_test(t, clients_replaying_the_same_entries_decode_them_once);
    tcase_add_test(t, a_replay_longer_than_a_page_is_sent_whole);
    tcase_add_test(t, a_resume_asked_while_redis_is_connecting_waits_for_it);
    tcase_add_test(t, redis_away_gets_a_snapshot);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(resume_suite)
