/* scan: finds what the load tool measures in a price message without a JSON
 * parse — the event name, the tick id and each price's "ts" — because the
 * tool reads every message of up to 100,000 clients and must stay cheaper
 * than the gateway it measures.  Relies on the shapes of docs/PROTOCOL.md §2 (no
 * "ts" or "id" keys inside strings).  Pure functions, any thread. */
#ifndef CP_LOAD_SCAN_H
#define CP_LOAD_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tickid.h"

/* The event of a WebSocket message {"event":NAME,...}: copies NAME into out
 * (cap bytes).  Returns its length, or CP_ENOENT when the message does not
 * start that way (e.g. a bare tick JSON from a peer server). */
int scan_event(const char *msg, size_t len, char *out, size_t cap);

/* The tick id (the first "id":"<ms>-<seq>") and the "ts" of each price:
 * every "ts" after "prices":[ for a bulk message or tick, else the first
 * "ts".  Writes up to max values (ms) into ts and returns how many, or
 * CP_ENOENT when there is no parsable id or ts. */
int scan_prices(const char *msg, size_t len, struct tickid *id, int64_t *ts, int max);

#endif
