/* cli: the load tool's flags and the options derived from them; see cli.h. */
#include "config.h"

#include "cli.h"

#include "lopts.h"

#include "conf.h"
#include "cp_error.h"
#include "price.h"
#include "strlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Defaults, printed by --help from these same values. */
#define DEF_URL "ws://127.0.0.1:3000/ws"
#define DEF_CLIENTS 1000
#define DEF_RAMP 5.0
#define DEF_SUSTAIN 10.0
#define DEF_CONNECT_TIMEOUT 10000
#define DEF_MAX_PENDING 500
/* Clients per 127.0.0.x source address.  Linux's connect() tries the even
 * half of ip_local_port_range first (about 14,000 ports by default) and walks
 * every used one before taking an odd port, so past ~14,000 clients on one
 * source each connect() scans thousands of ports (__inet_hash_connect):
 * at 25,000 per source the load tool spent 60-75 % of its CPU there and
 * starved the server it measures.  5,000 keeps each source's even ports
 * about a third used. */
#define DEF_PER_SOURCE 5000
#define DEF_MIN_CONNECTED 99.0
#define DEF_MAX_AVG_LATENCY 100.0
#define DEF_MAX_ERRORS 1.0
#define STR2(x) #x
#define STR(x) STR2(x)

static int parse_num(const char *arg, double lo, double hi, double *out, char *err, size_t n)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= lo && v <= hi)) {
        snprintf(err, n, "bad number '%s' (%g..%g)", arg, lo, hi);
        return CP_EINVAL;
    }
    *out = v;
    return CP_OK;
}

#define NUM_FLAG(fn, field, lo, hi, cast)                                                          \
    static int fn(void *ctx, const char *arg, char *err, size_t n)                                 \
    {                                                                                              \
        double v;                                                                                  \
        int rc = parse_num(arg, lo, hi, &v, err, n);                                               \
        if (rc == CP_OK)                                                                           \
            ((struct cli *)ctx)->field = (cast)v;                                                  \
        return rc;                                                                                 \
    }
NUM_FLAG(f_clients, o.clients, 1, 10000000, int64_t)
NUM_FLAG(f_warm, warm_s, 0, 86400, double)
NUM_FLAG(f_warm_n, warm_n, 0, 10000000, int64_t)
NUM_FLAG(f_ramp, ramp_s, 0, 86400, double)
NUM_FLAG(f_spike, spike_s, 0, 86400, double)
NUM_FLAG(f_spike_n, spike_n, 0, 10000000, int64_t)
NUM_FLAG(f_sustain, sustain_s, 0, 86400, double)
NUM_FLAG(f_cool, cool_s, 0, 86400, double)
NUM_FLAG(f_ctimeout, o.connect_timeout_ms, 1, 3600000, int)
NUM_FLAG(f_pending, o.max_pending, 1, 1000000, int)
NUM_FLAG(f_rate, o.rate, 0, 10000000, int)
NUM_FLAG(f_workers, o.workers, 1, 256, int)
NUM_FLAG(f_per_source, o.per_source, 0, 60000, int)
NUM_FLAG(f_min_conn, o.min_connected_pct, 0, 100, double)
NUM_FLAG(f_max_avg, o.max_avg_latency_ms, 0, 1e9, double)
NUM_FLAG(f_max_p99, o.max_p99_latency_ms, 0, 1e9, double)
NUM_FLAG(f_max_err, o.max_error_pct, 0, 100, double)
NUM_FLAG(f_seed, o.seed, 0, 4294967295.0, unsigned)

