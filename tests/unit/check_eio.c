/* Unit tests of gateway/eio.c: the Engine.IO v4 packet and payload codecs
 * and the Socket.IO v5 packet codec, on the examples of the two protocol
 * specifications (engine.io-protocol, socket.io-protocol "Packet encoding")
 * and on malformed input.  Every input is copied to a buffer of its exact
 * size without a terminating NUL, so that valgrind sees a read past it. */
#include "config.h"

#include "check_main.h"
#include "eio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

#define RS "\x1e" /* EIO_SEPARATOR in a string literal */

/* s (len bytes) on the heap, without its NUL. */
static char *exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, s, len);
    return copy;
}

/* --- Engine.IO packets ------------------------------------------------ */

/* Parses s; on success checks the type and that data is the rest of s. */
static int eio_parse(const char *s, size_t len, enum eio_type *type, char *data, size_t cap)
{
    char *in = exact(s, len);
    const char *d = NULL;
    size_t dlen = 0;
    int rc = eio_packet_parse(in, len, type, &d, &dlen);
    if (rc == 0) {
        ck_assert_ptr_eq(d, in + 1);
        ck_assert_uint_eq(dlen, len - 1);
        ck_assert_uint_lt(dlen, cap);
        memcpy(data, d, dlen);
        data[dlen] = '\0';
    }
    free(in);
    return rc;
}

static void assert_eio(const char *s, enum eio_type want, const char *want_data)
{
    enum eio_type type = (enum eio_type) - 1;
    char data[256];
    ck_assert_msg(eio_parse(s, strlen(s), &type, data, sizeof data) == 0, "refused: %s", s);
    ck_assert_int_eq(type, want);
    ck_assert_str_eq(data, want_data);
}

