/* conf: the table of settings, and loading them from defaults, the
 * environment and a file; see conf.h.  The command line is confargs.c, the
 * checks of one value are confval.c. */
#include "config.h"

#include "conf.h"
#include "conf_private.h"
#include "conffile.h"

#include "confval.h"
#include "cp_error.h"
#include "log.h"
#include "paths.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALL CONF_ALL_PROGRAMS
#define GW CONF_GATEWAY
#define FD CONF_FEEDER
#define FIELD(f) offsetof(struct cp_conf, f), sizeof(((struct cp_conf *)0)->f)

const struct conf_option conf_options[] = {
    {"HOST", "host", 0, CONF_STR, FIELD(host), 1, 0, "127.0.0.1", GW, "listen address"},
    {"PORT", "port", 'p', CONF_INT, FIELD(port), 1, 65535, "3000", GW, "listen port"},
    {"TLS_PORT", "tls-port", 0, CONF_INT, FIELD(tls_port), 0, 65535, "0", GW,
     "TLS listen port for wss:// and https:// (0: none)"},
    {"TLS_CERT_FILE", "tls-cert-file", 0, CONF_STR, FIELD(tls_cert_file), 0, 0, "", GW,
     "PEM certificate chain for TLS_PORT"},
    {"TLS_KEY_FILE", "tls-key-file", 0, CONF_STR, FIELD(tls_key_file), 0, 0, "", GW,
     "PEM private key for TLS_PORT"},
    {"REDIS_HOST", "redis-host", 0, CONF_STR, FIELD(redis_host), 1, 0, "127.0.0.1", ALL,
     "Redis host"},
    {"REDIS_PORT", "redis-port", 0, CONF_INT, FIELD(redis_port), 1, 65535, "6379", ALL,
     "Redis port"},
    {"REDIS_PASSWORD", "redis-password", 0, CONF_STR, FIELD(redis_password), 0, 0, "", ALL,
     "Redis AUTH password (empty: none)"},
    {"REDIS_DB", "redis-db", 0, CONF_INT, FIELD(redis_db), 0, 1023, "0", ALL,
     "Redis database number"},
    {"REDIS_PREFIX", "redis-prefix", 0, CONF_STR, FIELD(redis_prefix), 0, 0, "cryptopulse:", ALL,
     "prefix of every Redis key and channel"},
    {"REDIS_TIMEOUT_MS", "redis-timeout-ms", 0, CONF_INT, FIELD(redis_timeout_ms), 10, 60000, "500",
     ALL, "Redis connect and command timeout, ms"},
    {"REDIS_SENTINELS", "redis-sentinels", 0, CONF_ADDRS, FIELD(redis_sentinels), 0, 0, "", ALL,
     "Redis Sentinels, host:port comma list (empty: use REDIS_HOST)"},
    {"REDIS_MASTER_NAME", "redis-master-name", 0, CONF_STR, FIELD(redis_master_name), 1, 0,
     "cryptopulse", ALL, "master name the Sentinels know"},
    {"UPDATE_INTERVAL_MS", "interval", 'i', CONF_INT, FIELD(update_interval_ms), 10, 3600000,
     "1500", GW | FD | CONF_FCGI, "tick interval, ms"},
    {"PRICE_TTL_SECONDS", "price-ttl", 0, CONF_INT, FIELD(price_ttl_seconds), 1, 86400, "3", FD,
     "TTL of cached latest prices, s"},
    {"HISTORY_LENGTH", "history-length", 0, CONF_INT, FIELD(history_length), 10, 10000000, "3600",
     FD, "ticks kept in the history stream"},
    {"CANDLE_RETENTION_1M_DAYS", "candle-retention-1m-days", 0, CONF_INT,
     FIELD(candle_retention_days[0]), 1, 36500, "7", GW | FD | CONF_FCGI,
     "days of 1-minute candles kept"},
    {"CANDLE_RETENTION_5M_DAYS", "candle-retention-5m-days", 0, CONF_INT,
     FIELD(candle_retention_days[1]), 1, 36500, "30", GW | FD | CONF_FCGI,
     "days of 5-minute candles kept"},
    {"CANDLE_RETENTION_1H_DAYS", "candle-retention-1h-days", 0, CONF_INT,
     FIELD(candle_retention_days[2]), 1, 36500, "400", GW | FD | CONF_FCGI,
     "days of 1-hour candles kept"},
    {"CANDLE_RETENTION_1D_DAYS", "candle-retention-1d-days", 0, CONF_INT,
     FIELD(candle_retention_days[3]), 1, 36500, "1826", GW | FD | CONF_FCGI,
     "days of 1-day candles kept"},
    {"MAX_MESSAGES_PER_SECOND", "max-messages-per-second", 0, CONF_INT,
     FIELD(max_messages_per_second), 1, 1000000, "100", GW, "client messages per second"},
    {"MAX_MESSAGE_BYTES", "max-message-bytes", 0, CONF_INT, FIELD(max_message_bytes), 125, 64 << 20,
     "65536", GW, "largest client message, bytes"},
    {"MAX_CONNECTIONS", "max-connections", 0, CONF_INT, FIELD(max_connections), 1, 10000000,
     "20000", GW, "client connections per process"},
    {"MAX_CONNECTIONS_PER_IP", "max-connections-per-ip", 0, CONF_INT, FIELD(max_connections_per_ip),
     0, 10000000, "0", GW, "connections one client address may hold (0: no limit)"},
    {"MAX_HEAD_BYTES", "max-head-bytes", 0, CONF_INT, FIELD(max_head_bytes), 256, 1 << 20, "8192",
     GW, "largest HTTP request head, bytes"},
    {"MAX_HEADERS", "max-headers", 0, CONF_INT, FIELD(max_headers), 8, 10000, "100", GW,
     "header lines in one HTTP request"},
    {"MAX_OUTPUT_BYTES", "max-output-bytes", 0, CONF_INT, FIELD(max_output_bytes), 4096, 1 << 30,
     "1048576", GW, "output queued per client before it is dropped, bytes"},
    {"MAX_TICK_BYTES", "max-tick-bytes", 0, CONF_INT, FIELD(max_tick_bytes), 1024, 64 << 20,
     "65536", GW, "largest tick the gateway accepts from Redis, bytes (larger: skipped)"},
    {"OUTPUT_HIGH_WATER_BYTES", "output-high-water-bytes", 0, CONF_INT,
     FIELD(output_high_water_bytes), 1024, 1 << 30, "65536", GW,
     "output queued per client past which its prices are conflated, bytes"},
    {"SLOW_CLIENT_TIMEOUT_MS", "slow-client-timeout-ms", 0, CONF_INT, FIELD(slow_client_timeout_ms),
     100, 3600000, "30000", GW, "time a client may stay conflating before it is dropped, ms"},
    {"HANDSHAKE_TIMEOUT_MS", "handshake-timeout-ms", 0, CONF_INT, FIELD(handshake_timeout_ms), 100,
     600000, "10000", GW,
     "time allowed for a request head, and an idle keep-alive connection's life, ms"},
    {"MAX_SUBSCRIPTIONS", "max-subscriptions", 0, CONF_INT, FIELD(max_subscriptions), 1, 100000,
     "256", GW, "symbols one client may subscribe to"},
    {"WS_PING_INTERVAL_MS", "ws-ping-interval-ms", 0, CONF_INT, FIELD(ws_ping_interval_ms), 100,
     3600000, "25000", GW, "client silence before the server pings, ms"},
    {"WS_PONG_TIMEOUT_MS", "ws-pong-timeout-ms", 0, CONF_INT, FIELD(ws_pong_timeout_ms), 100,
     3600000, "20000", GW, "silence after a ping before close 1001, ms"},
    {"SSE_KEEPALIVE_MS", "sse-keepalive-ms", 0, CONF_INT, FIELD(sse_keepalive_ms), 100, 15000,
     "15000", GW, "SSE keep-alive comment interval, ms"},
    {"CORS_ORIGINS", "cors-origins", 0, CONF_STR, FIELD(cors_origins), 0, 0, "", GW,
     "allowed Origins, comma list (empty: all)"},
    {"WWW_ROOT", "www-root", 0, CONF_STR, FIELD(www_root), 0, 0, PKGDATADIR "/www", GW,
     "dashboard directory (empty: do not serve)"},
    {"SYMBOLS", "symbols", 0, CONF_SYMBOLS, FIELD(symbols), 1, 0,
     "BTC,ETH,SOL,BNB,XRP,ADA,DOGE,AVAX,DOT,LINK,LTC,MATIC,USDT,USDC", FD,
     "symbols of the mock and live feeds, comma list"},
    {"CLUSTER_ENABLED", "cluster", 0, CONF_BOOL, FIELD(cluster_enabled), 0, 0, "false", GW,
     "run a supervisor and worker processes"},
    {"WORKERS", "workers", 'w', CONF_INT, FIELD(workers), 0, 256, "0", GW,
     "worker processes; over 1 runs workers unless CLUSTER_ENABLED=false is given (0: one, or "
     "with CLUSTER_ENABLED sized to cores and fds)"},
    {"INSTANCE_ID", "instance-id", 0, CONF_TEXT, FIELD(instance_id), 0, 0, "", GW,
     "name of this gateway in /stats and /metrics, UTF-8, at most 255 bytes, unique per Redis "
     "(empty: host name and port)"},
    {"STATS_INTERVAL_MS", "stats-interval-ms", 0, CONF_INT, FIELD(stats_interval_ms), 100, 60000,
     "1000", GW | CONF_FCGI, "how often each worker writes its counters to Redis, ms"},
    {"FEED_MODE", "feed-mode", 0, CONF_CHOICE, FIELD(feed_mode), 1, 0, "mock", FD,
     "where prices come from: mock, replay or live (--mock, --replay, --live)"},
    {"FEED_SOURCES", "sources", 0, CONF_CHOICES, FIELD(feed_sources), 1, 0,
     "binance,coinbase,kraken", FD, "live: exchanges in order of preference, comma list"},
    {"BINANCE_WS_URL", "binance-ws-url", 0, CONF_STR, FIELD(binance_ws_url), 1, 0,
     "wss://stream.binance.com:9443", FD, "live: Binance spot market streams (ws:// or wss://)"},
    {"COINBASE_WS_URL", "coinbase-ws-url", 0, CONF_STR, FIELD(coinbase_ws_url), 1, 0,
     "wss://advanced-trade-ws.coinbase.com", FD, "live: Coinbase Advanced Trade market data"},
    {"KRAKEN_WS_URL", "kraken-ws-url", 0, CONF_STR, FIELD(kraken_ws_url), 1, 0,
     "wss://ws.kraken.com/v2", FD, "live: Kraken spot WebSocket v2"},
    {"FEED_SYMBOL_MAP", "symbol-map", 0, CONF_STR, FIELD(feed_symbol_map), 0, 0, "", FD,
     "live: more exchange instruments, exchange:SYMBOL=INSTRUMENT comma list"},
    {"FEED_CA_FILE", "ca-file", 0, CONF_STR, FIELD(feed_ca_file), 0, 0, "", FD,
     "live: PEM CA certificates to trust besides the system's (empty: none)"},
    {"SOURCE_STALE_MS", "source-stale-ms", 0, CONF_INT, FIELD(source_stale_ms), 100, 3600000,
     "10000", FD, "live: a source silent this long is stale and reconnected, ms"},
    {"MAX_DEVIATION_PCT", "max-deviation-pct", 0, CONF_INT, FIELD(max_deviation_pct), 1, 100, "5",
     FD, "live: a source this many percent off the median is left out"},
    {"SOURCE_RECONNECT_MS", "source-reconnect-ms", 0, CONF_INT, FIELD(source_reconnect_ms), 1000,
     86400000, "82800000", FD,
     "live: a connection this old is replaced, without a gap (Binance ends them at 24 h), ms"},
    {"LOG_LEVEL", "log-level", 0, CONF_LEVEL, FIELD(log_level), 0, 0, "info", ALL,
     "error, warn, info or debug"},
    {"LOG_FORMAT", "log-format", 0, CONF_CHOICE, FIELD(log_format), 1, 0, "text", ALL,
     "log lines as text or json (one object per line)"},
    {"LOG_CONNECTIONS", "log-connections", 0, CONF_BOOL, FIELD(log_connections), 0, 0, "false", GW,
     "log one line per closed connection: peer, transport, duration, bytes, close code"},
    {"SOCKETIO_ENABLED", "socketio", 0, CONF_BOOL, FIELD(socketio_enabled), 0, 0, "true", GW,
     "serve socket.io-client 4.x at SOCKETIO_PATH (Engine.IO 4, Socket.IO 5)"},
    {"SOCKETIO_PATH", "socketio-path", 0, CONF_STR, FIELD(socketio_path), 2, 0, "/socket.io/", GW,
     "the Socket.IO endpoint, as the client's path option"},
    {"SOCKETIO_PING_INTERVAL_MS", "socketio-ping-interval-ms", 0, CONF_INT,
     FIELD(socketio_ping_interval_ms), 100, 3600000, "25000", GW,
     "Socket.IO: a ping to each client this often, ms (pingInterval)"},
    {"SOCKETIO_PING_TIMEOUT_MS", "socketio-ping-timeout-ms", 0, CONF_INT,
     FIELD(socketio_ping_timeout_ms), 100, 3600000, "20000", GW,
     "Socket.IO: a client that has not answered a ping this long is closed, ms (pingTimeout)"},
    {"SOCKETIO_MAX_PAYLOAD_BYTES", "socketio-max-payload-bytes", 0, CONF_INT,
     FIELD(socketio_max_payload_bytes), 1024, 64 << 20, "1000000", GW,
     "Socket.IO: largest HTTP long-polling body a client may send, bytes (maxPayload)"},
    {"SOCKETIO_ROUTE", "socketio-route", 0, CONF_STR, FIELD(socketio_route), 0, 0, "", GW,
     "Socket.IO: the balancer route ending each session id after a dot, letters, digits, - "
     "and _ (empty: the PORT)"},
};
#define N_OPTIONS (sizeof conf_options / sizeof conf_options[0])
const size_t conf_n_options = N_OPTIONS;

