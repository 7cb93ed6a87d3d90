/* Unit tests of load/cli.c: the load tool's flags, the SYMBOLS setting and
 * the options derived from them. */
#include "config.h"

#include "check_main.h"
#include "cli.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cli c;

/* cli_parse() of the NULL-terminated arguments after the program name. */
static int parse(const char *first, ...)
{
    char *argv[32] = {"cryptopulse-load"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return cli_parse(&c, argc, argv);
}

static void setup(void)
{
    unsetenv("SYMBOLS");
    unsetenv("CRYPTOPULSE_CONFIG");
}

START_TEST(defaults_run_a_websocket_plan)
{
    ck_assert_int_eq(parse(NULL), CLI_RUN);
    ck_assert_str_eq(c.url, "ws://127.0.0.1:3000/ws");
    ck_assert_int_eq(c.o.transport, LOAD_WS);
    ck_assert_int_eq(ntohs(c.o.dst.sin_port), 3000);
    ck_assert_int_eq(c.o.clients, 1000);
    ck_assert_int_eq(c.o.sub, LOAD_SUB_ALL);
    ck_assert(c.o.snapshot);
    /* ramp 5 s, sustain 10 s */
    ck_assert_int_eq(c.o.plan.n, 2);
    ck_assert_int_eq(c.o.plan.total_ms, 15000);
    ck_assert_int_eq(c.o.nsymbols, 14); /* the feeder's default SYMBOLS */
    ck_assert_int_ge(c.o.workers, 1);
    ck_assert_uint_eq(c.o.source_base, 0x7F000001u); /* loopback: spread over 127.0.0.x */
}
END_TEST

START_TEST(flags_set_the_plan_and_the_criteria)
{
    ck_assert_int_eq(parse("--url", "http://127.0.0.1:4000/events?x=1", "-n", "200", "--warmup",
                           "1", "--ramp", "2", "--spike", "0.5", "--spike-clients", "300",
                           "--sustain", "3", "--cooldown", "1", "--workers", "2",
                           "--max-p99-latency", "50", "--subscribe", "ETH", "--seed", "7", "-q",
                           NULL),
                     CLI_RUN);
    ck_assert_int_eq(c.o.transport, LOAD_SSE);
    ck_assert_str_eq(c.o.path, "/events?x=1");
    ck_assert_int_eq(c.o.plan.n, 5);
    ck_assert_int_eq(c.o.plan.total_ms, 7500);
    ck_assert_int_eq(c.o.plan.peak, 300);
    ck_assert_int_eq(c.o.plan.phase[0].target, 20); /* warm-up: a tenth by default */
    ck_assert_int_eq(c.o.workers, 2);
    ck_assert_double_eq(c.o.max_p99_latency_ms, 50);
    ck_assert_int_eq(c.o.sub, LOAD_SUB_ONE);
    ck_assert_str_eq(c.o.symbol, "ETH");
    ck_assert_uint_eq(c.o.seed, 7);
    ck_assert(c.quiet);
}
END_TEST

START_TEST(symbols_come_from_the_flag_the_environment_or_the_file)
{
    ck_assert_int_eq(parse("--symbols", "BTC,ETH", "--subscribe", "random:2", NULL), CLI_RUN);
    ck_assert_int_eq(c.o.nsymbols, 2);
    ck_assert_int_eq(c.o.sub, LOAD_SUB_RANDOM);
    ck_assert_int_eq(c.o.k, 2);
    setenv("SYMBOLS", "SOL,ADA,DOT", 1);
    ck_assert_int_eq(parse(NULL), CLI_RUN);
    ck_assert_int_eq(c.o.nsymbols, 3);
    ck_assert_str_eq(c.o.symbols[2], "DOT");
    char path[] = "/tmp/check_cli_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "SYMBOLS=XRP\nPORT=1\n", 19), 19);
    close(fd);
    ck_assert_int_eq(parse("--config", path, NULL), CLI_RUN); /* the file beats SYMBOLS= */
    ck_assert_int_eq(c.o.nsymbols, 1);
    ck_assert_str_eq(c.o.symbols[0], "XRP");
    ck_assert_int_eq(parse("--config", path, "--symbols", "LTC,BTC", NULL), CLI_RUN);
    ck_assert_int_eq(c.o.nsymbols, 2);
    unlink(path);
    setenv("SYMBOLS", "BTC,,ETH", 1);
    ck_assert_int_eq(parse(NULL), 2);
}
END_TEST

START_TEST(help_and_version_exit_zero)
{
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    ck_assert_int_eq(parse("--help", NULL), 0);
    ck_assert_int_eq(parse("-V", NULL), 0);
    fclose(stdout);
    stdout = saved;
}
END_TEST

START_TEST(usage_errors_exit_two)
{
    ck_assert_int_eq(parse("--url", "wss://x", NULL), 2);
    ck_assert_int_eq(parse("--deflate", "--url", "http://127.0.0.1:1/events", NULL), 2);
    ck_assert_int_eq(parse("--subscribe", "random:99", NULL), 2);
    ck_assert_int_eq(parse("--subscribe", "btc", NULL), 2);
    ck_assert_int_eq(parse("--pid", "1,x", NULL), 2);
    ck_assert_int_eq(parse("--clients", "0", NULL), 2);
    ck_assert_int_eq(parse("--ramp", "0", "--sustain", "0", NULL), 2);
    ck_assert_int_eq(parse("--per-source", "1", "--clients", "300", NULL), 2);
    ck_assert_int_eq(parse("--workers", "1", "--clients", "10000000", NULL), 2);
    ck_assert_int_eq(parse("--bogus", NULL), 2);
}
END_TEST

START_TEST(workers_are_sized_to_the_open_file_limit)
{
    ck_assert_int_eq(parse("--clients", "10000000", "--per-source", "0", NULL), CLI_RUN);
    ck_assert_int_ge((int64_t)c.o.workers * c.o.per_worker_max, 10000000);
    ck_assert_int_eq(c.o.source_base, 0); /* --per-source 0: the kernel chooses */
}
END_TEST

/* Each 127.0.0.x source must stay well inside the even half of the machine's
 * ephemeral ports, which connect() tries first: past it every connect()
 * walks the used ports in the kernel, and the load tool, not the server,
 * becomes what a large run measures. */
START_TEST(sources_stay_inside_the_even_ephemeral_ports)
{
    int lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        ck_assert_int_eq(fscanf(f, "%d %d", &lo, &hi), 2);
        fclose(f);
    }
    ck_assert_int_eq(parse("--clients", "100000", NULL), CLI_RUN);
    ck_assert_uint_eq(c.o.source_base, 0x7F000001u);
    ck_assert_int_gt(c.o.per_source, 0);
    ck_assert_int_le(c.o.per_source, (hi - lo + 1) / 2 / 2);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, defaults_run_a_websocket_plan);
    tcase_add_test(tc, flags_set_the_plan_and_the_criteria);
    tcase_add_test(tc, symbols_come_from_the_flag_the_environment_or_the_file);
    tcase_add_test(tc, help_and_version_exit_zero);
    tcase_add_test(tc, usage_errors_exit_two);
    tcase_add_test(tc, workers_are_sized_to_the_open_file_limit);
    tcase_add_test(tc, sources_stay_inside_the_even_ephemeral_ports);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cli_suite)
