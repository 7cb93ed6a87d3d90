#include "config.h"

#include "exchanges.h"

#include "cp_error.h"
#include "exch_map.h"
#include "log.h"
#include "source.h"
#include "strlist.h"
#include "wsc.h"
#include "wsclient.h"
#include "wsclient_tls.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXCHANGES_CONNECT_TIMEOUT_MS 10000

struct exchanges {
    struct exch_map *map;
    struct ssl_ctx_st *tls;
    struct live *live;
    struct source *sources[EXCH_COUNT];
    size_t rule_index[EXCH_COUNT]; /* each source's place in FEED_SOURCES, as the live
                                    * rule counts them (skipped sources leave gaps) */
    size_t n;
};

/* FEED_SOURCES ("binance,kraken") into ids; conf checked the names. */
static size_t configured_ids(const struct cp_conf *conf, enum exch_id *ids)
{
    size_t n = 0, len;
    const char *p = conf->feed_sources, *item;
    while (n < EXCH_COUNT && strlist_next(&p, &item, &len)) {
        char name[16];
        if (strlist_copy(item, len, name, sizeof name) && exch_from_name(name, &ids[n]) == CP_OK)
            n++;
    }
    return n;
}

struct live *exchanges_rule_new(const struct cp_conf *conf, char *err, size_t errlen)
{
    enum exch_id ids[EXCH_COUNT];
    const char *names[EXCH_COUNT];
    size_t n = configured_ids(conf, ids);
    for (size_t i = 0; i < n; i++)
        names[i] = exch_name(ids[i]);
    struct live_rule rule = {conf->source_stale_ms, conf->max_deviation_pct};
    return live_new(conf->symbols, names, n, &rule, err, errlen);
}

static const char *url_of(const struct cp_conf *conf, enum exch_id id, const char **setting)
{
    static const char *const settings[EXCH_COUNT] = {"BINANCE_WS_URL", "COINBASE_WS_URL",
                                                     "KRAKEN_WS_URL"};
    *setting = settings[id];
    return id == EXCH_BINANCE    ? conf->binance_ws_url
           : id == EXCH_COINBASE ? conf->coinbase_ws_url
                                 : conf->kraken_ws_url;
}

/* A ws:// or wss:// URL wsclient can connect to; Binance's is the host
 * alone (or ending in /stream): exch_request_connect_url() adds the streams. */
static const char *url_problem(enum exch_id id, const char *url)
{
    struct wsc_url u;
    if (wsc_url_parse(url, &u) != CP_OK)
        return "is not a ws:// or wss:// URL (host, port 1-65535, no user, fragment or space)";
    if (id == EXCH_BINANCE && strcmp(u.resource, "/") != 0 && strcmp(u.resource, "/stream") != 0)
        return "must name the host only (the feeder adds /stream?streams=...)";
    return NULL;
}

/* Every symbol must be listed by one of the sources at least. */
static int check_symbols(const struct exchanges *x, const enum exch_id *ids, size_t n,
                         const struct cp_conf *conf, char *err, size_t errlen)
{
    for (size_t i = 0; i < live_symbol_count(x->live); i++) {
        const char *sym = live_symbol(x->live, i);
        bool listed = false;
        for (size_t k = 0; k < n && !listed; k++)
            listed = exch_instrument(x->map, ids[k], sym) != NULL;
        if (!listed) {
            snprintf(err, errlen,
                     "SYMBOLS: %s is listed by none of %s (map it with FEED_SYMBOL_MAP)", sym,
                     conf->feed_sources);
            return CP_EINVAL;
        }
    }
    return CP_OK;
}

/* How many of the live symbols exchange id lists. */
static size_t mapped(const struct exchanges *x, enum exch_id id)
{
    size_t n = 0;
    for (size_t i = 0; i < live_symbol_count(x->live); i++)
        n += exch_instrument(x->map, id, live_symbol(x->live, i)) != NULL;
    return n;
}

