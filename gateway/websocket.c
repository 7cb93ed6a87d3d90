#include "config.h"

#include "websocket.h"

#include "answer.h"
#include "connlog.h"
#include "cp_error.h"
#include "deflate.h"
#include "http.h"
#include "log.h"
#include "resume.h"
#include "sse.h"
#include "urlcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* proto's way back to the connection (struct proto_ops). */
static void op_send(void *transport, const char *event, const char *data)
{
    conn_ws_send(transport, event, data);
}

static void op_resume(void *transport, const char *since)
{
    resume_start(transport, since);
}

static void op_history(void *transport, const struct history_query *hq)
{
    answer_history(transport, hq);
}

static const struct proto_ops websocket_proto_ops = {
    .send = op_send,
    .resume = op_resume,
    .history = op_history,
};

/* A compressed text message (RFC 7692 §7.2.2), inflated into the loop's
 * buffer of MAX_MESSAGE_BYTES — a decompression bomb stops at the limit
 * (1009) — then checked as UTF-8 (1007), since the parser could not. */
static int inflate_message(struct conn *c, const struct ws_message *m, const uint8_t **text,
                           size_t *len)
{
    int rc = deflate_inflate(c->inflater, m->payload, m->len, c->ctx->inflated,
                             (size_t)c->ctx->conf->max_message_bytes, len);
    if (rc != CP_OK)
        return rc;
    struct ws_utf8 u = {0};
    if (!ws_utf8_feed(&u, c->ctx->inflated, *len) || !ws_utf8_complete(&u))
        return CP_EUTF8;
    *text = c->ctx->inflated;
    return CP_OK;
}

static void on_text(struct conn *c, const struct ws_message *m)
{
    const uint8_t *text = m->payload;
    size_t len = m->len;
    int rc = m->compressed && c->inflater ? inflate_message(c, m, &text, &len) : CP_OK;
    if (rc != CP_OK) {
        conn_close_ws(c, ws_close_code_for(rc), cp_strerror(rc));
        return;
    }
    c->ctx->counters.messages_in++;
    c->ctx->counters.bytes_in += len;
    if (c->ws_text) {
        c->ws_text(c, (const char *)text, len);
        return;
    }
    if (proto_handle(c->ctx, &c->pc, (const char *)text, len, ctx_now_ms(c->ctx)) != CP_OK)
        conn_close_ws(c, WS_CLOSE_POLICY, "rate limit exceeded");
}

static void on_message(struct conn *c, const struct ws_message *m)
{
    switch (m->opcode) {
    case WS_OP_TEXT: on_text(c, m); break;
    case WS_OP_BINARY: conn_close_ws(c, 1003, "binary messages are not accepted"); break;
    case WS_OP_PING:
        conn_ws_control(c, WS_OP_PONG, m->payload, m->len); /* RFC 6455 §5.5.2 */
        break;
    case WS_OP_CLOSE:
        /* Echo the code (§5.5.1); 1005 means none was sent, so none is echoed. */
        connlog_ws_close(c->log, m->close_code, m->len > 2 ? (const char *)m->payload + 2 : "",
                         m->len > 2 ? m->len - 2 : 0, true);
        if (m->close_code == WS_CLOSE_NO_STATUS) {
            conn_ws_control(c, WS_OP_CLOSE, NULL, 0);
            conn_close_after_flush(c);
        } else {
            conn_close_ws(c, m->close_code, "");
        }
        break;
    default: break; /* PONG: nothing to do */
    }
}

/* The frame parser, made when a frame starts (websocket_read() frees it
 * between frames); RSV1 is allowed when permessage-deflate was agreed. */
static struct ws_parser *new_parser(struct conn *c)
{
    struct ws_parser *p = ws_parser_new((size_t)c->ctx->conf->max_message_bytes);
    ws_parser_set_rsv1(p, c->inflater != NULL);
    return p;
}