static int f_str(char *dst, size_t cap, const char *arg, const char *what, char *err, size_t n)
{
    if (strlen(arg) >= cap) {
        snprintf(err, n, "%s too long", what);
        return CP_EINVAL;
    }
    strcpy(dst, arg);
    return CP_OK;
}
static int f_url(void *ctx, const char *a, char *e, size_t n)
{
    return f_str(((struct cli *)ctx)->url, sizeof((struct cli *)ctx)->url, a, "URL", e, n);
}
static int f_sub(void *ctx, const char *a, char *e, size_t n)
{
    return f_str(((struct cli *)ctx)->sub, sizeof((struct cli *)ctx)->sub, a, "--subscribe", e, n);
}
static int f_pid(void *ctx, const char *a, char *e, size_t n)
{
    if (lopts_pids(a, e, n) < 0)
        return CP_EINVAL;
    return f_str(((struct cli *)ctx)->o.pids, sizeof((struct cli *)ctx)->o.pids, a, "--pid", e, n);
}
static int f_ticks(void *ctx, const char *a, char *e, size_t n)
{
    struct cli *c = ctx;
    return f_str(c->o.ticks_file, sizeof c->o.ticks_file, a, "--ticks-file", e, n);
}
static int f_deflate(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->o.deflate = true;
    return CP_OK;
}
static int f_no_snapshot(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->o.snapshot = false;
    return CP_OK;
}
static int f_storm(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->o.storm = true;
    return CP_OK;
}
static int f_url_subscribe(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->o.url_subscribe = true;
    return CP_OK;
}
static int f_quiet(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->quiet = true;
    return CP_OK;
}
static int f_no_progress(void *ctx, const char *a, char *e, size_t n)
{
    ((struct cli *)ctx)->no_progress = true;
    return CP_OK;
}

static int f_symbols(void *ctx, const char *arg, char *err, size_t n)
{
    ((struct cli *)ctx)->symbols_given = true;
    return lopts_symbols(&((struct cli *)ctx)->o, arg, err, n);
}

