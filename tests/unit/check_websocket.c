/* Unit tests of gateway/websocket.c: the opening handshake (RFC 6455 §4,
 * RFC 7692 §5), its refusals, the welcome, control frames, the close codes
 * of §7.4.1 and idle pings, as bytes on a real loopback client socket
 * (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "deflate.h"
#include "gw_fixture.h"
#include "gw_wire.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* RFC 6455 §1.3's example key and its accept value. */
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define UPGRADE                                                                                    \
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                 \
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " KEY "\r\n"

#define UPGRADE_HEADERS                                                                            \
    " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                        \
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " KEY "\r\n\r\n"

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

/* One server frame decoded from bytes. */
struct frame {
    unsigned b0; /* FIN, RSV and opcode */
    const unsigned char *payload;
    size_t len;
};

/* Split n bytes of server frames (never masked, RFC 6455 §5.1) into f[max];
 * returns how many whole frames there are. */
static int frames(const unsigned char *p, size_t n, struct frame *f, int max)
{
    int k = 0;
    size_t at = 0;
    while (k < max && at + 2 <= n) {
        ck_assert_msg(!(p[at + 1] & 0x80), "a server frame is masked");
        size_t len = p[at + 1] & 0x7f, head = 2;
        if (len == 126) {
            len = (size_t)p[at + 2] << 8 | p[at + 3];
            head = 4;
        }
        ck_assert_uint_ne(len, 127);
        if (at + head + len > n)
            break;
        f[k++] = (struct frame){p[at], p + at + head, len};
        at += head + len;
    }
    return k;
}

/* A client frame (masked unless mask is false) of byte 0 b0 into out. */
static size_t client_frame(uint8_t *out, unsigned b0, const void *payload, size_t len, bool mask)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t h = 0;
    out[h++] = (uint8_t)b0;
    if (len < 126) {
        out[h++] = (uint8_t)((mask ? 0x80 : 0) | len);
    } else {
        out[h++] = (uint8_t)((mask ? 0x80 : 0) | 126);
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    }
    if (mask)
        memcpy(out + h, key, 4), h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = ((const uint8_t *)payload)[i] ^ (mask ? key[i % 4] : 0);
    return h + len;
}

static void send_all(int fd, const void *p, size_t n)
{
    ck_assert_int_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Run the loop and read fd until the server closes it or ms pass. */
static unsigned char *read_to_eof(int fd, int ms, size_t *n, bool *eof)
{
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap);
    *n = 0;
    *eof = false;
    for (int waited = 0; waited < ms && !*eof; waited += 10) {
        gw_fixture_run(&fx, 10);
        ssize_t r;
        while ((r = recv(fd, buf + *n, cap - *n, MSG_DONTWAIT)) > 0)
            *n += (size_t)r;
        *eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    return buf;
}

/* Handshake on a new client: returns its socket after the 101 and the
 * welcome were read. */
static int ws_client(struct conn **server)
{
    int fd = gw_fixture_client(&fx, server);
    size_t n;
    char *got = gw_fixture_ask(&fx, fd, UPGRADE "\r\n", 2000, &n);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    char *end = strstr(got, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    struct frame f[2];
    ck_assert_int_eq(frames((unsigned char *)end + 4, n - (size_t)(end + 4 - got), f, 2), 1);
    free(got);
    return fd;
}

/* Send one client frame and return the close frame's code the server ends
 * with (-1: none; 0: a close without a code), asserting it then closes. */
static int close_code_after(int fd, const uint8_t *frame, size_t len)
{
    send_all(fd, frame, len);
    size_t n;
    bool eof;
    unsigned char *got = read_to_eof(fd, 2000, &n, &eof);
    ck_assert_msg(eof, "the server did not close");
    struct frame f[8];
    int k = frames(got, n, f, 8), code = -1;
    if (k > 0 && f[k - 1].b0 == 0x88)
        code = f[k - 1].len >= 2 ? f[k - 1].payload[0] << 8 | f[k - 1].payload[1] : 0;
    free(got);
    return code;
}

START_TEST(handshake_answers_101_with_the_accept_key_then_welcomes)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    int fd = gw_fixture_client(&fx, NULL);
    size_t n;
    char *got = gw_fixture_ask(&fx, fd, UPGRADE "\r\n", 2000, &n);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nUpgrade: websocket\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: Upgrade\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nSec-WebSocket-Accept: " ACCEPT "\r\n"));
    ck_assert_ptr_null(strstr(got, "Sec-WebSocket-Extensions")); /* not offered */
    char *end = strstr(got, "\r\n\r\n");
    struct frame f[2];
    ck_assert_int_eq(frames((unsigned char *)end + 4, n - (size_t)(end + 4 - got), f, 2), 1);
    ck_assert_uint_eq(f[0].b0, 0x81); /* FIN + text, uncompressed */
    char *text = strndup((const char *)f[0].payload, f[0].len);
    ck_assert_msg(strncmp(text, "{\"event\":\"welcome\",\"data\":{", 27) == 0, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\"server\":\"cryptopulse/" PACKAGE_VERSION "\""));
    ck_assert_ptr_nonnull(strstr(text, "\"symbols\":[\"BTC\",\"ETH\"]"));
    ck_assert_ptr_nonnull(strstr(text, "\"max_message_bytes\":65536"));
    ck_assert_uint_eq(fx.ctx.counters.ws_total, 1);
    ck_assert_uint_eq(fx.ctx.counters.ws_current, 1);
    ck_assert_uint_eq(fx.ctx.counters.ws_deflate, 0);
    free(text);
    free(got);
    close(fd);
}
END_TEST

