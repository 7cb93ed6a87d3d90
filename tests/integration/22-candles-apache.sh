#!/bin/bash
# 22-candles-apache: candles (docs/PROTOCOL.md §1 /history with interval)
# through the shipped Apache site, apache/cryptopulse.conf, in a private
# apache2: /history by mod_proxy_fcgi to cryptopulse-fcgi --listen and the
# CGI variant /cgi/cryptopulse/history give the gateway's bytes; a closed
# range keeps its ETag and Cache-Control: public, max-age=86400 through
# Apache (gzip-compressed too) and a matching If-None-Match gets 304; a
# range reaching the newest candle stays no-cache.  The candles come from
# `cryptopulse-feeder --backfill` of ../shared/data/market.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/apache_lib.sh"

csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent; set CRYPTOPULSE_SHARED)"
need_stack_tools

start_backfilled_site "$csv"

# head_of URL [CURL ARGS...]: the response head, CRs removed.
head_of() { local u=$1; shift; curl -s -o /dev/null -D - "$@" "$u" | tr -d '\r'; }
header() { sed -n "s/^$1: //Ip" <<<"$2"; }
status() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<<"$1"; }

closed='/history?symbol=BTC&interval=1h&from=1738454400000&to=1738540800000'
open='/history?symbol=BTC&interval=1h&from=1738627200000&limit=100'
want=$(curl -s "http://127.0.0.1:$GW1_PORT$closed")
gw_head=$(head_of "http://127.0.0.1:$GW1_PORT$closed")
tag=$(header ETag "$gw_head")
check "the gateway gives a closed range an ETag" [ -n "$tag" ]
for path in "" /cgi/cryptopulse; do
    via=${path:-FastCGI}
    check "$via: the gateway's bytes" [ "$(curl -s "$BASE$path$closed")" = "$want" ]
    h=$(head_of "$BASE$path$closed")
    check "$via: 200 with the gateway's ETag" [ "$(status "$h")" = 200 -a "$(header ETag "$h")" = "$tag" ]
    check "$via: Cache-Control public, max-age=86400" [ "$(header Cache-Control "$h")" = "public, max-age=86400" ]
    h=$(head_of "$BASE$path$closed" -H "If-None-Match: $tag")
    check "$via: If-None-Match gives 304" [ "$(status "$h")" = 304 ]
    check "$via: the 304 keeps ETag and Cache-Control" \
        [ "$(header ETag "$h")" = "$tag" -a "$(header Cache-Control "$h")" = "public, max-age=86400" ]
    h=$(head_of "$BASE$path$closed" -H 'Accept-Encoding: gzip')
    check "$via: gzip-compressed, the same ETag" \
        [ "$(header Content-Encoding "$h")" = gzip -a "$(header ETag "$h")" = "$tag" ]
    h=$(head_of "$BASE$path$closed" -H 'Accept-Encoding: gzip' -H "If-None-Match: $tag")
    check "$via: gzip and If-None-Match give 304" [ "$(status "$h")" = 304 ]
    h=$(head_of "$BASE$path$open" -H 'If-None-Match: *')
    check "$via: a range reaching the newest candle: 200, no-cache, no ETag" \
        [ "$(status "$h")" = 200 -a "$(header Cache-Control "$h")" = no-cache -a -z "$(header ETag "$h")" ]
    h=$(head_of "$BASE$path/history?symbol=BTC&interval=2h")
    check "$via: a bad interval is 400" [ "$(status "$h")" = 400 ]
done

[ "$failures" = 0 ] || fail "$failures checks failed"
echo "PASS: $TEST_NAME"
