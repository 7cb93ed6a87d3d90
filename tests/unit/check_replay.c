/* Unit tests of feeder/replay.c: loading, merging and grouping CSV files. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first lines of the shared data file, as they are. */
static const char shared_head[] =
    "ts_ms,symbol,open,high,low,close,volume\n"
    "1738454400000,BTC-USD,100624.8984375,100624.8984375,100624.8984375,100624.8984375,4130816\n"
    "1738454400000,ADA-USD,0.8976321816444397,0.8976321816444397,0.8976321816444397,"
    "0.8976321816444397,167936\n"
    "1738454400000,DOT-USD,5.919604778289795,5.919604778289795,5.919604778289795,"
    "5.919604778289795,210912\n"
    "1738454400000,LINK-USD,23.028461456298828,23.028461456298828,23.028461456298828,"
    "23.028461456298828,29440\n"
    "1738454400000,MATIC-USD,0.37533316016197205,0.37533316016197205,0.37533316016197205,"
    "0.37533316016197205,0\n"
    "1738454460000,BTC-USD,100584.109375,100584.109375,100584.109375,100584.109375,0\n"
    "1738454460000,ETH-USD,3117.576171875,3117.576171875,3117.576171875,3117.576171875,0\n";

static char dir[64];
static char err[1024];
static struct replay *r;

static void setup(void)
{
    strcpy(dir, "/tmp/check_replay.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    r = replay_new();
}

static void teardown(void)
{
    char cmd[128];
    replay_free(r);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write text to dir/name; returns the path (static buffer per call slot). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[4][256];
    static int slot;
    char *path = paths[slot++ % 4];
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(groups_first_minute_of_shared_file)
{
    const char *path = write_file("market.csv", shared_head);
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    ck_assert_uint_eq(replay_minutes(r), 2);
    size_t n;
    const struct candle *c = replay_minute(r, 0, &n);
    ck_assert_uint_eq(n, 5);
    static const char *const want[] = {"BTC", "ADA", "DOT", "LINK", "MATIC"};
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(c[i].symbol, want[i]);
        ck_assert_int_eq(c[i].ts_ms, 1738454400000LL);
    }
    ck_assert(c[0].close == 100624.8984375);
    ck_assert(c[1].close == 0.8976321816444397);
    c = replay_minute(r, 1, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(c[1].symbol, "ETH");
    ck_assert_uint_eq(replay_symbol_count(r), 6);
    ck_assert_str_eq(replay_symbol(r, 5), "ETH");
}
END_TEST

START_TEST(merges_files_in_time_order)
{
    const char *a = write_file("market.csv", shared_head);
    const char *b = write_file("SOLUSDT-1m-2025-02-02.csv",
                               "1738454460000000,213,214,212,213.5,10,1738454519999999,2135,5,"
                               "1,213,0\n"
                               "1738454520000000,213.5,214,212,213.25,10,1738454579999999,2132,"
                               "5,1,213,0\n");
    ck_assert_int_eq(replay_add_file(r, b, err, sizeof err), CP_OK);
    ck_assert_int_eq(replay_add_file(r, a, err, sizeof err), CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    ck_assert_uint_eq(replay_minutes(r), 3);
    size_t n;
    const struct candle *c = replay_minute(r, 1, &n);
    ck_assert_uint_eq(n, 3); /* SOL first: its file was added first */
    ck_assert_str_eq(c[0].symbol, "SOL");
    ck_assert(c[0].close == 213.5);
    c = replay_minute(r, 2, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(c[0].symbol, "SOL");
    ck_assert_int_eq(c[0].ts_ms, 1738454520000LL);
    ck_assert(c[0].close == 213.25);
}
END_TEST

START_TEST(malformed_line_reports_file_and_line)
{
    const char *path = write_file("bad.csv", "ts_ms,symbol,open,high,low,close,volume\n"
                                             "1738454400000,BTC-USD,1,1,1,1,5\n"
                                             "1738454460000,BTC-USD,1,1,1,oops,5\n");
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_ESYNTAX);
    char want[300];
    snprintf(want, sizeof want, "%s:3: close: \"oops\" is not a number", path);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(wrong_column_count_reports_file_and_line)
{
    const char *path = write_file("short.csv", "ts_ms,symbol,open,high,low,close,volume\n"
                                               "\n"
                                               "1738454400000,BTC-USD,1,1,1,1\n");
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, "short.csv:3: expected 7 columns"));
}
END_TEST

START_TEST(time_going_backwards_is_rejected)
{
    const char *path = write_file("back.csv", "ts_ms,symbol,open,high,low,close,volume\n"
                                              "1738454460000,BTC-USD,1,1,1,1,5\n"
                                              "1738454460000,ETH-USD,1,1,1,1,5\n"
                                              "1738454400000,BTC-USD,1,1,1,1,5\n");
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, "back.csv:4: time 1738454400000 of BTC is not after"));
}
END_TEST

