/* confval: the checks of one setting's text — whole numbers in bounds,
 * booleans, comma lists of distinct symbols, host:port lists and words from a
 * fixed set — each refusing with a message that starts with the setting's
 * name (env, e.g. "PORT") and quotes the bad value.  Pure functions, any
 * thread; err (errlen bytes) is the caller's and written only on refusal. */
#ifndef CP_CONFVAL_H
#define CP_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>

/* A decimal whole number min..max (a leading '-' allowed, nothing after the
 * digits) into *out.  Returns CP_OK or CP_EINVAL. */
int confval_int(const char *env, const char *value, long min, long max, int *out, char *err,
                size_t errlen);

/* 1, true, yes, on / 0, false, no, off, in any case, into *out.  Returns
 * CP_OK or CP_EINVAL. */
int confval_bool(const char *env, const char *value, bool *out, char *err, size_t errlen);

/* A comma list ("BTC,ETH", no blanks) of one or more distinct symbols
 * (price_symbol_valid).  Returns CP_OK or CP_EINVAL naming the first empty,
 * bad or repeated item. */
int confval_symbols(const char *env, const char *value, char *err, size_t errlen);

/* A comma list of host:port entries (strlist_hostport: a non-empty host,
 * digits 1..65535 after the last colon); "" is an empty list, a trailing
 * comma an error.  Returns CP_OK or CP_EINVAL naming the entry. */
int confval_addrs(const char *env, const char *value, char *err, size_t errlen);

/* One of the '|'-separated words of choices ("mock|replay|live"), or with
 * list a comma list of one or more distinct ones.  Returns CP_OK or
 * CP_EINVAL naming the word and listing choices. */
int confval_choices(const char *env, const char *choices, bool list, const char *value, char *err,
                    size_t errlen);

/* Text that goes into JSON (INSTANCE_ID names the gateway in /stats): valid
 * UTF-8, as jansson checks it (RFC 3629), since jansson refuses anything
 * else.  Returns CP_OK or CP_EINVAL. */
int confval_text(const char *env, const char *value, char *err, size_t errlen);

/* The TLS settings together: TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE,
 * a certificate or key needs TLS_PORT, and TLS_PORT must not be PORT.
 * tls_port 0 is off; cert and key "" are unset.  Returns CP_OK or CP_EINVAL
 * with a message naming the settings and their flags. */
int confval_tls(int port, int tls_port, const char *cert, const char *key, char *err,
                size_t errlen);

#endif
