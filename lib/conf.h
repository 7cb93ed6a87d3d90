/* conf: the settings every CryptoPulse program reads, from (in rising priority)
 * built-in defaults, environment variables, an optional NAME=value file, and
 * command-line flags.  Names follow docs/PROTOCOL.md §6.  Loaded in main(),
 * and again on SIGHUP (conf_reparse_args; confreload.h applies the result);
 * read-only otherwise.  struct cp_conf is a plain value: nothing to free. */
#ifndef CP_CONF_H
#define CP_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define CONF_STR_MAX 256
#define CONF_LIST_MAX 1024

/* Which programs use a setting: --help and the loaders only show and accept a
 * setting in the programs whose bit is set. */
enum conf_program {
    CONF_GATEWAY = 1 << 0,
    CONF_FEEDER = 1 << 1,
    CONF_FCGI = 1 << 2,
    CONF_ALL_PROGRAMS = CONF_GATEWAY | CONF_FEEDER | CONF_FCGI,
};

struct cp_conf {
    char host[CONF_STR_MAX];              /* HOST: listen address */
    int port;                             /* PORT */
    int tls_port;                         /* TLS_PORT: wss:// and https://, 0 = off */
    char tls_cert_file[CONF_STR_MAX];     /* TLS_CERT_FILE: PEM certificate chain */
    char tls_key_file[CONF_STR_MAX];      /* TLS_KEY_FILE: PEM private key */
    char redis_host[CONF_STR_MAX];        /* REDIS_HOST */
    int redis_port;                       /* REDIS_PORT */
    char redis_password[CONF_STR_MAX];    /* REDIS_PASSWORD, empty = none */
    int redis_db;                         /* REDIS_DB */
    char redis_prefix[CONF_STR_MAX];      /* REDIS_PREFIX, prepended to every key */
    int redis_timeout_ms;                 /* REDIS_TIMEOUT_MS: connect/command */
    char redis_sentinels[CONF_LIST_MAX];  /* REDIS_SENTINELS: host:port list, "" = none */
    char redis_master_name[CONF_STR_MAX]; /* REDIS_MASTER_NAME: the Sentinel master */
    int update_interval_ms;               /* UPDATE_INTERVAL_MS: feeder tick period */
    int price_ttl_seconds;                /* PRICE_TTL_SECONDS: price cache TTL */
    int history_length;                   /* HISTORY_LENGTH: ticks kept in the stream */
    /* CANDLE_RETENTION_{1M,5M,1H,1D}_DAYS, indexed by candles.h's enum */
    int candle_retention_days[4];
    int max_messages_per_second;         /* MAX_MESSAGES_PER_SECOND, per client */
    int max_message_bytes;               /* MAX_MESSAGE_BYTES, client message limit */
    int max_connections;                 /* MAX_CONNECTIONS per gateway process */
    int max_connections_per_ip;          /* MAX_CONNECTIONS_PER_IP, 0 = no limit */
    int max_head_bytes;                  /* MAX_HEAD_BYTES: HTTP request line + headers */
    int max_headers;                     /* MAX_HEADERS: header lines per request */
    int max_output_bytes;                /* MAX_OUTPUT_BYTES: per-client queued output */
    int max_tick_bytes;                  /* MAX_TICK_BYTES: larger ticks from Redis skipped */
    int output_high_water_bytes;         /* OUTPUT_HIGH_WATER_BYTES: conflate beyond */
    int slow_client_timeout_ms;          /* SLOW_CLIENT_TIMEOUT_MS: conflating this long: drop */
    int handshake_timeout_ms;            /* HANDSHAKE_TIMEOUT_MS */
    int max_subscriptions;               /* MAX_SUBSCRIPTIONS per client */
    int ws_ping_interval_ms;             /* WS_PING_INTERVAL_MS: silence before a ping */
    int ws_pong_timeout_ms;              /* WS_PONG_TIMEOUT_MS: silence after it, then close */
    int sse_keepalive_ms;                /* SSE_KEEPALIVE_MS: comment interval */
    char cors_origins[CONF_LIST_MAX];    /* CORS_ORIGINS: comma list, empty = all */
    char www_root[CONF_STR_MAX];         /* WWW_ROOT: dashboard files, empty = off */
    char symbols[CONF_LIST_MAX];         /* SYMBOLS: comma list for the mock feeder */
    bool cluster_enabled;                /* CLUSTER_ENABLED: supervisor + workers */
    int workers;                         /* WORKERS, 0 = automatic */
    char instance_id[CONF_STR_MAX];      /* INSTANCE_ID, "" = host:port */
    int stats_interval_ms;               /* STATS_INTERVAL_MS */
    char feed_mode[16];                  /* FEED_MODE: mock, replay or live */
    char feed_sources[CONF_STR_MAX];     /* FEED_SOURCES: exchanges, in order of preference */
    char binance_ws_url[CONF_STR_MAX];   /* BINANCE_WS_URL */
    char coinbase_ws_url[CONF_STR_MAX];  /* COINBASE_WS_URL */
    char kraken_ws_url[CONF_STR_MAX];    /* KRAKEN_WS_URL */
    char feed_symbol_map[CONF_LIST_MAX]; /* FEED_SYMBOL_MAP: exchange:SYMBOL=INSTRUMENT list */
    char feed_ca_file[CONF_STR_MAX];     /* FEED_CA_FILE: extra trusted CAs, "" = none */
    int source_stale_ms;                 /* SOURCE_STALE_MS: a silent source is stale */
    int max_deviation_pct;               /* MAX_DEVIATION_PCT: outlier threshold, percent */
    int source_reconnect_ms;             /* SOURCE_RECONNECT_MS: planned reconnect age */
    enum log_level log_level;            /* LOG_LEVEL */
    char log_format[8];                  /* LOG_FORMAT: text or json (log_format_parse) */
    bool log_connections;                /* LOG_CONNECTIONS: a line per closed connection */
    bool socketio_enabled;               /* SOCKETIO_ENABLED: serve Socket.IO clients */
    char socketio_path[CONF_STR_MAX];    /* SOCKETIO_PATH: its endpoint, "/socket.io/" */
    int socketio_ping_interval_ms;       /* SOCKETIO_PING_INTERVAL_MS: Engine.IO pingInterval */
    int socketio_ping_timeout_ms;        /* SOCKETIO_PING_TIMEOUT_MS: Engine.IO pingTimeout */
    int socketio_max_payload_bytes;      /* SOCKETIO_MAX_PAYLOAD_BYTES: Engine.IO maxPayload */
    char socketio_route[CONF_STR_MAX]; /* SOCKETIO_ROUTE: ".route" ending session ids, "" = PORT */
    unsigned long long given[2];       /* bit i: setting i came from env, file or flag */
};

