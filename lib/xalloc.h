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

#endif
