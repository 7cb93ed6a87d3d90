/* jsontext: JSON strings of text that may not be valid UTF-8 (a Redis error
 * or version cut to fit a buffer, a log message quoting a client), which
 * jansson refuses with a NULL that silently drops the field.  Pure functions,
 * any thread; each result is a new reference the caller must json_decref(). */
#ifndef CP_JSONTEXT_H
#define CP_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

/* A JSON string of the n bytes at text: as they are when valid UTF-8 (RFC
 * 3629, as jansson checks it), else with each byte that does not begin a
 * whole valid character made '?' (the rule of ws_utf8_scrub), so its length
 * does not change.  NULL only when memory runs out. */
json_t *jsontext_string(const char *text, size_t n);

#endif
