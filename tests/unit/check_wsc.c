#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "wsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6455 §1.3's example key and answer. */
static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char ok_head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

START_TEST(request_offers_deflate_when_asked)
{
    char buf[1024];
    int n = wsc_request(buf, sizeof buf, "127.0.0.1", 3000, "/ws", key, true);
    ck_assert_int_gt(n, 0);
    ck_assert(strstr(buf, "GET /ws HTTP/1.1\r\n") == buf);
    ck_assert(strstr(buf, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    ck_assert(strstr(buf, "Sec-WebSocket-Version: 13\r\n"));
    ck_assert(strstr(buf, "permessage-deflate; client_max_window_bits"));
    ck_assert(strcmp(buf + n - 4, "\r\n\r\n") == 0);
    n = wsc_request(buf, sizeof buf, "h", 1, "/ws", key, false);
    ck_assert(!strstr(buf, "Extensions"));
    ck_assert_int_eq(wsc_request(buf, 20, "h", 1, "/ws", key, false), CP_ETOOBIG);
}
END_TEST

START_TEST(key_is_base64_of_the_nonce)
{
    uint8_t nonce[16] = "the sample nonce";
    char out[WSC_KEY_LEN + 1];
    wsc_key(nonce, out);
    ck_assert_str_eq(out, key);
}
END_TEST

START_TEST(accepts_the_rfc_example_answer_byte_by_byte)
{
    struct wsc_handshake hs;
    size_t len = strlen(ok_head);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(wsc_response(ok_head, i, key, &hs), CP_EAGAIN);
    ck_assert_int_eq(wsc_response(ok_head, len, key, &hs), (int)len);
    ck_assert_int_eq(hs.status, 101);
    ck_assert(!hs.deflate);
}
END_TEST

START_TEST(rejects_a_wrong_accept_key_or_status)
{
    struct wsc_handshake hs;
    char bad[sizeof ok_head];
    strcpy(bad, ok_head);
    *strstr(bad, "s3pP") = 'X';
    ck_assert_int_eq(wsc_response(bad, strlen(bad), key, &hs), CP_EPROTO);
    const char *refused = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    ck_assert_int_eq(wsc_response(refused, strlen(refused), key, &hs), CP_EPROTO);
    ck_assert_int_eq(hs.status, 503);
}
END_TEST

START_TEST(reads_no_byte_past_the_head)
{
    /* Frames follow the head in the caller's buffer, with no NUL anywhere:
     * run under valgrind or ASan, a read past len shows. */
    size_t len = strlen(ok_head);
    char *exact = malloc(len);
    memcpy(exact, ok_head, len);
    struct wsc_handshake hs;
    ck_assert_int_eq(wsc_response(exact, len, key, &hs), (int)len);
    ck_assert_int_eq(hs.status, 101);
    const char *other = "HTTP/1.0 404 Not Found\r\n\r\n";
    memcpy(exact, other, strlen(other));
    ck_assert_int_eq(wsc_response(exact, strlen(other), key, &hs), CP_EPROTO);
    ck_assert_int_eq(hs.status, 404);
    memcpy(exact, "HTTP/2 101 \r\n\r\n", 16);
    ck_assert_int_eq(wsc_response(exact, 16, key, &hs), CP_EPROTO);
    ck_assert_int_eq(hs.status, 0);
    free(exact);
}
END_TEST

START_TEST(sees_the_agreed_deflate_extension)
{
    char head[512];
    snprintf(head, sizeof head,
             "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, "
             "Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
             "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n");
    struct wsc_handshake hs;
    ck_assert_int_eq(wsc_response(head, strlen(head), key, &hs), (int)strlen(head));
    ck_assert(hs.deflate);
}
END_TEST

START_TEST(decodes_server_frames_of_each_length_form)
{
    uint8_t buf[70000];
    size_t sizes[] = {0, 125, 126, 65535, 65536};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t h = ws_frame_header(buf, WS_OP_TEXT, true, sizes[k]);
        memset(buf + h, 'x', sizes[k]);
        struct wsc_frame f;
        ck_assert_int_eq(wsc_frame_parse(buf, h - 1, &f), CP_EAGAIN);
        ck_assert_int_eq(wsc_frame_parse(buf, h + sizes[k] - (sizes[k] ? 1 : 0), &f),
                         sizes[k] ? CP_EAGAIN : CP_OK);
        ck_assert_int_eq(f.total, h + sizes[k]);
        ck_assert_int_eq(wsc_frame_parse(buf, h + sizes[k] + 3, &f), CP_OK);
        ck_assert_int_eq(f.len, sizes[k]);
        ck_assert(f.fin && f.opcode == WS_OP_TEXT && !f.rsv1);
        ck_assert_ptr_eq(f.payload, buf + h);
    }
}
END_TEST

START_TEST(decodes_a_compressed_frame_and_a_ping_one_byte_at_a_time)
{
    uint8_t buf[64];
    size_t h = ws_frame_header_ext(buf, WS_OP_TEXT, true, true, 3);
    memcpy(buf + h, "abc", 3);
    size_t h2 = ws_frame_header(buf + h + 3, WS_OP_PING, true, 1);
    buf[h + 3 + h2] = 'p';
    size_t total = h + 3 + h2 + 1;
    struct wsc_frame f;
    size_t used = 0;
    int frames = 0;
    for (size_t have = 1; have <= total; have++) {
        int rc = wsc_frame_parse(buf + used, have - used, &f);
        if (rc == CP_EAGAIN)
            continue;
        ck_assert_int_eq(rc, CP_OK);
        if (frames++ == 0)
            ck_assert(f.rsv1 && f.opcode == WS_OP_TEXT && memcmp(f.payload, "abc", 3) == 0);
        else
            ck_assert(f.opcode == WS_OP_PING && f.payload[0] == 'p');
        used += f.total;
    }
    ck_assert_int_eq(frames, 2);
}
END_TEST

START_TEST(rejects_masked_reserved_and_bad_control_frames)
{
    struct wsc_frame f;
    uint8_t masked[] = {0x81, 0x81, 1, 2, 3, 4, 'a'};
    ck_assert_int_eq(wsc_frame_parse(masked, sizeof masked, &f), CP_EPROTO);
    uint8_t rsv2[] = {0xA1, 0x00};
    ck_assert_int_eq(wsc_frame_parse(rsv2, 2, &f), CP_EPROTO);
    uint8_t opcode3[] = {0x83, 0x00};
    ck_assert_int_eq(wsc_frame_parse(opcode3, 2, &f), CP_EPROTO);
    uint8_t frag_ping[] = {0x09, 0x00};
    ck_assert_int_eq(wsc_frame_parse(frag_ping, 2, &f), CP_EPROTO);
    uint8_t long_close[] = {0x88, 126, 0, 200};
    ck_assert_int_eq(wsc_frame_parse(long_close, 4, &f), CP_EPROTO);
    uint8_t huge[10] = {0x82, 127, 0x80};
    ck_assert_int_eq(wsc_frame_parse(huge, 10, &f), CP_EPROTO);
}
END_TEST

START_TEST(client_frames_are_masked)
{
    uint8_t out[64];
    const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    /* RFC 6455 §5.7: a masked "Hello". */
    int n = wsc_frame_encode(out, sizeof out, WS_OP_TEXT, (const uint8_t *)"Hello", 5, mask);
    const uint8_t want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ck_assert_int_eq(n, sizeof want);
    ck_assert(memcmp(out, want, sizeof want) == 0);
    ck_assert_int_eq(wsc_frame_encode(out, 10, WS_OP_TEXT, (const uint8_t *)"Hello", 5, mask),
                     CP_ETOOBIG);
}
END_TEST

START_TEST(parses_ws_and_wss_urls)
{
    struct wsc_url u;
    ck_assert_int_eq(wsc_url_parse("ws://127.0.0.1:8080/ws?x=1&y=2", &u), CP_OK);
    ck_assert(!u.tls);
    ck_assert_str_eq(u.host, "127.0.0.1");
    ck_assert_int_eq(u.port, 8080);
    ck_assert_str_eq(u.resource, "/ws?x=1&y=2");
    ck_assert_int_eq(wsc_url_parse("WSS://stream.binance.com", &u), CP_OK);
    ck_assert(u.tls);
    ck_assert_str_eq(u.host, "stream.binance.com");
    ck_assert_int_eq(u.port, 443);
    ck_assert_str_eq(u.resource, "/");
    ck_assert_int_eq(wsc_url_parse("ws://ws-feed.example?streams=a@ticker/b@ticker", &u), CP_OK);
    ck_assert_int_eq(u.port, 80);
    ck_assert_str_eq(u.resource, "/?streams=a@ticker/b@ticker");
    ck_assert_int_eq(wsc_url_parse("wss://[::1]:9443/v2", &u), CP_OK);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_int_eq(u.port, 9443);
    ck_assert_str_eq(u.resource, "/v2");
}
END_TEST

START_TEST(rejects_urls_that_are_not_websocket_ones)
{
    const char *bad[] = {
        "http://example.com/",
        "ws:/example.com",
        "ws://",
        "ws://:80/",
        "ws://host:/",
        "ws://host:0/",
        "ws://host:65536/",
        "ws://host:12a/",
        "ws://user@host/",
        "ws://host/#frag",
        "ws://host/a b",
        "ws://host/a\r\nX: y",
        "ws://[::1/",
        "ws://[not-v6]/",
        "ws://ho%73t/",
        "wss://host:443x",
        "",
    };
    struct wsc_url u;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(wsc_url_parse(bad[i], &u) == CP_EINVAL, "accepted %s", bad[i]);
    char long_url[WSC_RESOURCE_MAX + 16] = "ws://h/";
    memset(long_url + 7, 'a', WSC_RESOURCE_MAX);
    long_url[7 + WSC_RESOURCE_MAX] = '\0';
    ck_assert_int_eq(wsc_url_parse(long_url, &u), CP_EINVAL);
}
END_TEST

START_TEST(request_for_a_url_names_the_port_unless_default)
{
    struct wsc_url u;
    char buf[1024];
    ck_assert_int_eq(wsc_url_parse("wss://ws.kraken.com/v2", &u), CP_OK);
    int n = wsc_request_url(buf, sizeof buf, &u, key);
    ck_assert_int_gt(n, 0);
    ck_assert(strstr(buf, "GET /v2 HTTP/1.1\r\nHost: ws.kraken.com\r\n") == buf);
    ck_assert(!strstr(buf, "Extensions"));
    ck_assert(strcmp(buf + n - 4, "\r\n\r\n") == 0);
    ck_assert_int_eq(wsc_url_parse("ws://127.0.0.1:9000/s?a=1", &u), CP_OK);
    wsc_request_url(buf, sizeof buf, &u, key);
    ck_assert(strstr(buf, "GET /s?a=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n") == buf);
    ck_assert_int_eq(wsc_url_parse("ws://[::1]:9000/", &u), CP_OK);
    wsc_request_url(buf, sizeof buf, &u, key);
    ck_assert(strstr(buf, "Host: [::1]:9000\r\n"));
    ck_assert_int_eq(wsc_url_parse("ws://host:443/", &u), CP_OK);
    wsc_request_url(buf, sizeof buf, &u, key);
    ck_assert(strstr(buf, "Host: host:443\r\n"));
    ck_assert_int_eq(wsc_request_url(buf, 40, &u, key), CP_ETOOBIG);
}
END_TEST

static Suite *wsc_suite(void)
{
    Suite *s = suite_create("wsc");
    TCase *t = tcase_create("core");
    tcase_add_test(t, request_offers_deflate_when_asked);
    tcase_add_test(t, key_is_base64_of_the_nonce);
    tcase_add_test(t, accepts_the_rfc_example_answer_byte_by_byte);
    tcase_add_test(t, rejects_a_wrong_accept_key_or_status);
    tcase_add_test(t, reads_no_byte_past_the_head);
    tcase_add_test(t, sees_the_agreed_deflate_extension);
    tcase_add_test(t, decodes_server_frames_of_each_length_form);
    tcase_add_test(t, decodes_a_compressed_frame_and_a_ping_one_byte_at_a_time);
    tcase_add_test(t, rejects_masked_reserved_and_bad_control_frames);
    tcase_add_test(t, client_frames_are_masked);
    tcase_add_test(t, parses_ws_and_wss_urls);
    tcase_add_test(t, rejects_urls_that_are_not_websocket_ones);
    tcase_add_test(t, request_for_a_url_names_the_port_unless_default);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(wsc_suite)
