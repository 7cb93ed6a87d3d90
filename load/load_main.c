/* cryptopulse-load: opens N WebSocket or SSE clients against a CryptoPulse
 * gateway (or a peer server), follows a phase plan, and measures connection
 * success, connect time, fan-out latency, throughput, errors and the server's
 * RSS and CPU.  The parent forks the workers (each process may hold only
 * RLIMIT_NOFILE sockets), merges their reports, and prints a progress line,
 * a table and one JSON line.  Exit status: 0 when the success criteria hold,
 * 1 when one fails, 2 on a usage error. */
#include "config.h"

#include "load.h"
#include "lopts.h"
#include "verdict.h"

#include "conf.h"
#include "cp_error.h"
#include "price.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Defaults, printed by --help from these same values. */
#define DEF_URL "ws://127.0.0.1:3000/ws"
#define DEF_CLIENTS 1000
#define DEF_RAMP 5.0
#define DEF_SUSTAIN 10.0
#define DEF_CONNECT_TIMEOUT 10000
#define DEF_MAX_PENDING 500
#define DEF_PER_SOURCE 25000
#define DEF_MIN_CONNECTED 99.0
#define DEF_MAX_AVG_LATENCY 100.0
#define DEF_MAX_ERRORS 1.0
#define STR2(x) #x
#define STR(x) STR2(x)

struct cli {
    struct load_opts o;
    char url[512];
    char sub[64];
    double warm_s, ramp_s, spike_s, sustain_s, cool_s;
    int64_t warm_n, spike_n;
    bool quiet, no_progress;
    bool symbols_given; /* --symbols: the SYMBOLS setting does not apply */
};

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
     "ws://HOST:PORT/PATH (WebSocket) or http://HOST:PORT/PATH (SSE) [default: " DEF_URL "]",
     f_url},
    {"clients", 'n', 1, "N", "clients to hold in ramp and sustain [default: " STR(DEF_CLIENTS) "]",
     f_clients},
    {"deflate", 0, 0, NULL, "offer permessage-deflate (WebSocket)", f_deflate},
    {"subscribe", 's', 1, "SPEC",
     "'*', one SYMBOL, random:K (K random symbols of --symbols) or none [default: *]", f_sub},
    {"symbols", 0, 1, "LIST", "symbols random:K picks from [SYMBOLS, default: the mock feeder's]",
     f_symbols},
    {"no-snapshot", 0, 0, NULL, "the server sends no snapshot first (a peer such as nchan)",
     f_no_snapshot},
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
        snprintf(o->symbol, sizeof o->symbol, "%s", spec);
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
    if (o->deflate && o->transport != LOAD_WS) {
        fprintf(stderr, "cryptopulse-load: --deflate needs a ws:// URL, not '%s'\n", c->url);
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

/* ---- the server's RSS and CPU from /proc ----------------------------------- */

struct proc_sample {
    int64_t rss_kb;
    int64_t cpu_ticks; /* utime + stime, clock ticks */
    int64_t mono_ms;
    int ok; /* pids read */
};

static void proc_one(long pid, struct proc_sample *s)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    long long rss_pages;
    /* Fields after the command: state(3) ... utime(14) stime(15) ... rss(24). */
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                     "%*d %*d %*d %*u %*u %lld",
                     &ut, &st, &rss_pages) != 3)
        return;
    s->cpu_ticks += (int64_t)(ut + st);
    s->rss_kb += rss_pages * (sysconf(_SC_PAGESIZE) / 1024);
    s->ok++;
}

static struct proc_sample proc_sample(const char *pids)
{
    struct proc_sample s = {.mono_ms = load_mono_ms()};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pids);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        proc_one(strtol(t, NULL, 10), &s);
    return s;
}

/* Warn about each pid of the list that /proc does not know: it is not
 * measured, and with none left there is no server line. */
static void check_pids(const char *pids)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pids);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/stat", t);
        if (access(path, R_OK) != 0)
            fprintf(stderr, "cryptopulse-load: warning: --pid %s: no such process, not measured\n",
                    t);
    }
}

static double cpu_pct(struct proc_sample a, struct proc_sample b)
{
    double secs = (double)(b.mono_ms - a.mono_ms) / 1000.0;
    return secs > 0
               ? (double)(b.cpu_ticks - a.cpu_ticks) / (double)sysconf(_SC_CLK_TCK) / secs * 100
               : 0;
}

