#include "config.h"

#include "source.h"

#include "cp_error.h"
#include "exch_parse.h"
#include "exch_request.h"
#include "log.h"
#include "strlist.h"
#include "wsclient.h"
#include "xalloc.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOURCE_URL_MAX 4096
#define SOURCE_QUOTES_MAX 64      /* quotes one message may carry */
#define SOURCE_LOG_EVERY_MS 60000 /* a malformed message is logged once a minute */
#define SOURCE_WATCH_MS_MAX 1000  /* the watchdog's period, at most */

/* One WebSocket connection of a source: the one in use, or its replacement
 * being opened, or one closing. */
struct source_conn {
    struct source *s;
    struct wsclient *ws;
    int64_t opened_ms; /* when it opened (0: not yet) */
    int64_t last_ms;   /* its last message (0: none yet) */
    struct source_conn *next_dead;
    struct source_conn *next_closing;
};

struct source {
    struct event_base *base;
    struct ssl_ctx_st *tls;
    enum exch_id id;
    size_t index;
    const struct exch_map *map;
    struct live *live;
    struct source_settings settings;
    char url[SOURCE_URL_MAX];
    char *subs[EXCH_REQUEST_SUBSCRIBE_MAX];
    size_t n_subs;
    struct source_conn *cur;     /* the connection quotes come from */
    struct source_conn *fresh;   /* its replacement, opening (lifetime) */
    struct source_conn *closing; /* replaced, closing */
    struct source_conn *dead;    /* to free on the next loop turn */
    struct event *retry, *watch, *reap;
    int64_t backoff_ms, last_attempt_ms, malformed_logged_ms;
    int64_t replace_after_ms; /* no replacement attempt before (backoff) */
    unsigned rand_state;
    bool ever_connected;
    struct source_state state;
};

static void connect_now(struct source *s, bool replacement);

static int64_t now_ms(void)
{
    return price_now_ms();
}

/* Free a connection outside its own callbacks (wsclient.h). */
static void bury(struct source_conn *sc)
{
    struct source *s = sc->s;
    sc->next_dead = s->dead;
    s->dead = sc;
    event_active(s->reap, EV_TIMEOUT, 0);
}

static void on_reap(evutil_socket_t unused, short what, void *arg)
{
    struct source *s = arg;
    while (s->dead) {
        struct source_conn *sc = s->dead;
        s->dead = sc->next_dead;
        wsclient_free(sc->ws);
        free(sc);
    }
}

/* The next reconnect delay: exponential backoff with "equal jitter" (half
 * fixed, half random, never zero), and never two attempts within
 * SOURCE_ATTEMPT_GAP_MS. */
static int64_t next_delay(struct source *s)
{
    int64_t base = s->backoff_ms;
    s->backoff_ms =
        s->backoff_ms * 2 > SOURCE_BACKOFF_MAX_MS ? SOURCE_BACKOFF_MAX_MS : s->backoff_ms * 2;
    int64_t delay = base / 2 + (int64_t)(rand_r(&s->rand_state) % (unsigned)(base / 2 + 1));
    int64_t gap = s->last_attempt_ms + SOURCE_ATTEMPT_GAP_MS - now_ms();
    return delay > gap ? delay : gap;
}

static void schedule_reconnect(struct source *s, const char *why)
{
    struct timeval tv;
    int64_t delay = next_delay(s);
    log_warn("%s: %s; reconnecting in %lld ms", exch_name(s->id), why, (long long)delay);
    tv = strlist_timeval_ms(delay);
    evtimer_add(s->retry, &tv);
}

static void on_retry(evutil_socket_t unused, short what, void *arg)
{
    struct source *s = arg;
    if (!s->cur)
        connect_now(s, false);
}

/* The replacement delivers: it becomes the connection in use and the old
 * one is closed, so quotes never stopped coming. */
static void promote(struct source *s)
{
    struct source_conn *old = s->cur;
    s->cur = s->fresh;
    s->fresh = NULL;
    if (old) {
        log_info("%s: replaced a connection %lld s old", exch_name(s->id),
                 (long long)((now_ms() - old->opened_ms) / 1000));
        old->next_closing = s->closing;
        s->closing = old;
        wsclient_close(old->ws, 1000, "replaced");
    }
}