START_TEST(handshake_agrees_permessage_deflate_when_offered)
{
    gw_fixture_start(&fx, NULL);
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(
        &fx, fd,
        UPGRADE "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    ck_assert_msg(strstr(got, "\r\nSec-WebSocket-Extensions: permessage-deflate") != NULL, "%s",
                  got);
    /* The whole head, exactly: the extension line last, then the blank line. */
    char accept_line[] = "\r\nSec-WebSocket-Accept: " ACCEPT "\r\n";
    ck_assert_msg(strstr(got, accept_line) != NULL, "%s", got);
    const char *ext = strstr(got, "Sec-WebSocket-Extensions: ");
    const char *eol = ext ? strstr(ext, "\r\n") : NULL;
    ck_assert_msg(eol && strncmp(eol, "\r\n\r\n", 4) == 0, "%s", got);
    ck_assert_msg(strstr(got, "\r\n\r\n") == eol, "%s", got);
    ck_assert_uint_eq(fx.ctx.counters.ws_deflate, 1);
    free(got);
    close(fd);
}
END_TEST

/* The first line and the header given of the answer to request. */
static void refused(const char *request, const char *status, const char *header)
{
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd, request, 2000, NULL);
    ck_assert_msg(strncmp(got, status, strlen(status)) == 0, "%s", got);
    ck_assert_msg(!header || strstr(got, header), "no %s in %s", header, got);
    ck_assert_ptr_null(strstr(got, "Sec-WebSocket-Accept"));
    free(got);
    close(fd);
}

