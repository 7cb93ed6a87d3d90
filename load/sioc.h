/* sioc: the client side of Socket.IO v5 inside Engine.IO v4 on the
 * WebSocket transport, as far as the load tool speaks it: the handshake
 * path, what one text frame (one Engine.IO packet) holds — for a Socket.IO
 * event its name and arguments, found without a JSON parse — and the
 * packets a client sends.  Pure functions, any thread; nothing is
 * allocated: a parsed packet points into the caller's frame. */
#ifndef CP_LOAD_SIOC_H
#define CP_LOAD_SIOC_H

#include <stddef.h>

/* One Engine.IO packet (Engine.IO v4 "packet types"), or, for a message
 * packet ("4"), the Socket.IO packet in it (Socket.IO v5 "packet types"). */
enum sioc_kind {
    SIOC_OPEN,          /* 0{"sid":..,"pingInterval":..}: data is the JSON */
    SIOC_CLOSE,         /* 1 */
    SIOC_PING,          /* 2[payload]: answer 3[payload] */
    SIOC_PONG,          /* 3[payload] */
    SIOC_UPGRADE,       /* 5 */
    SIOC_NOOP,          /* 6 */
    SIOC_CONNECT,       /* 40[/nsp,]{"sid":..}: data is the JSON */
    SIOC_DISCONNECT,    /* 41[/nsp,] */
    SIOC_EVENT,         /* 42[/nsp,][id]["name",args...] */
    SIOC_ACK,           /* 43[/nsp,]id[args...]: data is the array */
    SIOC_CONNECT_ERROR, /* 44[/nsp,]{"message":..}: data is the JSON */
};

struct sioc_packet {
    enum sioc_kind kind;
    const char *nsp; /* "/" unless the packet names another namespace */
    size_t nsp_len;
    long ack_id;       /* SIOC_EVENT, SIOC_ACK: the id; -1 without */
    const char *event; /* SIOC_EVENT: the name as sent (JSON escapes kept) */
    size_t event_len;
    const char *data; /* what follows the type (see the kinds); for an event
                         the arguments after the name, as sent, without the
                         closing ']'; data_len 0 when there is none */
    size_t data_len;
};

/* Classify msg (len bytes, one WebSocket text frame) into p.  Returns CP_OK;
 * CP_EINVAL for a binary packet (an Engine.IO "b..." packet, Socket.IO
 * binary event or ack 5/6), which this client does not take; CP_EPROTO for
 * anything else malformed: empty, an unknown type, a Socket.IO packet
 * without its type, an event that is not an array starting with a string,
 * an ack id out of range, an unterminated name or namespace. */
int sioc_parse(const char *msg, size_t len, struct sioc_packet *p);

/* The WebSocket transport's handshake path for path (a Socket.IO path such
 * as "/socket.io/", perhaps with a query): path + "?EIO=4&transport=websocket"
 * (or "&..." after a query) into out (cap bytes).  Returns the length, or
 * CP_ETOOBIG. */
int sioc_path(char *out, size_t cap, const char *path);

/* An event packet 42["event",args] for the default namespace into out (cap
 * bytes); args is JSON text (one or more comma-separated values) or NULL
 * for none.  event is written as given: it must need no JSON escapes.
 * Returns the length, or CP_ETOOBIG. */
int sioc_event(char *out, size_t cap, const char *event, const char *args);

#endif
