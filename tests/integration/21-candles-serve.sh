#!/bin/bash
# 21-candles-serve: the candles of the 3 days of ../shared/data/market, made
# by the real feeder — `cryptopulse-feeder --backfill`, then (Redis emptied)
# a replay at 86,400 times the market's speed — as the gateway and
# cryptopulse-fcgi (run as CGI) serve them (docs/PROTOCOL.md §1 /history with
# interval): for all 14 symbols, 1m/5m/1h/1d after the backfill and 1h/1d
# after the replay, equal to candles computed independently from the CSV in
# candles_serve.py (the rule is README "Price history"); the same bytes from
# both programs; from/to/limit edges; bad parameters; ETag and 304 on closed
# ranges, no-cache on ranges reaching the newest candle.  Then synthetic rows
# whose four prices differ (the market data's never do) check the rule itself.
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
fcgi=$top_builddir/fcgi/cryptopulse-fcgi
csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent; set CRYPTOPULSE_SHARED)"
command -v redis-cli >/dev/null || skip "redis-cli not installed (apt-get install redis-server)"
[ -x "$feeder" ] || fail "$feeder not built"
[ -x "$fcgi" ] || fail "$fcgi not built"

PREFIX=t21:
SYMBOLS=BTC,ETH,SOL,BNB,XRP,ADA,DOGE,AVAX,DOT,LINK,LTC,MATIC,USDT,USDC
start_redis
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
check() { # check PHASE: every check of candles_serve.py against what Redis holds now
    within 300 "$PY" "$top_srcdir/tests/integration/candles_serve.py" check --csv "$csv" \
        --gateway "$GATEWAY_PORT" --fcgi "$fcgi" --redis-port "$REDIS_PORT" --prefix "$PREFIX" \
        --phase "$1" >"$WORK/check-$1.out" 2>&1 || {
        grep -v '^ok - ' "$WORK/check-$1.out" | head -n 40 >&2
        fail "candles after the $1 differ (see above)"
    }
    echo "$1: $(grep -c '^ok - ' "$WORK/check-$1.out") checks passed"
}

# The feed's symbol list, as a running feeder writes it: the gateway and
# cryptopulse-fcgi refuse others as unknown_symbol.
rcli SET "${PREFIX}symbols" "$SYMBOLS" >/dev/null
start_gateway --redis-port "$REDIS_PORT" --redis-prefix "$PREFIX"

# --- 1. backfill ---------------------------------------------------------------
within 120 "$feeder" --backfill "$csv" --redis-port "$REDIS_PORT" --redis-prefix "$PREFIX" \
    >"$WORK/backfill.log" 2>&1 || fail "cryptopulse-feeder --backfill exited $?"
check backfill

# --- 2. replay at high speed: the newest candle of each stays open ------------
rcli FLUSHALL >/dev/null
# 50 ms per tick of 72 market minutes: the 3 days in about 3 s.
within 120 "$feeder" --replay "$csv" --speed 86400 --interval 50 --redis-port "$REDIS_PORT" \
    --redis-prefix "$PREFIX" >"$WORK/replay.log" 2>&1 || fail "the replay exited $?"
grep -q 'replay finished' "$WORK/replay.log" || fail "the replay did not finish"
check replay

# --- 3. the rule itself -----------------------------------------------------------
# The market data's rows all have open = high = low = close; rows with four
# different prices, gaps and more decimals than the tick size check which
# price makes the open, the high, the low and the close.
rcli FLUSHALL >/dev/null
"$PY" "$top_srcdir/tests/integration/candles_serve.py" synth >"$WORK/synthetic.csv"
within 120 "$feeder" --backfill "$WORK/synthetic.csv" --redis-port "$REDIS_PORT" \
    --redis-prefix "$PREFIX" >>"$WORK/backfill.log" 2>&1 || fail "--backfill of the synthetic rows exited $?"
csv=$WORK/synthetic.csv check synthetic

# --- 4. the retention bounds caching ------------------------------------------
# A gateway told that 1h candles are kept 2 days: a closed range whose first
# candle the feeder will trim within the day of max-age is not cached; one of
# the last day is.
newest=$(rcli ZRANGE "${PREFIX}candles:BTC:1h" -1 -1 WITHSCORES | tail -1)
GW_MAIN=$GATEWAY_PORT
CANDLE_RETENTION_1H_DAYS=2 start_gateway --redis-port "$REDIS_PORT" --redis-prefix "$PREFIX"
cache_of() {
    curl -s -o /dev/null -D - "http://127.0.0.1:$1/history?symbol=BTC&interval=1h&from=$2&to=$((newest - 7200000))" |
        tr -d '\r' | sed -n 's/^Cache-Control: //Ip'
}
[ "$(cache_of "$GATEWAY_PORT" $((newest - 30 * 3600000)))" = no-cache ] ||
    fail "a range the 2-day retention trims within a day was cacheable"
[ "$(cache_of "$GATEWAY_PORT" $((newest - 20 * 3600000)))" = "public, max-age=86400" ] ||
    fail "a closed range of the last day was not cacheable under a 2-day retention"
[ "$(cache_of "$GW_MAIN" $((newest - 30 * 3600000)))" = "public, max-age=86400" ] ||
    fail "with the default 400 days the same range was not cacheable"
echo "ok - caching stops where the retention would trim the range within its max-age"

echo "PASS: $TEST_NAME"
