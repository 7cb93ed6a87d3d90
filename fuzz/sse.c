/* Fuzz target sse: what an SSE request carries — the query string with
 * ?symbols= (urlcode_query_param() then sse_parse_symbols(), as the gateway's
 * sse_subscribe() does) and the resume point (the Last-Event-ID header or
 * ?lastEventId=, tickid_parse()), and the id echoed in an event
 * (sse_event_new()).  Input: the query, a newline, the Last-Event-ID value
 * (absent without a newline).  Invariants: parsed symbols are valid and
 * distinct, a parsed id prints back to an id that parses the same, and an
 * encoded event is only whole fields. */
#include "config.h"

#include "fuzz.h"

#include "cp_error.h"
#include "hub.h"
#include "price.h"
#include "sse.h"
#include "tickid.h"
#include "urlcode.h"

#include <string.h>

static void check_symbols(const char *query)
{
    char list[1024], err[128];
    char syms[HUB_MAX_SYMBOLS_PER_REQUEST][PRICE_SYMBOL_MAX];
    int q = urlcode_query_param(query, "symbols", list, sizeof list);
    if (q == CP_ENOENT || (q == CP_OK && list[0] == '\0'))
        strcpy(list, "*");
    if (q != CP_OK && q != CP_ENOENT)
        return;
    for (int max = 1; max <= HUB_MAX_SYMBOLS_PER_REQUEST; max *= 16) {
        int n = sse_parse_symbols(list, syms, max, err, sizeof err);
        FUZZ_CHECK(n == CP_EINVAL || (n >= 0 && n <= max));
        if (n == CP_EINVAL)
            FUZZ_CHECK(strlen(err) < sizeof err);
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(price_symbol_valid(syms[i]));
            for (int j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(syms[i], syms[j]) != 0);
        }
    }
}

/* An id event stream field must be sent whole: every line a field. */
static void check_event(const char *id, const char *data, size_t len)
{
    size_t out_len;
    char *ev = sse_event_new(sse_id_valid(id) ? id : NULL, "price-update", data, len, &out_len);
    FUZZ_CHECK(out_len >= 2 && ev[out_len - 1] == '\n' && ev[out_len - 2] == '\n');
    for (size_t i = 0; i < out_len - 1;) {
        const char *line = ev + i;
        size_t n = 0;
        while (i + n < out_len && line[n] != '\n' && line[n] != '\r')
            n++;
        FUZZ_CHECK(i + n < out_len && line[n] == '\n');
        FUZZ_CHECK((n >= 4 && memcmp(line, "id: ", 4) == 0) ||
                   (n >= 7 && memcmp(line, "event: ", 7) == 0) ||
                   (n >= 6 && memcmp(line, "data: ", 6) == 0));
        i += n + 1;
        if (i == out_len - 1)
            break;
    }
    free(ev);
}

static void check_last_id(const char *text)
{
    struct tickid id, again;
    char buf[PRICE_ID_MAX];
    if (tickid_parse(text, &id) != CP_OK)
        return;
    FUZZ_CHECK(id.ms >= 0);
    int n = tickid_format(id, buf, sizeof buf);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf);
    FUZZ_CHECK(tickid_parse(buf, &again) == CP_OK);
    FUZZ_CHECK(again.ms == id.ms && again.seq == id.seq);
    FUZZ_CHECK(!tickid_after(id, again) && !tickid_after(again, id));
    struct tickid next = tickid_next(id, id.ms);
    FUZZ_CHECK(next.ms == id.ms); /* the same ms: the sequence moves on */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = memchr(text, '\n', size);
    const char *header = NULL;
    if (nl) {
        *nl = '\0';
        header = nl + 1;
    }
    const char *query = text;
    check_symbols(query);
    char buf[256];
    const char *last = header;
    if (!last && urlcode_query_param(query, "lastEventId", buf, sizeof buf) == CP_OK)
        last = buf;
    if (last) {
        check_last_id(last);
        check_event(last, (const char *)data, size);
    }
    free(text);
    return 0;
}
