/* check_msg: gateway/msg.c — a broadcast message encoded once into its
 * WebSocket, SSE and deflated bytes, shared by reference and freed with its
 * last reference. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "deflate.h"
#include "latency.h"
#include "msg.h"
#include "price.h"
#include "deflate_assert.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char data[] = "{\"symbol\":\"BTC\",\"price\":1.5}";
static const char envelope[] =
    "{\"event\":\"price-update\",\"data\":{\"symbol\":\"BTC\",\"price\":1.5}}";

static struct msg *price_msg(const char *sse_id, struct deflate_ctx *deflate)
{
    return msg_new("price-update", data, strlen(data), sse_id, deflate);
}

/* What out holds, as a NUL-terminated copy; out is left as it was. */
static char *contents(struct evbuffer *out, size_t *len)
{
    *len = evbuffer_get_length(out);
    char *s = malloc(*len + 1);
    evbuffer_copyout(out, s, *len);
    s[*len] = '\0';
    return s;
}

/* Queue m for t on a fresh buffer and return its bytes. */
static char *bytes_of(struct msg *m, enum msg_transport t, size_t *len)
{
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(msg_send(m, out, t), CP_OK);
    char *s = contents(out, len);
    ck_assert_uint_eq(*len, msg_len(m, t));
    evbuffer_free(out);
    return s;
}

/* RFC 6455 §5.2: FIN + text opcode, unmasked, 7-bit length, the envelope. */
START_TEST(websocket_bytes_are_one_unmasked_text_frame)
{
    struct msg *m = price_msg("5-0", NULL);
    size_t len;
    char *s = bytes_of(m, MSG_WS, &len);
    ck_assert_uint_eq((unsigned char)s[0], 0x81);
    ck_assert_uint_eq((unsigned char)s[1], strlen(envelope));
    ck_assert_uint_eq(len, 2 + strlen(envelope));
    ck_assert_str_eq(s + 2, envelope);
    free(s);
    msg_unref(m);
}
END_TEST

/* Payloads of 126..65535 bytes take a 16-bit length, larger a 64-bit one. */
START_TEST(long_payloads_take_extended_lengths)
{
    static const size_t sizes[] = {200, 70000};
    for (int i = 0; i < 2; i++) {
        size_t n = sizes[i];
        char *big = malloc(n + 1);
        memset(big, 'x', n);
        big[0] = big[n - 1] = '"';
        big[n] = '\0';
        struct msg *m = msg_new("e", big, n, NULL, NULL);
        size_t len, body = n + strlen("{\"event\":\"e\",\"data\":}");
        char *s = bytes_of(m, MSG_WS, &len);
        const unsigned char *u = (const unsigned char *)s;
        if (i == 0) {
            ck_assert_uint_eq(u[1], 126);
            ck_assert_uint_eq((size_t)u[2] << 8 | u[3], body);
            ck_assert_uint_eq(len, 4 + body);
        } else {
            ck_assert_uint_eq(u[1], 127);
            size_t got = 0;
            for (int k = 2; k < 10; k++)
                got = got << 8 | u[k];
            ck_assert_uint_eq(got, body);
            ck_assert_uint_eq(len, 10 + body);
        }
        free(s);
        msg_unref(m);
        free(big);
    }
}
END_TEST

/* docs/PROTOCOL.md §3: the SSE event has its id first; MSG_SSE_PART is the same
 * event without that line. */
START_TEST(sse_bytes_carry_the_id_and_the_part_leaves_it_out)
{
    struct msg *m = price_msg("7-1", NULL);
    size_t len, plen;
    char *s = bytes_of(m, MSG_SSE, &len), *p = bytes_of(m, MSG_SSE_PART, &plen);
    const char *event = "event: price-update\ndata: {\"symbol\":\"BTC\",\"price\":1.5}\n\n";
    ck_assert_str_eq(p, event);
    ck_assert_uint_eq(len, strlen("id: 7-1\n") + plen);
    ck_assert_int_eq(strncmp(s, "id: 7-1\n", 8), 0);
    ck_assert_str_eq(s + 8, event);
    free(s);
    free(p);
    msg_unref(m);
    m = price_msg(NULL, NULL); /* no id: both are the bare event */
    s = bytes_of(m, MSG_SSE, &len);
    p = bytes_of(m, MSG_SSE_PART, &plen);
    ck_assert_str_eq(s, event);
    ck_assert_str_eq(p, event);
    free(s);
    free(p);
    msg_unref(m);
}
END_TEST

