/* confargs: the command line of every program (--help, --version, --config,
 * a flag per setting) and the start-up and reload sequences; see conf.h. */
#include "config.h"

#include "conf.h"
#include "conf_private.h"

#include "cp_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A flag found on the command line, resolved against the generic table or
 * the program's extras. */
struct conf_flag_match {
    const struct conf_option *option;
    const struct conf_extra_flag *extra;
    const char *inline_arg; /* after '=' in --name=value, or NULL */
};

static bool match_long(const char *arg, const char *name, const char **inline_arg)
{
    size_t n = strlen(name);
    if (strncmp(arg + 2, name, n) != 0)
        return false;
    if (arg[2 + n] == '\0') {
        *inline_arg = NULL;
        return true;
    }
    if (arg[2 + n] == '=') {
        *inline_arg = arg + 3 + n;
        return true;
    }
    return false;
}

static bool find_flag(const struct conf_program_info *info, const char *arg,
                      struct conf_flag_match *m)
{
    memset(m, 0, sizeof *m);
    bool is_long = arg[1] == '-';
    for (const struct conf_extra_flag *x = info->extra; x && x->long_name; x++) {
        if (is_long ? match_long(arg, x->long_name, &m->inline_arg)
                    : (x->short_name && arg[1] == x->short_name && arg[2] == '\0')) {
            m->extra = x;
            return true;
        }
    }
    for (size_t i = 0; i < conf_n_options; i++) {
        const struct conf_option *o = &conf_options[i];
        if (!(o->programs & info->programs))
            continue;
        if (is_long ? match_long(arg, o->flag, &m->inline_arg)
                    : (o->short_name && arg[1] == o->short_name && arg[2] == '\0')) {
            m->option = o;
            return true;
        }
    }
    return false;
}

static void usage_line(FILE *out, char short_name, const char *long_name, const char *arg,
                       const char *help, const char *env, const char *def)
{
    char left[64];
    snprintf(left, sizeof left, "%c%c%s--%s%s%s", short_name ? '-' : ' ',
             short_name ? short_name : ' ', short_name ? ", " : "  ", long_name, arg ? " " : "",
             arg ? arg : "");
    fprintf(out, "  %-36s %s", left, help);
    if (env)
        fprintf(out, " [%s, default: %s]", env, *def ? def : "\"\"");
    fputc('\n', out);
}

void conf_usage(const struct conf_program_info *info, void *stream)
{
    FILE *out = stream;
    fprintf(out, "Usage: %s %s\n%s\n\nOptions:\n", info->name, info->usage, info->summary);
    for (const struct conf_extra_flag *x = info->extra; x && x->long_name; x++)
        usage_line(out, x->short_name, x->long_name, x->has_arg ? x->arg_name : NULL, x->help, NULL,
                   NULL);
    for (size_t i = 0; i < conf_n_options; i++) {
        const struct conf_option *o = &conf_options[i];
        if (o->programs & info->programs)
            usage_line(out, o->short_name, o->flag,
                       o->type == CONF_INT    ? "N"
                       : o->type == CONF_BOOL ? "BOOL"
                                              : "VALUE",
                       o->help, o->env, o->def);
    }
    usage_line(out, 'c', "config", "FILE",
               "read NAME=value settings from FILE "
               "[CRYPTOPULSE_CONFIG]",
               NULL, NULL);
    usage_line(out, 'h', "help", NULL, "show this help and exit", NULL, NULL);
    usage_line(out, 'V', "version", NULL, "show the version and exit", NULL, NULL);
    fprintf(out,
            "\nSettings come from the environment, then the --config file, then flags;\n"
            "later sources win.  See %s(1).\n",
            info->name);
}

static bool is_flag(const char *arg, char short_name, const char *long_name)
{
    return (arg[0] == '-' && arg[1] == short_name && arg[2] == '\0') ||
           (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, long_name) == 0);
}

/* First pass: --help, --version and the config file path, which must be known
 * before the sources are applied in priority order. */
