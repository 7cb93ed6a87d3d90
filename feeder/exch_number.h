/* exch_number: the numbers and times of exchanges' messages, read strictly —
 * decimal strings and RFC 3339 UTC times.  Pure functions, any thread. */
#ifndef CP_EXCH_NUMBER_H
#define CP_EXCH_NUMBER_H

#include <stdint.h>

#define EXCH_TS_MS_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z, ms */

/* Parse a decimal string as exchanges send them ("97123.45000000", "-1.23",
 * "0"): an optional minus, digits, an optional fraction; nothing else (no
 * exponent, "NaN", "Infinity", spaces or hex).  The nearest double.  Returns
 * 0 or CP_EINVAL. */
int exch_decimal(const char *s, double *out);

/* Parse an RFC 3339 UTC time as Coinbase sends it ("2026-08-09T21:05:48.
 * 229198328Z"): upper-case 'T' and 'Z', no offset, an optional fraction of
 * 1-9 digits, years 1970-9999, no leap second.  Milliseconds since the Unix
 * epoch, the fraction truncated.  Returns 0 or CP_EINVAL. */
int exch_rfc3339_ms(const char *s, int64_t *out);

#endif