START_TEST(sse_id_block_is_the_id_alone)
{
    struct msg *m = msg_sse_id_new("9-3");
    size_t len;
    char *s = bytes_of(m, MSG_SSE, &len);
    ck_assert_str_eq(s, "id: 9-3\n\n");
    free(s);
    msg_unref(m);
}
END_TEST

/* RFC 7692 §7.2.1: RSV1 set, and the payload inflates to the envelope. */
START_TEST(deflated_bytes_inflate_to_the_frame_payload)
{
    struct deflate_ctx *dc = deflate_ctx_new();
    struct msg *m = price_msg("5-0", dc);
    size_t len;
    char *s = bytes_of(m, MSG_WS_DEFLATE, &len);
    const unsigned char *u = (const unsigned char *)s;
    ck_assert_uint_eq(u[0], 0xc1); /* FIN, RSV1, text */
    ck_assert_uint_lt(u[1], 126);
    ck_assert_uint_eq(len, 2 + (size_t)u[1]);
    struct deflate_params params = {true, true, 15, 15};
    struct deflate_inflater *inf = deflate_inflater_new(&params);
    uint8_t plain[256];
    size_t n;
    ck_assert_int_eq(deflate_inflate(inf, u + 2, len - 2, plain, sizeof plain, &n), CP_OK);
    ck_assert_uint_eq(n, strlen(envelope));
    ck_assert_int_eq(memcmp(plain, envelope, n), 0);
    deflate_inflater_free(inf);
    free(s);
    msg_unref(m);
    deflate_ctx_free(dc);
}
END_TEST

/* Without a compressor a deflate client gets the plain frame. */
START_TEST(no_compressor_sends_deflate_clients_the_plain_frame)
{
    struct msg *m = price_msg("5-0", NULL);
    size_t len, dlen;
    char *s = bytes_of(m, MSG_WS, &len), *d = bytes_of(m, MSG_WS_DEFLATE, &dlen);
    ck_assert_uint_eq(len, dlen);
    ck_assert_int_eq(memcmp(s, d, len), 0);
    free(s);
    free(d);
    msg_unref(m);
}
END_TEST

/* Encoded once: every subscriber's buffer points at the same bytes (no
 * copy), deflated ones too, and they stay valid after the creator's unref. */
START_TEST(subscribers_share_one_copy_of_each_encoding)
{
    struct deflate_ctx *dc = deflate_ctx_new();
    struct msg *m = price_msg("5-0", dc);
    static const enum msg_transport ts[] = {MSG_WS, MSG_SSE, MSG_WS_DEFLATE, MSG_SSE_PART};
    for (int i = 0; i < 4; i++) {
        struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
        ck_assert_int_eq(msg_send(m, a, ts[i]), CP_OK);
        ck_assert_int_eq(msg_send(m, b, ts[i]), CP_OK);
        struct evbuffer_iovec va, vb;
        ck_assert_int_eq(evbuffer_peek(a, -1, NULL, &va, 1), 1);
        ck_assert_int_eq(evbuffer_peek(b, -1, NULL, &vb, 1), 1);
        ck_assert_ptr_eq(va.iov_base, vb.iov_base);
        ck_assert_uint_eq(va.iov_len, msg_len(m, ts[i]));
        evbuffer_free(a);
        evbuffer_free(b);
    }
    struct evbuffer *late = evbuffer_new();
    ck_assert_int_eq(msg_send(m, late, MSG_SSE), CP_OK);
    msg_unref(m); /* the buffer's reference keeps the bytes */
    size_t len;
    char *s = contents(late, &len);
    ck_assert_int_eq(strncmp(s, "id: 5-0\nevent: price-update\n", 28), 0);
    free(s);
    evbuffer_free(late);
    deflate_ctx_free(dc);
}
END_TEST

/* msg_observe: the latency is counted once, when the last reference goes —
 * after every subscriber's bytes are written — and never for an unsent one. */