START_TEST(repeated_time_of_a_symbol_is_rejected)
{
    ck_assert_int_eq(replay_add_text(r, "dup.csv",
                                     "1738454460000,BTC-USD,1,1,1,1,5\n"
                                     "1738454460000,BTC-USD,1,1,1,2,5\n",
                                     err, sizeof err),
                     CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, "dup.csv:2:"));
}
END_TEST

START_TEST(same_symbol_at_same_time_in_two_files_is_rejected)
{
    ck_assert_int_eq(
        replay_add_text(r, "a.csv", "1738454460000,BTC-USD,1,1,1,1,5\n", err, sizeof err), CP_OK);
    ck_assert_int_eq(replay_add_text(r, "x/BTCUSDT-1m.csv",
                                     "1738454460000,1,1,1,1,8,1738454519999,7,1,4,4,0\n", err,
                                     sizeof err),
                     CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_ESYNTAX);
    ck_assert_str_eq(err, "x/BTCUSDT-1m.csv:1: second candle of BTC at time 1738454460000 "
                          "(first at a.csv:1)");
}
END_TEST

START_TEST(missing_file_and_empty_replay_are_errors)
{
    ck_assert_int_eq(replay_add_file(r, "/nonexistent/x.csv", err, sizeof err), CP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.csv: cannot open"));
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_ENOENT);
}
END_TEST

/* One empty file among good ones must not pass unnoticed, and its error
 * names it. */
START_TEST(empty_file_is_an_error_that_names_it)
{
    ck_assert_int_eq(replay_add_text(r, "head.csv", "ts_ms,symbol,open,high,low,close,volume\n",
                                     err, sizeof err),
                     CP_ENOENT);
    ck_assert_str_eq(err, "head.csv: no candles (only a header)");
    const char *path = write_file("empty.csv", "");
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_ENOENT);
    char want[300];
    snprintf(want, sizeof want, "%s: no candles (empty file)", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(replay_add_text(r, "blank.csv", "\n \r\n", err, sizeof err), CP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "blank.csv: no candles"));
}
END_TEST

START_TEST(absurd_values_name_their_file_and_line)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"ts_ms,symbol,open,high,low,close,volume\n1738454400000,BTC-USD,1,1,1,1e308,5\n",
         "x.csv:2: close: 1e308 is not a plausible price"},
        {"1738454400000,BTC-USD,1,1,1,1,5\n1738454460000,BTC-USD,1,1,2,1,5\n",
         "x.csv:2: high 1 is below low 2"},
        {"1738454400000,BTC-USD,1,1,1,1,5\n1738454401000,ETH-USD,1,1,1,1,5\n",
         "x.csv:2: ts_ms: 1738454401000 ms is not a whole minute"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(replay_add_text(r, "x.csv", cases[i].text, err, sizeof err), CP_ESYNTAX);
        ck_assert_msg(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
                      "case %zu: \"%s\" does not start with \"%s\"", i, err, cases[i].want);
    }
}
END_TEST

