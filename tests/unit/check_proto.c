/* Unit tests of gateway/proto.c: the WebSocket application protocol
 * (docs/PROTOCOL.md §2) with no socket at all — a ctx built by hand around a real
 * hub, and a table of operations that records what proto asks of its
 * connection (as fuzz/proto.c does). */
#include "config.h"

#include "candles.h"
#include "check_main.h"
#include "conf.h"
#include "cp_error.h"
#include "ctx.h"
#include "history.h"
#include "hub.h"
#include "price.h"
#include "proto.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SENT 64

/* What proto asked of its connection. */
struct record {
    size_t n_sent;
    char event[MAX_SENT][32];
    json_t *data[MAX_SENT];
    char *text[MAX_SENT]; /* data as proto gave it, byte for byte */
    unsigned resumes;
    char since[64];
    unsigned histories;
    char symbol[16];
    int limit;
    struct history_query hq; /* the last history asked */
};

static struct cp_conf conf;
static struct ctx ctx;
static struct proto_client pc;
static struct record rec;
static struct evbuffer *out;
static const int64_t t0 = 1738454500000;

static void rec_send(void *transport, const char *event, const char *data)
{
    struct record *r = transport;
    ck_assert_uint_lt(r->n_sent, MAX_SENT);
    snprintf(r->event[r->n_sent], sizeof r->event[0], "%s", event);
    r->data[r->n_sent] = json_loads(data, JSON_DECODE_ANY, NULL);
    r->text[r->n_sent] = strdup(data);
    ck_assert_msg(r->data[r->n_sent] != NULL, "data is not JSON: %s", data);
    r->n_sent++;
}

static void rec_resume(void *transport, const char *since)
{
    struct record *r = transport;
    hub_client_pause(&pc.sub); /* as resume_start() does, until its replay ends */
    r->resumes++;
    snprintf(r->since, sizeof r->since, "%s", since);
}

static void rec_history(void *transport, const struct history_query *hq)
{
    struct record *r = transport;
    r->histories++;
    snprintf(r->symbol, sizeof r->symbol, "%s", hq->q.symbol);
    r->limit = hq->candles ? hq->q.limit : hq->limit;
    r->hq = *hq;
}

static const struct proto_ops rec_ops = {
    .send = rec_send, .resume = rec_resume, .history = rec_history};

static const char tick1[] =
    "{\"id\":\"1738454400000-0\",\"ts\":1738454400000,\"prices\":["
    "{\"symbol\":\"BTC\",\"price\":100624.9,\"change24h\":-1.5,\"volume24h\":4130816,"
    "\"high24h\":101000,\"low24h\":99000,\"ts\":1738454400000,\"id\":\"1738454400000-0\"},"
    "{\"symbol\":\"ETH\",\"price\":3125.5,\"change24h\":2.25,\"volume24h\":1234,"
    "\"high24h\":3200,\"low24h\":3000,\"ts\":1738454400000,\"id\":\"1738454400000-0\"}]}";

static void clear_record(void)
{
    for (size_t i = 0; i < rec.n_sent; i++) {
        json_decref(rec.data[i]);
        free(rec.text[i]);
    }
    memset(&rec, 0, sizeof rec);
}

static void setup(void)
{
    conf_defaults(&conf);
    memset(&ctx, 0, sizeof ctx);
    ctx.conf = &conf;
    struct hub_limits limits = {1 << 20, 1 << 22, 60000, 1 << 20};
    ctx.hub = hub_new(&limits, NULL);
    hub_set_symbols(ctx.hub, "BTC,ETH,SOL");
    out = evbuffer_new();
    memset(&pc, 0, sizeof pc);
    hub_client_init(&pc.sub, out, MSG_WS, NULL, NULL);
    memset(&rec, 0, sizeof rec);
}

static void teardown(void)
{
    clear_record();
    hub_client_clear(ctx.hub, &pc.sub);
    /* Queued ticks hold the hub's latency histogram until they are freed:
     * the output goes first, as a connection's does before the hub's. */
    evbuffer_free(out);
    hub_free(ctx.hub);
    free(ctx.welcome.text);
}

/* A client started now (after any change to conf). */
static void start(void)
{
    proto_client_init(&pc, &ctx, &rec_ops, &rec, t0);
}

