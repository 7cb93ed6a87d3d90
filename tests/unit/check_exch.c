/* Unit tests of feeder/exch.c: the exchanges' recorded messages, hostile
 * variants of their tickers, subscribe messages, connect URLs and the symbol
 * map. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The recorded samples: $CRYPTOPULSE_SHARED, else ../shared beside the
 * source tree.  Without them the sample tests say so and pass, as the other
 * tests of shared data do. */
static char samples[512];

static bool have_samples(void)
{
    const char *shared = getenv("CRYPTOPULSE_SHARED");
    snprintf(samples, sizeof samples, "%s/data/exchange-samples/", shared ? shared : CP_SHARED_DIR);
    if (access(samples, R_OK) == 0)
        return true;
    fprintf(stderr, "%s absent: the recorded samples are not checked\n", samples);
    return false;
}
#define QMAX 8

static struct exch_map *map;
static struct exch_quote q[QMAX];
static size_t nq;
static char err[512];

static void setup(void)
{
    map = exch_map_new("", err, sizeof err);
    ck_assert_ptr_nonnull(map);
}

static void teardown(void)
{
    exch_map_free(map);
}

static int parse(enum exch_id id, const char *msg)
{
    err[0] = '\0';
    return exch_parse(map, id, msg, strlen(msg), q, QMAX, &nq, err, sizeof err);
}

/* The whole of a sample file, NUL-terminated; the caller frees it. */
static char *read_sample(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", samples, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    ck_assert_int_ge(len, 0);
    rewind(f);
    char *text = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

/* The received messages of a cryptofeed .txt recording ("<epoch>: <raw>"),
 * skipping the connect line and the client's own "<url> <- <epoch>: " lines.
 * Calls check(message, line number) and returns how many it checked. */
static size_t each_recorded(const char *name, void (*check)(const char *, size_t))
{
    char *text = read_sample(name);
    size_t count = 0, lineno = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        char *colon = strstr(line, ": ");
        if (lineno == 1 || strstr(line, " <- ") || !colon)
            continue;
        check(colon + 2, lineno);
        count++;
    }
    free(text);
    return count;
}

/* A message built from fields (raw JSON values) between prefix and suffix,
 * with field key's value replaced by value (raw JSON), or left out when value
 * is NULL. */
struct field {
    const char *key, *value;
};

static const char *build(const char *prefix, const struct field *f, const char *key,
                         const char *value, const char *suffix)
{
    static char buf[4096];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s{", prefix);
    const char *sep = "";
    for (; f->key; f++) {
        bool hit = key && strcmp(f->key, key) == 0;
        if (hit && !value)
            continue;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\"%s\":%s", sep, f->key,
                                hit ? value : f->value);
        sep = ",";
    }
    snprintf(buf + len, sizeof buf - len, "}%s", suffix);
    return buf;
}

/* ---- names, decimals, times ---- */

START_TEST(names_and_default_urls_round_trip)
{
    static const char *const urls[EXCH_COUNT] = {"wss://stream.binance.com:9443",
                                                 "wss://advanced-trade-ws.coinbase.com",
                                                 "wss://ws.kraken.com/v2"};
    for (int i = 0; i < EXCH_COUNT; i++) {
        enum exch_id id = (enum exch_id)((i + 1) % EXCH_COUNT);
        ck_assert_int_eq(exch_from_name(exch_name((enum exch_id)i), &id), CP_OK);
        ck_assert_int_eq(id, i);
        ck_assert_str_eq(exch_default_url(id), urls[i]);
    }
    ck_assert_str_eq(exch_name(EXCH_COINBASE), "coinbase");
}
END_TEST

START_TEST(refuses_unknown_exchange_names)
{
    static const char *const bad[] = {"Binance", "kraken ", "", "bitstamp", "coinbasepro"};
    enum exch_id id = EXCH_KRAKEN;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(exch_from_name(bad[i], &id), CP_ENOENT);
    ck_assert_int_eq(id, EXCH_KRAKEN);
}
END_TEST

START_TEST(decimal_reads_exchange_strings_exactly)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {{"97123.45000000", 97123.45},
              {"-1.23", -1.23},
              {"0", 0.0},
              {"0.00012000", 0.00012},
              {"120000", 120000.0},
              {"99999999999999", 99999999999999.0},
              {"007.50", 7.5}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -42;
        ck_assert_msg(exch_decimal(ok[i].s, &v) == CP_OK, "refused %s", ok[i].s);
        ck_assert_msg(v == ok[i].v, "%s read as %.17g", ok[i].s, v);
    }
}
END_TEST