/* ---- the parent: collect, merge, report ------------------------------------ */

struct worker_pipe {
    pid_t pid;
    int fd;
    char *buf;
    size_t len, cap;
    struct load_report last;
    bool have, final;
};

struct parent {
    struct cli *c;
    struct worker_pipe *w;
    struct load_tick *ticks;
    size_t nticks, tick_cap;
};

static void take_message(struct parent *pa, struct worker_pipe *wp, uint32_t type, const char *data,
                         uint32_t len)
{
    if (type == LOAD_MSG_REPORT && len == sizeof wp->last) {
        memcpy(&wp->last, data, len);
        wp->have = true;
        wp->final = wp->last.final;
    } else if (type == LOAD_MSG_TICKS) {
        size_t n = len / sizeof(struct load_tick);
        if (pa->nticks + n > pa->tick_cap) {
            pa->tick_cap = (pa->nticks + n) * 2;
            pa->ticks = xrealloc(pa->ticks, pa->tick_cap * sizeof *pa->ticks);
        }
        memcpy(pa->ticks + pa->nticks, data, n * sizeof *pa->ticks);
        pa->nticks += n;
    }
}

/* Read what a worker wrote; false at end of file. */
static bool drain_pipe(struct parent *pa, struct worker_pipe *wp)
{
    if (wp->cap - wp->len < 65536) {
        wp->cap = wp->cap * 2 + 65536;
        wp->buf = xrealloc(wp->buf, wp->cap);
    }
    ssize_t k = read(wp->fd, wp->buf + wp->len, wp->cap - wp->len);
    if (k < 0 && errno == EINTR)
        return true;
    if (k <= 0)
        return false;
    wp->len += (size_t)k;
    size_t off = 0;
    while (wp->len - off >= 8) {
        uint32_t head[2];
        memcpy(head, wp->buf + off, 8);
        if (wp->len - off - 8 < head[1])
            break;
        take_message(pa, wp, head[0], wp->buf + off + 8, head[1]);
        off += 8 + head[1];
    }
    memmove(wp->buf, wp->buf + off, wp->len - off);
    wp->len -= off;
    return true;
}

static void merge(const struct parent *pa, struct load_report *m)
{
    memset(m, 0, sizeof *m);
    lstats_hist_init(&m->latency_us);
    lstats_hist_init(&m->connect_us);
    m->min_ticks = UINT64_MAX;
    for (int i = 0; i < pa->c->o.workers; i++) {
        const struct load_report *r = &pa->w[i].last;
        if (!pa->w[i].have)
            continue;
        m->attempted += r->attempted;
        m->connected += r->connected;
        m->open += r->open;
        m->ready += r->ready;
        m->closed_by_us += r->closed_by_us;
        m->messages += r->messages;
        m->prices += r->prices;
        m->bytes_in += r->bytes_in;
        m->ticks += r->ticks;
        m->sustain_messages += r->sustain_messages;
        m->sustain_bytes += r->sustain_bytes;
        m->sustain_prices += r->sustain_prices;
        for (int k = 0; k < CAUSE_MAX; k++)
            m->cause[k] += r->cause[k];
        m->clients_at_end += r->clients_at_end;
        if (r->clients_at_end && r->min_ticks < m->min_ticks)
            m->min_ticks = r->min_ticks;
        if (r->max_ticks > m->max_ticks)
            m->max_ticks = r->max_ticks;
        if (r->last_ready_ms > m->last_ready_ms)
            m->last_ready_ms = r->last_ready_ms;
        lstats_hist_merge(&m->latency_us, &r->latency_us);
        lstats_hist_merge(&m->connect_us, &r->connect_us);
    }
    if (m->min_ticks == UINT64_MAX)
        m->min_ticks = 0;
}

static uint64_t errors_of(const struct load_report *m)
{
    uint64_t e = 0;
    for (int k = 0; k < CAUSE_MAX; k++)
        e += m->cause[k];
    return e;
}