/* The sources, once the settings are known good. */
static int make_sources(struct exchanges *x, const struct cp_conf *conf, struct event_base *base,
                        char *err, size_t errlen)
{
    enum exch_id ids[EXCH_COUNT];
    size_t n = configured_ids(conf, ids);
    if (check_symbols(x, ids, n, conf, err, errlen) != CP_OK)
        return CP_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const char *setting;
        const char *url = url_of(conf, ids[i], &setting);
        const char *why = url_problem(ids[i], url);
        if (why) {
            snprintf(err, errlen, "%s: \"%.200s\" %s", setting, url, why);
            return CP_EINVAL;
        }
        if (mapped(x, ids[i]) == 0) {
            log_warn("%s lists none of SYMBOLS (%s): not connecting to it", exch_name(ids[i]),
                     live_symbols(x->live));
            continue;
        }
        struct source_settings ss = {url, conf->source_stale_ms, conf->source_reconnect_ms,
                                     EXCHANGES_CONNECT_TIMEOUT_MS};
        x->rule_index[x->n] = i;
        x->sources[x->n++] = source_new(base, x->tls, ids[i], i, x->map, x->live, &ss);
    }
    if (x->n == 0) {
        snprintf(err, errlen, "FEED_SOURCES: none of %s lists any of SYMBOLS (%s)",
                 conf->feed_sources, live_symbols(x->live));
        return CP_EINVAL;
    }
    return CP_OK;
}

struct exchanges *exchanges_new(const struct cp_conf *conf, struct event_base *base,
                                struct live *live, char *err, size_t errlen)
{
    struct exchanges *x = xcalloc(1, sizeof *x);
    char why[512];
    x->live = live;
    x->map = exch_map_new(conf->feed_symbol_map, why, sizeof why);
    if (!x->map) {
        snprintf(err, errlen, "FEED_SYMBOL_MAP: %s", why);
        exchanges_free(x);
        return NULL;
    }
    x->tls = wsclient_tls_new(conf->feed_ca_file, why, sizeof why);
    if (!x->tls) {
        snprintf(err, errlen, "FEED_CA_FILE \"%.200s\": %s", conf->feed_ca_file, why);
        exchanges_free(x);
        return NULL;
    }
    if (make_sources(x, conf, base, err, errlen) != CP_OK) {
        exchanges_free(x);
        return NULL;
    }
    return x;
}

void exchanges_free(struct exchanges *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        source_free(x->sources[i]);
    wsclient_tls_free(x->tls);
    exch_map_free(x->map);
    free(x);
}

void exchanges_start(struct exchanges *x)
{
    for (size_t i = 0; i < x->n; i++)
        source_start(x->sources[i]);
}

static json_t *state_of(const struct exchanges *x, size_t i, int64_t now_ms)
{
    const struct source_state *st = source_state(x->sources[i]);
    size_t r = x->rule_index[i];
    json_t *age = st->last_message_ms ? json_integer((json_int_t)(now_ms - st->last_message_ms))
                                      : json_null();
    return json_pack("{s:s, s:b, s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "name",
                     source_name(x->sources[i]), "connected", st->connected, "fresh",
                     live_source_fresh(x->live, r, now_ms), "last_message_age_ms", age, "messages",
                     (json_int_t)st->messages, "quotes", (json_int_t)st->quotes, "malformed",
                     (json_int_t)st->malformed, "rejected", (json_int_t)st->rejected, "reconnects",
                     (json_int_t)st->reconnects, "outliers", (json_int_t)live_outliers(x->live, r),
                     "last_error", st->last_error);
}

char *exchanges_state_json(const struct exchanges *x, int64_t now_ms)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < x->n; i++)
        json_array_append_new(arr, state_of(x, i, now_ms));
    json_t *j = json_pack("{s:I, s:I, s:o}", "ts", (json_int_t)now_ms, "fresh",
                          (json_int_t)live_fresh_sources(x->live, now_ms), "sources", arr);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}
