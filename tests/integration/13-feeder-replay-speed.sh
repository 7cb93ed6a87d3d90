#!/bin/bash
# 13-feeder-replay-speed: replaying the shared market data at --speed 1200
# (two minutes of market time per 100 ms tick) publishes, in order, each
# tick's latest BTC close; --loop starts a short file over with its closes
# in the same order.
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent; set CRYPTOPULSE_SHARED)"
command -v redis-cli >/dev/null || skip "redis-cli not installed (apt-get install redis-server)"
[ -x "$feeder" ] || fail "$feeder not built"

start_redis
port=$REDIS_PORT
rcli() { redis-cli -p "$port" "$@"; }
btc_closes() { # BTC price of each tick of the stream $1, "-" when absent
    rcli --raw XRANGE "$1" - + | awk 'NR % 3 == 0' | while read -r json; do
        p=$(printf '%s\n' "$json" | sed -n 's/.*{"symbol":"BTC","price":\([-0-9.e+]*\),.*/\1/p')
        if [ -n "$p" ]; then awk -v p="$p" 'BEGIN { printf "%.2f\n", p }'; else echo -; fi
    done
}

# --- 1. --speed: tick k covers (t0 + (k-1) * 2 min, t0 + k * 2 min] --------
ticks=8
start fast "$feeder" --replay "$csv" --speed 1200 --interval 100 --redis-port "$port" --redis-prefix t13:
enough() { [ "$(rcli XLEN t13:history)" -ge "$ticks" ]; }
wait_for 10 enough || fail "fewer than $ticks ticks"
stop "$fast_PID" || fail "the feeder exited $? on SIGTERM"
awk -F, -v k="$ticks" 'NR == 2 { t0 = $1 }
    NR > 1 { i = $1 == t0 ? 0 : int(($1 - t0 + 119999) / 120000); if (i >= k) exit
             if ($2 == "BTC-USD") btc[i] = $6 }
    END { for (i = 0; i < k; i++)
            if (i in btc) printf "%.2f\n", int(btc[i] * 100 + 0.5) / 100; else print "-" }' \
    "$csv" >"$WORK/expected"
btc_closes t13:history | head -n "$ticks" >"$WORK/actual"
diff "$WORK/expected" "$WORK/actual" >&2 || fail "BTC at --speed 1200 differs from the file's closes"

# --- 2. --loop ---------------------------------------------------------------
printf 'ts_ms,symbol,open,high,low,close,volume\n%s\n%s\n%s\n' \
    '1738454400000,BTC-USD,101,101,101,101,5' '1738454460000,BTC-USD,102,102,102,102,0' \
    '1738454520000,BTC-USD,103,103,103,103,5' >"$WORK/three.csv"
start loop "$feeder" --replay "$WORK/three.csv" --loop --interval 50 --redis-port "$port" --redis-prefix t13l:
seven() { [ "$(rcli XLEN t13l:history)" -ge 7 ]; }
wait_for 5 seven || fail "the looping replay wrote fewer than 7 ticks"
stop "$loop_PID" || fail "the feeder exited $? on SIGTERM"
[ "$(btc_closes t13l:history | head -n 7 | tr '\n' ' ')" = "101.00 102.00 103.00 101.00 102.00 103.00 101.00 " ] ||
    fail "--loop gave $(btc_closes t13l:history | head -n 7 | tr '\n' ' ')"

echo "PASS: $TEST_NAME"
