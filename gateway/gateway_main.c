/* cryptopulse-gateway: fans ticks from Redis out to WebSocket and SSE
 * clients.  See cryptopulse-gateway(1) and README.md. */
#include "config.h"

#include "cluster.h"
#include "conf.h"
#include "confreload.h"
#include "confval.h"
#include "cp_error.h"
#include "gateway.h"
#include "socketio.h"
#include "log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>

#define GATEWAY_CLUSTER_CLIENTS 100000 /* what the default worker count is sized for */
#define GATEWAY_DRAIN_MS 5000          /* SIGTERM: time the workers get to close */

static struct cp_conf gateway_conf;       /* the only global: read-only but for SIGHUP */
static int gateway_max_connections_asked; /* MAX_CONNECTIONS before fit_file_limit */

/* What a reload needs: the command line to read the settings again. */
struct worker_args {
    const struct conf_program_info *info;
    int argc;
    char **argv;
    bool clustered;
};

/* The checks of settings that only make sense together.  Returns CP_OK, or
 * CP_EINVAL with the reason in err. */
static int check_settings(const struct cp_conf *conf, char *err, size_t errlen)
{
    if (conf->output_high_water_bytes >= conf->max_output_bytes) {
        snprintf(err, errlen, "OUTPUT_HIGH_WATER_BYTES (%d) must be below MAX_OUTPUT_BYTES (%d)",
                 conf->output_high_water_bytes, conf->max_output_bytes);
        return CP_EINVAL;
    }
    /* The route ends Socket.IO session ids after a dot, where Apache's
     * stickysession=...|sid finds it: a URL-safe word, no dot. */
    size_t n = strspn(conf->socketio_route,
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    if (conf->socketio_route[n] != '\0' || n > SOCKETIO_ROUTE_MAX) {
        snprintf(err, errlen,
                 "SOCKETIO_ROUTE: \"%s\" is not a route (at most %d letters, digits, - and _)",
                 conf->socketio_route, SOCKETIO_ROUTE_MAX);
        return CP_EINVAL;
    }
    return confval_tls(conf->port, conf->tls_port, conf->tls_cert_file, conf->tls_key_file, err,
                       errlen);
}

/* Read every source again, check the result, and apply what can change live
 * into gateway_conf (confreload.h); a bad value keeps the running settings.
 * The supervisor of a cluster does it first and logs at info, its workers
 * then quietly.  Returns CP_OK or CP_EINVAL (logged). */
static int reload(const struct worker_args *w, const char *logname, bool quiet)
{
    struct cp_conf fresh;
    char err[CONF_LIST_MAX + 128];
    if (conf_reparse_args(&fresh, w->info, w->argc, w->argv, err, sizeof err) != CP_OK ||
        check_settings(&fresh, err, sizeof err) != CP_OK) {
        confreload_failed(err);
        return CP_EINVAL;
    }
    /* The limit fit_file_limit set at start is not a change of the file. */
    if (fresh.max_connections == gateway_max_connections_asked)
        fresh.max_connections = gateway_conf.max_connections;
    confreload_apply(&gateway_conf, &fresh, CONF_GATEWAY, logname, quiet);
    return CP_OK;
}

/* The supervisor's SIGHUP (cluster_run): reload first, so that workers it
 * starts later get the new settings; forward it only if that worked. */
static int supervisor_reload(void *arg)
{
    const struct worker_args *w = arg;
    return reload(w, w->info->name, false);
}

static const char *worker_logname; /* this process's name in the log */

/* SIGHUP in a worker, or in the one process when not clustered. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    const struct worker_args *w = arg;
    reload(w, worker_logname, w->clustered);
}

/* SIGHUP stays blocked from the start of main() until a process has its
 * handler (a pending one then arrives): one sent early never kills. */
static void block_hup(int how)
{
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(how, &hup, NULL);
}

/* A worker's file limit bounds its connections: raise the soft limit to the
 * hard one, and keep MAX_CONNECTIONS below it.  Only a MAX_CONNECTIONS the
 * operator set is worth a warning; the default quietly fits the limit. */
static void fit_file_limit(struct cp_conf *conf)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || (rlim_t)conf->max_connections + 64 <= rl.rlim_cur)
        return;
    int asked = conf->max_connections;
    unsigned long long files = rl.rlim_cur;
    conf->max_connections = rl.rlim_cur > 128 ? (int)(rl.rlim_cur - 64) : 64;
    if (conf_given(conf, "MAX_CONNECTIONS"))
        log_warn("MAX_CONNECTIONS lowered from %d to %d: this process may open %llu files "
                 "(raise LimitNOFILE= or ulimit -n)",
                 asked, conf->max_connections, files);
    else
        log_info("MAX_CONNECTIONS is %d, what %llu open files allow", conf->max_connections, files);
}