/* Fill conf with the built-in defaults (docs/PROTOCOL.md §6). */
void conf_defaults(struct cp_conf *conf);

/* True when the setting named env ("MAX_CONNECTIONS") was given by the
 * environment, the file or a flag, false when conf holds its default.  Also
 * true for a setting of the original Node.js server that was given and is
 * ignored ("NODE_ENV"). */
bool conf_given(const struct cp_conf *conf, const char *env);

/* Set one setting by its environment name ("PORT") from text, validating it.
 * Returns 0, CP_ENOENT for a name not used by programs, or CP_EINVAL with a
 * message naming the setting and the value written into err (errlen bytes). */
int conf_set(struct cp_conf *conf, unsigned programs, const char *name, const char *value,
             char *err, size_t errlen);

/* Apply every environment variable named like a setting of programs, and
 * note (conf_given) the original Node.js server's NODE_ENV, which changes
 * nothing.  Returns 0 or CP_EINVAL with err filled as conf_set. */
int conf_load_env(struct cp_conf *conf, unsigned programs, char *err, size_t errlen);

/* Start (or, after a reload, change) logging as conf says: progname, LOG_LEVEL
 * and LOG_FORMAT (log.h). */
void conf_apply_logging(const char *progname, const struct cp_conf *conf);

/* Read a --config file (conffile.h: NAME=value lines).  Settings of other
 * programs are skipped, so one file can serve all; names no program knows
 * are an error, so typos do not pass silently, except NODE_ENV: the original
 * Node.js server's .env works unchanged (noted, conf_given, and ignored).
 * Returns 0, CP_ENOENT if the file cannot be opened, CP_EIO, CP_ESYNTAX or
 * CP_EINVAL with "path:line: reason" in err. */