START_TEST(handshake_refusals_carry_the_right_status)
{
    snprintf(fx.conf.cors_origins, sizeof fx.conf.cors_origins, "https://good.example");
    gw_fixture_start(&fx, NULL);
    refused("POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 405 Method Not Allowed\r\n", "\r\nAllow: GET\r\n");
    refused("GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " KEY "\r\n\r\n",
            "HTTP/1.1 400 ", "\"error\":\"bad_request\"");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426 ",
            "\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " KEY "\r\n\r\n",
            "HTTP/1.1 426 ", "\r\nSec-WebSocket-Version: 13\r\n");
    refused("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n",
            "HTTP/1.1 400 ", "\"error\":\"bad_key\"");
    refused(UPGRADE "Origin: https://evil.example\r\n\r\n", "HTTP/1.1 403 ",
            "\"error\":\"origin_not_allowed\"");
    ck_assert_uint_eq(fx.ctx.counters.ws_total, 0);
    /* The allowed origin is let in. */
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd, UPGRADE "Origin: https://good.example\r\n\r\n", 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    ck_assert_uint_eq(fx.ctx.counters.ws_total, 1);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_ping_is_answered_with_a_pong_of_the_same_payload)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    size_t len = client_frame(out, 0x89, "hello", 5, true);
    send_all(fd, out, len);
    size_t n;
    unsigned char *got = (unsigned char *)gw_fixture_read(&fx, fd, 2000, &n);
    ck_assert_uint_eq(n, 7);
    ck_assert_uint_eq(got[0], 0x8a); /* FIN + pong */
    ck_assert_uint_eq(got[1], 5);
    ck_assert(memcmp(got + 2, "hello", 5) == 0);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_close_is_echoed_with_its_code)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    const uint8_t normal[] = {0x03, 0xe8, 'b', 'y', 'e'}; /* 1000 "bye" */
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x88, normal, 5, true)), 1000);
    /* The gateway shut its side after the echo and lingers until the client
     * closes its own (RFC 6455 §7.1.1). */
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(fx.ctx.counters.ws_current, 0);
}
END_TEST

START_TEST(a_close_without_a_code_is_echoed_empty)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    size_t len = client_frame(out, 0x88, "", 0, true);
    send_all(fd, out, len);
    size_t n;
    bool eof;
    unsigned char *got = read_to_eof(fd, 2000, &n, &eof);
    ck_assert(eof);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(got[0], 0x88);
    ck_assert_uint_eq(got[1], 0); /* no 1005 on the wire (RFC 6455 §7.1.5) */
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_binary_message_is_closed_with_1003)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x82, "\x01\x02", 2, true)), 1003);
    close(fd);
}
END_TEST

START_TEST(an_unmasked_client_frame_is_closed_with_1002)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    const char *msg = "{\"event\":\"ping\"}";
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x81, msg, strlen(msg), false)),
                     1002);
    ck_assert_uint_eq(fx.ctx.counters.messages_in, 0);
    close(fd);
}
END_TEST

START_TEST(a_reserved_opcode_is_closed_with_1002)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x83, "x", 1, true)), 1002);
    close(fd);
}
END_TEST

START_TEST(invalid_utf8_is_closed_with_1007)
{
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[64];
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x81, "\"\xc3\x28\"", 4, true)),
                     1007);
    close(fd);
}
END_TEST

START_TEST(a_message_over_max_message_bytes_is_closed_with_1009)
{
    fx.conf.max_message_bytes = 125;
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    char text[200];
    memset(text, ' ', sizeof text);
    uint8_t out[256];
    ck_assert_int_eq(close_code_after(fd, out, client_frame(out, 0x81, text, sizeof text, true)),
                     1009);
    close(fd);
}
END_TEST

START_TEST(a_client_that_keeps_flooding_is_closed_with_1008)
{
    fx.conf.max_messages_per_second = 1;
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[256];
    size_t len = 0;
    const char *msg = "{\"event\":\"ping\",\"data\":{\"id\":1,\"ts\":2}}";
    for (int i = 0; i < 3; i++)
        len += client_frame(out + len, 0x81, msg, strlen(msg), true);
    send_all(fd, out, len);
    size_t n;
    bool eof;
    unsigned char *got = read_to_eof(fd, 2000, &n, &eof);
    ck_assert(eof);
    struct frame f[8];
    int k = frames(got, n, f, 8);
    /* The first is answered, the second refused with a rate_limited error,
     * the third, past a second's worth of refusals, closes. */
    ck_assert_int_eq(k, 3);
    ck_assert(memmem(f[0].payload, f[0].len, "\"event\":\"pong\"", 14));
    ck_assert(memmem(f[1].payload, f[1].len, "\"code\":\"rate_limited\"", 21));
    ck_assert_uint_eq(f[2].b0, 0x88);
    ck_assert_uint_eq(f[2].payload[0] << 8 | f[2].payload[1], 1008);
    ck_assert_uint_eq(fx.ctx.counters.rate_limited, 2);
    ck_assert_uint_eq(fx.ctx.counters.messages_in, 3);
    free(got);
    close(fd);
}
END_TEST