/* One gateway process: index is its worker number (0 when not clustered). */
static int run_worker(int index, void *arg)
{
    const struct worker_args *w = arg;
    static char name[64];
    worker_logname = w->info->name;
    if (w->clustered) {
        snprintf(name, sizeof name, "%s/%d", w->info->name, index);
        worker_logname = name;
        conf_apply_logging(name, &gateway_conf);
    }
    struct event_base *base = gateway_base_new();
    if (!base) {
        log_error("cannot create the event loop");
        return EXIT_FAILURE;
    }
    struct gateway *gw = gateway_new(base, &gateway_conf, index, w->clustered);
    if (!gw) {
        event_base_free(base);
        return EXIT_FAILURE;
    }
    struct event *hup = evsignal_new(base, SIGHUP, on_hup, (void *)w);
    event_add(hup, NULL);
    block_hup(SIG_UNBLOCK);
    event_base_dispatch(base);
    event_free(hup);
    gateway_free(gw);
    event_base_free(base);
    log_info("stopped");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    const struct conf_program_info info = {
        .name = "cryptopulse-gateway",
        .summary = "Stream live crypto prices from Redis to WebSocket and Server-Sent Events "
                   "clients.",
        .usage = "[OPTION]...",
        .programs = CONF_GATEWAY,
    };
    block_hup(SIG_BLOCK);
    enum conf_args_result r = conf_parse_args(&gateway_conf, &info, argc, argv);
    if (r != CONF_ARGS_OK)
        return r == CONF_ARGS_EXIT_OK ? EXIT_SUCCESS : 2;
    char err[256];
    if (check_settings(&gateway_conf, err, sizeof err) != CP_OK) {
        fprintf(stderr, "%s: %s\n", info.name, err);
        return 2;
    }
    conf_apply_logging(info.name, &gateway_conf);
    signal(SIGPIPE, SIG_IGN);
    gateway_max_connections_asked = gateway_conf.max_connections;
    fit_file_limit(&gateway_conf);

    /* As the original design: CLUSTER_ENABLED runs one worker per core by
     * default, and enough of them to hold 100,000 clients under the
     * per-process file limit; WORKERS > 1 alone asks for workers too.  But
     * the original's .env says CLUSTER_ENABLED=false beside WORKERS=4 and
     * meant one process: a false given explicitly wins over WORKERS. */
    int workers = gateway_conf.workers           ? gateway_conf.workers
                  : gateway_conf.cluster_enabled ? cluster_default_workers(GATEWAY_CLUSTER_CLIENTS)
                                                 : 1;
    if (workers > 1 && !gateway_conf.cluster_enabled &&
        conf_given(&gateway_conf, "CLUSTER_ENABLED")) {
        log_info("CLUSTER_ENABLED=false: one process, WORKERS=%d not used (as the original "
                 "server did; CLUSTER_ENABLED=true for workers)",
                 workers);
        workers = 1;
    }
    struct worker_args w = {&info, argc, argv, gateway_conf.cluster_enabled || workers > 1};
    if (!w.clustered)
        return run_worker(0, &w);
    return cluster_run(workers, GATEWAY_DRAIN_MS, run_worker, supervisor_reload, &w);
}
