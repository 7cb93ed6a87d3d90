/* writer: ticks to Redis under the fail-over lease (writer.h).  Feeders
 * sharing a Redis elect one writer with a lease; the others stand by.  A
 * persistent timer ticks; a faster one polls the lease while standing by. */
#include "config.h"

#include "writer.h"

#include "cp_error.h"
#include "exchanges.h"
#include "feed.h"
#include "log.h"
#include "ohlc.h"
#include "price.h"
#include "roll24.h"
#include "store.h"
#include "strlist.h"
#include "tickid.h"
#include "xalloc.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

struct writer {
    const struct cp_conf *conf;
    struct event_base *base;
    struct feed *feed;
    struct exchanges *exchanges; /* live mode: the sources; else NULL */
    struct store *store;
    struct ohlc *candles;       /* the open candles, as written */
    bool candles_ready;         /* candles seeded from Redis since becoming the writer */
    struct price *prices;       /* room for one tick */
    struct ohlc_write *changes; /* the candles of one tick */
    size_t capchanges;
    struct tickid last;       /* last tick id given out */
    struct tickid written_id; /* last tick id this feeder wrote */
    struct event *timer;      /* ticks every interval */
    struct event *poller;     /* polls the lease while standing by */
    struct timeval tv;        /* the interval */
    char owner[128];          /* this feeder's lease value */
    int lease_ms;             /* lease lifetime: 1.5 intervals */
    bool active;              /* holds the lease and writes ticks */
    bool redis_away;          /* standing by because Redis cannot be written, not for a lease */
    unsigned long long written, dropped;
    unsigned long long outage; /* ticks dropped since the last one written */
};

static void record_tick(void *feed, const struct price *prices, size_t n)
{
    feed_record(feed, prices, n);
}

/* On becoming the writer: continue after the newest id in the stream, so ids
 * keep increasing across restarts, Redis restarts and fail-overs; when adopt
 * is set and that tick is another feeder's (or an earlier run's), a mock walk
 * goes on from its prices, so that taking over does not make prices jump,
 * and its 24 h window is rebuilt from the stream's last 24 h (or as much as
 * HISTORY_LENGTH keeps), so that the 24 h figures go on too. */
static void resync(struct writer *w, bool adopt)
{
    struct tickid in_stream;
    size_t n, max = feed_symbol_count(w->feed);
    if (store_last_tick(w->store, &in_stream, w->prices, max, &n) != CP_OK)
        return;
    if (tickid_after(in_stream, w->last))
        w->last = in_stream;
    if (!adopt || !tickid_after(in_stream, w->written_id))
        return;
    feed_adopt(w->feed, w->prices, n);
    store_history(w->store, in_stream.ms - ROLL24_WINDOW_MS, in_stream, w->prices, max, record_tick,
                  w->feed);
}

static void load_candle(void *ctx, const char *symbol, enum candles_interval iv,
                        const struct ohlcv *c)
{
    if (c)
        ohlc_load(ctx, symbol, iv, c);
}

/* On becoming the writer: go on with the open candles as Redis holds them
 * (another feeder's, or ours before a Redis restart), not with what this
 * feeder held when it last wrote.  Until that read succeeds no candle is
 * written: a fresh candle would replace the stored one of its bucket. */
static void load_candles(struct writer *w)
{
    ohlc_free(w->candles);
    w->candles = ohlc_new();
    w->candles_ready =
        store_newest_candles(w->store, feed_symbols(w->feed), load_candle, w->candles) == CP_OK;
    if (!w->candles_ready)
        log_warn("candles: could not read the newest candles; no candle written until then");
    ohlc_commit(w->candles);
}

/* The tick's samples into the candles, and the candles they changed
 * (w->changes, room grown as needed). */
static size_t apply_samples(struct writer *w)
{
    size_t n, k;
    const struct ohlc_sample *s = feed_samples(w->feed, &n);
    uint64_t late = ohlc_late(w->candles);
    for (size_t i = 0; i < n; i++)
        ohlc_add(w->candles, &s[i]);
    if (ohlc_late(w->candles) > late)
        log_debug("candles: %llu late sample(s) left out (older than the open candle)",
                  (unsigned long long)(ohlc_late(w->candles) - late));
    k = ohlc_changes(w->candles);
    if (k > w->capchanges) {
        w->capchanges = k;
        w->changes = xrealloc(w->changes, k * sizeof *w->changes);
    }
    for (size_t i = 0; i < k; i++)
        ohlc_change(w->candles, i, &w->changes[i]);
    return k;
}

static void stand_by(struct writer *w, const char *why)
{
    if (w->active)
        log_warn("standing by: %s", why);
    w->active = false;
}

/* A tick nobody wrote: this feeder failed to, or stands by while Redis is
 * away (another feeder holding the lease writes it; that is no loss). */
static void drop(struct writer *w, const char *id, int rc)
{
    w->dropped++;
    w->outage++;
    log_debug("tick %s dropped (%s)", id, cp_strerror(rc));
}

