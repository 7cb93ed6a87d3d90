/* conf: the table of settings, and loading them from defaults, the
 * environment, a file and the command line; see conf.h.  The checks of one
 * value live in confval.c. */
#include "config.h"

#include "conf.h"
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

/* CONF_STR's min is its shortest length; CONF_SYMBOLS is a comma list of
 * distinct symbols (price_symbol_valid); CONF_CHOICE is one of the words of
 * choices ("a|b|c"), CONF_CHOICES a comma list of 1 or more distinct ones. */
enum conf_type {
    CONF_INT,
    CONF_STR,
    CONF_LEVEL,
    CONF_SYMBOLS,
    CONF_BOOL,
    CONF_ADDRS,
    CONF_CHOICE,
    CONF_CHOICES
};

/* One row per setting: its environment name, flag, type, place in struct
 * cp_conf, bounds, default (as text, so --help prints the real default), and
 * the programs that read it. */
struct conf_option {
    const char *env;
    const char *flag;
    char short_name;
    enum conf_type type;
    size_t offset;
    size_t size;
    long min, max;
    const char *def;
    unsigned programs;
    const char *help;
};

#define ALL CONF_ALL_PROGRAMS
#define GW CONF_GATEWAY
#define FD CONF_FEEDER
#define FIELD(f) offsetof(struct cp_conf, f), sizeof(((struct cp_conf *)0)->f)

static const struct conf_option conf_options[] = {
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
     600000, "10000", GW, "time allowed for a request head, ms"},
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
     "worker processes (0: one if CLUSTER_ENABLED is false, else sized to cores and fds)"},
    {"INSTANCE_ID", "instance-id", 0, CONF_STR, FIELD(instance_id), 0, 0, "", GW,
     "name of this gateway in /stats (empty: host name and port)"},
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
};
#define N_OPTIONS (sizeof conf_options / sizeof conf_options[0])

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

_Static_assert(N_OPTIONS <= 8 * sizeof((struct cp_conf *)0)->given, "cp_conf.given too small");

/* Set and remember that o did not keep its default (conf_given). */
static int set_option(struct cp_conf *conf, const struct conf_option *o, const char *value,
                      char *err, size_t errlen)
{
    int rc = parse_option(conf, o, value, err, errlen);
    size_t i = (size_t)(o - conf_options);
    if (rc == CP_OK)
        conf->given[i / 64] |= 1ULL << (i % 64);
    return rc;
}

bool conf_given(const struct cp_conf *conf, const char *env)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(conf_options[i].env, env) == 0)
            return conf->given[i / 64] & (1ULL << (i % 64));
    return false;
}

void conf_defaults(struct cp_conf *conf)
{
    char err[256];
    memset(conf, 0, sizeof *conf);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        int rc = set_option(conf, &conf_options[i], conf_options[i].def, err, sizeof err);
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
 * names no program knows are typos. */
struct file_ctx {
    struct cp_conf *conf;
    unsigned programs;
};

static int file_setting(void *arg, const char *name, const char *value, char *why, size_t whylen)
{
    const struct file_ctx *f = arg;
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
    return set_option(conf, o, value, err, errlen);
}

int conf_load_env(struct cp_conf *conf, unsigned programs, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct conf_option *o = &conf_options[i];
        const char *v = getenv(o->env);
        if (!(o->programs & programs) || !v)
            continue;
        int rc = set_option(conf, o, v, err, errlen);
        if (rc != CP_OK)
            return rc;
    }
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

/* ---- command line ---------------------------------------------------- */

/* A flag found on the command line, resolved against the generic table or
 * the program's extras. */
struct conf_flag_match {
    const struct conf_option *option;
    const struct conf_extra_flag *extra;
    const char *inline_arg; /* after '=' in --name=value, or NULL */
};

static bool match_long(const char *arg, const char *name, const char **inline_arg)
{
    size_t n = strlen(name);
    if (strncmp(arg + 2, name, n) != 0)
        return false;
    if (arg[2 + n] == '\0') {
        *inline_arg = NULL;
        return true;
    }
    if (arg[2 + n] == '=') {
        *inline_arg = arg + 3 + n;
        return true;
    }
    return false;
}

static bool find_flag(const struct conf_program_info *info, const char *arg,
                      struct conf_flag_match *m)
{
    memset(m, 0, sizeof *m);
    bool is_long = arg[1] == '-';
    for (const struct conf_extra_flag *x = info->extra; x && x->long_name; x++) {
        if (is_long ? match_long(arg, x->long_name, &m->inline_arg)
                    : (x->short_name && arg[1] == x->short_name && arg[2] == '\0')) {
            m->extra = x;
            return true;
        }
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct conf_option *o = &conf_options[i];
        if (!(o->programs & info->programs))
            continue;
        if (is_long ? match_long(arg, o->flag, &m->inline_arg)
                    : (o->short_name && arg[1] == o->short_name && arg[2] == '\0')) {
            m->option = o;
            return true;
        }
    }
    return false;
}

static void usage_line(FILE *out, char short_name, const char *long_name, const char *arg,
                       const char *help, const char *env, const char *def)
{
    char left[64];
    snprintf(left, sizeof left, "%c%c%s--%s%s%s", short_name ? '-' : ' ',
             short_name ? short_name : ' ', short_name ? ", " : "  ", long_name, arg ? " " : "",
             arg ? arg : "");
    fprintf(out, "  %-36s %s", left, help);
    if (env)
        fprintf(out, " [%s, default: %s]", env, *def ? def : "\"\"");
    fputc('\n', out);
}

void conf_usage(const struct conf_program_info *info, void *stream)
{
    FILE *out = stream;
    fprintf(out, "Usage: %s %s\n%s\n\nOptions:\n", info->name, info->usage, info->summary);
    for (const struct conf_extra_flag *x = info->extra; x && x->long_name; x++)
        usage_line(out, x->short_name, x->long_name, x->has_arg ? x->arg_name : NULL, x->help, NULL,
                   NULL);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct conf_option *o = &conf_options[i];
        if (o->programs & info->programs)
            usage_line(out, o->short_name, o->flag,
                       o->type == CONF_INT    ? "N"
                       : o->type == CONF_BOOL ? "BOOL"
                                              : "VALUE",
                       o->help, o->env, o->def);
    }
    usage_line(out, 'c', "config", "FILE",
               "read NAME=value settings from FILE "
               "[CRYPTOPULSE_CONFIG]",
               NULL, NULL);
    usage_line(out, 'h', "help", NULL, "show this help and exit", NULL, NULL);
    usage_line(out, 'V', "version", NULL, "show the version and exit", NULL, NULL);
    fprintf(out,
            "\nSettings come from the environment, then the --config file, then flags;\n"
            "later sources win.  See %s(1).\n",
            info->name);
}