/* Settings of the original Node.js server's .env (../shared/ORIGINAL-DESIGN.md)
 * that mean nothing here.  The environment and a --config file accept them,
 * so that .env works unchanged, and conf_parse_args names each once in the
 * log; their given bits follow the table's. */
static const struct {
    const char *env, *why;
} conf_ignored[] = {
    {"NODE_ENV", "the Node.js server's development/production switch; CryptoPulse has no such "
                 "modes"},
};
#define N_IGNORED (sizeof conf_ignored / sizeof conf_ignored[0])

/* The words a CONF_CHOICE or CONF_CHOICES setting allows, "a|b|c". */
static const struct {
    const char *env, *choices;
} conf_choices[] = {
    {"FEED_MODE", "mock|replay|live"},
    {"FEED_SOURCES", "binance|coinbase|kraken"},
    {"LOG_FORMAT", "text|json"},
};

static const char *choices_of(const struct conf_option *o)
{
    for (size_t i = 0; i < sizeof conf_choices / sizeof conf_choices[0]; i++)
        if (strcmp(conf_choices[i].env, o->env) == 0)
            return conf_choices[i].choices;
    return "";
}

static int parse_option(struct cp_conf *conf, const struct conf_option *o, const char *value,
                        char *err, size_t errlen)
{
    void *field = (char *)conf + o->offset;
    switch (o->type) {
    case CONF_INT: return confval_int(o->env, value, o->min, o->max, field, err, errlen);
    case CONF_BOOL: return confval_bool(o->env, value, field, err, errlen);
    case CONF_LEVEL:
        if (log_level_parse(value, field) == CP_OK)
            return CP_OK;
        snprintf(err, errlen, "%s: \"%s\" is not one of error, warn, info, debug", o->env, value);
        return CP_EINVAL;
    case CONF_SYMBOLS:
        if (strlen(value) < o->size && confval_symbols(o->env, value, err, errlen) != CP_OK)
            return CP_EINVAL;
        /* fall through */
    case CONF_CHOICE:
    case CONF_CHOICES:
        if ((o->type == CONF_CHOICE || o->type == CONF_CHOICES) &&
            confval_choices(o->env, choices_of(o), o->type == CONF_CHOICES, value, err, errlen) !=
                CP_OK)
            return CP_EINVAL;
        /* fall through */
    case CONF_ADDRS:
        if (o->type == CONF_ADDRS && confval_addrs(o->env, value, err, errlen) != CP_OK)
            return CP_EINVAL;
        /* fall through */
    case CONF_TEXT:
        if (o->type == CONF_TEXT && confval_text(o->env, value, err, errlen) != CP_OK)
            return CP_EINVAL;
        /* fall through */
    case CONF_STR:
        if (strlen(value) < (size_t)o->min) {
            snprintf(err, errlen, "%s: must not be empty", o->env);
            return CP_EINVAL;
        }
        if (strlen(value) >= o->size) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", o->env, o->size - 1);
            return CP_EINVAL;
        }
        strcpy(field, value);
        return CP_OK;
    }
    return CP_EINVAL;
}

