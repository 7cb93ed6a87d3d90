/* cli: the load tool's command line — its flags (each default printed by
 * --help from the same values), the feeder's SYMBOLS setting when --symbols
 * is not given, and the options derived from them (the URL resolved, the
 * subscription, the phase plan, the number of workers).  Runs once in
 * main(), before any fork; messages go to stderr.  Nothing to free. */
#ifndef CP_LOAD_CLI_H
#define CP_LOAD_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "load.h"

/* The command line as parsed: the options the workers get (o) and what only
 * the parent uses. */
struct cli {
    struct load_opts o;
    char url[512];
    char sub[64];
    double warm_s, ramp_s, spike_s, sustain_s, cool_s;
    int64_t warm_n, spike_n;
    bool quiet, no_progress;
    bool symbols_given; /* --symbols: the SYMBOLS setting does not apply */
};

/* cli_parse() found options to run with. */
#define CLI_RUN (-1)

/* Fill c (any contents) from the defaults, argv (conf's --help, --version
 * and --config included) and the SYMBOLS setting; resolve the URL's host
 * (IPv4, getaddrinfo) and size the workers to RLIMIT_NOFILE.  Returns
 * CLI_RUN, or the exit status: 0 after --help/--version, 2 on a usage
 * error (printed to stderr). */
int cli_parse(struct cli *c, int argc, char **argv);

#endif
