/* eio: the packet codecs of Socket.IO's two layers — Engine.IO protocol v4
 * (packets and the long-polling payload) and Socket.IO protocol v5 (packets
 * inside Engine.IO "message" packets), as socket.io-client 4.x speaks them
 * (docs/PROTOCOL.md §7).  Pure functions: no I/O, no state. */
#ifndef CP_EIO_H
#define CP_EIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Engine.IO packet types (Engine.IO v4 "Protocol": packet encoding). */
enum eio_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6
};

/* The record separator between packets of a long-polling payload. */
#define EIO_SEPARATOR '\x1e'

/* Engine.IO error codes of the HTTP 400/403 answers ({"code":N,"message":...}). */
enum eio_error {
    EIO_ERR_TRANSPORT_UNKNOWN = 0,
    EIO_ERR_SESSION_UNKNOWN = 1,
    EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
    EIO_ERR_BAD_REQUEST = 3,
    EIO_ERR_FORBIDDEN = 4,
    EIO_ERR_UNSUPPORTED_VERSION = 5
};

/* The message engine.io gives each error code ("Session ID unknown"). */
const char *eio_error_message(enum eio_error code);

/* One packet of a text payload: s of len bytes is "TYPE DATA" (type a digit).
 * Sets *type and *data and *data_len (inside s).  Returns 0, or -1 when s is
 * empty, its type is not 0..6, or it is a base64 binary packet ("b...",
 * which this server refuses). */
int eio_packet_parse(const char *s, size_t len, enum eio_type *type, const char **data,
                     size_t *data_len);

/* Step through a long-polling payload (packets joined by EIO_SEPARATOR):
 * *pos starts at 0; each call sets *pkt and *pkt_len to the next packet (inside
 * payload, possibly empty) and returns true, false once the payload is
 * used up. */
bool eio_payload_next(const char *payload, size_t len, size_t *pos, const char **pkt,
                      size_t *pkt_len);

/* Socket.IO packet types (Socket.IO v5 "Protocol": packet format). */
enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6
};

#define SIO_NSP_MAX 128 /* longest namespace accepted, bytes */

/* A decoded Socket.IO packet: <type>[<attachments>-][<nsp>,][<ack id>][<JSON>]. */
struct sio_packet {
    enum sio_type type;
    char nsp[SIO_NSP_MAX]; /* "/" when none is given */
    long long ack_id;      /* -1 when the sender wants no acknowledgement */
    json_t *data;          /* owned; NULL when there is none */
};

/* Decode s of len bytes (the data of an Engine.IO message packet) into p.
 * Returns 0, or -1 with the reason in err (errlen bytes) for a malformed
 * packet: unknown type, bad attachment count, namespace too long, ack id
 * of more than 12 digits, data that is not JSON, an EVENT whose data is not an array
 * starting with a string.  Binary types (5, 6) decode (so the caller can
 * refuse them by name).  sio_packet_clear() frees p's data (also after -1). */
int sio_packet_parse(const char *s, size_t len, struct sio_packet *p, char *err, size_t errlen);
void sio_packet_clear(struct sio_packet *p);

/* The Engine.IO message carrying a Socket.IO EVENT of the default namespace:
 * "42[\"event\",data]" (event: a NUL-terminated name, JSON-escaped here;
 * data: len bytes of JSON text, or NULL or len 0 for an event without
 * arguments).  Returns a malloc'd string (caller frees) of *out_len bytes. */
char *sio_event_encode(const char *event, const char *data, size_t len, size_t *out_len);

/* The Engine.IO message acknowledging ack_id with one argument (JSON text):
 * "43<ack_id>[data]".  Caller frees. */
char *sio_ack_encode(long long ack_id, const char *data);

#endif
