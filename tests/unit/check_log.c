/* Unit tests of lib/log.c: level and format parsing, whole lines from
 * concurrent processes, structured fields in text and JSON. */
#include "config.h"

#include "check_main.h"
#include "stderr_capture.h"
#include "cp_error.h"
#include "log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 6
#define LINES 3000

START_TEST(parses_level_names)
{
    enum log_level l;
    ck_assert_int_eq(log_level_parse("WARNING", &l), CP_OK);
    ck_assert_int_eq(l, LOG_WARN);
    ck_assert_int_eq(log_level_parse("verbose", &l), CP_EINVAL);
}
END_TEST

/* Is line one whole line of writer w: "<stamp> t[info] w<w> xxx...xxx end"? */
static bool whole_line(const char *line)
{
    const char *p = strstr(line, " t[info] w");
    if (!p || p - line != 24)
        return false;
    p += strlen(" t[info] w") + 1; /* and the digit */
    size_t x = strspn(p + 1, "x");
    return *p == ' ' && x == 200 && strcmp(p + 1 + x, " end\n") == 0;
}

/* Several processes share one stderr (as the gateway's workers do): every
 * line must come out whole, never cut by another process's output. */
START_TEST(lines_of_processes_sharing_stderr_do_not_interleave)
{
    char path[] = "/tmp/check_log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(fcntl(fd, F_SETFL, O_APPEND), 0);
    char filler[201];
    memset(filler, 'x', 200);
    filler[200] = '\0';
    for (int w = 0; w < WRITERS; w++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            dup2(fd, STDERR_FILENO);
            log_init("t", LOG_INFO);
            for (int i = 0; i < LINES; i++)
                log_info("w%d %s end", w, filler);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++)
        wait(NULL);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char line[512];
    size_t n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        bad += !whole_line(line);
    }
    fclose(f);
    unlink(path);
    ck_assert_msg(bad == 0, "%zu of %zu lines cut by another process", bad, n);
    ck_assert_uint_eq(n, WRITERS * LINES);
}
END_TEST

START_TEST(a_long_line_is_cut_and_marked)
{
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    log_init("t", LOG_INFO);
    char *big = malloc(10000);
    memset(big, 'y', 9999);
    big[9999] = '\0';
    log_info("%s", big);
    log_debug("not shown");
    free(big);
    char *text = stderr_capture_end(&cap);
    ck_assert_uint_eq(strlen(text), 4096);
    ck_assert_str_eq(text + 4096 - 4, "...\n");
    free(text);
}
END_TEST

START_TEST(parses_format_names)
{
    enum log_format f = LOG_TEXT;
    ck_assert_int_eq(log_format_parse("JSON", &f), CP_OK);
    ck_assert_int_eq(f, LOG_JSON);
    ck_assert_int_eq(log_format_parse("text", &f), CP_OK);
    ck_assert_int_eq(f, LOG_TEXT);
    ck_assert_int_eq(log_format_parse("logfmt", &f), CP_EINVAL);
}
END_TEST

/* Run emit() with stderr going to a file; the text written (caller frees). */
static char *captured(void (*emit)(void))
{
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    emit();
    char *text = stderr_capture_end(&cap);
    log_set_format(LOG_TEXT);
    return text;
}

static void emit_fields(void)
{
    log_init("prog", LOG_INFO);
    const struct log_field f[] = {LOG_STR("peer", "127.0.0.1:5"), LOG_INT("bytes_in", 42),
                                  LOG_STR("reason", "bye \"now\"\n"), LOG_STR("empty", "")};
    log_fields(LOG_INFO, "connection closed", f, 4);
    log_fields(LOG_DEBUG, "not shown", f, 1);
}

START_TEST(text_fields_are_key_value_pairs_quoted_when_needed)
{
    char *text = captured(emit_fields);
    const char *body = strstr(text, " prog[info] ");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body, " prog[info] connection closed peer=127.0.0.1:5 bytes_in=42 "
                           "reason=\"bye \\\"now\\\"\\n\" empty=\"\"\n");
    free(text);
}
END_TEST

static void emit_fields_json(void)
{
    log_set_format(LOG_JSON);
    emit_fields();
    log_warn("caf\xc3\xa9 \"quoted\" \x01 and \xff bad");
}

START_TEST(json_lines_are_one_object_each_with_typed_fields)
{
    char *text = captured(emit_fields_json);
    char *second = strchr(text, '\n');
    ck_assert_ptr_nonnull(second);
    *second++ = '\0';
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    ck_assert_msg(o != NULL, "not JSON: %s (%s)", text, e.text);
    ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "info");
    ck_assert_str_eq(json_string_value(json_object_get(o, "program")), "prog");
    ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "connection closed");
    ck_assert_str_eq(json_string_value(json_object_get(o, "peer")), "127.0.0.1:5");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "bytes_in")), 42);
    ck_assert_str_eq(json_string_value(json_object_get(o, "reason")), "bye \"now\"\n");
    const char *ts = json_string_value(json_object_get(o, "ts"));
    ck_assert_int_eq(strlen(ts), 24);
    ck_assert_int_eq(ts[10], 'T');
    ck_assert_int_eq(ts[23], 'Z');
    json_decref(o);
    /* The second line: a plain message with quotes, a control byte and a
     * byte that is not UTF-8 is still one valid object; only that byte is
     * lost, the é beside it stays. */
    ck_assert_ptr_nonnull(strchr(second, '\n'));
    ck_assert_ptr_null(strchr(strchr(second, '\n') + 1, '\n'));
    o = json_loads(second, 0, &e);
    ck_assert_msg(o != NULL, "not JSON: %s (%s)", second, e.text);
    ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "warn");
    ck_assert_str_eq(json_string_value(json_object_get(o, "msg")),
                     "caf\xc3\xa9 \"quoted\" \x01 and ? bad");
    json_decref(o);
    free(text);
}
END_TEST

static void emit_long_json(void)
{
    log_set_format(LOG_JSON);
    log_init("t", LOG_INFO);
    char *big = malloc(10000);
    memset(big, '"', 9999); /* each one doubles when escaped */
    big[9999] = '\0';
    log_info("%s", big);
    const struct log_field f[] = {LOG_STR("huge", big)};
    log_fields(LOG_INFO, "short", f, 1);
    free(big);
}

START_TEST(a_long_json_line_is_cut_and_stays_valid)
{
    char *text = captured(emit_long_json);
    char *second = strchr(text, '\n');
    ck_assert_ptr_nonnull(second);
    *second++ = '\0';
    ck_assert_int_le(strlen(text), 4095);
    json_t *o = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(o);
    const char *msg = json_string_value(json_object_get(o, "msg"));
    ck_assert_str_eq(msg + strlen(msg) - 3, "...");
    json_decref(o);
    ck_assert_int_le(strlen(second), 4096);
    o = json_loads(second, 0, NULL);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "short");
    json_decref(o);
    free(text);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *t = tcase_create("lines");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, parses_level_names);
    tcase_add_test(t, lines_of_processes_sharing_stderr_do_not_interleave);
    tcase_add_test(t, a_long_line_is_cut_and_marked);
    tcase_add_test(t, parses_format_names);
    tcase_add_test(t, text_fields_are_key_value_pairs_quoted_when_needed);
    tcase_add_test(t, json_lines_are_one_object_each_with_typed_fields);
    tcase_add_test(t, a_long_json_line_is_cut_and_stays_valid);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(log_suite)
