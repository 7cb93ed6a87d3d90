/* replay: the candles of one or more CSV files, merged in time order and
 * grouped by minute (same ts_ms), for the --replay feed.  Loaded once at
 * start-up on the main thread, read-only afterwards; replay_free() frees all. */
#ifndef CP_REPLAY_H
#define CP_REPLAY_H

#include <stddef.h>

#include "candle.h"

struct replay;

/* An empty replay; add files, then call replay_finish().  Never NULL. */
struct replay *replay_new(void);
void replay_free(struct replay *r); /* NULL is a no-op */

/* Refuse rows added from now on whose time is after max_ms (ms since the
 * epoch; --backfill: a minute later than the wall clock): the add fails
 * with "name:line: time ... is in the future" (CP_ESYNTAX).  Default: none. */
void replay_set_not_after(struct replay *r, int64_t max_ms);

/* Parse the whole text of a file (NUL-terminated; name is used for errors and,
 * in the Binance layout, for the symbol).  The layout is detected from the
 * first non-blank line; blank lines are skipped.  Each symbol's ts_ms must
 * increase within a file.  Returns 0, CP_ESYNTAX with "name:line: reason"
 * in err (errlen bytes), or CP_ENOENT ("name: no candles ...") for a file
 * without a candle (empty, blank or only a header); nothing of a failed file
 * is kept. */
int replay_add_text(struct replay *r, const char *name, const char *text, char *err, size_t errlen);

/* Read path and replay_add_text() it.  Returns 0, CP_ENOENT ("path: cannot
 * open: ..." or "path: no candles ..."), CP_EIO on a read error or
 * CP_ESYNTAX ("path:line: reason"), with err filled. */
int replay_add_file(struct replay *r, const char *path, char *err, size_t errlen);

/* Sort all candles by ts_ms (stable: file order breaks ties) and group them by
 * ts_ms.  Returns 0, CP_ENOENT when there is no candle at all, or CP_ESYNTAX
 * ("name:line: ...") for two candles of one symbol at the same ts_ms. */
int replay_finish(struct replay *r, char *err, size_t errlen);

/* After replay_finish(): the number of minutes (groups of equal ts_ms). */
size_t replay_minutes(const struct replay *r);

/* The candles of minute i (0-based, in time order) as a borrowed array of *n
 * candles with equal ts_ms, valid until replay_free(). */
const struct candle *replay_minute(const struct replay *r, size_t i, size_t *n);

/* The distinct symbols, in order of first appearance in time; borrowed. */
size_t replay_symbol_count(const struct replay *r);
const char *replay_symbol(const struct replay *r, size_t i);

#endif
