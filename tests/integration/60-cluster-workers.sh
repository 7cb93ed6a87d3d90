#!/usr/bin/env bash
# Worker processes: 4 workers share one port and the clients spread across
# them (seen in /stats); a worker killed with SIGKILL is replaced and its
# clients can reconnect; SIGTERM drains every worker with close 1001; two
# gateway instances deliver the same ticks.
. "$(dirname "$0")/lib.sh"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --workers 4 --stats-interval-ms 200 --instance-id one
base=http://127.0.0.1:$GATEWAY_PORT

# 40 clients that hold on, report their close code, and say which tick ids
# they saw; they run in the background while workers die and the gateway stops.
# One still open after 120 s (the test is over by then) reports that instead.
"$PY" - "$GATEWAY_PORT" >"$WORK/clients.txt" 2>&1 <<'PYEOF' &
import asyncio, json, sys, websockets
async def client(i):
    try:
        async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws", open_timeout=5) as ws:
            await ws.recv()
            await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
            while True:
                await ws.recv()
    except websockets.ConnectionClosed as e:
        return e.code
    except Exception as e:
        return repr(e)
async def bounded(i):
    try:
        return await asyncio.wait_for(client(i), 120)
    except asyncio.TimeoutError:
        return "still open after 120 s"
async def main():
    codes = await asyncio.gather(*[bounded(i) for i in range(40)])
    print(json.dumps(codes))
asyncio.run(main())
PYEOF
clients=$!
PIDS+=("$clients")

workers_json() { curl -sf "$base/stats"; }
spread() {
    workers_json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
busy = [w for w in d["workers"] if w["websocket"]["current"] > 0]
assert d["websocket"]["current"] == 40 and len(d["workers"]) == 4 and len(busy) >= 2, d["websocket"]
print(sorted(w["websocket"]["current"] for w in d["workers"]))'
}
wait_for 10 spread || fail "40 clients not spread over 4 workers: $(workers_json | head -c 300)"
echo "clients per worker: $(spread)"
curl -sf "$base/metrics" | grep -q '^cryptopulse_connections{gateway="one",worker="3",transport="websocket"} ' \
    || fail "/metrics lacks a per-worker series"

# SIGKILL one worker: the supervisor starts another, and a new client connects.
victim=$(pgrep -P "$gateway_PID" | head -n1)
kill -9 "$victim"
wait_for 5 grep -q "worker [0-3] (pid $victim) killed by signal 9; restarting" "$WORK/gateway.log" \
    || fail "the supervisor did not notice the killed worker"
workers_running() { test "$(pgrep -P "$gateway_PID" | wc -l)" = 4; }
wait_for 5 workers_running || fail "the killed worker was not replaced"
"$PY" "$top_srcdir/tests/integration/ws_client.py" "ws://127.0.0.1:$GATEWAY_PORT/ws" BTC 2 5 \
    >/dev/null || fail "a client could not (re)connect after the worker was replaced"

# A second instance on another port delivers the same tick ids.
first_port=$GATEWAY_PORT
first_pid=$gateway_PID
start_gateway --redis-port "$REDIS_PORT" --instance-id two
within 30 "$PY" - "$first_port" "$GATEWAY_PORT" <<'PYEOF' || fail "two instances delivered different ticks"
import asyncio, json, sys, websockets
async def ids(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.recv()
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
        got = []
        while len(got) < 6:
            m = json.loads(await ws.recv())
            if m["event"] == "price-update-bulk":
                got.append(m["data"]["id"])
        return got[1:]  # the first is the snapshot
async def main():
    a, b = await asyncio.gather(ids(sys.argv[1]), ids(sys.argv[2]))
    common = set(a) & set(b)
    assert len(common) >= 3, (a, b)
    print(f"both instances delivered ticks {sorted(common)}")
asyncio.run(main())
PYEOF
wait_for 5 sh -c "curl -sf '$base/stats' | grep -q '\"instances\":2'" \
    || fail "/stats does not list both instances"

# SIGTERM to the supervisor: every remaining client sees 1001, all exit 0.
start_ms=$(now_ms)
stop "$first_pid" || fail "the supervisor exited non-zero"
echo "cluster stopped in $(( $(now_ms) - start_ms )) ms"
wait "$clients" || true
"$PY" - "$WORK/clients.txt" <<'PYEOF' || fail "clients did not all get 1001: $(cat "$WORK/clients.txt")"
import json, sys
codes = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
killed = [c for c in codes if c != 1001]
# the killed worker's clients lost their TCP connection (1006); all others: 1001
assert codes.count(1001) >= 20 and all(c in (1001, 1006) for c in codes), codes
print(f"{codes.count(1001)} clients closed with 1001, {len(killed)} lost with the killed worker")
PYEOF

# REDIS_PREFIX and INSTANCE_ID both at their longest (255 bytes): each worker
# still writes its own counters (a key cut short at KEYS_MAX lost its
# "/<worker>", and /stats counted the two workers as one).
start_gateway --redis-port "$REDIS_PORT" --workers 2 --stats-interval-ms 200 \
    --redis-prefix "$(printf 'P%.0s' $(seq 254)):" --instance-id "$(printf 'I%.0s' $(seq 255))"
two_workers() {
    curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert sorted(w["worker"] for w in d["workers"]) == [0, 1], [w["worker"] for w in d["workers"]]'
}
wait_for 10 two_workers || fail "/stats of a gateway with the longest prefix and id does not show its 2 workers"
for i in 1 2 3 4 5 6 7 8; do # the broken key gave [0, 1] to about one read in two
    two_workers || fail "/stats lost a worker of the longest prefix and id (read $i)"
    sleep 0.3
done
stop "$gateway_PID" || fail "the gateway of the longest prefix and id exited non-zero"

# Two gateways given one INSTANCE_ID write one stats key: each says so in its
# log.  A gateway restarted under its name finds its predecessor's counters
# there, which is no conflict: that one logs nothing.
same() { # same NAME: a gateway with INSTANCE_ID "same" and its own port
    start "$1" "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" --www-root '' \
        --redis-port "$REDIS_PORT" --stats-interval-ms 100 --instance-id same
}
same alone
sleep 0.5
stop "$alone_PID" || fail "the first gateway named same exited non-zero"
same again
sleep 1 # 10 periods: its first read finds the stopped one's counters
grep -q 'another gateway' "$WORK/again.log" && fail "a restarted gateway took its predecessor for a rival: $(cat "$WORK/again.log")"
same rival
warned() { grep -q "INSTANCE_ID same: another gateway (host .*, pid $2)" "$WORK/$1.log"; }
wait_for 5 warned again "$rival_PID" || fail "no warning of the rival's pid: $(cat "$WORK/again.log")"
wait_for 5 warned rival "$again_PID" || fail "no warning of the first's pid: $(cat "$WORK/rival.log")"
[ "$(grep -c 'another gateway' "$WORK/again.log")" = 1 ] || fail "the warning repeats within a minute"
stop "$again_PID" || true
stop "$rival_PID" || true
echo "PASS: $TEST_NAME"