START_TEST(decimal_refuses_all_but_digits_and_one_point)
{
    static const char *const bad[] = {
        "",   "NaN", "nan", "Infinity", "-Infinity", "inf",   "1e5", "1E5",  " 1",  "1 ",  "0x10",
        "+1", ".5",  "5.",  "-",        "--1",       "1.2.3", "1,5", "1.5e", "\t1", "1\n", "-.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42;
        ck_assert_msg(exch_decimal(bad[i], &v) == CP_EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert(v == 42);
    }
    ck_assert_int_eq(exch_decimal(NULL, &(double){0}), CP_EINVAL);
}
END_TEST

START_TEST(decimal_refuses_values_beyond_a_double)
{
    char big[400];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    double v = 42;
    ck_assert_int_eq(exch_decimal(big, &v), CP_EINVAL);
    big[0] = '-';
    ck_assert_int_eq(exch_decimal(big, &v), CP_EINVAL);
    ck_assert(v == 42);
}
END_TEST

START_TEST(rfc3339_gives_utc_milliseconds_truncated)
{
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {{"2026-08-09T21:05:48.229198328Z", 1786309548229LL},
              {"1970-01-01T00:00:00Z", 0},
              {"1970-01-01T00:00:00.9999Z", 999},
              {"2024-02-29T23:59:59.999Z", 1709251199999LL},
              {"2000-03-01T00:00:00.0Z", 951868800000LL},
              {"2000-02-29T00:00:00Z", 951782400000LL},
              {"2100-03-01T12:34:56.005Z", 4107587696005LL},
              {"9999-12-31T23:59:59.999999999Z", 253402300799999LL}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        ck_assert_msg(exch_rfc3339_ms(ok[i].s, &ms) == CP_OK, "refused %s", ok[i].s);
        ck_assert_msg(ms == ok[i].ms, "%s read as %lld", ok[i].s, (long long)ms);
    }
}
END_TEST

START_TEST(rfc3339_refuses_all_but_strict_utc)
{
    static const char *const bad[] = {"2026-08-09T21:05:48.229+00:00",
                                      "2026-08-09T21:05:48.229z",
                                      "2026-08-09t21:05:48.229Z",
                                      "2026-08-09 21:05:48.229Z",
                                      "2026-08-09T21:05:48.Z",
                                      "2026-08-09T21:05:48.1234567890Z",
                                      "2026-08-09T21:05:48",
                                      "2026-08-09T21:05:48ZZ",
                                      "2026-08-09T21:05Z",
                                      "2026-8-09T21:05:48Z",
                                      "2023-02-29T00:00:00Z",
                                      "2100-02-29T00:00:00Z",
                                      "2026-13-01T00:00:00Z",
                                      "2026-00-01T00:00:00Z",
                                      "2026-04-31T00:00:00Z",
                                      "2026-04-00T00:00:00Z",
                                      "2026-08-09T24:00:00Z",
                                      "2026-08-09T23:60:00Z",
                                      "2016-12-31T23:59:60Z",
                                      "1969-12-31T23:59:59Z",
                                      "+2026-08-09T21:05:48Z",
                                      "2026-08-09T21:05:48.-1Z",
                                      "",
                                      "2026"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        ck_assert_msg(exch_rfc3339_ms(bad[i], &ms) == CP_EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert(ms == 42);
    }
}
END_TEST

/* ---- the symbol map ---- */

/* The built-in map, NULL where a symbol is not mapped. */
static const struct {
    const char *symbol, *instrument[EXCH_COUNT];
} builtin_want[] = {
    {"BTC", {"BTCUSDT", "BTC-USD", "BTC/USD"}},     {"ETH", {"ETHUSDT", "ETH-USD", "ETH/USD"}},
    {"SOL", {"SOLUSDT", "SOL-USD", "SOL/USD"}},     {"BNB", {"BNBUSDT", NULL, NULL}},
    {"XRP", {"XRPUSDT", "XRP-USD", "XRP/USD"}},     {"ADA", {"ADAUSDT", "ADA-USD", "ADA/USD"}},
    {"DOGE", {"DOGEUSDT", "DOGE-USD", "DOGE/USD"}}, {"AVAX", {"AVAXUSDT", "AVAX-USD", "AVAX/USD"}},
    {"DOT", {"DOTUSDT", "DOT-USD", "DOT/USD"}},     {"LINK", {"LINKUSDT", "LINK-USD", "LINK/USD"}},
    {"LTC", {"LTCUSDT", "LTC-USD", "LTC/USD"}},     {"MATIC", {"POLUSDT", "POL-USD", "POL/USD"}},
    {"USDT", {NULL, "USDT-USD", "USDT/USD"}},       {"USDC", {"USDCUSDT", NULL, "USDC/USD"}},
};

START_TEST(map_has_every_default_symbol_where_it_trades)
{
    for (size_t i = 0; i < sizeof builtin_want / sizeof builtin_want[0]; i++) {
        for (int id = 0; id < EXCH_COUNT; id++) {
            const char *want = builtin_want[i].instrument[id];
            const char *got = exch_instrument(map, (enum exch_id)id, builtin_want[i].symbol);
            ck_assert_msg(want ? got && strcmp(got, want) == 0 : got == NULL, "%s on %s: %s",
                          builtin_want[i].symbol, exch_name((enum exch_id)id),
                          got ? got : "(unmapped)");
            if (want)
                ck_assert_str_eq(exch_symbol(map, (enum exch_id)id, want), builtin_want[i].symbol);
        }
    }
}
END_TEST

START_TEST(map_lookups_are_exact_and_per_exchange)
{
    ck_assert_ptr_null(exch_symbol(map, EXCH_BINANCE, "btcusdt"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_BINANCE, "BTC-USD"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_KRAKEN, "XBT/USD"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_COINBASE, "MATIC-USD"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, "btc"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, "SHIB"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, NULL));
    ck_assert_ptr_null(exch_instrument(NULL, EXCH_KRAKEN, "BTC"));
    exch_map_free(NULL);
}
END_TEST

START_TEST(map_extra_entries_add_and_override)
{
    struct exch_map *m = exch_map_new("binance:MATIC=MATICUSDT,kraken:DOGE=XDG/USD,"
                                      "coinbase:SHIB=SHIB-USD,coinbase:USDT=",
                                      err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_instrument(m, EXCH_BINANCE, "MATIC"), "MATICUSDT");
    ck_assert_ptr_null(exch_symbol(m, EXCH_BINANCE, "POLUSDT"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "DOGE"), "XDG/USD");
    ck_assert_ptr_null(exch_symbol(m, EXCH_KRAKEN, "DOGE/USD"));
    ck_assert_str_eq(exch_symbol(m, EXCH_COINBASE, "SHIB-USD"), "SHIB");
    ck_assert_ptr_null(exch_instrument(m, EXCH_COINBASE, "USDT"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "USDT"), "USDT/USD");
    ck_assert_str_eq(exch_instrument(m, EXCH_COINBASE, "MATIC"), "POL-USD");
    exch_map_free(m);
}
END_TEST

START_TEST(map_extra_entry_takes_its_instrument_from_a_builtin_symbol)
{
    struct exch_map *m = exch_map_new("binance:POL=POLUSDT", err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_symbol(m, EXCH_BINANCE, "POLUSDT"), "POL");
    ck_assert_ptr_null(exch_instrument(m, EXCH_BINANCE, "MATIC"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "MATIC"), "POL/USD");
    exch_map_free(m);
    m = exch_map_new(NULL, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(exch_instrument(m, EXCH_BINANCE, "MATIC"), "POLUSDT");
    exch_map_free(m);
}
END_TEST

START_TEST(map_refuses_malformed_entries_naming_them)
{
    static const struct {
        const char *extra, *named;
    } bad[] = {
        {"binance", "entry 1 \"binance\""},
        {"binance:BTC", "entry 1 \"binance:BTC\""},
        {"binance:BTC=BTCUSDT,bitstamp:BTC=BTCUSD", "entry 2 \"bitstamp:BTC=BTCUSD\""},
        {"Binance:BTC=BTCUSDT", "entry 1 \"Binance:BTC=BTCUSDT\""},
        {"binance:btc=BTCUSDT", "entry 1 \"binance:btc=BTCUSDT\""},
        {"binance:=BTCUSDT", "entry 1 \"binance:=BTCUSDT\""},
        {":BTC=BTCUSDT", "entry 1 \":BTC=BTCUSDT\""},
        {"binance:ABCDEFGHIJKLMNOP=BTCUSDT", "entry 1 \"binance:ABCDEFGHIJKLMNOP=BTCUSDT\""},
        {"binance:BTC=btcusdt", "entry 1 \"binance:BTC=btcusdt\""},
        {"binance:BTC=BTC-USDT", "entry 1 \"binance:BTC=BTC-USDT\""},
        {"binance:BTC=BTC\"USDT", "entry 1 \"binance:BTC=BTC\"USDT\""},
        {"binance:BTC=BTCUSDT/x", "entry 1 \"binance:BTC=BTCUSDT/x\""},
        {"coinbase:BTC=BTCUSD", "entry 1 \"coinbase:BTC=BTCUSD\""},
        {"coinbase:BTC=BTC-", "entry 1 \"coinbase:BTC=BTC-\""},
        {"coinbase:BTC=BTC-USD-X", "entry 1 \"coinbase:BTC=BTC-USD-X\""},
        {"kraken:BTC=BTC-USD", "entry 1 \"kraken:BTC=BTC-USD\""},
        {"kraken:BTC=/USD", "entry 1 \"kraken:BTC=/USD\""},
        {"kraken:BTC=BTC/", "entry 1 \"kraken:BTC=BTC/\""},
        {"kraken:BTC=BTC/USD ", "entry 1 \"kraken:BTC=BTC/USD \""},
        {"kraken:BTC=ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMNO", "entry 1"},
        {" binance:BTC=BTCUSDT", "entry 1 \" binance:BTC=BTCUSDT\""},
        {"binance:BTC=BTCUSDT,,kraken:BTC=BTC/USD", "entry 2 \"\""},
        {",binance:BTC=BTCUSDT", "entry 1 \"\""},
        {"binance:BTC=BTCUSDT,", "entry 2 \"\""},
        {"binance:BTC=BTCUSDT,binance:BTC=BTCUSDC", "entry 2 \"binance:BTC=BTCUSDC\""},
        {"kraken:A=X/USD,kraken:B=X/USD", "entry 2 \"kraken:B=X/USD\""},
        {"binance:BTC=BTCUSDT:binance:ETH=ETHUSDT", "entry 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        struct exch_map *m = exch_map_new(bad[i].extra, err, sizeof err);
        ck_assert_msg(m == NULL, "accepted \"%s\"", bad[i].extra);
        ck_assert_msg(strstr(err, bad[i].named) != NULL, "\"%s\": err \"%s\"", bad[i].extra, err);
    }
}
END_TEST

START_TEST(map_accepts_the_longest_instrument_that_fits)
{
    struct exch_map *m =
        exch_map_new("kraken:LONG=ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMN", err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "LONG"), "ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMN");
    exch_map_free(m);
}
END_TEST

/* ---- connect URLs and subscribe messages ---- */

static const char *const some[] = {"BTC", "ETH", "USDT", "MATIC", "BTC", "BNB"};
#define NSOME (sizeof some / sizeof some[0])

START_TEST(binance_url_carries_lowercase_ticker_streams)
{
    char url[256];
    const char *want = "wss://stream.binance.com:9443/stream?streams=btcusdt@ticker/"
                       "ethusdt@ticker/polusdt@ticker/bnbusdt@ticker";
    int len = exch_connect_url(map, EXCH_BINANCE, exch_default_url(EXCH_BINANCE), some, NSOME, url,
                               sizeof url);
    ck_assert_str_eq(url, want);
    ck_assert_int_eq(len, (int)strlen(want));
}
END_TEST

START_TEST(binance_url_does_not_double_stream_or_slashes)
{
    char url[256];
    static const char *const bases[] = {"ws://127.0.0.1:9/stream", "ws://127.0.0.1:9/stream/",
                                        "ws://127.0.0.1:9/", "ws://127.0.0.1:9"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        ck_assert_int_gt(exch_connect_url(map, EXCH_BINANCE, bases[i], some, 1, url, sizeof url),
                         0);
        ck_assert_str_eq(url, "ws://127.0.0.1:9/stream?streams=btcusdt@ticker");
    }
}
END_TEST

START_TEST(other_exchanges_connect_to_their_base)
{
    char url[256];
    ck_assert_int_eq(exch_connect_url(map, EXCH_COINBASE, "wss://advanced-trade-ws.coinbase.com",
                                      some, NSOME, url, sizeof url),
                     36);
    ck_assert_str_eq(url, "wss://advanced-trade-ws.coinbase.com");
    ck_assert_int_eq(
        exch_connect_url(map, EXCH_KRAKEN, "ws://127.0.0.1:8/v2", some, NSOME, url, sizeof url),
        19);
    ck_assert_str_eq(url, "ws://127.0.0.1:8/v2");
}
END_TEST

START_TEST(connect_url_reports_too_small_a_buffer)
{
    char url[64];
    const char *want = "ws://h/stream?streams=btcusdt@ticker";
    size_t len = strlen(want);
    ck_assert_int_eq(exch_connect_url(map, EXCH_BINANCE, "ws://h", some, 1, url, len), CP_ETOOBIG);
    ck_assert_str_eq(url, "");
    ck_assert_int_eq(exch_connect_url(map, EXCH_BINANCE, "ws://h", some, 1, url, len + 1),
                     (int)len);
    ck_assert_str_eq(url, want);
    ck_assert_int_eq(exch_connect_url(map, EXCH_KRAKEN, "ws://h", some, 1, url, 6), CP_ETOOBIG);
    ck_assert_int_eq(exch_connect_url(map, EXCH_KRAKEN, "ws://h", some, 1, url, 7), 6);
}
END_TEST

START_TEST(coinbase_subscribes_to_ticker_and_heartbeats)
{
    char *msgs[EXCH_SUBSCRIBE_MAX] = {0};
    ck_assert_uint_eq(exch_subscribe(map, EXCH_COINBASE, some, NSOME, msgs), 2);
    ck_assert_str_eq(msgs[0], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\","
                              "\"USDT-USD\",\"POL-USD\"],\"channel\":\"ticker\"}");
    ck_assert_str_eq(msgs[1], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\","
                              "\"USDT-USD\",\"POL-USD\"],\"channel\":\"heartbeats\"}");
    free(msgs[0]);
    free(msgs[1]);
}
END_TEST

START_TEST(kraken_subscribes_to_ticker_with_a_snapshot)
{
    char *msgs[EXCH_SUBSCRIBE_MAX] = {0};
    ck_assert_uint_eq(exch_subscribe(map, EXCH_KRAKEN, some, NSOME, msgs), 1);
    ck_assert_str_eq(msgs[0], "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\","
                              "\"symbol\":[\"BTC/USD\",\"ETH/USD\",\"USDT/USD\",\"POL/USD\"],"
                              "\"snapshot\":true},\"req_id\":1}");
    free(msgs[0]);
}
END_TEST

START_TEST(no_subscribe_messages_for_binance_or_unmapped_symbols)
{
    char *msgs[EXCH_SUBSCRIBE_MAX] = {0};
    static const char *const bnb[] = {"BNB", "NOPE"};
    ck_assert_uint_eq(exch_subscribe(map, EXCH_BINANCE, some, NSOME, msgs), 0);
    ck_assert_uint_eq(exch_subscribe(map, EXCH_COINBASE, bnb, 2, msgs), 0);
    ck_assert_uint_eq(exch_subscribe(map, EXCH_KRAKEN, bnb, 2, msgs), 0);
    ck_assert_uint_eq(exch_subscribe(map, EXCH_KRAKEN, bnb, 0, msgs), 0);
    ck_assert_ptr_null(msgs[0]);
}
END_TEST

/* ---- Binance ---- */

static void check_binance_ticker(const char *file, double price, double change, double high,
                                 double low, double volume, int64_t ts)
{
    char *text = read_sample(file);
    ck_assert_int_eq(parse(EXCH_BINANCE, text), EXCH_QUOTES);
    free(text);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert(q[0].price == price);
    ck_assert(q[0].has_stats);
    ck_assert(q[0].change24h == change);
    ck_assert(q[0].high24h == high);
    ck_assert(q[0].low24h == low);
    ck_assert(q[0].volume24h == volume);
    ck_assert_int_eq(q[0].ts_ms, ts);
}

START_TEST(binance_24hr_tickers_of_the_samples_give_exact_quotes)
{
    if (!have_samples())
        return;
    check_binance_ticker("atokmakov_binance_24hrTicker_1.json", 94160.0, 0.182, 187440.9, 21917.3,
                         2109.00156, 1745666522004LL);
    check_binance_ticker("atokmakov_binance_24hrTicker_2.json", 92671.2, -0.886, 120000.0, 22009.8,
                         2319.45099, 1745472822004LL);
}
END_TEST

START_TEST(binance_mini_ticker_and_agg_trade_samples_are_ignored)
{
    if (!have_samples())
        return;
    static const char *const files[] = {"atokmakov_binance_miniTicker.json",
                                        "atokmakov_binance_aggTrade.json"};
    for (size_t i = 0; i < 2; i++) {
        char *text = read_sample(files[i]);
        ck_assert_msg(parse(EXCH_BINANCE, text) == EXCH_IGNORED, "%s: %s", files[i], err);
        ck_assert_uint_eq(nq, 0);
        free(text);
    }
}
END_TEST

static void expect_binance_ignored(const char *msg, size_t lineno)
{
    int rc = parse(EXCH_BINANCE, msg);
    ck_assert_msg(rc == EXCH_IGNORED, "line %zu: %d %s", lineno, rc, err);
}

START_TEST(binance_recorded_streams_are_all_ignored)
{
    if (!have_samples())
        return;
    /* depth, bookTicker, kline and aggTrade: 265 and 480 messages */
    ck_assert_uint_eq(each_recorded("cryptofeed_BINANCE.ws.1.0.txt", expect_binance_ignored), 265);
    ck_assert_uint_eq(each_recorded("cryptofeed_BINANCE_US.ws.1.0.txt", expect_binance_ignored),
                      480);
}
END_TEST

static const struct field binance_fields[] = {{"e", "\"24hrTicker\""},
                                              {"E", "1745666522004"},
                                              {"s", "\"BTCUSDT\""},
                                              {"p", "\"170.79\""},
                                              {"P", "\"0.182\""},
                                              {"c", "\"94160.00000000\""},
                                              {"o", "\"93989.21\""},
                                              {"h", "\"95000.50000000\""},
                                              {"l", "\"93000.25000000\""},
                                              {"v", "\"2109.00156\""},
                                              {"q", "\"199349146.6\""},
                                              {"n", "80199"},
                                              {NULL, NULL}};

static const char *binance(const char *key, const char *value)
{
    return build("{\"stream\":\"btcusdt@ticker\",\"data\":", binance_fields, key, value, "}");
}

START_TEST(binance_ticker_envelope_and_bare_payload_agree)
{
    ck_assert_int_eq(parse(EXCH_BINANCE, binance(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    struct exch_quote a = q[0];
    ck_assert(a.price == 94160.0 && a.high24h == 95000.5 && a.low24h == 93000.25);
    const char *bare = build("", binance_fields, NULL, NULL, "");
    ck_assert_int_eq(parse(EXCH_BINANCE, bare), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, a.symbol);
    ck_assert(q[0].price == a.price && q[0].change24h == a.change24h && q[0].high24h == a.high24h &&
              q[0].low24h == a.low24h && q[0].volume24h == a.volume24h &&
              q[0].has_stats == a.has_stats);
    ck_assert_int_eq(q[0].ts_ms, a.ts_ms);
}
END_TEST

START_TEST(binance_control_messages_are_acks_and_rejects)
{
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"result\":null,\"id\":1}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"result\":[\"btcusdt@ticker\"],\"id\":3}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"e\":\"serverShutdown\",\"E\":1745666522004}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"code\":2,\"msg\":\"Invalid request: bad\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Invalid request: bad (code 2)");
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"error\":{\"code\":3,\"msg\":\"Unknown "
                                         "property\\nx\"},\"id\":null}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Unknown property?x (code 3)");
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"code\":-1121}"), EXCH_REJECT);
    ck_assert_str_eq(err, "(no message) (code -1121)");
}
END_TEST

START_TEST(binance_other_events_are_ignored)
{
    static const char *const other[] = {
        "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.3\",\"B\":\"31.2\",\"a\":\"25.4\","
        "\"A\":\"40.6\"}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\"}}",
        "{\"stream\":\"btcusdt@ticker_1h\",\"data\":{\"e\":\"1hTicker\",\"s\":\"BTCUSDT\"}}",
        "{\"stream\":\"!miniTicker@arr\",\"data\":[{\"e\":\"24hrMiniTicker\"}]}"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        ck_assert_msg(parse(EXCH_BINANCE, other[i]) == EXCH_IGNORED, "%s: %s", other[i], err);
}
END_TEST

/* A hostile value (raw JSON) for a key of a ticker; NULL leaves the key out. */
struct hostile {
    const char *key, *value;
};

static const struct hostile string_hostile[] = {{"c", "94160.5"},
                                                {"c", "\"1e300\""},
                                                {"c", "\"99999999999999\""},
                                                {"c", "\"1000000000000\""},
                                                {"c", "\"NaN\""},
                                                {"c", "\"Infinity\""},
                                                {"c", "\"\""},
                                                {"c", "\"-94160\""},
                                                {"c", "\"0\""},
                                                {"c", "\"0.000\""},
                                                {"c", "\" 1\""},
                                                {"c", "\"0x10\""},
                                                {"c", "\"1e5\""},
                                                {"c", "null"},
                                                {"c", "true"},
                                                {"c", "[\"1\"]"},
                                                {"c", "{\"v\":1}"},
                                                {"c", NULL},
                                                {"P", "0.182"},
                                                {"P", "\"-100.5\""},
                                                {"P", "\"NaN\""},
                                                {"P", NULL},
                                                {"h", "\"0\""},
                                                {"h", "\"1e300\""},
                                                {"h", "95000.5"},
                                                {"h", NULL},
                                                {"l", "\"-1\""},
                                                {"l", "\"\""},
                                                {"l", NULL},
                                                {"v", "\"-0.5\""},
                                                {"v", "2109.0"},
                                                {"v", "\"1e19\""},
                                                {"v", "\"1000000000000000000\""},
                                                {"v", NULL},
                                                {"E", "\"1745666522004\""},
                                                {"E", "-1"},
                                                {"E", "0"},
                                                {"E", "1745666522004.5"},
                                                {"E", "253402300800000"},
                                                {"E", NULL},
                                                {"s", "42"},
                                                {"s", NULL},
                                                {"e", "7"}};

START_TEST(binance_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof string_hostile / sizeof string_hostile[0]; i++) {
        const struct hostile *h = &string_hostile[i];
        const char *msg = binance(h->key, h->value);
        int rc = parse(EXCH_BINANCE, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
        ck_assert_msg(err[0] != '\0', "%s: no reason", msg);
    }
}
END_TEST

START_TEST(binance_accepts_the_edges_of_the_ranges)
{
    static const struct hostile edge[] = {{"c", "\"999999999999.99\""},
                                          {"c", "\"0.00000001\""},
                                          {"P", "\"-100\""},
                                          {"v", "\"0\""},
                                          {"E", "253402300799999"}};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        const char *msg = binance(edge[i].key, edge[i].value);
        ck_assert_msg(parse(EXCH_BINANCE, msg) == EXCH_QUOTES, "%s: %s", msg, err);
        ck_assert_uint_eq(nq, 1);
    }
}
END_TEST

START_TEST(binance_unmapped_symbols_give_no_quote_and_are_not_read)
{
    const char *msg = build("", binance_fields, "s", "\"FOOUSDT\"", "");
    ck_assert_int_eq(parse(EXCH_BINANCE, msg), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    /* the values of products we do not follow are not read */
    static struct field odd[sizeof binance_fields / sizeof binance_fields[0]];
    memcpy(odd, binance_fields, sizeof odd);
    odd[2].value = "\"NKNUSDT\"";
    odd[5].value = "\"NaN\"";
    ck_assert_int_eq(parse(EXCH_BINANCE, build("", odd, NULL, NULL, "")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    msg = build("", binance_fields, "s", "\"btcusdt\"", "");
    ck_assert_int_eq(parse(EXCH_BINANCE, msg), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

START_TEST(binance_quotes_stop_at_max)
{
    const char *msg = binance(NULL, NULL);
    ck_assert_int_eq(exch_parse(map, EXCH_BINANCE, msg, strlen(msg), q, 0, &nq, err, sizeof err),
                     EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

/* ---- malformed JSON, for every exchange ---- */

START_TEST(malformed_json_is_invalid_on_every_exchange)
{
    static char deep[20001];
    memset(deep, '[', sizeof deep - 1);
    static char deep_obj[30001];
    for (size_t i = 0; i + 5 < sizeof deep_obj; i += 5)
        memcpy(deep_obj + i, "{\"a\":", 5);
    const char *valid = binance(NULL, NULL);
    char truncated[512];
    snprintf(truncated, sizeof truncated, "%.*s", (int)strlen(valid) - 3, valid);
    const char *const bad[] = {"",
                               " ",
                               "null",
                               "42",
                               "\"text\"",
                               "[]",
                               "[1,\"ticker\"]",
                               "{",
                               "{\"channel\":\"ticker\"",
                               "{\"channel\":\"ticker\"}x",
                               "{\"channel\":\"ticker\"} {}",
                               "{'channel':'ticker'}",
                               "{\"channel\":\"tick\\u0000er\"}",
                               "{\"channel\":\"heartbeat\",\"channel\":\"heartbeats\"}",
                               "{\"e\":NaN}",
                               "{\"e\":Infinity}",
                               "{\"a\":1e400}",
                               "{\"a\":99999999999999999999999}",
                               "\xef\xbb\xbf{}",
                               "{\"a\":\"\xff\"}",
                               truncated,
                               deep,
                               deep_obj};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int id = 0; id < EXCH_COUNT; id++) {
            int rc = parse((enum exch_id)id, bad[i]);
            ck_assert_msg(rc == CP_EINVAL, "%s: \"%.40s\": %d", exch_name((enum exch_id)id), bad[i],
                          rc);
            ck_assert_uint_eq(nq, 0);
        }
    }
}
END_TEST

START_TEST(length_bounds_the_message)
{
    const char *msg = "{\"channel\":\"heartbeat\"}garbage";
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 23, q, QMAX, &nq, err, sizeof err),
                     EXCH_HEARTBEAT);
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 24, q, QMAX, &nq, err, sizeof err),
                     CP_EINVAL);
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 0, q, QMAX, &nq, err, sizeof err),
                     CP_EINVAL);
}
END_TEST

/* ---- Coinbase ---- */

/* Each "recv" line's message of the Advanced Trade recording, by channel. */
START_TEST(coinbase_advanced_trade_recording_parses_by_channel)
{
    if (!have_samples())
        return;
    char *text = read_sample("cryptofeed_COINBASE_advanced_trade_subset.jsonl");
    size_t counts[5] = {0}, lineno = 0;
    bool first = true;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        json_t *rec = json_loads(line, 0, NULL);
        ck_assert_msg(rec != NULL, "line %zu is not JSON", lineno);
        const char *t = json_string_value(json_object_get(rec, "t"));
        const char *data = json_string_value(json_object_get(rec, "data"));
        if (t && strcmp(t, "recv") == 0) {
            json_t *msg = json_loads(data, 0, NULL);
            const char *channel = json_string_value(json_object_get(msg, "channel"));
            int rc = parse(EXCH_COINBASE, data);
            int want = strcmp(channel, "ticker") == 0          ? EXCH_QUOTES
                       : strcmp(channel, "heartbeats") == 0    ? EXCH_HEARTBEAT
                       : strcmp(channel, "subscriptions") == 0 ? EXCH_ACK
                                                               : EXCH_IGNORED;
            ck_assert_msg(rc == want, "line %zu (%s): %d, %s", lineno, channel, rc, err);
            counts[rc]++;
            if (rc == EXCH_QUOTES) {
                ck_assert_uint_eq(nq, 1);
                ck_assert(q[0].ts_ms > 1786309548000LL && q[0].ts_ms < 1786309648000LL);
            }
            if (rc == EXCH_QUOTES && first) {
                first = false;
                ck_assert_str_eq(q[0].symbol, "BTC");
                ck_assert(q[0].price == 65086.18);
                ck_assert(q[0].change24h == 0.09601107287722);
                ck_assert(q[0].high24h == 65252.99);
                ck_assert(q[0].low24h == 64675.22);
                ck_assert(q[0].volume24h == 2867.54532609);
                ck_assert(q[0].has_stats);
                ck_assert_int_eq(q[0].ts_ms, 1786309548229LL);
            }
            json_decref(msg);
        }
        json_decref(rec);
    }
    free(text);
    ck_assert_uint_eq(counts[EXCH_QUOTES], 39);
    ck_assert_uint_eq(counts[EXCH_HEARTBEAT], 25);
    ck_assert_uint_eq(counts[EXCH_ACK], 5);
    ck_assert_uint_eq(counts[EXCH_IGNORED], 45);
}
END_TEST

