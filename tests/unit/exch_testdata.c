/* exch_testdata: the shared data of the exch tests (exch_testdata.h). */
#include "config.h"

#include "exch_testdata.h"

#include "cp_error.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The recorded samples: $CRYPTOPULSE_SHARED, else ../shared beside the
 * source tree.  Without them the sample tests say so and pass, as the other
 * tests of shared data do. */
char samples[512];

bool have_samples(void)
{
    const char *shared = getenv("CRYPTOPULSE_SHARED");
    snprintf(samples, sizeof samples, "%s/data/exchange-samples/", shared ? shared : CP_SHARED_DIR);
    if (access(samples, R_OK) == 0)
        return true;
    fprintf(stderr, "%s absent: the recorded samples are not checked\n", samples);
    return false;
}

struct exch_map *map;
struct exch_quote q[QMAX];
size_t nq;
char err[512];

void setup(void)
{
    map = exch_map_new("", err, sizeof err);
    ck_assert_ptr_nonnull(map);
}

void teardown(void)
{
    exch_map_free(map);
}

int parse(enum exch_id id, const char *msg)
{
    err[0] = '\0';
    return exch_parse(map, id, msg, strlen(msg), q, QMAX, &nq, err, sizeof err);
}

/* The whole of a sample file, NUL-terminated; the caller frees it. */
char *read_sample(const char *name)
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
size_t each_recorded(const char *name, void (*check)(const char *, size_t))
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

const char *build(const char *prefix, const struct field *f, const char *key, const char *value,
                  const char *suffix)
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

const struct field binance_fields[BINANCE_FIELDS] = {{"e", "\"24hrTicker\""},
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

const char *binance(const char *key, const char *value)
{
    return build("{\"stream\":\"btcusdt@ticker\",\"data\":", binance_fields, key, value, "}");
}

void expect_not_quotes(enum exch_id id, const char *msg, size_t lineno)
{
    int rc = parse(id, msg);
    ck_assert_msg(rc == CP_EINVAL || rc == EXCH_IGNORED, "line %zu: %d", lineno, rc);
    ck_assert_uint_eq(nq, 0);
}

const struct field coinbase_fields[] = {{"type", "\"ticker\""},
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

const char *coinbase(const char *key, const char *value)
{
    return build(COINBASE_HEAD, coinbase_fields, key, value, "]}]}");
}

const struct field kraken_fields[] = {{"symbol", "\"BTC/USD\""},
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

const char *kraken(const char *key, const char *value)
{
    return build("{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[", kraken_fields, key,
                 value, "]}");
}
