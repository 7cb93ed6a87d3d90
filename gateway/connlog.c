/* connlog: one line per connection for operators; see connlog.h. */
#include "config.h"

#include "connlog.h"

#include "conn.h"
#include "log.h"

#include <arpa/inet.h>
#include <linux/tcp.h> /* struct tcp_info with the byte counters (Linux 4.2) */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The kernel's TCP states (include/net/tcp_states.h) that tell whether a
 * FIN went each way: a FIN takes one sequence number, which the byte
 * counters include, so it is taken off again. */
enum {
    ST_FIN_WAIT2 = 5,
    ST_TIME_WAIT = 6,
    ST_CLOSE = 7,
    ST_CLOSE_WAIT = 8,
    ST_LAST_ACK = 9,
    ST_CLOSING = 11
};

static long long fin_received(unsigned state)
{
    return state == ST_CLOSE_WAIT || state == ST_LAST_ACK || state == ST_CLOSING ||
           state == ST_TIME_WAIT || state == ST_CLOSE;
}

static long long fin_acked(unsigned state)
{
    return state == ST_FIN_WAIT2 || state == ST_TIME_WAIT || state == ST_CLOSE;
}

static long long minus(unsigned long long bytes, long long fin)
{
    return (long long)bytes >= fin ? (long long)bytes - fin : 0;
}

static const char *transport_name(enum conn_kind kind)
{
    return kind == CONN_WS ? "websocket" : kind == CONN_SSE ? "sse" : "http";
}

/* "192.0.2.1:51000" or "[2001:db8::1]:51000" of fd's peer, "?" if unknown. */
static void peer_name(int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    snprintf(buf, len, "?");
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
    }
}

void connlog_open(struct conn *c)
{
    if (!c->ctx->conf->log_connections)
        return;
    peer_name(bufferevent_getfd(c->bev), c->peer_name, sizeof c->peer_name);
    const struct log_field f[] = {LOG_STR("peer", c->peer_name)};
    log_fields(LOG_DEBUG, "connection opened", f, 1);
}

void connlog_close(const struct conn *c)
{
    if (!c->ctx->conf->log_connections)
        return;
    int fd = bufferevent_getfd(c->bev);
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    bool known =
        fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
        tl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received;
    struct log_field f[9] = {
        LOG_STR("peer", c->peer_name),
        LOG_STR("transport", transport_name(c->kind)),
        LOG_INT("duration_ms", ctx_now_ms(c->ctx) - c->opened_ms),
        LOG_INT("bytes_in",
                known ? minus(ti.tcpi_bytes_received, fin_received(ti.tcpi_state)) : -1),
        LOG_INT("bytes_out", known ? minus(ti.tcpi_bytes_acked, fin_acked(ti.tcpi_state)) : -1),
        LOG_INT("requests", c->requests),
    };
    size_t n = 6;
    if (c->ws_close_code) {
        f[n++] = LOG_INT("ws_close_code", c->ws_close_code);
        f[n++] = LOG_STR("ws_close_by", c->ws_close_by_client ? "client" : "server");
        f[n++] = LOG_STR("ws_close_reason", c->ws_close_reason);
    }
    log_fields(LOG_INFO, "connection closed", f, n);
}

void connlog_ws_close(struct conn *c, uint16_t code, const char *reason, size_t len, bool by_client)
{
    if (c->ws_close_code)
        return;
    c->ws_close_code = code;
    c->ws_close_by_client = by_client;
    snprintf(c->ws_close_reason, sizeof c->ws_close_reason, "%.*s", (int)len, reason);
}