static void expect_not_quotes(enum exch_id id, const char *msg, size_t lineno)
{
    int rc = parse(id, msg);
    ck_assert_msg(rc == CP_EINVAL || rc == EXCH_IGNORED, "line %zu: %d", lineno, rc);
    ck_assert_uint_eq(nq, 0);
}

static void expect_coinbase_not_quotes(const char *msg, size_t lineno)
{
    expect_not_quotes(EXCH_COINBASE, msg, lineno);
}

START_TEST(coinbase_exchange_feed_is_not_mistaken_for_quotes)
{
    if (!have_samples())
        return;
    /* the older feed's "type":"ticker" messages hold BTC-less products, but
     * its shape alone must not pass: try it with a mapped product too */
    ck_assert_uint_eq(
        each_recorded("cryptofeed_COINBASE.ws.28.0_ticker_subset.txt", expect_coinbase_not_quotes),
        108);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"ticker\",\"product_id\":\"BTC-USD\","
                                          "\"price\":\"97000.1\",\"time\":\"2021-04-17T16:43:30."
                                          "244075Z\"}"),
                     CP_EINVAL);
}
END_TEST

static const struct field coinbase_fields[] = {{"type", "\"ticker\""},
                                               {"product_id", "\"ETH-USD\""},
                                               {"price", "\"1916.02\""},
                                               {"volume_24_h", "\"150000.5\""},
                                               {"low_24_h", "\"1890.1\""},
                                               {"high_24_h", "\"1930.75\""},
                                               {"price_percent_chg_24_h", "\"-1.25\""},
                                               {"best_bid", "\"1916.01\""},
                                               {NULL, NULL}};

