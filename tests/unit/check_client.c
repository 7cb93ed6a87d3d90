/* Unit tests of load/client.c: one load client against a tiny scripted
 * server on 127.0.0.1 (tiny_server.h) on the same loop — WebSocket, SSE and
 * Socket.IO handshakes, subscriptions, price messages and latency samples, polite
 * closes, and each cause of failure. */
#include "config.h"

#include "check_main.h"
#include "client.h"
#include "load.h"
#include "tiny_server.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static struct event_base *base;
static struct tiny_server srv;
static struct load_opts o;
static struct client_ctx cx;
static struct client c;

/* A server in mode and a client context aimed at it (or at port). */
static void begin(enum ts_mode mode, const char *url_path)
{
    base = event_base_new();
    ts_start(&srv, base, mode);
    memset(&o, 0, sizeof o);
    o.transport = mode == TS_SSE ? LOAD_SSE : LOAD_WS;
    snprintf(o.host, sizeof o.host, "127.0.0.1");
    o.port = srv.port;
    snprintf(o.path, sizeof o.path, "%s", url_path);
    o.dst.sin_family = AF_INET;
    o.dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    o.dst.sin_port = htons((uint16_t)srv.port);
    o.snapshot = true;
    o.workers = 1;
    o.connect_timeout_ms = 2000;
    o.sub = LOAD_SUB_ALL;
    memset(&c, 0, sizeof c);
}

static void end(void)
{
    if (c.state != C_DONE && c.state != C_IDLE)
        client_end(&c, -1);
    client_ctx_free(&cx);
    ts_stop(&srv);
    event_base_free(base);
}

/* Run the loop until *flag holds or 3 s passed. */
#define RUN_UNTIL(cond)                                                                            \
    do {                                                                                           \
        for (int64_t until_ = load_mono_ms() + 3000; !(cond) && load_mono_ms() < until_;)          \
            event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);                    \
        ck_assert_msg(cond, "timed out waiting for %s", #cond);                                    \
    } while (0)

