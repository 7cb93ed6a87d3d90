/* cryptopulse-gateway: fans ticks from Redis out to WebSocket and SSE
 * clients.  See cryptopulse-gateway(1) and README.md. */
#include "config.h"

#include "cluster.h"
#include "conf.h"
#include "confval.h"
#include "cp_error.h"
#include "gateway.h"
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

static struct cp_conf gateway_conf; /* the only global: read-only but for SIGHUP */

/* What SIGHUP needs to read the settings again. */
struct reload_ctx {
    const struct conf_program_info *info;
    int argc;
    char **argv;
};

/* SIGHUP: read every source again and apply CORS_ORIGINS, the one setting
 * that can change without dropping clients; a bad value keeps the old one. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    const struct reload_ctx *r = arg;
    struct cp_conf fresh;
    char err[CONF_LIST_MAX + 128];
    if (conf_reparse_args(&fresh, r->info, r->argc, r->argv, err, sizeof err) != CP_OK) {
        log_error("SIGHUP: %s; settings not reloaded, keeping the running ones", err);
        return;
    }
    memcpy(gateway_conf.cors_origins, fresh.cors_origins, sizeof fresh.cors_origins);
    log_info("SIGHUP: CORS_ORIGINS is now \"%s\"", gateway_conf.cors_origins);
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

struct worker_args {
    const struct conf_program_info *info;
    int argc;
    char **argv;
    bool clustered;
};

/* One gateway process: index is its worker number (0 when not clustered). */
static int run_worker(int index, void *arg)
{
    const struct worker_args *w = arg;
    static char name[64];
    if (w->clustered) {
        snprintf(name, sizeof name, "%s/%d", w->info->name, index);
        log_init(name, gateway_conf.log_level);
    }
    struct event_base *base = event_base_new();
    if (!base) {
        log_error("cannot create the event loop");
        return EXIT_FAILURE;
    }
    struct gateway *gw = gateway_new(base, &gateway_conf, index, w->clustered);
    if (!gw) {
        event_base_free(base);
        return EXIT_FAILURE;
    }
    struct reload_ctx reload = {w->info, w->argc, w->argv};
    struct event *hup = evsignal_new(base, SIGHUP, on_hup, &reload);
    event_add(hup, NULL);
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
    enum conf_args_result r = conf_parse_args(&gateway_conf, &info, argc, argv);
    if (r != CONF_ARGS_OK)
        return r == CONF_ARGS_EXIT_OK ? EXIT_SUCCESS : 2;
    if (gateway_conf.output_high_water_bytes >= gateway_conf.max_output_bytes) {
        fprintf(stderr, "%s: OUTPUT_HIGH_WATER_BYTES (%d) must be below MAX_OUTPUT_BYTES (%d)\n",
                info.name, gateway_conf.output_high_water_bytes, gateway_conf.max_output_bytes);
        return 2;
    }
    char err[256];
    if (confval_tls(gateway_conf.port, gateway_conf.tls_port, gateway_conf.tls_cert_file,
                    gateway_conf.tls_key_file, err, sizeof err) != CP_OK) {
        fprintf(stderr, "%s: %s\n", info.name, err);
        return 2;
    }
    log_init(info.name, gateway_conf.log_level);
    log_set_format(strcmp(gateway_conf.log_format, "json") == 0 ? LOG_JSON : LOG_TEXT);
    signal(SIGPIPE, SIG_IGN);
    fit_file_limit(&gateway_conf);

    /* As the original design: CLUSTER_ENABLED runs one worker per core by
     * default, and enough of them to hold 100,000 clients under the
     * per-process file limit; WORKERS > 1 alone asks for workers too. */
    int workers = gateway_conf.workers           ? gateway_conf.workers
                  : gateway_conf.cluster_enabled ? cluster_default_workers(GATEWAY_CLUSTER_CLIENTS)
                                                 : 1;
    struct worker_args w = {&info, argc, argv, gateway_conf.cluster_enabled || workers > 1};
    if (!w.clustered)
        return run_worker(0, &w);
    return cluster_run(workers, GATEWAY_DRAIN_MS, run_worker, &w);
}
