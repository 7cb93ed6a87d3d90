/* Unit tests of gateway/socketio.c: the Socket.IO endpoint's Engine.IO v4
 * side (docs/PROTOCOL.md §7) — the polling handshake and its open packet,
 * the error answers with engine.io's codes, the session caps, 413, a
 * direct WebSocket, the upgrade from polling (2probe, 3probe, 6, 5) and
 * SOCKETIO_ENABLED=false — as bytes on real loopback client sockets
 * (gw_fixture, sio_client). */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "sio_client.h"
#include "socketio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct gw_fixture fx;

/* Whether s starts with prefix. */
static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

/* The answer to a GET of target on a new client. */
static char *get(const char *target)
{
    char *req = sio_request("GET", target, NULL, 0), *got = sio_ask(&fx, req, 2000);
    free(req);
    return got;
}

static int error_of(const char *method, const char *target, const char *body, int status)
{
    char *req = sio_request(method, target, body, 0), *got = sio_ask(&fx, req, 2000);
    int code = sio_error_code(got, status);
    free(got);
    free(req);
    return code;
}

START_TEST(handshake_answers_the_open_packet_with_the_configured_timings)
{
    fx.conf.socketio_ping_interval_ms = 1500;
    fx.conf.socketio_ping_timeout_ms = 1200;
    fx.conf.socketio_max_payload_bytes = 4096;
    snprintf(fx.conf.socketio_route, sizeof fx.conf.socketio_route, "gw1");
    gw_fixture_start(&fx, NULL);
    char *got = get(SIO_Q "polling");
    ck_assert_int_eq(gw_wire_status(got), 200);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    const char *body = gw_wire_body(got);
    char want[256];
    ck_assert_uint_gt(strlen(body), 30);
    snprintf(want, sizeof want,
             "0{\"sid\":\"%.20s.gw1\",\"upgrades\":[\"websocket\"],\"pingInterval\":1500,"
             "\"pingTimeout\":1200,\"maxPayload\":4096}",
             body + 9);
    ck_assert_str_eq(body, want);
    for (int i = 9; i < 29; i++) /* base64url */
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             body[i]) != NULL,
                      "%s", body);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_total, 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_peak, 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_websocket, 0);
    free(got);
}
END_TEST

START_TEST(handshake_defaults_and_the_path_without_its_slash)
{
    gw_fixture_start(&fx, NULL);
    char *got = get("/socket.io?EIO=4&transport=polling");
    ck_assert_int_eq(gw_wire_status(got), 200);
    const char *body = gw_wire_body(got);
    /* The route after the sid's dot: the PORT when SOCKETIO_ROUTE is empty. */
    ck_assert_str_eq(body + 29, ".3000\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
                                "\"pingTimeout\":20000,\"maxPayload\":1000000}");
    free(got);
    /* Each handshake is a new session with its own sid. */
    char a[64], b[64];
    free(sio_handshake(&fx, a));
    free(sio_handshake(&fx, b));
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 3);
    ck_assert_uint_eq(fx.ctx.counters.sio_peak, 3);
}
END_TEST

START_TEST(errors_carry_engine_io_codes)
{
    gw_fixture_start(&fx, NULL);
    ck_assert_int_eq(error_of("GET", SIO_Q "polling&sid=AAAAAAAAAAAAAAAAAAAA", NULL, 400), 1);
    ck_assert_int_eq(error_of("POST", SIO_Q "polling&sid=nope", "40", 400), 1);
    ck_assert_int_eq(error_of("GET", "/socket.io/?EIO=3&transport=polling", NULL, 400), 5);
    ck_assert_int_eq(error_of("GET", "/socket.io/?transport=polling", NULL, 400), 5);
    ck_assert_int_eq(error_of("GET", SIO_Q "foo", NULL, 400), 0);
    ck_assert_int_eq(error_of("GET", "/socket.io/?EIO=4", NULL, 400), 0);
    ck_assert_int_eq(error_of("PUT", SIO_Q "polling", "x", 400), 2);
    ck_assert_int_eq(error_of("POST", SIO_Q "polling", "40", 400), 2);
    /* The message text is engine.io's. */
    char *got = get(SIO_Q "polling&sid=x");
    ck_assert_str_eq(gw_wire_body(got), "{\"code\":1,\"message\":\"Session ID unknown\"}");
    free(got);
    got = get("/socket.io/?EIO=3&transport=polling");
    ck_assert_str_eq(gw_wire_body(got),
                     "{\"code\":5,\"message\":\"Unsupported protocol version\"}");
    free(got);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_total, 0);
}
END_TEST

