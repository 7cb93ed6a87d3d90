#!/usr/bin/env bash
# Redis Sentinel: a master, a replica and a real redis-sentinel; the gateway
# and the feeder find the master through Sentinel (REDIS_SENTINELS).  The
# master is killed, Sentinel promotes the replica, and ticks resume at the
# clients without them reconnecting.
. "$(dirname "$0")/lib.sh"

command -v redis-sentinel >/dev/null || skip "redis-sentinel not installed (apt-get install redis-sentinel)"
master_port=$(free_port)
replica_port=$(free_port)
sentinel_port=$(free_port)
start master redis-server --port "$master_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK"
wait_for 10 redis-cli -p "$master_port" ping || fail "master did not start"
mkdir -p "$WORK/replica"
start replica redis-server --port "$replica_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK/replica" --replicaof 127.0.0.1 "$master_port"
cat >"$WORK/sentinel.conf" <<CONF
port $sentinel_port
bind 127.0.0.1
dir $WORK
sentinel monitor cryptopulse 127.0.0.1 $master_port 1
sentinel down-after-milliseconds cryptopulse 1000
sentinel failover-timeout cryptopulse 5000
CONF
start sentinel redis-sentinel "$WORK/sentinel.conf"
replica_known() {
    redis-cli -p "$sentinel_port" SENTINEL replicas cryptopulse 2>/dev/null | grep -q "$replica_port"
}
wait_for 20 replica_known || fail "Sentinel did not discover the replica"

export REDIS_SENTINELS=127.0.0.1:$sentinel_port REDIS_MASTER_NAME=cryptopulse
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port 1 --interval 200
# The gateway's first Sentinel accepts and never answers: it must neither
# block the gateway nor stop it from asking the next one.
black_hole=$(free_port)
start_silent hole "$black_hole"
REDIS_SENTINELS=127.0.0.1:$black_hole,127.0.0.1:$sentinel_port \
    start_gateway --redis-port 1 --interval 200 --redis-timeout-ms 1000   # port 1: only Sentinel knows
slowest=0
for _ in 1 2 3 4 5; do
    ms=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$GATEWAY_PORT/health" | awk '{ printf "%d", $1 * 1000 }')
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    sleep 0.2
done
echo "slowest /health while a Sentinel hangs: $slowest ms"
[ "$slowest" -lt 300 ] || fail "a hanging Sentinel blocked the gateway ($slowest ms)"

"$PY" - "$GATEWAY_PORT" >"$WORK/ws.txt" 2>&1 <<'PYEOF' &
import asyncio, json, sys, time, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws", ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), 10)
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), end - time.monotonic()))
            except asyncio.TimeoutError:
                break
            if m["event"] == "price-update-bulk":
                print(f"tick {time.time():.3f} {m['data']['id']}", flush=True)
        print("still connected", flush=True)
asyncio.run(main())
PYEOF
client=$!
PIDS+=("$client")
wait_for 10 grep -q '^tick ' "$WORK/ws.txt" || fail "no ticks through Sentinel's master"

kill -9 "$master_PID"
killed_at=$(date +%s.%N)
promoted() {
    redis-cli -p "$sentinel_port" SENTINEL get-master-addr-by-name cryptopulse | grep -qx "$replica_port"
}
wait_for 20 promoted || fail "Sentinel did not promote the replica"
echo "replica promoted after $(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
after_kill() {
    awk -v t="$killed_at" '$1 == "tick" && $2 > t + 0.5' "$WORK/ws.txt" | grep -q .
}
wait_for 20 after_kill || fail "ticks did not resume after the fail-over"
wait "$client" || true
grep -q '^still connected$' "$WORK/ws.txt" || fail "the client was disconnected"
n=$(awk -v t="$killed_at" '$1 == "tick" && $2 > t' "$WORK/ws.txt" | wc -l)
echo "$n ticks after the fail-over, from the promoted replica"
[ "$n" -ge 5 ] || fail "only $n ticks after the fail-over"
echo "PASS: $TEST_NAME"
