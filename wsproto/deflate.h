/* deflate: permessage-deflate (RFC 7692) — offer negotiation, the shared
 * compressor of broadcast messages and the per-client inflater.  No I/O;
 * runs on the caller's loop (a context is not thread-safe: one per loop).
 * Each _new() is paired with its _free(); buffers passed in stay the caller's.
 *
 * Design: the server always answers server_no_context_takeover (§7.1.1.1
 * lets it add the parameter unasked).  A broadcast message is compressed
 * once per tick and the same bytes go to every subscriber, which is only
 * valid if each message is compressed on its own, with an empty window.
 *
 * It also always answers client_no_context_takeover, which §7.1.1.2 lets a
 * server include in any response.  Memory is the reason: an inflater that
 * keeps its window between messages holds 2^client_max_window_bits bytes of
 * window plus zlib's ~7 KB inflate state per client (39 KB at 15 bits, 390 MB
 * for 10,000 idle clients); without takeover nothing is held between
 * messages.  client_max_window_bits is answered only when offered (§7.1.2.2
 * forbids it otherwise), with DEFLATE_CLIENT_WINDOW_BITS or the client's
 * smaller value, which bounds the window allocated while inflating. */
#ifndef CP_DEFLATE_H
#define CP_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared compressor's LZ77 window (RFC 7692 §7.1.2.1).  One stream serves
 * every client, and data compressed with a window of 2^9 bytes is valid for
 * any decoder window from 2^9 up, so every server_max_window_bits from 9 to 15
 * can be accepted.  Messages are compressed one by one and are a few KB, so a
 * 512-byte window loses little.  8 is declined: zlib (1.2.9 and later) has no
 * 8-bit raw deflate window. */
#define DEFLATE_SERVER_WINDOW_BITS 9

/* The client window the server asks for when the offer has
 * client_max_window_bits.  Not 8: zlib (1.2.9 and later) refuses an 8-bit raw
 * deflate window, so zlib-based clients could not honour it. */
#define DEFLATE_CLIENT_WINDOW_BITS 9

/* Longest response value deflate_negotiate() writes, NUL included. */
#define DEFLATE_RESPONSE_MAX 160

/* The agreed parameters (RFC 7692 §7.1).  A window is 8..15 bits, 15 when
 * the response left the parameter out. */
struct deflate_params {
    bool server_no_context_takeover;
    bool client_no_context_takeover;
    uint8_t server_max_window_bits;
    uint8_t client_max_window_bits;
};

/* Choose the first acceptable permessage-deflate offer in offers, the value
 * of Sec-WebSocket-Extensions (several header lines joined with ","; NULL
 * means none), RFC 7692 §5 and §7.  An offer with an unknown or duplicate
 * parameter, a bad value, or a value where none is allowed is declined and
 * the next one tried (§7: declined, never a failed handshake), as is one whose
 * server_max_window_bits is below DEFLATE_SERVER_WINDOW_BITS (only 8).  Returns CP_OK
 * with *agreed and response (the Sec-WebSocket-Extensions value to send)
 * filled, or CP_ENOENT when no offer is acceptable: answer without the
 * extension. */
int deflate_negotiate(const char *offers, struct deflate_params *agreed,
                      char response[DEFLATE_RESPONSE_MAX]);

/* ---- compression of broadcast messages (RFC 7692 §7.2.1) ----------- */

struct deflate_ctx;

/* The compressor shared by every broadcast message on this loop: raw DEFLATE
 * with a DEFLATE_SERVER_WINDOW_BITS window, reset before each message (no
 * context takeover).  Holds ~10 KB; aborts on out-of-memory. */
struct deflate_ctx *deflate_ctx_new(void);
void deflate_ctx_free(struct deflate_ctx *c); /* NULL is a no-op */

/* Bytes of out that deflate_compress() may need for len bytes of input. */
size_t deflate_compress_bound(size_t len);

/* Compress the message in (len bytes) into out (cap bytes, the caller's):
 * DEFLATE with an empty window, flushed with an empty stored block whose
 * 0x00 0x00 0xff 0xff tail is removed (RFC 7692 §7.2.1).  The result is the
 * payload of a frame with RSV1 set (ws_frame_header_ext()).  Returns CP_OK
 * with *out_len set, or CP_ETOOBIG when cap is below deflate_compress_bound(len)
 * and the output did not fit. */
int deflate_compress(struct deflate_ctx *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len);

/* ---- decompression of client messages (RFC 7692 §7.2.2) ------------ */

struct deflate_inflater;

/* A client's inflater for the agreed params (copied).  With
 * client_no_context_takeover it holds no zlib state between messages;
 * otherwise it keeps a 2^client_max_window_bits-byte window + ~7 KB.
 * Never fails: zlib's memory is taken at the first deflate_inflate(). */
struct deflate_inflater *deflate_inflater_new(const struct deflate_params *params);
void deflate_inflater_free(struct deflate_inflater *f); /* NULL is a no-op */

/* Inflate one reassembled message (in: len bytes, the payload of a message
 * whose first frame had RSV1) into out, the caller's buffer of max bytes
 * (MAX_MESSAGE_BYTES; one buffer per loop will do).  The 0x00 0x00 0xff 0xff
 * tail is appended internally (RFC 7692 §7.2.2).  Returns CP_OK with *out_len
 * set; CP_ETOOBIG as soon as the output would pass max bytes, having written
 * no more than max (decompression bomb: close 1009); CP_EPROTO for data that
 * is not valid DEFLATE or does not fit the agreed window (close 1002: the
 * extension's framing is broken, RFC 6455 §7.4.1 — not 1007, which is for
 * application data such as a text message's UTF-8, to be checked on *out);
 * CP_ENOMEM.  After an error the inflater starts afresh. */
int deflate_inflate(struct deflate_inflater *f, const uint8_t *in, size_t len, uint8_t *out,
                    size_t max, size_t *out_len);

/* Most bytes zlib has held at once for f (state and window), for stats and
 * tests. */
size_t deflate_inflater_peak(const struct deflate_inflater *f);

#endif