#define COINBASE_HEAD                                                                              \
    "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48.5Z\",\"sequence_num\":7,"         \
    "\"events\":[{\"type\":\"update\",\"tickers\":["

static const char *coinbase(const char *key, const char *value)
{
    return build(COINBASE_HEAD, coinbase_fields, key, value, "]}]}");
}

START_TEST(coinbase_ticker_gives_a_quote)
{
    ck_assert_int_eq(parse(EXCH_COINBASE, coinbase(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert(q[0].price == 1916.02 && q[0].change24h == -1.25 && q[0].high24h == 1930.75 &&
              q[0].low24h == 1890.1 && q[0].volume24h == 150000.5);
    ck_assert_int_eq(q[0].ts_ms, 1786309548500LL);
}
END_TEST

START_TEST(coinbase_quotes_only_mapped_products_of_all_events)
{
    char msg[2048];
    snprintf(msg, sizeof msg,
             "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":["
             "{\"type\":\"update\",\"tickers\":[%s,"
             "{\"type\":\"ticker\",\"product_id\":\"FOO-USD\",\"price\":\"NaN\"}]},"
             "{\"type\":\"update\",\"tickers\":[{\"type\":\"ticker\",\"product_id\":\"BTC-USD\","
             "\"price\":\"97000.5\",\"volume_24_h\":\"1\",\"low_24_h\":\"96000\","
             "\"high_24_h\":\"98000\",\"price_percent_chg_24_h\":\"0\"}]}]}",
             build("", coinbase_fields, NULL, NULL, ""));
    ck_assert_msg(parse(EXCH_COINBASE, msg) == EXCH_QUOTES, "%s", err);
    ck_assert_uint_eq(nq, 2);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert_str_eq(q[1].symbol, "BTC");
    ck_assert(q[1].price == 97000.5);
    ck_assert_int_eq(q[1].ts_ms, 1786309548000LL);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:"
                                          "05:48Z\",\"events\":[]}"),
                     EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

START_TEST(coinbase_one_bad_mapped_ticker_spoils_the_message)
{
    char msg[2048];
    snprintf(msg, sizeof msg,
             "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":["
             "{\"type\":\"update\",\"tickers\":[%s,"
             "{\"type\":\"ticker\",\"product_id\":\"BTC-USD\",\"price\":\"NaN\"}]}]}",
             build("", coinbase_fields, NULL, NULL, ""));
    ck_assert_int_eq(parse(EXCH_COINBASE, msg), CP_EINVAL);
    ck_assert_uint_eq(nq, 0);
    ck_assert_msg(strstr(err, "BTC-USD") && strstr(err, "price"), "%s", err);
}
END_TEST

static const struct hostile coinbase_hostile[] = {{"price", "1916.02"},
                                                  {"price", "\"1e300\""},
                                                  {"price", "\"99999999999999\""},
                                                  {"price", "\"NaN\""},
                                                  {"price", "\"Infinity\""},
                                                  {"price", "\"\""},
                                                  {"price", "\"-1916.02\""},
                                                  {"price", "\"0x10\""},
                                                  {"price", "null"},
                                                  {"price", NULL},
                                                  {"volume_24_h", "150000.5"},
                                                  {"volume_24_h", "\"-1\""},
                                                  {"volume_24_h", NULL},
                                                  {"low_24_h", "\"0\""},
                                                  {"low_24_h", NULL},
                                                  {"high_24_h", "\"1e12\""},
                                                  {"high_24_h", NULL},
                                                  {"price_percent_chg_24_h", "-1.25"},
                                                  {"price_percent_chg_24_h", "\"Infinity\""},
                                                  {"price_percent_chg_24_h", NULL},
                                                  {"product_id", "7"},
                                                  {"product_id", NULL}};

START_TEST(coinbase_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof coinbase_hostile / sizeof coinbase_hostile[0]; i++) {
        const char *msg = coinbase(coinbase_hostile[i].key, coinbase_hostile[i].value);
        int rc = parse(EXCH_COINBASE, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
    }
}
END_TEST

START_TEST(coinbase_ticker_needs_its_timestamp_and_events)
{
    static const char *const bad[] = {
        "{\"channel\":\"ticker\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":1786309548,\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09 21:05:48Z\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48+02:00\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\"}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":{}}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":[7]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":[{}]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":"
        "[{\"tickers\":[\"BTC-USD\"]}]}",
        "{\"channel\":7}",
        "{\"type\":\"subscriptions\",\"channels\":[]}",
        "{\"events\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(EXCH_COINBASE, bad[i]) == CP_EINVAL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(coinbase_errors_are_rejects_and_other_channels_ignored)
{
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"error\",\"message\":\"failure to "
                                          "subscribe\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "failure to subscribe");
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"error\"}"), EXCH_REJECT);
    ck_assert_str_eq(err, "(no message)");
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"level2\",\"events\":[]}"), EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"status\",\"events\":[]}"), EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"heartbeats\"}"), EXCH_HEARTBEAT);
}
END_TEST