static void progress(const struct parent *pa, int64_t t_ms, uint64_t *last_msgs)
{
    struct load_report m;
    merge(pa, &m);
    int phase;
    int64_t target = phase_target(&pa->c->o.plan, t_ms, &phase);
    const char *name = phase < pa->c->o.plan.n ? pa->c->o.plan.phase[phase].name : "done";
    fprintf(stderr, "\r\033[K%-9s %5.1fs  open %llu/%lld  failed %llu  msg/s %llu  p99 %.1f ms",
            name, (double)t_ms / 1000, (unsigned long long)m.open, (long long)target,
            (unsigned long long)errors_of(&m), (unsigned long long)(m.messages - *last_msgs),
            (double)lstats_hist_percentile(&m.latency_us, 99) / 1000);
    *last_msgs = m.messages;
}

static int cmp_tick(const void *a, const void *b)
{
    const struct load_tick *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sum the workers' counts per tick and write them oldest first. */
static void write_ticks(struct parent *pa)
{
    qsort(pa->ticks, pa->nticks, sizeof *pa->ticks, cmp_tick);
    FILE *f = fopen(pa->c->o.ticks_file, "w");
    if (!f) {
        fprintf(stderr, "cryptopulse-load: cannot write %s\n", pa->c->o.ticks_file);
        return;
    }
    for (size_t i = 0; i < pa->nticks;) {
        size_t j = i;
        uint64_t n = 0;
        for (; j < pa->nticks && cmp_tick(&pa->ticks[i], &pa->ticks[j]) == 0; j++)
            n += pa->ticks[j].count;
        fprintf(f, "%lld-%llu %llu\n", (long long)pa->ticks[i].ms,
                (unsigned long long)pa->ticks[i].seq, (unsigned long long)n);
        i = j;
    }
    fclose(f);
}

/* What the parent measured around the workers. */
struct run {
    struct proc_sample p_start, p_sus_start, p_sus_end, p_end;
    int64_t rss_peak_kb;
    int64_t sus_start_wall, sus_end_wall;
    bool have_sus_start, have_sus_end;
};

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static json_t *pct_json(const struct lstats_hist *h, bool avg)
{
    json_t *j =
        json_pack("{s:f, s:f, s:f, s:f, s:I}", "p50", ms(lstats_hist_percentile(h, 50)), "p95",
                  ms(lstats_hist_percentile(h, 95)), "p99", ms(lstats_hist_percentile(h, 99)),
                  "max", ms(h->max), "samples", (json_int_t)h->count);
    if (avg)
        json_object_set_new(j, "avg", json_real(lstats_hist_mean(h) / 1000.0));
    return j;
}

static const char *transport_name(const struct load_opts *o)
{
    return o->transport == LOAD_SSE ? "sse" : o->deflate ? "websocket+deflate" : "websocket";
}

/* Check the success criteria, print the table (unless quiet) and the JSON
 * line.  Returns the exit status. */
static int report(struct parent *pa, const struct run *run)
{
    const struct cli *c = pa->c;
    const struct load_opts *o = &c->o;
    struct load_report m;
    merge(pa, &m);
    uint64_t errors = errors_of(&m);
    double avg = lstats_hist_mean(&m.latency_us) / 1000.0;
    double p99 = ms(lstats_hist_percentile(&m.latency_us, 99));
    struct verdict_in vin = {o->plan.peak,       m.attempted, m.connected, errors,
                             m.latency_us.count, avg,         p99};
    struct verdict_limits lim = {o->min_connected_pct, o->max_error_pct, o->max_avg_latency_ms,
                                 o->max_p99_latency_ms};
    double conn_pct = verdict_connected_pct(&vin), err_pct = verdict_error_pct(&vin);
    int sidx = phase_find(&o->plan, "sustain");
    double sus_s = sidx >= 0 ? (double)o->plan.phase[sidx].duration_ms / 1000.0 : 0;
    double mps = sus_s > 0 ? (double)m.sustain_messages / sus_s : 0;
    double bps = sus_s > 0 ? (double)m.sustain_bytes / sus_s : 0;
    double pps = sus_s > 0 ? (double)m.sustain_prices / sus_s : 0;

    unsigned fails = verdict_check(&vin, &lim);
    json_t *failed = json_array();
    /* In the bit order of enum verdict_failure. */
    static const char *const fail_names[] = {"connected", "avg_latency", "p99_latency", "errors"};
    for (unsigned k = 0; k < 4; k++)
        if (fails & (1u << k))
            json_array_append_new(failed, json_string(fail_names[k]));
    bool pass = fails == 0;

    json_t *causes = json_object();
    for (int k = 0; k < CAUSE_MAX; k++)
        if (m.cause[k])
            json_object_set_new(causes, load_cause_names[k], json_integer((json_int_t)m.cause[k]));
    json_t *j = json_pack(
        "{s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:f, s:I, s:o, s:o, s:f, s:f, s:f, s:I, s:I, s:I, "
        "s:I, s:I, s:f, s:o, s:I, s:I, s:I, s:I, s:b, s:o}",
        "url", c->url, "transport", transport_name(o), "clients", (json_int_t)o->clients, "workers",
        o->workers, "wanted", (json_int_t)verdict_base(&vin), "attempted", (json_int_t)m.attempted,
        "connected", (json_int_t)m.connected, "connected_pct", conn_pct, "open_at_sustain_end",
        (json_int_t)m.clients_at_end, "connect_ms", pct_json(&m.connect_us, false), "latency_ms",
        pct_json(&m.latency_us, true), "messages_per_s", mps, "bytes_per_s", bps, "prices_per_s",
        pps, "messages", (json_int_t)m.messages, "bytes", (json_int_t)m.bytes_in, "ticks_min",
        (json_int_t)m.min_ticks, "ticks_max", (json_int_t)m.max_ticks, "errors", (json_int_t)errors,
        "error_pct", err_pct, "causes", causes, "closed_by_us", (json_int_t)m.closed_by_us,
        "last_ready_ms", (json_int_t)m.last_ready_ms, "sustain_start_ms",
        (json_int_t)run->sus_start_wall, "sustain_end_ms", (json_int_t)run->sus_end_wall, "pass",
        pass, "failed", failed);
    double per_conn = 0, cpu_sus = 0, cpu_all = 0;
    if (o->pids[0] && run->p_start.ok) {
        if (m.clients_at_end)
            per_conn = (double)(run->p_sus_end.rss_kb - run->p_start.rss_kb) * 1024.0 /
                       (double)m.clients_at_end;
        cpu_sus = cpu_pct(run->p_sus_start, run->p_sus_end);
        cpu_all = cpu_pct(run->p_start, run->p_end);
        json_object_set_new(
            j, "server",
            json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "rss_start_kb",
                      (json_int_t)run->p_start.rss_kb, "rss_sustain_kb",
                      (json_int_t)run->p_sus_end.rss_kb, "rss_peak_kb",
                      (json_int_t)run->rss_peak_kb, "rss_per_conn_bytes", per_conn,
                      "cpu_pct_sustain", cpu_sus, "cpu_pct", cpu_all, "cpu_s_sustain",
                      (double)(run->p_sus_end.cpu_ticks - run->p_sus_start.cpu_ticks) /
                          (double)sysconf(_SC_CLK_TCK)));
    }
    if (!c->quiet) {
        printf("cryptopulse-load: %s (%s), %lld clients, subscribe %s, %d worker%s\n", c->url,
               transport_name(o), (long long)o->clients, c->sub, o->workers,
               o->workers > 1 ? "s" : "");
        printf("  %-14s %llu wanted, %llu attempted, %llu connected (%.2f %%), %llu open at the "
               "end of sustain\n",
               "clients", (unsigned long long)verdict_base(&vin), (unsigned long long)m.attempted,
               (unsigned long long)m.connected, conn_pct, (unsigned long long)m.clients_at_end);
        printf("  %-14s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "connect time",
               ms(lstats_hist_percentile(&m.connect_us, 50)),
               ms(lstats_hist_percentile(&m.connect_us, 95)),
               ms(lstats_hist_percentile(&m.connect_us, 99)), ms(m.connect_us.max));
        printf("  %-14s avg %.2f  p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms (%llu prices)\n",
               "latency", avg, ms(lstats_hist_percentile(&m.latency_us, 50)),
               ms(lstats_hist_percentile(&m.latency_us, 95)), p99, ms(m.latency_us.max),
               (unsigned long long)m.latency_us.count);
        printf("  %-14s %.0f messages/s, %.0f prices/s, %.2f MB/s (sustain)\n", "throughput", mps,
               pps, bps / 1e6);
        printf("  %-14s min %llu, max %llu live ticks per client\n", "ticks",
               (unsigned long long)m.min_ticks, (unsigned long long)m.max_ticks);
        printf("  %-14s %llu (%.2f %%)", "errors", (unsigned long long)errors, err_pct);
        for (int k = 0; k < CAUSE_MAX; k++)
            if (m.cause[k])
                printf("  %s %llu", load_cause_names[k], (unsigned long long)m.cause[k]);
        printf("\n");
        if (run->p_start.ok)
            printf("  %-14s RSS %.1f -> %.1f MiB (peak %.1f), %.0f bytes per client; CPU %.0f %% "
                   "in sustain\n",
                   "server", run->p_start.rss_kb / 1024.0, run->p_sus_end.rss_kb / 1024.0,
                   run->rss_peak_kb / 1024.0, per_conn, cpu_sus);
        printf("  %-14s connected >= %g %%, avg latency <= %g ms, ", "criteria",
               o->min_connected_pct, o->max_avg_latency_ms);
        if (o->max_p99_latency_ms > 0)
            printf("p99 latency <= %g ms, ", o->max_p99_latency_ms);
        printf("errors <= %g %%: %s\n", o->max_error_pct, pass ? "PASS" : "FAIL");
    }
    char *line = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line);
    free(line);
    json_decref(j);
    return pass ? 0 : 1;
}