START_TEST(a_second_get_while_one_waits_is_400_code_3_and_closes_the_session)
{
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    int first = sio_poll_start(&fx, sid), status;
    char *body = sio_poll_read(&fx, first, 200, &status);
    ck_assert_ptr_null(body); /* nothing queued: it waits */
    char t[96];
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    ck_assert_int_eq(error_of("GET", t, NULL, 400), 3);
    body = sio_poll_read(&fx, first, 1000, &status);
    ck_assert_ptr_nonnull(body);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(body, "1"); /* the waiting poll learns of the close */
    free(body);
    close(first);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
    ck_assert_int_eq(error_of("GET", t, NULL, 400), 1);
}
END_TEST

START_TEST(sessions_over_max_connections_per_ip_are_403_code_4)
{
    fx.conf.max_connections_per_ip = 2;
    gw_fixture_start(&fx, NULL);
    char a[64], b[64];
    free(sio_handshake(&fx, a));
    free(sio_handshake(&fx, b));
    ck_assert_int_eq(error_of("GET", SIO_Q "polling", NULL, 403), 4);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 2);
    /* A session that closes makes room. */
    sio_post(&fx, a, "1");
    gw_fixture_run(&fx, 20);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    free(sio_handshake(&fx, a));
    ck_assert_uint_eq(fx.ctx.counters.sio_total, 3);
    ck_assert_uint_eq(fx.ctx.counters.sio_peak, 2);
}
END_TEST

START_TEST(sessions_over_max_connections_are_403_code_4)
{
    fx.conf.max_connections = 3;
    gw_fixture_start(&fx, NULL);
    char sid[64];
    for (int i = 0; i < 3; i++)
        free(sio_handshake(&fx, sid));
    ck_assert_int_eq(error_of("GET", SIO_Q "polling", NULL, 403), 4);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 3);
}
END_TEST

START_TEST(a_post_over_max_payload_is_413)
{
    fx.conf.socketio_max_payload_bytes = 1024;
    gw_fixture_start(&fx, NULL);
    char sid[64], t[96];
    free(sio_handshake(&fx, sid));
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    big[0] = '4';
    big[sizeof big - 1] = '\0';
    char *req = sio_request("POST", t, big, 0), *got = sio_ask(&fx, req, 2000);
    ck_assert_msg(strncmp(got, "HTTP/1.1 413 ", 13) == 0, "%.200s", got);
    free(got);
    free(req);
    /* Exactly max_payload is read: 1024 bytes of noop packets. */
    strcpy(big, "66");
    for (int i = 0; i < 511; i++)
        strcat(big, "\x1e"
                    "6");
    ck_assert_uint_eq(strlen(big), 1024);
    char sid2[64];
    free(sio_handshake(&fx, sid2));
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid2);
    req = sio_request("POST", t, big, 0);
    got = sio_ask(&fx, req, 2000);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%.200s", got);
    free(got);
    free(req);
    /* The first session was closed by its 413; the second lives. */
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
}
END_TEST

/* docs/PROTOCOL.md §7: "POST body over maxPayload → 413, session closed".
 * The request parser refuses the body before socketio.c sees the request
 * (serve.c); the session stayed open until its heartbeat ended it. */
