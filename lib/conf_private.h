/* conf_private: what conf.c (the table of settings, the environment and the
 * file) shares with confargs.c (the command line) and nobody else.  Start-up
 * and reload thread; the table is static, read-only data. */
#ifndef CP_CONF_PRIVATE_H
#define CP_CONF_PRIVATE_H

#include "conf.h"

#include <stdbool.h>
#include <stddef.h>

/* CONF_STR's min is its shortest length; CONF_TEXT is a CONF_STR that goes
 * into JSON, so it must be valid UTF-8 (confval_text); CONF_SYMBOLS is a comma
 * list of distinct symbols (price_symbol_valid); CONF_CHOICE is one of the
 * words of choices ("a|b|c"), CONF_CHOICES a comma list of 1 or more distinct
 * ones. */
enum conf_type {
    CONF_INT,
    CONF_STR,
    CONF_TEXT,
    CONF_LEVEL,
    CONF_SYMBOLS,
    CONF_BOOL,
    CONF_ADDRS,
    CONF_CHOICE,
    CONF_CHOICES
};

/* One row per setting: its environment name, flag, type, place in struct
 * cp_conf, bounds, default (as text, so --help prints the real default), and
 * the programs that read it. */
struct conf_option {
    const char *env;
    const char *flag;
    char short_name;
    enum conf_type type;
    size_t offset;
    size_t size;
    long min, max;
    const char *def;
    unsigned programs;
    const char *help;
};

/* The settings, conf_n_options rows, in the order of --help. */
extern const struct conf_option conf_options[];
extern const size_t conf_n_options;

/* Set o from text, checked against its type and bounds, and mark it given.
 * Returns 0, or CP_EINVAL with a message naming o and value in err. */
int conf_set_option(struct cp_conf *conf, const struct conf_option *o, const char *value, char *err,
                    size_t errlen);

/* Once at start (conf_parse_args; a reload accepts them quietly): an info
 * line per setting of the original Node.js server that was given and is
 * ignored (NODE_ENV), after setting up logging as conf says for info's
 * program.  Nothing for the load tool (no programs). */
void conf_log_ignored(const struct cp_conf *conf, const struct conf_program_info *info);

#endif