static void publish(const char *json)
{
    char err[256];
    ck_assert_msg(hub_publish_tick(ctx.hub, json, strlen(json), err, sizeof err) == CP_OK, "%s",
                  err);
}

/* Handle text at t0 (well within the rate limit unless a test says so). */
static int say(const char *text)
{
    return proto_handle(&ctx, &pc, text, strlen(text), t0);
}

/* The i-th message sent, as compact JSON text of its data. */
static char *sent_data(size_t i)
{
    ck_assert_uint_lt(i, rec.n_sent);
    return json_dumps(rec.data[i], JSON_COMPACT | JSON_ENCODE_ANY);
}

static void assert_sent(size_t i, const char *event, const char *data)
{
    ck_assert_uint_lt(i, rec.n_sent);
    ck_assert_str_eq(rec.event[i], event);
    if (data) {
        char *got = sent_data(i);
        ck_assert_str_eq(got, data);
        free(got);
    }
}

static const char *error_code(size_t i)
{
    ck_assert_str_eq(rec.event[i], "error");
    return json_string_value(json_object_get(rec.data[i], "code"));
}

START_TEST(welcome_names_server_symbols_and_limits)
{
    conf.update_interval_ms = 1234;
    conf.max_messages_per_second = 42;
    conf.max_message_bytes = 4096;
    char *text = proto_welcome(&ctx);
    json_t *w = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(json_string_value(json_object_get(w, "server")),
                     "cryptopulse/" PACKAGE_VERSION);
    char *syms = json_dumps(json_object_get(w, "symbols"), JSON_COMPACT);
    ck_assert_str_eq(syms, "[\"BTC\",\"ETH\",\"SOL\"]");
    ck_assert_int_eq(json_integer_value(json_object_get(w, "interval_ms")), 1234);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "max_messages_per_second")), 42);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "max_message_bytes")), 4096);
    ck_assert_uint_eq(json_object_size(w), 5);
    free(syms);
    json_decref(w);
    free(text);
}
END_TEST

