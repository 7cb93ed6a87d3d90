/* Unit tests of feeder/candle.c: the CSV line parser of both layouts. */
#include "config.h"

#include "candle.h"
#include "check_main.h"
#include "cp_error.h"

#include <string.h>

static struct candle c;
static char why[256];

static int parse_shared(const char *line)
{
    return candle_parse_line(CANDLE_LAYOUT_SHARED, line, NULL, &c, why, sizeof why);
}

static int parse_binance(const char *line)
{
    return candle_parse_line(CANDLE_LAYOUT_BINANCE, line, "BTC", &c, why, sizeof why);
}

START_TEST(shared_line_gives_base_symbol_ts_and_exact_close)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,100624.8984375,100624.8984375,"
                                  "100624.8984375,100624.8984375,4130816"),
                     CP_OK);
    ck_assert_str_eq(c.symbol, "BTC");
    ck_assert_int_eq(c.ts_ms, 1738454400000LL);
    ck_assert(c.close == 100624.8984375); /* float noise kept; rounding is price.c's */
    ck_assert(c.volume == 4130816.0);
}
END_TEST

START_TEST(shared_line_keeps_long_float32_noise)
{
    ck_assert_int_eq(parse_shared("1738454400000,ADA-USD,0.8976321816444397,0.8976321816444397,"
                                  "0.8976321816444397,0.8976321816444397,167936\r"),
                     CP_OK);
    ck_assert_str_eq(c.symbol, "ADA");
    ck_assert(c.close == 0.8976321816444397);
}
END_TEST

START_TEST(shared_line_accepts_zero_volume)
{
    ck_assert_int_eq(parse_shared("1738454460000,ETH-USD,3117.5,3117.5,3117.5,3117.5,0"), CP_OK);
    ck_assert(c.volume == 0.0);
}
END_TEST

START_TEST(detects_shared_header)
{
    enum candle_layout l;
    bool header;
    ck_assert_int_eq(candle_detect_layout("ts_ms,symbol,open,high,low,close,volume\r", &l, &header,
                                          why, sizeof why),
                     CP_OK);
    ck_assert_int_eq(l, CANDLE_LAYOUT_SHARED);
    ck_assert(header);
}
END_TEST

START_TEST(detects_binance_with_and_without_header)
{
    enum candle_layout l;
    bool header;
    ck_assert_int_eq(candle_detect_layout("open_time,open,high,low,close,volume,close_time,"
                                          "quote_volume,count,taker_buy_volume,"
                                          "taker_buy_quote_volume,ignore",
                                          &l, &header, why, sizeof why),
                     CP_OK);
    ck_assert_int_eq(l, CANDLE_LAYOUT_BINANCE);
    ck_assert(header);
    ck_assert_int_eq(candle_detect_layout("1735689600000,93576.00,93610.93,93537.50,93610.93,"
                                          "8.21827,1735689659999,769057.3,1317,4.3,402,0",
                                          &l, &header, why, sizeof why),
                     CP_OK);
    ck_assert_int_eq(l, CANDLE_LAYOUT_BINANCE);
    ck_assert(!header);
}
END_TEST

START_TEST(rejects_unknown_layout)
{
    enum candle_layout l;
    bool header;
    ck_assert_int_eq(candle_detect_layout("date,price", &l, &header, why, sizeof why), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "unknown layout"));
}
END_TEST

START_TEST(binance_ms_open_time)
{
    ck_assert_int_eq(parse_binance("1735689600000,93576.00,93610.93,93537.50,93610.93,8.21827,"
                                   "1735689659999,769057.3,1317,4.3,402.5,0"),
                     CP_OK);
    ck_assert_int_eq(c.ts_ms, 1735689600000LL);
    ck_assert_str_eq(c.symbol, "BTC");
    ck_assert(c.open == 93576.00);
    ck_assert(c.high == 93610.93);
    ck_assert(c.low == 93537.50);
    ck_assert(c.close == 93610.93);
    ck_assert(c.volume == 769057.3); /* quote volume: USDT, like the shared file's USD */
}
END_TEST

