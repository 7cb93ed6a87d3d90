/* sio_client: a test client of the gateway's Socket.IO endpoint
 * (gateway/socketio.h, docs/PROTOCOL.md §7) on real loopback sockets of a
 * gw_fixture — Engine.IO v4 long-polling requests and WebSocket frames,
 * written and read as bytes.  Test code only: every helper asserts (Check)
 * on what it cannot do; returned strings are malloc'd, the caller frees. */
#ifndef CP_TEST_SIO_CLIENT_H
#define CP_TEST_SIO_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "gw_fixture.h"

#define SIO_Q "/socket.io/?EIO=4&transport=" /* the endpoint's query, up to the transport */

/* A request for target (path and query): method "GET" or "POST", with body
 * (Content-Length) when not NULL, "Connection: close" when close. */
char *sio_request(const char *method, const char *target, const char *body, int close);

/* Send request on a new client, read the answer for up to ms (until 50 ms
 * of quiet), close the client: the whole response. */
char *sio_ask(struct gw_fixture *fx, const char *request, int ms);

/* The Engine.IO error body {"code":N,...} of response, asserting its status:
 * returns N. */
int sio_error_code(const char *response, int status);

/* A polling handshake: the open packet (the 200's body, "0{...}"), its sid
 * written to sid (64 bytes). */
char *sio_handshake(struct gw_fixture *fx, char *sid);

/* POST payload (packets joined by \x1e) to session sid; asserts "ok". */
void sio_post(struct gw_fixture *fx, const char *sid, const char *payload);

/* Start a GET poll of sid on a new client: returns the client's socket
 * (the request sent, the answer not read). */
int sio_poll_start(struct gw_fixture *fx, const char *sid);

/* Read the poll on fd for up to ms: its body, or NULL when nothing came;
 * *status gets the HTTP status (0 when nothing came). */
char *sio_poll_read(struct gw_fixture *fx, int fd, int ms, int *status);

/* A whole poll (start, read for ms, close): the 200's body; asserts 200. */
char *sio_poll(struct gw_fixture *fx, const char *sid, int ms);

/* Handshake, POST "40" and poll: sid written to sid (64 bytes); asserts the
 * poll's answer is 40{"sid":...} and the welcome event, joined by \x1e. */
void sio_connect(struct gw_fixture *fx, char *sid);

/* A WebSocket to SIO_Q "websocket" + rest (e.g. "&sid=..."), on a new
 * client: its socket once the 101 was read; the frames that came with it
 * are appended to frames (see sio_ws_read) when not NULL. */
int sio_ws_open(struct gw_fixture *fx, const char *rest, json_t *frames);

/* Send text as one masked text frame. */
void sio_ws_send(int fd, const char *text);

/* Run the loop and read fd's frames for up to ms (until 50 ms of quiet):
 * an array of strings, a text frame's payload each, a close frame as
 * "close:<code>".  The array is a new reference. */
json_t *sio_ws_read(struct gw_fixture *fx, int fd, int ms);

/* Append the frames in n bytes at p (whole frames) to frames. */
void sio_ws_frames(const unsigned char *p, size_t n, json_t *frames);

/* The i-th string of frames (asserting there is one). */
const char *sio_at(const json_t *frames, size_t i);

#endif