START_TEST(subscribed_lists_symbols_in_request_order_without_snapshot_before_prices)
{
    start();
    ck_assert_int_eq(say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"SOL\",\"BTC\"]}}"),
                     CP_OK);
    ck_assert_uint_eq(rec.n_sent, 1); /* no prices yet: no empty snapshot */
    assert_sent(0, "subscribed", "{\"symbols\":[\"SOL\",\"BTC\"]}");
    /* "*" comes first whatever the order it was asked in. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"ETH\",\"*\"]}}");
    ck_assert_uint_eq(rec.n_sent, 2);
    assert_sent(1, "subscribed", "{\"symbols\":[\"*\",\"SOL\",\"BTC\",\"ETH\"]}");
    ck_assert_uint_eq(rec.resumes + rec.histories, 0);
}
END_TEST

START_TEST(subscribe_snapshots_only_the_newly_added_symbols)
{
    publish(tick1);
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"]}}");
    ck_assert_uint_eq(rec.n_sent, 2);
    assert_sent(0, "subscribed", "{\"symbols\":[\"BTC\"]}");
    ck_assert_str_eq(rec.event[1], "price-update-bulk");
    json_t *prices = json_object_get(rec.data[1], "prices");
    ck_assert_uint_eq(json_array_size(prices), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(prices, 0), "symbol")),
                     "BTC");
    ck_assert_str_eq(json_string_value(json_object_get(rec.data[1], "id")), "1738454400000-0");
    /* BTC again and ETH: only ETH is new. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\",\"ETH\"]}}");
    ck_assert_uint_eq(rec.n_sent, 4);
    assert_sent(2, "subscribed", "{\"symbols\":[\"BTC\",\"ETH\"]}");
    prices = json_object_get(rec.data[3], "prices");
    ck_assert_uint_eq(json_array_size(prices), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(prices, 0), "symbol")),
                     "ETH");
    /* Nothing new: no snapshot at all. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"ETH\"]}}");
    ck_assert_uint_eq(rec.n_sent, 5);
    assert_sent(4, "subscribed", NULL);
    /* SOL has no price yet: subscribed, but no empty snapshot. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"SOL\"]}}");
    ck_assert_uint_eq(rec.n_sent, 6);
    assert_sent(5, "subscribed", "{\"symbols\":[\"BTC\",\"ETH\",\"SOL\"]}");
}
END_TEST

START_TEST(unknown_symbols_are_listed_and_the_rest_still_applies)
{
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"XRP\",\"BTC\",\"DOGE\"]}}");
    ck_assert_uint_eq(rec.n_sent, 2);
    ck_assert_str_eq(error_code(0), "unknown_symbol");
    const char *msg = json_string_value(json_object_get(rec.data[0], "message"));
    ck_assert_ptr_nonnull(strstr(msg, "[\"XRP\",\"DOGE\"]"));
    ck_assert_ptr_null(strstr(msg, "BTC"));
    assert_sent(1, "subscribed", "{\"symbols\":[\"BTC\"]}");
    ck_assert(hub_client_has(&pc.sub, "BTC"));
}
END_TEST

START_TEST(subscriptions_stop_at_max_subscriptions)
{
    conf.max_subscriptions = 2;
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\",\"ETH\",\"SOL\"]}}");
    ck_assert_uint_eq(rec.n_sent, 2);
    ck_assert_str_eq(error_code(0), "too_many_subscriptions");
    ck_assert_str_eq(json_string_value(json_object_get(rec.data[0], "message")),
                     "at most 2 subscriptions per client; 1 refused");
    assert_sent(1, "subscribed", "{\"symbols\":[\"BTC\",\"ETH\"]}");
    ck_assert_uint_eq(pc.sub.n_members, 2);
    /* At the limit, a symbol already held is no new subscription. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"ETH\"]}}");
    ck_assert_uint_eq(rec.n_sent, 3);
    assert_sent(2, "subscribed", "{\"symbols\":[\"BTC\",\"ETH\"]}");
}
END_TEST

START_TEST(unsubscribe_answers_the_remaining_set)
{
    publish(tick1);
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\",\"ETH\",\"SOL\"]}}");
    clear_record();
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"ETH\"]}}");
    ck_assert_uint_eq(rec.n_sent, 1); /* no snapshot */
    assert_sent(0, "subscribed", "{\"symbols\":[\"BTC\",\"SOL\"]}");
    ck_assert(!hub_client_has(&pc.sub, "ETH"));
    /* "*" means all. */
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    assert_sent(1, "subscribed", "{\"symbols\":[]}");
    ck_assert_uint_eq(pc.sub.n_members, 0);
    /* Not an array of strings. */
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[1]}}");
    ck_assert_str_eq(error_code(2), "bad_request");
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[]}}");
    ck_assert_str_eq(error_code(3), "bad_request");
    ck_assert_uint_eq(rec.n_sent, 4);
}
END_TEST

START_TEST(since_on_a_new_client_resumes_instead_of_the_snapshot)
{
    publish(tick1);
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"],\"since\":\"17-3\"}}");
    ck_assert_uint_eq(rec.resumes, 1);
    ck_assert_str_eq(rec.since, "17-3");
    ck_assert_uint_eq(rec.n_sent, 1); /* subscribed, and no price-update-bulk */
    assert_sent(0, "subscribed", "{\"symbols\":[\"BTC\"]}");
}
END_TEST

/* A subscribe of symbol with since 17-3 is answered with subscribed
 * (data) and the snapshot of symbol, not a resume. */
static void since_ignored(const char *symbol, const char *subscribed)
{
    char msg[128];
    snprintf(msg, sizeof msg,
             "{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"%s\"],\"since\":\"17-3\"}}",
             symbol);
    clear_record();
    say(msg);
    ck_assert_uint_eq(rec.resumes, 0);
    ck_assert_uint_eq(rec.n_sent, 2);
    assert_sent(0, "subscribed", subscribed);
    ck_assert_str_eq(rec.event[1], "price-update-bulk"); /* the snapshot instead */
}