/* ---- Kraken ---- */

static const struct field kraken_fields[] = {{"symbol", "\"BTC/USD\""},
                                             {"bid", "97000.0"},
                                             {"bid_qty", "0.5"},
                                             {"ask", "97000.2"},
                                             {"ask_qty", "1.25"},
                                             {"last", "97000.1"},
                                             {"volume", "1234.5678"},
                                             {"vwap", "96500.3"},
                                             {"low", "95000"},
                                             {"high", "98000.75"},
                                             {"change", "-875.4"},
                                             {"change_pct", "-0.91"},
                                             {NULL, NULL}};

static const char *kraken(const char *key, const char *value)
{
    return build("{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[", kraken_fields, key,
                 value, "]}");
}

START_TEST(kraken_v2_ticker_gives_quotes_without_a_time)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert(q[0].price == 97000.1 && q[0].change24h == -0.91 && q[0].high24h == 98000.75 &&
              q[0].low24h == 95000.0 && q[0].volume24h == 1234.5678);
    ck_assert(q[0].has_stats);
    ck_assert_int_eq(q[0].ts_ms, 0);
    const char *snapshot =
        "{\"channel\":\"ticker\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"ETH/USD\","
        "\"bid\":3000.1,\"bid_qty\":2.0,\"ask\":3000.2,\"ask_qty\":1.0,\"last\":3000,"
        "\"volume\":0,\"vwap\":2990.5,\"low\":2950.25,\"high\":3050,\"change\":12.5,"
        "\"change_pct\":0.42},{\"symbol\":\"XBT/USD\",\"last\":\"x\"},{\"symbol\":\"SOL/USD\","
        "\"last\":150.5,\"volume\":1e3,\"low\":140,\"high\":155,\"change_pct\":-100}]}";
    ck_assert_msg(parse(EXCH_KRAKEN, snapshot) == EXCH_QUOTES, "%s", err);
    ck_assert_uint_eq(nq, 2);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert(q[0].price == 3000.0 && q[0].volume24h == 0.0 && q[0].high24h == 3050.0);
    ck_assert_str_eq(q[1].symbol, "SOL");
    ck_assert(q[1].volume24h == 1000.0 && q[1].change24h == -100.0);
}
END_TEST