static enum conf_args_result prescan(const struct conf_program_info *info, int argc, char **argv,
                                     const char **config_path)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_flag(argv[i], 'h', "help")) {
            conf_usage(info, stdout);
            return CONF_ARGS_EXIT_OK;
        }
        if (is_flag(argv[i], 'V', "version")) {
            printf("%s %s\n", info->name, PACKAGE_VERSION);
            return CONF_ARGS_EXIT_OK;
        }
        if (is_flag(argv[i], 'c', "config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: --config needs a FILE\n", info->name);
                return CONF_ARGS_USAGE;
            }
            *config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            *config_path = argv[i] + 9;
        }
    }
    return CONF_ARGS_OK;
}

static int apply_flag(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                      char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    struct conf_flag_match m;
    if (!find_flag(info, arg, &m)) {
        snprintf(err, errlen, "unknown option %s", arg);
        return CP_EINVAL;
    }
    bool wants_arg = m.option ? true : m.extra->has_arg;
    const char *value = m.inline_arg;
    if (wants_arg && !value) {
        if (*i + 1 >= argc) {
            snprintf(err, errlen, "option %s needs a value", arg);
            return CP_EINVAL;
        }
        value = argv[++*i];
    } else if (!wants_arg && value) {
        snprintf(err, errlen, "option %s takes no value", arg);
        return CP_EINVAL;
    }
    if (m.option)
        return conf_set_option(conf, m.option, value, err, errlen);
    return m.extra->handle(info->ctx, value, err, errlen);
}

/* Defaults, environment, the file, then flags, into conf; CP_OK or an error
 * with the reason in err. */
static int parse_settings(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                          char **argv, const char *config_path, char *err, size_t errlen)
{
    conf_defaults(conf);
    int rc = conf_load_env(conf, info->programs, err, errlen);
    if (rc == CP_OK && config_path && *config_path)
        rc = conf_load_file(conf, info->programs, config_path, err, errlen);
    bool positional_only = false;
    for (int i = 1; rc == CP_OK && i < argc; i++) {
        const char *arg = argv[i];
        if (!positional_only && strcmp(arg, "--") == 0) {
            positional_only = true;
        } else if (!positional_only && is_flag(arg, 'c', "config")) {
            i++; /* applied above */
        } else if (!positional_only && strncmp(arg, "--config=", 9) == 0) {
            continue;
        } else if (!positional_only && arg[0] == '-' && arg[1] != '\0') {
            rc = apply_flag(conf, info, argc, argv, &i, err, errlen);
        } else if (info->positional) {
            rc = info->positional(info->ctx, arg, err, errlen);
        } else {
            snprintf(err, errlen, "unexpected argument %s", arg);
            rc = CP_EINVAL;
        }
    }
    return rc;
}

enum conf_args_result conf_parse_args(struct cp_conf *conf, const struct conf_program_info *info,
                                      int argc, char **argv)
{
    const char *config_path = getenv("CRYPTOPULSE_CONFIG");
    enum conf_args_result r = prescan(info, argc, argv, &config_path);
    if (r != CONF_ARGS_OK)
        return r;
    char err[CONF_LIST_MAX + 128];
    if (parse_settings(conf, info, argc, argv, config_path, err, sizeof err) != CP_OK) {
        fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", info->name, err,
                info->name);
        return CONF_ARGS_USAGE;
    }
    conf_log_ignored(conf, info);
    return CONF_ARGS_OK;
}

int conf_reparse_args(struct cp_conf *conf, const struct conf_program_info *info, int argc,
                      char **argv, char *err, size_t errlen)
{
    const char *config_path = getenv("CRYPTOPULSE_CONFIG");
    if (prescan(info, argc, argv, &config_path) != CONF_ARGS_OK) {
        snprintf(err, errlen, "the command line no longer parses");
        return CP_EINVAL;
    }
    return parse_settings(conf, info, argc, argv, config_path, err, errlen);
}