START_TEST(since_on_a_live_client_is_ignored)
{
    publish(tick1);
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"]}}");
    since_ignored("ETH", "{\"symbols\":[\"BTC\",\"ETH\"]}");
    /* unsubscribe never resumes either. */
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"ETH\"],\"since\":\"17-3\"}}");
    ck_assert_uint_eq(rec.resumes, 0);
    /* Nor does a client that was live and unsubscribed from everything: it
     * holds newer ticks than its since (a replay would repeat them, older
     * after newer); it gets the snapshot. */
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    since_ignored("BTC", "{\"symbols\":[\"BTC\"]}");
}
END_TEST

/* While a resume replays: another "since" starts no second replay (its
 * ticks would come twice), and added symbols get no snapshot (it would
 * come before the older ticks the replay still sends); the replay covers
 * them.  Also after an unknown symbol or an unsubscribe left the client
 * with no subscription. */
START_TEST(since_while_a_resume_replays_is_ignored_and_sends_no_snapshot)
{
    publish(tick1);
    start();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"NOPE\"],\"since\":\"17-3\"}}");
    ck_assert_uint_eq(rec.resumes, 1);
    clear_record();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"],\"since\":\"17-3\"}}");
    ck_assert_uint_eq(rec.resumes, 0);
    ck_assert_uint_eq(rec.n_sent, 1);
    assert_sent(0, "subscribed", "{\"symbols\":[\"BTC\"]}");
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"ETH\"],\"since\":\"17-3\"}}");
    ck_assert_uint_eq(rec.resumes, 0);
    for (size_t i = 0; i < rec.n_sent; i++)
        ck_assert_str_ne(rec.event[i], "price-update-bulk");
    /* Once the replay is over the client is live: a new symbol gets its snapshot. */
    hub_client_resume(ctx.hub, &pc.sub, NULL);
    clear_record();
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"]}}");
    ck_assert_uint_eq(rec.n_sent, 2);
    ck_assert_str_eq(rec.event[1], "price-update-bulk");
}
END_TEST

START_TEST(ping_gets_a_pong_with_id_ts_and_server_time)
{
    start();
    int64_t before = price_now_ms();
    say("{\"event\":\"ping\",\"data\":{\"id\":7,\"ts\":1700000000123}}");
    int64_t after = price_now_ms();
    ck_assert_uint_eq(rec.n_sent, 1);
    ck_assert_str_eq(rec.event[0], "pong");
    ck_assert_int_eq(json_integer_value(json_object_get(rec.data[0], "id")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(rec.data[0], "ts")), 1700000000123);
    json_int_t server = json_integer_value(json_object_get(rec.data[0], "server_ts"));
    ck_assert_int_ge(server, before);
    ck_assert_int_le(server, after);
    ck_assert_uint_eq(json_object_size(rec.data[0]), 3);
}
END_TEST

START_TEST(a_malformed_ping_is_a_bad_request)
{
    start();
    say("{\"event\":\"ping\",\"data\":{\"ts\":1}}");
    say("{\"event\":\"ping\",\"data\":{\"id\":\"a\",\"ts\":1}}");
    say("{\"event\":\"ping\",\"data\":{\"id\":1}}");
    say("{\"event\":\"ping\",\"data\":[1,2]}");
    say("{\"event\":\"ping\"}");
    ck_assert_uint_eq(rec.n_sent, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(error_code(i), "bad_request");
}
END_TEST

START_TEST(history_checks_symbol_and_limit)
{
    start();
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"limit\":\"60\"}}");
    ck_assert_str_eq(error_code(0), "bad_request");
    ck_assert_str_eq(json_string_value(json_object_get(rec.data[0], "message")),
                     "limit must be a whole number");
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"limit\":1.5}}");
    ck_assert_str_eq(error_code(1), "bad_request");
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"limit\":0}}");
    ck_assert_str_eq(error_code(2), "bad_request");
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"limit\":1001}}");
    ck_assert_str_eq(error_code(3), "bad_request");
    say("{\"event\":\"history\",\"data\":{\"limit\":5}}");
    ck_assert_str_eq(error_code(4), "bad_request");
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"b t c\"}}");
    ck_assert_str_eq(error_code(5), "bad_request");
    /* Well formed, but not carried by this feed. */
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"XRP\",\"limit\":5}}");
    ck_assert_str_eq(error_code(6), "unknown_symbol");
    ck_assert_str_eq(json_string_value(json_object_get(rec.data[6], "message")), "XRP");
    ck_assert_uint_eq(rec.n_sent, 7);
    ck_assert_uint_eq(rec.histories, 0);
}
END_TEST

