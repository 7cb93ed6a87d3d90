/* exchanges: the live feed's set of sources — the symbol map, the TLS
 * context and one source per FEED_SOURCES entry — built from the settings,
 * and their state as the JSON the feeder writes to Redis for /health and
 * /stats (README "Live prices").  Main loop only; exchanges_free() frees
 * everything it made (not the live rule, which the feed owns). */
#ifndef CP_EXCHANGES_H
#define CP_EXCHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "exch.h"
#include "live.h"

struct event_base;
struct exchanges;

/* The live rule for conf's SYMBOLS, FEED_SOURCES, SOURCE_STALE_MS and
 * MAX_DEVIATION_PCT.  Returns NULL with the reason, naming the setting, in
 * err. */
struct live *exchanges_rule_new(const struct cp_conf *conf, char *err, size_t errlen);

/* Check the live settings (URLs, FEED_SYMBOL_MAP, FEED_CA_FILE) and build
 * the sources, which quote into live (borrowed; must outlive them), on base.
 * Nothing connects before exchanges_start().  Returns NULL with the reason,
 * naming the setting, in err. */
struct exchanges *exchanges_new(const struct cp_conf *conf, struct event_base *base,
                                struct live *live, char *err, size_t errlen);
void exchanges_free(struct exchanges *x); /* NULL is a no-op */
void exchanges_start(struct exchanges *x);

/* {"ts":now_ms,"fresh":N,"sources":[{"name","connected","fresh",
 * "last_message_age_ms" (null before any),"messages","quotes","malformed",
 * "rejected","reconnects","outliers","last_error"},...]} in FEED_SOURCES
 * order, as a malloc'd string. */
char *exchanges_state_json(const struct exchanges *x, int64_t now_ms);

#endif
