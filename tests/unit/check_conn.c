/* Unit tests of gateway/conn.c: the connection registry (limits, closing,
 * reaping, connections waiting on Redis), HTTP responses, WebSocket close
 * frames and per-client events, on real loopback sockets (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "conn.h"
#include "gw_fixture.h"
#include "hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two symbols of three in one tick, ids 7-0. */
static const char tick7[] =
    "{\"id\":\"7-0\",\"ts\":5,\"prices\":["
    "{\"symbol\":\"BTC\",\"price\":97123.45,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"},"
    "{\"symbol\":\"ETH\",\"price\":3100.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"},"
    "{\"symbol\":\"SOL\",\"price\":200.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"}]}";

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

static struct sockaddr_in addr(const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(40000)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

START_TEST(registry_admits_within_its_limits)
{
    struct event_base *base = event_base_new();
    struct conn_registry *reg = conn_registry_new(base, 3, 2);
    struct peers_key k[4];
    struct sockaddr_in a1 = addr("127.0.0.1"), a2 = addr("127.0.0.2");
    ck_assert(conn_registry_admit(reg, (struct sockaddr *)&a1, &k[0]));
    ck_assert(conn_registry_admit(reg, (struct sockaddr *)&a1, &k[1]));
    /* MAX_CONNECTIONS_PER_IP = 2: a third from the same address is refused,
     * one from another address is not. */
    ck_assert(!conn_registry_admit(reg, (struct sockaddr *)&a1, &k[2]));
    ck_assert(conn_registry_admit(reg, (struct sockaddr *)&a2, &k[2]));
    conn_registry_free(reg);
    event_base_free(base);
}
END_TEST

START_TEST(registry_refuses_past_max_connections)
{
    fx.conf.max_connections = 2;
    gw_fixture_start(&fx, NULL);
    int a = gw_fixture_client(&fx, NULL), b = gw_fixture_client(&fx, NULL);
    struct sockaddr_in other = addr("127.0.0.9");
    struct peers_key k;
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 2);
    ck_assert(!conn_registry_admit(fx.ctx.conns, (struct sockaddr *)&other, &k));
    close(a);
    close(b);
}
END_TEST

START_TEST(closed_connections_are_freed_on_the_next_loop_turn)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    conn_close(c);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1); /* not inside the call */
    size_t n;
    char *got = gw_fixture_read(&fx, fd, 500, &n);
    ck_assert_uint_eq(n, 0); /* EOF, nothing written */
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_connection_waiting_on_redis_outlives_its_close)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    conn_await(c);
    conn_close(c);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1); /* the answer will come to it */
    ck_assert(!conn_answer_arrived(c));                      /* closed: do not use */
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    close(fd);
}
END_TEST

START_TEST(a_response_without_keep_alive_closes_after_it_is_written)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    conn_respond_error(c, 404, "not_found", "no such resource", "X-Extra: 1\r\n");
    char *got = gw_fixture_read(&fx, fd, 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 404 Not Found\r\n", 24) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "Content-Type: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "Cache-Control: no-store\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "X-Extra: 1\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "Connection: close\r\n"));
    const char *body = strstr(got, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body + 4, "{\"error\":\"not_found\",\"message\":\"no such resource\"}");
    char len[32];
    snprintf(len, sizeof len, "Content-Length: %zu\r\n", strlen(body + 4));
    ck_assert_ptr_nonnull(strstr(got, len));
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_426_names_the_upgrade)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    conn_respond(c, 426, "text/plain", "x", 1, NULL);
    char *got = gw_fixture_read(&fx, fd, 2000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "Upgrade: websocket\r\nConnection: Upgrade, close\r\n"));
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_websocket_close_carries_code_and_reason_then_closes)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_WS;
    fx.ctx.counters.ws_current = 1;
    conn_close_ws(c, 1008, "too slow");
    conn_close_ws(c, 1000, "second"); /* ignored: already closing */
    size_t n;
    unsigned char *got = (unsigned char *)gw_fixture_read(&fx, fd, 2000, &n);
    ck_assert_uint_eq(n, 2 + 2 + 8);
    ck_assert_uint_eq(got[0], 0x88); /* FIN + close */
    ck_assert_uint_eq(got[1], 10);   /* unmasked, 2 + 8 bytes */
    ck_assert_uint_eq((got[2] << 8) | got[3], 1008);
    ck_assert(memcmp(got + 4, "too slow", 8) == 0);
    /* The write side is shut (the read above saw EOF); the connection
     * lingers, reading, until the client closes too. */
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    ck_assert_uint_eq(fx.ctx.counters.ws_current, 0);
    free(got);
}
END_TEST