/* A client still sending when it is closed (here: 200 messages in one go)
 * must get its Close 1008, not a reset: unread input at close(2) makes the
 * kernel send RST, which destroys the frames in flight.  The gateway shuts
 * its write side after the Close frame and reads the rest (lingering). */
START_TEST(a_flooding_client_gets_its_close_not_a_reset)
{
    fx.conf.max_messages_per_second = 1;
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    const char *msg = "{\"event\":\"ping\",\"data\":{\"id\":1,\"ts\":2}}";
    size_t one = 6 + strlen(msg), len = 0;
    uint8_t *out = malloc(200 * one);
    for (int i = 0; i < 200; i++)
        len += client_frame(out + len, 0x81, msg, strlen(msg), true);
    send_all(fd, out, len);
    size_t n = 0;
    unsigned char *got = malloc(1 << 16);
    int err = 0;
    for (int waited = 0; waited < 3000; waited += 10) {
        gw_fixture_run(&fx, 10);
        ssize_t r;
        while ((r = recv(fd, got + n, (1 << 16) - n, MSG_DONTWAIT)) > 0)
            n += (size_t)r;
        if (r == 0)
            break;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            err = errno;
            break;
        }
    }
    ck_assert_msg(err == 0, "read failed: %s", strerror(err));
    struct frame f[8];
    int k = frames(got, n, f, 8);
    ck_assert_int_ge(k, 1);
    ck_assert_uint_eq(f[k - 1].b0, 0x88);
    ck_assert_uint_eq(f[k - 1].payload[0] << 8 | f[k - 1].payload[1], 1008);
    free(got);
    free(out);
    close(fd);
}
END_TEST

START_TEST(a_silent_client_is_pinged_then_closed_with_1001)
{
    fx.conf.ws_ping_interval_ms = 100;
    fx.conf.ws_pong_timeout_ms = 200;
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    size_t n;
    bool eof;
    unsigned char *got = read_to_eof(fd, 3000, &n, &eof);
    ck_assert(eof);
    struct frame f[4];
    ck_assert_int_eq(frames(got, n, f, 4), 2);
    ck_assert_uint_eq(f[0].b0, 0x89); /* FIN + ping */
    ck_assert_uint_eq(f[0].len, 2);
    ck_assert(memcmp(f[0].payload, "cp", 2) == 0);
    ck_assert_uint_eq(f[1].b0, 0x88);
    ck_assert_uint_eq(f[1].payload[0] << 8 | f[1].payload[1], 1001);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_pong_keeps_a_pinged_client_open)
{
    fx.conf.ws_ping_interval_ms = 100;
    fx.conf.ws_pong_timeout_ms = 200;
    gw_fixture_start(&fx, NULL);
    int fd = ws_client(NULL);
    uint8_t out[16];
    size_t pong = client_frame(out, 0x8a, "cp", 2, true);
    int pings = 0;
    /* Answer every ping for 800 ms: four pong timeouts, never closed. */
    for (int waited = 0; waited < 800; waited += 20) {
        gw_fixture_run(&fx, 20);
        unsigned char buf[64];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        ck_assert_int_ne(r, 0);
        if (r > 0) {
            ck_assert_uint_eq(buf[0], 0x89);
            pings++;
            send_all(fd, out, pong);
        }
    }
    ck_assert_int_ge(pings, 2);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1);
    close(fd);
}
END_TEST

/* An idle client keeps no frame parser; one made for a frame split across
 * reads carries it through, and a client that agreed permessage-deflate
 * may still send a compressed message after its parser was freed. */
/* The messages a new client gets within ms of its handshake for target
 * (GET's request target), after a tick of BTC and ETH; *fd is its socket. */