START_TEST(latency_is_counted_when_the_last_reference_goes)
{
    struct latency_hist h;
    memset(&h, 0, sizeof h);
    struct msg *m = price_msg("5-0", NULL);
    msg_observe(m, &h, price_now_ms());
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
    msg_send(m, a, MSG_WS);
    msg_send(m, b, MSG_SSE);
    msg_unref(m);
    evbuffer_drain(a, evbuffer_get_length(a));
    ck_assert_uint_eq(h.count, 0); /* b still holds it */
    evbuffer_free(b);
    ck_assert_uint_eq(h.count, 1);
    evbuffer_free(a);
    ck_assert_uint_eq(h.count, 1);
    m = price_msg("6-0", NULL);
    msg_observe(m, &h, price_now_ms());
    msg_unref(m);
    ck_assert_uint_eq(h.count, 1);
    msg_unref(NULL);
}
END_TEST

/* msg_write: straight to an idle socket, nothing queued; behind queued bytes
 * or without a socket, queued in order. */
START_TEST(direct_write_goes_to_the_socket_unless_bytes_wait)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct msg *m = price_msg("5-0", NULL);
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(msg_write(m, sv[0], out, evbuffer_get_length(out), MSG_SSE), CP_OK);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    char buf[256];
    ssize_t n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    ck_assert_int_eq(n, (ssize_t)msg_len(m, MSG_SSE));
    ck_assert_int_eq(strncmp(buf, "id: 5-0\n", 8), 0);
    evbuffer_add(out, "x", 1);
    ck_assert_int_eq(msg_write(m, sv[0], out, evbuffer_get_length(out), MSG_WS), CP_OK);
    ck_assert_uint_eq(evbuffer_get_length(out), 1 + msg_len(m, MSG_WS));
    ck_assert_int_lt(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0);
    evbuffer_drain(out, evbuffer_get_length(out));
    ck_assert_int_eq(msg_write(m, -1, out, evbuffer_get_length(out), MSG_WS), CP_OK);
    ck_assert_uint_eq(evbuffer_get_length(out), msg_len(m, MSG_WS));
    evbuffer_free(out);
    msg_unref(m);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(unicast_reply_is_a_copied_text_frame)
{
    struct evbuffer *out = evbuffer_new();
    msg_ws_append(out, "price-update", data);
    size_t len;
    char *s = contents(out, &len);
    ck_assert_uint_eq((unsigned char)s[0], 0x81);
    ck_assert_uint_eq((unsigned char)s[1], strlen(envelope));
    ck_assert_str_eq(s + 2, envelope);
    free(s);
    evbuffer_free(out);
}
END_TEST

/* The frame a deflate subscriber gets: FIN, RSV1 and opcode text (RFC 7692
 * §6), unmasked; *payload and *n: where its payload is in frame. */
static void parse_server_frame(const uint8_t *frame, size_t len, const uint8_t **payload, size_t *n)
{
    ck_assert_uint_ge(len, 2);
    ck_assert_uint_eq(frame[0], 0xC1);
    ck_assert_uint_eq(frame[1] & 0x80, 0);
    size_t h = 2, plen = frame[1] & 0x7f;
    if (plen == 126) {
        plen = (size_t)frame[2] << 8 | frame[3];
        h = 4;
    } else if (plen == 127) {
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | frame[2 + i];
        h = 10;
    }
    ck_assert_uint_eq(h + plen, len);
    *payload = frame + h;
    *n = plen;
}

/* The JSON envelope msg_new() builds around data of len bytes. */
static char *envelope_of(const char *event, const char *data, size_t len)
{
    size_t n = strlen(event) + len + 64;
    char *s = malloc(n);
    snprintf(s, n, "{\"event\":\"%s\",\"data\":%.*s}", event, (int)len, data);
    return s;
}

/* data for the broadcast frames: a price, and JSON strings whose compressed
 * frames need a 16-bit and a 64-bit length. */
static char *broadcast_data(int i, size_t *len)
{
    static const char price[] =
        "{\"symbol\":\"BTC\",\"price\":97123.45,\"id\":\"1764442000123-0\"}";
    static const size_t lens[] = {sizeof price - 1, 2000, 200000};
    *len = lens[i];
    char *d = malloc(*len + 1);
    if (i == 0) {
        memcpy(d, price, *len);
        return d;
    }
    srand(6455 + i);
    d[0] = '"';
    for (size_t k = 1; k + 1 < *len; k++)
        d[k] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[rand() % 64];
    d[*len - 1] = '"';
    return d;
}