START_TEST(a_valid_history_request_goes_to_the_connection)
{
    start();
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"ETH\",\"limit\":1000}}");
    ck_assert_uint_eq(rec.histories, 1);
    ck_assert_str_eq(rec.symbol, "ETH");
    ck_assert_int_eq(rec.limit, HISTORY_MAX_LIMIT);
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"limit\":1}}");
    ck_assert_str_eq(rec.symbol, "BTC");
    ck_assert_int_eq(rec.limit, 1);
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"SOL\"}}");
    ck_assert_uint_eq(rec.histories, 3);
    ck_assert_int_eq(rec.limit, HISTORY_DEFAULT_LIMIT);
    ck_assert_uint_eq(rec.n_sent, 0); /* the answer comes later, from the connection */
}
END_TEST

START_TEST(a_candles_request_takes_numbers_or_strings)
{
    start();
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",\"interval\":\"1h\","
        "\"from\":\"1738454400000\",\"to\":1738461600000,\"limit\":\"7\"}}");
    ck_assert_uint_eq(rec.histories, 1);
    ck_assert(rec.hq.candles);
    ck_assert_str_eq(rec.hq.q.symbol, "BTC");
    ck_assert_int_eq(rec.hq.q.interval, CANDLES_1H);
    ck_assert(rec.hq.q.has_from && rec.hq.q.has_to);
    ck_assert_int_eq(rec.hq.q.from, 1738454400000LL);
    ck_assert_int_eq(rec.hq.q.to, 1738461600000LL);
    ck_assert_int_eq(rec.hq.q.limit, 7);
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"ETH\",\"interval\":\"1d\","
        "\"from\":null,\"limit\":5000}}");
    ck_assert_uint_eq(rec.histories, 2);
    ck_assert(rec.hq.candles && !rec.hq.q.has_from && !rec.hq.q.has_to);
    ck_assert_int_eq(rec.hq.q.interval, CANDLES_1D);
    ck_assert_int_eq(rec.hq.q.limit, CANDLES_MAX_LIMIT);
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"SOL\",\"interval\":\"5m\"}}");
    ck_assert_int_eq(rec.hq.q.limit, CANDLES_DEFAULT_LIMIT);
    /* Without interval, the old points form. */
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"SOL\",\"limit\":3}}");
    ck_assert(!rec.hq.candles);
    ck_assert_int_eq(rec.hq.limit, 3);
    ck_assert_uint_eq(rec.n_sent, 0);
}
END_TEST

/* The message of the error proto sent i-th, which is a bad_request. */
static const char *bad_request(size_t i)
{
    ck_assert_uint_gt(rec.n_sent, i);
    ck_assert_str_eq(error_code(i), "bad_request");
    return json_string_value(json_object_get(rec.data[i], "message"));
}

START_TEST(a_bad_candles_request_names_the_parameter)
{
    start();
    const char *bad[][2] = {
        {"\"interval\":\"2h\"", "interval"},
        {"\"interval\":60", "interval"},
        {"\"interval\":\"1h\",\"from\":\"abc\"", "from"},
        {"\"interval\":\"1h\",\"from\":1.5", "from"},
        {"\"interval\":\"1h\",\"to\":-1", "to"},
        {"\"interval\":\"1h\",\"to\":true", "to"},
        {"\"interval\":\"1h\",\"from\":2,\"to\":1", "from"},
        {"\"interval\":\"1h\",\"limit\":0", "limit"},
        {"\"interval\":\"1h\",\"limit\":\"5001\"", "limit"},
        {"\"from\":1", "interval"},
        {"\"to\":\"1\"", "interval"},
    };
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        char msg[256];
        snprintf(msg, sizeof msg, "{\"event\":\"history\",\"data\":{\"symbol\":\"BTC\",%s}}",
                 bad[i][0]);
        say(msg);
        const char *m = bad_request(i);
        ck_assert_msg(strstr(m, bad[i][1]) != NULL, "%s: %s", bad[i][0], m);
    }
    say("{\"event\":\"history\",\"data\":{\"interval\":\"1h\"}}");
    ck_assert_ptr_nonnull(strstr(bad_request(n), "symbol"));
    say("{\"event\":\"history\",\"data\":{\"symbol\":\"XRP\",\"interval\":\"1h\"}}");
    ck_assert_str_eq(error_code(n + 1), "unknown_symbol");
    ck_assert_uint_eq(rec.histories, 0);
}
END_TEST