static void write_tick(struct writer *w, const char *id, struct tickid tid, size_t n)
{
    if (!w->candles_ready)
        load_candles(w);
    size_t k = w->candles_ready ? apply_samples(w) : 0;
    int rc = store_write_tick_candles(w->store, w->owner, w->lease_ms, id, tid.ms, w->prices, n,
                                      feed_symbols(w->feed), w->changes, k);
    if (rc == CP_OK)
        ohlc_commit(w->candles);
    else
        ohlc_rollback(w->candles);
    if (rc == CP_OK) {
        feed_commit(w->feed);
        if (w->outage)
            log_info("writing ticks again after dropping %llu", w->outage);
        w->written++;
        w->outage = 0;
        w->last = tid;
        w->written_id = tid;
        return;
    }
    drop(w, id, rc);
    if (rc == CP_ENOENT)
        stand_by(w, "another feeder holds the lease");
    else if (rc == CP_EIO)
        stand_by(w, "lost the connection to redis");
    else if (rc == CP_EPROTO)
        resync(w, false);
    w->redis_away = rc == CP_EIO;
}

/* Every interval, active or not: the feed moves on with the clock, so a
 * standby that takes over is at the same point of a replay; only the active
 * feeder writes. */
static void on_tick(evutil_socket_t unused, short what, void *arg)
{
    struct writer *w = arg;
    struct tickid tid = tickid_next(w->last, price_now_ms());
    char id[PRICE_ID_MAX];
    size_t n;
    tickid_format(tid, id, sizeof id);
    if (feed_next(w->feed, tid.ms, id, w->prices, &n) == CP_OK) {
        if (w->active)
            write_tick(w, id, tid, n);
        else if (w->redis_away)
            drop(w, id, CP_EIO);
    }
    if (w->exchanges && w->active) {
        char *state = exchanges_state_json(w->exchanges, price_now_ms());
        store_write_sources(w->store, state, w->conf->update_interval_ms * 3);
        free(state);
    }
    if (tickid_after(tid, w->last))
        w->last = tid;
    if (feed_done(w->feed)) {
        log_info("replay finished: %llu ticks written, %llu dropped", w->written, w->dropped);
        event_base_loopbreak(w->base);
    }
}

/* Standing by: try to take the lease every quarter interval, so that a dead
 * writer's lease (1.5 intervals) is taken over within 1.75 intervals of its
 * last tick.  On success, tick at once and restart the tick timer. */
static void on_poll(evutil_socket_t unused, short what, void *arg)
{
    struct writer *w = arg;
    bool fresh;
    if (w->active)
        return;
    if (store_ensure(w->store, &fresh) != CP_OK) {
        w->redis_away = true;
        return;
    }
    int rc = store_acquire(w->store, w->owner, w->lease_ms);
    w->redis_away = rc != CP_OK && rc != CP_ENOENT;
    if (rc != CP_OK)
        return;
    log_info("active: holding the lease as %s", w->owner);
    w->active = true;
    resync(w, true);
    load_candles(w);
    event_add(w->timer, &w->tv);
    on_tick(-1, EV_TIMEOUT, w);
}

struct writer *writer_new(const struct cp_conf *conf, struct event_base *base, struct feed *feed,
                          struct store *store, struct exchanges *exchanges, const char *owner)
{
    struct writer *w = xcalloc(1, sizeof *w);
    w->conf = conf;
    w->base = base;
    w->feed = feed;
    w->store = store;
    w->exchanges = exchanges;
    w->prices = xcalloc(feed_symbol_count(feed), sizeof *w->prices);
    w->candles = ohlc_new();
    snprintf(w->owner, sizeof w->owner, "%s", owner);
    w->lease_ms = conf->update_interval_ms * 3 / 2;
    w->timer = event_new(base, -1, EV_PERSIST, on_tick, w);
    w->poller = event_new(base, -1, EV_PERSIST, on_poll, w);
    if (!w->timer || !w->poller) {
        fprintf(stderr, "writer: out of memory\n");
        abort();
    }
    return w;
}

void writer_start(struct writer *w)
{
    int ms = w->conf->update_interval_ms, poll_ms = ms / 4 > 5 ? ms / 4 : 5;
    w->tv = strlist_timeval_ms(ms);
    struct timeval poll_tv = strlist_timeval_ms(poll_ms);
    event_add(w->timer, &w->tv);
    event_add(w->poller, &poll_tv);
    on_poll(-1, EV_TIMEOUT, w); /* the first tick at once when we may write */
    if (!w->active)
        log_info("standing by: another feeder holds the lease, or redis is away");
}

void writer_release(struct writer *w)
{
    if (w->active)
        store_release(w->store, w->owner);
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    event_free(w->timer);
    event_free(w->poller);
    free(w->prices);
    free(w->changes);
    ohlc_free(w->candles);
    free(w);
}

bool writer_active(const struct writer *w)
{
    return w->active;
}

unsigned long long writer_written(const struct writer *w)
{
    return w->written;
}

unsigned long long writer_dropped(const struct writer *w)
{
    return w->dropped;
}
