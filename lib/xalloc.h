/* xalloc: allocation wrappers for the daemons that abort with a message on
 * out-of-memory, so handlers need no NULL checks.  Any thread.  The caller
 * frees what they return with free(). */
#ifndef CP_XALLOC_H
#define CP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);                 /* never returns NULL */
void *xcalloc(size_t count, size_t n);   /* zeroed; never returns NULL */
void *xrealloc(void *p, size_t n);       /* like realloc; never returns NULL */
char *xstrdup(const char *s);            /* copy of s; never returns NULL */
char *xstrndup(const char *s, size_t n); /* copy of at most n bytes, NUL-ended */
/* Room for one more element in the array p of n elements of size bytes and
 * capacity *cap: when full, *cap doubles (first when 0) and p is
 * reallocated.  Returns p, or where it moved; never NULL. */
void *xgrow(void *p, size_t n, size_t *cap, size_t size, size_t first);

#endif
