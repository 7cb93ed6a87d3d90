/* spawn: fork, watch and stop the load workers; see spawn.h. */
#include "config.h"

#include "spawn.h"

#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct spawn {
    int n;
    pid_t *pid; /* 0: never started (stopped during spawn_start) */
    int *fd;    /* read end of the worker's pipe; -1 once it closed */
};

/* SIGTERM or SIGINT received by the parent; spawn_collect() stops the
 * workers. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

void spawn_catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
}

int spawn_stop_signal(void)
{
    return stop_signal;
}

/* In a new worker: the parent's handlers are not the worker's, and the
 * kernel sends SIGTERM when the parent dies, even by SIGKILL, so that no
 * worker holds its connections on after the run.  A parent gone before
 * prctl() is caught by getppid(). */
static void follow_parent(pid_t parent)
{
    signal(SIGTERM, SIG_DFL);
    if (signal(SIGINT, SIG_DFL) == SIG_IGN)
        signal(SIGINT, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
}

struct spawn *spawn_start(const struct load_opts *o, int64_t start_mono_ms, spawn_body body)
{
    struct spawn *s = xcalloc(1, sizeof *s);
    s->n = o->workers;
    s->pid = xcalloc((size_t)s->n, sizeof *s->pid);
    s->fd = xcalloc((size_t)s->n, sizeof *s->fd);
    for (int i = 0; i < s->n; i++)
        s->fd[i] = -1;
    pid_t parent = getpid();
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    for (int i = 0; i < s->n && !stop_signal; i++) {
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
            follow_parent(parent);
            sigprocmask(SIG_SETMASK, &old, NULL);
            close(fds[0]);
            for (int k = 0; k < i; k++)
                close(s->fd[k]);
            _exit(body(o, i, fds[1], start_mono_ms));
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[1]);
        s->pid[i] = pid;
        s->fd[i] = fds[0];
    }
    return s;
}

void spawn_collect(struct spawn *s, struct reports *r, int64_t deadline_mono_ms,
                   void (*each)(void *ctx, int64_t now_mono_ms), void *ctx)
{
    int n = s->n, alive = 0;
    struct pollfd *p = xcalloc((size_t)n, sizeof *p);
    for (int i = 0; i < n; i++)
        alive += s->fd[i] >= 0;
    while (alive > 0 && load_mono_ms() < deadline_mono_ms && !stop_signal) {
        for (int i = 0; i < n; i++) {
            p[i].fd = s->fd[i];
            p[i].events = POLLIN;
        }
        poll(p, (nfds_t)n, 100);
        for (int i = 0; i < n; i++)
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP)) &&
                !reports_read(r, i, s->fd[i])) {
                close(s->fd[i]);
                s->fd[i] = -1;
                alive--;
            }
        if (each)
            each(ctx, load_mono_ms());
    }
    for (int i = 0; i < n; i++) {
        if (s->pid[i] <= 0)
            continue; /* never started: stopped during spawn_start() */
        if (s->fd[i] >= 0) {
            /* Stopped, or past the deadline. */
            kill(s->pid[i], stop_signal ? SIGTERM : SIGKILL);
            close(s->fd[i]);
            s->fd[i] = -1;
        }
        while (waitpid(s->pid[i], NULL, 0) < 0 && errno == EINTR)
            ;
    }
    free(p);
}

void spawn_free(struct spawn *s)
{
    if (!s)
        return;
    free(s->pid);
    free(s->fd);
    free(s);
}
