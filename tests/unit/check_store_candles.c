/* check_store_candles: the candles of feeder/store.c, store_candles.c and
 * backfill.c against a real redis-server started by the test: a tick's
 * candles written by its own script, retention trimming, the newest candles
 * read back for a new writer, and an idempotent --backfill. */
#include "config.h"

#include "check_main.h"
#include "redis_server.h"

#include "backfill.h"
#include "candles.h"
#include "conf.h"
#include "cp_error.h"
#include "ohlc.h"
#include "price.h"
#include "store.h"
#include "tickid.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "t:"
#define MIN 60000LL
#define DAY 86400000LL
#define T0 1738454400000LL /* 2025-02-02T00:00:00Z */

static struct cp_conf conf;
static struct store *st;
static struct ohlc *agg;
static redisContext *rc_;

static void setup(void)
{
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = redis_fixture.port;
    snprintf(conf.redis_prefix, sizeof conf.redis_prefix, PREFIX);
    conf.price_ttl_seconds = 60;
    rc_ = redis_server_connect(&redis_fixture);
    ck_assert(rc_ && !rc_->err);
    freeReplyObject(redisCommand(rc_, "FLUSHALL"));
    st = store_new(&conf);
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    agg = ohlc_new();
}

static void teardown(void)
{
    ohlc_free(agg);
    store_free(st);
    redisFree(rc_);
}

/* A tick of BTC at ms, price p, by owner, with the candles it changes;
 * committed or rolled back as the writer does. */
static int tick_by(const char *owner, int64_t ms, double p)
{
    struct price pr = {.symbol = "BTC", .price = p, .high24h = p, .low24h = p, .ts = ms};
    struct ohlc_sample s = {.symbol = "BTC", .t = ms, .o = p, .h = p, .l = p, .c = p, .v = 1};
    char id[PRICE_ID_MAX];
    tickid_format((struct tickid){ms, 0}, id, sizeof id);
    snprintf(pr.id, sizeof pr.id, "%s", id);
    ohlc_add(agg, &s);
    size_t n = ohlc_changes(agg);
    struct ohlc_write *w = calloc(n ? n : 1, sizeof *w);
    for (size_t i = 0; i < n; i++)
        ohlc_change(agg, i, &w[i]);
    int rc = store_write_tick_candles(st, owner, 5000, id, ms, &pr, 1, "BTC", w, n);
    if (rc == CP_OK)
        ohlc_commit(agg);
    else
        ohlc_rollback(agg);
    free(w);
    return rc;
}

static int tick(int64_t ms, double p)
{
    return tick_by("me", ms, p);
}

/* The whole sorted set of key as "score member ..." text (static). */
static const char *zdump(const char *key)
{
    static char out[1 << 20];
    redisReply *r = redisCommand(rc_, "ZRANGE %s 0 -1 WITHSCORES", key);
    ck_assert(r && r->type == REDIS_REPLY_ARRAY);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->elements && len + 200 < sizeof out; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s ", r->element[i]->str);
    freeReplyObject(r);
    return out;
}

static long long zcard(const char *key)
{
    redisReply *r = redisCommand(rc_, "ZCARD %s", key);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* The newest member of key (static), "" when empty. */
static const char *newest(const char *key)
{
    static char out[CANDLES_MEMBER_MAX];
    redisReply *r = redisCommand(rc_, "ZRANGE %s -1 -1", key);
    snprintf(out, sizeof out, "%s", r->elements ? r->element[0]->str : "");
    freeReplyObject(r);
    return out;
}

START_TEST(a_tick_writes_its_candles_in_its_own_script)
{
    ck_assert_int_eq(tick(T0 + 1000, 100000.5), CP_OK);
    ck_assert_int_eq(tick(T0 + 2000, 100100.25), CP_OK);
    /* what a reader sees agrees with the tick just published */
    redisReply *r = redisCommand(rc_, "GET " PREFIX "price:BTC");
    ck_assert_ptr_nonnull(strstr(r->str, "\"price\":100100.25"));
    freeReplyObject(r);
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1m"),
                     "o[1738454400000,100000.5,100100.25,100000.5,100100.25,2.0]");
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1d"),
                     "o[1738454400000,100000.5,100100.25,100000.5,100100.25,2.0]");
    /* the next minute closes the first 1m candle, stored once per bucket */
    ck_assert_int_eq(tick(T0 + MIN, 99000), CP_OK);
    ck_assert_str_eq(zdump(PREFIX "candles:BTC:1m"),
                     "c[1738454400000,100000.5,100100.25,100000.5,100100.25,2.0] 1738454400000 "
                     "o[1738454460000,99000.0,99000.0,99000.0,99000.0,1.0] 1738454460000 ");
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1h"), 1);
}
END_TEST

