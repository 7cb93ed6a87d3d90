#!/usr/bin/env bash
# The live feed's soak (issue 14): cryptopulse-feeder --live against three
# local exchange simulators (tests/integration/exchange_sim.py; Binance and
# Kraken over wss:// with a throwaway CA) for MINUTES minutes, one simulator
# dropping its connections every minute in turn (abruptly, no close frame).
# Reports: ticks written against the ticks the interval allows, the largest
# gap between consecutive ticks, ticks with a stale price, reconnects per
# source, and the feeder's RSS over the run (sampled every 10 s).
#
#   bench/live_soak.sh [MINUTES]   (default 10)
#
# Needs a built tree (scripts/build.sh), redis-server, python3-websockets and
# openssl.  Traffic stays on loopback; everything started here is stopped by
# pid on exit.  Exit status 0 when no tick was missed and no price went
# stale, else 1.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-10}
PY=/usr/bin/python3
INTERVAL=1500
work=$(mktemp -d /tmp/cp-live-soak.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sh "$src/tests/integration/sim_ca.sh" "$work/ca"
declare -A wsport ctlport
for ex in binance coinbase kraken; do
    wsport[$ex]=$(port)
    ctlport[$ex]=$(port)
    tls=()
    [ "$ex" != coinbase ] && tls=(--tls-cert "$work/ca/server.pem" --tls-key "$work/ca/server.key")
    "$PY" "$src/tests/integration/exchange_sim.py" --exchange "$ex" --port "${wsport[$ex]}" \
        --control-port "${ctlport[$ex]}" --walk --max-runtime-s $((minutes * 60 + 120)) --quiet \
        "${tls[@]}" >"$work/$ex.log" 2>&1 &
    pids+=($!)
done
redis_port=$(port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
for ex in binance coinbase kraken; do
    for _ in $(seq 100); do grep -q '^CONTROL' "$work/$ex.log" && break; sleep 0.1; done
done
"$src/feeder/cryptopulse-feeder" --live --redis-port "$redis_port" --interval "$INTERVAL" \
    --ca-file "$work/ca/ca.pem" --history-length 100000 \
    --binance-ws-url "wss://localhost:${wsport[binance]}" \
    --coinbase-ws-url "ws://127.0.0.1:${wsport[coinbase]}" \
    --kraken-ws-url "wss://127.0.0.1:${wsport[kraken]}/v2" >"$work/feeder.log" 2>&1 &
feeder=$!
pids+=($feeder)
echo "soak: $minutes min, feeder pid $feeder, logs in $work"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$feeder/status"; }
start_ms=$(date +%s%3N)
: >"$work/rss.txt"
names=(binance coinbase kraken)
for ((s = 0; s < minutes * 60; s += 10)); do
    sleep 10
    kill -0 "$feeder" || { echo "the feeder died"; exit 1; }
    rss >>"$work/rss.txt"
    if [ $(((s + 10) % 60)) = 0 ]; then
        victim=${names[$((((s + 10) / 60 - 1) % 3))]}
        curl -s -o /dev/null "http://127.0.0.1:${ctlport[$victim]}/control/drop"
        echo "$(((s + 10) / 60)) min: dropped $victim's connections"
    fi
done
end_ms=$(date +%s%3N)
state=$(redis-cli -p "$redis_port" GET cryptopulse:feeder:sources)
redis-cli -p "$redis_port" --json XRANGE cryptopulse:history "$start_ms" "$end_ms" >"$work/ticks.json"
"$PY" - "$work/ticks.json" "$work/rss.txt" "$start_ms" "$end_ms" "$INTERVAL" "$state" <<'PYEOF'
import json, sys
entries = json.load(open(sys.argv[1]))
rss = [int(l) for l in open(sys.argv[2]) if l.strip()]
start, end, interval = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
state = json.loads(sys.argv[6])
ts = [int(e[0].split("-")[0]) for e in entries]
stale = sum(any(p.get("stale") for p in json.loads(dict(zip(e[1][::2], e[1][1::2]))["tick"])["prices"])
            for e in entries)
expected = (end - start) // interval
gap = max(b - a for a, b in zip(ts, ts[1:])) if len(ts) > 1 else 0
print(f"ticks written: {len(ts)} of {expected} the interval allows; largest gap {gap} ms "
      f"(interval {interval}); ticks with a stale price: {stale}")
print("reconnects: " + ", ".join(f"{s['name']} {s['reconnects']}" for s in state["sources"]) +
      "; malformed: " + ", ".join(f"{s['name']} {s['malformed']}" for s in state["sources"]))
print(f"feeder RSS: {min(rss)} kB min, {max(rss)} kB max, {rss[-1]} kB at the end "
      f"({len(rss)} samples); first minute {max(rss[:6])} kB, last minute {max(rss[-6:])} kB")
ok = len(ts) >= expected - 1 and gap <= interval * 1.5 and stale == 0
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PYEOF