int conf_load_file(struct cp_conf *conf, unsigned programs, const char *path, char *err,
                   size_t errlen);

/* Result of conf_parse_args for one program. */
enum conf_args_result { CONF_ARGS_OK = 0, CONF_ARGS_EXIT_OK = 1, CONF_ARGS_USAGE = 2 };

/* A program's own flag.  has_arg: 0 none, 1 required.  handle() gets the
 * argument (NULL for none) and returns 0 or a negative code with err filled. */
struct conf_extra_flag {
    const char *long_name;
    char short_name;
    int has_arg;
    const char *arg_name;
    const char *help;
    int (*handle)(void *ctx, const char *arg, char *err, size_t errlen);
};

/* Describe the program for --help/--version. */
struct conf_program_info {
    const char *name;                    /* "cryptopulse-gateway" */
    const char *summary;                 /* one line */
    const char *usage;                   /* "[OPTION]..." */
    unsigned programs;                   /* CONF_* bit */
    const struct conf_extra_flag *extra; /* NULL-terminated by long_name */
    void *ctx;                           /* passed to extra handlers and to positional() */
    /* Positional arguments; NULL means none are accepted. */
    int (*positional)(void *ctx, const char *arg, char *err, size_t errlen);
};

/* The whole start-up sequence: defaults, environment, the file named by
 * --config FILE (or the CRYPTOPULSE_CONFIG variable), then flags.  Handles
 * -h/--help (usage on stdout) and -V/--version.  Prints errors to stderr.
 * A NODE_ENV given is named in one info line, logging set up for it as
 * conf_apply_logging does (not for a program of no CONF_* bit).
 * Returns CONF_ARGS_OK to run, CONF_ARGS_EXIT_OK after --help/--version, or
 * CONF_ARGS_USAGE (exit status 2) on a bad flag or value. */
enum conf_args_result conf_parse_args(struct cp_conf *conf, const struct conf_program_info *info,
                                      int argc, char **argv);

/* The same settings again, for a reload (SIGHUP) of a program that started
 * with argc/argv: nothing is printed.  Returns CP_OK with conf filled, or
 * CP_EINVAL with the reason (naming the file, line and value) in err. */
int conf_reparse_args(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                      char **argv, char *err, size_t errlen);

/* Setting number i (0, 1, ... in the order of --help) for a reload to
 * compare: returns its environment name ("PORT") and sets *programs to the
 * CONF_* bits of the programs that read it and value (len bytes, cut if
 * shorter) to its value in conf as text, the way a file would spell it
 * ("8080", "true", "debug", a string as is).  Returns NULL past the last
 * setting.  Nothing to free; the name is static. */
const char *conf_setting(const struct cp_conf *conf, size_t i, unsigned *programs, char *value,
                         size_t len);

/* Print --help text for info to stream (stdout for --help). */
void conf_usage(const struct conf_program_info *info, void *stream);

/* True when origin may connect given CORS_ORIGINS: an empty list allows all,
 * and so does a NULL origin (a client that is not a browser sends none). */
bool conf_origin_allowed(const struct cp_conf *conf, const char *origin);

#endif