static void count_malformed(struct source *s, const char *why)
{
    s->state.malformed++;
    int64_t now = now_ms();
    if (s->malformed_logged_ms && now - s->malformed_logged_ms < SOURCE_LOG_EVERY_MS)
        return;
    s->malformed_logged_ms = now;
    log_warn("%s: skipping a malformed message (%llu so far): %s", exch_name(s->id),
             (unsigned long long)s->state.malformed, why);
}

static void take_quotes(struct source *s, const struct exch_quote *q, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        if (live_quote(s->live, s->index, &q[i], now))
            s->state.quotes++;
        else
            count_malformed(s, "a quote older than the last one");
    }
}

static void on_open(void *arg)
{
    struct source_conn *sc = arg;
    struct source *s = sc->s;
    sc->opened_ms = now_ms();
    s->state.connected = true;
    log_info("%s: connected to %s", exch_name(s->id), s->url);
    for (size_t i = 0; i < s->n_subs; i++)
        wsclient_send(sc->ws, s->subs[i], strlen(s->subs[i]));
}

static void on_message(const char *text, size_t len, void *arg)
{
    struct source_conn *sc = arg;
    struct source *s = sc->s;
    struct exch_quote q[SOURCE_QUOTES_MAX];
    size_t n = 0;
    char err[256] = "";
    int64_t now = now_ms();
    sc->last_ms = now;
    s->state.last_message_ms = now;
    s->state.messages++;
    int kind = exch_parse(s->map, s->id, text, len, q, SOURCE_QUOTES_MAX, &n, err, sizeof err);
    if (kind == EXCH_QUOTES || kind == EXCH_HEARTBEAT)
        s->backoff_ms = SOURCE_BACKOFF_MIN_MS; /* this connection works */
    if (kind == EXCH_QUOTES) {
        take_quotes(s, q, n, now);
        if (sc == s->fresh)
            promote(s);
    } else if (kind == EXCH_REJECT) {
        /* Connected but not subscribed: heartbeats alone would keep it
         * "alive" for ever.  Start again, with backoff. */
        s->state.rejected++;
        log_error("%s: the exchange refused: %s", exch_name(s->id), err);
        wsclient_close(sc->ws, 1000, "subscription refused");
    } else if (kind < 0) {
        count_malformed(s, err);
    }
}

static void on_close(int code, const char *why, void *arg)
{
    struct source_conn *sc = arg;
    struct source *s = sc->s;
    snprintf(s->state.last_error, sizeof s->state.last_error, "%s", why);
    bury(sc);
    if (sc == s->fresh) {
        s->fresh = NULL;               /* the old connection goes on; the watchdog tries again... */
        int64_t delay = next_delay(s); /* ...after the same backoff as reconnects */
        s->replace_after_ms = now_ms() + delay;
        log_warn("%s: replacement connection failed: %s; next try in %lld ms", exch_name(s->id),
                 why, (long long)delay);
        return;
    }
    if (sc != s->cur) { /* an old connection, replaced */
        for (struct source_conn **p = &s->closing; *p; p = &(*p)->next_closing)
            if (*p == sc) {
                *p = sc->next_closing;
                break;
            }
        return;
    }
    s->cur = NULL;
    if (s->fresh && wsclient_is_open(s->fresh->ws)) {
        s->cur = s->fresh;
        s->fresh = NULL;
        return;
    }
    s->state.connected = false;
    schedule_reconnect(s, why);
}

static const struct wsclient_callbacks source_callbacks = {on_open, on_message, on_close};

static void connect_now(struct source *s, bool replacement)
{
    struct source_conn *sc = xcalloc(1, sizeof *sc);
    sc->s = s;
    sc->ws = wsclient_new(s->base, s->tls, &source_callbacks, sc, SOURCE_MESSAGE_MAX);
    s->last_attempt_ms = now_ms();
    if (s->ever_connected && !replacement)
        s->state.reconnects++;
    s->ever_connected = true;
    if (replacement)
        s->fresh = sc;
    else
        s->cur = sc;
    if (wsclient_connect(sc->ws, s->url, s->settings.connect_timeout_ms) != CP_OK) {
        /* A URL that is not ws:// or wss://: checked at start, cannot happen. */
        log_error("%s: cannot connect to %s", exch_name(s->id), s->url);
        if (replacement)
            s->fresh = NULL;
        else
            s->cur = NULL;
        bury(sc);
    }
}