_Static_assert(N_OPTIONS + N_IGNORED <= 8 * sizeof((struct cp_conf *)0)->given,
               "cp_conf.given too small");

static void mark_given(struct cp_conf *conf, size_t i)
{
    conf->given[i / 64] |= 1ULL << (i % 64);
}

static bool is_given(const struct cp_conf *conf, size_t i)
{
    return conf->given[i / 64] & (1ULL << (i % 64));
}

/* True, after remembering it, when name is one of conf_ignored. */
static bool take_ignored(struct cp_conf *conf, const char *name)
{
    for (size_t j = 0; j < N_IGNORED; j++)
        if (strcmp(conf_ignored[j].env, name) == 0) {
            mark_given(conf, N_OPTIONS + j);
            return true;
        }
    return false;
}

/* Set and remember that o did not keep its default (conf_given). */
int conf_set_option(struct cp_conf *conf, const struct conf_option *o, const char *value, char *err,
                    size_t errlen)
{
    int rc = parse_option(conf, o, value, err, errlen);
    if (rc == CP_OK)
        mark_given(conf, (size_t)(o - conf_options));
    return rc;
}

bool conf_given(const struct cp_conf *conf, const char *env)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(conf_options[i].env, env) == 0)
            return is_given(conf, i);
    for (size_t j = 0; j < N_IGNORED; j++)
        if (strcmp(conf_ignored[j].env, env) == 0)
            return is_given(conf, N_OPTIONS + j);
    return false;
}