START_TEST(binance_microsecond_open_time_becomes_ms)
{
    ck_assert_int_eq(parse_binance("1735689600000000,93576.00,93610.93,93537.50,93610.93,8.2,"
                                   "1735689659999999,769057.3,1317,4.3,402.5,0"),
                     CP_OK);
    ck_assert_int_eq(c.ts_ms, 1735689600000LL);
}
END_TEST

START_TEST(symbol_from_binance_file_name_strips_quote)
{
    char sym[PRICE_SYMBOL_MAX];
    ck_assert_int_eq(
        candle_symbol_from_path("/data/BTCUSDT-1m-2025-01-01.csv", sym, why, sizeof why), CP_OK);
    ck_assert_str_eq(sym, "BTC");
    ck_assert_int_eq(candle_symbol_from_path("ETHFDUSD-1m-2025-01.csv", sym, why, sizeof why),
                     CP_OK);
    ck_assert_str_eq(sym, "ETH");
    ck_assert_int_eq(candle_symbol_from_path("dir/SOLUSDC-1m-x.csv", sym, why, sizeof why), CP_OK);
    ck_assert_str_eq(sym, "SOL");
    ck_assert_int_eq(candle_symbol_from_path("XRPBUSD-1m.csv", sym, why, sizeof why), CP_OK);
    ck_assert_str_eq(sym, "XRP");
    ck_assert_int_eq(candle_symbol_from_path("USDCUSDT-1m.csv", sym, why, sizeof why), CP_OK);
    ck_assert_str_eq(sym, "USDC");
}
END_TEST

START_TEST(rejects_file_name_without_symbol)
{
    char sym[PRICE_SYMBOL_MAX];
    ck_assert_int_eq(candle_symbol_from_path("/tmp/klines.csv", sym, why, sizeof why), CP_EINVAL);
    ck_assert_int_eq(candle_symbol_from_path("USDT-1m.csv", sym, why, sizeof why), CP_OK);
    ck_assert_str_eq(sym, "USDT"); /* a bare quote name stays itself */
}
END_TEST

START_TEST(rejects_wrong_column_count)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,1"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "expected 7 columns"));
    ck_assert_ptr_nonnull(strstr(why, "got 6"));
    ck_assert_int_eq(parse_binance("1735689600000,1,1,1,1,8"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "expected 12 columns"));
}
END_TEST

START_TEST(rejects_price_that_is_not_a_number)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,abc,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "close"));
    ck_assert_ptr_nonnull(strstr(why, "\"abc\" is not a number"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,12.5x,5"), CP_ESYNTAX);
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,,5"), CP_ESYNTAX);
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,nan,5"), CP_ESYNTAX);
}
END_TEST

START_TEST(rejects_negative_or_zero_price)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,-3.5,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "not a positive price"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,0,5"), CP_ESYNTAX);
    ck_assert_int_eq(parse_binance("1735689600000,0,1,1,1,8,1735689659999,7,1,4,4,0"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "open"));
}
END_TEST

START_TEST(rejects_bad_timestamp_symbol_and_volume)
{
    ck_assert_int_eq(parse_shared("2025-02-02,BTC-USD,1,1,1,1,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "ts_ms"));
    ck_assert_int_eq(parse_shared("1738454400000,btc-usd,1,1,1,1,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "symbol"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-EUR,1,1,1,1,5"), CP_ESYNTAX);
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,1,-5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "volume"));
}
END_TEST

START_TEST(rejects_absurd_prices_and_volumes)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,1e308,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "close: 1e308 is not a plausible price"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1e12,1,1,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "high"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,1,inf"), CP_ESYNTAX);
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,1,1,1,1e300"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "volume: 1e300 is not a plausible volume"));
    ck_assert_int_eq(parse_binance("1735689600000,1,1,1,1,8,1735689659999,1e16,1,4,4,0"),
                     CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "quote_volume"));
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,999999999999,1,2,5"), CP_OK);
}
END_TEST

START_TEST(rejects_high_below_low)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,2,1,3,2,5"), CP_ESYNTAX);
    ck_assert_str_eq(why, "high 1 is below low 3");
    ck_assert_int_eq(parse_binance("1735689600000,2,1,3,2,8,1735689659999,7,1,4,4,0"), CP_ESYNTAX);
    ck_assert_str_eq(why, "high 1 is below low 3");
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,3,3,3,3,5"), CP_OK);
}
END_TEST