void websocket_read(struct conn *c, struct evbuffer *in)
{
    if (c->ping_outstanding) { /* any byte proves the client alive */
        c->ping_outstanding = false;
        conn_set_read_timeout(c, c->ctx->conf->ws_ping_interval_ms);
    }
    if (!c->ws && !c->close_after_flush && !c->closing && evbuffer_get_length(in) > 0)
        c->ws = new_parser(c);
    while (!c->close_after_flush && !c->closing && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        evbuffer_peek(in, -1, NULL, &v, 1);
        size_t used = 0;
        struct ws_message m;
        int rc = ws_parser_feed(c->ws, v.iov_base, v.iov_len, &used, &m);
        if (rc == CP_OK) {
            on_message(c, &m); /* payload is valid until the next feed */
        } else if (rc != CP_EAGAIN) {
            log_debug("closing a WebSocket client: %s", cp_strerror(rc));
            conn_close_ws(c, ws_close_code_for(rc), cp_strerror(rc));
        }
        evbuffer_drain(in, used);
    }
    /* Idle clients keep no parser (~250 bytes) and no message buffer: a
     * subscribed client sends nothing but pongs for minutes at a time. */
    if (c->ws && ws_parser_idle(c->ws)) {
        ws_parser_free(c->ws);
        c->ws = NULL;
    } else if (c->ws) {
        ws_parser_release(c->ws);
    }
}

/* The 101 (RFC 6455 §4.2.2) with the accept key and, when negotiated, the
 * permessage-deflate response (ext): copied in pieces, not formatted, as
 * every handshake of a reconnect storm writes one (vsnprintf was ~1,800
 * instructions of a connection's ~34,000, callgrind). */
static void write_101(struct evbuffer *out, const char accept[WS_ACCEPT_LEN + 1], const char *ext)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
    static const char ext_name[] = "\r\nSec-WebSocket-Extensions: ";
    char buf[sizeof head + WS_ACCEPT_LEN + sizeof ext_name + DEFLATE_RESPONSE_MAX + 4];
    size_t n = sizeof head - 1;
    memcpy(buf, head, n);
    memcpy(buf + n, accept, WS_ACCEPT_LEN);
    n += WS_ACCEPT_LEN;
    if (ext) {
        size_t e = strnlen(ext, DEFLATE_RESPONSE_MAX);
        memcpy(buf + n, ext_name, sizeof ext_name - 1);
        n += sizeof ext_name - 1;
        memcpy(buf + n, ext, e);
        n += e;
    }
    memcpy(buf + n, "\r\n\r\n", 4);
    evbuffer_add(out, buf, n + 4);
}

/* RFC 6455 §4.2.1 checks, then the 101 answer (§4.2.2). */
bool websocket_handshake(struct conn *c, bool deflate_allowed)
{
    const struct http_request *r = c->req;
    const char *up = http_request_header(r, HTTP_H_UPGRADE);
    const char *conn_hdr = http_request_header(r, HTTP_H_CONNECTION);
    const char *version = http_request_header(r, HTTP_H_WS_VERSION);
    const char *key = http_request_header(r, HTTP_H_WS_KEY);
    if (!http_request_is_get(r)) {
        conn_respond_error(c, 405, "method_not_allowed", "use GET", "Allow: GET\r\n");
    } else if (http_request_minor(r) < 1) {
        conn_respond_error(c, 400, "bad_request", "WebSocket needs HTTP/1.1 (RFC 6455 4.1)", NULL);
    } else if (!up || !http_token_list_has(up, "websocket") || !conn_hdr ||
               !http_token_list_has(conn_hdr, "upgrade")) {
        conn_respond_error(c, 426, "upgrade_required", "this endpoint speaks WebSocket", NULL);
    } else if (!version || strcmp(version, "13") != 0) {
        /* RFC 6455 §4.4: the versions the server speaks */
        conn_respond_error(c, 426, "unsupported_version", "only WebSocket version 13 is supported",
                           "Sec-WebSocket-Version: 13\r\n");
    } else if (!key || !ws_key_valid(key)) {
        conn_respond_error(c, 400, "bad_key", "Sec-WebSocket-Key must be base64 of 16 bytes", NULL);
    } else if (!conf_origin_allowed(c->ctx->conf, http_request_header(r, HTTP_H_ORIGIN))) {
        conn_respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
    } else {
        char accept[WS_ACCEPT_LEN + 1], ext[DEFLATE_RESPONSE_MAX];
        struct deflate_params dp;
        const char *offers = http_request_header(r, HTTP_H_WS_EXTENSIONS);
        bool deflate = deflate_allowed && offers && deflate_negotiate(offers, &dp, ext) == CP_OK;
        ws_accept_key(key, accept);
        write_101(conn_output(c), accept, deflate ? ext : NULL);
        c->kind = CONN_WS;
        if (deflate) {
            c->inflater = deflate_inflater_new(&dp);
            c->ctx->counters.ws_deflate++;
        }
        return true;
    }
    return false;
}

