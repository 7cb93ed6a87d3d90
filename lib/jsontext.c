/* jsontext: JSON strings of text that may not be UTF-8; see jsontext.h. */
#include "config.h"

#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of the character a lead byte c announces; 0 for a continuation byte
 * (0x80-0xBF), which cannot begin one. */
static size_t lead_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xC0 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

json_t *jsontext_string(const char *text, size_t n)
{
    json_t *s = json_stringn(text, n);
    if (s)
        return s;
    /* The rare bad text: jansson judges one character at a time, so that its
     * rules (overlongs, surrogates, above U+10FFFF) stay the only ones. */
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = lead_len((unsigned char)text[i]);
        json_t *one = k > 1 && k <= n - i ? json_stringn(text + i, k) : NULL;
        if (k == 1 || one) {
            memcpy(copy + i, text + i, k);
            i += k;
        } else {
            copy[i++] = '?';
        }
        json_decref(one);
    }
    s = json_stringn(copy, n);
    free(copy);
    return s;
}
