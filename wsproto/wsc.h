/* wsc: the client side of RFC 6455 for the load tool and the feeder — the
 * opening request, the check of the server's 101 answer, the decoder of server
 * frames (unmasked) and the encoder of client frames (masked).  No I/O and no
 * allocation: bytes in, results out; the caller owns every buffer.  Any
 * thread.  Frame headers and the accept key come from ws.c. */
#ifndef CP_WSC_H
#define CP_WSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws.h"

#define WSC_KEY_LEN 24 /* base64 of 16 bytes */
#define WSC_MASK_HEADER_MAX (WS_HEADER_MAX + 4)

/* Sec-WebSocket-Key from 16 random bytes (RFC 6455 §4.1 item 7): writes
 * WSC_KEY_LEN characters and a NUL. */
void wsc_key(const uint8_t nonce[16], char out[WSC_KEY_LEN + 1]);

/* Write the opening handshake (RFC 6455 §4.1) for GET path on host:port into
 * out (cap bytes), offering permessage-deflate (RFC 7692 §5, with
 * client_max_window_bits) when deflate.  Returns the length, or CP_ETOOBIG. */
int wsc_request(char *out, size_t cap, const char *host, int port, const char *path,
                const char key[WSC_KEY_LEN + 1], bool deflate);

/* A parsed ws:// or wss:// URL (RFC 6455 §3). */
#define WSC_HOST_MAX 256      /* bytes of a host name or address, with the NUL */
#define WSC_RESOURCE_MAX 4096 /* bytes of path and query, with the NUL */
struct wsc_url {
    bool tls;                        /* wss:// */
    char host[WSC_HOST_MAX];         /* name or address; an IPv6 one without brackets */
    int port;                        /* as written, else 80 (ws) or 443 (wss) */
    char resource[WSC_RESOURCE_MAX]; /* path and query; "/" when the URL has none */
};

/* Parse url ("ws[s]://host[:port][/path][?query]"; host a name, an IPv4
 * address or an IPv6 one in brackets; scheme case-insensitive) into *u.
 * Returns CP_OK, or CP_EINVAL for another scheme, a fragment (§3 forbids
 * it), user information, an empty host or port, a port outside 1..65535,
 * a space or control byte, or a host or resource too long for *u. */
int wsc_url_parse(const char *url, struct wsc_url *u);

/* Write the opening handshake (RFC 6455 §4.1) for u into out (cap bytes):
 * GET u->resource, Host with ":port" unless it is the scheme's default
 * (item 4; an IPv6 address in brackets), no extension offered.  Returns
 * the length, or CP_ETOOBIG. */
int wsc_request_url(char *out, size_t cap, const struct wsc_url *u,
                    const char key[WSC_KEY_LEN + 1]);

/* What the server answered. */
struct wsc_handshake {
    int status;   /* HTTP status, 101 on success */
    bool deflate; /* the response accepted permessage-deflate */
};

/* Parse the server's response head in buf (len bytes; it may hold frames
 * after the head).  Returns the head's length once "\r\n\r\n" arrived and the
 * answer is a valid 101 for key (RFC 6455 §4.1, client steps 1-5: Upgrade,
 * Connection, Sec-WebSocket-Accept); CP_EAGAIN before the end of the head;
 * CP_EPROTO for any other answer, with hs->status set when there was one. */
int wsc_response(const char *buf, size_t len, const char key[WSC_KEY_LEN + 1],
                 struct wsc_handshake *hs);

/* One server frame (RFC 6455 §5.2).  payload points into the caller's buffer. */
struct wsc_frame {
    bool fin;
    bool rsv1; /* permessage-deflate "compressed" bit (RFC 7692 §6) */
    enum ws_opcode opcode;
    const uint8_t *payload;
    uint64_t len;   /* payload bytes */
    uint64_t total; /* header + payload bytes: set once the header is known */
};

/* Decode the frame at the start of buf (len bytes).  Returns CP_OK with *f
 * filled when the whole frame is in buf (f->total bytes to drop); CP_EAGAIN
 * when it is not (f->total is set, or 0 while the header itself is short);
 * CP_EPROTO for a masked frame (§5.1: a server must not mask), RSV2/RSV3,
 * a reserved opcode, a control frame that is fragmented or over 125 bytes
 * (§5.5), or a 64-bit length with the top bit set (§5.2). */
int wsc_frame_parse(const uint8_t *buf, size_t len, struct wsc_frame *f);

/* Encode one complete client frame (FIN set) with opcode and payload (len
 * bytes) masked with mask (§5.3) into out, of cap bytes (at least len +
 * WSC_MASK_HEADER_MAX).  Returns its length, or CP_ETOOBIG. */
int wsc_frame_encode(uint8_t *out, size_t cap, enum ws_opcode opcode, const uint8_t *payload,
                     size_t len, const uint8_t mask[4]);

#endif