START_TEST(rejects_open_or_close_outside_low_high)
{
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,2,3,1,4,5"), CP_ESYNTAX);
    ck_assert_str_eq(why, "close 4 is outside [low 1, high 3]");
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,0.5,3,1,2,5"), CP_ESYNTAX);
    ck_assert_str_eq(why, "open 0.5 is outside [low 1, high 3]");
    ck_assert_int_eq(parse_binance("1735689600000,2,3,1,4,8,1735689659999,7,1,4,4,0"), CP_ESYNTAX);
    ck_assert_str_eq(why, "close 4 is outside [low 1, high 3]");
    ck_assert_int_eq(parse_binance("1735689600000,4,3,1,2,8,1735689659999,7,1,4,4,0"), CP_ESYNTAX);
    ck_assert_str_eq(why, "open 4 is outside [low 1, high 3]");
    ck_assert_int_eq(parse_shared("1738454400000,BTC-USD,1,3,1,3,5"), CP_OK);
}
END_TEST

START_TEST(rejects_a_file_name_of_another_interval)
{
    char sym[PRICE_SYMBOL_MAX];
    ck_assert_int_eq(candle_symbol_from_path("d/XRPUSDT-5m-2025-01.csv", sym, why, sizeof why),
                     CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "XRPUSDT-5m-2025-01.csv"));
    ck_assert_int_eq(candle_symbol_from_path("BTCUSDT-1h-2025-01.csv", sym, why, sizeof why),
                     CP_EINVAL);
    ck_assert_int_eq(candle_symbol_from_path("BTCUSDT-1d-2025.csv", sym, why, sizeof why),
                     CP_EINVAL);
    ck_assert_int_eq(candle_symbol_from_path("BTCUSDT-15m-2025.csv", sym, why, sizeof why),
                     CP_EINVAL);
    ck_assert_int_eq(candle_symbol_from_path("BTCUSDT-1m-2025-01.csv", sym, why, sizeof why),
                     CP_OK);
}
END_TEST

START_TEST(rejects_a_time_inside_a_minute)
{
    ck_assert_int_eq(parse_shared("1738454430000,BTC-USD,1,1,1,1,5"), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "ts_ms: 1738454430000 ms is not a whole minute"));
    ck_assert_int_eq(parse_binance("1735689601000000,1,1,1,1,8,1735689601999999,7,1,4,4,0"),
                     CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(why, "open_time: 1735689601000 ms is not a whole minute"));
}
END_TEST

static Suite *candle_suite(void)
{
    Suite *s = suite_create("candle");
    TCase *t = tcase_create("shared");
    tcase_add_test(t, shared_line_gives_base_symbol_ts_and_exact_close);
    tcase_add_test(t, shared_line_keeps_long_float32_noise);
    tcase_add_test(t, shared_line_accepts_zero_volume);
    tcase_add_test(t, detects_shared_header);
    suite_add_tcase(s, t);
    t = tcase_create("binance");
    tcase_add_test(t, detects_binance_with_and_without_header);
    tcase_add_test(t, binance_ms_open_time);
    tcase_add_test(t, binance_microsecond_open_time_becomes_ms);
    tcase_add_test(t, symbol_from_binance_file_name_strips_quote);
    tcase_add_test(t, rejects_file_name_without_symbol);
    suite_add_tcase(s, t);
    t = tcase_create("malformed");
    tcase_add_test(t, rejects_unknown_layout);
    tcase_add_test(t, rejects_wrong_column_count);
    tcase_add_test(t, rejects_price_that_is_not_a_number);
    tcase_add_test(t, rejects_negative_or_zero_price);
    tcase_add_test(t, rejects_bad_timestamp_symbol_and_volume);
    tcase_add_test(t, rejects_absurd_prices_and_volumes);
    tcase_add_test(t, rejects_high_below_low);
    tcase_add_test(t, rejects_open_or_close_outside_low_high);
    tcase_add_test(t, rejects_a_file_name_of_another_interval);
    tcase_add_test(t, rejects_a_time_inside_a_minute);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(candle_suite)