START_TEST(failed_file_leaves_nothing_behind)
{
    ck_assert_int_eq(replay_add_text(r, "bad.csv",
                                     "1738454400000,BTC-USD,1,1,1,1,5\n"
                                     "1738454460000,BTC-USD,1,1,1,0,5\n",
                                     err, sizeof err),
                     CP_ESYNTAX);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_ENOENT);
}
END_TEST

/* The shared data file as documented in its README: 46644 rows of 14
 * symbols over 3 days, gaps and zero volumes kept.  CRYPTOPULSE_SHARED
 * overrides where ../shared is; without the file the test says so and passes. */
START_TEST(loads_the_real_market_file)
{
    const char *shared = getenv("CRYPTOPULSE_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/market/yahoo_crypto_1m_2025-02-02_to_2025-02-04.csv",
             shared ? shared : CP_SHARED_DIR);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "loads_the_real_market_file: %s absent, not checked\n", path);
        return;
    }
    ck_assert_int_eq(replay_add_file(r, path, err, sizeof err), CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    ck_assert_uint_eq(replay_symbol_count(r), 14);
    size_t rows = 0, btc = 0, zero = 0, n;
    int64_t prev = 0;
    for (size_t m = 0; m < replay_minutes(r); m++) {
        const struct candle *c = replay_minute(r, m, &n);
        ck_assert(n >= 1 && n <= 14);
        ck_assert(c[0].ts_ms > prev && c[0].ts_ms % 60000 == 0);
        prev = c[0].ts_ms;
        for (size_t k = 0; k < n; k++) {
            btc += strcmp(c[k].symbol, "BTC") == 0;
            zero += c[k].volume == 0;
        }
        rows += n;
    }
    ck_assert_uint_eq(rows, 46644);
    ck_assert_uint_eq(btc, 3313);
    ck_assert(zero > rows / 3);
    ck_assert(replay_minutes(r) <= 4320);
    const struct candle *first = replay_minute(r, 0, &n);
    ck_assert_int_eq(first[0].ts_ms, 1738454400000LL);
    ck_assert_str_eq(first[0].symbol, "BTC");
    ck_assert(first[0].close == 100624.8984375);
}
END_TEST

START_TEST(malformed_inputs_name_their_line)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"ts_ms,symbol,open,high,low,close,volume\n1738454400000,BTC-USD,1,1,1,1,-5\n", "x.csv:2:"},
        {"ts_ms,symbol,open,high,low,close,volume\n1738454400000,BTC-USD,1,1,1,1,5,9\n",
         "x.csv:2: expected 7 columns"},
        {"ts_ms,symbol,open,high,low,close,volume\nabc,BTC-USD,1,1,1,1,5\n", "x.csv:2:"},
        {"ts_ms,symbol,open,high,low,close,volume\n1738454400000,,1,1,1,1,5\n", "x.csv:2:"},
        {"hello world\n", "x.csv:1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(replay_add_text(r, "x.csv", cases[i].text, err, sizeof err), CP_ESYNTAX);
        ck_assert_msg(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
                      "case %zu: \"%s\" does not start with \"%s\"", i, err, cases[i].want);
    }
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *t = tcase_create("load");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, groups_first_minute_of_shared_file);
    tcase_add_test(t, merges_files_in_time_order);
    tcase_add_test(t, malformed_line_reports_file_and_line);
    tcase_add_test(t, wrong_column_count_reports_file_and_line);
    tcase_add_test(t, time_going_backwards_is_rejected);
    tcase_add_test(t, repeated_time_of_a_symbol_is_rejected);
    tcase_add_test(t, same_symbol_at_same_time_in_two_files_is_rejected);
    tcase_add_test(t, missing_file_and_empty_replay_are_errors);
    tcase_add_test(t, failed_file_leaves_nothing_behind);
    tcase_add_test(t, loads_the_real_market_file);
    tcase_add_test(t, malformed_inputs_name_their_line);
    tcase_add_test(t, empty_file_is_an_error_that_names_it);
    tcase_add_test(t, absurd_values_name_their_file_and_line);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(replay_suite)