static json_t *messages_for(const char *target, int ms, int *fd)
{
    static long tick_ms = 5000; /* each tick after the last */
    char req[8192], tick[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, tick_ms += 1000));
    snprintf(req, sizeof req, "GET %s" UPGRADE_HEADERS, target);
    *fd = gw_fixture_client(&fx, NULL);
    send_all(*fd, req, strlen(req));
    size_t n;
    bool eof;
    char *got = (char *)read_to_eof(*fd, ms, &n, &eof);
    ck_assert_msg(!eof, "%s closed", target);
    ck_assert_msg(n > 13 && strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s: %.*s", target, (int)n,
                  got);
    char *body = (char *)memmem(got, n, "\r\n\r\n", 4) + 4;
    json_t *m = gw_wire_ws_messages(body, n - (size_t)(body - got));
    free(got);
    return m;
}

/* Message i's event, and its data as compact JSON in buf (len bytes). */
static const char *event_of(const json_t *m, size_t i)
{
    return json_string_value(json_object_get(json_array_get(m, i), "event"));
}

static const char *data_of(const json_t *m, size_t i, char *buf, size_t len)
{
    char *text = json_dumps(json_object_get(json_array_get(m, i), "data"), JSON_COMPACT);
    snprintf(buf, len, "%s", text);
    free(text);
    return buf;
}

/* docs/PROTOCOL.md §2, "Subscribing in the URL": ?symbols= is the first
 * subscribe, answered behind the welcome with nothing sent after the GET. */
START_TEST(a_subscription_in_the_url_is_answered_behind_the_welcome)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    char buf[1024];
    int fd;
    json_t *m = messages_for("/ws?symbols=ETH", 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 3);
    ck_assert_str_eq(event_of(m, 0), "welcome");
    ck_assert_str_eq(event_of(m, 1), "subscribed");
    ck_assert_str_eq(data_of(m, 1, buf, sizeof buf), "{\"symbols\":[\"ETH\"]}");
    ck_assert_str_eq(event_of(m, 2), "price-update-bulk"); /* the snapshot */
    ck_assert_ptr_nonnull(strstr(data_of(m, 2, buf, sizeof buf), "\"symbol\":\"ETH\""));
    ck_assert_ptr_null(strstr(buf, "BTC"));
    json_decref(m);
    close(fd);
    /* Percent-encoded, and "*" */
    m = messages_for("/ws?symbols=BTC%2CETH", 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 3);
    ck_assert_str_eq(data_of(m, 1, buf, sizeof buf), "{\"symbols\":[\"BTC\",\"ETH\"]}");
    json_decref(m);
    close(fd);
    m = messages_for("/ws?x=1&symbols=*", 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 3);
    ck_assert_str_eq(data_of(m, 1, buf, sizeof buf), "{\"symbols\":[\"*\"]}");
    json_decref(m);
    close(fd);
    /* Without it, only the welcome: the client subscribes by message. */
    m = messages_for("/ws?x=1", 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 1);
    json_decref(m);
    close(fd);
}
END_TEST

/* A mistake in the URL is an error event on the open WebSocket, as for a
 * subscribe message, never a refused handshake. */
