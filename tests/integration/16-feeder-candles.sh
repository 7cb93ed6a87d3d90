#!/bin/bash
# 16-feeder-candles: the feeder's OHLCV candles in a real redis-server.
#  1. A replay of the shared market data at --speed 72000 (two hours of
#     market a tick) fills the 1h and 1d candles of BTC, ETH, XRP and DOGE
#     exactly as computed here from the CSV (open = the first row's open,
#     high = max high, low = min low, close = the last row's close, volume =
#     sum, per UTC bucket, prices at the tick size); with
#     CANDLE_RETENTION_1M_DAYS=1 the 1m key keeps one day.
#  2. --backfill of the same file writes the same candles (closed, as their
#     intervals are over), fast; a second run changes no key; a bad file
#     exits 2 naming file:line, an unreachable Redis exits 1.
#  3. Fail-over: a standby that takes over continues the open candles it
#     finds in Redis (same open, the volume goes on growing).
. "$(dirname "$0")/lib.sh"

feeder=$top_builddir/feeder/cryptopulse-feeder
csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent; set CRYPTOPULSE_SHARED)"
command -v redis-cli >/dev/null || skip "redis-cli not installed (apt-get install redis-server)"
[ -x "$feeder" ] || fail "$feeder not built"

start_redis
port=$REDIS_PORT
rcli() { redis-cli -p "$port" "$@"; }
symbols="BTC ETH XRP DOGE"

# compare PREFIX: the 1h and 1d candles of $symbols against the CSV.
compare() {
    for s in $symbols; do
        for iv in 1h 1d; do
            rcli --raw ZRANGE "$1candles:$s:$iv" 0 -1 >"$WORK/$1$s.$iv"
        done
    done
    "$PY" - "$csv" "$WORK" "$1" $symbols <<'EOF'
import csv, math, sys
path, work, prefix, symbols = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
decimals = {"BTC": 2, "ETH": 2, "XRP": 4, "DOGE": 5}
def rnd(v, d):  # half away from zero, as lib/price.c
    s = 10.0 ** d
    return math.floor(v * s + 0.5) / s
rows = {s: [] for s in symbols}
with open(path) as f:
    for r in csv.DictReader(f):
        s = r["symbol"].split("-")[0]
        if s in rows:
            rows[s].append(r)
bad = 0
for s in symbols:
    d = decimals[s]
    for iv, ms in (("1h", 3600000), ("1d", 86400000)):
        want = {}
        for r in sorted(rows[s], key=lambda r: int(r["ts_ms"])):
            t = int(r["ts_ms"]); b = t - t % ms
            o, h, l, c = (rnd(float(r[k]), d) for k in ("open", "high", "low", "close"))
            if b not in want:
                want[b] = [b, o, h, l, c, 0.0]
            w = want[b]
            w[2] = max(w[2], h); w[3] = min(w[3], l); w[4] = c; w[5] += float(r["volume"])
        got = [l.rstrip("\n") for l in open("%s/%s%s.%s" % (work, prefix, s, iv)) if l.strip()]
        if len(got) != len(want):
            print("%s %s: %d candles stored, %d computed" % (s, iv, len(got), len(want))); bad += 1
            continue
        for m, b in zip(got, sorted(want)):
            flag, vals = m[0], [float(x) for x in m[2:-1].split(",")]
            w = want[b][:5] + [rnd(want[b][5], 3)]
            ok = flag in "oc" and int(vals[0]) == b and all(
                abs(x - y) <= 1e-9 * max(1.0, abs(y)) for x, y in zip(vals[1:], w[1:]))
            if not ok:
                print("%s %s at %d: stored %s, computed %s" % (s, iv, b, m, w)); bad += 1
print("compared", sum(len(rows[s]) for s in symbols), "rows")
sys.exit(1 if bad else 0)
EOF
}

# --- 1. replay at high speed -------------------------------------------------
start replay "$feeder" --replay "$csv" --speed 72000 --interval 100 --redis-port "$port" \
    --redis-prefix t16: --candle-retention-1m-days 1
wait_exit 60 "$replay_PID" || fail "the replay did not end by itself within 60 s"
forget "$replay_PID"
compare t16: >&2 || fail "replayed candles differ from those computed from the CSV"
# Only the newest candle of a key is open.
[ "$(rcli --raw ZRANGE t16:candles:BTC:1h -1 -1 | cut -c1)" = o ] || fail "the newest 1h candle is not open"
[ "$(rcli --raw ZRANGE t16:candles:BTC:1h 0 -2 | cut -c1 | sort -u)" = c ] || fail "an older 1h candle is open"
# Retention: one day of 1m candles counted back from the newest.
newest=$(rcli --raw ZRANGE t16:candles:BTC:1m -1 -1 WITHSCORES | sed -n 2p)
oldest=$(rcli --raw ZRANGE t16:candles:BTC:1m 0 0 WITHSCORES | sed -n 2p)
[ $(( newest - oldest )) -le 86400000 ] || fail "1m candles span $(( newest - oldest )) ms with a 1-day retention"
[ $(( newest - oldest )) -ge 86000000 ] || fail "1m candles span only $(( newest - oldest )) ms"
[ "$(rcli ZCARD t16:candles:BTC:1h)" = 72 ] || fail "$(rcli ZCARD t16:candles:BTC:1h) 1h candles of BTC, not 72"