START_TEST(a_post_over_max_payload_closes_its_session)
{
    fx.conf.socketio_max_payload_bytes = 1024;
    gw_fixture_start(&fx, NULL);
    char sid[64], t[96], big[2048];
    free(sio_handshake(&fx, sid));
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    memset(big, 'x', sizeof big - 1);
    big[0] = '4';
    big[sizeof big - 1] = '\0';
    char *req = sio_request("POST", t, big, 0), *got = sio_ask(&fx, req, 2000);
    ck_assert_msg(strncmp(got, "HTTP/1.1 413 ", 13) == 0, "%.200s", got);
    free(got);
    free(req);
    ck_assert_msg(socketio_sessions(fx.ctx.socketio) == 0,
                  "the session is still open after its 413");
}
END_TEST

/* A POST whose
 * head and body come in one read longer than MAX_HEAD_BYTES was never
 * answered — http_request_feed() parsed only max_head bytes of that read
 * and said CP_EAGAIN, and serve.c waited for a read that did not come
 * (check_http: a_body_in_the_read_of_its_head_may_pass_max_head). */
START_TEST(a_post_longer_than_max_head_in_one_read_is_answered)
{
    fx.conf.max_head_bytes = 1024;
    fx.conf.socketio_max_payload_bytes = 8192;
    gw_fixture_start(&fx, NULL);
    char sid[64], t[96], body[4096];
    free(sio_handshake(&fx, sid));
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    strcpy(body, "6");
    for (int i = 0; i < 1500; i++) /* 3001 bytes of noop packets */
        strcat(body, "\x1e"
                     "6");
    char *req = sio_request("POST", t, body, 0), *got = sio_ask(&fx, req, 1000);
    free(req);
    bool ok = strncmp(got, "HTTP/1.1 200 ", 13) == 0;
    free(got);
    ck_assert_msg(ok, "no answer to a 3 KB POST sent in one write");
}
END_TEST

START_TEST(disabled_the_path_is_a_404_like_any_unknown_file)
{
    fx.conf.socketio_enabled = false;
    gw_fixture_start(&fx, NULL);
    ck_assert_ptr_null(fx.ctx.socketio);
    char *got = get(SIO_Q "polling"), *other = get("/no-such-file?EIO=4&transport=polling");
    ck_assert_int_eq(gw_wire_status(got), 404);
    ck_assert_str_eq(gw_wire_body(got), gw_wire_body(other));
    free(got);
    free(other);
    got = get("/socket.io/");
    ck_assert_int_eq(gw_wire_status(got), 404);
    free(got);
    ck_assert_uint_eq(fx.ctx.counters.sio_total, 0);
}
END_TEST

START_TEST(a_direct_websocket_gets_the_open_packet_then_packets_as_frames)
{
    gw_fixture_start(&fx, NULL);
    json_t *f = json_array();
    int fd = sio_ws_open(&fx, "", f);
    if (json_array_size(f) == 0) {
        json_decref(f);
        f = sio_ws_read(&fx, fd, 1000);
    }
    ck_assert_uint_eq(json_array_size(f), 1);
    const char *open = sio_at(f, 0);
    char want[256];
    snprintf(want, sizeof want,
             "0{\"sid\":\"%.20s.3000\",\"upgrades\":[],\"pingInterval\":25000,"
             "\"pingTimeout\":20000,\"maxPayload\":1000000}",
             open + 9);
    ck_assert_str_eq(open, want);
    json_decref(f);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_websocket, 1);
    ck_assert_uint_eq(fx.ctx.counters.ws_current, 0); /* not a /ws client */
    sio_ws_send(fd, "40");
    f = sio_ws_read(&fx, fd, 1000);
    ck_assert_uint_eq(json_array_size(f), 2);
    ck_assert_msg(starts(sio_at(f, 0), "40{\"sid\":\""), "%s", sio_at(f, 0));
    ck_assert_uint_eq(strlen(sio_at(f, 0)), 32);
    ck_assert_msg(starts(sio_at(f, 1), "42[\"welcome\",{"), "%s", sio_at(f, 1));
    json_decref(f);
    char tick[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, 1700000000000));
    f = sio_ws_read(&fx, fd, 1000);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_msg(starts(sio_at(f, 0), "42[\"price-update-bulk\",{\"id\":\"1700000000000-0\""),
                  "%s", sio_at(f, 0));
    json_decref(f);
    sio_ws_send(fd, "421[\"ping\"]");
    f = sio_ws_read(&fx, fd, 1000);
    ck_assert_uint_eq(json_array_size(f), 2);
    ck_assert_msg(starts(sio_at(f, 0), "42[\"pong\",{\"server_ts\":"), "%s", sio_at(f, 0));
    ck_assert_msg(starts(sio_at(f, 1), "431[{\"server_ts\":"), "%s", sio_at(f, 1));
    json_decref(f);
    /* The client going closes the session. */
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
    ck_assert_uint_eq(fx.ctx.counters.sio_current, 0);
}
END_TEST

