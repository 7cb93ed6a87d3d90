#include "config.h"

#include "cluster.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLUSTER_BACKOFF_MIN_MS 100
#define CLUSTER_BACKOFF_MAX_MS 10000
#define CLUSTER_STABLE_MS 5000 /* a worker that lived this long resets its backoff */

struct cluster_slot {
    pid_t pid; /* 0 while not running */
    int64_t started_ms;
    int64_t restart_at; /* when to start it again, 0 = not scheduled */
    int backoff_ms;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int cluster_default_workers(long max_total)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct rlimit rl;
    long per = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
                   ? (long)rl.rlim_max - 100
                   : 1000000;
    long need = per > 0 ? (max_total + per - 1) / per : 1;
    long n = cores > need ? cores : need;
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static void start(struct cluster_slot *s, int index, const sigset_t *old, cluster_worker_fn fn,
                  void *arg)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        s->restart_at = mono_ms() + s->backoff_ms;
        return;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, old, NULL);
        _exit(fn(index, arg));
    }
    s->pid = pid;
    s->started_ms = mono_ms();
    s->restart_at = 0;
    log_info("worker %d started (pid %d)", index, (int)pid);
}

/* Reap exited workers and schedule their restart. */
static void reap(struct cluster_slot *slots, int n, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < n; i++) {
            struct cluster_slot *s = &slots[i];
            if (s->pid != pid)
                continue;
            s->pid = 0;
            if (stopping)
                break;
            int64_t now = mono_ms();
            if (now - s->started_ms >= CLUSTER_STABLE_MS)
                s->backoff_ms = CLUSTER_BACKOFF_MIN_MS;
            s->restart_at = now + s->backoff_ms;
            log_warn("worker %d (pid %d) %s %d; restarting in %d ms", i, (int)pid,
                     WIFSIGNALED(status) ? "killed by signal" : "exited with",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), s->backoff_ms);
            s->backoff_ms = s->backoff_ms * 2 > CLUSTER_BACKOFF_MAX_MS ? CLUSTER_BACKOFF_MAX_MS
                                                                       : s->backoff_ms * 2;
        }
    }
}

static void signal_all(struct cluster_slot *slots, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (slots[i].pid)
            kill(slots[i].pid, sig);
}

static int running(const struct cluster_slot *slots, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += slots[i].pid != 0;
    return k;
}

/* Forward SIGTERM, wait up to drain_ms for every worker, then SIGKILL. */
static void stop_all(struct cluster_slot *slots, int n, int drain_ms, const sigset_t *set)
{
    signal_all(slots, n, SIGTERM);
    int64_t deadline = mono_ms() + drain_ms;
    while (running(slots, n) && mono_ms() < deadline) {
        struct timespec wait = {0, 50 * 1000 * 1000};
        sigtimedwait(set, NULL, &wait);
        reap(slots, n, true);
    }
    if (running(slots, n)) {
        log_warn("%d worker(s) still running after %d ms: killing", running(slots, n), drain_ms);
        signal_all(slots, n, SIGKILL);
        pid_t pid;
        while (running(slots, n) && (pid = waitpid(-1, NULL, 0)) > 0)
            for (int i = 0; i < n; i++)
                if (slots[i].pid == pid)
                    slots[i].pid = 0;
    }
}

int cluster_run(int n, int drain_ms, cluster_worker_fn fn, cluster_reload_fn reload, void *arg)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    struct cluster_slot *slots = xcalloc((size_t)n, sizeof *slots);
    for (int i = 0; i < n; i++) {
        slots[i].backoff_ms = CLUSTER_BACKOFF_MIN_MS;
        start(&slots[i], i, &old, fn, arg);
    }
    log_info("supervising %d workers", n);
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("signal %d: stopping the workers", sig);
            break;
        }
        /* Reload here first: a worker started after this gets the new
         * settings from our memory.  Bad settings stay out of the workers. */
        if (sig == SIGHUP && (!reload || reload(arg) == 0))
            signal_all(slots, n, SIGHUP);
        reap(slots, n, false);
        int64_t now = mono_ms();
        for (int i = 0; i < n; i++)
            if (!slots[i].pid && slots[i].restart_at && now >= slots[i].restart_at)
                start(&slots[i], i, &old, fn, arg);
    }
    stop_all(slots, n, drain_ms, &set);
    free(slots);
    log_info("stopped");
    return 0;
}