START_TEST(a_bad_subscription_in_the_url_is_an_error_event)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    static const struct {
        const char *target, *message;
    } bad[] = {
        {"/ws?symbols=BTC,,ETH", "symbols: \"\" is an empty symbol"},
        {"/ws?symbols=BTC,BTC", "symbols: \"BTC\" is repeated"},
        {"/ws?symbols=%zz", "symbols is not a valid query value (a bad %-escape or a NUL)"},
        {"/ws?since=5000-0", "since needs symbols in the URL"},
        {"/ws?symbols=BTC&since=%00", "since is not a valid query value (a bad %-escape or a NUL)"},
    };
    char buf[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd;
        json_t *m = messages_for(bad[i].target, 300, &fd);
        ck_assert_msg(json_array_size(m) == 2, "%s: %zu messages", bad[i].target,
                      json_array_size(m));
        ck_assert_str_eq(event_of(m, 1), "error");
        json_t *data = json_object_get(json_array_get(m, 1), "data");
        ck_assert_str_eq(json_string_value(json_object_get(data, "code")), "bad_request");
        ck_assert_str_eq(json_string_value(json_object_get(data, "message")), bad[i].message);
        json_decref(m);
        close(fd);
    }
    /* A since longer than any tick id is a malformed one: "*" is
     * subscribed and the client told, by the snapshot, that it missed ticks. */
    int sfd;
    json_t *sm = messages_for("/ws?symbols=*&since=1234567890123456789012345678901234567890-"
                              "1234567890",
                              300, &sfd);
    ck_assert_uint_eq(json_array_size(sm), 3);
    ck_assert_str_eq(data_of(sm, 1, buf, sizeof buf), "{\"symbols\":[\"*\"]}");
    ck_assert_str_eq(event_of(sm, 2), "price-update-bulk");
    ck_assert_ptr_nonnull(strstr(data_of(sm, 2, buf, sizeof buf), "\"snapshot\":true"));
    json_decref(sm);
    close(sfd);
    /* A symbol the feed does not carry: the rest still applies. */
    int fd;
    json_t *m = messages_for("/ws?symbols=DOGE,BTC", 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 4);
    ck_assert_str_eq(event_of(m, 1), "error");
    ck_assert_ptr_nonnull(strstr(data_of(m, 1, buf, sizeof buf), "\"unknown_symbol\""));
    ck_assert_str_eq(data_of(m, 2, buf, sizeof buf), "{\"symbols\":[\"BTC\"]}");
    json_decref(m);
    close(fd);
}
END_TEST

/* target + "?symbols=" and n symbols named prefix + a number, each
 * width characters long, in out (len bytes); the feed's list in feed. */
static void symbol_list(char *out, size_t len, char *feed, size_t feedlen, int n, int width)
{
    size_t used = (size_t)snprintf(out, len, "/ws?symbols=");
    feed[0] = '\0';
    for (int i = 0; i < n; i++) {
        char sym[PRICE_SYMBOL_MAX];
        snprintf(sym, sizeof sym, "S%0*d", width - 1, i);
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", sym);
        size_t f = strlen(feed);
        snprintf(feed + f, feedlen - f, "%s%s", i ? "," : "", sym);
    }
}

/* As many symbols as a request may name (HUB_MAX_SYMBOLS_PER_REQUEST, the
 * default MAX_SUBSCRIPTIONS) fit in the URL, whatever the length of their
 * list up to the request target's limit (HTTP_URL_MAX); one more is refused
 * as such. */
START_TEST(the_url_holds_as_many_symbols_as_a_request_may_name)
{
    gw_fixture_start(&fx, NULL);
    static char target[8192], feed[8192];
    symbol_list(target, sizeof target, feed, sizeof feed, HUB_MAX_SYMBOLS_PER_REQUEST, 5);
    ck_assert_uint_gt(strlen(target), 1500);
    gw_fixture_symbols(&fx, feed);
    int fd;
    json_t *m = messages_for(target, 300, &fd);
    ck_assert_str_eq(event_of(m, 1), "subscribed");
    json_t *subscribed = json_object_get(json_object_get(json_array_get(m, 1), "data"), "symbols");
    ck_assert_uint_eq(json_array_size(subscribed), HUB_MAX_SYMBOLS_PER_REQUEST);
    json_decref(m);
    close(fd);
    symbol_list(target, sizeof target, feed, sizeof feed, HUB_MAX_SYMBOLS_PER_REQUEST + 1, 5);
    m = messages_for(target, 300, &fd);
    ck_assert_uint_eq(json_array_size(m), 2);
    json_t *data = json_object_get(json_array_get(m, 1), "data");
    ck_assert_str_eq(json_string_value(json_object_get(data, "message")),
                     "symbols: \"S0256\" is one too many");
    json_decref(m);
    close(fd);
}
END_TEST

