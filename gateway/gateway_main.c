/* cryptopulse-gateway: fans ticks from Redis out to WebSocket and SSE
 * clients.  See cryptopulse-gateway(1) and README.md. */
#include "config.h"

#include "conf.h"
#include "gateway.h"
#include "log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (conf_parse_args(&fresh, r->info, r->argc, r->argv) != CONF_ARGS_OK) {
        log_error("SIGHUP: settings not reloaded; keeping the running ones");
        return;
    }
    memcpy(gateway_conf.cors_origins, fresh.cors_origins, sizeof fresh.cors_origins);
    log_info("SIGHUP: CORS_ORIGINS is now \"%s\"", gateway_conf.cors_origins);
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
    log_init(info.name, gateway_conf.log_level);
    signal(SIGPIPE, SIG_IGN);

    struct event_base *base = event_base_new();
    if (!base) {
        log_error("cannot create the event loop");
        return EXIT_FAILURE;
    }
    struct gateway *gw = gateway_new(base, &gateway_conf);
    if (!gw) {
        event_base_free(base);
        return EXIT_FAILURE;
    }
    struct reload_ctx reload = {&info, argc, argv};
    struct event *hup = evsignal_new(base, SIGHUP, on_hup, &reload);
    event_add(hup, NULL);
    event_base_dispatch(base);
    event_free(hup);
    gateway_free(gw);
    event_base_free(base);
    log_info("stopped");
    return EXIT_SUCCESS;
}
