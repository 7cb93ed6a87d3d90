/* sio_client: a test client of the Socket.IO endpoint, for unit tests. */
#include "config.h"

#include "sio_client.h"

#include "gw_wire.h"
#include "xalloc.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455 §1.3's example */

char *sio_request(const char *method, const char *target, const char *body, int close)
{
    char *req;
    int n = body
                ? asprintf(&req,
                           "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8"
                           "\r\nContent-Length: %zu\r\n%s\r\n%s",
                           method, target, strlen(body), close ? "Connection: close\r\n" : "", body)
                : asprintf(&req, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method, target,
                           close ? "Connection: close\r\n" : "");
    ck_assert_int_gt(n, 0);
    return req;
}

char *sio_ask(struct gw_fixture *fx, const char *request, int ms)
{
    int fd = gw_fixture_client(fx, NULL);
    char *got = gw_fixture_ask(fx, fd, request, ms, NULL);
    close(fd);
    gw_fixture_run(fx, 10); /* the server sees the close: per-IP counts drop */
    return got;
}

int sio_error_code(const char *response, int status)
{
    ck_assert_msg(gw_wire_status(response) == status, "want %d: %s", status, response);
    ck_assert_msg(strstr(response, "\r\nContent-Type: application/json\r\n") != NULL, "%s",
                  response);
    json_t *j = json_loads(gw_wire_body(response), 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", response);
    int code = (int)json_integer_value(json_object_get(j, "code"));
    ck_assert_msg(json_is_string(json_object_get(j, "message")), "%s", response);
    json_decref(j);
    return code;
}

char *sio_handshake(struct gw_fixture *fx, char *sid)
{
    char *req = sio_request("GET", SIO_Q "polling", NULL, 0);
    char *got = sio_ask(fx, req, 2000);
    free(req);
    ck_assert_msg(gw_wire_status(got) == 200, "%s", got);
    const char *body = gw_wire_body(got);
    ck_assert_msg(body[0] == '0', "%s", got);
    json_t *j = json_loads(body + 1, 0, NULL);
    ck_assert_msg(j != NULL, "open packet not JSON: %s", body);
    const char *s = json_string_value(json_object_get(j, "sid"));
    ck_assert_ptr_nonnull(s);
    /* 20 characters, then ".route" (the PORT by default). */
    ck_assert_msg(strlen(s) > 21 && strlen(s) < 64 && s[20] == '.', "sid %s", s);
    memcpy(sid, s, strlen(s) + 1);
    json_decref(j);
    char *open = xstrdup(body);
    free(got);
    return open;
}

static char *target_of(const char *sid)
{
    char *t;
    ck_assert_int_gt(asprintf(&t, SIO_Q "polling&sid=%s", sid), 0);
    return t;
}

void sio_post(struct gw_fixture *fx, const char *sid, const char *payload)
{
    char *t = target_of(sid), *req = sio_request("POST", t, payload, 0);
    char *got = sio_ask(fx, req, 2000);
    ck_assert_msg(gw_wire_status(got) == 200, "%s", got);
    ck_assert_str_eq(gw_wire_body(got), "ok");
    free(got);
    free(req);
    free(t);
}

int sio_poll_start(struct gw_fixture *fx, const char *sid)
{
    char *t = target_of(sid), *req = sio_request("GET", t, NULL, 0);
    int fd = gw_fixture_client(fx, NULL);
    size_t n = strlen(req);
    ck_assert_int_eq(send(fd, req, n, 0), (ssize_t)n);
    free(req);
    free(t);
    return fd;
}

char *sio_poll_read(struct gw_fixture *fx, int fd, int ms, int *status)
{
    char *got = gw_fixture_read(fx, fd, ms, NULL);
    *status = 0;
    if (!got[0]) {
        free(got);
        return NULL;
    }
    *status = gw_wire_status(got);
    char *body = xstrdup(gw_wire_body(got));
    free(got);
    return body;
}

char *sio_poll(struct gw_fixture *fx, const char *sid, int ms)
{
    int fd = sio_poll_start(fx, sid), status;
    char *body = sio_poll_read(fx, fd, ms, &status);
    close(fd);
    ck_assert_msg(body != NULL, "the poll was not answered");
    ck_assert_msg(status == 200, "%d %s", status, body);
    return body;
}

void sio_connect(struct gw_fixture *fx, char *sid)
{
    free(sio_handshake(fx, sid));
    sio_post(fx, sid, "40");
    char *got = sio_poll(fx, sid, 2000);
    ck_assert_msg(strncmp(got, "40{\"sid\":\"", 10) == 0, "%s", got);
    ck_assert_msg(strstr(got, "\"}\x1e"
                              "42[\"welcome\",{") != NULL,
                  "%s", got);
    free(got);
}

int sio_ws_open(struct gw_fixture *fx, const char *rest, json_t *frames)
{
    char *req;
    ck_assert_int_gt(asprintf(&req,
                              "GET " SIO_Q "websocket%s HTTP/1.1\r\nHost: x\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " WS_KEY "\r\n\r\n",
                              rest),
                     0);
    int fd = gw_fixture_client(fx, NULL);
    size_t n;
    char *got = gw_fixture_ask(fx, fd, req, 2000, &n);
    free(req);
    ck_assert_msg(strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    char *end = strstr(got, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    if (frames)
        sio_ws_frames((unsigned char *)end + 4, n - (size_t)(end + 4 - got), frames);
    free(got);
    return fd;
}

void sio_ws_send(int fd, const char *text)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t len = strlen(text), h = 0;
    uint8_t *out = xmalloc(len + 14);
    out[h++] = 0x81;
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else {
        ck_assert_uint_lt(len, 65536);
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    }
    memcpy(out + h, key, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = (uint8_t)text[i] ^ key[i % 4];
    ck_assert_int_eq(send(fd, out, h + len, MSG_NOSIGNAL), (ssize_t)(h + len));
    free(out);
}

void sio_ws_frames(const unsigned char *p, size_t n, json_t *frames)
{
    size_t at = 0;
    while (at < n) {
        ck_assert_msg(n - at >= 2, "a partial frame head");
        ck_assert_msg(!(p[at + 1] & 0x80), "a server frame is masked");
        size_t len = p[at + 1] & 0x7f, head = 2;
        if (len == 126) {
            ck_assert(n - at >= 4);
            len = (size_t)p[at + 2] << 8 | p[at + 3];
            head = 4;
        }
        ck_assert_uint_ne(len, 127);
        ck_assert_msg(at + head + len <= n, "a partial frame");
        const char *pl = (const char *)p + at + head;
        if (p[at] == 0x88) {
            char text[32];
            snprintf(text, sizeof text, "close:%d",
                     len >= 2 ? (uint8_t)pl[0] << 8 | (uint8_t)pl[1] : 0);
            json_array_append_new(frames, json_string(text));
        } else {
            ck_assert_msg(p[at] == 0x81, "not a whole text frame: 0x%02x", p[at]);
            json_array_append_new(frames, json_stringn(pl, len));
        }
        at += head + len;
    }
}

json_t *sio_ws_read(struct gw_fixture *fx, int fd, int ms)
{
    size_t n;
    char *got = gw_fixture_read(fx, fd, ms, &n);
    json_t *frames = json_array();
    sio_ws_frames((unsigned char *)got, n, frames);
    free(got);
    return frames;
}

const char *sio_at(const json_t *frames, size_t i)
{
    const char *s = json_string_value(json_array_get(frames, i));
    ck_assert_msg(s != NULL, "no frame %zu of %zu", i, json_array_size(frames));
    return s;
}