static bool is_flag(const char *arg, char short_name, const char *long_name)
{
    return (arg[0] == '-' && arg[1] == short_name && arg[2] == '\0') ||
           (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, long_name) == 0);
}

/* First pass: --help, --version and the config file path, which must be known
 * before the sources are applied in priority order. */
static enum conf_args_result prescan(const struct conf_program_info *info, int argc, char **argv,
                                     const char **config_path)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_flag(argv[i], 'h', "help")) {
            conf_usage(info, stdout);
            return CONF_ARGS_EXIT_OK;
        }
        if (is_flag(argv[i], 'V', "version")) {
            printf("%s %s\n", info->name, PACKAGE_VERSION);
            return CONF_ARGS_EXIT_OK;
        }
        if (is_flag(argv[i], 'c', "config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: --config needs a FILE\n", info->name);
                return CONF_ARGS_USAGE;
            }
            *config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            *config_path = argv[i] + 9;
        }
    }
    return CONF_ARGS_OK;
}

static int apply_flag(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                      char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    struct conf_flag_match m;
    if (!find_flag(info, arg, &m)) {
        snprintf(err, errlen, "unknown option %s", arg);
        return CP_EINVAL;
    }
    bool wants_arg = m.option ? true : m.extra->has_arg;
    const char *value = m.inline_arg;
    if (wants_arg && !value) {
        if (*i + 1 >= argc) {
            snprintf(err, errlen, "option %s needs a value", arg);
            return CP_EINVAL;
        }
        value = argv[++*i];
    } else if (!wants_arg && value) {
        snprintf(err, errlen, "option %s takes no value", arg);
        return CP_EINVAL;
    }
    if (m.option)
        return set_option(conf, m.option, value, err, errlen);
    return m.extra->handle(info->ctx, value, err, errlen);
}

/* Defaults, environment, the file, then flags, into conf; CP_OK or an error
 * with the reason in err. */
static int parse_settings(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                          char **argv, const char *config_path, char *err, size_t errlen)
{
    conf_defaults(conf);
    int rc = conf_load_env(conf, info->programs, err, errlen);
    if (rc == CP_OK && config_path && *config_path)
        rc = conf_load_file(conf, info->programs, config_path, err, errlen);
    bool positional_only = false;
    for (int i = 1; rc == CP_OK && i < argc; i++) {
        const char *arg = argv[i];
        if (!positional_only && strcmp(arg, "--") == 0) {
            positional_only = true;
        } else if (!positional_only && is_flag(arg, 'c', "config")) {
            i++; /* applied above */
        } else if (!positional_only && strncmp(arg, "--config=", 9) == 0) {
            continue;
        } else if (!positional_only && arg[0] == '-' && arg[1] != '\0') {
            rc = apply_flag(conf, info, argc, argv, &i, err, errlen);
        } else if (info->positional) {
            rc = info->positional(info->ctx, arg, err, errlen);
        } else {
            snprintf(err, errlen, "unexpected argument %s", arg);
            rc = CP_EINVAL;
        }
    }
    return rc;
}

enum conf_args_result conf_parse_args(struct cp_conf *conf, const struct conf_program_info *info,
                                      int argc, char **argv)
{
    const char *config_path = getenv("CRYPTOPULSE_CONFIG");
    enum conf_args_result r = prescan(info, argc, argv, &config_path);
    if (r != CONF_ARGS_OK)
        return r;
    char err[CONF_LIST_MAX + 128];
    if (parse_settings(conf, info, argc, argv, config_path, err, sizeof err) != CP_OK) {
        fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", info->name, err,
                info->name);
        return CONF_ARGS_USAGE;
    }
    return CONF_ARGS_OK;
}

int conf_reparse_args(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                      char **argv, char *err, size_t errlen)
{
    const char *config_path = getenv("CRYPTOPULSE_CONFIG");
    if (prescan(info, argc, argv, &config_path) != CONF_ARGS_OK) {
        snprintf(err, errlen, "the command line no longer parses");
        return CP_EINVAL;
    }
    return parse_settings(conf, info, argc, argv, config_path, err, errlen);
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