/* jansson's "near '...'" quotes the token up to the bad byte, which can be
 * the first byte of a two-byte character: the error must still be JSON
 * (fuzz/regressions/proto: the gateway once sent it with no data and
 * crashed). */
START_TEST(bad_json_quoting_half_a_character_is_still_an_error)
{
    start();
    ck_assert_int_eq(say("{\"event\":\"\\\xC3\xA9\"}"), CP_OK);
    ck_assert_uint_eq(rec.n_sent, 1);
    ck_assert_str_eq(error_code(0), "bad_json");
    const char *m = json_string_value(json_object_get(rec.data[0], "message"));
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(strstr(m, "invalid escape"));
    ck_assert_int_eq(say("{\"event\":\"ping\",\"data\":{\"id\":1,\"ts\":2}}"), CP_OK);
    ck_assert_str_eq(rec.event[1], "pong");
}
END_TEST

START_TEST(bad_json_wrong_shape_and_unknown_events_are_errors)
{
    start();
    ck_assert_int_eq(say("{\"event\":"), CP_OK);
    ck_assert_str_eq(error_code(0), "bad_json");
    ck_assert_int_eq(say("[\"subscribe\"]"), CP_OK);
    ck_assert_str_eq(error_code(1), "bad_request");
    say("{\"data\":{\"symbols\":[\"BTC\"]}}");
    ck_assert_str_eq(error_code(2), "bad_request");
    say("{\"event\":3}");
    ck_assert_str_eq(error_code(3), "bad_request");
    ck_assert_int_eq(say("{\"event\":\"dance\",\"data\":{}}"), CP_OK);
    ck_assert_str_eq(error_code(4), "unknown_event");
    ck_assert_str_eq(json_string_value(json_object_get(rec.data[4], "message")), "dance");
    ck_assert_uint_eq(rec.n_sent, 5);
    ck_assert_uint_eq(pc.sub.n_members, 0);
    /* Every error is {"code","message"}. */
    for (size_t i = 0; i < rec.n_sent; i++) {
        ck_assert_uint_eq(json_object_size(rec.data[i]), 2);
        ck_assert(json_is_string(json_object_get(rec.data[i], "message")));
    }
}
END_TEST

START_TEST(the_rate_limit_warns_once_then_asks_to_close)
{
    static const char ping[] = "{\"event\":\"ping\",\"data\":{\"id\":1,\"ts\":1}}";
    conf.max_messages_per_second = 4;
    start();
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(say(ping), CP_OK);
    ck_assert_uint_eq(rec.n_sent, 4);
    ck_assert_uint_eq(ctx.counters.rate_limited, 0);
    /* The fifth within the same second is refused: told once. */
    ck_assert_int_eq(say(ping), CP_OK);
    ck_assert_uint_eq(rec.n_sent, 5);
    ck_assert_str_eq(error_code(4), "rate_limited");
    /* Refused silently while within another second's worth of messages... */
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(say(ping), CP_OK);
    ck_assert_uint_eq(rec.n_sent, 5);
    ck_assert_uint_eq(ctx.counters.rate_limited, 3);
    /* ...and not handled: a subscribe does nothing. */
    ck_assert_int_eq(say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"BTC\"]}}"), CP_OK);
    ck_assert_uint_eq(pc.sub.n_members, 0);
    /* The fifth refusal in a row is past a second's worth: close it. */
    ck_assert_int_eq(say(ping), CP_EPROTO);
    ck_assert_uint_eq(ctx.counters.rate_limited, 5);
    ck_assert_uint_eq(rec.n_sent, 5);
}
END_TEST