START_TEST(an_sse_tick_puts_the_id_on_the_last_subscribed_price)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_SSE;
    conn_subscriber_init(c, MSG_SSE);
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &c->pc.sub, "BTC"), 0);
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &c->pc.sub, "ETH"), 0);
    json_t *tick = json_loads(tick7, 0, NULL);
    conn_emit_tick(c, tick, "7-0");
    json_decref(tick);
    char *got = gw_fixture_read(&fx, fd, 1000, NULL);
    /* BTC without id, ETH with it, SOL not at all. */
    const char *btc = strstr(got, "\"BTC\""), *eth = strstr(got, "\"ETH\"");
    ck_assert_ptr_nonnull(btc);
    ck_assert_ptr_nonnull(eth);
    ck_assert_ptr_null(strstr(got, "\"SOL\""));
    const char *id = strstr(got, "id: 7-0\n");
    ck_assert_ptr_nonnull(id);
    ck_assert(id > btc && id < eth);
    ck_assert_ptr_null(strstr(id + 1, "id: "));
    ck_assert_int_eq(strncmp(got, "event: price-update\n", 20), 0);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_websocket_snapshot_is_one_bulk_frame)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_tick(&fx, tick7);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_WS;
    conn_subscriber_init(c, MSG_WS);
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &c->pc.sub, "*"), 0);
    for (int lost = 0; lost < 2; lost++) {
        conn_emit_snapshot(c, NULL, lost);
        size_t n;
        unsigned char *got = (unsigned char *)gw_fixture_read(&fx, fd, 1000, &n);
        ck_assert_uint_ge(n, 4);
        ck_assert_uint_eq(got[0], 0x81); /* FIN + text */
        size_t len = got[1] == 126 ? (size_t)(got[2] << 8 | got[3]) : got[1];
        size_t head = got[1] == 126 ? 4 : 2;
        ck_assert_uint_eq(n, head + len); /* one frame */
        ck_assert_ptr_nonnull(strstr((char *)got + head, "\"event\":\"price-update-bulk\""));
        ck_assert_ptr_nonnull(strstr((char *)got + head, "\"SOL\""));
        /* Only the one standing in for missed ticks is marked. */
        ck_assert_int_eq(strstr((char *)got + head, "\"snapshot\":true") != NULL, lost);
        free(got);
    }
    close(fd);
}
END_TEST

START_TEST(no_snapshot_before_the_first_tick)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_SSE;
    conn_subscriber_init(c, MSG_SSE);
    ck_assert_int_ge(hub_subscribe(fx.ctx.hub, &c->pc.sub, "*"), 0);
    conn_emit_snapshot(c, "snapshot", true);
    size_t n;
    char *got = gw_fixture_read(&fx, fd, 300, &n);
    ck_assert_uint_eq(n, 0);
    free(got);
    close(fd);
}
END_TEST

static Suite *conn_suite(void)
{
    Suite *s = suite_create("conn");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, registry_admits_within_its_limits);
    tcase_add_test(t, registry_refuses_past_max_connections);
    tcase_add_test(t, closed_connections_are_freed_on_the_next_loop_turn);
    tcase_add_test(t, a_connection_waiting_on_redis_outlives_its_close);
    tcase_add_test(t, a_response_without_keep_alive_closes_after_it_is_written);
    tcase_add_test(t, a_426_names_the_upgrade);
    tcase_add_test(t, a_websocket_close_carries_code_and_reason_then_closes);
    tcase_add_test(t, an_sse_tick_puts_the_id_on_the_last_subscribed_price);
    tcase_add_test(t, a_websocket_snapshot_is_one_bulk_frame);
    tcase_add_test(t, no_snapshot_before_the_first_tick);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(conn_suite)