static void sample_phases(struct parent *pa, struct run *run, int64_t t_ms)
{
    const struct load_opts *o = &pa->c->o;
    int sidx = phase_find(&o->plan, "sustain");
    if (sidx < 0)
        sidx = o->plan.n - 1;
    int64_t s0 = phase_start(&o->plan, sidx), s1 = phase_start(&o->plan, sidx + 1);
    if (!run->have_sus_start && t_ms >= s0) {
        run->have_sus_start = true;
        run->p_sus_start = proc_sample(o->pids);
        run->sus_start_wall = load_wall_us() / 1000;
    }
    if (!run->have_sus_end && t_ms >= s1) {
        run->have_sus_end = true;
        run->p_sus_end = proc_sample(o->pids);
        run->sus_end_wall = load_wall_us() / 1000;
    }
}

/* ---- stopping: the workers go when the parent goes -------------------------- */

/* SIGTERM or SIGINT received by the parent; collect() stops the workers. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* SIGTERM, and SIGINT unless the shell started us with it ignored (a
 * background job), set stop_signal; no SA_RESTART, so poll() wakes up. */
static void catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
}

/* In a new worker: the parent's handlers are not the worker's, and the
 * kernel sends SIGTERM when the parent dies, even by SIGKILL, so that no
 * worker holds its connections on after the run.  A parent gone before
 * prctl() is caught by getppid(). */
