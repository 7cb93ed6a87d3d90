/* cryptopulse-feeder: produces a tick every UPDATE_INTERVAL_MS from a mock
 * random walk, a replay of CSV candles or live exchange data and writes it
 * to Redis (README.md "Redis layout", "Live prices").  This file is the
 * program's options and wiring: the feed (feed.c), the live sources
 * (exchanges.c), Redis (store.c) and the tick loop under the fail-over lease
 * (writer.c), on one libevent loop; SIGTERM/SIGINT stop the loop. */
#include "config.h"

#include "backfill.h"
#include "conf.h"
#include "confreload.h"
#include "cp_error.h"
#include "exchanges.h"
#include "feed.h"
#include "live.h"
#include "log.h"
#include "price.h"
#include "replay.h"
#include "store.h"
#include "writer.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGNAME "cryptopulse-feeder"

/* What the command line asked for beyond the shared settings. */
struct feeder_opts {
    bool mock, live, loop, have_seed;
    bool backfill; /* --backfill: the files are written as candles, then exit */
    bool replay;   /* --replay given */
    uint64_t seed;
    double speed;       /* replay: market time per wall time; 0 = a minute per tick */
    const char **files; /* borrowed from argv */
    size_t nfiles;
};

/* Everything the program wires together; built in main(). */
struct feeder {
    struct cp_conf conf;
    struct event_base *base;
    struct feed *feed;
    struct live *live;           /* live mode: the feed's rule (borrowed from the feed) */
    struct exchanges *exchanges; /* live mode: the sources */
    struct store *store;
    struct writer *writer;
    int argc; /* the command line, read again on SIGHUP */
    char **argv;
};

static int opt_mock(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->mock = true;
    return CP_OK;
}

static int opt_live(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->live = true;
    return CP_OK;
}

static int opt_file(void *ctx, const char *arg, char *err, size_t errlen)
{
    struct feeder_opts *o = ctx;
    o->files = xrealloc(o->files, (o->nfiles + 1) * sizeof *o->files);
    o->files[o->nfiles++] = arg;
    return CP_OK;
}

/* Files after the first --replay FILE are more replay files; before it, a
 * bare word is a mistake (did the user forget --replay?). */
static int opt_more_files(void *ctx, const char *arg, char *err, size_t errlen)
{
    if (((struct feeder_opts *)ctx)->nfiles == 0) {
        snprintf(err, errlen, "unexpected argument %s (replay files follow --replay FILE)", arg);
        return CP_EINVAL;
    }
    return opt_file(ctx, arg, err, errlen);
}

static int opt_replay(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->replay = true;
    return opt_file(ctx, arg, err, errlen);
}

static int opt_backfill(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->backfill = true;
    return opt_file(ctx, arg, err, errlen);
}

static int opt_loop(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->loop = true;
    return CP_OK;
}

static int opt_seed(void *ctx, const char *arg, char *err, size_t errlen)
{
    struct feeder_opts *o = ctx;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || arg[0] == '-') {
        snprintf(err, errlen, "--seed: \"%s\" is not a whole number", arg);
        return CP_EINVAL;
    }
    o->seed = v;
    o->have_seed = true;
    return CP_OK;
}

static int opt_speed(void *ctx, const char *arg, char *err, size_t errlen)
{
    struct feeder_opts *o = ctx;
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end != '\0' || !(v > 0) || v > 1e6) {
        snprintf(err, errlen, "--speed: \"%s\" is not a number from 0 to 1000000", arg);
        return CP_EINVAL;
    }
    o->speed = v;
    return CP_OK;
}

static const struct conf_extra_flag feeder_flags[] = {
    {"mock", 'm', 0, NULL, "random-walk prices (the default; FEED_MODE=mock)", opt_mock},
    {"live", 0, 0, NULL,
     "live prices from the exchanges' public WebSocket streams (FEED_MODE=live)", opt_live},
    {"replay", 'r', 1, "FILE", "replay the candles of FILE (more FILEs may follow)", opt_replay},
    {"backfill", 0, 1, "FILE",
     "write the candles of FILE (more FILEs may follow) to Redis, then exit", opt_backfill},
    {"loop", 'l', 0, NULL, "start the replay over when it ends (default: exit)", opt_loop},
    {"speed", 'x', 1, "N", "replay N times faster than the market (default: a minute per tick)",
     opt_speed},
    {"seed", 's', 1, "N", "seed of the random walk (default: time and pid)", opt_seed},
    {NULL, 0, 0, NULL, NULL, NULL},
};

