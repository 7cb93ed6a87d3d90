#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "etag.h"
#include "www.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char root[PATH_MAX];

static void write_file(const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/check_www.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_file("index.html", big);
    write_file("app.js", "'use strict';\n");
    write_file(".secret", "no");
    char sub[PATH_MAX + 8];
    snprintf(sub, sizeof sub, "%s/img", root);
    mkdir(sub, 0700);
    write_file("img/x.png", "\x89PNG");
    snprintf(sub, sizeof sub, "%s/examples", root);
    mkdir(sub, 0700);
    write_file("examples/index.html", "<p>example</p>");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* The response to req as a string (caller frees); *status gets the return. */
static char *respond(struct www *w, const struct www_request *req, int *status)
{
    struct evbuffer *out = evbuffer_new();
    *status = www_respond(w, req, out);
    size_t n = evbuffer_get_length(out);
    char *s = malloc(n + 1);
    evbuffer_remove(out, s, n);
    s[n] = '\0';
    evbuffer_free(out);
    return s;
}

/* Copy a header's value out of a response into buf; NULL when absent. */
static const char *header(const char *resp, const char *name, char *buf, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(resp, key);
    if (!p)
        return NULL;
    p += strlen(key);
    size_t n = strcspn(p, "\r");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : NULL;
}

START_TEST(serves_index_for_root_with_type_and_validators)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/", .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), v[128];
    ck_assert_int_eq(status, 200);
    ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ck_assert_str_eq(header(r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    ck_assert_str_eq(header(r, "Content-Length", v, sizeof v), "4095");
    ck_assert_ptr_nonnull(header(r, "ETag", v, sizeof v));
    ck_assert_ptr_nonnull(header(r, "Last-Modified", v, sizeof v));
    ck_assert_ptr_null(header(r, "Content-Encoding", v, sizeof v));
    ck_assert_ptr_null(header(r, "Connection", v, sizeof v));
    ck_assert_uint_eq(strlen(body_of(r)), 4095);
    free(r);
    www_free(w);
}
END_TEST

START_TEST(a_folder_path_names_its_index)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/examples/"};
    int status;
    char *r = respond(w, &req, &status), v[128];
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(header(r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    ck_assert_str_eq(body_of(r), "<p>example</p>");
    free(r);
    req.extra = "Access-Control-Allow-Origin: *\r\n"; /* passed through as given */
    r = respond(w, &req, &status);
    ck_assert_str_eq(header(r, "Access-Control-Allow-Origin", v, sizeof v), "*");
    ck_assert_str_eq(body_of(r), "<p>example</p>");
    free(r);
    req.path = "/img/"; /* a folder without index.html */
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(www_respond(w, &req, out), CP_ENOENT);
    evbuffer_free(out);
    www_free(w);
}
END_TEST

START_TEST(gzip_when_accepted_and_it_decompresses_to_the_file)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/index.html", .accept_encoding = "br, gzip;q=0.8"};
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(www_respond(w, &req, out), 200);
    size_t n = evbuffer_get_length(out);
    unsigned char *s = evbuffer_pullup(out, -1);
    char v[128];
    char *text = strndup((char *)s, n);
    ck_assert_str_eq(header(text, "Content-Encoding", v, sizeof v), "gzip");
    ck_assert_str_eq(header(text, "Vary", v, sizeof v), "Accept-Encoding");
    ck_assert_str_eq(header(text, "Connection", v, sizeof v), "close");
    const char *etag = header(text, "ETag", v, sizeof v);
    ck_assert(strstr(etag, "-gz\"") != NULL);
    size_t head = (size_t)(strstr(text, "\r\n\r\n") + 4 - text);
    long clen = atol(header(text, "Content-Length", v, sizeof v));
    ck_assert_uint_eq(n - head, (size_t)clen);
    ck_assert_int_lt(clen, 200); /* 4095 repeated bytes squeeze well */
    unsigned char plain[5000];
    z_stream zs = {0};
    ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = s + head;
    zs.avail_in = (uInt)clen;
    zs.next_out = plain;
    zs.avail_out = sizeof plain;
    ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(zs.total_out, 4095);
    ck_assert_int_eq(plain[0], 'a');
    inflateEnd(&zs);
    free(text);
    evbuffer_free(out);
    www_free(w);
}
END_TEST

START_TEST(png_is_never_gzipped)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/img/x.png", .accept_encoding = "gzip", .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), v[128];
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(header(r, "Content-Type", v, sizeof v), "image/png");
    ck_assert_ptr_null(header(r, "Content-Encoding", v, sizeof v));
    free(r);
    www_free(w);
}
END_TEST

START_TEST(if_none_match_gives_304_without_body)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/app.js", .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), etag[128], v[128];
    header(r, "ETag", etag, sizeof etag);
    free(r);
    char inm[300];
    snprintf(inm, sizeof inm, "\"other\", W/%s", etag);
    req.if_none_match = inm;
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 304);
    ck_assert(strncmp(r, "HTTP/1.1 304 Not Modified\r\n", 27) == 0);
    ck_assert_str_eq(header(r, "ETag", v, sizeof v), etag);
    ck_assert_ptr_null(header(r, "Content-Length", v, sizeof v));
    ck_assert_str_eq(body_of(r), "");
    free(r);
    req.if_none_match = "\"stale\"";
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 200);
    free(r);
    www_free(w);
}
END_TEST