START_TEST(upgrade_probe_noop_then_the_session_is_on_the_websocket)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], rest[64];
    sio_connect(&fx, sid);
    int poll = sio_poll_start(&fx, sid), status;
    ck_assert_ptr_null(sio_poll_read(&fx, poll, 100, &status));
    snprintf(rest, sizeof rest, "&sid=%s", sid);
    json_t *f = json_array();
    int ws = sio_ws_open(&fx, rest, f);
    ck_assert_uint_eq(json_array_size(f), 0); /* a probe gets nothing unasked */
    json_decref(f);
    sio_ws_send(ws, "2probe");
    f = sio_ws_read(&fx, ws, 1000);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_str_eq(sio_at(f, 0), "3probe");
    json_decref(f);
    char *body = sio_poll_read(&fx, poll, 1000, &status);
    ck_assert_ptr_nonnull(body);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(body, "6");
    free(body);
    close(poll);
    ck_assert_uint_eq(fx.ctx.counters.sio_websocket, 0);
    sio_ws_send(ws, "5");
    gw_fixture_run(&fx, 20);
    ck_assert_uint_eq(fx.ctx.counters.sio_websocket, 1);
    char tick[1024];
    for (long i = 0; i < 2; i++) {
        gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, 1700000000000 + i));
        f = sio_ws_read(&fx, ws, 1000);
        ck_assert_uint_eq(json_array_size(f), 1);
        ck_assert_msg(starts(sio_at(f, 0), "42[\"price-update-bulk\",{\"id\":\"170000000000"), "%s",
                      sio_at(f, 0));
        json_decref(f);
    }
    /* Polling is over: a poll, or another WebSocket, is a bad request. */
    char t[96];
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    ck_assert_int_eq(error_of("GET", t, NULL, 400), 3);
    ck_assert_int_eq(error_of("POST", t, "42[\"ping\"]", 400), 3);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    /* Events now go both ways on the WebSocket. */
    sio_ws_send(ws, "422[\"subscribe\",[\"BTC\"]]");
    f = sio_ws_read(&fx, ws, 1000);
    ck_assert_uint_ge(json_array_size(f), 2);
    ck_assert_str_eq(sio_at(f, 0), "42[\"subscribed\",{\"symbols\":[\"BTC\"]}]");
    ck_assert_str_eq(sio_at(f, 1), "432[{\"symbols\":[\"BTC\"]}]");
    json_decref(f);
    close(ws);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
}
END_TEST

START_TEST(packets_queued_before_the_upgrade_go_first_on_the_websocket)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], rest[64];
    sio_connect(&fx, sid);
    snprintf(rest, sizeof rest, "&sid=%s", sid);
    int ws = sio_ws_open(&fx, rest, NULL);
    sio_ws_send(ws, "2probe");
    json_decref(sio_ws_read(&fx, ws, 500));
    /* No poll waits: the pong is queued for polling, then moved. */
    sio_post(&fx, sid, "42[\"ping\",7]");
    sio_ws_send(ws, "5");
    json_t *f = sio_ws_read(&fx, ws, 1000);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_msg(starts(sio_at(f, 0), "42[\"pong\",{\"ts\":7,\"server_ts\":"), "%s", sio_at(f, 0));
    json_decref(f);
    close(ws);
}
END_TEST

