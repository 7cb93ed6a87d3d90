#!/usr/bin/env bash
# The dashboard's candlestick chart in real headless Chromium against the
# real stack (Redis, cryptopulse-feeder, the gateway serving www/): candles
# drawn from GET /history?interval=, the range buttons, the open candle
# following the ticks, the tooltip, no console errors, and screenshots at
# 390x844, 820x1180 and 1440x900 in the build tree's
# tests/integration/candles_browser/output/ (candles-WxH.png).  Then, when
# apache2 is installed, the same page from www/ behind the shipped Apache
# site (static files, /history through cryptopulse-fcgi, /ws through the
# balancer), shorter (candles-apache-1440x900.png).  Like
# 70-browser-dashboard.sh, playwright-core comes from the committed lock
# (npm ci into the build tree) and drives Debian's chromium.
#
# Where the candles come from (CANDLES_FROM):
#   feeder  (when the feeder has --backfill and ../shared has the market
#           CSV, as in a checkout) cryptopulse-feeder --backfill
#           loads the first 60 hours of ../shared's market CSV, then
#           cryptopulse-feeder --replay plays the rest on, a market minute a
#           tick: the newest candles are open and in market time (February
#           2025) while the ticks carry the wall clock.  (The mock feed
#           would not do: its candles are of now, and trimming to the
#           retention from now drops the backfilled 1m, 5m and 1h.)
#   redis   the test writes the candles itself with redis-cli, in the
#           feeder's member format (candles_browser/candles_fixture.py),
#           ending in an open candle now; the mock feed ticks on.  (So the
#           test still runs where ../shared is not, as in make distcheck.)
. "$(dirname "$0")/lib.sh"


need_browser candles_browser candles_test.js candles_fixture.py
dir=$NPM_DIR
out=$dir/output
feeder=$top_builddir/feeder/cryptopulse-feeder
prefix=cryptopulse:  # REDIS_PREFIX by default

from=${CANDLES_FROM:-}
if [ -z "$from" ]; then
    if "$feeder" --help 2>&1 | grep -q -- '--backfill' && market_data >/dev/null; then
        from=feeder
    else
        from=redis
    fi
fi
echo "# candles from: $from"