void conf_defaults(struct cp_conf *conf)
{
    char err[256];
    memset(conf, 0, sizeof *conf);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        int rc = conf_set_option(conf, &conf_options[i], conf_options[i].def, err, sizeof err);
        if (rc != CP_OK)
            abort(); /* a default outside its own bounds is a programming error */
    }
    memset(conf->given, 0, sizeof conf->given);
}

static const struct conf_option *find_env(const char *name, unsigned programs)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if ((conf_options[i].programs & programs) && strcmp(conf_options[i].env, name) == 0)
            return &conf_options[i];
    return NULL;
}

void conf_apply_logging(const char *progname, const struct cp_conf *conf)
{
    enum log_format format = LOG_TEXT;
    log_format_parse(conf->log_format, &format); /* checked when it was set */
    log_init(progname, conf->log_level);
    log_set_format(format);
}

/* One file may serve every program: settings of the others are skipped,
 * names no program knows are typos, but for the original's (conf_ignored). */
struct file_ctx {
    struct cp_conf *conf;
    unsigned programs;
};

static int file_setting(void *arg, const char *name, const char *value, char *why, size_t whylen)
{
    const struct file_ctx *f = arg;
    if (take_ignored(f->conf, name))
        return CP_OK;
    if (!find_env(name, CONF_ALL_PROGRAMS)) {
        snprintf(why, whylen, "unknown setting %s", name);
        return CP_EINVAL;
    }
    return find_env(name, f->programs) ? conf_set(f->conf, f->programs, name, value, why, whylen)
                                       : CP_OK;
}

