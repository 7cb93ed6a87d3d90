#!/bin/bash
# 10-feeder-redis: cryptopulse-feeder against a throwaway redis-server on a
# free loopback port.  Replays the shared market data and checks what lands
# in Redis (history, latest prices with TTL, heartbeat, symbols, pub/sub), the
# start-up errors, the end of a Binance replay, and surviving a Redis restart.
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent; set CRYPTOPULSE_SHARED)"
for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null || skip "$tool not installed (apt-get install redis-server)"
done
[ -x "$feeder" ] || fail "$feeder not built"

start_redis
port=$REDIS_PORT
rcli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }

# --- 1. start-up errors -------------------------------------------------
status=0
within 10 "$feeder" --interval abc 2>"$WORK/usage.err" >/dev/null || status=$?
[ "$status" -eq 2 ] || fail "--interval abc exited $status, expected 2"
grep -q '"abc"' "$WORK/usage.err" || fail "--interval abc: the message does not name the value"

printf 'ts_ms,symbol,open,high,low,close,volume\n%s\n%s\n' \
    '1738454400000,BTC-USD,1,1,1,1,5' '1738454460000,BTC-USD,1,1,1,-2,5' >"$WORK/bad.csv"
status=0
within 10 "$feeder" --replay "$WORK/bad.csv" --redis-port "$port" 2>"$WORK/bad.err" || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "a malformed CSV did not stop the feeder"
grep -q "$WORK/bad.csv:3: close" "$WORK/bad.err" || fail "no file:line in: $(cat "$WORK/bad.err")"

# --- 2. replay of the shared data -----------------------------------------
prefix=t10:
start sub stdbuf -oL redis-cli -h 127.0.0.1 -p "$port" SUBSCRIBE "${prefix}ticks"
subscribed() { [ "$(rcli PUBSUB NUMSUB "${prefix}ticks" | sed -n 2p)" = 1 ]; }
wait_for 5 subscribed || fail "the subscriber did not subscribe"

start feeder "$feeder" --replay "$csv" --interval 100 --redis-port "$port" --redis-prefix "$prefix"
ticks=8
enough_ticks() { [ "$(rcli XLEN "${prefix}history")" -ge "$ticks" ]; }
wait_for 10 enough_ticks || fail "fewer than $ticks ticks in ${prefix}history"

ttl=$(rcli TTL "${prefix}price:BTC")
[ "$ttl" -ge 1 ] && [ "$ttl" -le 3 ] || fail "TTL of ${prefix}price:BTC is $ttl, expected 1..3"
rcli GET "${prefix}price:BTC" | grep -q '^{"symbol":"BTC","price":' ||
    fail "${prefix}price:BTC is not a BTC price object"
beat=$(rcli GET "${prefix}feeder:heartbeat")
age=$(( $(now_ms) - beat ))
[ "$age" -ge -1000 ] && [ "$age" -le 2000 ] || fail "heartbeat is $age ms old"
[ "$(rcli GET "${prefix}symbols")" = BTC,ETH,SOL,BNB,XRP,ADA,DOGE,AVAX,DOT,LINK,LTC,MATIC,USDT,USDC ] ||
    fail "${prefix}symbols is $(rcli GET "${prefix}symbols")"

status=0
stop "$feeder_PID" TERM || status=$?
[ "$status" -eq 0 ] || fail "the feeder exited $status on SIGTERM"

# BTC of each of the first minutes, rounded half away from zero to 2
# decimals, or "-" when BTC has no candle in that minute.
awk -F, -v k="$ticks" 'NR > 1 {
        if ($1 != last) { if (++n > k) exit; last = $1 }
        if ($2 == "BTC-USD") btc[n] = $6
    }
    END { for (i = 1; i <= k; i++)
            if (i in btc) printf "%.2f\n", int(btc[i] * 100 + 0.5) / 100; else print "-" }' \
    "$csv" >"$WORK/expected"
rcli --raw XRANGE "${prefix}history" - + COUNT "$ticks" >"$WORK/history"
awk 'NR % 3 == 1' "$WORK/history" >"$WORK/ids"
awk 'NR % 3 == 0' "$WORK/history" >"$WORK/ticks"
[ "$(awk 'NR % 3 == 2' "$WORK/history" | sort -u)" = tick ] || fail "history field is not \"tick\""
while read -r json; do
    p=$(printf '%s\n' "$json" | sed -n 's/.*{"symbol":"BTC","price":\([-0-9.e+]*\),.*/\1/p')
    if [ -n "$p" ]; then awk -v p="$p" 'BEGIN { printf "%.2f\n", p }'; else echo -; fi