START_TEST(a_tick_refused_writes_no_candle)
{
    ck_assert_int_eq(tick(T0 + 5000, 100), CP_OK);
    /* an id not after the stream's newest: XADD fails before the candles */
    ck_assert_int_eq(tick(T0 + 4000, 500), CP_EPROTO);
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1m"),
                     "o[1738454400000,100.0,100.0,100.0,100.0,1.0]");
    /* not the lease holder: nothing at all */
    redisReply *r = redisCommand(rc_, "SET " PREFIX "feeder:lease other");
    freeReplyObject(r);
    ck_assert_int_eq(tick_by("me", T0 + 6000, 700), CP_ENOENT);
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1m"),
                     "o[1738454400000,100.0,100.0,100.0,100.0,1.0]");
    /* and the aggregator was rolled back: no 500 or 700 in the next write */
    freeReplyObject(redisCommand(rc_, "DEL " PREFIX "feeder:lease"));
    ck_assert_int_eq(tick(T0 + 7000, 101), CP_OK);
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1m"),
                     "o[1738454400000,100.0,101.0,100.0,101.0,2.0]");
}
END_TEST

START_TEST(retention_trims_what_is_older_than_the_newest_minus_the_days)
{
    conf.candle_retention_days[CANDLES_1M] = 1;
    conf.candle_retention_days[CANDLES_5M] = 1;
    /* two days of ticks every 10 minutes */
    for (int64_t t = T0; t < T0 + 2 * DAY; t += 10 * MIN)
        ck_assert_int_eq(tick(t, 100 + (double)((t / MIN) % 7)), CP_OK);
    int64_t last = T0 + 2 * DAY - 10 * MIN;
    redisReply *r = redisCommand(rc_, "ZRANGE " PREFIX "candles:BTC:1m 0 0 WITHSCORES");
    ck_assert_int_eq(atoll(r->element[1]->str), last - DAY); /* exactly a day kept */
    freeReplyObject(r);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 145);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:5m"), 145);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1h"), 48); /* 400 days: all */
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1d"), 2);
}
END_TEST

static char got[8][CANDLES_MEMBER_MAX];
static int ngot;

static void on_newest(void *ctx, const char *symbol, enum candles_interval iv,
                      const struct ohlcv *c)
{
    ck_assert_int_lt(ngot, 8);
    if (c)
        candles_member(c, symbol, got[ngot], sizeof got[ngot]);
    else
        snprintf(got[ngot], sizeof got[ngot], "%s %s none", symbol, candles_interval_name(iv));
    ngot++;
}

START_TEST(newest_candles_of_every_key_are_read_back)
{
    ck_assert_int_eq(tick(T0 + 1000, 100), CP_OK);
    ck_assert_int_eq(tick(T0 + MIN, 101), CP_OK);
    ngot = 0;
    ck_assert_int_eq(store_newest_candles(st, "BTC,ETH", on_newest, NULL), CP_OK);
    ck_assert_int_eq(ngot, 8);
    ck_assert_str_eq(got[0], "o[1738454460000,101.0,101.0,101.0,101.0,1.0]");
    ck_assert_str_eq(got[3], "o[1738454400000,100.0,101.0,100.0,101.0,2.0]");
    ck_assert_str_eq(got[4], "ETH 1m none");
    ck_assert_str_eq(got[7], "ETH 1d none");
}
END_TEST