/* Live exchange data: the rule, as a feed.  Returns NULL after logging why. */
static struct feed *make_live_feed(struct feeder *fd)
{
    char err[1024];
    fd->live = exchanges_rule_new(&fd->conf, err, sizeof err);
    if (!fd->live) {
        log_error("%s", err);
        return NULL;
    }
    log_info("live feed of %s from %s", live_symbols(fd->live), fd->conf.feed_sources);
    return feed_new_live(fd->live);
}

/* Build the feed the options ask for.  Returns NULL after logging why. */
static struct feed *make_feed(const struct feeder_opts *o, struct feeder *fd)
{
    const struct cp_conf *conf = &fd->conf;
    char err[1024];
    if (strcmp(conf->feed_mode, "live") == 0)
        return make_live_feed(fd);
    if (o->nfiles == 0) {
        uint64_t seed = o->have_seed ? o->seed : (uint64_t)price_now_ms() ^ (uint64_t)getpid();
        struct feed *f =
            feed_new_mock(conf->symbols, seed, conf->update_interval_ms, err, sizeof err);
        if (!f)
            log_error("%s", err);
        else
            log_info("mock feed of %s, seed %llu", feed_symbols(f), (unsigned long long)seed);
        return f;
    }
    struct replay *r = replay_new();
    int rc = CP_OK;
    for (size_t i = 0; rc == CP_OK && i < o->nfiles; i++)
        rc = replay_add_file(r, o->files[i], err, sizeof err);
    if (rc == CP_OK)
        rc = replay_finish(r, err, sizeof err);
    if (rc != CP_OK) {
        log_error("%s", err);
        replay_free(r);
        return NULL;
    }
    size_t minutes = replay_minutes(r);
    struct feed *f = feed_new_replay(r, conf->symbols, o->loop, o->speed, conf->update_interval_ms);
    log_info("replaying %zu minutes of %s from %zu file(s)%s, %s", minutes, feed_symbols(f),
             o->nfiles, o->loop ? ", looping" : "",
             o->speed > 0 ? "at --speed" : "a minute a tick");
    return f;
}

/* SIGHUP stays blocked from the start of main() until its handler is in
 * place: one sent during start-up waits instead of killing the feeder. */