done <"$WORK/ticks" >"$WORK/actual"
diff "$WORK/expected" "$WORK/actual" >"$WORK/diff.log" || fail "BTC prices differ from the CSV closes"
grep -q '^[0-9.]*$' "$WORK/expected" || fail "no BTC price among the first minutes"
paste -d ' ' "$WORK/ids" "$WORK/ticks" | while read -r id json; do
    case $json in
    "{\"id\":\"$id\",\"ts\":${id%-*},\"prices\":[{"*"}]}") ;;
    *) fail "tick $id does not have the shape {\"id\",\"ts\",\"prices\"}: $json" ;;
    esac
    n_prices=$(printf '%s' "$json" | grep -o '"symbol":' | wc -l)
    n_ids=$(printf '%s' "$json" | grep -o "\"id\":\"$id\"" | wc -l)
    [ "$n_ids" -eq $(( n_prices + 1 )) ] || fail "tick $id: a price object has another id"
done

stop "$sub_PID" || true
grep -q '^message$' "$WORK/sub.log" || fail "no message reached the subscriber"
grep -q "^{\"id\":\"$(head -n 1 "$WORK/ids")\",\"ts\":" "$WORK/sub.log" ||
    fail "the first tick was not published"

# --- 3. a Binance file replays to its end and exits 0 ----------------------
bn="$WORK/BTCUSDT-1m-2025-01-01.csv"
{
    echo '1735689600000000,93576.00,93610.93,93537.50,93610.93,8.2,1735689659999999,769057.3,1317,4.3,402.5,0'
    echo '1735689660000000,93610.93,93700.00,93600.00,93695.125,8.2,1735689719999999,1000,1317,4.3,402.5,0'
    echo '1735689720000000,93695.12,93700.00,93600.00,93650.004,8.2,1735689779999999,1000,1317,4.3,402.5,0'
} >"$bn"
status=0
timeout 10 "$feeder" --replay "$bn" --interval 20 --redis-port "$port" --redis-prefix bn: \
    2>"$WORK/binance.log" || status=$?
[ "$status" -eq 0 ] || fail "the Binance replay exited $status"
[ "$(rcli XLEN bn:history)" -eq 3 ] || fail "the Binance replay wrote $(rcli XLEN bn:history) ticks"
rcli GET bn:price:BTC | grep -q '"price":93650.0,' || fail "bn:price:BTC is $(rcli GET bn:price:BTC)"

# --- 4. Redis goes away and comes back ------------------------------------
start mock "$feeder" --mock --seed 1 --interval 100 --redis-port "$port" --redis-prefix mk: \
    --redis-timeout-ms 200
has_beat() { [ -n "$(rcli GET mk:feeder:heartbeat 2>/dev/null)" ]; }
wait_for 5 has_beat || fail "the mock feeder wrote no heartbeat"
stop "$redis_PID" || true
sleep 1
kill -0 "$mock_PID" 2>/dev/null || fail "the feeder died when Redis went away"
start_redis "$port"
wait_for 8 has_beat || fail "the feeder did not reconnect within 8 s"
grep -q 'writing ticks again' "$WORK/mock.log" || fail "no reconnect in the log"
# Redis was away for more than a second at 100 ms a tick: every tick of the
# outage counts, not only the one whose write failed.
lost=$(sed -n 's/.*writing ticks again after dropping \([0-9]*\).*/\1/p' "$WORK/mock.log" | head -n 1)
[ "${lost:-0}" -ge 8 ] || fail "the log says ${lost:-no} ticks were dropped in a 1 s outage"
status=0
stop "$mock_PID" INT || status=$?
[ "$status" -eq 0 ] || fail "the feeder exited $status on SIGINT"

# --- 5. errors name the address Sentinel gave, not REDIS_HOST:REDIS_PORT ---
command -v redis-sentinel >/dev/null || skip "redis-sentinel not installed"
dead=$(free_port)
sport=$(free_port)
printf 'port %s\nbind 127.0.0.1\nsentinel monitor cryptopulse 127.0.0.1 %s 1\n' "$sport" "$dead" \
    >"$WORK/sentinel.conf"
start sentinel redis-sentinel "$WORK/sentinel.conf"
wait_for 5 redis-cli -p "$sport" ping || fail "redis-sentinel did not start"
start sent "$feeder" --mock --interval 100 --redis-port "$port" --redis-prefix st: \
    --redis-sentinels "127.0.0.1:$sport" --redis-timeout-ms 200
names_dead() { grep -q "redis 127.0.0.1:$dead: connect: " "$WORK/sent.log"; }
wait_for 5 names_dead || fail "no error naming the master's address 127.0.0.1:$dead"
grep -q "redis 127.0.0.1:$port:" "$WORK/sent.log" && fail "an error names REDIS_PORT $port"
stop "$sent_PID" || fail "the feeder exited $? on SIGTERM"
stop "$sentinel_PID" || true

echo "PASS: $TEST_NAME"