START_TEST(the_rate_limit_refills_with_time)
{
    static const char ping[] = "{\"event\":\"ping\",\"data\":{\"id\":1,\"ts\":1}}";
    conf.max_messages_per_second = 2;
    start();
    ck_assert_int_eq(proto_handle(&ctx, &pc, ping, strlen(ping), t0), CP_OK);
    ck_assert_int_eq(proto_handle(&ctx, &pc, ping, strlen(ping), t0), CP_OK);
    ck_assert_int_eq(proto_handle(&ctx, &pc, ping, strlen(ping), t0), CP_OK);
    ck_assert_str_eq(error_code(2), "rate_limited");
    /* Half a second later one token is back: handled, and the count of
     * refusals starts again, so a later refusal warns again. */
    ck_assert_int_eq(proto_handle(&ctx, &pc, ping, strlen(ping), t0 + 500), CP_OK);
    assert_sent(3, "pong", NULL);
    ck_assert_int_eq(proto_handle(&ctx, &pc, ping, strlen(ping), t0 + 500), CP_OK);
    ck_assert_str_eq(error_code(4), "rate_limited");
    ck_assert_uint_eq(ctx.counters.rate_limited, 2);
}
END_TEST

/* The snapshot every "*" client is given as it was built per client before
 * it was shared: json_dumps of hub_snapshot(["*"]). */
static char *snapshot_as_built_per_client(void)
{
    json_t *all = json_pack("[s]", "*");
    json_t *snap = hub_snapshot(ctx.hub, all);
    char *text = json_dumps(snap, PRICE_JSON_FLAGS);
    json_decref(snap);
    json_decref(all);
    return text;
}

