/* confreload: see confreload.h. */
#include "config.h"

#include "confreload.h"

#include "cp_error.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define ALL (CONF_GATEWAY | CONF_FEEDER | CONF_FCGI)

/* The settings a running program reads again each time it uses them (per
 * message, per connection, per request, per write), so that copying the new
 * value into its struct cp_conf is all a reload needs.  Anything sized,
 * connected or scheduled at start-up is not here: it needs a restart.  Rows
 * may name settings a build does not have yet; they never match. */
static const struct {
    const char *env;
    unsigned programs;
} confreload_table[] = {
    {"LOG_LEVEL", ALL},
    {"LOG_FORMAT", ALL},
    /* gateway: read per connection, per request or per client message */
    {"CORS_ORIGINS", CONF_GATEWAY},
    {"MAX_MESSAGES_PER_SECOND", CONF_GATEWAY},
    {"MAX_SUBSCRIPTIONS", CONF_GATEWAY},
    {"HANDSHAKE_TIMEOUT_MS", CONF_GATEWAY},
    {"MAX_HEAD_BYTES", CONF_GATEWAY},
    {"MAX_HEADERS", CONF_GATEWAY},
    {"WS_PING_INTERVAL_MS", CONF_GATEWAY},
    {"WS_PONG_TIMEOUT_MS", CONF_GATEWAY},
    {"LOG_CONNECTIONS", CONF_GATEWAY},
    /* feeder: read with every tick written */
    {"PRICE_TTL_SECONDS", CONF_FEEDER},
    {"HISTORY_LENGTH", CONF_FEEDER},
    /* FastCGI: read per request */
    {"UPDATE_INTERVAL_MS", CONF_FCGI},
    {"STATS_INTERVAL_MS", CONF_FCGI},
};

/* Settings whose values never go to the log. */
static bool secret(const char *name)
{
    return strcmp(name, "REDIS_PASSWORD") == 0;
}

bool confreload_live(unsigned program, const char *name)
{
    for (size_t i = 0; i < sizeof confreload_table / sizeof confreload_table[0]; i++)
        if ((confreload_table[i].programs & program) && strcmp(confreload_table[i].env, name) == 0)
            return true;
    return false;
}

/* A value as the log shows it: "" for empty, hidden for a secret. */
static const char *shown(const char *name, const char *value)
{
    return secret(name) ? "(hidden)" : *value ? value : "\"\"";
}

int confreload_apply(struct cp_conf *running, const struct cp_conf *fresh, unsigned program,
                     const char *progname, bool quiet)
{
    /* Apply, then log what changed comparing the unchanged copy with fresh,
     * and only then switch to the new LOG_LEVEL and LOG_FORMAT: the lines of
     * a reload are written as the operator asked before it, so one that
     * raises LOG_LEVEL to warn still shows what it changed. */
    struct cp_conf before = *running;
    char was[CONF_LIST_MAX], now[CONF_LIST_MAX], err[CONF_LIST_MAX + 64];
    unsigned programs;
    const char *name;
    for (size_t i = 0; (name = conf_setting(running, i, &programs, was, sizeof was)); i++) {
        conf_setting(fresh, i, &programs, now, sizeof now);
        if (!(programs & program) || strcmp(was, now) == 0 || !confreload_live(program, name))
            continue;
        if (conf_set(running, program, name, now, err, sizeof err) != CP_OK)
            log_error("reload: %s", err); /* the value passed the same check once: a bug */
    }
    enum log_level info = quiet ? LOG_DEBUG : LOG_INFO, warn = quiet ? LOG_DEBUG : LOG_WARN;
    int changed = 0;
    for (size_t i = 0; (name = conf_setting(&before, i, &programs, was, sizeof was)); i++) {
        conf_setting(fresh, i, &programs, now, sizeof now);
        if (!(programs & program) || strcmp(was, now) == 0)
            continue;
        changed++;
        if (confreload_live(program, name))
            log_msg(info, "reload: %s %s -> %s", name, shown(name, was), shown(name, now));
        else
            log_msg(warn, "reload: %s %s -> %s needs a restart; still %s", name, shown(name, was),
                    shown(name, now), shown(name, was));
    }
    if (changed == 0)
        log_msg(info, "reload: no setting changed");
    conf_apply_logging(progname, running);
    return changed;
}

void confreload_failed(const char *err)
{
    log_error("SIGHUP: %s; settings not reloaded, keeping the running ones", err);
}
