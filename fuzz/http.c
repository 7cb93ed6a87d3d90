/* Fuzz target http: request heads through http_request_feed() (RFC 9112,
 * via http-parser), then the checks the gateway makes on a complete head —
 * the WebSocket handshake (RFC 6455 §4.2.1: token lists, version, key,
 * accept key, permessage-deflate negotiation of RFC 7692) and the query
 * and path decoding of its routes.  The input is raw bytes from a client,
 * pipelined requests included.  Invariant: the outcome does not depend on
 * how the bytes are split across reads. */
#include "config.h"

#include "fuzz.h"

#include "cp_error.h"
#include "deflate.h"
#include "http.h"
#include "urlcode.h"
#include "ws.h"

#include <stdbool.h>
#include <string.h>

#define FUZZ_HEAD_MAX 8192 /* MAX_HEAD_BYTES' default */

/* What a completed head looks like to the gateway, to compare two parses. */
struct outcome {
    int rc;
    unsigned requests;
    unsigned long hash;
};

static unsigned long mix(unsigned long h, const char *s)
{
    for (; s && *s; s++)
        h = h * 31 + (unsigned char)*s;
    return h * 131 + (s ? 1 : 0);
}

static void handshake_checks(const struct http_request *r)
{
    const char *up = http_request_header(r, HTTP_H_UPGRADE);
    const char *conn = http_request_header(r, HTTP_H_CONNECTION);
    const char *key = http_request_header(r, HTTP_H_WS_KEY);
    const char *ext = http_request_header(r, HTTP_H_WS_EXTENSIONS);
    (void)http_token_list_has(up, "websocket");
    (void)http_token_list_has(conn, "upgrade");
    if (key && ws_key_valid(key)) {
        char accept[WS_ACCEPT_LEN + 1];
        ws_accept_key(key, accept);
        FUZZ_CHECK(strlen(accept) == WS_ACCEPT_LEN);
    }
    if (ext) {
        struct deflate_params dp;
        char response[DEFLATE_RESPONSE_MAX];
        if (deflate_negotiate(ext, &dp, response) == CP_OK) {
            FUZZ_CHECK(strlen(response) < DEFLATE_RESPONSE_MAX);
            FUZZ_CHECK(dp.client_max_window_bits >= 8 && dp.client_max_window_bits <= 15);
            /* The shared stream's window must fit the one agreed. */
            FUZZ_CHECK(dp.server_max_window_bits >= DEFLATE_SERVER_WINDOW_BITS &&
                       dp.server_max_window_bits <= 15);
        }
    }
}

static unsigned long route_checks(const struct http_request *r, unsigned long h)
{
    char buf[1024];
    static const char *const params[] = {"symbols", "lastEventId", "symbol", "limit"};
    if (urlcode_path_decode(http_request_path(r), buf, sizeof buf) == CP_OK)
        h = mix(h, buf);
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        int rc = urlcode_query_param(http_request_query(r), params[i], buf, sizeof buf);
        FUZZ_CHECK(rc == CP_OK || rc == CP_ENOENT || rc == CP_ETOOBIG || rc == CP_EINVAL);
        if (rc == CP_OK)
            h = mix(h, buf);
    }
    return h;
}

/* One completed request: fold what the gateway reads of it into h. */
static unsigned long complete(const struct http_request *r, unsigned long h)
{
    h = mix(h, http_request_method(r));
    h = mix(h, http_request_path(r));
    h = mix(h, http_request_query(r));
    for (int i = 0; i < HTTP_H_COUNT; i++)
        h = mix(h, http_request_header(r, (enum http_header)i));
    h = h * 7 + (unsigned long)http_request_keep_alive(r) * 2 +
        (unsigned long)http_request_minor(r);
    handshake_checks(r);
    return route_checks(r, h);
}

/* Feed data in chunks of at most step bytes, as reads would deliver it. */
static struct outcome parse(const uint8_t *data, size_t size, size_t step)
{
    struct outcome o = {CP_EAGAIN, 0, 0};
    struct http_request *r = http_request_new(FUZZ_HEAD_MAX, 100);
    size_t off = 0;
    while (off < size && o.requests < 64) {
        size_t n = size - off < step ? size - off : step, used = 0;
        o.rc = http_request_feed(r, (const char *)data + off, n, &used);
        FUZZ_CHECK(used <= n);
        off += used;
        if (o.rc == CP_OK) {
            o.hash = complete(r, o.hash);
            o.requests++;
            http_request_reset(r);
        } else if (o.rc != CP_EAGAIN) {
            FUZZ_CHECK(o.rc == CP_EPROTO || o.rc == CP_ETOOBIG);
            break;
        } else {
            FUZZ_CHECK(used == n); /* "need more" must have taken everything */
        }
    }
    http_request_free(r);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome whole = parse(data, size, size ? size : 1);
    struct outcome split = parse(data, size, size % 13 + 1);
    /* Which error a head that is both malformed and too big gets (400 or
     * 431) depends on where reads end: http-parser hands a header value
     * over at the end of each read, so only a split read sees it pass the
     * limit before the bad byte.  Either refuses the request. */
    bool whole_failed = whole.rc != CP_OK && whole.rc != CP_EAGAIN;
    bool split_failed = split.rc != CP_OK && split.rc != CP_EAGAIN;
    FUZZ_CHECK(whole_failed == split_failed);
    FUZZ_CHECK(whole_failed || whole.rc == split.rc);
    FUZZ_CHECK(whole.requests == split.requests);
    FUZZ_CHECK(whole.hash == split.hash);
    return 0;
}
