/* ws: the RFC 6455 protocol core — handshake key, frame parser and frame
 * encoder.  No I/O: bytes in, events or bytes out, so every rule is testable
 * one byte at a time.  Runs on the caller's loop; a parser owns its buffers
 * and ws_parser_free() releases them. */
#ifndef CP_WS_H
#define CP_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close status codes, RFC 6455 §7.4.1. */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED = 1003, /* a data type the endpoint cannot accept */
    WS_CLOSE_NO_STATUS = 1005,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
};

#define WS_ACCEPT_LEN 28   /* base64 of a SHA-1 digest */
#define WS_CONTROL_MAX 125 /* RFC 6455 §5.5: control payloads */
#define WS_HEADER_MAX 10   /* largest server (unmasked) frame header */

/* True when key is a valid Sec-WebSocket-Key: base64 of exactly 16 bytes
 * (RFC 6455 §4.1 item 7, §4.2.1 item 5). */
bool ws_key_valid(const char *key);

/* Sec-WebSocket-Accept for key (RFC 6455 §4.2.2 item 5.4): base64(SHA-1(key +
 * GUID)).  Writes WS_ACCEPT_LEN characters and a NUL into out. */
void ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* Write the header of an unmasked server frame (RFC 6455 §5.2) with FIN set to
 * fin, opcode and a payload of len bytes into out.  Returns its length (2, 4
 * or 10 bytes). */
size_t ws_frame_header(uint8_t out[WS_HEADER_MAX], enum ws_opcode opcode, bool fin, uint64_t len);

/* Like ws_frame_header(), with RSV1 set when rsv1 is true: the "Per-Message
 * Compressed" bit of the first frame of a permessage-deflate message (RFC
 * 7692 §6; never on continuation or control frames). */
size_t ws_frame_header_ext(uint8_t out[WS_HEADER_MAX], enum ws_opcode opcode, bool fin, bool rsv1,
                           uint64_t len);

/* A complete message or control frame delivered by ws_parser_feed().  payload
 * is owned by the parser and valid until the next feed or free. */
struct ws_message {
    enum ws_opcode opcode; /* TEXT, BINARY, CLOSE, PING or PONG */
    const uint8_t *payload;
    size_t len;          /* bytes */
    uint16_t close_code; /* CLOSE: the peer's code, or 1005 when it sent none */
    bool compressed;     /* TEXT/BINARY whose first frame had RSV1 (RFC 7692 §6):
                          * payload is DEFLATE data for deflate_inflate(), and a
                          * text's UTF-8 is not checked until it is inflated */
};

struct ws_parser;

/* New parser for client-to-server frames.  max_message: the largest message
 * in bytes after reassembly of fragments (MAX_MESSAGE_BYTES). */
struct ws_parser *ws_parser_new(size_t max_message);
void ws_parser_free(struct ws_parser *p); /* NULL is a no-op */

/* Once permessage-deflate is agreed, accept RSV1 on the first frame of a data
 * message and report it in ws_message.compressed (RFC 7692 §6).  RSV1 on a
 * continuation or control frame, and RSV2/RSV3, stay CP_EPROTO.  Off by
 * default. */
void ws_parser_set_rsv1(struct ws_parser *p, bool allow);

/* Consume up to len bytes of data; *consumed says how many were used.
 * Returns CP_OK with *msg filled when a message or control frame completed
 * (call again with the rest), CP_EAGAIN when all input was used without
 * completing one, or an error after which the connection must be closed:
 * CP_EPROTO (1002: unmasked frame, reserved bit not agreed, reserved opcode,
 * fragmented or oversized control frame, bad continuation, bad close payload),
 * CP_ETOOBIG (1009: message over max_message), CP_EUTF8 (1007: invalid
 * UTF-8 in an uncompressed text message or close reason, checked
 * incrementally). */
int ws_parser_feed(struct ws_parser *p, const uint8_t *data, size_t len, size_t *consumed,
                   struct ws_message *msg);

/* Free the buffer that reassembles data messages when no message is open,
 * so that an idle connection holds only the parser (clients of a price feed
 * send a subscribe now and then, then nothing but pongs, which use the
 * parser's own control-frame space).  The payload of the last message
 * ws_parser_feed() returned becomes invalid.  While a fragmented message is
 * open it keeps its bytes: a no-op. */
void ws_parser_release(struct ws_parser *p);

/* True between frames, with no fragmented message open: p holds nothing a
 * new parser (with the same settings) would not, so a connection may free
 * it while idle and make a new one when bytes come. */
bool ws_parser_idle(const struct ws_parser *p);

/* The close code to send for an error returned by ws_parser_feed(). */
enum ws_close_code ws_close_code_for(int error);

/* True when code may appear in a close frame on the wire (RFC 6455 §7.4). */
bool ws_close_code_valid(unsigned code);

/* Incremental UTF-8 validator (RFC 3629): rejects overlongs, surrogates and
 * code points above U+10FFFF.  Zero-initialise, then feed bytes. */
struct ws_utf8 {
    uint8_t need;   /* continuation bytes still expected */
    uint8_t lo, hi; /* allowed range of the next continuation byte */
};

/* Returns false at the first invalid byte.  A text is valid when every call
 * returned true and finally ws_utf8_complete() is true. */
bool ws_utf8_feed(struct ws_utf8 *u, const uint8_t *s, size_t len);
bool ws_utf8_complete(const struct ws_utf8 *u);

/* Make the NUL-terminated string s valid UTF-8 in place: every byte that
 * does not begin a complete, valid sequence (RFC 3629, as ws_utf8_feed()
 * checks it) becomes '?', so its length does not change.  For text from
 * clients, or cut from it, that goes into JSON (jansson refuses invalid
 * UTF-8).  Returns the number of bytes replaced. */
size_t ws_utf8_scrub(char *s);

#endif