START_TEST(if_modified_since_gives_304_unless_if_none_match_disagrees)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/app.js", .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), lm[128];
    header(r, "Last-Modified", lm, sizeof lm);
    free(r);
    req.if_modified_since = lm;
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 304);
    free(r);
    req.if_modified_since = "Thu, 01 Jan 1970 00:00:00 GMT";
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 200);
    free(r);
    req.if_modified_since = lm;
    req.if_none_match = "\"nope\"";
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 200);
    free(r);
    www_free(w);
}
END_TEST

START_TEST(head_sends_headers_only)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/app.js", .head = true, .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), v[64];
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(header(r, "Content-Length", v, sizeof v), "14");
    ck_assert_str_eq(body_of(r), "");
    free(r);
    www_free(w);
}
END_TEST

START_TEST(refuses_escapes_hidden_and_missing_files)
{
    struct www *w = www_new(root);
    const char *bad[] = {"/../etc/passwd", "/.secret", "/img/../.secret",
                         "/nope.js",       "/img",     "relative"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct www_request req = {.path = bad[i]};
        struct evbuffer *out = evbuffer_new();
        ck_assert_int_eq(www_respond(w, &req, out), CP_ENOENT);
        ck_assert_uint_eq(evbuffer_get_length(out), 0);
        evbuffer_free(out);
    }
    struct www_request req = {.path = "/"};
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(www_respond(NULL, &req, out), CP_ENOENT);
    evbuffer_free(out);
    www_free(w);
    www_free(NULL);
}
END_TEST

START_TEST(a_changed_file_is_reloaded_with_a_new_etag)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/app.js", .keep_alive = true};
    int status;
    char *r = respond(w, &req, &status), e1[128], e2[128];
    header(r, "ETag", e1, sizeof e1);
    free(r);
    write_file("app.js", "'use strict'; // v2, longer\n");
    r = respond(w, &req, &status);
    header(r, "ETag", e2, sizeof e2);
    ck_assert_str_ne(e1, e2);
    ck_assert(strstr(r, "v2, longer") != NULL);
    free(r);
    write_file("new.css", "body{}");
    req.path = "/new.css";
    r = respond(w, &req, &status);
    ck_assert_int_eq(status, 200);
    free(r);
    www_free(w);
}
END_TEST

START_TEST(a_response_outlives_the_cache)
{
    struct www *w = www_new(root);
    struct www_request req = {.path = "/app.js", .keep_alive = true};
    struct evbuffer *out = evbuffer_new();
    ck_assert_int_eq(www_respond(w, &req, out), 200);
    www_free(w); /* the body is shared by reference: still readable */
    size_t n = evbuffer_get_length(out);
    char *s = strndup((char *)evbuffer_pullup(out, -1), n);
    ck_assert_str_eq(body_of(s), "'use strict';\n");
    free(s);
    evbuffer_free(out);
}
END_TEST

