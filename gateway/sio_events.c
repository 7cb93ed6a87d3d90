#include "config.h"

#include "sio_events.h"

#include "candles.h"
#include "cp_error.h"
#include "eio.h"
#include "history.h"
#include "log.h"
#include "price.h"
#include "ws.h"
#include "xalloc.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what proto sends (struct proto_ops) --------------------------------- */

static void ack(struct sio_session *s, long long id, const char *data)
{
    char *pkt = sio_ack_encode(id, data);
    sio_session_send(s, pkt, strlen(pkt));
    free(pkt);
}

static void op_send(void *transport, const char *event, const char *data)
{
    struct sio_session *s = transport;
    size_t len;
    char *pkt = sio_event_encode(event, data, strlen(data), &len);
    sio_session_send(s, pkt, len);
    free(pkt);
    /* The reply the client asked an acknowledgement for; an error stands in
     * for it if none comes (finish_ack). */
    if (s->ack_id >= 0 && strcmp(event, s->ack_event) == 0) {
        ack(s, s->ack_id, data);
        s->ack_id = -1;
    } else if (s->ack_id >= 0 && strcmp(event, "error") == 0 && !s->ack_error) {
        s->ack_error = xstrdup(data);
    }
}

/* The handling of an event is over: acknowledge it with its error, or
 * with nothing, if no reply did. */
static void finish_ack(struct sio_session *s)
{
    if (s->ack_id >= 0 && !s->closed)
        ack(s, s->ack_id, s->ack_error ? s->ack_error : "");
    s->ack_id = -1;
    free(s->ack_error);
    s->ack_error = NULL;
}

/* Lossless resume is the native protocol's (docs/PROTOCOL.md §3); "since" is
 * removed before proto sees a Socket.IO subscribe, so this is not reached. */
static void op_resume(void *transport, const char *since)
{
    proto_error(&((struct sio_session *)transport)->pc, "not_supported",
                "resume is not supported over Socket.IO; use /ws or /events");
}

struct history_req {
    struct sio_session *s;
    struct history_query hq;
    long long ack_id;
};

/* The answer to h arrived: ok with the body (JSON text) of the history
 * message, else Redis failed.  Sent as the reply the client awaits. */
static void history_answered(struct history_req *h, bool ok, const char *body)
{
    struct sio_session *s = h->s;
    if (sio_session_answer_arrived(s)) {
        s->ack_id = h->ack_id;
        s->ack_event = "history";
        if (ok)
            op_send(s, "history", body);
        else
            proto_error(&s->pc, "unavailable", "history is unavailable: Redis is unreachable");
        finish_ack(s);
    }
    free(h);
}

static void on_history(bool ok, const char *const *ticks, const size_t *lens, size_t n, void *arg)
{
    struct history_req *h = arg;
    char *text = NULL;
    if (ok) {
        json_t *j = history_points(h->hq.q.symbol, ticks, lens, n, h->hq.limit);
        text = json_dumps(j, PRICE_JSON_FLAGS);
        json_decref(j);
    }
    history_answered(h, ok, text);
    free(text);
}

static void on_candles(bool ok, const char *const *members, const size_t *lens, size_t n,
                       bool reverse, const char *newest, size_t newest_len, void *arg)
{
    struct history_req *h = arg;
    bool cacheable;
    size_t len;
    char *text = ok ? candles_response(&h->hq.q, members, lens, n, reverse, newest, newest_len,
                                       &cacheable, &len)
                    : NULL;
    history_answered(h, ok, text);
    free(text);
}

static void op_history(void *transport, const struct history_query *hq)
{
    struct sio_session *s = transport;
    struct ctx *ctx = s->ctx;
    struct history_req *h = xcalloc(1, sizeof *h);
    h->s = s;
    h->hq = *hq;
    h->ack_id = s->ack_id; /* acknowledged when the answer comes */
    s->ack_id = -1;
    int rc = hq->candles ? rdb_candles(ctx->rdb, &hq->q, on_candles, h)
                         : rdb_history(ctx->rdb, history_ticks_for(hq->limit), on_history, h);
    if (rc == CP_OK) {
        s->pending++;
        return;
    }
    s->ack_id = h->ack_id;
    free(h);
    proto_error(&s->pc, "unavailable", "history is unavailable: Redis is unreachable");
}

static const struct proto_ops sio_proto_ops = {
    .send = op_send,
    .resume = op_resume,
    .history = op_history,
};

void sio_events_init(struct sio_session *s)
{
    proto_client_init(&s->pc, s->ctx, &sio_proto_ops, s, ctx_now_ms(s->ctx));
}

/* ---- packets from the client -------------------------------------------- */

static void send_text(struct sio_session *s, const char *text)
{
    sio_session_send(s, text, strlen(text));
}

/* CONNECT to the default namespace: its own socket id, the welcome, and
 * the whole tick every tick ("*") until the first subscribe, as the
 * original server's io.emit broadcast. */
