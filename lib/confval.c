/* confval: checks of one setting's text; see confval.h. */
#include "config.h"

#include "confval.h"

#include "cp_error.h"
#include "price.h"
#include "strlist.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int confval_int(const char *env, const char *value, long min, long max, int *out, char *err,
                size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || !(isdigit((unsigned char)value[0]) || value[0] == '-') || *end != '\0' ||
        v < min || v > max) {
        snprintf(err, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", env, value, min,
                 max);
        return CP_EINVAL;
    }
    *out = (int)v;
    return CP_OK;
}

int confval_bool(const char *env, const char *value, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no",
                                                                                "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *out = strcasecmp(value, yes[i]) == 0;
            return CP_OK;
        }
    }
    snprintf(err, errlen, "%s: \"%s\" is not one of true, false, 1, 0, yes, no, on, off", env,
             value);
    return CP_EINVAL;
}

/* True when the n bytes at p are an item of the comma list that starts at
 * list and ends before p. */
static bool earlier_item(const char *list, const char *p, size_t n)
{
    for (const char *q = list; q < p; q += strcspn(q, ",") + 1)
        if (strcspn(q, ",") == n && strncmp(q, p, n) == 0)
            return true;
    return false;
}

/* Items are split at each comma without trimming, so that " ETH" stays a
 * bad symbol rather than becoming ETH. */
int confval_symbols(const char *env, const char *value, char *err, size_t errlen)
{
    for (const char *p = value;; p++) {
        size_t n = strcspn(p, ",");
        char sym[PRICE_SYMBOL_MAX];
        bool valid = strlist_copy(p, n, sym, sizeof sym) && price_symbol_valid(sym);
        if (!valid || earlier_item(value, p, n)) {
            snprintf(err, errlen,
                     "%s: \"%s\": \"%.*s\" is %s (a comma list of distinct symbols like BTC,ETH)",
                     env, value, (int)n, p, valid ? "repeated" : "not a symbol");
            return CP_EINVAL;
        }
        p += n;
        if (*p == '\0')
            return CP_OK;
    }
}

/* Entries are split at each comma without trimming: a blank after the
 * port makes the port not a number. */
int confval_addrs(const char *env, const char *value, char *err, size_t errlen)
{
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ",");
        char *host = xmalloc(n + 1); /* any length: a long value is refused later, by size */
        int port;
        bool ok = strlist_hostport(p, n, host, n + 1, &port);
        free(host);
        if (!ok) {
            snprintf(err, errlen, "%s: \"%.*s\" is not host:port (port 1-65535)", env,
                     (int)(n > 64 ? 64 : n), p);
            return CP_EINVAL;
        }
        p += n;
        if (*p == ',' && *++p == '\0') {
            snprintf(err, errlen, "%s: \"%s\" ends with an empty entry", env, value);
            return CP_EINVAL;
        }
    }
    return CP_OK;
}

/* True when word (n bytes) is one of the '|'-separated words of choices. */
static bool is_choice(const char *choices, const char *word, size_t n)
{
    for (const char *p = choices;; p++) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p += len;
        if (*p == '\0')
            return false;
    }
}

int confval_choices(const char *env, const char *choices, bool list, const char *value, char *err,
                    size_t errlen)
{
    for (const char *p = value;; p++) {
        size_t n = list ? strcspn(p, ",") : strlen(p);
        const char *why = !is_choice(choices, p, n)   ? "is not one of"
                          : earlier_item(value, p, n) ? "is repeated; each once, from"
                                                      : NULL;
        if (why) {
            snprintf(err, errlen, "%s: \"%.*s\" %s %s", env, (int)(n > 40 ? 40 : n), p, why,
                     choices);
            return CP_EINVAL;
        }
        p += n;
        if (*p == '\0')
            return CP_OK;
    }
}

/* jansson is the judge: what it accepts is what /stats can carry. */
int confval_text(const char *env, const char *value, char *err, size_t errlen)
{
    json_t *s = json_string(value);
    if (s) {
        json_decref(s);
        return CP_OK;
    }
    snprintf(err, errlen, "%s: not valid UTF-8 text", env);
    return CP_EINVAL;
}

int confval_tls(int port, int tls_port, const char *cert, const char *key, char *err, size_t errlen)
{
    if (tls_port && (!*cert || !*key)) {
        snprintf(err, errlen, "TLS_PORT %d needs %s%s%s: set %s (the PEM file%s of this server)",
                 tls_port, *cert ? "" : "TLS_CERT_FILE", !*cert && !*key ? " and " : "",
                 *key ? "" : "TLS_KEY_FILE",
                 !*cert && !*key ? "--tls-cert-file and --tls-key-file"
                 : *cert         ? "--tls-key-file"
                                 : "--tls-cert-file",
                 !*cert && !*key ? "s" : "");
        return CP_EINVAL;
    }
    if (!tls_port && (*cert || *key)) {
        snprintf(err, errlen,
                 "%s is set but TLS_PORT is 0 (off): set TLS_PORT (--tls-port) to "
                 "serve TLS, or leave %s empty",
                 *cert ? "TLS_CERT_FILE" : "TLS_KEY_FILE",
                 *cert && *key ? "TLS_CERT_FILE and TLS_KEY_FILE"
                 : *cert       ? "TLS_CERT_FILE"
                               : "TLS_KEY_FILE");
        return CP_EINVAL;
    }
    if (tls_port && tls_port == port) {
        snprintf(err, errlen, "TLS_PORT and PORT are both %d: TLS needs a port of its own", port);
        return CP_EINVAL;
    }
    return CP_OK;
}
