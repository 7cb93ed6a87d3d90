/* connlog: one line per connection for operators; see connlog.h. */
#include "config.h"

#include "connlog.h"

#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <linux/tcp.h> /* struct tcp_info with the byte counters (Linux 4.2) */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

struct connlog *connlog_open(bool on, int fd, int64_t now_ms)
{
    if (!on)
        return NULL;
    struct connlog *l = xcalloc(1, sizeof *l);
    l->opened_ms = now_ms;
    peer_name(fd, l->peer_name, sizeof l->peer_name);
    const struct log_field f[] = {LOG_STR("peer", l->peer_name)};
    log_fields(LOG_DEBUG, "connection opened", f, 1);
    return l;
}

void connlog_close(struct connlog *l, int fd, const char *transport, int64_t now_ms)
{
    if (!l)
        return;
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    bool known =
        fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
        tl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received;
    struct log_field f[9] = {
        LOG_STR("peer", l->peer_name),
        LOG_STR("transport", transport),
        LOG_INT("duration_ms", now_ms - l->opened_ms),
        LOG_INT("bytes_in",
                known ? minus(ti.tcpi_bytes_received, fin_received(ti.tcpi_state)) : -1),
        LOG_INT("bytes_out", known ? minus(ti.tcpi_bytes_acked, fin_acked(ti.tcpi_state)) : -1),
        LOG_INT("requests", l->requests),
    };
    size_t n = 6;
    if (l->ws_close_code) {
        f[n++] = LOG_INT("ws_close_code", l->ws_close_code);
        f[n++] = LOG_STR("ws_close_by", l->ws_close_by_client ? "client" : "server");
        f[n++] = LOG_STR("ws_close_reason", l->ws_close_reason);
    }
    log_fields(LOG_INFO, "connection closed", f, n);
    free(l);
}

void connlog_ws_close(struct connlog *l, uint16_t code, const char *reason, size_t len,
                      bool by_client)
{
    if (!l || l->ws_close_code)
        return;
    l->ws_close_code = code;
    l->ws_close_by_client = by_client;
    snprintf(l->ws_close_reason, sizeof l->ws_close_reason, "%.*s", (int)len, reason);
}