START_TEST(a_probe_for_an_unknown_sid_is_400_code_1)
{
    gw_fixture_start(&fx, NULL);
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd,
                               "GET " SIO_Q "websocket&sid=nope HTTP/1.1\r\nHost: x\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                               2000, NULL);
    ck_assert_int_eq(sio_error_code(got, 400), 1);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_binary_frame_closes_the_websocket_with_1003)
{
    gw_fixture_start(&fx, NULL);
    int fd = sio_ws_open(&fx, "", NULL);
    sio_ws_send(fd, "40");
    json_decref(sio_ws_read(&fx, fd, 500));
    static const unsigned char bin[] = {0x82, 0x83, 1, 2, 3, 4, 0x04 ^ 1, 0x01 ^ 2, 0x02 ^ 3};
    ck_assert_int_eq(send(fd, bin, sizeof bin, MSG_NOSIGNAL), (ssize_t)sizeof bin);
    json_t *f = sio_ws_read(&fx, fd, 1000);
    ck_assert_uint_ge(json_array_size(f), 1);
    ck_assert_str_eq(sio_at(f, json_array_size(f) - 1), "close:1003");
    json_decref(f);
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 0);
}
END_TEST

START_TEST(an_origin_not_allowed_is_403_code_4)
{
    snprintf(fx.conf.cors_origins, sizeof fx.conf.cors_origins, "http://good.example");
    gw_fixture_start(&fx, NULL);
    char *got = sio_ask(&fx,
                        "GET " SIO_Q "polling HTTP/1.1\r\nHost: x\r\n"
                        "Origin: http://evil.example\r\n\r\n",
                        2000);
    ck_assert_int_eq(sio_error_code(got, 403), 4);
    free(got);
    got = sio_ask(&fx,
                  "GET " SIO_Q "polling HTTP/1.1\r\nHost: x\r\n"
                  "Origin: http://good.example\r\n\r\n",
                  2000);
    ck_assert_int_eq(gw_wire_status(got), 200);
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Allow-Origin: http://good.example\r\n"));
    free(got);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
}
END_TEST

START_TEST(a_direct_websocket_over_the_per_ip_cap_is_closed_with_1008)
{
    fx.conf.max_connections_per_ip = 2; /* connections: the poll's and the WebSocket's */
    gw_fixture_start(&fx, NULL);
    char sid[64];
    free(sio_handshake(&fx, sid));
    free(sio_handshake(&fx, sid));
    json_t *f = json_array();
    int fd = sio_ws_open(&fx, "", f);
    json_t *more = sio_ws_read(&fx, fd, 500);
    json_array_extend(f, more);
    json_decref(more);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_str_eq(sio_at(f, 0), "close:1008");
    json_decref(f);
    close(fd);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 2);
}
END_TEST

START_TEST(a_probe_that_goes_leaves_the_session_on_polling)
{
    gw_fixture_start(&fx, NULL);
    char sid[64], rest[64], tick[1024];
    sio_connect(&fx, sid);
    snprintf(rest, sizeof rest, "&sid=%s", sid);
    int first = sio_ws_open(&fx, rest, NULL);
    sio_ws_send(first, "2probe");
    json_decref(sio_ws_read(&fx, first, 500));
    /* A second probe replaces the first, which is closed. */
    int second = sio_ws_open(&fx, rest, NULL);
    json_t *f = sio_ws_read(&fx, first, 500);
    ck_assert_uint_eq(json_array_size(f), 1);
    ck_assert_str_eq(sio_at(f, 0), "close:1008");
    json_decref(f);
    close(first);
    close(second);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    ck_assert_uint_eq(fx.ctx.counters.sio_websocket, 0);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, 1700000000000));
    char *got = sio_poll(&fx, sid, 1000);
    ck_assert_msg(starts(got, "42[\"price-update-bulk\","), "%s", got);
    free(got);
}
END_TEST

/* As browsers do: handshake, POST and polls on one keep-alive connection,
 * a poll that waited included. */
