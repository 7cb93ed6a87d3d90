#!/bin/bash
# 10-feeder-redis: cryptopulse-feeder against a throwaway redis-server on a
# free loopback port.  Replays the shared market data and checks what lands
# in Redis (history, latest prices with TTL, heartbeat, symbols, pub/sub), the
# start-up errors, the end of a Binance replay, and surviving a Redis restart.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
feeder=$top_builddir/feeder/cryptopulse-feeder

csv=
for f in "$top_srcdir"/../shared/data/market/*.csv; do
    [ -f "$f" ] && { csv=$f; break; }
done
if [ -z "$csv" ]; then
    echo "SKIP: ../shared/data/market not found"
    exit 77
fi
for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -x "$feeder" ] || { echo "FAIL: $feeder not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/10-feeder-redis.XXXXXX")
pids=
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null || true
    done
    for p in $pids; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for log in "$tmp"/*.log; do
        [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }
    done
    exit 1
}

# forget a pid we already waited for, so that cleanup does not kill a reused one
forget() {
    pids=$(echo " $pids " | sed "s/ $1 / /")
}

now_ms() { date +%s%3N; }

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
    local deadline=$(( $(date +%s) + $1 ))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

port=
redis_pid=
rcli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_redis() {
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no >>"$tmp/redis.log" 2>&1 &
    redis_pid=$!
    pids="$pids $redis_pid"
    wait_for 5 redis_up
}

for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + RANDOM % 30000 ))
    port_busy "$port" && continue
    start_redis && break
    port=
done
[ -n "$port" ] || fail "cannot start redis-server"

# --- 1. start-up errors -------------------------------------------------
status=0
"$feeder" --interval abc 2>"$tmp/usage.err" >/dev/null || status=$?
[ "$status" -eq 2 ] || fail "--interval abc exited $status, expected 2"
grep -q '"abc"' "$tmp/usage.err" || fail "--interval abc: the message does not name the value"

printf 'ts_ms,symbol,open,high,low,close,volume\n%s\n%s\n' \
    '1738454400000,BTC-USD,1,1,1,1,5' '1738454460000,BTC-USD,1,1,1,-2,5' >"$tmp/bad.csv"
status=0
"$feeder" --replay "$tmp/bad.csv" --redis-port "$port" 2>"$tmp/bad.err" || status=$?
[ "$status" -ne 0 ] || fail "a malformed CSV did not stop the feeder"
grep -q "$tmp/bad.csv:3: close" "$tmp/bad.err" || fail "no file:line in: $(cat "$tmp/bad.err")"

# --- 2. replay of the shared data -----------------------------------------
prefix=t10:
stdbuf -oL redis-cli -h 127.0.0.1 -p "$port" SUBSCRIBE "${prefix}ticks" >"$tmp/sub.out" 2>&1 &
sub_pid=$!
pids="$pids $sub_pid"
subscribed() { [ "$(rcli PUBSUB NUMSUB "${prefix}ticks" | sed -n 2p)" = 1 ]; }
wait_for 5 subscribed || fail "the subscriber did not subscribe"

"$feeder" --replay "$csv" --interval 100 --redis-port "$port" --redis-prefix "$prefix" \
    2>"$tmp/feeder.log" &
feeder_pid=$!
pids="$pids $feeder_pid"
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

kill -TERM "$feeder_pid"
status=0
wait "$feeder_pid" || status=$?
forget "$feeder_pid"
[ "$status" -eq 0 ] || fail "the feeder exited $status on SIGTERM"

# BTC of each of the first minutes, rounded half away from zero to 2
# decimals, or "-" when BTC has no candle in that minute.
awk -F, -v k="$ticks" 'NR > 1 {
        if ($1 != last) { if (++n > k) exit; last = $1 }
        if ($2 == "BTC-USD") btc[n] = $6
    }
    END { for (i = 1; i <= k; i++)
            if (i in btc) printf "%.2f\n", int(btc[i] * 100 + 0.5) / 100; else print "-" }' \
    "$csv" >"$tmp/expected"
rcli --raw XRANGE "${prefix}history" - + COUNT "$ticks" >"$tmp/history"
awk 'NR % 3 == 1' "$tmp/history" >"$tmp/ids"
awk 'NR % 3 == 0' "$tmp/history" >"$tmp/ticks"
[ "$(awk 'NR % 3 == 2' "$tmp/history" | sort -u)" = tick ] || fail "history field is not \"tick\""
while read -r json; do
    p=$(printf '%s\n' "$json" | sed -n 's/.*{"symbol":"BTC","price":\([-0-9.e+]*\),.*/\1/p')
    if [ -n "$p" ]; then awk -v p="$p" 'BEGIN { printf "%.2f\n", p }'; else echo -; fi