static const struct conf_extra_flag flags[] = {
    {"url", 'u', 1, "URL",
     "ws://HOST:PORT/PATH (WebSocket), http://HOST:PORT/PATH (SSE) or socketio://HOST:PORT/PATH "
     "(Socket.IO, path /socket.io/ if none) [default: " DEF_URL "]",
     f_url},
    {"clients", 'n', 1, "N", "clients to hold in ramp and sustain [default: " STR(DEF_CLIENTS) "]",
     f_clients},
    {"deflate", 0, 0, NULL, "offer permessage-deflate (WebSocket, Socket.IO)", f_deflate},
    {"subscribe", 's', 1, "SPEC",
     "'*', one SYMBOL, random:K (K random symbols of --symbols) or none [default: *]", f_sub},
    {"symbols", 0, 1, "LIST", "symbols random:K picks from [SYMBOLS, default: the mock feeder's]",
     f_symbols},
    {"no-snapshot", 0, 0, NULL, "the server sends no snapshot first (a peer such as nchan)",
     f_no_snapshot},
    {"storm", 0, 0, NULL,
     "reconnect storm: a client that loses its connection reconnects with the dashboard's "
     "backoff and resumes with since (WebSocket; with --subscribe none, live at the handshake)",
     f_storm},
    {"url-subscribe", 0, 0, NULL,
     "WebSocket: subscribe (and resume) in the handshake's URL, ?symbols=...&since=..., instead "
     "of with a subscribe message",
     f_url_subscribe},
    {"warmup", 0, 1, "SEC", "warm-up: open --warmup-clients linearly [default: 0]", f_warm},
    {"warmup-clients", 0, 1, "N", "clients at the end of the warm-up [default: a tenth of N]",
     f_warm_n},
    {"ramp", 0, 1, "SEC", "ramp: linearly up to N clients [default: " STR(DEF_RAMP) "]", f_ramp},
    {"spike", 0, 1, "SEC", "spike: jump to --spike-clients and hold [default: 0]", f_spike},
    {"spike-clients", 0, 1, "N", "clients during the spike [default: 1.2 N]", f_spike_n},
    {"sustain", 0, 1, "SEC",
     "sustain: hold N clients; rates are measured here [default: " STR(DEF_SUSTAIN) "]", f_sustain},
    {"cooldown", 0, 1, "SEC", "cool-down: close linearly down to 0 [default: 0]", f_cool},
    {"connect-timeout", 0, 1, "MS",
     "time allowed to connect and shake hands [default: " STR(DEF_CONNECT_TIMEOUT) "]", f_ctimeout},
    {"max-pending", 0, 1, "N",
     "handshakes in flight per worker [default: " STR(DEF_MAX_PENDING) "]", f_pending},
    {"rate", 'r', 1, "N", "new connections per second, 0 for no limit [default: 0]", f_rate},
    {"workers", 'w', 1, "N", "worker processes [default: enough for the open-file limit]",
     f_workers},
    {"per-source", 0, 1, "N",
     "clients per 127.0.0.x source address, 0 to let the kernel choose [default: " STR(
         DEF_PER_SOURCE) "]",
     f_per_source},
    {"pid", 0, 1, "LIST", "server pids (comma list) whose RSS and CPU to read from /proc", f_pid},
    {"ticks-file", 0, 1, "FILE", "write 'TICK-ID CLIENTS' for every tick received", f_ticks},
    {"min-connected", 0, 1, "PCT",
     "success: at least PCT % of the clients wanted connected [default: " STR(
         DEF_MIN_CONNECTED) "]",
     f_min_conn},
    {"max-avg-latency", 0, 1, "MS",
     "success: average latency at most MS [default: " STR(DEF_MAX_AVG_LATENCY) "]", f_max_avg},
    {"max-p99-latency", 0, 1, "MS", "success: p99 latency at most MS, 0 to skip [default: 0]",
     f_max_p99},
    {"max-errors", 0, 1, "PCT",
     "success: errors at most PCT % of the clients attempted [default: " STR(DEF_MAX_ERRORS) "]",
     f_max_err},
    {"seed", 0, 1, "N", "random seed [default: the pid]", f_seed},
    {"no-progress", 0, 0, NULL, "no progress line, even on a terminal", f_no_progress},
    {"quiet", 'q', 0, NULL, "print only the JSON line", f_quiet},
    {NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- SYMBOLS, the one setting ---------------------------------------------- */

/* The --config file as conf_parse_args() found it: the last -c/--config
 * before "--", else CRYPTOPULSE_CONFIG. */
static const char *config_path(int argc, char **argv)
{
    const char *path = getenv("CRYPTOPULSE_CONFIG");
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    return path;
}

/* Without --symbols, the list is the feeder's SYMBOLS setting: its
 * default, the environment, then the --config file.  The tool has no
 * other setting (its own options are flags alone), so conf reads the file
 * as the feeder would only to take SYMBOLS from it. */
static int symbols_setting(struct cli *c, int argc, char **argv)
{
    struct cp_conf feeder;
    char err[CONF_LIST_MAX + 128];
    conf_defaults(&feeder);
    const char *env = getenv("SYMBOLS"), *path = config_path(argc, argv);
    int rc = env ? conf_set(&feeder, CONF_FEEDER, "SYMBOLS", env, err, sizeof err) : CP_OK;
    if (rc == CP_OK && path && *path)
        rc = conf_load_file(&feeder, CONF_FEEDER, path, err, sizeof err);
    if (rc == CP_OK)
        rc = lopts_symbols(&c->o, feeder.symbols, err, sizeof err);
    if (rc != CP_OK)
        fprintf(stderr, "cryptopulse-load: %s\n", err);
    return rc;
}

/* ---- URL and derived options ---------------------------------------------- */

/* Check the URL and resolve its host (IPv4). */
static int parse_url(struct load_opts *o, const char *url)
{
    char err[700];
    if (lopts_url(o, url, err, sizeof err) != CP_OK) {
        fprintf(stderr, "cryptopulse-load: %s\n", err);
        return CP_EINVAL;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(o->host, NULL, &hints, &ai) != 0) {
        fprintf(stderr, "cryptopulse-load: cannot resolve the host of '%s'\n", url);
        return CP_ENOENT;
    }
    memcpy(&o->dst, ai->ai_addr, sizeof o->dst);
    o->dst.sin_port = htons((uint16_t)o->port);
    freeaddrinfo(ai);
    return CP_OK;
}

static int parse_sub(struct load_opts *o, const char *spec)
{
    if (strcmp(spec, "*") == 0) {
        o->sub = LOAD_SUB_ALL;
    } else if (strcmp(spec, "none") == 0) {
        o->sub = LOAD_SUB_NONE;
    } else if (strncmp(spec, "random:", 7) == 0) {
        o->sub = LOAD_SUB_RANDOM;
        o->k = atoi(spec + 7);
        if (o->k < 1 || o->k > o->nsymbols)
            return CP_EINVAL;
    } else if (price_symbol_valid(spec)) {
        o->sub = LOAD_SUB_ONE;
        strlist_copy(spec, strlen(spec), o->symbol, sizeof o->symbol); /* valid: it fits */
    } else {
        return CP_EINVAL;
    }
    return CP_OK;
}

static int finish_opts(struct cli *c)
{
    struct load_opts *o = &c->o;
    if (parse_url(o, c->url) != CP_OK)
        return 2;
    if (o->deflate && o->transport == LOAD_SSE) {
        fprintf(stderr, "cryptopulse-load: --deflate needs a ws:// or socketio:// URL, not '%s'\n",
                c->url);
        return 2;
    }
    if (o->storm && o->transport != LOAD_WS) {
        fprintf(stderr, "cryptopulse-load: --storm needs a ws:// URL, not '%s'\n", c->url);
        return 2;
    }
    if (parse_sub(o, c->sub) != CP_OK) {
        fprintf(stderr, "cryptopulse-load: bad --subscribe '%s' (random:K takes K of %d symbols)\n",
                c->sub, o->nsymbols);
        return 2;
    }
    if (c->warm_n < 0)
        c->warm_n = o->clients / 10;
    if (c->spike_n < 0)
        c->spike_n = o->clients + o->clients / 5;
    phase_plan_build(&o->plan, o->clients, llround(c->warm_s * 1000), c->warm_n,
                     llround(c->ramp_s * 1000), llround(c->spike_s * 1000), c->spike_n,
                     llround(c->sustain_s * 1000), llround(c->cool_s * 1000));
    if (o->plan.n == 0) {
        fprintf(stderr, "cryptopulse-load: every phase lasts 0 s\n");
        return 2;
    }
    struct rlimit rl = {20000, 20000};
    getrlimit(RLIMIT_NOFILE, &rl);
    o->per_worker_max = (int)(rl.rlim_max > 1000000 ? 1000000 : rl.rlim_max) - 64;
    if (o->workers == 0)
        o->workers = (int)((o->plan.peak + o->per_worker_max - 1) / o->per_worker_max);
    if (o->workers < 1)
        o->workers = 1;
    if ((o->plan.peak + o->workers - 1) / o->workers > o->per_worker_max) {
        fprintf(stderr,
                "cryptopulse-load: %d workers cannot hold %lld clients with %d files each\n",
                o->workers, (long long)o->plan.peak, o->per_worker_max);
        return 2;
    }
    uint32_t dst = ntohl(o->dst.sin_addr.s_addr);
    o->source_base = (dst >> 24) == 127 && o->per_source > 0 ? 0x7F000001u : 0;
    if (o->source_base && (o->plan.peak - 1) / o->per_source > 250) {
        fprintf(stderr, "cryptopulse-load: too many clients for 127.0.0.x at --per-source %d\n",
                o->per_source);
        return 2;
    }
    return 0;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
    struct cp_conf conf;
    memset(c, 0, sizeof *c);
    snprintf(c->url, sizeof c->url, "%s", DEF_URL);
    snprintf(c->sub, sizeof c->sub, "*");
    c->o.clients = DEF_CLIENTS;
    c->o.snapshot = true;
    c->warm_n = c->spike_n = -1;
    c->ramp_s = DEF_RAMP;
    c->sustain_s = DEF_SUSTAIN;
    c->o.connect_timeout_ms = DEF_CONNECT_TIMEOUT;
    c->o.max_pending = DEF_MAX_PENDING;
    c->o.per_source = DEF_PER_SOURCE;
    c->o.min_connected_pct = DEF_MIN_CONNECTED;
    c->o.max_avg_latency_ms = DEF_MAX_AVG_LATENCY;
    c->o.max_error_pct = DEF_MAX_ERRORS;
    c->o.seed = (unsigned)getpid();
    struct conf_program_info info = {
        "cryptopulse-load",
        "Open many WebSocket, SSE or Socket.IO clients and measure a price gateway.",
        "[OPTION]...",
        0,
        flags,
        c,
        NULL};
    enum conf_args_result r = conf_parse_args(&conf, &info, argc, argv);
    if (r != CONF_ARGS_OK)
        return r == CONF_ARGS_EXIT_OK ? 0 : 2;
    if (!c->symbols_given && symbols_setting(c, argc, argv) != CP_OK)
        return 2;
    int rc = finish_opts(c);
    return rc ? rc : CLI_RUN;
}