/* A Binance-layout file of BTC: minutes rows from start, price rising. */
static void write_csv(const char *path, int64_t start, int rows)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < rows; i++) {
        double o = 100 + i % 13, c = 100 + (i * 7) % 11;
        fprintf(f, "%lld,%.2f,%.2f,%.2f,%.2f,1.5,%lld,%.3f,10,0,0,0\n",
                (long long)(start + i * MIN), o, (o > c ? o : c) + 1, (o < c ? o : c) - 1, c,
                (long long)(start + i * MIN + MIN - 1), 1000.5 + i);
    }
    fclose(f);
}

START_TEST(backfill_twice_changes_nothing)
{
    const char *files[] = {"BTCUSDT-1m-bf.csv"};
    char msg[512];
    static char first[4][1 << 19];
    write_csv(files[0], T0, 3 * 1440);
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 10 * DAY, msg, sizeof msg), CP_OK);
    ck_assert_str_eq(msg, "backfill: 4320 rows of 1 symbols: 4320 1m, 864 5m, 72 1h, 3 1d "
                          "candles written; 0 kept (already stored); 0 skipped (a running "
                          "feeder's open candle); 0 older than the retention");
    static const char *keys[] = {PREFIX "candles:BTC:1m", PREFIX "candles:BTC:5m",
                                 PREFIX "candles:BTC:1h", PREFIX "candles:BTC:1d"};
    for (int k = 0; k < 4; k++) {
        redisReply *r = redisCommand(rc_, "DUMP %s", keys[k]);
        ck_assert_int_lt(r->len, sizeof first[k]);
        memcpy(first[k], r->str, r->len);
        freeReplyObject(r);
    }
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 10 * DAY, msg, sizeof msg), CP_OK);
    for (int k = 0; k < 4; k++) {
        redisReply *r = redisCommand(rc_, "DUMP %s", keys[k]);
        ck_assert_int_gt(r->len, 100);
        ck_assert_int_eq(memcmp(first[k], r->str, r->len), 0);
        freeReplyObject(r);
    }
    /* day 3, rows 2880..4319: open 100 + 2880 % 13, close 100 + 4319 * 7 % 11,
     * volume the sum of 1000.5 + i */
    ck_assert_str_eq(newest(keys[3]), "c[1738627200000,107.0,113.0,99.0,105.0,6624000.0]");
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_leaves_a_running_feeders_open_candle_alone)
{
    ck_assert_int_eq(tick(T0 + 30 * MIN + 1000, 5), CP_OK); /* a live feeder's open candles */
    const char *files[] = {"BTCUSDT-1m-bf2.csv"};
    char msg[512];
    write_csv(files[0], T0, 31);
    /* the wall clock inside the feeder's open minute: its candles are its own */
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 30 * MIN + 2000, msg, sizeof msg), CP_OK);
    /* 1m: 30 minutes before the open one written; it and the 5m, 1h, 1d skipped */
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 31);
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1m"), "o[1738456200000,5.0,5.0,5.0,5.0,1.0]");
    ck_assert_str_eq(newest(PREFIX "candles:BTC:1h"), "o[1738454400000,5.0,5.0,5.0,5.0,1.0]");
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:5m"), 7);
    ck_assert_ptr_nonnull(strstr(msg, "; 4 skipped"));
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_names_a_bad_line_and_an_unreachable_redis)
{
    const char *files[] = {"BTCUSDT-1m-bad.csv"};
    char msg[512];
    write_csv(files[0], T0, 3);
    FILE *f = fopen(files[0], "a");
    fputs("1738454580000,1,2,3,x,1,1738454639999,1,1,1,1,0\n", f);
    fclose(f);
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + DAY, msg, sizeof msg), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(msg, "BTCUSDT-1m-bad.csv:4: "));
    write_csv(files[0], T0, 3);
    conf.redis_port = redis_server_free_port();
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + DAY, msg, sizeof msg), CP_EIO);
    unlink(files[0]);
}
END_TEST

