#!/usr/bin/env bash
# Redis goes away for 5 s and comes back on the same port: no client is
# disconnected, /health says so meanwhile, WebSocket clients get ticks again
# within two intervals of its return without reconnecting, and an SSE client
# that reconnects with its last id misses no tick still in history.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || skip "redis-server not installed"
REDIS_PORT=$(free_port)
# Persistence on, so the history stream outlives the restart.
redis() {
    start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes \
        --appendfsync always --dir "$WORK"
    wait_for 10 redis-cli -p "$REDIS_PORT" ping || fail "redis-server did not start"
}
redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --interval 200
base=http://127.0.0.1:$GATEWAY_PORT
wait_for 5 sh -c "curl -sf '$base/health' | grep -q '\"status\":\"ok\"'" || fail "not healthy at start"
# The one /health shape of lib/health (as cryptopulse-fcgi's), with the
# gateway's own Redis readings: PING latency and INFO's version.
health_is() {
    curl -s "$base/health" | "$PY" -c "import json, sys; h = json.load(sys.stdin); r = h['redis']; \
f = h['feeder']; num = (int, float); sys.exit(0 if ($1) else 1)"
}
version=$(redis-cli -p "$REDIS_PORT" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')
wait_for 5 health_is "r['connected'] and r['version'] == '$version' and isinstance(r['latency_ms'], num) \
and isinstance(f['ticks'], int) and f['ticks'] > 0 and isinstance(f['last_tick_age_ms'], int) \
and 'reason' not in h and isinstance(h['time'], int)" || fail "/health lacks Redis latency/version: $(curl -s "$base/health")"

# A WebSocket client that logs when each tick arrives and how it ends.
"$PY" - "$GATEWAY_PORT" >"$WORK/ws.txt" 2>&1 <<'PYEOF' &
import asyncio, json, sys, time, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws", ping_interval=None) as ws:
        await asyncio.wait_for(ws.recv(), 10)
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
        end = time.monotonic() + 14
        try:
            while time.monotonic() < end:
                m = json.loads(await asyncio.wait_for(ws.recv(), end - time.monotonic()))
                if m["event"] == "price-update-bulk":
                    print(f"tick {time.time():.3f} {m['data']['id']}", flush=True)
        except asyncio.TimeoutError:
            pass
        print("still connected", flush=True)
asyncio.run(main())
PYEOF
ws_client=$!
PIDS+=("$ws_client")
"$PY" "$top_srcdir/tests/integration/sse_client.py" "$base/events" 1.5 >"$WORK/sse1.txt"
last=$("$PY" -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin if "\"id\"" in l][-1])' \
       <"$WORK/sse1.txt")

sleep 1
stop "$redis_PID" || true
down_at=$(date +%s.%N)
wait_for 5 sh -c "curl -s '$base/health' | grep -q '\"status\":\"down\"'" \
    || fail "/health did not report Redis down"
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/health")
[ "$status" = 503 ] || fail "/health answered $status while Redis was down"
health_is "not r['connected'] and r['latency_ms'] is None and h['reason'].startswith('redis unreachable') \
and isinstance(f['last_tick_age_ms'], int)" || fail "/health while Redis was down: $(curl -s "$base/health")"
sleep 5
redis
up_at=$(date +%s.%N)
wait_for 10 sh -c "curl -sf '$base/health' | grep -q '\"status\":\"ok\"'" \
    || fail "/health did not recover"
wait_for 5 health_is "r['version'] == '$version' and isinstance(r['latency_ms'], num)" \
    || fail "/health has no Redis readings after the reconnect: $(curl -s "$base/health")"

wait "$ws_client" || true
grep -q '^still connected$' "$WORK/ws.txt" || fail "the WebSocket client was disconnected: $(tail -3 "$WORK/ws.txt")"
"$PY" - "$WORK/ws.txt" "$down_at" "$up_at" <<'PYEOF' || fail "ticks did not resume in time"
import sys
ticks = [float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("tick ")]
down, up = float(sys.argv[2]), float(sys.argv[3])
before = [t for t in ticks if t < down]
after = [t for t in ticks if t > up]
assert before and after, (len(before), len(after))
first = after[0] - up
assert first <= 0.4 + 0.3, f"first tick {first:.2f} s after Redis returned (2 intervals: 0.4 s)"
print(f"{len(before)} ticks before the outage, first tick {first * 1000:.0f} ms after Redis returned")
PYEOF

# SSE resume across the outage: every tick after $last still in history.
"$PY" "$top_srcdir/tests/integration/sse_client.py" "$base/events" 1.5 "$last" >"$WORK/sse2.txt"
redis-cli -p "$REDIS_PORT" XRANGE cryptopulse:history "($last" + | grep -E '^[0-9]+-[0-9]+$' >"$WORK/ids.txt"
"$PY" - "$WORK/sse2.txt" "$WORK/ids.txt" <<'PYEOF' || fail "SSE resume across the outage missed ticks"
import json, sys
got = [json.loads(l)["id"] for l in open(sys.argv[1]) if '"id"' in l]
stream = [l.strip() for l in open(sys.argv[2])]
diff = next((i for i, (a, b) in enumerate(zip(got, stream)) if a != b), None)
assert got and diff is None, f"at {diff}: got {got[diff - 1:diff + 3]}, stream {stream[diff - 1:diff + 3]}"
# The stream was read after the client stopped, so it may hold a few more.
assert len(got) >= len(stream) - 10, f"got {len(got)} of the stream's {len(stream)}"
print(f"SSE resumed with {len(got)} ticks, exactly the stream's after {len(stream) and stream[0]}")
PYEOF
echo "PASS: $TEST_NAME"
