/* resume: a client that names the last tick it has (SSE Last-Event-ID or
 * ?lastEventId=, WebSocket subscribe "since") gets every tick after it from
 * the history stream, in order and without duplicates, and then goes live
 * (docs/PROTOCOL.md §3).  Runs on the gateway's loop; the resume belongs to its
 * connection (conn->resume) and is freed with it or when it finishes. */
#ifndef CP_RESUME_H
#define CP_RESUME_H

#include "conn.h"

/* Resume c from last_id (borrowed): live ticks are held off while the ticks
 * after last_id are read from Redis a page at a time and replayed, then
 * delivery goes live.  An id that is malformed, unknown or older than the
 * history gets a snapshot instead ("snapshot" on SSE, price-update-bulk on
 * WebSocket). */
void resume_start(struct conn *c, const char *last_id);

/* c's output drained below the low-water mark: read its next page if a
 * resume is waiting for that.  No-op otherwise. */
void resume_continue(struct conn *c);

/* History entries decoded so far (each decoded once while it stays among
 * the RESUME_CACHE_ENTRIES most recently read, however many clients
 * replay it). */
unsigned long long resume_cache_decoded(const struct ctx *ctx);

/* Free ctx->resume_cache (NULL is fine); with the ctx. */
void resume_cache_free(struct ctx *ctx);

#endif