START_TEST(broadcast_frame_is_rsv1_without_the_sync_tail)
{
    struct deflate_ctx *c = deflate_ctx_new();
    size_t len, flen, n;
    char *bdata = broadcast_data(_i, &len);
    char *want = envelope_of("price-update", bdata, len);
    struct msg *m = msg_new("price-update", bdata, len, "1764442000123-0", c);
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(msg_send(m, out, MSG_WS_DEFLATE), CP_OK);
    flen = evbuffer_get_length(out);
    ck_assert_uint_eq(flen, msg_len(m, MSG_WS_DEFLATE));
    const uint8_t *frame = evbuffer_pullup(out, -1), *payload;
    parse_server_frame(frame, flen, &payload, &n);
    ck_assert_uint_lt(n, strlen(want)); /* compressed, not the plain frame with RSV1 */
    z_stream inf;
    raw_inflater_init(&inf);
    assert_payload_inflates_to(&inf, payload, n, (const uint8_t *)want, strlen(want));
    inflateEnd(&inf);
    evbuffer_free(out);
    msg_unref(m);
    free(want);
    free(bdata);
    deflate_ctx_free(c);
}
END_TEST

/* The fan-out's direct write sends the same compressed frame. */
START_TEST(broadcast_frame_written_to_a_socket_is_without_the_sync_tail)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct deflate_ctx *c = deflate_ctx_new();
    size_t len, n;
    char *bdata = broadcast_data(0, &len);
    char *want = envelope_of("price-update", bdata, len);
    struct msg *m = msg_new("price-update", bdata, len, "1764442000123-0", c);
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(msg_write(m, sv[0], out, evbuffer_get_length(out), MSG_WS_DEFLATE), CP_OK);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    uint8_t frame[512];
    const uint8_t *payload;
    ssize_t got = read(sv[1], frame, sizeof frame);
    ck_assert_int_eq(got, (ssize_t)msg_len(m, MSG_WS_DEFLATE));
    parse_server_frame(frame, (size_t)got, &payload, &n);
    z_stream inf;
    raw_inflater_init(&inf);
    assert_payload_inflates_to(&inf, payload, n, (const uint8_t *)want, strlen(want));
    inflateEnd(&inf);
    evbuffer_free(out);
    msg_unref(m);
    free(want);
    free(bdata);
    deflate_ctx_free(c);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Socket.IO (docs/PROTOCOL.md §7): the Engine.IO message 42["event",data]
 * in one unmasked text frame (MSG_SIO_WS), and after a record separator for
 * a long-polling queue (MSG_SIO_POLL). */
static const char sio_packet[] = "42[\"price-update\",{\"symbol\":\"BTC\",\"price\":1.5}]";

START_TEST(socketio_websocket_bytes_are_one_frame_of_the_event_packet)
{
    struct msg *m = price_msg("5-0", NULL);
    size_t len;
    char *s = bytes_of(m, MSG_SIO_WS, &len);
    ck_assert_uint_eq(len, 2 + strlen(sio_packet));
    ck_assert_uint_eq((unsigned char)s[0], 0x81);
    ck_assert_uint_eq((unsigned char)s[1], strlen(sio_packet));
    ck_assert_str_eq(s + 2, sio_packet);
    free(s);
    /* The other forms are untouched by building these. */
    s = bytes_of(m, MSG_WS, &len);
    ck_assert_str_eq(s + 2, envelope);
    free(s);
    msg_unref(m);
}
END_TEST

START_TEST(socketio_polling_bytes_are_the_packet_after_a_record_separator)
{
    struct msg *m = price_msg(NULL, NULL);
    size_t len;
    char *s = bytes_of(m, MSG_SIO_POLL, &len);
    ck_assert_uint_eq(len, 1 + strlen(sio_packet));
    ck_assert_str_eq(s, "\x1e"
                        "42[\"price-update\",{\"symbol\":\"BTC\",\"price\":1.5}]");
    free(s);
    msg_unref(m);
}
END_TEST

/* Data that is not an object, with quotes and braces inside strings, and a
 * frame long enough for a 16-bit length. */