static void block_hup(int how)
{
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(how, &hup, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct feeder *fd = arg;
    log_info("stopping on signal %d: %llu ticks written, %llu dropped", (int)sig,
             writer_written(fd->writer), writer_dropped(fd->writer));
    event_base_loopbreak(fd->base);
}

static const struct conf_program_info *feeder_info(struct feeder_opts *opts);

/* The flags choose the mode over FEED_MODE; FEED_MODE=replay needs files.
 * Returns CP_OK or CP_EINVAL with the reason in err. */
static int settle_mode(struct cp_conf *conf, const struct feeder_opts *o, char *err, size_t errlen)
{
    if (o->mock + o->live + (o->nfiles > 0) > 1 || (o->replay && o->backfill)) {
        snprintf(err, errlen, "--mock, --live and --replay (or --backfill) exclude each other");
        return CP_EINVAL;
    }
    if (o->backfill)
        return CP_OK; /* no feed: FEED_MODE does not matter */
    const char *mode = o->live ? "live" : o->nfiles ? "replay" : o->mock ? "mock" : NULL;
    if (mode)
        snprintf(conf->feed_mode, sizeof conf->feed_mode, "%s", mode);
    if (strcmp(conf->feed_mode, "replay") == 0 && o->nfiles == 0) {
        snprintf(err, errlen, "FEED_MODE=replay needs the files: --replay FILE...");
        return CP_EINVAL;
    }
    return CP_OK;
}

/* SIGHUP: read the settings again; LOG_LEVEL, PRICE_TTL_SECONDS and
 * HISTORY_LENGTH change at once, the rest is logged as needing a restart
 * (confreload.h).  A bad value keeps the running settings. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    struct feeder *fd = arg;
    struct feeder_opts opts = {0};
    struct cp_conf fresh;
    char err[CONF_LIST_MAX + 128];
    if (conf_reparse_args(&fresh, feeder_info(&opts), fd->argc, fd->argv, err, sizeof err) !=
            CP_OK ||
        settle_mode(&fresh, &opts, err, sizeof err) != CP_OK)
        confreload_failed(err);
    else
        confreload_apply(&fd->conf, &fresh, CONF_FEEDER, PROGNAME, false);
    free(opts.files);
}

/* Run the loop until a signal or the end of the replay.  Returns the exit
 * status. */
static int run(struct feeder *fd, const char *owner)
{
    fd->writer = writer_new(&fd->conf, fd->base, fd->feed, fd->store, fd->exchanges, owner);
    struct event *term = evsignal_new(fd->base, SIGTERM, on_signal, fd);
    struct event *intr = evsignal_new(fd->base, SIGINT, on_signal, fd);
    struct event *hup = evsignal_new(fd->base, SIGHUP, on_hup, fd);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_add(hup, NULL);
    block_hup(SIG_UNBLOCK); /* one sent during start-up arrives now */
    if (fd->exchanges)
        exchanges_start(fd->exchanges);
    writer_start(fd->writer);
    if (!feed_done(fd->feed))
        event_base_dispatch(fd->base);
    exchanges_free(fd->exchanges);
    fd->exchanges = NULL;
    /* Hand over at once rather than after the lease expires. */
    writer_release(fd->writer);
    writer_free(fd->writer);
    event_free(term);
    event_free(intr);
    event_free(hup);
    event_base_free(fd->base);
    return EXIT_SUCCESS;
}

/* Live mode: the sources, on fd->base, with their settings checked before
 * anything connects.  Returns 0, or 2 (bad setting) after saying why. */
static int make_exchanges(struct feeder *fd)
{
    char err[1024];
    if (!fd->live)
        return 0;
    fd->exchanges = exchanges_new(&fd->conf, fd->base, fd->live, err, sizeof err);
    if (fd->exchanges)
        return 0;
    fprintf(stderr, "%s: %s\n", PROGNAME, err);
    return 2;
}

/* --backfill: exit 0 with the summary on stdout, 2 for a bad file, 1 when
 * Redis failed. */
static int run_backfill(const struct cp_conf *conf, const struct feeder_opts *o)
{
    char msg[1024];
    int rc = backfill_run(conf, o->files, o->nfiles, price_now_ms(), msg, sizeof msg);
    if (rc == CP_OK) {
        printf("%s\n", msg);
        return EXIT_SUCCESS;
    }
    fprintf(stderr, "%s: %s\n", PROGNAME, msg);
    return rc == CP_EIO ? EXIT_FAILURE : 2;
}

/* The program's description for conf_parse_args, with opts for its flags
 * (the one of main(), or a fresh one for a reload). */
static const struct conf_program_info *feeder_info(struct feeder_opts *opts)
{
    static struct conf_program_info info = {
        .name = PROGNAME,
        .summary = "Write CryptoPulse price ticks to Redis: a random walk, a replay of "
                   "CSV candles, or live prices from exchanges.",
        .usage = "[OPTION]... [--replay FILE [FILE]... | --backfill FILE [FILE]...]",
        .programs = CONF_FEEDER,
        .extra = feeder_flags,
        .positional = opt_more_files,
    };
    info.ctx = opts;
    return &info;
}

int main(int argc, char **argv)
{
    block_hup(SIG_BLOCK); /* until its handler is in place (run()) */
    struct feeder fd = {.argc = argc, .argv = argv};
    struct feeder_opts opts = {0};
    enum conf_args_result r = conf_parse_args(&fd.conf, feeder_info(&opts), argc, argv);
    if (r != CONF_ARGS_OK) {
        free(opts.files);
        return r == CONF_ARGS_EXIT_OK ? EXIT_SUCCESS : 2;
    }
    char err[256];
    if (settle_mode(&fd.conf, &opts, err, sizeof err) != CP_OK) {
        fprintf(stderr, "%s: %s\n", PROGNAME, err);
        if (strstr(err, "exclude"))
            fprintf(stderr, "Try '%s --help' for more information.\n", PROGNAME);
        free(opts.files);
        return 2;
    }
    conf_apply_logging(PROGNAME, &fd.conf);
    /* A Redis that closes the socket must give an error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (opts.backfill) {
        int status = run_backfill(&fd.conf, &opts);
        free(opts.files);
        return status;
    }
    fd.feed = make_feed(&opts, &fd);
    free(opts.files);
    if (!fd.feed)
        return EXIT_FAILURE;
    fd.base = event_base_new();
    if (!fd.base) {
        log_error("cannot create the event loop");
        feed_free(fd.feed);
        return EXIT_FAILURE;
    }
    if (make_exchanges(&fd) != 0) {
        event_base_free(fd.base);
        feed_free(fd.feed);
        return 2;
    }
    fd.store = store_new(&fd.conf);
    /* this feeder's lease value: host:pid:start ms */
    char host[64] = "localhost", owner[128];
    gethostname(host, sizeof host - 1);
    snprintf(owner, sizeof owner, "%s:%ld:%lld", host, (long)getpid(), (long long)price_now_ms());
    int status = run(&fd, owner);
    store_free(fd.store);
    feed_free(fd.feed);
    return status;
}
