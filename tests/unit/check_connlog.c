/* Unit tests of gateway/connlog.c: the LOG_CONNECTIONS line of a closed
 * connection, on real loopback sockets (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "stderr_capture.h"
#include "conn.h"
#include "connlog.h"
#include "gw_fixture.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct gw_fixture fx;
static struct stderr_capture cap;

static void setup(void)
{
    gw_fixture_init(&fx);
    stderr_capture_start(&cap);
    log_init("t", LOG_INFO);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
    free(stderr_capture_end(&cap));
}

/* The "connection closed" line logged so far, or NULL (caller frees). */
static char *closed_line(void)
{
    char *text = stderr_capture_text(&cap);
    char *p = strstr(text, "t[info] connection closed ");
    if (!p) {
        free(text);
        return NULL;
    }
    memmove(text, p, strlen(p) + 1);
    *strchr(text, '\n') = '\0';
    return text;
}

static const char request[] = "GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n";

START_TEST(a_closed_connection_is_one_line_with_its_counts)
{
    fx.conf.log_connections = true;
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    size_t out;
    char *got = gw_fixture_ask(&fx, fd, request, 2000, &out);
    ck_assert_msg(strncmp(got, "HTTP/1.1 404", 12) == 0, "%s", got);
    free(got);
    close(fd);
    gw_fixture_run(&fx, 200);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    char *line = closed_line();
    ck_assert_ptr_nonnull(line);
    char want[256];
    snprintf(want, sizeof want, " transport=http duration_ms=");
    ck_assert_msg(strncmp(line, "t[info] connection closed peer=127.0.0.1:", 41) == 0, "%s", line);
    ck_assert_ptr_nonnull(strstr(line, want));
    snprintf(want, sizeof want, " bytes_in=%zu bytes_out=%zu requests=1", strlen(request), out);
    ck_assert_msg(strstr(line, want) != NULL, "%s lacks%s", line, want);
    ck_assert_ptr_null(strstr(line, "ws_close"));
    free(line);
}
END_TEST

START_TEST(the_first_websocket_close_is_the_one_logged)
{
    fx.conf.log_connections = true;
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_WS;
    fx.ctx.counters.ws_current++; /* as the upgrade counts it */
    connlog_ws_close(c->log, 4000, "bye now, and more", 7, true);
    conn_close_ws(c, 1001, "server shutting down"); /* the answer: not logged */
    gw_fixture_run(&fx, 100);
    close(fd); /* the server lingers until the client's EOF */
    gw_fixture_run(&fx, 200);
    char *line = closed_line();
    ck_assert_ptr_nonnull(line);
    ck_assert_msg(strstr(line, " transport=websocket ") != NULL, "%s", line);
    ck_assert_msg(strstr(line, " requests=0 ws_close_code=4000 ws_close_by=client "
                               "ws_close_reason=\"bye now\"") != NULL,
                  "%s", line);
    free(line);
}
END_TEST

START_TEST(nothing_is_logged_by_default)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    free(gw_fixture_ask(&fx, fd, request, 2000, NULL));
    close(fd);
    gw_fixture_run(&fx, 200);
    ck_assert_ptr_null(closed_line());
}
END_TEST

static Suite *connlog_suite(void)
{
    Suite *s = suite_create("connlog");
    TCase *t = tcase_create("lines");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_closed_connection_is_one_line_with_its_counts);
    tcase_add_test(t, the_first_websocket_close_is_the_one_logged);
    tcase_add_test(t, nothing_is_logged_by_default);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(connlog_suite)
