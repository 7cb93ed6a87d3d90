/* exch: the exchanges the live feed reads — their names and default
 * endpoints (exch.h), the base every other exch_* module builds on.  The
 * symbol map is exch_map.c's, the connect URLs and subscribe messages
 * exch_request.c's, the parsers exch_parse.c's and one file per exchange's. */
#include "config.h"

#include "exch.h"

#include "cp_error.h"

#include <string.h>

static const char *const exch_names[EXCH_COUNT] = {"binance", "coinbase", "kraken"};
static const char *const exch_urls[EXCH_COUNT] = {"wss://stream.binance.com:9443",
                                                  "wss://advanced-trade-ws.coinbase.com",
                                                  "wss://ws.kraken.com/v2"};

bool exch_id_valid(enum exch_id id)
{
    return (unsigned)id < EXCH_COUNT;
}

const char *exch_name(enum exch_id id)
{
    return exch_id_valid(id) ? exch_names[id] : "unknown";
}

int exch_from_name(const char *name, enum exch_id *out)
{
    for (int i = 0; name && i < EXCH_COUNT; i++) {
        if (strcmp(name, exch_names[i]) == 0) {
            *out = (enum exch_id)i;
            return CP_OK;
        }
    }
    return CP_ENOENT;
}

const char *exch_default_url(enum exch_id id)
{
    return exch_id_valid(id) ? exch_urls[id] : NULL;
}