int conf_load_file(struct cp_conf *conf, unsigned programs, const char *path, char *err,
                   size_t errlen)
{
    struct file_ctx f = {conf, programs};
    return conffile_read(path, file_setting, &f, err, errlen);
}

int conf_set(struct cp_conf *conf, unsigned programs, const char *name, const char *value,
             char *err, size_t errlen)
{
    const struct conf_option *o = find_env(name, programs);
    if (!o) {
        snprintf(err, errlen, "unknown setting %s", name);
        return CP_ENOENT;
    }
    return conf_set_option(conf, o, value, err, errlen);
}

int conf_load_env(struct cp_conf *conf, unsigned programs, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct conf_option *o = &conf_options[i];
        const char *v = getenv(o->env);
        if (!(o->programs & programs) || !v)
            continue;
        int rc = conf_set_option(conf, o, v, err, errlen);
        if (rc != CP_OK)
            return rc;
    }
    for (size_t j = 0; j < N_IGNORED; j++)
        if (getenv(conf_ignored[j].env))
            take_ignored(conf, conf_ignored[j].env);
    return CP_OK;
}

bool conf_origin_allowed(const struct cp_conf *conf, const char *origin)
{
    const char *list = conf->cors_origins;
    /* No Origin means no browser (curl, CLI clients): CORS protects browsers. */
    if (*list == '\0' || !origin)
        return true;
    size_t olen = strlen(origin);
    while (*list) {
        while (*list == ',' || *list == ' ')
            list++;
        size_t n = strcspn(list, ", ");
        if (n && ((n == 1 && *list == '*') || (n == olen && strncasecmp(list, origin, n) == 0)))
            return true;
        list += n;
    }
    return false;
}

const char *conf_setting(const struct cp_conf *conf, size_t i, unsigned *programs, char *value,
                         size_t len)
{
    if (i >= N_OPTIONS)
        return NULL;
    const struct conf_option *o = &conf_options[i];
    const void *field = (const char *)conf + o->offset;
    *programs = o->programs;
    switch (o->type) {
    case CONF_INT: snprintf(value, len, "%d", *(const int *)field); break;
    case CONF_BOOL: snprintf(value, len, "%s", *(const bool *)field ? "true" : "false"); break;
    case CONF_LEVEL:
        snprintf(value, len, "%s", log_level_name(*(const enum log_level *)field));
        break;
    default: snprintf(value, len, "%s", (const char *)field); break;
    }
    return o->env;
}

void conf_log_ignored(const struct cp_conf *conf, const struct conf_program_info *info)
{
    bool logging = false;
    for (size_t j = 0; j < N_IGNORED && info->programs; j++) {
        if (!is_given(conf, N_OPTIONS + j))
            continue;
        if (!logging)
            conf_apply_logging(info->name, conf);
        logging = true;
        log_info("%s ignored: %s", conf_ignored[j].env, conf_ignored[j].why);
    }
}
