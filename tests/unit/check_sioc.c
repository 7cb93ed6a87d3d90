/* Unit tests of load/sioc.c: the Socket.IO v5 / Engine.IO v4 packets the
 * load tool reads and writes on the WebSocket transport. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "scan.h"
#include "sioc.h"

#include <string.h>

static int parse(const char *m, struct sioc_packet *p)
{
    return sioc_parse(m, strlen(m), p);
}

/* p's data as a string (the tests' payloads are short). */
static const char *data_of(const struct sioc_packet *p)
{
    static char buf[512];
    ck_assert_uint_lt(p->data_len, sizeof buf);
    memcpy(buf, p->data, p->data_len);
    buf[p->data_len] = '\0';
    return buf;
}

START_TEST(open_packet_gives_its_json)
{
    struct sioc_packet p;
    const char *m =
        "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
        "\"maxPayload\":1000000}";
    ck_assert_int_eq(parse(m, &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_OPEN);
    ck_assert_str_eq(data_of(&p), m + 1);
    ck_assert_int_eq(parse("0", &p), CP_EPROTO);
    ck_assert_int_eq(parse("0sid", &p), CP_EPROTO);
}
END_TEST

START_TEST(engineio_control_packets)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("1", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_CLOSE);
    ck_assert_int_eq(parse("2", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_PING);
    ck_assert_uint_eq(p.data_len, 0);
    ck_assert_int_eq(parse("2probe", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_PING);
    ck_assert_str_eq(data_of(&p), "probe");
    ck_assert_int_eq(parse("3", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_PONG);
    ck_assert_int_eq(parse("5", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_UPGRADE);
    ck_assert_int_eq(parse("6", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_NOOP);
}
END_TEST

START_TEST(connect_and_disconnect)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("40{\"sid\":\"Xz1\"}", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_CONNECT);
    ck_assert_str_eq(data_of(&p), "{\"sid\":\"Xz1\"}");
    ck_assert_uint_eq(p.nsp_len, 1);
    ck_assert_int_eq(parse("40", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_CONNECT);
    ck_assert_int_eq(parse("41", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_DISCONNECT);
    ck_assert_int_eq(parse("41x", &p), CP_EPROTO);
    ck_assert_int_eq(parse("40[1]", &p), CP_EPROTO);
    ck_assert_int_eq(parse("407{}", &p), CP_EPROTO); /* an ack id on a connect */
}
END_TEST

START_TEST(namespaces_are_reported)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("44/other,{\"message\":\"Invalid namespace\"}", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_CONNECT_ERROR);
    ck_assert_uint_eq(p.nsp_len, 6);
    ck_assert_int_eq(memcmp(p.nsp, "/other", 6), 0);
    ck_assert_str_eq(data_of(&p), "{\"message\":\"Invalid namespace\"}");
    ck_assert_int_eq(parse("41/admin", &p), CP_OK); /* no payload: no comma */
    ck_assert_int_eq(p.kind, SIOC_DISCONNECT);
    ck_assert_uint_eq(p.nsp_len, 6);
    ck_assert_int_eq(parse("42/chat,[\"msg\",1]", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_EVENT);
    ck_assert_int_eq(memcmp(p.nsp, "/chat", 5), 0);
    ck_assert_int_eq(parse("44", &p), CP_EPROTO); /* a connect error needs its reason */
}
END_TEST

START_TEST(event_gives_name_and_arguments)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("42[\"price-update\",{\"symbol\":\"BTC\",\"ts\":5}]", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_EVENT);
    ck_assert_int_eq(p.ack_id, -1);
    ck_assert_uint_eq(p.event_len, 12);
    ck_assert_int_eq(memcmp(p.event, "price-update", 12), 0);
    ck_assert_str_eq(data_of(&p), "{\"symbol\":\"BTC\",\"ts\":5}");
    ck_assert_int_eq(parse("42[\"ping\"]", &p), CP_OK);
    ck_assert_uint_eq(p.event_len, 4);
    ck_assert_uint_eq(p.data_len, 0);
    ck_assert_int_eq(parse("42[\"a\\\"b\" , 1,2]", &p), CP_OK); /* an escaped quote in the name */
    ck_assert_uint_eq(p.event_len, 4);
    ck_assert_str_eq(data_of(&p), " 1,2");
}
END_TEST

START_TEST(event_and_ack_ids)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("4217[\"subscribe\",[\"BTC\"]]", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_EVENT);
    ck_assert_int_eq(p.ack_id, 17);
    ck_assert_str_eq(data_of(&p), "[\"BTC\"]");
    ck_assert_int_eq(parse("4317[{\"symbols\":[\"BTC\"]}]", &p), CP_OK);
    ck_assert_int_eq(p.kind, SIOC_ACK);
    ck_assert_int_eq(p.ack_id, 17);
    ck_assert_str_eq(data_of(&p), "[{\"symbols\":[\"BTC\"]}]");
    ck_assert_int_eq(parse("43[1]", &p), CP_EPROTO);                     /* an ack without id */
    ck_assert_int_eq(parse("431{}", &p), CP_EPROTO);                     /* not an array */
    ck_assert_int_eq(parse("421234567890123456[\"x\"]", &p), CP_EPROTO); /* id too long */
}
END_TEST

START_TEST(malformed_events_are_refused)
{
    static const char *const bad[] = {
        "42",       "42{}",       "42[]",        "42[1,2]", "42[\"unterminated]",
        "42[\"x\"", "42[\"x\"1]", "42[\"x\",1}", "4",       "47[\"x\"]",
        "4x",       "7",          "x",           "",
    };
    struct sioc_packet p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(bad[i], &p) == CP_EPROTO, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(binary_packets_are_refused)
{
    struct sioc_packet p;
    ck_assert_int_eq(parse("bAQID", &p), CP_EINVAL);
    ck_assert_int_eq(parse("451-[\"upload\",{\"_placeholder\":true,\"num\":0}]", &p), CP_EINVAL);
    ck_assert_int_eq(parse("461-3[{\"_placeholder\":true,\"num\":0}]", &p), CP_EINVAL);
}
END_TEST

/* The bulk event of a tick, as the gateway and the Node server send it:
 * the arguments are the tick, which scan_prices reads as in a native
 * message. */
START_TEST(bulk_event_prices_are_scanned)
{
    const char *m =
        "42[\"price-update-bulk\",{\"id\":\"1700000000123-4\",\"ts\":1700000000100,"
        "\"prices\":[{\"symbol\":\"BTC\",\"ts\":1700000000111,\"id\":\"1700000000123-4\"},"
        "{\"symbol\":\"ETH\",\"ts\":1700000000112,\"id\":\"1700000000123-4\"}]}]";
    struct sioc_packet p;
    ck_assert_int_eq(parse(m, &p), CP_OK);
    ck_assert_uint_eq(p.event_len, 17);
    struct tickid id;
    int64_t ts[8];
    ck_assert_int_eq(scan_prices(p.data, p.data_len, &id, ts, 8), 2);
    ck_assert_int_eq(id.ms, 1700000000123);
    ck_assert_uint_eq(id.seq, 4);
    ck_assert_int_eq(ts[0], 1700000000111);
    ck_assert_int_eq(ts[1], 1700000000112);
}
END_TEST

START_TEST(handshake_path_and_events_are_written)
{
    char buf[64];
    ck_assert_int_eq(sioc_path(buf, sizeof buf, "/socket.io/"), 37);
    ck_assert_str_eq(buf, "/socket.io/?EIO=4&transport=websocket");
    ck_assert_int_eq(sioc_path(buf, sizeof buf, "/s/?token=1"), 37);
    ck_assert_str_eq(buf, "/s/?token=1&EIO=4&transport=websocket");
    ck_assert_int_eq(sioc_path(buf, 20, "/socket.io/"), CP_ETOOBIG);
    ck_assert_int_eq(sioc_event(buf, sizeof buf, "subscribe", "[\"BTC\",\"ETH\"]"), 29);
    ck_assert_str_eq(buf, "42[\"subscribe\",[\"BTC\",\"ETH\"]]");
    ck_assert_int_eq(sioc_event(buf, sizeof buf, "ping", NULL), 10);
    ck_assert_str_eq(buf, "42[\"ping\"]");
    ck_assert_int_eq(sioc_event(buf, 10, "ping", NULL), CP_ETOOBIG);
    struct sioc_packet p; /* what is written parses back */
    sioc_event(buf, sizeof buf, "subscribe", "[\"BTC\"]");
    ck_assert_int_eq(parse(buf, &p), CP_OK);
    ck_assert_str_eq(data_of(&p), "[\"BTC\"]");
}
END_TEST

static Suite *sioc_suite(void)
{
    Suite *s = suite_create("sioc");
    TCase *t = tcase_create("core");
    tcase_add_test(t, open_packet_gives_its_json);
    tcase_add_test(t, engineio_control_packets);
    tcase_add_test(t, connect_and_disconnect);
    tcase_add_test(t, namespaces_are_reported);
    tcase_add_test(t, event_gives_name_and_arguments);
    tcase_add_test(t, event_and_ack_ids);
    tcase_add_test(t, malformed_events_are_refused);
    tcase_add_test(t, binary_packets_are_refused);
    tcase_add_test(t, bulk_event_prices_are_scanned);
    tcase_add_test(t, handshake_path_and_events_are_written);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(sioc_suite)