/* The candle of key at score ms ("" when none). */
static const char *at(const char *key, int64_t ms)
{
    static char buf[CANDLES_MEMBER_MAX];
    redisReply *r = redisCommand(rc_, "ZRANGEBYSCORE %s %lld %lld", key, ms, ms);
    snprintf(buf, sizeof buf, "%s", r->elements ? r->element[0]->str : "");
    freeReplyObject(r);
    return buf;
}

START_TEST(backfill_fixes_an_hour_from_all_its_stored_minutes)
{
    /* a feeder that stopped: minute 5 closed, minute 6 and the hour left open */
    ck_assert_int_eq(tick(T0 + 5 * MIN + 1000, 500), CP_OK);
    ck_assert_int_eq(tick(T0 + 6 * MIN + 1000, 400), CP_OK);
    const char *files[] = {"BTCUSDT-1m-fix.csv"};
    char msg[512];
    write_csv(files[0], T0, 1); /* one row: 100, 101, 99, 100, 1000.5 */
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 10 * DAY, msg, sizeof msg), CP_OK);
    ck_assert_ptr_nonnull(strstr(msg, "; 0 skipped"));
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 3);
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0 + 5 * MIN),
                     "c[1738454700000,500.0,500.0,500.0,500.0,1.0]");
    /* the stale open minute is closed with its own values */
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0 + 6 * MIN),
                     "c[1738454760000,400.0,400.0,400.0,400.0,1.0]");
    /* the hour and the day: the file's minute and the feeder's two */
    ck_assert_str_eq(at(PREFIX "candles:BTC:1h", T0),
                     "c[1738454400000,100.0,500.0,99.0,400.0,1002.5]");
    ck_assert_str_eq(at(PREFIX "candles:BTC:1d", T0),
                     "c[1738454400000,100.0,500.0,99.0,400.0,1002.5]");
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_keeps_feeder_minutes_and_a_second_run_changes_nothing)
{
    ck_assert_int_eq(tick(T0 + 1000, 5), CP_OK);
    ck_assert_int_eq(tick(T0 + MIN + 1000, 6), CP_OK); /* closes minute 0 */
    const char *files[] = {"BTCUSDT-1m-keep.csv"};
    char msg[512], before[2][CANDLES_MEMBER_MAX];
    write_csv(files[0], T0, 60);
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 10 * DAY, msg, sizeof msg), CP_OK);
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0), "c[1738454400000,5.0,5.0,5.0,5.0,1.0]");
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0 + MIN), "c[1738454460000,6.0,6.0,6.0,6.0,1.0]");
    ck_assert_ptr_nonnull(strstr(msg, "59 1m"));
    ck_assert_ptr_nonnull(strstr(msg, "; 2 kept"));
    snprintf(before[0], sizeof before[0], "%s", at(PREFIX "candles:BTC:1h", T0));
    ck_assert_str_eq(before[0], "c[1738454400000,5.0,113.0,5.0,106.0,59800.0]");
    snprintf(before[1], sizeof before[1], "%s", at(PREFIX "candles:BTC:1m", T0 + MIN));
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + 10 * DAY, msg, sizeof msg), CP_OK);
    ck_assert_ptr_nonnull(strstr(msg, " 0 1m"));
    ck_assert_str_eq(at(PREFIX "candles:BTC:1h", T0), before[0]);
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0 + MIN), before[1]);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 60);
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_refuses_a_row_in_the_future)
{
    const char *files[] = {"BTCUSDT-1m-future.csv"};
    char msg[512];
    write_csv(files[0], T0, 3); /* the third minute starts 120 s after "now" */
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0, msg, sizeof msg), CP_ESYNTAX);
    ck_assert_str_eq(msg, "BTCUSDT-1m-future.csv:3: time 1738454520000 is in the future");
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 0);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1d"), 0);
    write_csv(files[0], T0, 2); /* 60 s ahead: a clock a little behind */
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0, msg, sizeof msg), CP_OK);
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_skips_a_bom_and_refuses_a_directory)
{
    const char *files[] = {"BTCUSDT-1m-bom.csv"}, *dir[] = {"."};
    char msg[512];
    FILE *f = fopen(files[0], "w");
    fputs("\xEF\xBB\xBFopen_time,open,high,low,close,volume,close_time,quote_volume,count,"
          "taker_buy_volume,taker_buy_quote_volume,ignore\n"
          "1738454400000,2,3,1,2,8,1738454459999,7,1,4,4,0\n",
          f);
    fclose(f);
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + DAY, msg, sizeof msg), CP_OK);
    ck_assert_str_eq(at(PREFIX "candles:BTC:1m", T0), "c[1738454400000,2.0,3.0,1.0,2.0,7.0]");
    /* a directory is a bad path (exit 2), not an unreachable Redis (exit 1) */
    ck_assert_int_eq(backfill_run(&conf, dir, 1, T0 + DAY, msg, sizeof msg), CP_ENOENT);
    ck_assert_str_eq(msg, ".: is a directory, not a CSV file");
    unlink(files[0]);
}
END_TEST

