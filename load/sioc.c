/* sioc: Socket.IO v5 / Engine.IO v4 packets for the load tool's client;
 * see sioc.h. */
#include "config.h"

#include "sioc.h"

#include "cp_error.h"

#include <stdio.h>
#include <string.h>

/* The longest ack id taken: socket.io-client counts up from 0. */
#define ACK_DIGITS_MAX 15

static void set_data(struct sioc_packet *p, const char *s, const char *end)
{
    p->data = s;
    p->data_len = (size_t)(end - s);
}

/* ["name" or ["name",args...]: the name and the arguments. */
static int parse_event(const char *s, const char *end, struct sioc_packet *p)
{
    if (end - s < 4 || s[0] != '[' || s[1] != '"' || end[-1] != ']')
        return CP_EPROTO;
    const char *q = s + 2;
    while (q < end - 1 && *q != '"')
        q += *q == '\\' ? 2 : 1;
    if (q >= end - 1)
        return CP_EPROTO; /* the name's closing quote is missing */
    p->event = s + 2;
    p->event_len = (size_t)(q - (s + 2));
    const char *a = q + 1;
    while (a < end - 1 && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n'))
        a++;
    if (a == end - 1) {
        set_data(p, a, a);
        return CP_OK;
    }
    if (*a != ',')
        return CP_EPROTO;
    set_data(p, a + 1, end - 1);
    return CP_OK;
}

/* A Socket.IO packet: type, optional "/nsp,", optional ack id, payload. */
static int parse_socketio(const char *s, const char *end, struct sioc_packet *p)
{
    if (s == end)
        return CP_EPROTO;
    char type = *s++;
    if (type == '5' || type == '6')
        return CP_EINVAL;
    if (type < '0' || type > '4')
        return CP_EPROTO;
    p->kind = (enum sioc_kind)(SIOC_CONNECT + (type - '0'));
    if (s < end && *s == '/') {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        p->nsp = s;
        p->nsp_len = (size_t)((comma ? comma : end) - s);
        s = comma ? comma + 1 : end;
    }
    const char *d = s;
    long id = 0;
    while (d < end && *d >= '0' && *d <= '9' && d - s < ACK_DIGITS_MAX)
        id = id * 10 + (*d++ - '0');
    if (d < end && *d >= '0' && *d <= '9')
        return CP_EPROTO;
    if (d > s) {
        if (p->kind != SIOC_EVENT && p->kind != SIOC_ACK)
            return CP_EPROTO;
        p->ack_id = id;
    }
    set_data(p, d, end);
    switch (p->kind) {
    case SIOC_CONNECT: return d == end || *d == '{' ? CP_OK : CP_EPROTO;
    case SIOC_DISCONNECT: return d == end ? CP_OK : CP_EPROTO;
    case SIOC_EVENT: return parse_event(d, end, p);
    case SIOC_ACK:
        return p->ack_id >= 0 && d < end && *d == '[' && end[-1] == ']' ? CP_OK : CP_EPROTO;
    default: return d < end && (*d == '{' || *d == '"') ? CP_OK : CP_EPROTO;
    }
}

int sioc_parse(const char *msg, size_t len, struct sioc_packet *p)
{
    static const enum sioc_kind eio[] = {SIOC_OPEN,  SIOC_CLOSE,   SIOC_PING, SIOC_PONG,
                                         SIOC_EVENT, SIOC_UPGRADE, SIOC_NOOP};
    memset(p, 0, sizeof *p);
    p->nsp = "/";
    p->nsp_len = 1;
    p->ack_id = -1;
    if (len == 0)
        return CP_EPROTO;
    const char *end = msg + len;
    if (msg[0] == 'b')
        return CP_EINVAL;
    if (msg[0] < '0' || msg[0] > '6')
        return CP_EPROTO;
    if (msg[0] == '4')
        return parse_socketio(msg + 1, end, p);
    p->kind = eio[msg[0] - '0'];
    set_data(p, msg + 1, end);
    return p->kind != SIOC_OPEN || (len > 1 && msg[1] == '{') ? CP_OK : CP_EPROTO;
}

int sioc_path(char *out, size_t cap, const char *path)
{
    int n =
        snprintf(out, cap, "%s%cEIO=4&transport=websocket", path, strchr(path, '?') ? '&' : '?');
    return n < 0 || (size_t)n >= cap ? CP_ETOOBIG : n;
}

int sioc_event(char *out, size_t cap, const char *event, const char *args)
{
    int n = snprintf(out, cap, "42[\"%s\"%s%s]", event, args ? "," : "", args ? args : "");
    return n < 0 || (size_t)n >= cap ? CP_ETOOBIG : n;
}
