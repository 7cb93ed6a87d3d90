/* strlist: the small text shapes the settings use — comma-separated lists
 * ("BTC,ETH", "a:1, b:2") and host:port entries — and milliseconds as a
 * struct timeval.  Pure functions, any thread; nothing is allocated. */
#ifndef CP_STRLIST_H
#define CP_STRLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* Step through a comma-separated list.  *cursor starts at the list (NUL-
 * terminated; NULL is an empty list) and is advanced past each item.  On
 * return true, *item and *len give the next item with spaces and tabs around it
 * trimmed (not NUL-terminated; it may be empty, e.g. in "a,,b").  Returns
 * false at the end.  "a, b" and "a,b" give the same items. */
bool strlist_next(const char **cursor, const char **item, size_t *len);

/* strlist_next() skipping empty items: the elements of an HTTP list header
 * (RFC 9110 §5.6.1: commas with optional blanks around them; empty elements
 * are ignored). */
bool strlist_next_element(const char **cursor, const char **item, size_t *len);

/* True when word (NUL-terminated) is an item of list; a NULL or empty list
 * has no items. */
bool strlist_has(const char *list, const char *word);

/* Copy the item item/len into out (outlen bytes, NUL-terminated).  Returns
 * false, leaving out empty, when it does not fit. */
bool strlist_copy(const char *item, size_t len, char *out, size_t outlen);

/* Split a "host:port" entry of len bytes at its last colon (so "[::1]:80"
 * keeps its brackets) into host (hostlen bytes) and *port.  Returns false,
 * writing nothing, unless the host is non-empty and fits and the port is
 * all digits in 1..65535. */
bool strlist_hostport(const char *entry, size_t len, char *host, size_t hostlen, int *port);

/* ms milliseconds (>= 0) as a timeval, e.g. for event_add() or
 * redisSetTimeout(). */
struct timeval strlist_timeval_ms(int64_t ms);

#endif
