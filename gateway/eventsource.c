#include "config.h"

#include "eventsource.h"

#include "cp_error.h"
#include "http.h"
#include "price.h"
#include "resume.h"
#include "sse.h"
#include "tickid.h"
#include "urlcode.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

/* Subscribe c to ?symbols= (default "*").  Returns 0, or answers 400 and
 * returns CP_EINVAL. */
static int subscribe(struct conn *c)
{
    char err[128];
    char syms[HUB_MAX_SYMBOLS_PER_REQUEST][PRICE_SYMBOL_MAX];
    int max = c->ctx->conf->max_subscriptions < HUB_MAX_SYMBOLS_PER_REQUEST
                  ? c->ctx->conf->max_subscriptions
                  : HUB_MAX_SYMBOLS_PER_REQUEST;
    int n = sse_query_symbols(http_request_query(c->req), syms, max, err, sizeof err);
    if (n == CP_ENOENT)
        n = 0; /* "*" */
    if (n == 0)
        hub_subscribe(c->ctx->hub, &c->pc.sub, "*");
    for (int i = 0; i < n; i++) {
        if (hub_subscribe(c->ctx->hub, &c->pc.sub, syms[i]) < 0) {
            snprintf(err, sizeof err, "unknown symbol \"%.15s\"", syms[i]);
            n = CP_EINVAL;
            break;
        }
    }
    if (n < 0) {
        hub_client_clear(c->ctx->hub, &c->pc.sub);
        conn_respond_error(c, 400, "unknown_symbol", err, NULL);
        return CP_EINVAL;
    }
    return CP_OK;
}

/* The resume point: the Last-Event-ID header, or ?lastEventId= for clients
 * that cannot set headers.  NULL when neither is given. */
static const char *last_event_id(struct conn *c, char *buf, size_t len)
{
    const char *h = http_request_header(c->req, HTTP_H_LAST_EVENT_ID);
    if (h)
        return h;
    return urlcode_query_param(http_request_query(c->req), "lastEventId", buf, len) == CP_OK ? buf
                                                                                             : NULL;
}

void eventsource_start(struct conn *c)
{
    const struct http_request *r = c->req;
    if (!http_request_is_get(r) && !http_request_is_head(r)) {
        conn_respond_error(c, 405, "method_not_allowed", "use GET",
                           "Allow: GET, HEAD, OPTIONS\r\n");
        return;
    }
    if (!conf_origin_allowed(c->ctx->conf, http_request_header(r, HTTP_H_ORIGIN))) {
        conn_respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
        return;
    }
    conn_subscriber_init(c, MSG_SSE);
    if (subscribe(c) != CP_OK)
        return;
    /* A stream has no length: it ends when the connection closes, for
     * HTTP/1.0 and 1.1 alike (RFC 9112 §6.3 item 8). */
    struct evbuffer *out = conn_output(c);
    char cors[512];
    evbuffer_add_printf(out,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
                        "Connection: close\r\nServer: cryptopulse/%s\r\n%s\r\n",
                        PACKAGE_VERSION, conn_cors_headers(c, cors, sizeof cors));
    if (http_request_is_head(r)) {
        hub_client_clear(c->ctx->hub, &c->pc.sub);
        conn_close_after_flush(c);
        return;
    }
    char id[HTTP_URL_MAX]; /* the whole value: resume_start() judges its length */
    const char *resume = last_event_id(c, id, sizeof id);
    /* A resumed stream first states the id it resumes from, so that a
     * client whose event stream starts with an empty last event id (WHATWG
     * "event stream interpretation") and is cut before the first tick still
     * holds its resume point.  A malformed id is not repeated: that stream
     * starts with its snapshot (docs/PROTOCOL.md §3). */
    struct tickid parsed;
    if (resume && strlen(resume) < PRICE_ID_MAX && sse_id_valid(resume) &&
        tickid_parse(resume, &parsed) == CP_OK)
        evbuffer_add_printf(out, "retry: 2000\nid: %s\n\n", resume);
    else
        evbuffer_add_printf(out, "retry: 2000\n\n");
    c->kind = CONN_SSE;
    struct ctx_counters *s = &c->ctx->counters;
    s->sse_total++;
    if (++s->sse_current > s->sse_peak)
        s->sse_peak = s->sse_current;
    if (resume)
        resume_start(c, resume);
    else
        conn_emit_snapshot(c, NULL, false);
}

void eventsource_keepalive(struct conn_registry *reg)
{
    static const char comment[] = ": keep-alive\n\n";
    for (struct conn *c = conn_registry_first(reg); c; c = c->next)
        if (c->kind == CONN_SSE && !c->closing)
            evbuffer_add_reference(conn_output(c), comment, sizeof comment - 1, NULL, NULL);
}