START_TEST(etag_lists_compare_weakly)
{
    ck_assert(etag_matches("\"a\"", "\"a\""));
    ck_assert(etag_matches(" \"x\" ,W/\"a\"", "\"a\""));
    ck_assert(etag_matches("*", "\"a\""));
    ck_assert(!etag_matches("\"ab\"", "\"a\""));
    ck_assert(!etag_matches("", "\"a\""));
}
END_TEST

START_TEST(accept_encoding_honours_q_values)
{
    ck_assert(www_accepts_gzip("gzip, deflate, br"));
    ck_assert(www_accepts_gzip("GZIP"));
    ck_assert(www_accepts_gzip("x-gzip"));
    ck_assert(www_accepts_gzip("*"));
    ck_assert(!www_accepts_gzip("gzip;q=0"));
    ck_assert(!www_accepts_gzip("gzip;q=0, *"));
    ck_assert(!www_accepts_gzip("br, deflate"));
    ck_assert(!www_accepts_gzip("gzipx"));
    ck_assert(!www_accepts_gzip(NULL));
}
END_TEST

START_TEST(http_dates_parse_as_utc)
{
    time_t t;
    ck_assert(www_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    ck_assert_int_eq((long long)t, 784111777LL);
    ck_assert(!www_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    ck_assert(!www_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing", &t));
    ck_assert(!www_parse_http_date(NULL, &t));
}
END_TEST

/* RFC 9110 §5.6.1: empty list elements and blanks around them are ignored,
 * the same rule for both list headers. */
START_TEST(list_headers_ignore_empty_elements)
{
    ck_assert(www_accepts_gzip(" , ,\tgzip ,"));
    ck_assert(www_accepts_gzip(",,gzip;q=0.5,,"));
    ck_assert(!www_accepts_gzip(" , ,\t,"));
    ck_assert(!www_accepts_gzip(", gzip;q=0 ,"));
    ck_assert(etag_matches(", ,\t\"a\" ,", "\"a\""));
    ck_assert(etag_matches(",W/\"a\",", "\"a\""));
    ck_assert(!etag_matches(" , ,", "\"a\""));
    ck_assert(!etag_matches(NULL, "\"a\""));
}
END_TEST

START_TEST(mime_types_follow_the_extension)
{
    ck_assert_str_eq(www_mime_type("/srv/www/index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(www_mime_type("app.mjs"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(www_mime_type("a.b/icon.png"), "image/png");
    ck_assert_str_eq(www_mime_type("f.woff2"), "font/woff2");
    ck_assert_str_eq(www_mime_type("README"), "application/octet-stream");
    ck_assert_str_eq(www_mime_type("x.HTML"), "application/octet-stream");
}
END_TEST

static Suite *www_suite(void)
{
    Suite *s = suite_create("www");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, serves_index_for_root_with_type_and_validators);
    tcase_add_test(tc, a_folder_path_names_its_index);
    tcase_add_test(tc, gzip_when_accepted_and_it_decompresses_to_the_file);
    tcase_add_test(tc, png_is_never_gzipped);
    tcase_add_test(tc, if_none_match_gives_304_without_body);
    tcase_add_test(tc, if_modified_since_gives_304_unless_if_none_match_disagrees);
    tcase_add_test(tc, head_sends_headers_only);
    tcase_add_test(tc, refuses_escapes_hidden_and_missing_files);
    tcase_add_test(tc, a_changed_file_is_reloaded_with_a_new_etag);
    tcase_add_test(tc, a_response_outlives_the_cache);
    suite_add_tcase(s, tc);
    TCase *hd = tcase_create("headers");
    tcase_add_test(hd, etag_lists_compare_weakly);
    tcase_add_test(hd, accept_encoding_honours_q_values);
    tcase_add_test(hd, http_dates_parse_as_utc);
    tcase_add_test(hd, list_headers_ignore_empty_elements);
    tcase_add_test(hd, mime_types_follow_the_extension);
    suite_add_tcase(s, hd);
    return s;
}

CHECK_MAIN(www_suite)
