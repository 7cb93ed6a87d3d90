/* etag: entity tags for responses that proxies and browsers may cache
 * (RFC 9110 §8.8.3, §13.1.2).  Pure functions, any thread. */
#ifndef CP_ETAG_H
#define CP_ETAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETAG_MAX 48 /* bytes of a tag etag_format() writes, including the NUL */

/* FNV-1a 64 of len bytes at data: the tag names the content, so equal bytes
 * give equal tags across restarts and machines behind one proxy. */
uint64_t etag_hash(const void *data, size_t len);

/* The strong tag "\"<len hex>-<hash 16 hex>\"" of len bytes at data, with
 * suffix (NULL: none; e.g. "-gz") inside the quotes, into out (ETAG_MAX
 * bytes; a suffix longer than 8 bytes is cut). */
void etag_format(const void *data, size_t len, const char *suffix, char out[ETAG_MAX]);

/* Does the If-None-Match value if_none_match (a comma list of tags, or "*")
 * name etag?  Weak comparison (RFC 9110 §8.8.3.2): "W/" prefixes are
 * ignored. */
bool etag_matches(const char *if_none_match, const char *etag);

#endif
