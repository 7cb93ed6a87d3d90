/* cryptopulse-feeder: produces a tick every UPDATE_INTERVAL_MS from a mock
 * random walk or a replay of CSV candles and writes it to Redis (README.md
 * "Redis layout").  One thread, one libevent loop: a persistent timer ticks,
 * SIGTERM/SIGINT stop the loop. */
#include "config.h"

#include "conf.h"
#include "cp_error.h"
#include "feed.h"
#include "log.h"
#include "price.h"
#include "replay.h"
#include "store.h"
#include "tickid.h"
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
    bool mock, loop, have_seed;
    uint64_t seed;
    const char **files; /* borrowed from argv */
    size_t nfiles;
};

/* Everything the loop works on; built in main(). */
struct feeder {
    struct cp_conf conf;
    struct event_base *base;
    struct feed *feed;
    struct store *store;
    struct price *prices; /* room for one tick */
    struct tickid last;   /* last tick id given out */
    unsigned long long written, dropped;
    unsigned long long outage; /* ticks dropped since the last one written */
};

static int opt_mock(void *ctx, const char *arg, char *err, size_t errlen)
{
    ((struct feeder_opts *)ctx)->mock = true;
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

static const struct conf_extra_flag feeder_flags[] = {
    {"mock", 'm', 0, NULL, "random-walk prices (the default)", opt_mock},
    {"replay", 'r', 1, "FILE", "replay the candles of FILE (more FILEs may follow)", opt_file},
    {"loop", 'l', 0, NULL, "start the replay over when it ends (default: exit)", opt_loop},
    {"seed", 's', 1, "N", "seed of the random walk (default: time and pid)", opt_seed},
    {NULL, 0, 0, NULL, NULL, NULL},
};

/* Build the feed the options ask for.  Returns NULL after logging why. */
static struct feed *make_feed(const struct feeder_opts *o, const struct cp_conf *conf)
{
    char err[1024];
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
    struct feed *f = feed_new_replay(r, conf->symbols, o->loop);
    log_info("replaying %zu minutes of %s from %zu file(s)%s", minutes, feed_symbols(f), o->nfiles,
             o->loop ? ", looping" : "");
    return f;
}

/* After (re)connecting: continue after the newest id in the stream, so ids
 * keep increasing across restarts of the feeder and of Redis. */
static void resync_id(struct feeder *fd)
{
    struct tickid in_stream;
    if (store_last_id(fd->store, &in_stream) == CP_OK && tickid_after(in_stream, fd->last))
        fd->last = in_stream;
}

static void write_tick(struct feeder *fd, const char *id, struct tickid tid, size_t n)
{
    bool fresh;
    int rc = store_ensure(fd->store, &fresh);
    if (rc == CP_OK && fresh) {
        if (fd->outage)
            log_info("writing ticks again after dropping %llu", fd->outage);
        resync_id(fd);
        if (!tickid_after(tid, fd->last)) {
            rc = CP_EAGAIN; /* the stream is ahead of this id: next tick will fit */
        }
    }
    if (rc == CP_OK)
        rc = store_write_tick(fd->store, id, tid.ms, fd->prices, n, feed_symbols(fd->feed));
    if (rc == CP_OK) {
        fd->written++;
        fd->outage = 0;
        fd->last = tid;
        return;
    }
    fd->dropped++;
    fd->outage++;
    log_debug("tick %s dropped (%s)", id, cp_strerror(rc));
    if (rc == CP_EPROTO)
        resync_id(fd);
}

static void on_tick(evutil_socket_t unused, short what, void *arg)
{
    struct feeder *fd = arg;
    struct tickid tid = tickid_next(fd->last, price_now_ms());
    char id[PRICE_ID_MAX];
    size_t n;
    tickid_format(tid, id, sizeof id);
    if (feed_next(fd->feed, tid.ms, id, fd->prices, &n) == CP_OK)
        write_tick(fd, id, tid, n);
    if (tickid_after(tid, fd->last))
        fd->last = tid;
    if (feed_done(fd->feed)) {
        log_info("replay finished: %llu ticks written, %llu dropped", fd->written, fd->dropped);
        event_base_loopbreak(fd->base);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct feeder *fd = arg;
    log_info("stopping on signal %d: %llu ticks written, %llu dropped", (int)sig, fd->written,
             fd->dropped);
    event_base_loopbreak(fd->base);
}

/* Run the loop until a signal or the end of the replay.  Returns the exit
 * status. */
static int run(struct feeder *fd)
{
    fd->base = event_base_new();
    if (!fd->base) {
        log_error("cannot create the event loop");
        return EXIT_FAILURE;
    }
    struct timeval tv = {fd->conf.update_interval_ms / 1000,
                         (fd->conf.update_interval_ms % 1000) * 1000};
    struct event *timer = event_new(fd->base, -1, EV_PERSIST, on_tick, fd);
    struct event *term = evsignal_new(fd->base, SIGTERM, on_signal, fd);
    struct event *intr = evsignal_new(fd->base, SIGINT, on_signal, fd);
    event_add(timer, &tv);
    event_add(term, NULL);
    event_add(intr, NULL);
    on_tick(-1, EV_TIMEOUT, fd); /* the first tick at once */
    if (!feed_done(fd->feed))
        event_base_dispatch(fd->base);
    event_free(timer);
    event_free(term);
    event_free(intr);
    event_base_free(fd->base);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    struct feeder fd = {0};
    struct feeder_opts opts = {0};
    const struct conf_program_info info = {
        .name = PROGNAME,
        .summary = "Write CryptoPulse price ticks to Redis: a random walk, or a replay of "
                   "CSV candles.",
        .usage = "[OPTION]... [--replay FILE [FILE]...]",
        .programs = CONF_FEEDER,
        .extra = feeder_flags,
        .ctx = &opts,
        .positional = opt_more_files,
    };
    enum conf_args_result r = conf_parse_args(&fd.conf, &info, argc, argv);
    if (r != CONF_ARGS_OK) {
        free(opts.files);
        return r == CONF_ARGS_EXIT_OK ? EXIT_SUCCESS : 2;
    }
    if (opts.mock && opts.nfiles) {
        fprintf(stderr,
                "%s: --mock and --replay exclude each other\n"
                "Try '%s --help' for more information.\n",
                PROGNAME, PROGNAME);
        free(opts.files);
        return 2;
    }
    log_init(PROGNAME, fd.conf.log_level);
    /* A Redis that closes the socket must give an error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    fd.feed = make_feed(&opts, &fd.conf);
    free(opts.files);
    if (!fd.feed)
        return EXIT_FAILURE;
    fd.prices = xcalloc(feed_symbol_count(fd.feed), sizeof *fd.prices);
    fd.store = store_new(&fd.conf);
    int status = run(&fd);
    store_free(fd.store);
    feed_free(fd.feed);
    free(fd.prices);
    return status;
}