START_TEST(kraken_control_messages)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"heartbeat\"}"), EXCH_HEARTBEAT);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{"
                                        "\"api_version\":\"v2\",\"connection_id\":1,"
                                        "\"system\":\"online\",\"version\":\"2.0.0\"}]}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"subscribe\",\"result\":{\"channel\":"
                                        "\"ticker\",\"snapshot\":true,\"symbol\":\"BTC/USD\"},"
                                        "\"success\":true,\"time_in\":\"2026-08-09T21:05:48."
                                        "1Z\",\"time_out\":\"2026-08-09T21:05:48.2Z\","
                                        "\"req_id\":1}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"pong\",\"req_id\":2}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"error\":\"Currency pair not supported FOO/USD\","
                                        "\"method\":\"subscribe\",\"req_id\":1,\"success\":false,"
                                        "\"symbol\":\"FOO/USD\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Currency pair not supported FOO/USD");
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"subscribe\",\"success\":false}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "(no message)");
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"book\",\"type\":\"update\",\"data\":[]}"),
                     EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[]}"),
                     EXCH_IGNORED);
}
END_TEST

static void expect_kraken_not_quotes(const char *msg, size_t lineno)
{
    expect_not_quotes(EXCH_KRAKEN, msg, lineno);
}

START_TEST(kraken_v1_recordings_are_not_mistaken_for_quotes)
{
    if (!have_samples())
        return;
    ck_assert_uint_eq(
        each_recorded("cryptofeed_KRAKEN.ws.49.0_ticker.txt", expect_kraken_not_quotes), 60);
    ck_assert_uint_eq(
        each_recorded("cryptofeed_KRAKEN.ws.48.0_trade.txt", expect_kraken_not_quotes), 49);
    /* a v1 ticker of a mapped pair, in v2 spelling, is still not a quote */
    ck_assert_int_eq(parse(EXCH_KRAKEN, "[340,{\"c\":[\"97000.1\",\"0.1\"]},\"ticker\",\"BTC/"
                                        "USD\"]"),
                     CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "v1"));
}
END_TEST