START_TEST(eio_packet_parse_reads_every_type)
{
    static const char open_data[] =
        "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
        "\"pingInterval\":25000,\"pingTimeout\":5000,"
        "\"maxPayload\":1000000}";
    char open[sizeof open_data + 1];
    snprintf(open, sizeof open, "0%s", open_data);
    assert_eio(open, EIO_OPEN, open_data);
    assert_eio("1", EIO_CLOSE, "");
    assert_eio("2", EIO_PING, "");
    assert_eio("2probe", EIO_PING, "probe");
    assert_eio("3probe", EIO_PONG, "probe");
    assert_eio("4hello", EIO_MESSAGE, "hello");
    assert_eio("4", EIO_MESSAGE, "");
    assert_eio("42[\"hey\",\"Jude\"]", EIO_MESSAGE, "2[\"hey\",\"Jude\"]");
    assert_eio("4\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", EIO_MESSAGE,
               "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
    assert_eio("5", EIO_UPGRADE, "");
    assert_eio("6", EIO_NOOP, "");
}
END_TEST

START_TEST(eio_packet_parse_refuses_empty_unknown_and_binary_packets)
{
    static const char *const bad[] = {"7",       "8hello", "9",       "x", "/",
                                      " 4hello", "bAQID",  "b4hello", "B", "\x1e"};
    enum eio_type type = EIO_NOOP;
    char data[64];
    ck_assert_int_eq(eio_parse("", 0, &type, data, sizeof data), -1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(eio_parse(bad[i], strlen(bad[i]), &type, data, sizeof data) == -1,
                      "accepted: %s", bad[i]);
    ck_assert_int_eq(eio_parse("\0"
                               "4",
                               2, &type, data, sizeof data),
                     -1);
    ck_assert_int_eq(type, EIO_NOOP); /* untouched when refused */
}
END_TEST

START_TEST(eio_error_messages_are_engine_io_s)
{
    ck_assert_str_eq(eio_error_message(EIO_ERR_TRANSPORT_UNKNOWN), "Transport unknown");
    ck_assert_str_eq(eio_error_message(EIO_ERR_SESSION_UNKNOWN), "Session ID unknown");
    ck_assert_str_eq(eio_error_message(EIO_ERR_BAD_HANDSHAKE_METHOD), "Bad handshake method");
    ck_assert_str_eq(eio_error_message(EIO_ERR_BAD_REQUEST), "Bad request");
    ck_assert_str_eq(eio_error_message(EIO_ERR_FORBIDDEN), "Forbidden");
    ck_assert_str_eq(eio_error_message(EIO_ERR_UNSUPPORTED_VERSION),
                     "Unsupported protocol version");
    ck_assert_str_eq(eio_error_message((enum eio_error)42), "Bad request");
}
END_TEST

/* --- Engine.IO payloads ----------------------------------------------- */

#define MAX_PKTS 8

/* Splits payload (len bytes) into pkts (NUL-terminated copies); returns
 * how many packets eio_payload_next gave. */
static size_t split(const char *payload, size_t len, char pkts[MAX_PKTS][64])
{
    char *in = exact(payload, len);
    size_t pos = 0, n = 0, pkt_len = 0;
    const char *pkt = NULL;
    while (eio_payload_next(in, len, &pos, &pkt, &pkt_len)) {
        ck_assert_uint_lt(n, MAX_PKTS);
        ck_assert(pkt >= in && pkt + pkt_len <= in + len);
        ck_assert_uint_lt(pkt_len, 64);
        memcpy(pkts[n], pkt, pkt_len);
        pkts[n][pkt_len] = '\0';
        n++;
    }
    ck_assert(!eio_payload_next(in, len, &pos, &pkt, &pkt_len)); /* stays used up */
    free(in);
    return n;
}

START_TEST(a_payload_of_one_packet_is_that_packet)
{
    char pkts[MAX_PKTS][64];
    ck_assert_uint_eq(split("4hello", 6, pkts), 1);
    ck_assert_str_eq(pkts[0], "4hello");
    ck_assert_uint_eq(split("40", 2, pkts), 1);
    ck_assert_str_eq(pkts[0], "40");
}
END_TEST

START_TEST(a_payload_splits_at_each_record_separator)
{
    char pkts[MAX_PKTS][64];
    static const char two[] = "4hello" RS "4\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";
    ck_assert_uint_eq(split(two, sizeof two - 1, pkts), 2);
    ck_assert_str_eq(pkts[0], "4hello");
    ck_assert_str_eq(pkts[1], "4\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");

    static const char three[] = "2probe" RS "4test" RS "1";
    ck_assert_uint_eq(split(three, sizeof three - 1, pkts), 3);
    ck_assert_str_eq(pkts[0], "2probe");
    ck_assert_str_eq(pkts[1], "4test");
    ck_assert_str_eq(pkts[2], "1");

    /* The sample session's POST: two events of the client. */
    static const char post[] = "42[\"hello\"]" RS "42[\"world\"]";
    ck_assert_uint_eq(split(post, sizeof post - 1, pkts), 2);
    ck_assert_str_eq(pkts[0], "42[\"hello\"]");
    ck_assert_str_eq(pkts[1], "42[\"world\"]");
}
END_TEST

START_TEST(empty_packets_between_separators_are_given_as_empty)
{
    char pkts[MAX_PKTS][64];
    static const char mid[] = "4a" RS RS "4b";
    ck_assert_uint_eq(split(mid, sizeof mid - 1, pkts), 3);
    ck_assert_str_eq(pkts[0], "4a");
    ck_assert_str_eq(pkts[1], "");
    ck_assert_str_eq(pkts[2], "4b");

    ck_assert_uint_eq(split("\x1e", 1, pkts), 2);
    ck_assert_str_eq(pkts[0], "");
    ck_assert_str_eq(pkts[1], "");
    ck_assert_uint_eq(split(RS RS, 2, pkts), 3);

    static const char lead[] = RS "6";
    ck_assert_uint_eq(split(lead, sizeof lead - 1, pkts), 2);
    ck_assert_str_eq(pkts[0], "");
    ck_assert_str_eq(pkts[1], "6");
}
END_TEST

START_TEST(a_trailing_separator_ends_with_one_empty_packet)
{
    char pkts[MAX_PKTS][64];
    static const char trail[] = "4a" RS;
    ck_assert_uint_eq(split(trail, sizeof trail - 1, pkts), 2);
    ck_assert_str_eq(pkts[0], "4a");
    ck_assert_str_eq(pkts[1], "");
}
END_TEST

START_TEST(an_empty_payload_has_no_packet)
{
    char pkts[MAX_PKTS][64];
    ck_assert_uint_eq(split("", 0, pkts), 0);
    /* A position already past the end is used up too. */
    size_t pos = 7, pkt_len = 99;
    const char *pkt = NULL;
    ck_assert(!eio_payload_next("4a", 2, &pos, &pkt, &pkt_len));
    ck_assert_ptr_null(pkt);
}
END_TEST

START_TEST(a_binary_packet_in_a_payload_splits_then_is_refused)
{
    char pkts[MAX_PKTS][64];
    static const char mixed[] = "4hello" RS "bAQID";
    enum eio_type type;
    char data[64];
    ck_assert_uint_eq(split(mixed, sizeof mixed - 1, pkts), 2);
    ck_assert_int_eq(eio_parse(pkts[0], strlen(pkts[0]), &type, data, sizeof data), 0);
    ck_assert_int_eq(type, EIO_MESSAGE);
    ck_assert_int_eq(eio_parse(pkts[1], strlen(pkts[1]), &type, data, sizeof data), -1);
}
END_TEST

/* --- Socket.IO packets ------------------------------------------------ */

/* Parses s into p (the caller clears p); err gets the reason. */
static int sio_parse_len(const char *s, size_t len, struct sio_packet *p)
{
    char *in = exact(s, len);
    err[0] = '\0';
    int rc = sio_packet_parse(in, len, p, err, sizeof err);
    free(in);
    return rc;
}

static int sio_parse(const char *s, struct sio_packet *p)
{
    return sio_parse_len(s, strlen(s), p);
}

/* p's data equals the JSON text want (NULL: p has none). */
static void assert_data(const struct sio_packet *p, const char *want)
{
    if (!want) {
        ck_assert_ptr_null(p->data);
        return;
    }
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(w);
    char *got = p->data ? json_dumps(p->data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    ck_assert_msg(p->data && json_equal(p->data, w), "data %s, wanted %s", got ? got : "(none)",
                  want);
    free(got);
    json_decref(w);
}

static void assert_sio(const char *s, enum sio_type type, const char *nsp, long long ack,
                       const char *data)
{
    struct sio_packet p;
    ck_assert_msg(sio_parse(s, &p) == 0, "refused %s: %s", s, err);
    ck_assert_int_eq(p.type, type);
    ck_assert_str_eq(p.nsp, nsp);
    ck_assert_int_eq(p.ack_id, ack);
    assert_data(&p, data);
    sio_packet_clear(&p);
    ck_assert_ptr_null(p.data);
}

/* s is refused with a reason that contains why; p is left clearable. */
static void assert_sio_bad(const char *s, const char *why)
{
    struct sio_packet p;
    ck_assert_msg(sio_parse(s, &p) == -1, "accepted: %s", s);
    ck_assert_msg(strstr(err, why) != NULL, "%s: reason \"%s\", wanted \"%s\"", s, err, why);
    sio_packet_clear(&p);
    sio_packet_clear(&p); /* twice: still fine */
}

START_TEST(connect_with_and_without_namespace_and_auth)
{
    assert_sio("0", SIO_CONNECT, "/", -1, NULL);
    assert_sio("0/admin,", SIO_CONNECT, "/admin", -1, NULL);
    assert_sio("0/admin", SIO_CONNECT, "/admin", -1, NULL); /* comma optional at the end */
    assert_sio("0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}", SIO_CONNECT, "/", -1,
               "{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
    assert_sio("0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", SIO_CONNECT, "/admin", -1,
               "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    assert_sio("0{\"token\":\"123\"}", SIO_CONNECT, "/", -1, "{\"token\":\"123\"}");
    assert_sio("0/admin,{\"token\":\"123\"}", SIO_CONNECT, "/admin", -1, "{\"token\":\"123\"}");
    assert_sio("0{}", SIO_CONNECT, "/", -1, "{}");
}
END_TEST

START_TEST(connect_data_must_be_an_object)
{
    assert_sio_bad("0[\"token\"]", "connect data must be an object");
    assert_sio_bad("0\"token\"", "connect data must be an object");
    assert_sio_bad("0/admin,null", "connect data must be an object");
    assert_sio_bad("0/admin,[]", "connect data must be an object");
    assert_sio_bad("0{\"token\":", "not JSON");
}
END_TEST

START_TEST(disconnect_with_and_without_namespace)
{
    assert_sio("1", SIO_DISCONNECT, "/", -1, NULL);
    assert_sio("1/admin,", SIO_DISCONNECT, "/admin", -1, NULL);
}
END_TEST

START_TEST(events_with_namespace_and_ack_id)
{
    assert_sio("2[\"foo\"]", SIO_EVENT, "/", -1, "[\"foo\"]");
    assert_sio("2/admin,[\"bar\"]", SIO_EVENT, "/admin", -1, "[\"bar\"]");
    assert_sio("212[\"foo\"]", SIO_EVENT, "/", 12, "[\"foo\"]");
    assert_sio("2/admin,13[\"foo\"]", SIO_EVENT, "/admin", 13, "[\"foo\"]");
    assert_sio("2/admin,456[\"project:delete\",123]", SIO_EVENT, "/admin", 456,
               "[\"project:delete\",123]");
    assert_sio("2[\"hey\",\"Jude\"]", SIO_EVENT, "/", -1, "[\"hey\",\"Jude\"]");
    assert_sio("20[\"ping\"]", SIO_EVENT, "/", 0, "[\"ping\"]");
    assert_sio("2[\"subscribe\",[\"BTC\",\"ETH\"]]", SIO_EVENT, "/", -1,
               "[\"subscribe\",[\"BTC\",\"ETH\"]]");
    assert_sio("27[\"subscribe\",{\"symbols\":[\"BTC\"]}]", SIO_EVENT, "/", 7,
               "[\"subscribe\",{\"symbols\":[\"BTC\"]}]");
    /* A comma inside the data is not a namespace's. */
    assert_sio("2[\"a,b\"]", SIO_EVENT, "/", -1, "[\"a,b\"]");
}
END_TEST

START_TEST(event_data_must_be_an_array_starting_with_a_string)
{
    static const char *const bad[] = {
        "2{\"event\":\"foo\"}", "2\"foo\"", "2[]",      "2/admin,[]", "2[1,\"foo\"]", "2[null]",
        "2[[\"a\"]]",           "2",        "2/admin,", "212",        "2/admin,13"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_sio_bad(bad[i], "an event must be an array starting with its name");
}
END_TEST

START_TEST(acks_with_namespace_and_ack_id)
{
    assert_sio("312[]", SIO_ACK, "/", 12, "[]");
    assert_sio("3/admin,13[\"bar\"]", SIO_ACK, "/admin", 13, "[\"bar\"]");
    assert_sio("314[\"bar\"]", SIO_ACK, "/", 14, "[\"bar\"]");
    assert_sio("3/admin,456[]", SIO_ACK, "/admin", 456, "[]");
    assert_sio("3[1,2]", SIO_ACK, "/", -1, "[1,2]");
}
END_TEST

START_TEST(ack_data_must_be_an_array)
{
    assert_sio_bad("312{\"a\":1}", "an acknowledgement must be an array");
    assert_sio_bad("312\"bar\"", "an acknowledgement must be an array");
    assert_sio_bad("312", "an acknowledgement must be an array");
    assert_sio_bad("3/admin,13", "an acknowledgement must be an array");
    assert_sio_bad("3/admin,13[bar]", "not JSON");
}
END_TEST

START_TEST(connect_errors_with_and_without_namespace)
{
    assert_sio("4{\"message\":\"Not authorized\"}", SIO_CONNECT_ERROR, "/", -1,
               "{\"message\":\"Not authorized\"}");
    assert_sio("4/other,{\"message\":\"Invalid namespace\"}", SIO_CONNECT_ERROR, "/other", -1,
               "{\"message\":\"Invalid namespace\"}");
}
END_TEST

START_TEST(binary_packets_decode_with_their_attachment_count)
{
    assert_sio("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", -1,
               "[\"baz\",{\"_placeholder\":true,\"num\":0}]");
    assert_sio("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
               "\"num\":1}]",
               SIO_BINARY_EVENT, "/admin", -1,
               "[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    assert_sio("51-14[\"foo\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", 14,
               "[\"foo\",{\"_placeholder\":true,\"num\":0}]");
    assert_sio("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/", 15,
               "[\"bar\",{\"_placeholder\":true,\"num\":0}]");
    assert_sio("6123456-/admin,1[]", SIO_BINARY_ACK, "/admin", 1, "[]");
}
END_TEST

START_TEST(binary_packets_without_their_attachment_count_are_refused)
{
    static const char *const bad[] = {"5[\"baz\"]",  "6[\"bar\"]",        "5-[\"baz\"]",
                                      "51[\"baz\"]", "5/admin,[\"baz\"]", "5",
                                      "51",          "51234567-[\"baz\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_sio_bad(bad[i], "binary packet without its attachment count");
    assert_sio_bad("51-", "an event must be an array");
    assert_sio_bad("61-15", "an acknowledgement must be an array");
}
END_TEST

START_TEST(unknown_types_are_refused)
{
    static const char *const bad[] = {"7",       "7[\"foo\"]", "9", "x",          "x[\"foo\"]",
                                      "/admin,", "[\"foo\"]",  "b", " 2[\"foo\"]"};
    struct sio_packet p;
    ck_assert_int_eq(sio_parse_len("", 0, &p), -1);
    ck_assert_str_eq(err, "unknown Socket.IO packet type");
    sio_packet_clear(&p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_sio_bad(bad[i], "unknown Socket.IO packet type");
}
END_TEST

START_TEST(invalid_json_is_refused_with_jansson_s_reason)
{
    static const char *const bad[] = {"2[\"foo\"",     "2[\"foo\"]x", "2[\"foo\"][\"bar\"]",
                                      "0{sid}",        "2['foo']",    "2/admin,13[\"foo\",]",
                                      "4{\"message\"", "2abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_sio_bad(bad[i], "packet data is not JSON: ");
        ck_assert_uint_gt(strlen(err), strlen("packet data is not JSON: "));
    }
    /* A NUL byte inside the data is not JSON either. */
    struct sio_packet p;
    ck_assert_int_eq(sio_parse_len("2[\"a\0\"]", 7, &p), -1);
    sio_packet_clear(&p);
}
END_TEST

START_TEST(a_namespace_of_128_bytes_or_more_is_refused)
{
    char s[1100];
    char nsp[SIO_NSP_MAX];
    memset(nsp, 'a', sizeof nsp);
    nsp[0] = '/';
    nsp[SIO_NSP_MAX - 1] = '\0'; /* 127 bytes: the longest accepted */
    snprintf(s, sizeof s, "2%s,[\"foo\"]", nsp);
    assert_sio(s, SIO_EVENT, nsp, -1, "[\"foo\"]");

    snprintf(s, sizeof s, "2%sb,[\"foo\"]", nsp); /* 128 bytes */
    assert_sio_bad(s, "namespace too long");
    snprintf(s, sizeof s, "0%sb", nsp); /* 128 bytes, no comma */
    assert_sio_bad(s, "namespace too long");
    s[0] = '2';
    memset(s + 1, 'n', 1000);
    s[1] = '/';
    snprintf(s + 1001, sizeof s - 1001, ",1[\"foo\"]");
    assert_sio_bad(s, "namespace too long");
}
END_TEST

START_TEST(an_ack_id_of_more_than_12_digits_is_refused)
{
    assert_sio("2999999999999[\"foo\"]", SIO_EVENT, "/", 999999999999LL, "[\"foo\"]");
    assert_sio("3/admin,999999999999[]", SIO_ACK, "/admin", 999999999999LL, "[]");
    assert_sio("2000000000001[\"foo\"]", SIO_EVENT, "/", 1, "[\"foo\"]"); /* 12 digits */
    assert_sio_bad("21000000000000[\"foo\"]", "acknowledgement id out of range");
    assert_sio_bad("3/admin,1000000000000[]", "acknowledgement id out of range");
    assert_sio_bad("20000000000001[\"foo\"]", "acknowledgement id out of range");
    assert_sio_bad("299999999999999999999999999[\"foo\"]", "acknowledgement id out of range");
}
END_TEST

START_TEST(a_short_error_buffer_gets_a_truncated_reason)
{
    struct sio_packet p;
    char small[8];
    ck_assert_int_eq(sio_packet_parse("2{}", 3, &p, small, sizeof small), -1);
    ck_assert_str_eq(small, "an even");
    sio_packet_clear(&p);
}
END_TEST

/* --- Encoders --------------------------------------------------------- */

static void assert_event(const char *event, const char *data, size_t len, const char *want)
{
    size_t out_len = 0;
    char *out = sio_event_encode(event, data, len, &out_len);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(out_len, strlen(want));
    free(out);
}

START_TEST(sio_event_encode_writes_42_with_and_without_data)
{
    assert_event("hey", "\"Jude\"", 6, "42[\"hey\",\"Jude\"]");
    static const char tick[] = "{\"symbol\":\"BTC\",\"price\":100624.9}";
    assert_event("price-update", tick, sizeof tick - 1,
                 "42[\"price-update\",{\"symbol\":\"BTC\",\"price\":100624.9}]");
    assert_event("welcome", NULL, 0, "42[\"welcome\"]");
    assert_event("pong", "[1,2]xyz", 5, "42[\"pong\",[1,2]]"); /* only len bytes */
    assert_event("error", "", 0, "42[\"error\"]");             /* no JSON text: no argument */
}
END_TEST

START_TEST(sio_event_encode_escapes_the_event_name)
{
    assert_event("a\"b\\c", "1", 1, "42[\"a\\\"b\\\\c\",1]");
    assert_event("line\n\x01", NULL, 0, "42[\"line\\u000a\\u0001\"]");
    assert_event("\xe2\x82\xac", NULL, 0, "42[\"\xe2\x82\xac\"]"); /* UTF-8 as it is */
}
END_TEST

/* What the encoders write reads back through the decoders. */
START_TEST(encoded_packets_decode_back)
{
    static const char *const names[] = {"price-update-bulk", "a\"b\\c\t",
                                        "\xc3\xa9v\xc3\xa9nement"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len;
        char *out = sio_event_encode(names[i], "{\"x\":[1]}", 9, &len);
        enum eio_type type;
        const char *d;
        size_t dlen;
        ck_assert_int_eq(eio_packet_parse(out, len, &type, &d, &dlen), 0);
        ck_assert_int_eq(type, EIO_MESSAGE);
        struct sio_packet p;
        ck_assert_msg(sio_packet_parse(d, dlen, &p, err, sizeof err) == 0, "%s: %s", out, err);
        ck_assert_int_eq(p.type, SIO_EVENT);
        ck_assert_str_eq(json_string_value(json_array_get(p.data, 0)), names[i]);
        ck_assert_int_eq(
            json_integer_value(json_array_get(json_object_get(json_array_get(p.data, 1), "x"), 0)),
            1);
        sio_packet_clear(&p);
        free(out);
    }
    char *ack = sio_ack_encode(42, "{\"ok\":true}");
    struct sio_packet p;
    ck_assert_int_eq(sio_packet_parse(ack + 1, strlen(ack) - 1, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.type, SIO_ACK);
    ck_assert_int_eq(p.ack_id, 42);
    assert_data(&p, "[{\"ok\":true}]");
    sio_packet_clear(&p);
    free(ack);
}
END_TEST

START_TEST(sio_ack_encode_writes_43_id_and_the_argument)
{
    static const struct {
        long long id;
        const char *data, *want;
    } cases[] = {
        {12, "", "4312[]"},
        {14, "\"bar\"", "4314[\"bar\"]"},
        {0, "{}", "430[{}]"},
        {7, "{\"symbols\":[\"BTC\"],\"server_ts\":1738454400000}",
         "437[{\"symbols\":[\"BTC\"],\"server_ts\":1738454400000}]"},
        {999999999999LL, "null", "43999999999999[null]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = sio_ack_encode(cases[i].id, cases[i].data);
        ck_assert_str_eq(out, cases[i].want);
        free(out);
    }
}
END_TEST

static Suite *eio_suite(void)
{
    Suite *s = suite_create("eio");
    TCase *t = tcase_create("engine.io");
    tcase_add_test(t, eio_packet_parse_reads_every_type);
    tcase_add_test(t, eio_packet_parse_refuses_empty_unknown_and_binary_packets);
    tcase_add_test(t, eio_error_messages_are_engine_io_s);
    tcase_add_test(t, a_payload_of_one_packet_is_that_packet);
    tcase_add_test(t, a_payload_splits_at_each_record_separator);
    tcase_add_test(t, empty_packets_between_separators_are_given_as_empty);
    tcase_add_test(t, a_trailing_separator_ends_with_one_empty_packet);
    tcase_add_test(t, an_empty_payload_has_no_packet);
    tcase_add_test(t, a_binary_packet_in_a_payload_splits_then_is_refused);
    suite_add_tcase(s, t);

    t = tcase_create("socket.io");
    tcase_add_test(t, connect_with_and_without_namespace_and_auth);
    tcase_add_test(t, connect_data_must_be_an_object);
    tcase_add_test(t, disconnect_with_and_without_namespace);
    tcase_add_test(t, events_with_namespace_and_ack_id);
    tcase_add_test(t, event_data_must_be_an_array_starting_with_a_string);
    tcase_add_test(t, acks_with_namespace_and_ack_id);
    tcase_add_test(t, ack_data_must_be_an_array);
    tcase_add_test(t, connect_errors_with_and_without_namespace);
    tcase_add_test(t, binary_packets_decode_with_their_attachment_count);
    tcase_add_test(t, binary_packets_without_their_attachment_count_are_refused);
    tcase_add_test(t, unknown_types_are_refused);
    tcase_add_test(t, invalid_json_is_refused_with_jansson_s_reason);
    tcase_add_test(t, a_namespace_of_128_bytes_or_more_is_refused);
    tcase_add_test(t, an_ack_id_of_more_than_12_digits_is_refused);
    tcase_add_test(t, a_short_error_buffer_gets_a_truncated_reason);
    suite_add_tcase(s, t);

    t = tcase_create("encode");
    tcase_add_test(t, sio_event_encode_writes_42_with_and_without_data);
    tcase_add_test(t, sio_event_encode_escapes_the_event_name);
    tcase_add_test(t, encoded_packets_decode_back);
    tcase_add_test(t, sio_ack_encode_writes_43_id_and_the_argument);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(eio_suite)