START_TEST(socketio_forms_keep_any_data_whole)
{
    static const char tricky[] = "[{\"m\":\"}\\\"{\"},2]";
    struct msg *m = msg_new("error", tricky, strlen(tricky), NULL, NULL);
    size_t len;
    char *s = bytes_of(m, MSG_SIO_POLL, &len);
    ck_assert_str_eq(s, "\x1e"
                        "42[\"error\",[{\"m\":\"}\\\"{\"},2]]");
    free(s);
    msg_unref(m);
    char big[400];
    int n = snprintf(big, sizeof big, "{\"pad\":\"%0300d\"}", 7);
    m = msg_new("price-update-bulk", big, (size_t)n, "9-0", NULL);
    s = bytes_of(m, MSG_SIO_WS, &len);
    size_t payload = strlen("42[\"price-update-bulk\",]") + (size_t)n;
    ck_assert_uint_eq(len, 4 + payload);
    ck_assert_uint_eq((unsigned char)s[1], 126);
    ck_assert_uint_eq(((unsigned char)s[2] << 8) | (unsigned char)s[3], payload);
    ck_assert_int_eq(strncmp(s + 4, "42[\"price-update-bulk\",{\"pad\":\"000", 30), 0);
    ck_assert_uint_eq((unsigned char)s[len - 1], ']');
    free(s);
    msg_unref(m);
}
END_TEST

/* Built once, on first use, then shared by reference like the others; the
 * fan-out's direct write sends the same bytes. */
START_TEST(socketio_subscribers_share_one_copy)
{
    struct msg *m = price_msg("5-0", NULL);
    static const enum msg_transport ts[] = {MSG_SIO_WS, MSG_SIO_POLL};
    for (int i = 0; i < 2; i++) {
        struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
        ck_assert_int_eq(msg_send(m, a, ts[i]), CP_OK);
        ck_assert_int_eq(msg_send(m, b, ts[i]), CP_OK);
        struct evbuffer_iovec va, vb;
        ck_assert_int_eq(evbuffer_peek(a, -1, NULL, &va, 1), 1);
        ck_assert_int_eq(evbuffer_peek(b, -1, NULL, &vb, 1), 1);
        ck_assert_ptr_eq(va.iov_base, vb.iov_base);
        ck_assert_uint_eq(va.iov_len, msg_len(m, ts[i]));
        evbuffer_free(a);
        evbuffer_free(b);
    }
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(msg_write(m, sv[0], out, evbuffer_get_length(out), MSG_SIO_WS), CP_OK);
    ck_assert_uint_eq(evbuffer_get_length(out), 0); /* all went to the socket */
    char got[128];
    ssize_t r = recv(sv[1], got, sizeof got - 1, 0);
    ck_assert_int_eq(r, (ssize_t)(2 + strlen(sio_packet)));
    got[r] = '\0';
    ck_assert_str_eq(got + 2, sio_packet);
    struct evbuffer *late = evbuffer_new();
    ck_assert_int_eq(msg_send(m, late, MSG_SIO_POLL), CP_OK);
    msg_unref(m); /* the buffer's reference keeps the bytes */
    size_t len;
    char *s = contents(late, &len);
    ck_assert_str_eq(s + 1, sio_packet);
    free(s);
    evbuffer_free(late);
    evbuffer_free(out);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static Suite *msg_suite(void)
{
    Suite *s = suite_create("msg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, websocket_bytes_are_one_unmasked_text_frame);
    tcase_add_test(tc, long_payloads_take_extended_lengths);
    tcase_add_test(tc, sse_bytes_carry_the_id_and_the_part_leaves_it_out);
    tcase_add_test(tc, sse_id_block_is_the_id_alone);
    tcase_add_test(tc, deflated_bytes_inflate_to_the_frame_payload);
    tcase_add_test(tc, no_compressor_sends_deflate_clients_the_plain_frame);
    tcase_add_test(tc, subscribers_share_one_copy_of_each_encoding);
    tcase_add_test(tc, latency_is_counted_when_the_last_reference_goes);
    tcase_add_test(tc, direct_write_goes_to_the_socket_unless_bytes_wait);
    tcase_add_test(tc, unicast_reply_is_a_copied_text_frame);
    suite_add_tcase(s, tc);
    tc = tcase_create("socketio");
    tcase_add_test(tc, socketio_websocket_bytes_are_one_frame_of_the_event_packet);
    tcase_add_test(tc, socketio_polling_bytes_are_the_packet_after_a_record_separator);
    tcase_add_test(tc, socketio_forms_keep_any_data_whole);
    tcase_add_test(tc, socketio_subscribers_share_one_copy);
    suite_add_tcase(s, tc);
    tc = tcase_create("deflate_tail_removed");
    tcase_add_loop_test(tc, broadcast_frame_is_rsv1_without_the_sync_tail, 0, 3);
    tcase_add_test(tc, broadcast_frame_written_to_a_socket_is_without_the_sync_tail);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(msg_suite)