static const struct hostile kraken_hostile[] = {{"last", "\"97000.1\""},
                                                {"last", "1e300"},
                                                {"last", "99999999999999"},
                                                {"last", "1e12"},
                                                {"last", "-97000.1"},
                                                {"last", "0"},
                                                {"last", "0.0"},
                                                {"last", "\"NaN\""},
                                                {"last", "\"\""},
                                                {"last", "null"},
                                                {"last", "[97000.1]"},
                                                {"last", NULL},
                                                {"volume", "\"1.5\""},
                                                {"volume", "-0.001"},
                                                {"volume", "1e300"},
                                                {"volume", NULL},
                                                {"low", "-1"},
                                                {"low", "\"95000\""},
                                                {"low", NULL},
                                                {"high", "0"},
                                                {"high", NULL},
                                                {"change_pct", "\"1\""},
                                                {"change_pct", "-100.01"},
                                                {"change_pct", "1e300"},
                                                {"change_pct", NULL},
                                                {"symbol", "[\"BTC/USD\"]"},
                                                {"symbol", NULL}};

START_TEST(kraken_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof kraken_hostile / sizeof kraken_hostile[0]; i++) {
        const char *msg = kraken(kraken_hostile[i].key, kraken_hostile[i].value);
        int rc = parse(EXCH_KRAKEN, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
    }
}
END_TEST

