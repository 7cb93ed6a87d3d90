/* Fuzz target ws: client frames through ws_parser_feed() (RFC 6455 §5),
 * and each compressed message through deflate_inflate() with the message
 * limit (RFC 7692 §7.2.2), then the UTF-8 check of a text, as the gateway
 * does.  Input: one byte of settings, then the bytes from the client.
 *   bit 0     permessage-deflate agreed (RSV1 allowed)
 *   bit 1     context takeover kept (the gateway never agrees to it, but
 *             the inflater supports it)
 *   bits 2-4  client_max_window_bits - 8
 *   bits 5-7  read size: 1, 2, 3, 7, 16, 64, 1000 bytes or all at once
 * Invariants: the messages and the outcome do not depend on the read size;
 * a message and its inflated form stay within the limit. */
#include "config.h"

#include "fuzz.h"

#include "cp_error.h"
#include "deflate.h"
#include "ws.h"

#include <string.h>

#define FUZZ_MESSAGE_MAX 65536 /* small enough that fuzzing reaches the limit */

static uint8_t inflated[FUZZ_MESSAGE_MAX];

struct outcome {
    int rc;
    unsigned messages;
    unsigned long hash;
};

static unsigned long mix(unsigned long h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = h * 31 + p[i];
    return h * 131 + n;
}

/* What the gateway does with one message; returns CP_OK or the error that
 * closes the connection. */
static int on_message(struct deflate_inflater *f, const struct ws_message *m, struct outcome *o)
{
    FUZZ_CHECK(m->len <= FUZZ_MESSAGE_MAX);
    o->hash = mix(o->hash * 17 + m->opcode, m->payload, m->len);
    if (m->opcode == WS_OP_CLOSE)
        FUZZ_CHECK(m->close_code == WS_CLOSE_NO_STATUS || ws_close_code_valid(m->close_code));
    if (m->opcode == WS_OP_CLOSE || m->opcode == WS_OP_PING || m->opcode == WS_OP_PONG)
        FUZZ_CHECK(m->len <= WS_CONTROL_MAX && !m->compressed);
    if (!m->compressed)
        return CP_OK;
    FUZZ_CHECK(f != NULL);
    size_t len = 0;
    int rc = deflate_inflate(f, m->payload, m->len, inflated, sizeof inflated, &len);
    FUZZ_CHECK(len <= sizeof inflated);
    if (rc != CP_OK) {
        FUZZ_CHECK(rc == CP_ETOOBIG || rc == CP_EPROTO || rc == CP_ENOMEM);
        return rc;
    }
    o->hash = mix(o->hash, inflated, len);
    struct ws_utf8 u = {0};
    if (m->opcode == WS_OP_TEXT && (!ws_utf8_feed(&u, inflated, len) || !ws_utf8_complete(&u)))
        return CP_EUTF8;
    return CP_OK;
}

static struct outcome run(uint8_t settings, const uint8_t *data, size_t size, size_t step)
{
    struct outcome o = {CP_EAGAIN, 0, 0};
    struct ws_parser *p = ws_parser_new(FUZZ_MESSAGE_MAX);
    struct deflate_inflater *f = NULL;
    if (settings & 1) {
        struct deflate_params dp = {
            .server_no_context_takeover = true,
            .client_no_context_takeover = !(settings & 2),
            .server_max_window_bits = DEFLATE_SERVER_WINDOW_BITS,
            .client_max_window_bits = (uint8_t)(8 + (settings >> 2 & 7)),
        };
        ws_parser_set_rsv1(p, true);
        f = deflate_inflater_new(&dp);
    }
    size_t off = 0;
    while (off < size) {
        size_t n = size - off < step ? size - off : step, used = 0;
        struct ws_message m;
        o.rc = ws_parser_feed(p, data + off, n, &used, &m);
        FUZZ_CHECK(used <= n);
        off += used;
        if (o.rc == CP_OK) {
            o.messages++;
            o.rc = on_message(f, &m, &o);
            if (o.rc != CP_OK || m.opcode == WS_OP_CLOSE)
                break; /* the gateway closes: nothing more is read */
        } else if (o.rc == CP_EAGAIN) {
            FUZZ_CHECK(used == n);
        } else {
            FUZZ_CHECK(o.rc == CP_EPROTO || o.rc == CP_ETOOBIG || o.rc == CP_EUTF8);
            FUZZ_CHECK(ws_close_code_for(o.rc) != WS_CLOSE_INTERNAL);
            break;
        }
    }
    deflate_inflater_free(f);
    ws_parser_free(p);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t steps[8] = {1, 2, 3, 7, 16, 64, 1000, SIZE_MAX};
    if (size < 1)
        return 0;
    uint8_t settings = data[0];
    struct outcome whole = run(settings, data + 1, size - 1, SIZE_MAX);
    struct outcome split = run(settings, data + 1, size - 1, steps[settings >> 5]);
    FUZZ_CHECK(whole.rc == split.rc);
    FUZZ_CHECK(whole.messages == split.messages);
    FUZZ_CHECK(whole.hash == split.hash);
    return 0;
}
