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

static struct cp_conf gateway_conf; /* the only global: read-only after loading */

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
    event_base_dispatch(base);
    gateway_free(gw);
    event_base_free(base);
    log_info("stopped");
    return EXIT_SUCCESS;
}