START_TEST(one_keep_alive_connection_carries_a_whole_session)
{
    gw_fixture_start(&fx, NULL);
    int fd = gw_fixture_client(&fx, NULL);
    char *req = sio_request("GET", SIO_Q "polling", NULL, 0);
    char *got = gw_fixture_ask(&fx, fd, req, 2000, NULL), sid[64], t[96], tick[1024];
    free(req);
    ck_assert_int_eq(gw_wire_status(got), 200);
    size_t sid_len = strcspn(gw_wire_body(got) + 9, "\"");
    ck_assert_uint_lt(sid_len, sizeof sid);
    memcpy(sid, gw_wire_body(got) + 9, sid_len);
    sid[sid_len] = '\0';
    free(got);
    snprintf(t, sizeof t, SIO_Q "polling&sid=%s", sid);
    req = sio_request("POST", t, "40", 0);
    got = gw_fixture_ask(&fx, fd, req, 2000, NULL);
    free(req);
    ck_assert_str_eq(gw_wire_body(got), "ok");
    free(got);
    req = sio_request("GET", t, NULL, 0);
    got = gw_fixture_ask(&fx, fd, req, 2000, NULL);
    ck_assert_msg(starts(gw_wire_body(got), "40{\"sid\":"), "%s", got);
    free(got);
    got = gw_fixture_ask(&fx, fd, req, 200, NULL);
    ck_assert_str_eq(got, ""); /* waits */
    free(got);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, 1700000000000));
    got = gw_fixture_read(&fx, fd, 1000, NULL);
    ck_assert_msg(starts(gw_wire_body(got), "42[\"price-update-bulk\","), "%s", got);
    free(got);
    got = gw_fixture_ask(&fx, fd, req, 200, NULL); /* the connection goes on */
    ck_assert_str_eq(got, "");
    free(got);
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, 1700000000001));
    got = gw_fixture_read(&fx, fd, 1000, NULL);
    ck_assert_msg(strstr(got, "\"id\":\"1700000000001-0\"") != NULL, "%s", got);
    free(got);
    free(req);
    ck_assert_uint_eq(socketio_sessions(fx.ctx.socketio), 1);
    close(fd);
}
END_TEST

static Suite *socketio_suite(void)
{
    Suite *s = suite_create("socketio");
    TCase *t = tcase_create("handshake");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, handshake_answers_the_open_packet_with_the_configured_timings);
    tcase_add_test(t, handshake_defaults_and_the_path_without_its_slash);
    tcase_add_test(t, errors_carry_engine_io_codes);
    tcase_add_test(t, a_second_get_while_one_waits_is_400_code_3_and_closes_the_session);
    tcase_add_test(t, sessions_over_max_connections_per_ip_are_403_code_4);
    tcase_add_test(t, sessions_over_max_connections_are_403_code_4);
    tcase_add_test(t, a_post_over_max_payload_is_413);
    tcase_add_test(t, a_post_over_max_payload_closes_its_session);
    tcase_add_test(t, a_post_longer_than_max_head_in_one_read_is_answered);
    tcase_add_test(t, disabled_the_path_is_a_404_like_any_unknown_file);
    tcase_add_test(t, one_keep_alive_connection_carries_a_whole_session);
    suite_add_tcase(s, t);
    t = tcase_create("websocket");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, a_direct_websocket_gets_the_open_packet_then_packets_as_frames);
    tcase_add_test(t, upgrade_probe_noop_then_the_session_is_on_the_websocket);
    tcase_add_test(t, packets_queued_before_the_upgrade_go_first_on_the_websocket);
    tcase_add_test(t, a_probe_for_an_unknown_sid_is_400_code_1);
    tcase_add_test(t, a_binary_frame_closes_the_websocket_with_1003);
    tcase_add_test(t, an_origin_not_allowed_is_403_code_4);
    tcase_add_test(t, a_direct_websocket_over_the_per_ip_cap_is_closed_with_1008);
    tcase_add_test(t, a_probe_that_goes_leaves_the_session_on_polling);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(socketio_suite)