/* The handshake's ?symbols= (and ?since=) is the client's first subscribe
 * (docs/PROTOCOL.md §2), answered right behind the welcome: a reconnecting
 * client is resumed without a round trip to send it.  As with a subscribe
 * message, a mistake is an error event on the open WebSocket, not a refused
 * handshake, whose reason a browser's WebSocket cannot read. */
static void subscribe_from_url(struct conn *c)
{
    const char *query = http_request_query(c->req);
    char since[HTTP_URL_MAX], err[128]; /* the whole value: resume_start() judges its length */
    char syms[HUB_MAX_SYMBOLS_PER_REQUEST][PRICE_SYMBOL_MAX];
    int n = sse_query_symbols(query, syms, HUB_MAX_SYMBOLS_PER_REQUEST, err, sizeof err);
    int s = urlcode_query_param(query, "since", since, sizeof since);
    if (n == CP_ENOENT && s == CP_ENOENT)
        return;
    if (n == CP_ENOENT) {
        n = CP_EINVAL;
        snprintf(err, sizeof err, "since needs symbols in the URL");
    } else if (n >= 0 && s != CP_OK && s != CP_ENOENT) {
        n = CP_EINVAL;
        snprintf(err, sizeof err, "since is not a valid query value (a bad %%-escape or a NUL)");
    }
    if (n < 0) {
        proto_error(&c->pc, "bad_request", err);
        return;
    }
    json_t *names = json_array();
    if (n == 0)
        json_array_append_new(names, json_string("*"));
    for (int i = 0; i < n; i++)
        json_array_append_new(names, json_string(syms[i]));
    json_t *data = json_pack("{s:o}", "symbols", names);
    if (s == CP_OK)
        json_object_set_new(data, "since", json_string(since));
    proto_event(c->ctx, &c->pc, "subscribe", data);
    json_decref(data);
}

void websocket_upgrade(struct conn *c)
{
    if (!websocket_handshake(c, true))
        return;
    conn_subscriber_init(c, c->inflater ? MSG_WS_DEFLATE : MSG_WS);
    proto_client_init(&c->pc, c->ctx, &websocket_proto_ops, c, ctx_now_ms(c->ctx));
    struct ctx_counters *s = &c->ctx->counters;
    s->ws_total++;
    if (++s->ws_current > s->ws_peak)
        s->ws_peak = s->ws_current;
    conn_ws_send(c, "welcome", proto_welcome_shared(c->ctx));
    subscribe_from_url(c);
}

/* A silent WebSocket client is pinged (RFC 6455 §5.5.2); still silent after
 * WS_PONG_TIMEOUT_MS, it is closed with 1001 as idle. */
void websocket_idle(struct conn *c)
{
    if (c->ping_outstanding) {
        conn_close_ws(c, WS_CLOSE_GOING_AWAY, "idle timeout");
        return;
    }
    c->ping_outstanding = true;
    conn_ws_control(c, WS_OP_PING, (const uint8_t *)"cp", 2);
    conn_set_read_timeout(c, c->ctx->conf->ws_pong_timeout_ms);
}
