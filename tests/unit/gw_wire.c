/* gw_wire: decoding what a gateway connection wrote, for unit tests. */
#include "config.h"

#include "gw_wire.h"

#include "xalloc.h"

#include <check.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

json_t *gw_wire_ws_messages(const void *buf, size_t n)
{
    const uint8_t *p = buf, *end = p + n;
    json_t *all = json_array();
    while (p < end) {
        ck_assert_msg(end - p >= 2, "a partial frame head");
        ck_assert_msg(p[0] == 0x81, "not a whole text frame: 0x%02x", p[0]);
        ck_assert_msg(!(p[1] & 0x80), "a server frame is masked");
        size_t len = p[1] & 0x7f, head = 2;
        if (len == 126) {
            ck_assert(end - p >= 4);
            len = (size_t)p[2] << 8 | p[3];
            head = 4;
        } else if (len == 127) {
            ck_assert(end - p >= 10);
            len = 0;
            for (int i = 2; i < 10; i++)
                len = len << 8 | p[i];
            head = 10;
        }
        ck_assert_msg((size_t)(end - p) >= head + len, "a partial frame");
        json_error_t err;
        json_t *m = json_loadb((const char *)p + head, len, 0, &err);
        ck_assert_msg(m != NULL, "a frame that is not JSON: %s", err.text);
        json_array_append_new(all, m);
        p += head + len;
    }
    return all;
}

/* One block's field line "name: value" (or "name:value"). */
static void sse_field(json_t *ev, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return; /* a comment, or a field with no value */
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    if (v < line + len && *v == ' ')
        v++;
    size_t vlen = (size_t)(line + len - v);
    if (nlen == 5 && memcmp(line, "event", 5) == 0) {
        json_object_set_new(ev, "event", json_stringn(v, vlen));
    } else if (nlen == 2 && memcmp(line, "id", 2) == 0) {
        json_object_set_new(ev, "id", json_stringn(v, vlen));
    } else if (nlen == 4 && memcmp(line, "data", 4) == 0) {
        json_error_t err;
        json_t *d = json_loadb(v, vlen, JSON_DECODE_ANY, &err);
        ck_assert_msg(d != NULL, "SSE data is not JSON: %.*s", (int)vlen, v);
        json_object_set_new(ev, "data", d);
    }
}

json_t *gw_wire_sse_events(const char *text)
{
    json_t *all = json_array(), *ev = json_object();
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == 0) { /* a blank line ends a block */
            if (json_object_get(ev, "event") || json_object_get(ev, "id") ||
                json_object_get(ev, "data"))
                json_array_append(all, ev);
            json_decref(ev);
            ev = json_object();
        } else {
            sse_field(ev, p, len);
        }
        p += len + (nl ? 1 : 0);
    }
    json_decref(ev); /* an unfinished block is not an event yet */
    return all;
}

const char *gw_wire_ids(const json_t *events, char *buf, size_t len)
{
    size_t i, used = 0;
    json_t *e;
    buf[0] = '\0';
    json_array_foreach(events, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (!id) /* a WebSocket message */
            id = json_string_value(json_object_get(json_object_get(e, "data"), "id"));
        if (!id)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", id);
        ck_assert(n > 0 && (size_t)n < len - used);
        used += (size_t)n;
    }
    return buf;
}

int gw_wire_status(const char *response)
{
    int status = 0;
    ck_assert_msg(sscanf(response, "HTTP/1.%*d %d", &status) == 1, "not a response: %.80s",
                  response);
    return status;
}

const char *gw_wire_body(const char *response)
{
    const char *body = strstr(response, "\r\n\r\n");
    ck_assert_msg(body != NULL, "no end of head: %.200s", response);
    return body + 4;
}

char *gw_wire_read_until(struct gw_fixture *fx, int fd, const char *needle, int ms, size_t *len)
{
    size_t n = 0, cap = 8192, nlen = strlen(needle);
    char *buf = xmalloc(cap);
    for (int waited = 0; waited < ms; waited += 10) {
        gw_fixture_run(fx, 10);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
            continue;
        if (cap - n < 4096)
            buf = xrealloc(buf, cap *= 2);
        ssize_t r = recv(fd, buf + n, cap - n - 1, MSG_DONTWAIT);
        if (r <= 0)
            break; /* closed */
        n += (size_t)r;
        if (memmem(buf, n, needle, nlen))
            break;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *gw_wire_tick(char *buf, size_t len, long ms)
{
    int n = snprintf(buf, len,
                     "{\"id\":\"%ld-0\",\"ts\":%ld,\"prices\":["
                     "{\"symbol\":\"BTC\",\"price\":%ld.5,\"change24h\":1,\"volume24h\":2,"
                     "\"high24h\":3,\"low24h\":1,\"ts\":%ld,\"id\":\"%ld-0\"},"
                     "{\"symbol\":\"ETH\",\"price\":%ld.25,\"change24h\":1,\"volume24h\":2,"
                     "\"high24h\":3,\"low24h\":1,\"ts\":%ld,\"id\":\"%ld-0\"}]}",
                     ms, ms, ms % 1000000, ms, ms, ms % 1000000 + 1, ms, ms);
    ck_assert(n > 0 && (size_t)n < len);
    return buf;
}

redisContext *gw_wire_redis(const struct redis_server *rs)
{
    redisContext *r = redisConnect("127.0.0.1", rs->port);
    ck_assert_msg(r && !r->err, "cannot connect to the test Redis");
    return r;
}

void gw_wire_redis_ok(redisContext *r, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    redisReply *reply = redisvCommand(r, format, ap);
    va_end(ap);
    ck_assert_msg(reply != NULL, "Redis: %s", r->errstr);
    ck_assert_msg(reply->type != REDIS_REPLY_ERROR, "Redis: %s", reply->str);
    freeReplyObject(reply);
}