INTERVAL=400
start_redis
# candles_feeder: the feeder backfills the first 60 hours of the market CSV
# (all those candles closed); the replay of the rest starts with the gateway.
candles_feeder() {
    local csv cut
    csv=$(market_data) || skip "no market CSV in $SHARED_DIR/data/market"
    cut=$(( $(sed -n 2p "$csv" | cut -d, -f1) + 60 * 3600000 ))
    awk -F, -v cut="$cut" 'NR == 1 || $1 < cut' "$csv" >"$WORK/head.csv"
    awk -F, -v cut="$cut" 'NR == 1 || $1 >= cut' "$csv" >"$WORK/tail.csv"
    within 120 "$feeder" --redis-port "$REDIS_PORT" --backfill "$WORK/head.csv" \
        >"$WORK/backfill.log" 2>&1 || { cat "$WORK/backfill.log"; fail "feeder --backfill failed"; }
    [ "$(redis-cli -p "$REDIS_PORT" zcard "${prefix}candles:BTC:1h")" -eq 60 ] \
        || fail "not 60 BTC 1h candles after --backfill of 60 hours"
    echo "ok - feeder --backfill: $(tail -n 1 "$WORK/backfill.log")"
}
# candles_redis: the test writes BTC's and ETH's candles, ending at the
# mock's current price in an open candle of now.
candles_redis() {
    local sym dec price
    for sym in BTC:2 ETH:2; do
        dec=${sym#*:}
        sym=${sym%:*}
        price=$(curl -sf "http://127.0.0.1:$GATEWAY_PORT/history?symbol=$sym&limit=1" |
            sed -n 's/.*\[\[[0-9]*,\([0-9.e+-]*\)\]\].*/\1/p')
        [ -n "$price" ] || fail "no $sym price in the gateway's history"
        "$PY" "$dir/candles_fixture.py" "$prefix" "$sym" "$price" "$(now_ms)" "$dec" >"$WORK/$sym.redis"
        redis-cli -p "$REDIS_PORT" <"$WORK/$sym.redis" >"$WORK/$sym.redis.out" || fail "redis-cli failed"
    done
}

[ "$from" != feeder ] || candles_feeder
start_gateway --redis-port "$REDIS_PORT" --interval "$INTERVAL"
if [ "$from" = feeder ]; then
    start feeder "$feeder" --redis-port "$REDIS_PORT" --interval "$INTERVAL" --replay "$WORK/tail.csv"
else
    start feeder "$feeder" --redis-port "$REDIS_PORT" --interval "$INTERVAL"
fi
wait_for 20 sh -c 'curl -sf "$0" | grep -qE "(\[[0-9]+,[0-9.e+-]+\],?){5}"' \
    "http://127.0.0.1:$GATEWAY_PORT/history?symbol=BTC&limit=5" \
    || fail "no 5 BTC ticks in the gateway's history"
[ "$from" != redis ] || candles_redis

# The gateway serves candles; the browser test compares the chart with them.
base=http://127.0.0.1:$GATEWAY_PORT
curl -sf "$base/history?symbol=BTC&interval=1m&limit=60" >"$WORK/1m.json" || fail "GET /history?interval=1m"
grep -q '"candles":\[\[' "$WORK/1m.json" || fail "the gateway serves no BTC 1m candles: $(head -c 300 "$WORK/1m.json")"
echo "ok - the gateway serves BTC candles: $(head -c 160 "$WORK/1m.json")..."

rm -rf "$out"/candles-*.png
within 180 node "$dir/candles_test.js" "$base/" "$out" >"$WORK/browser.out" 2>&1 || {
    cat "$WORK/browser.out"
    fail "browser checks failed"
}
cat "$WORK/browser.out"
for s in 390x844 820x1180 1440x900; do
    [ -s "$out/candles-$s.png" ] || fail "no screenshot $out/candles-$s.png"
done

# Behind Apache: the shipped site with a second gateway and cryptopulse-fcgi,
# all on this Redis (apache_lib.sh).
APACHE=${APACHE2:-$(command -v apache2 || echo /usr/sbin/apache2)}
if [ -x "$APACHE" ] && [ -f "${APACHE_MODULES:-/usr/lib/apache2/modules}/mod_proxy_hcheck.so" ]; then
    FCGI_BIN=$top_builddir/fcgi/cryptopulse-fcgi
    ENV_FILE=$WORK/cryptopulse.env
    printf '%s\n' "REDIS_PORT=$REDIS_PORT" "UPDATE_INTERVAL_MS=$INTERVAL" "LOG_LEVEL=warn" >"$ENV_FILE"
    GW1_PORT=$GATEWAY_PORT
    GW2_PORT=$(free_port)
    start gateway2 "$top_builddir/gateway/cryptopulse-gateway" --config "$ENV_FILE" \
        --instance-id two --host 127.0.0.2 --port "$GW2_PORT" --www-root "$top_srcdir/www"
    FCGI_PORT=$(free_port)
    start fcgi "$FCGI_BIN" --config "$ENV_FILE" --listen "127.0.0.1:$FCGI_PORT"
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.2:$GW2_PORT/stats" || fail "gateway two did not start"
    . "$(dirname "$0")/apache_lib.sh"
    start_apache
    curl -sf -o "$WORK/vendor.js" "$BASE/vendor/lightweight-charts.standalone.production.js" &&
        cmp -s "$WORK/vendor.js" "$top_srcdir/www/vendor/lightweight-charts.standalone.production.js" ||
        fail "Apache does not serve www/vendor/lightweight-charts.standalone.production.js"
    echo "ok - Apache serves www/vendor/ as it is"
    within 120 node "$dir/candles_test.js" "$BASE/" "$out" --short apache >"$WORK/apache.out" 2>&1 || {
        cat "$WORK/apache.out"
        fail "browser checks behind Apache failed"
    }
    sed 's/^ok - /ok - apache: /' "$WORK/apache.out"
    [ -s "$out/candles-apache-1440x900.png" ] || fail "no screenshot $out/candles-apache-1440x900.png"
else
    echo "# apache2 (with mod_proxy_hcheck) not installed: the pass behind Apache is left out"
fi
echo "screenshots in $out"
echo "PASS: $TEST_NAME"
