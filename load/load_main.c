/* cryptopulse-load: opens N WebSocket or SSE clients against a CryptoPulse
 * gateway (or a peer server), follows a phase plan, and measures connection
 * success, connect time, fan-out latency, throughput, errors and the server's
 * RSS and CPU.  The parent forks the workers (each process may hold only
 * RLIMIT_NOFILE sockets), merges their reports, and prints a progress line,
 * a table and one JSON line.  Exit status: 0 when the success criteria hold,
 * 1 when one fails, 2 on a usage error.
 *
 * main() only orders the steps: cli (options), spawn (workers), reports
 * (their pipes), procstat (the server's RSS and CPU), summary (output). */
#include "config.h"

#include "cli.h"
#include "load.h"
#include "procstat.h"
#include "reports.h"
#include "spawn.h"
#include "summary.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the parent watches while the workers run. */
struct watch {
    const struct cli *c;
    struct reports *reports;
    struct summary_run run;
    int64_t start, next_second;
    uint64_t last_msgs;
    bool tty;
};

/* After each poll: the sustain samples; once a second the server's peak
 * RSS and, on a terminal, the progress line. */
static void watch_each(void *ctx, int64_t now)
{
    struct watch *w = ctx;
    const struct load_opts *o = &w->c->o;
    summary_sample(&w->run, o, now - w->start);
    if (now < w->next_second)
        return;
    w->next_second += 1000;
    struct procstat s = procstat_sample(o->pids);
    if (s.rss_kb > w->run.rss_peak_kb)
        w->run.rss_peak_kb = s.rss_kb;
    if (w->tty && now >= w->start) {
        struct load_report m;
        reports_merge(w->reports, &m);
        summary_progress(stderr, o, &m, now - w->start, &w->last_msgs);
    }
}

/* No report of a run cut short: die of the signal, as asked. */
static int die_of(int sig)
{
    fprintf(stderr, "cryptopulse-load: stopped by %s; workers stopped\n", strsignal(sig));
    signal(sig, SIG_DFL);
    raise(sig);
    return 1;
}

int main(int argc, char **argv)
{
    static struct cli c;
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_RUN)
        return rc;
    const struct load_opts *o = &c.o;
    procstat_warn_missing(o->pids);
    signal(SIGPIPE, SIG_IGN);
    spawn_catch_stop_signals();
    struct watch w = {.c = &c, .reports = reports_new(o->workers)};
    w.tty = !c.no_progress && !c.quiet && isatty(STDERR_FILENO);
    w.run.p_start = procstat_sample(o->pids);
    w.run.rss_peak_kb = w.run.p_start.rss_kb;
    w.start = w.next_second = load_mono_ms() + 200;
    struct spawn *s = spawn_start(o, w.start, load_worker_run);
    spawn_collect(s, w.reports, w.start + o->plan.total_ms + o->connect_timeout_ms + 15000,
                  watch_each, &w);
    spawn_free(s);
    if (w.tty)
        fprintf(stderr, "\n");
    if (spawn_stop_signal())
        return die_of(spawn_stop_signal());
    w.run.p_end = procstat_sample(o->pids);
    if (!w.run.have_sus_end) {
        w.run.p_sus_end = w.run.p_end;
        w.run.sus_end_wall = load_wall_us() / 1000;
    }
    if (o->ticks_file[0])
        reports_write_ticks(w.reports, o->ticks_file);
    struct load_report m;
    reports_merge(w.reports, &m);
    struct summary_args a = {o, c.url, c.sub, c.quiet};
    rc = summary_print(stdout, &a, &m, &w.run);
    reports_free(w.reports);
    return rc;
}