START_TEST(websocket_client_subscribes_and_measures_live_prices)
{
    begin(TS_WS, "/ws");
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    ck_assert_int_eq(cx.r.attempted, 1);
    ck_assert_int_eq(cx.pending, 1);
    RUN_UNTIL(c.state == C_OPEN && srv.text[0]);
    ck_assert_str_eq(srv.text, "{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    ck_assert_ptr_nonnull(strstr(srv.request, "GET /ws HTTP/1.1\r\n"));
    ck_assert_int_eq(cx.r.connected, 1);
    ck_assert_int_eq(cx.open, 1);
    ck_assert_int_eq(cx.pending, 0);
    ck_assert_uint_eq(cx.r.connect_us.count, 1);
    long long now = load_wall_us() / 1000;
    ts_send_price(&srv, 1000, 0, now); /* the snapshot: ready, not measured */
    RUN_UNTIL(c.ready);
    ck_assert_uint_eq(cx.r.latency_us.count, 0);
    ts_send_price(&srv, 2000, 0, now - 5); /* live: two prices, 5 ms old at least */
    ts_send_price(&srv, 1500, 0, now);     /* older than the last: ignored */
    RUN_UNTIL(cx.r.messages == 3);
    ck_assert_uint_eq(cx.r.ready, 1);
    ck_assert_uint_eq(cx.r.ticks, 1);
    ck_assert_uint_eq(c.ticks, 1);
    ck_assert_uint_eq(cx.r.prices, 2);
    ck_assert_uint_eq(cx.r.latency_us.count, 2);
    ck_assert_uint_ge(cx.r.latency_us.min, 5000);
    ck_assert_uint_gt(cx.r.bytes_in, 300);
    client_close(&c);
    ck_assert_int_eq(c.state, C_DONE);
    ck_assert_uint_eq(cx.r.closed_by_us, 1);
    ck_assert_int_eq(cx.open, 0);
    /* The connection ends at once: the close frame is queued, but the
     * bufferevent is freed with it unsent (as before the split). */
    RUN_UNTIL(srv.conn[0] == NULL);
    end();
}
END_TEST

/* --url-subscribe: the subscription, and after a storm's drop the resume
 * point, are the handshake's URL; no subscribe message is sent. */
START_TEST(url_subscribe_puts_symbols_and_since_in_the_url)
{
    begin(TS_WS, "/ws");
    o.sub = LOAD_SUB_ONE;
    snprintf(o.symbol, sizeof o.symbol, "ETH");
    o.url_subscribe = true;
    o.storm = true;
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(c.state == C_OPEN);
    ck_assert_ptr_nonnull(strstr(srv.request, "GET /ws?symbols=ETH HTTP/1.1\r\n"));
    long long now = load_wall_us() / 1000;
    ts_send_price(&srv, 1000, 3, now); /* the snapshot: the client's last tick */
    RUN_UNTIL(c.ready);
    ck_assert_str_eq(srv.text, ""); /* nothing sent: no subscribe */
    /* The server goes away: the client comes back with since. */
    bufferevent_free(srv.conn[0]);
    srv.conn[0] = NULL;
    RUN_UNTIL(c.state == C_OPEN && c.resuming);
    ck_assert_ptr_nonnull(strstr(srv.request, "GET /ws?symbols=ETH&since=1000-3 HTTP/1.1\r\n"));
    ck_assert_str_eq(srv.text, "");
    end();
}
END_TEST

START_TEST(sse_client_asks_for_its_symbols_in_the_query)
{
    begin(TS_SSE, "/events");
    o.sub = LOAD_SUB_ONE;
    snprintf(o.symbol, sizeof o.symbol, "ETH");
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(c.state == C_OPEN);
    ck_assert_ptr_nonnull(strstr(srv.request, "GET /events?symbols=ETH HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(srv.request, "Accept: text/event-stream\r\n"));
    long long now = load_wall_us() / 1000;
    ts_send_price(&srv, 1000, 0, now);
    ts_send_price(&srv, 1000, 1, now);
    RUN_UNTIL(cx.r.messages == 2);
    ck_assert_uint_eq(cx.r.ticks, 1);
    ck_assert_uint_eq(cx.r.prices, 2);
    /* An error event is counted, and the client stays. */
    bufferevent_write(srv.conn[0], "event: error\ndata: {\"code\":\"x\"}\n\n", 33);
    RUN_UNTIL(cx.r.cause[CAUSE_ERROR_EVENT] == 1);
    ck_assert_int_eq(c.state, C_OPEN);
    end();
}
END_TEST

START_TEST(random_subscriptions_pick_k_distinct_symbols)
{
    begin(TS_WS, "/ws");
    o.sub = LOAD_SUB_RANDOM;
    o.k = 3;
    o.nsymbols = 3;
    snprintf(o.symbols[0], sizeof o.symbols[0], "BTC");
    snprintf(o.symbols[1], sizeof o.symbols[1], "ETH");
    snprintf(o.symbols[2], sizeof o.symbols[2], "SOL");
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(srv.text[0]);
    ck_assert_ptr_nonnull(strstr(srv.text, "\"BTC\""));
    ck_assert_ptr_nonnull(strstr(srv.text, "\"ETH\""));
    ck_assert_ptr_nonnull(strstr(srv.text, "\"SOL\""));
    end();
}
END_TEST

START_TEST(source_addresses_spread_over_loopback)
{
    begin(TS_WS, "/ws");
    o.source_base = 0x7F000001u;
    o.per_source = 100;
    c.global = 250; /* the third hundred: 127.0.0.3 */
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(c.state == C_OPEN);
    ck_assert_str_eq(srv.peer, "127.0.0.3");
    end();
}
END_TEST

START_TEST(failures_are_counted_by_cause)
{
    static const struct {
        enum ts_mode mode;
        int cause;
    } cases[] = {
        {TS_STATUS, CAUSE_STATUS},
        {TS_SILENT, CAUSE_TIMEOUT},
        {TS_WS_CLOSE, CAUSE_CLOSE_FRAME},
    };
    begin(cases[_i].mode, "/ws");
    o.connect_timeout_ms = 200;
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(c.state == C_DONE);
    ck_assert_uint_eq(cx.r.cause[cases[_i].cause], 1);
    ck_assert_int_eq(cx.open + cx.pending, 0);
    end();
}
END_TEST

START_TEST(a_refused_connection_is_refused)
{
    begin(TS_WS, "/ws");
    ts_stop(&srv); /* nobody listens on the port any more */
    srv.nconn = 0;
    srv.accept_ev = event_new(base, -1, 0, NULL, NULL);
    srv.fd = -1;
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(c.state == C_DONE);
    ck_assert_uint_eq(cx.r.cause[CAUSE_REFUSED], 1);
    ck_assert_int_eq(cx.pending, 0);
    end();
}
END_TEST

START_TEST(closing_a_client_still_connecting_is_unfinished)
{
    begin(TS_SILENT, "/ws");
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    client_close(&c);
    ck_assert_uint_eq(cx.r.cause[CAUSE_UNFINISHED], 1);
    ck_assert_uint_eq(cx.r.closed_by_us, 0);
    ck_assert_int_eq(cx.pending, 0);
    end();
}
END_TEST

/* Socket.IO: the Engine.IO open packet, "40", the server's connect, then
 * events; a tick's bulk event in the native shape. */
static void sio_begin(enum load_sub sub)
{
    begin(TS_WS, "/socket.io/");
    o.transport = LOAD_SIO;
    o.sub = sub;
    snprintf(o.symbol, sizeof o.symbol, "ETH");
    client_ctx_init(&cx, &o, base, 0);
    client_start(&cx, &c);
    RUN_UNTIL(srv.open[0]);
    ck_assert_ptr_nonnull(
        strstr(srv.request, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"));
    ts_send_text(&srv, "0{\"sid\":\"eio1\",\"upgrades\":[],\"pingInterval\":25000,"
                       "\"pingTimeout\":20000,\"maxPayload\":1000000}");
    RUN_UNTIL(strcmp(srv.text, "40") == 0);
    ck_assert_int_eq(c.state, C_HANDSHAKE); /* open at the server's connect only */
    ck_assert_uint_eq(cx.r.connected, 0);
}

static void sio_send_bulk(long long ms, long long ts_ms)
{
    char m[400];
    snprintf(m, sizeof m,
             "42[\"price-update-bulk\",{\"id\":\"%lld-0\",\"ts\":%lld,\"prices\":["
             "{\"symbol\":\"BTC\",\"price\":1.5,\"ts\":%lld,\"id\":\"%lld-0\"},"
             "{\"symbol\":\"ETH\",\"price\":2.5,\"ts\":%lld,\"id\":\"%lld-0\"}]}]",
             ms, ts_ms, ts_ms, ms, ts_ms, ms);
    ts_send_text(&srv, m);
}

START_TEST(socketio_client_connects_answers_pings_and_measures_bulk_events)
{
    sio_begin(LOAD_SUB_ALL);
    ts_send_text(&srv, "40{\"sid\":\"sio1\"}");
    RUN_UNTIL(c.state == C_OPEN);
    ck_assert_uint_eq(cx.r.connected, 1);
    ck_assert_int_eq(cx.pending, 0);
    ck_assert(c.ready); /* on "*" from the start: no snapshot to wait for */
    ts_send_text(&srv, "2");
    RUN_UNTIL(strcmp(srv.text, "3") == 0);
    long long now = load_wall_us() / 1000;
    ts_send_text(&srv, "42[\"welcome\",{\"message\":\"hi\",\"ts\":1}]");
    sio_send_bulk(2000, now - 5);
    sio_send_bulk(1500, now); /* older than the last: ignored */
    RUN_UNTIL(cx.r.messages == 3);
    ck_assert_uint_eq(cx.r.ticks, 1);
    ck_assert_uint_eq(cx.r.prices, 2);
    ck_assert_uint_eq(cx.r.latency_us.count, 2);
    ck_assert_uint_ge(cx.r.latency_us.min, 5000);
    ts_send_text(&srv, "42[\"error\",{\"code\":\"rate_limited\",\"message\":\"x\"}]");
    RUN_UNTIL(cx.r.cause[CAUSE_ERROR_EVENT] == 1);
    ck_assert_int_eq(c.state, C_OPEN);
    client_close(&c);
    ck_assert_uint_eq(cx.r.closed_by_us, 1);
    end();
}
END_TEST

START_TEST(socketio_client_subscribes_and_skips_the_snapshot)
{
    sio_begin(LOAD_SUB_ONE);
    ts_send_text(&srv, "40{\"sid\":\"sio1\"}");
    RUN_UNTIL(strcmp(srv.text, "42[\"subscribe\",[\"ETH\"]]") == 0);
    ck_assert_int_eq(c.state, C_OPEN);
    ck_assert(!c.ready);
    long long now = load_wall_us() / 1000;
    sio_send_bulk(1000, now); /* the snapshot: ready, not measured */
    RUN_UNTIL(c.ready);
    ts_send_text(&srv, "42[\"subscribed\",{\"symbols\":[\"ETH\"]}]");
    ts_send_text(&srv, "42[\"price-update\",{\"symbol\":\"ETH\",\"price\":2.5,\"ts\":5,"
                       "\"id\":\"3000-1\"}]");
    RUN_UNTIL(cx.r.messages == 3);
    ck_assert_uint_eq(cx.r.ticks, 1);
    ck_assert_uint_eq(cx.r.prices, 1);
    end();
}
END_TEST

START_TEST(socketio_refusals_are_counted_by_cause)
{
    static const struct {
        const char *packet;
        int cause;
    } cases[] = {
        {"44{\"message\":\"Invalid namespace\"}", CAUSE_HANDSHAKE},
        {"1", CAUSE_CLOSE_FRAME},
        {"41", CAUSE_CLOSE_FRAME},
        {"42[\"price-update\",{}]", CAUSE_PROTOCOL}, /* an event before the connect */
        {"451-[\"x\",{\"_placeholder\":true,\"num\":0}]", CAUSE_PROTOCOL},
        {"hello", CAUSE_PROTOCOL},
    };
    sio_begin(LOAD_SUB_ALL);
    ts_send_text(&srv, cases[_i].packet);
    RUN_UNTIL(c.state == C_DONE);
    ck_assert_uint_eq(cx.r.cause[cases[_i].cause], 1);
    ck_assert_int_eq(cx.open + cx.pending, 0);
    end();
}
END_TEST

/* www/cryptopulse-connection.js backoffDelay: 500 ms << attempt, capped at 10 s, "equal
 * jitter" (between half the base and the base). */
START_TEST(storm_backoff_is_the_dashboards)
{
    static const int64_t base[] = {500, 1000, 2000, 4000, 8000, 10000, 10000};
    for (unsigned a = 0; a < 7; a++) {
        ck_assert_int_eq(client_backoff_ms(a, 0), base[a] / 2);
        ck_assert_int_eq(client_backoff_ms(a, (uint64_t)(base[a] / 2)), base[a]);
        for (uint64_t r = 1; r < 100000; r += 997) {
            int64_t d = client_backoff_ms(a, r * 2654435761u);
            ck_assert(d >= base[a] / 2 && d <= base[a]);
        }
    }
    ck_assert_int_eq(client_backoff_ms(200, 0), 5000);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("tiny_server");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, websocket_client_subscribes_and_measures_live_prices);
    tcase_add_test(tc, url_subscribe_puts_symbols_and_since_in_the_url);
    tcase_add_test(tc, sse_client_asks_for_its_symbols_in_the_query);
    tcase_add_test(tc, random_subscriptions_pick_k_distinct_symbols);
    tcase_add_test(tc, source_addresses_spread_over_loopback);
    tcase_add_loop_test(tc, failures_are_counted_by_cause, 0, 3);
    tcase_add_test(tc, a_refused_connection_is_refused);
    tcase_add_test(tc, closing_a_client_still_connecting_is_unfinished);
    tcase_add_test(tc, socketio_client_connects_answers_pings_and_measures_bulk_events);
    tcase_add_test(tc, socketio_client_subscribes_and_skips_the_snapshot);
    tcase_add_loop_test(tc, socketio_refusals_are_counted_by_cause, 0, 6);
    tcase_add_test(tc, storm_backoff_is_the_dashboards);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(client_suite)