START_TEST(an_idle_client_keeps_no_frame_parser)
{
    gw_fixture_start(&fx, NULL);
    struct conn *server = NULL;
    int fd = gw_fixture_client(&fx, &server);
    char *got = gw_fixture_ask(
        &fx, fd,
        UPGRADE "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        2000, NULL);
    ck_assert_msg(strstr(got, "permessage-deflate") != NULL, "%s", got);
    free(got);
    ck_assert_ptr_nonnull(server);
    ck_assert_ptr_null(server->ws);
    /* A ping split after its first byte. */
    uint8_t out[256];
    size_t len = client_frame(out, 0x89, "split", 5, true);
    send_all(fd, out, 1);
    gw_fixture_run(&fx, 50);
    ck_assert_ptr_nonnull(server->ws);
    send_all(fd, out + 1, len - 1);
    size_t n;
    unsigned char *pong = (unsigned char *)gw_fixture_read(&fx, fd, 2000, &n);
    ck_assert_uint_eq(n, 7);
    ck_assert_uint_eq(pong[0], 0x8a);
    ck_assert(memcmp(pong + 2, "split", 5) == 0);
    free(pong);
    ck_assert_ptr_null(server->ws);
    /* A compressed (RSV1) ping message: accepted, answered with a pong. */
    const char msg[] = "{\"event\":\"ping\",\"data\":{\"id\":7,\"ts\":1}}";
    struct deflate_ctx *dc = deflate_ctx_new();
    uint8_t z[256];
    size_t zlen;
    ck_assert_int_eq(deflate_compress(dc, (const uint8_t *)msg, strlen(msg), z, sizeof z, &zlen),
                     CP_OK);
    deflate_ctx_free(dc);
    len = client_frame(out, 0xc1, z, zlen, true);
    send_all(fd, out, len);
    got = gw_fixture_read(&fx, fd, 2000, &n);
    ck_assert_msg(n > 2 && got[0] == (char)0x81, "no text frame back");
    ck_assert_msg(memmem(got, n, "\"event\":\"pong\"", 14) != NULL, "%.*s", (int)n, got);
    free(got);
    ck_assert_ptr_null(server->ws);
    close(fd);
}
END_TEST

static Suite *websocket_suite(void)
{
    Suite *s = suite_create("websocket");
    TCase *t = tcase_create("handshake");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, handshake_answers_101_with_the_accept_key_then_welcomes);
    tcase_add_test(t, handshake_agrees_permessage_deflate_when_offered);
    tcase_add_test(t, handshake_refusals_carry_the_right_status);
    suite_add_tcase(s, t);
    t = tcase_create("frames");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_ping_is_answered_with_a_pong_of_the_same_payload);
    tcase_add_test(t, a_close_is_echoed_with_its_code);
    tcase_add_test(t, a_close_without_a_code_is_echoed_empty);
    tcase_add_test(t, a_binary_message_is_closed_with_1003);
    tcase_add_test(t, an_unmasked_client_frame_is_closed_with_1002);
    tcase_add_test(t, a_reserved_opcode_is_closed_with_1002);
    tcase_add_test(t, invalid_utf8_is_closed_with_1007);
    tcase_add_test(t, a_message_over_max_message_bytes_is_closed_with_1009);
    tcase_add_test(t, a_client_that_keeps_flooding_is_closed_with_1008);
    tcase_add_test(t, a_flooding_client_gets_its_close_not_a_reset);
    tcase_add_test(t, a_silent_client_is_pinged_then_closed_with_1001);
    tcase_add_test(t, a_pong_keeps_a_pinged_client_open);
    tcase_add_test(t, an_idle_client_keeps_no_frame_parser);
    tcase_add_test(t, a_subscription_in_the_url_is_answered_behind_the_welcome);
    tcase_add_test(t, a_bad_subscription_in_the_url_is_an_error_event);
    tcase_add_test(t, the_url_holds_as_many_symbols_as_a_request_may_name);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(websocket_suite)
