/* Fuzz target candle: a market-data CSV file as the feeder's replay reads
 * it — the first line through candle_detect_layout() (and, as a file name,
 * candle_symbol_from_path() for Binance files), every line through
 * candle_parse_line().  Input: the file's text.  Invariants: a parsed candle
 * has a valid symbol, a positive finite close, a finite non-negative volume
 * and a non-negative time; every reason is a NUL-ended string. */
#include "config.h"

#include "fuzz.h"

#include "candle.h"
#include "cp_error.h"
#include "price.h"

#include <math.h>
#include <string.h>

#define FUZZ_LINES_MAX 256

static void check_candle(const struct candle *c)
{
    FUZZ_CHECK(price_symbol_valid(c->symbol));
    FUZZ_CHECK(isfinite(c->close) && c->close > 0);
    FUZZ_CHECK(isfinite(c->volume) && c->volume >= 0);
    FUZZ_CHECK(c->ts_ms >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char why[256], symbol[PRICE_SYMBOL_MAX];
    enum candle_layout layout = CANDLE_LAYOUT_SHARED;
    bool header = false;
    char *save = NULL;
    int i = 0;
    for (char *line = strtok_r(text, "\n", &save); line && i < FUZZ_LINES_MAX;
         line = strtok_r(NULL, "\n", &save), i++) {
        struct candle c;
        why[0] = '\0';
        if (i == 0) {
            if (candle_symbol_from_path(line, symbol, why, sizeof why) == CP_OK)
                FUZZ_CHECK(price_symbol_valid(symbol));
            else
                strcpy(symbol, "BTC");
            int rc = candle_detect_layout(line, &layout, &header, why, sizeof why);
            FUZZ_CHECK(rc == CP_OK || rc == CP_ESYNTAX);
            FUZZ_CHECK(strlen(why) < sizeof why);
            if (rc != CP_OK || header)
                continue;
        }
        int rc = candle_parse_line(layout, line, symbol, &c, why, sizeof why);
        FUZZ_CHECK(rc == CP_OK || rc == CP_ESYNTAX);
        if (rc == CP_OK)
            check_candle(&c);
        else
            FUZZ_CHECK(strlen(why) < sizeof why);
    }
    free(text);
    return 0;
}
