#!/bin/bash
# 12-feeder-failover: two mock feeders on one throwaway redis-server.  Exactly
# one writes (the lease holder); when it is killed with SIGKILL the standby
# takes over within two intervals, and when the new writer gets SIGTERM it
# hands over at once.  Every tick id is published once and the ids increase
# strictly across both fail-overs; prices do not jump at a fail-over.
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
command -v redis-cli >/dev/null || skip "redis-cli not installed (apt-get install redis-server)"
[ -x "$feeder" ] || fail "$feeder not built"

start_redis
port=$REDIS_PORT
rcli() { redis-cli -p "$port" "$@"; }
interval=200
run_feeder() { start "$1" "$feeder" --seed "$2" --interval $interval --redis-port "$port" --redis-prefix t12:; }
holder() { rcli GET t12:feeder:lease | cut -d: -f2; }
held_by() { [ "$(holder)" = "$1" ]; }
ticks() { rcli XLEN t12:history; }

start sub stdbuf -oL redis-cli -p "$port" SUBSCRIBE t12:ticks
subscribed() { [ "$(rcli PUBSUB NUMSUB t12:ticks | sed -n 2p)" = 1 ]; }
wait_for 5 subscribed || fail "the subscriber did not subscribe"

run_feeder a 1
wait_for 5 held_by "$a_PID" || fail "feeder a did not take the lease"
run_feeder b 2
sleep 1
held_by "$a_PID" || fail "the lease moved to $(holder) while a was alive"
grep -q 'standing by' "$WORK/b.log" || fail "b does not say it stands by"
grep -q 'active' "$WORK/b.log" && fail "b became active while a was alive"

# SIGKILL: no chance to hand over; b must wait out a's lease.
before=$(ticks)
stop "$a_PID" KILL || true
wait_for 5 held_by "$b_PID" || fail "b did not take over within 5 s"
sleep 1
[ "$(ticks)" -gt $(( before + 2 )) ] || fail "b does not write ticks"

# SIGTERM: b gives its lease up and a new standby takes over at once.
run_feeder c 3
sleep 0.5
held_by "$b_PID" || fail "c took the lease from a live b"
stop "$b_PID" || fail "b exited $? on SIGTERM"
wait_for 5 held_by "$c_PID" || fail "c did not take over after b's SIGTERM"
sleep 1
stop "$c_PID" || fail "c exited $? on SIGTERM"
sleep 0.3
stop "$sub_PID" || true

grep '^{"id":' "$WORK/sub.log" >"$WORK/ticks"
sed 's/^{"id":"\([0-9-]*\)".*/\1/' "$WORK/ticks" >"$WORK/published"
[ "$(wc -l <"$WORK/published")" -eq "$(ticks)" ] ||
    fail "$(wc -l <"$WORK/published") messages for $(ticks) ticks in the stream"
sort -t- -k1,1n -k2,2n -u "$WORK/published" | cmp -s - "$WORK/published" ||
    fail "tick ids repeat or go backwards: $(sort "$WORK/published" | uniq -d | head -3)"
# Longest silence between two published ticks, from the ids' ms.
gap=$(cut -d- -f1 "$WORK/published" | awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { print m + 0 }')
[ "$gap" -le $(( 2 * interval )) ] || fail "$gap ms without a tick, more than two intervals ($(( 2 * interval )) ms)"

# A writer that takes over continues the walk from the newest tick in the
# stream, and its 24 h window holds the stream's ticks (read in pages of 500):
# plant 1200 with BTC at 52000 first, 55000 in the third page, 50000 last
# and 51000 elsewhere (the walk starts near 100625).
now=$(now_ms)
awk -v now="$now" 'BEGIN {
    for (k = 0; k < 1200; k++) {
        ts = now - 5000 + k
        p = k == 0 ? "52000.0" : k == 1100 ? "55000.0" : k == 1199 ? "50000.0" : "51000.0"
        t = sprintf("{\"id\":\"%.0f-0\",\"ts\":%.0f,\"prices\":[{\"symbol\":\"BTC\",\"price\":%s,\"change24h\":0.0,\"volume24h\":%d.0,\"high24h\":%s,\"low24h\":%s,\"ts\":%.0f,\"id\":\"%.0f-0\"}]}", ts, ts, p, k + 1, p, p, ts, ts)
        gsub(/"/, "\\\"", t)
        printf "XADD t12p:history %.0f-0 tick \"%s\"\n", ts, t
    } }' | rcli >/dev/null
[ "$(rcli XLEN t12p:history)" = 1200 ] || fail "planted $(rcli XLEN t12p:history) ticks, not 1200"
start d "$feeder" --seed 4 --interval $interval --redis-port "$port" --redis-prefix t12p:
more() { [ "$(rcli XLEN t12p:history)" -ge 1201 ]; }
wait_for 5 more || fail "d wrote no tick"
stop "$d_PID" || true
first=$(rcli --raw XRANGE t12p:history - + COUNT 1201 | sed -n 3603p)
field() { printf '%s\n' "$first" | sed -n "s/.*{\"symbol\":\"BTC\",[^}]*\"$1\":\\([-0-9.e+]*\\)[,}].*/\\1/p"; }
btc=$(field price)
awk -v p="$btc" 'BEGIN { exit !(p > 49500 && p < 50500) }' ||
    fail "after the planted tick BTC went out at $btc, not near 50000"
# The 24 h figures go on from the planted ticks rather than starting afresh.
[ "$(field high24h)" = 55000.0 ] || fail "d's first high24h is $(field high24h), not 55000.0: $first"
awk -v p="$btc" -v c="$(field change24h)" -v l="$(field low24h)" \
    -v v="$(field volume24h)" 'BEGIN { e = (p - 52000) / 52000 * 100
        exit !(c - e < 0.01 && e - c < 0.01 && l <= 50000 && v > 1200 && v < 1e7) }' ||
    fail "d's first change24h/low24h/volume24h do not go on from the planted ticks: $first"
echo "longest gap between ticks: $gap ms (interval $interval ms)"
echo "PASS: $TEST_NAME"