static void on_connect(struct sio_session *s, const struct sio_packet *p)
{
    struct ctx *ctx = s->ctx;
    if (strcmp(p->nsp, "/") != 0) {
        /* The namespace is the client's, echoed before the comma: outside
         * the JSON and without a comma of its own (sio_packet_parse), but a
         * long-polling body is not checked for UTF-8, and this text may leave
         * in a WebSocket text frame (the queue goes there on upgrade). */
        char pkt[SIO_NSP_MAX + 64];
        snprintf(pkt, sizeof pkt, "44%s,{\"message\":\"Invalid namespace\"}", p->nsp);
        ws_utf8_scrub(pkt);
        send_text(s, pkt);
        return;
    }
    if (s->connected)
        return;
    s->connected = true;
    char sid[SIO_SID_LEN + 1], pkt[64];
    unsigned char raw[SIO_SID_LEN];
    RAND_bytes(raw, sizeof raw);
    for (int i = 0; i < SIO_SID_LEN; i++)
        sid[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[raw[i] % 64];
    sid[SIO_SID_LEN] = '\0';
    snprintf(pkt, sizeof pkt, "40{\"sid\":\"%s\"}", sid);
    send_text(s, pkt);
    op_send(s, "welcome", proto_welcome_shared(ctx));
    s->default_all = hub_subscribe(ctx->hub, &s->pc.sub, "*") == 1;
}

/* ping, ping(n) or ping({id, ts}): pong with the server's time, echoing
 * what was given. */
static void on_ping(struct sio_session *s, json_t *arg)
{
    json_t *pong = json_is_object(arg) ? json_deep_copy(arg) : json_object();
    if (json_is_number(arg))
        json_object_set(pong, "ts", arg);
    json_object_set_new(pong, "server_ts", json_integer((json_int_t)price_now_ms()));
    char *text = json_dumps(pong, PRICE_JSON_FLAGS);
    op_send(s, "pong", text);
    free(text);
    json_decref(pong);
}

/* subscribe(["BTC"]) or subscribe({symbols:["BTC"]}): the native form,
 * without "since" (no resume here).  The first one replaces the default
 * "*" unless it names "*" itself. */
static json_t *subscription(struct sio_session *s, const char *event, json_t *arg)
{
    json_t *data = json_is_array(arg)    ? json_pack("{s:O}", "symbols", arg)
                   : json_is_object(arg) ? json_deep_copy(arg)
                                         : json_object();
    json_object_del(data, "since");
    json_t *syms = json_object_get(data, "symbols");
    bool star = false, known = false;
    size_t i;
    json_t *v;
    json_array_foreach(syms, i, v)
    {
        const char *sym = json_string_value(v);
        star |= sym && strcmp(sym, "*") == 0;
        known |= sym && hub_symbol_known(s->ctx->hub, sym);
    }
    /* Only unknown symbols: refused whole, "*" kept, the error acknowledged. */
    if (event[0] == 's' && !known && !star && json_array_size(syms) > 0)
        s->ack_event = "";
    if (event[0] == 's' && s->default_all && (known || star)) {
        s->default_all = false; /* "*" is now the client's own choice, or gone */
        if (!star)
            hub_unsubscribe(s->ctx->hub, &s->pc.sub, "*");
    }
    return data;
}

static const char *reply_event(const char *event)
{
    if (strcmp(event, "ping") == 0)
        return "pong";
    if (strcmp(event, "history") == 0)
        return "history";
    if (strcmp(event, "subscribe") == 0 || strcmp(event, "unsubscribe") == 0)
        return "subscribed";
    return "";
}

static bool on_event(struct sio_session *s, const struct sio_packet *p)
{
    struct ctx *ctx = s->ctx;
    if (!s->connected || strcmp(p->nsp, "/") != 0)
        return true; /* not connected there: Socket.IO drops it too */
    int rc = proto_admit(ctx, &s->pc, ctx_now_ms(ctx));
    if (rc == CP_EPROTO) {
        send_text(s, "41");
        sio_session_close(s, WS_CLOSE_POLICY, "rate limit exceeded");
        return false;
    }
    if (rc != CP_OK)
        return true;
    const char *event = json_string_value(json_array_get(p->data, 0));
    json_t *arg = json_array_get(p->data, 1);
    s->ack_id = p->ack_id;
    s->ack_event = reply_event(event);
    if (strcmp(event, "ping") == 0) {
        on_ping(s, arg);
    } else if (strcmp(event, "subscribe") == 0 || strcmp(event, "unsubscribe") == 0) {
        json_t *data = subscription(s, event, arg);
        proto_event(ctx, &s->pc, event, data);
        json_decref(data);
    } else {
        proto_event(ctx, &s->pc, event, arg);
    }
    finish_ack(s);
    return true;
}

bool sio_events_receive(struct sio_session *s, const char *data, size_t len)
{
    struct sio_packet p;
    char err[128];
    if (sio_packet_parse(data, len, &p, err, sizeof err) != 0) {
        sio_packet_clear(&p);
        log_debug("Socket.IO session %s: %s", s->sid, err);
        sio_session_close(s, WS_CLOSE_PROTOCOL_ERROR, "parse error");
        return false;
    }
    bool ok = true;
    switch (p.type) {
    case SIO_CONNECT: on_connect(s, &p); break;
    case SIO_DISCONNECT:
        if (strcmp(p.nsp, "/") == 0)
            sio_session_close(s, WS_CLOSE_NORMAL, "client namespace disconnect");
        break;
    case SIO_EVENT: ok = on_event(s, &p); break;
    case SIO_BINARY_EVENT:
    case SIO_BINARY_ACK:
        proto_error(&s->pc, "binary_not_supported", "binary packets are not accepted");
        break;
    default: break; /* acknowledgements of what we never asked; CONNECT_ERROR is ours to send */
    }
    sio_packet_clear(&p);
    return ok;
}