/* Unsubscribe from everything, subscribe to "*" again: the (n-th) snapshot. */
static const char *resubscribe_all(void)
{
    say("{\"event\":\"unsubscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    size_t before = rec.n_sent;
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    ck_assert_uint_eq(rec.n_sent, before + 2);
    ck_assert_str_eq(rec.text[before], "{\"symbols\":[\"*\"]}");
    assert_sent(before + 1, "price-update-bulk", NULL);
    return rec.text[before + 1];
}

static const char tick2[] =
    "{\"id\":\"1738454401500-0\",\"ts\":1738454401500,\"prices\":["
    "{\"symbol\":\"BTC\",\"price\":100700.25,\"change24h\":-1.25,\"volume24h\":4130900,"
    "\"high24h\":101000,\"low24h\":99000,\"ts\":1738454401500,\"id\":\"1738454401500-0\"}]}";

START_TEST(the_shared_star_snapshot_is_the_per_client_one_before_and_after_each_tick)
{
    start();
    /* No price yet: subscribed (the shared text), no snapshot. */
    say("{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"*\"]}}");
    ck_assert_uint_eq(rec.n_sent, 1);
    ck_assert_str_eq(rec.text[0], "{\"symbols\":[\"*\"]}");
    /* A cached price (start-up), then two ticks: each time the same bytes
     * the per-client encoding gives, and the newest prices. */
    const char cached[] = "{\"symbol\":\"SOL\",\"price\":210.5,\"change24h\":0.5,"
                          "\"volume24h\":10,\"high24h\":220,\"low24h\":200,"
                          "\"ts\":1738454300000,\"id\":\"1738454300000-0\"}";
    ck_assert_int_eq(hub_set_latest(ctx.hub, cached, strlen(cached)), CP_OK);
    char *want = snapshot_as_built_per_client();
    ck_assert_str_eq(resubscribe_all(), want);
    ck_assert_ptr_nonnull(strstr(want, "\"id\":\"1738454300000-0\""));
    free(want);
    publish(tick1);
    want = snapshot_as_built_per_client();
    ck_assert_str_eq(resubscribe_all(), want);
    ck_assert_ptr_nonnull(strstr(want, "\"id\":\"1738454400000-0\""));
    ck_assert_ptr_nonnull(strstr(want, "100624.9"));
    free(want);
    publish(tick2);
    want = snapshot_as_built_per_client();
    const char *got = resubscribe_all();
    ck_assert_str_eq(got, want);
    ck_assert_ptr_nonnull(strstr(got, "\"id\":\"1738454401500-0\""));
    ck_assert_ptr_nonnull(strstr(got, "100700.25"));
    ck_assert_ptr_null(strstr(got, "100624.9"));
    ck_assert_ptr_nonnull(strstr(got, "3125.5")); /* ETH's price from tick1 stays */
    ck_assert_ptr_nonnull(strstr(got, "210.5"));
    free(want);
}
END_TEST

START_TEST(the_shared_welcome_is_the_welcome_and_follows_symbols_and_reloads)
{
    const char *shared = proto_welcome_shared(&ctx);
    char *fresh = proto_welcome(&ctx);
    ck_assert_str_eq(shared, fresh);
    free(fresh);
    ck_assert_ptr_eq(proto_welcome_shared(&ctx), shared); /* built once */
    /* The feeder's list changes. */
    hub_set_symbols(ctx.hub, "BTC,ETH");
    shared = proto_welcome_shared(&ctx);
    ck_assert_ptr_nonnull(strstr(shared, "\"symbols\":[\"BTC\",\"ETH\"]"));
    fresh = proto_welcome(&ctx);
    ck_assert_str_eq(shared, fresh);
    free(fresh);
    /* A price of a symbol not on the list makes it one the feed carries. */
    const char doge[] = "{\"symbol\":\"DOGE\",\"price\":0.25,\"change24h\":0,"
                        "\"volume24h\":1,\"high24h\":0.3,\"low24h\":0.2,"
                        "\"ts\":1738454300000,\"id\":\"1738454300000-0\"}";
    ck_assert_int_eq(hub_set_latest(ctx.hub, doge, strlen(doge)), CP_OK);
    shared = proto_welcome_shared(&ctx);
    ck_assert_ptr_nonnull(strstr(shared, "\"symbols\":[\"BTC\",\"ETH\",\"DOGE\"]"));
    /* A SIGHUP reload changes the settings it names. */
    conf.update_interval_ms = 777;
    shared = proto_welcome_shared(&ctx);
    ck_assert_ptr_nonnull(strstr(shared, "\"interval_ms\":777"));
    conf.max_messages_per_second = 3;
    ck_assert_ptr_nonnull(strstr(proto_welcome_shared(&ctx), "\"max_messages_per_second\":3"));
    conf.max_message_bytes = 2048;
    shared = proto_welcome_shared(&ctx);
    ck_assert_ptr_nonnull(strstr(shared, "\"max_message_bytes\":2048"));
    fresh = proto_welcome(&ctx);
    ck_assert_str_eq(shared, fresh);
    free(fresh);
}
END_TEST

static Suite *proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, welcome_names_server_symbols_and_limits);
    tcase_add_test(t, subscribed_lists_symbols_in_request_order_without_snapshot_before_prices);
    tcase_add_test(t, subscribe_snapshots_only_the_newly_added_symbols);
    tcase_add_test(t, unknown_symbols_are_listed_and_the_rest_still_applies);
    tcase_add_test(t, subscriptions_stop_at_max_subscriptions);
    tcase_add_test(t, unsubscribe_answers_the_remaining_set);
    tcase_add_test(t, since_on_a_new_client_resumes_instead_of_the_snapshot);
    tcase_add_test(t, since_on_a_live_client_is_ignored);
    tcase_add_test(t, since_while_a_resume_replays_is_ignored_and_sends_no_snapshot);
    tcase_add_test(t, ping_gets_a_pong_with_id_ts_and_server_time);
    tcase_add_test(t, a_malformed_ping_is_a_bad_request);
    tcase_add_test(t, history_checks_symbol_and_limit);
    tcase_add_test(t, a_valid_history_request_goes_to_the_connection);
    tcase_add_test(t, a_candles_request_takes_numbers_or_strings);
    tcase_add_test(t, a_bad_candles_request_names_the_parameter);
    tcase_add_test(t, bad_json_wrong_shape_and_unknown_events_are_errors);
    tcase_add_test(t, bad_json_quoting_half_a_character_is_still_an_error);
    tcase_add_test(t, the_rate_limit_warns_once_then_asks_to_close);
    tcase_add_test(t, the_rate_limit_refills_with_time);
    tcase_add_test(t, the_shared_star_snapshot_is_the_per_client_one_before_and_after_each_tick);
    tcase_add_test(t, the_shared_welcome_is_the_welcome_and_follows_symbols_and_reloads);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(proto_suite)