# --- 2. backfill ---------------------------------------------------------------
dump() { # every candle key of prefix $1, with scores
    for k in $(rcli --raw KEYS "$1candles:*" | sort); do
        echo "$k"; rcli --raw ZRANGE "$k" 0 -1 WITHSCORES
    done
}
t0=$(now_ms)
"$feeder" --backfill "$csv" --redis-port "$port" --redis-prefix t16b: >"$WORK/bf1.out" 2>"$WORK/bf1.err" ||
    fail "--backfill exited $?: $(cat "$WORK/bf1.err")"
took=$(( $(now_ms) - t0 ))
[ "$took" -lt 10000 ] || fail "--backfill of $(wc -l <"$csv") lines took $took ms"
grep -qx 'backfill: 46644 rows of 14 symbols: 46644 1m, 12096 5m, 1008 1h, 42 1d candles written; 0 kept (already stored); 0 skipped (a running feeder.s open candle); 0 older than the retention' "$WORK/bf1.out" ||
    fail "summary: $(cat "$WORK/bf1.out")"
compare t16b: >&2 || fail "backfilled candles differ from those computed from the CSV"
[ "$(rcli --raw ZRANGE t16b:candles:BTC:1h -1 -1 | cut -c1)" = c ] || fail "a backfilled hour of 2025 is still open"
# the same candles as the replay wrote, but for the flag
for s in $symbols; do
    diff <(rcli --raw ZRANGE "t16:candles:$s:1h" 0 -1 | cut -c2-) \
        <(rcli --raw ZRANGE "t16b:candles:$s:1h" 0 -1 | cut -c2-) >&2 ||
        fail "$s: backfilled 1h candles differ from the replay's"
done
dump t16b: >"$WORK/before"
[ "$(grep -c candles "$WORK/before")" = 56 ] || fail "$(grep -c candles "$WORK/before") keys, not 14 x 4"
"$feeder" --backfill "$csv" --redis-port "$port" --redis-prefix t16b: >"$WORK/bf2.out" 2>&1 ||
    fail "the second --backfill exited $?"
dump t16b: >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "a second --backfill changed the candles"
echo "backfill: $took ms for $(wc -l <"$csv") lines" >&2

printf 'ts_ms,symbol,open,high,low,close,volume\n1738454400000,BTC-USD,1,1,1,1,1\n1738454460000,BTC-USD,1,2,3,1,1\n' >"$WORK/bad.csv"
rc=0; "$feeder" --backfill "$WORK/bad.csv" --redis-port "$port" 2>"$WORK/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "a bad file: exit $rc, not 2"
grep -q "bad.csv:3: high 2 is below low 3" "$WORK/bad.err" || fail "no file:line: $(cat "$WORK/bad.err")"
rc=0; "$feeder" --backfill "$WORK" --redis-port "$port" 2>"$WORK/dir.err" || rc=$?
[ "$rc" = 2 ] || fail "a directory: exit $rc, not 2"
grep -q "$WORK: is a directory" "$WORK/dir.err" || fail "a directory: $(cat "$WORK/dir.err")"
future=$(( ($(date +%s) + 600) / 60 * 60000 ))
printf 'ts_ms,symbol,open,high,low,close,volume\n%s,BTC-USD,1,1,1,1,1\n' "$future" >"$WORK/future.csv"
rc=0; "$feeder" --backfill "$WORK/future.csv" --redis-port "$port" --redis-prefix t16z: 2>"$WORK/future.err" || rc=$?
[ "$rc" = 2 ] || fail "a future row: exit $rc, not 2"
grep -q "future.csv:2: time $future is in the future" "$WORK/future.err" || fail "future: $(cat "$WORK/future.err")"
[ "$(rcli KEYS 't16z:*' | wc -w)" = 0 ] || fail "a refused future row wrote something"
rc=0; "$feeder" --backfill "$csv" --redis-port "$(free_port)" --redis-timeout-ms 200 2>"$WORK/away.err" || rc=$?
[ "$rc" = 1 ] || fail "Redis away: exit $rc, not 1 ($(cat "$WORK/away.err"))"

# --- 3. fail-over continues the open candle ----------------------------------
interval=200
start a "$feeder" --seed 1 --interval $interval --redis-port "$port" --redis-prefix t16f: --symbols BTC,ETH
held_by() { [ "$(rcli GET t16f:feeder:lease | cut -d: -f2)" = "$1" ]; }
wait_for 5 held_by "$a_PID" || fail "feeder a did not take the lease"
start b "$feeder" --seed 2 --interval $interval --redis-port "$port" --redis-prefix t16f: --symbols BTC,ETH
sleep 2
before=$(rcli --raw ZRANGE t16f:candles:BTC:1d -1 -1)
stop "$a_PID" KILL || true
wait_for 5 held_by "$b_PID" || fail "b did not take over"
sleep 1.5
after=$(rcli --raw ZRANGE t16f:candles:BTC:1d -1 -1)
stop "$b_PID" || fail "b exited $? on SIGTERM"
echo "before: $before; after: $after" >&2
"$PY" - "$before" "$after" <<'EOF' || fail "the day's candle did not go on across the fail-over"
import sys
b, a = (s[2:-1].split(",") for s in sys.argv[1:3])
b, a = [float(x) for x in b], [float(x) for x in a]
assert sys.argv[1][0] == "o" and sys.argv[2][0] == "o", "not open"
if a[0] != b[0]:
    sys.exit(0)  # midnight UTC passed during the test: a new day, nothing to compare
assert a[1] == b[1], "the open changed: %s -> %s" % (b[1], a[1])
assert a[2] >= b[2] and a[3] <= b[3], "high/low went back"
assert a[5] > b[5], "volume did not grow on from %s (got %s)" % (b[5], a[5])
EOF

echo "PASS: $TEST_NAME"