/* Drop a connection that has gone silent, at once: a stalled server may
 * never answer a closing handshake either. */
static void drop_silent(struct source *s, int64_t silent_ms)
{
    struct source_conn *sc = s->cur;
    s->cur = NULL;
    s->state.connected = false;
    snprintf(s->state.last_error, sizeof s->state.last_error, "silent for %lld ms",
             (long long)silent_ms);
    wsclient_free(sc->ws);
    free(sc);
    schedule_reconnect(s, s->state.last_error);
}

static void on_watch(evutil_socket_t unused, short what, void *arg)
{
    struct source *s = arg;
    int64_t now = now_ms();
    struct source_conn *sc = s->cur;
    if (!sc || !wsclient_is_open(sc->ws))
        return; /* connecting, or waiting to reconnect */
    int64_t since = sc->last_ms ? sc->last_ms : sc->opened_ms;
    if (now - since >= s->settings.stale_ms) {
        drop_silent(s, now - since);
        return;
    }
    if (!s->fresh && now - sc->opened_ms >= s->settings.lifetime_ms &&
        now - s->last_attempt_ms >= SOURCE_ATTEMPT_GAP_MS && now >= s->replace_after_ms)
        connect_now(s, true);
}

struct source *source_new(struct event_base *base, struct ssl_ctx_st *tls, enum exch_id id,
                          size_t index, const struct exch_map *m, struct live *live,
                          const struct source_settings *settings)
{
    struct source *s = xcalloc(1, sizeof *s);
    s->base = base;
    s->tls = tls;
    s->id = id;
    s->index = index;
    s->map = m;
    s->live = live;
    s->settings = *settings;
    s->backoff_ms = SOURCE_BACKOFF_MIN_MS;
    s->rand_state = (unsigned)now_ms() ^ (unsigned)getpid() ^ (unsigned)(index * 7919);
    size_t n = live_symbol_count(live);
    const char **syms = xcalloc(n, sizeof *syms);
    for (size_t i = 0; i < n; i++)
        syms[i] = live_symbol(live, i);
    if (exch_request_connect_url(m, id, settings->url, syms, n, s->url, sizeof s->url) < 0)
        snprintf(s->url, sizeof s->url, "%s", settings->url);
    s->n_subs = exch_request_subscribe(m, id, syms, n, s->subs);
    free(syms);
    s->retry = evtimer_new(base, on_retry, s);
    s->reap = event_new(base, -1, 0, on_reap, s);
    s->watch = event_new(base, -1, EV_PERSIST, on_watch, s);
    return s;
}

void source_start(struct source *s)
{
    int64_t period = s->settings.stale_ms / 4;
    struct timeval tv;
    tv = strlist_timeval_ms(period < 50                    ? 50
                            : period > SOURCE_WATCH_MS_MAX ? SOURCE_WATCH_MS_MAX
                                                           : period);
    event_add(s->watch, &tv);
    connect_now(s, false);
}

static void free_conn(struct source_conn *sc)
{
    if (!sc)
        return;
    wsclient_free(sc->ws);
    free(sc);
}

void source_free(struct source *s)
{
    if (!s)
        return;
    free_conn(s->cur);
    free_conn(s->fresh);
    while (s->closing) {
        struct source_conn *sc = s->closing;
        s->closing = sc->next_closing;
        free_conn(sc);
    }
    on_reap(-1, EV_TIMEOUT, s);
    for (size_t i = 0; i < s->n_subs; i++)
        free(s->subs[i]);
    event_free(s->retry);
    event_free(s->watch);
    event_free(s->reap);
    free(s);
}

const struct source_state *source_state(const struct source *s)
{
    return &s->state;
}

const char *source_name(const struct source *s)
{
    return exch_name(s->id);
}
