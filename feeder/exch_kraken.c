/* exch_kraken: the messages of Kraken's v2 feed — tickers, heartbeats, status and
 * the replies to our requests; v1 messages refused loudly (exch_parse_private.h). */
#include "config.h"

#include "exch_parse_private.h"

#include "cp_error.h"

#include <jansson.h>
#include <string.h>

/* A reply to a request of ours ({"method":"subscribe","success":..}); pong
 * replies carry no "success". */
static int kraken_reply(struct exch_parse *p, const json_t *root)
{
    const json_t *success = json_object_get(root, "success");
    if (success && !json_is_boolean(success))
        return exch_parse_fail(p, "\"success\" is not a boolean");
    if (json_is_false(success))
        return exch_parse_reject(p, json_object_get(root, "error"), 0, false);
    return EXCH_ACK;
}

int exch_kraken_parse(struct exch_parse *p, const json_t *root)
{
    bool bad;
    if (json_is_array(root))
        return exch_parse_fail(
            p, "a Kraken v1 array message (the feed speaks v2, wss://ws.kraken.com/v2)");
    if (!json_is_object(root))
        return exch_parse_fail(p, "not a JSON object");
    if (exch_parse_string(root, "method", &bad) || bad)
        return bad ? exch_parse_fail(p, "\"method\" is not a string") : kraken_reply(p, root);
    const char *channel = exch_parse_string(root, "channel", &bad);
    if (!channel)
        return exch_parse_fail(
            p, "neither a \"method\" nor a \"channel\" string: not a Kraken v2 message");
    /* v2 tickers carry no time of their own: ts_ms stays 0 */
    if (strcmp(channel, "ticker") == 0)
        return exch_parse_tickers(p, json_object_get(root, "data"), "data", 0);
    if (strcmp(channel, "heartbeat") == 0)
        return EXCH_HEARTBEAT;
    if (strcmp(channel, "status") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}