static void worker_follow_parent(pid_t parent)
{
    signal(SIGTERM, SIG_DFL);
    if (signal(SIGINT, SIG_DFL) == SIG_IGN)
        signal(SIGINT, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
}

static void spawn(struct parent *pa, int64_t start)
{
    const struct load_opts *o = &pa->c->o;
    pid_t parent = getpid();
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    for (int i = 0; i < o->workers && !stop_signal; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("cryptopulse-load: pipe");
            exit(1);
        }
        fflush(NULL);
        /* Blocked across fork(): a stop signal meant for the parent must
         * not reach the child's copy of its handler. */
        sigprocmask(SIG_BLOCK, &stops, &old);
        pid_t pid = fork();
        if (pid < 0) {
            perror("cryptopulse-load: fork");
            exit(1);
        }
        if (pid == 0) {
            worker_follow_parent(parent);
            sigprocmask(SIG_SETMASK, &old, NULL);
            close(fds[0]);
            for (int k = 0; k < i; k++)
                close(pa->w[k].fd);
            _exit(load_worker_run(o, i, fds[1], start));
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[1]);
        pa->w[i].pid = pid;
        pa->w[i].fd = fds[0];
    }
}

/* Collect reports until every worker ended or the deadline passed. */
static void collect(struct parent *pa, struct run *run, int64_t start, bool tty)
{
    const struct load_opts *o = &pa->c->o;
    int n = o->workers, alive = n;
    struct pollfd *p = xcalloc((size_t)n, sizeof *p);
    int64_t deadline = start + o->plan.total_ms + o->connect_timeout_ms + 15000;
    int64_t next_tick = start;
    uint64_t last_msgs = 0;
    while (alive > 0 && load_mono_ms() < deadline && !stop_signal) {
        for (int i = 0; i < n; i++) {
            p[i].fd = pa->w[i].fd;
            p[i].events = POLLIN;
        }
        poll(p, (nfds_t)n, 100);
        for (int i = 0; i < n; i++)
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP)) && !drain_pipe(pa, &pa->w[i])) {
                close(pa->w[i].fd);
                pa->w[i].fd = -1;
                alive--;
            }
        int64_t now = load_mono_ms();
        sample_phases(pa, run, now - start);
        if (now >= next_tick) {
            next_tick += 1000;
            struct proc_sample s = proc_sample(o->pids);
            if (s.rss_kb > run->rss_peak_kb)
                run->rss_peak_kb = s.rss_kb;
            if (tty && now >= start)
                progress(pa, now - start, &last_msgs);
        }
    }
    if (tty)
        fprintf(stderr, "\n");
    for (int i = 0; i < n; i++) {
        if (pa->w[i].pid <= 0)
            continue; /* never started: stopped during spawn() */
        if (pa->w[i].fd >= 0) {
            /* Stopped, or past the deadline. */
            kill(pa->w[i].pid, stop_signal ? SIGTERM : SIGKILL);
            close(pa->w[i].fd);
        }
        while (waitpid(pa->w[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    free(p);
}

int main(int argc, char **argv)
{
    static struct cli c;
    struct cp_conf conf;
    conf_defaults(&conf);
    snprintf(c.url, sizeof c.url, "%s", DEF_URL);
    snprintf(c.sub, sizeof c.sub, "*");
    c.o.clients = DEF_CLIENTS;
    c.o.snapshot = true;
    c.warm_n = c.spike_n = -1;
    c.ramp_s = DEF_RAMP;
    c.sustain_s = DEF_SUSTAIN;
    c.o.connect_timeout_ms = DEF_CONNECT_TIMEOUT;
    c.o.max_pending = DEF_MAX_PENDING;
    c.o.per_source = DEF_PER_SOURCE;
    c.o.min_connected_pct = DEF_MIN_CONNECTED;
    c.o.max_avg_latency_ms = DEF_MAX_AVG_LATENCY;
    c.o.max_error_pct = DEF_MAX_ERRORS;
    c.o.seed = (unsigned)getpid();
    struct conf_program_info info = {
        "cryptopulse-load",
        "Open many WebSocket or SSE clients and measure a price gateway.",
        "[OPTION]...",
        0,
        flags,
        &c,
        NULL};
    enum conf_args_result r = conf_parse_args(&conf, &info, argc, argv);
    if (r != CONF_ARGS_OK)
        return r == CONF_ARGS_EXIT_OK ? 0 : 2;
    if (!c.symbols_given && symbols_setting(&c, argc, argv) != CP_OK)
        return 2;
    int rc = finish_opts(&c);
    if (rc)
        return rc;
    check_pids(c.o.pids);
    signal(SIGPIPE, SIG_IGN);
    catch_stop_signals();
    struct parent pa = {.c = &c};
    pa.w = xcalloc((size_t)c.o.workers, sizeof *pa.w);
    struct run run = {0};
    run.p_start = proc_sample(c.o.pids);
    run.rss_peak_kb = run.p_start.rss_kb;
    int64_t start = load_mono_ms() + 200;
    spawn(&pa, start);
    collect(&pa, &run, start, !c.no_progress && !c.quiet && isatty(STDERR_FILENO));
    if (stop_signal) {
        /* No report of a run cut short: die of the signal, as asked. */
        int sig = stop_signal;
        fprintf(stderr, "cryptopulse-load: stopped by %s; workers stopped\n", strsignal(sig));
        signal(sig, SIG_DFL);
        raise(sig);
        return 1;
    }
    run.p_end = proc_sample(c.o.pids);
    if (!run.have_sus_end) {
        run.p_sus_end = run.p_end;
        run.sus_end_wall = load_wall_us() / 1000;
    }
    if (c.o.ticks_file[0])
        write_ticks(&pa);
    rc = report(&pa, &run);
    for (int i = 0; i < c.o.workers; i++)
        free(pa.w[i].buf);
    free(pa.w);
    free(pa.ticks);
    return rc;
}