START_TEST(backfill_skips_and_counts_symbols_not_in_symbols)
{
    const char *files[] = {"mixed.csv"};
    char msg[512];
    FILE *f = fopen(files[0], "w");
    fputs("ts_ms,symbol,open,high,low,close,volume\n"
          "1738454400000,BTC-USD,2,3,1,2,8\n"
          "1738454400000,FOO-USD,2,3,1,2,8\n"
          "1738454460000,FOO-USD,2,3,1,2,8\n"
          "1738454460000,ETHBTC,2,3,1,2,8\n",
          f);
    fclose(f);
    ck_assert_int_eq(backfill_run(&conf, files, 1, T0 + DAY, msg, sizeof msg), CP_OK);
    ck_assert_ptr_nonnull(strstr(msg, "backfill: 1 rows of 1 symbols: 1 1m,"));
    ck_assert_ptr_nonnull(strstr(msg, "; 3 rows of symbols not in SYMBOLS skipped: FOO, ETHBTC"));
    ck_assert_int_eq(zcard(PREFIX "candles:FOO:1m"), 0);
    ck_assert_int_eq(zcard(PREFIX "candles:BTC:1m"), 1);
    unlink(files[0]);
}
END_TEST

static Suite *store_candles_suite(void)
{
    Suite *s = suite_create("store_candles");
    TCase *t = tcase_create("redis");
    tcase_set_timeout(t, 30);
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_tick_writes_its_candles_in_its_own_script);
    tcase_add_test(t, a_tick_refused_writes_no_candle);
    tcase_add_test(t, retention_trims_what_is_older_than_the_newest_minus_the_days);
    tcase_add_test(t, newest_candles_of_every_key_are_read_back);
    tcase_add_test(t, backfill_twice_changes_nothing);
    tcase_add_test(t, backfill_leaves_a_running_feeders_open_candle_alone);
    tcase_add_test(t, backfill_names_a_bad_line_and_an_unreachable_redis);
    tcase_add_test(t, backfill_fixes_an_hour_from_all_its_stored_minutes);
    tcase_add_test(t, backfill_keeps_feeder_minutes_and_a_second_run_changes_nothing);
    tcase_add_test(t, backfill_refuses_a_row_in_the_future);
    tcase_add_test(t, backfill_skips_a_bom_and_refuses_a_directory);
    tcase_add_test(t, backfill_skips_and_counts_symbols_not_in_symbols);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(store_candles_suite)
