#include "config.h"

#include "routes.h"

#include "answer.h"
#include "candles.h"
#include "cp_error.h"
#include "eventsource.h"
#include "health.h"
#include "history.h"
#include "http.h"
#include "price.h"
#include "socketio.h"
#include "urlcode.h"
#include "websocket.h"

#include <stdio.h>
#include <string.h>

static json_t *route_health(struct ctx *ctx, int *status)
{
    /* The rule and the JSON are lib/health's, the same as cryptopulse-fcgi's;
     * here the last tick is the newest one received, Redis is up while the
     * tick subscription is, and the readings are rdb's (never waited for). */
    int64_t last = hub_last_ts(ctx->hub);
    struct health_probe p = {.connected = rdb_subscribed(ctx->rdb),
                             .latency_ms = rdb_latency_ms(ctx->rdb),
                             .tick_found = last != 0,
                             .last_tick_ms = last,
                             .ticks = (int64_t)hub_get_stats(ctx->hub)->ticks,
                             .sources = ctx->sources};
    snprintf(p.version, sizeof p.version, "%s", rdb_version(ctx->rdb));
    if (!p.connected)
        snprintf(p.error, sizeof p.error, "not subscribed to the tick channel");
    return health_to_json(&p, price_now_ms(), ctx->conf->update_interval_ms, status);
}

/* GET /health/live (docs/PROTOCOL.md §5): whether this process can serve
 * clients, whatever Redis and the feeder do.  The probe's own connection
 * counts, so "full" means that nobody else could connect now, nor open a
 * Socket.IO session. */
static json_t *route_live(struct ctx *ctx, int *status)
{
    size_t n = conn_registry_count(ctx->conns);
    /* Socket.IO sessions have their own MAX_CONNECTIONS: full when either is. */
    size_t sessions = ctx->socketio ? socketio_sessions(ctx->socketio) : 0;
    bool full =
        n >= (size_t)ctx->conf->max_connections || sessions >= (size_t)ctx->conf->max_connections;
    *status = full ? 503 : 200;
    return json_pack("{s:s, s:I, s:I, s:i}", "status", full ? "full" : "live", "connections",
                     (json_int_t)n, "socketio_sessions", (json_int_t)sessions, "max_connections",
                     ctx->conf->max_connections);
}

static void route_static(struct conn *c, const char *path)
{
    bool keep = http_request_keep_alive(c->req);
    char cors[512];
    /* CORS too: a page on another origin loads the client library and the
     * widget as module scripts, which are fetched in CORS mode. */
    struct www_request r = {path,
                            http_request_header(c->req, HTTP_H_IF_NONE_MATCH),
                            http_request_header(c->req, HTTP_H_IF_MODIFIED_SINCE),
                            http_request_header(c->req, HTTP_H_ACCEPT_ENCODING),
                            http_request_is_head(c->req),
                            keep,
                            http_request_minor(c->req) == 0,
                            conn_cors_headers(c, cors, sizeof cors)};
    if (www_respond(c->ctx->www, &r, conn_output(c)) < 0) {
        conn_respond_error(c, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (!keep)
        conn_close_after_flush(c);
}

/* GET /history?symbol=BTC&interval=1h&from=&to=&limit= (candles), or
 * ?symbol=BTC&limit=60 (points) (docs/PROTOCOL.md §1). */
static void route_history(struct conn *c)
{
    char err[128];
    struct history_query hq;
    if (history_query_parse(http_request_query(c->req), &hq, err, sizeof err) != CP_OK)
        conn_respond_error(c, 400, "bad_request", err, NULL);
    else if (!hub_symbol_known(c->ctx->hub, hq.q.symbol))
        conn_respond_error(c, 400, "unknown_symbol", "not carried by this feed", NULL);
    else {
        hq.q.retention_ms = 86400000LL * c->ctx->conf->candle_retention_days[hq.q.interval];
        answer_history(c, &hq);
    }
}

/* OPTIONS: a CORS preflight (Fetch standard, "CORS protocol"). */
static void preflight(struct conn *c)
{
    if (!conf_origin_allowed(c->ctx->conf, http_request_header(c->req, HTTP_H_ORIGIN))) {
        conn_respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
        return;
    }
    conn_respond(c, 204, "text/plain", "", 0,
                 "Allow: GET, HEAD, OPTIONS\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
                 "Access-Control-Allow-Headers: Last-Event-ID, Cache-Control, If-None-Match\r\n"
                 "Access-Control-Max-Age: 600\r\n");
}

void routes_handle(struct conn *c)
{
    char path[HTTP_URL_MAX];
    c->ctx->counters.http_requests++;
    if (c->log)
        c->log->requests++;
    if (urlcode_path_decode(http_request_path(c->req), path, sizeof path) != CP_OK) {
        conn_respond_error(c, 400, "bad_request", "malformed path", NULL);
        return;
    }
    bool get = http_request_is_get(c->req) || http_request_is_head(c->req);
    int status;
    if (http_request_major(c->req) != 1)
        conn_respond_error(c, 505, "http_version_not_supported", "use HTTP/1.0 or HTTP/1.1", NULL);
    else if (http_request_is_options(c->req))
        preflight(c);
    else if (c->ctx->socketio && socketio_path(c->ctx->conf, path))
        socketio_handle(c->ctx->socketio, c);
    else if (strcmp(path, "/ws") == 0)
        websocket_upgrade(c);
    else if (strcmp(path, "/events") == 0)
        eventsource_start(c);
    else if (!get)
        conn_respond_error(c, 405, "method_not_allowed", "use GET", "Allow: GET, HEAD\r\n");
    else if (strcmp(path, "/health") == 0) {
        json_t *j = route_health(c->ctx, &status);
        conn_respond_json(c, status, j);
    } else if (strcmp(path, "/health/live") == 0) {
        json_t *j = route_live(c->ctx, &status);
        conn_respond_json(c, status, j);
    } else if (strcmp(path, "/stats") == 0)
        answer_stats(c, false);
    else if (strcmp(path, "/metrics") == 0)
        answer_stats(c, true);
    else if (strcmp(path, "/history") == 0)
        route_history(c);
    else
        route_static(c, path);
}

bool routes_is_socketio(const struct conn *c)
{
    char path[HTTP_URL_MAX];
    return c->ctx->socketio &&
           urlcode_path_decode(http_request_path(c->req), path, sizeof path) == CP_OK &&
           socketio_path(c->ctx->conf, path);
}

void routes_body_too_large(struct conn *c)
{
    if (routes_is_socketio(c))
        socketio_body_too_large(c->ctx->socketio, c);
    else
        conn_respond_error(c, 413, "payload_too_large", "request body too large", NULL);
}