START_TEST(kraken_malformed_envelopes_are_invalid)
{
    static const char *const bad[] = {
        "{\"channel\":\"ticker\",\"type\":\"update\"}",
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":{}}",
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[\"BTC/USD\"]}",
        "{\"channel\":[\"ticker\"]}",
        "{\"method\":7,\"success\":true}",
        "{\"method\":\"subscribe\",\"success\":\"false\"}",
        "{\"event\":\"systemStatus\",\"status\":\"online\"}",
        "{\"event\":\"heartbeat\"}",
        "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(EXCH_KRAKEN, bad[i]) == CP_EINVAL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(kraken_unmapped_symbols_give_no_quote)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"XBT/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"BNB/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

START_TEST(extra_map_entries_reach_the_parser)
{
    exch_map_free(map);
    map = exch_map_new("kraken:BTC=XBT/USD", err, sizeof err);
    ck_assert_ptr_nonnull(map);
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"XBT/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

static Suite *exch_suite(void)
{
    Suite *s = suite_create("exch");
    TCase *t = tcase_create("values");
    tcase_add_test(t, names_and_default_urls_round_trip);
    tcase_add_test(t, refuses_unknown_exchange_names);
    tcase_add_test(t, decimal_reads_exchange_strings_exactly);
    tcase_add_test(t, decimal_refuses_all_but_digits_and_one_point);
    tcase_add_test(t, decimal_refuses_values_beyond_a_double);
    tcase_add_test(t, rfc3339_gives_utc_milliseconds_truncated);
    tcase_add_test(t, rfc3339_refuses_all_but_strict_utc);
    suite_add_tcase(s, t);

    t = tcase_create("map");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, map_has_every_default_symbol_where_it_trades);
    tcase_add_test(t, map_lookups_are_exact_and_per_exchange);
    tcase_add_test(t, map_extra_entries_add_and_override);
    tcase_add_test(t, map_extra_entry_takes_its_instrument_from_a_builtin_symbol);
    tcase_add_test(t, map_refuses_malformed_entries_naming_them);
    tcase_add_test(t, map_accepts_the_longest_instrument_that_fits);
    tcase_add_test(t, binance_url_carries_lowercase_ticker_streams);
    tcase_add_test(t, binance_url_does_not_double_stream_or_slashes);
    tcase_add_test(t, other_exchanges_connect_to_their_base);
    tcase_add_test(t, connect_url_reports_too_small_a_buffer);
    tcase_add_test(t, coinbase_subscribes_to_ticker_and_heartbeats);
    tcase_add_test(t, kraken_subscribes_to_ticker_with_a_snapshot);
    tcase_add_test(t, no_subscribe_messages_for_binance_or_unmapped_symbols);
    suite_add_tcase(s, t);

    t = tcase_create("parse");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, binance_24hr_tickers_of_the_samples_give_exact_quotes);
    tcase_add_test(t, binance_mini_ticker_and_agg_trade_samples_are_ignored);
    tcase_add_test(t, binance_recorded_streams_are_all_ignored);
    tcase_add_test(t, binance_ticker_envelope_and_bare_payload_agree);
    tcase_add_test(t, binance_control_messages_are_acks_and_rejects);
    tcase_add_test(t, binance_other_events_are_ignored);
    tcase_add_test(t, binance_hostile_tickers_are_invalid);
    tcase_add_test(t, binance_accepts_the_edges_of_the_ranges);
    tcase_add_test(t, binance_unmapped_symbols_give_no_quote_and_are_not_read);
    tcase_add_test(t, binance_quotes_stop_at_max);
    tcase_add_test(t, malformed_json_is_invalid_on_every_exchange);
    tcase_add_test(t, length_bounds_the_message);
    tcase_add_test(t, coinbase_advanced_trade_recording_parses_by_channel);
    tcase_add_test(t, coinbase_exchange_feed_is_not_mistaken_for_quotes);
    tcase_add_test(t, coinbase_ticker_gives_a_quote);
    tcase_add_test(t, coinbase_quotes_only_mapped_products_of_all_events);
    tcase_add_test(t, coinbase_one_bad_mapped_ticker_spoils_the_message);
    tcase_add_test(t, coinbase_hostile_tickers_are_invalid);
    tcase_add_test(t, coinbase_ticker_needs_its_timestamp_and_events);
    tcase_add_test(t, coinbase_errors_are_rejects_and_other_channels_ignored);
    tcase_add_test(t, kraken_v2_ticker_gives_quotes_without_a_time);
    tcase_add_test(t, kraken_control_messages);
    tcase_add_test(t, kraken_v1_recordings_are_not_mistaken_for_quotes);
    tcase_add_test(t, kraken_hostile_tickers_are_invalid);
    tcase_add_test(t, kraken_malformed_envelopes_are_invalid);
    tcase_add_test(t, kraken_unmapped_symbols_give_no_quote);
    tcase_add_test(t, extra_map_entries_reach_the_parser);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(exch_suite)
