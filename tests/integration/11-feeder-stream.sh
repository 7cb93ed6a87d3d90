#!/bin/bash
# 11-feeder-stream: the mock feeder against a throwaway redis-server with a
# password, a database and a prefix given as environment variables: price
# TTLs set and expiring, the history stream capped at HISTORY_LENGTH, exactly
# one PUBLISH per tick with strictly increasing ids, --seed reproducing a
# run, and a redis-server killed with SIGKILL mid-run and restarted.
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
command -v redis-cli >/dev/null || skip "redis-cli not installed (apt-get install redis-server)"
[ -x "$feeder" ] || fail "$feeder not built"

start_redis
port=$REDIS_PORT
redis-cli -p "$port" CONFIG SET requirepass s3cret >/dev/null
rcli() { redis-cli --no-auth-warning -a s3cret -p "$port" -n 3 "$@"; }
export REDIS_PASSWORD=s3cret REDIS_DB=3 REDIS_PREFIX=t11: REDIS_PORT="$port"
len=20

# --- 1. TTLs, cap, one PUBLISH per tick -----------------------------------
start sub stdbuf -oL redis-cli --no-auth-warning -a s3cret -p "$port" SUBSCRIBE t11:ticks
subscribed() { [ "$(rcli PUBSUB NUMSUB t11:ticks | sed -n 2p)" = 1 ]; }
wait_for 5 subscribed || fail "the subscriber did not subscribe"
start feeder "$feeder" --seed 7 --interval 100 --history-length "$len" --price-ttl 1
added() { rcli XINFO STREAM t11:history | sed -n '/^entries-added$/{n;p}'; }
many() { [ "$(added)" -ge $(( len + 15 )) ]; }
wait_for 10 many || fail "fewer than $(( len + 15 )) ticks written"
[ "$(redis-cli --no-auth-warning -a s3cret -p "$port" -n 0 DBSIZE)" = 0 ] ||
    fail "keys were written to database 0, not REDIS_DB=3"
[ "$(rcli XLEN t11:history)" -eq "$len" ] || fail "XLEN is $(rcli XLEN t11:history), not $len"
pttl=$(rcli PTTL t11:price:BTC)
[ "$pttl" -gt 0 ] && [ "$pttl" -le 1000 ] || fail "PTTL of t11:price:BTC is $pttl, expected 1..1000"
[ "$(rcli TTL t11:feeder:heartbeat)" = -1 ] || fail "the heartbeat has a TTL"
rcli GET t11:feeder:lease | grep -q ":$feeder_PID:" || fail "the lease is not the feeder's"
stop "$feeder_PID" || fail "the feeder exited $? on SIGTERM"
sleep 0.3 # let the last message reach the subscriber
stop "$sub_PID" || true
total=$(added)
grep '^{"id":' "$WORK/sub.log" |
    sed 's/^{"id":"\([0-9-]*\)".*/\1/' >"$WORK/published"
[ "$(wc -l <"$WORK/published")" -eq "$total" ] ||
    fail "$(wc -l <"$WORK/published") messages published for $total ticks"
sort -t- -k1,1n -k2,2n -u "$WORK/published" | cmp -s - "$WORK/published" ||
    fail "published tick ids are not strictly increasing"
rcli --raw XRANGE t11:history - + | awk 'NR % 3 == 1' >"$WORK/kept"
tail -n "$len" "$WORK/published" | cmp -s - "$WORK/kept" || fail "the stream does not hold the last $len ticks"
[ "$(rcli EXISTS t11:feeder:lease)" = 0 ] || fail "the lease outlived SIGTERM"
sleep 1.1
[ "$(rcli EXISTS t11:price:BTC)" = 0 ] || fail "t11:price:BTC did not expire after its TTL"

# --- 2. --seed reproduces the prices ---------------------------------------
prices_of() { # the first 5 ticks of prefix $1 without their ids and times
    rcli --raw XRANGE "${1}history" - + COUNT 5 | awk 'NR % 3 == 0' |
        sed -e 's/"ts":[0-9]*,//g' -e 's/"id":"[0-9-]*",\{0,1\}//g'
}
for p in s1: s2:; do
    start seeded env REDIS_PREFIX=$p "$feeder" --seed 99 --interval 20
    five() { [ "$(rcli XLEN "${p}history")" -ge 5 ]; }
    wait_for 5 five || fail "no 5 ticks under $p"
    stop "$seeded_PID" || true
done
prices_of s1: >"$WORK/s1"
prices_of s2: >"$WORK/s2"
grep -q '"symbol":"BTC","price":' "$WORK/s1" || fail "no BTC price under s1:"
cmp -s "$WORK/s1" "$WORK/s2" || fail "two runs with --seed 99 wrote different prices"

# --- 3. Redis killed and restarted mid-run ---------------------------------
start mock "$feeder" --seed 1 --interval 100 --redis-timeout-ms 200
beating() { [ -n "$(rcli GET t11:feeder:heartbeat 2>/dev/null)" ]; }
wait_for 5 beating || fail "the feeder wrote no heartbeat"
stop "$redis_PID" KILL || true
sleep 1.5
kill -0 "$mock_PID" 2>/dev/null || fail "the feeder died when Redis was killed"
start_redis "$port"
redis-cli -p "$port" CONFIG SET requirepass s3cret >/dev/null
back=$(now_ms)
wait_for 8 beating || fail "the feeder did not come back within 8 s of Redis"
sleep 1
# Dropped ticks are not queued: about one tick per 100 ms since Redis came back.
n=$(rcli XLEN t11:history)
limit=$(( ($(now_ms) - back) / 100 + 2 ))
[ "$n" -le "$limit" ] || fail "$n ticks within $limit intervals of Redis coming back: a backlog"
grep -q 'writing ticks again' "$WORK/mock.log" || fail "no recovery in the log"
stop "$mock_PID" || fail "the feeder exited $? on SIGTERM"

echo "PASS: $TEST_NAME"