done <"$tmp/ticks" >"$tmp/actual"
diff "$tmp/expected" "$tmp/actual" >"$tmp/diff.log" || fail "BTC prices differ from the CSV closes"
grep -q '^[0-9.]*$' "$tmp/expected" || fail "no BTC price among the first minutes"
paste -d ' ' "$tmp/ids" "$tmp/ticks" | while read -r id json; do
    case $json in
    "{\"id\":\"$id\",\"ts\":${id%-*},\"prices\":[{"*"}]}") ;;
    *) fail "tick $id does not have the shape {\"id\",\"ts\",\"prices\"}: $json" ;;
    esac
    n_prices=$(printf '%s' "$json" | grep -o '"symbol":' | wc -l)
    n_ids=$(printf '%s' "$json" | grep -o "\"id\":\"$id\"" | wc -l)
    [ "$n_ids" -eq $(( n_prices + 1 )) ] || fail "tick $id: a price object has another id"
done

kill "$sub_pid"
wait "$sub_pid" 2>/dev/null || true
forget "$sub_pid"
grep -q '^message$' "$tmp/sub.out" || fail "no message reached the subscriber"
grep -q "^{\"id\":\"$(head -n 1 "$tmp/ids")\",\"ts\":" "$tmp/sub.out" ||
    fail "the first tick was not published"

# --- 3. a Binance file replays to its end and exits 0 ----------------------
bn="$tmp/BTCUSDT-1m-2025-01-01.csv"
{
    echo '1735689600000000,93576.00,93610.93,93537.50,93610.93,8.2,1735689659999999,769057.3,1317,4.3,402.5,0'
    echo '1735689660000000,93610.93,93700.00,93600.00,93695.125,8.2,1735689719999999,1000,1317,4.3,402.5,0'
    echo '1735689720000000,93695.12,93700.00,93600.00,93650.004,8.2,1735689779999999,1000,1317,4.3,402.5,0'
} >"$bn"
status=0
timeout 10 "$feeder" --replay "$bn" --interval 20 --redis-port "$port" --redis-prefix bn: \
    2>"$tmp/binance.log" || status=$?
[ "$status" -eq 0 ] || fail "the Binance replay exited $status"
[ "$(rcli XLEN bn:history)" -eq 3 ] || fail "the Binance replay wrote $(rcli XLEN bn:history) ticks"
rcli GET bn:price:BTC | grep -q '"price":93650.0,' || fail "bn:price:BTC is $(rcli GET bn:price:BTC)"

# --- 4. Redis goes away and comes back ------------------------------------
"$feeder" --mock --seed 1 --interval 100 --redis-port "$port" --redis-prefix mk: \
    --redis-timeout-ms 200 2>"$tmp/mock.log" &
feeder_pid=$!
pids="$pids $feeder_pid"
has_beat() { [ -n "$(rcli GET mk:feeder:heartbeat 2>/dev/null)" ]; }
wait_for 5 has_beat || fail "the mock feeder wrote no heartbeat"
kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
forget "$redis_pid"
sleep 1
kill -0 "$feeder_pid" 2>/dev/null || fail "the feeder died when Redis went away"
start_redis || fail "cannot restart redis-server on port $port"
wait_for 8 has_beat || fail "the feeder did not reconnect within 8 s"
grep -q 'writing ticks again' "$tmp/mock.log" || fail "no reconnect in the log"
kill -INT "$feeder_pid"
status=0
wait "$feeder_pid" || status=$?
forget "$feeder_pid"
[ "$status" -eq 0 ] || fail "the feeder exited $status on SIGINT"

echo "PASS: 10-feeder-redis"
