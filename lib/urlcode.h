/* urlcode: the parts of a request URL the programs read — query parameters
 * (application/x-www-form-urlencoded) and percent-decoded paths (RFC 3986
 * §2.1).  Pure functions, any thread; the caller owns the output buffers. */
#ifndef CP_URLCODE_H
#define CP_URLCODE_H

#include <stddef.h>

/* Find name in a query string ("a=1&b=2"; ';' also separates), percent-decode
 * its value ('+' is a space) into out (outlen bytes).  A bare "name" is an
 * empty value.  Returns 0, CP_ENOENT if absent, CP_ETOOBIG if it does not
 * fit, CP_EINVAL for a bad escape or a decoded NUL. */
int urlcode_query_param(const char *query, const char *name, char *out, size_t outlen);

/* urlcode_query_param() for checks that name the parameter: returns NULL
 * when name is absent, else out — holding "" (which the checks refuse) when
 * the value is too long or badly escaped. */
const char *urlcode_query_text(const char *query, const char *name, char *out, size_t outlen);

/* Percent-decode the path src into out (outlen bytes); '+' stays '+'.
 * Returns 0, CP_ETOOBIG or CP_EINVAL (bad escape, NUL). */
int urlcode_path_decode(const char *src, char *out, size_t outlen);

#endif
