#!/usr/bin/env bash
# Fault injection, each step asserting no crash, no descriptor leak and a
# bound on the gateway's RSS: 10,000 clients that connect and go; malformed,
# oversized and hostile ticks PUBLISHed straight into the channel; Redis
# answering slowly; and clients that vanish without FIN (a network namespace
# whose link is cut), which the gateway must notice by its pings and free.
. "$(dirname "$0")/lib.sh"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --host 0.0.0.0 --ws-ping-interval-ms 1000 \
    --ws-pong-timeout-ms 1000 --stats-interval-ms 200
base=http://127.0.0.1:$GATEWAY_PORT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$gateway_PID/status"; }
fds() { ls "/proc/$gateway_PID/fd" | wc -l; }
alive() { kill -0 "$gateway_PID" 2>/dev/null && curl -sf -o /dev/null --max-time 2 "$base/health"; }
stat_of() { curl -sf "$base/stats" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_for 5 alive || fail "gateway not up"
rss0=$(rss_kb)
fds0=$(fds)

# --- 1. 10,000 clients connect, shake hands, maybe subscribe, and go ---------
within 180 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "churn client failed"
import asyncio, base64, os, random, sys
port = int(sys.argv[1])
async def one(i):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    await w.drain()
    if i % 3:  # some wait for the 101, some leave mid-handshake
        await r.readuntil(b"\r\n\r\n")
    if i % 7 == 0:  # some vanish with RST instead of FIN
        w.transport.abort()
    else:
        w.close()
async def main():
    sem = asyncio.Semaphore(200)
    async def guarded(i):
        async with sem:
            try:
                await one(i)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
    await asyncio.gather(*[guarded(i) for i in range(10000)])
asyncio.run(main())
PYEOF
wait_for 10 sh -c "[ \$(ls /proc/$gateway_PID/fd | wc -l) -le $((fds0 + 2)) ]" \
    || fail "descriptors leaked after the churn: $(fds) open, $fds0 before"
alive || fail "gateway died during the churn"
rss1=$(rss_kb)
echo "churn: 10,000 clients; RSS ${rss0} -> ${rss1} kB, fds back to $(fds)"
gateway_sanitized || [ $((rss1 - rss0)) -lt 16384 ] || fail "RSS grew by $((rss1 - rss0)) kB over the churn"

# --- 2. hostile ticks straight into the channel -------------------------------
bad_before=$(stat_of 'd["bad_ticks"]')
within 60 "$PY" - "$REDIS_PORT" <<'PYEOF' || fail "publishing hostile ticks failed"
import json, subprocess, sys
ticks = [
    "garbage", "{}", "[]", "null", '{"id":5}', '{"id":"1-0","ts":"x","prices":[]}',
    '{"id":"1-0","ts":-9223372036854775808,"prices":[]}',
    '{"id":"9-0","ts":1,"prices":[{"symbol":"BTC","price":-1}]}',
    '{"id":"a\\nb","ts":1,"prices":[]}', "[" * 100000 + "]" * 100000,
    json.dumps({"id": "1-" + "9" * 100000, "ts": 1, "prices": []}),
    json.dumps({"id": "99999999999999-0", "ts": 1, "prices": []}),
    json.dumps({"id": "1-0", "ts": 1, "prices": [{"symbol": "X" * 5000, "price": 1}] * 2000}),
]
for t in ticks:
    subprocess.run(["redis-cli", "-p", sys.argv[1], "-x", "PUBLISH", "cryptopulse:ticks"],
                   input=t.encode(), stdout=subprocess.DEVNULL, check=True)
PYEOF
sleep 0.5
alive || fail "gateway died on hostile ticks"
bad_after=$(stat_of 'd["bad_ticks"]')
[ $((bad_after - bad_before)) -ge 13 ] || fail "only $((bad_after - bad_before)) of 13 hostile ticks counted as bad"
grep -q 'skipping a bad tick' "$WORK/gateway.log" || fail "bad ticks were not logged"
"$PY" "$top_srcdir/tests/integration/ws_client.py" "ws://127.0.0.1:$GATEWAY_PORT/ws" BTC 2 5 >/dev/null \
    || fail "good ticks stopped after the hostile ones"
echo "hostile ticks: $((bad_after - bad_before)) rejected, good ticks still flow"

# --- 3. Redis answering slowly ------------------------------------------------
# CLIENT PAUSE holds every client's commands for 2 s (DEBUG SLEEP is off
# by default in Redis 7).
redis-cli -p "$REDIS_PORT" CLIENT PAUSE 2000 ALL >/dev/null
sleep 0.2
t0=$(now_ms)
curl -s -o "$WORK/history.json" --max-time 5 "$base/history?symbol=BTC&limit=5" &
slow_curl=$!
# The loop must stay free for everything that does not wait on Redis.
for _ in 1 2 3; do
    start_ms=$(now_ms)
    curl -sf -o /dev/null --max-time 1 "$base/" || fail "the dashboard stalled while Redis was slow"
    [ $(( $(now_ms) - start_ms )) -lt 500 ] || fail "a static request waited on a slow Redis"
done
wait "$slow_curl" || fail "/history failed while Redis was slow"
waited=$(( $(now_ms) - t0 ))
grep -q '"points"' "$WORK/history.json" || fail "/history did not answer after Redis woke up"
[ "$waited" -ge 1200 ] || fail "Redis was not slow (/history in $waited ms): the step tested nothing"
echo "slow Redis: /history answered after $waited ms, static files never waited"

# --- 4. clients that vanish without FIN -----------------------------------------
if ip netns add "cpf$$" 2>/dev/null; then
    ns=cpf$$
    cleanup_ns() { ip netns del "$ns" 2>/dev/null || true; ip link del "cpv$$a" 2>/dev/null || true; }
    trap 'cleanup_ns; cleanup' EXIT
    # A test host of our own: 10.213.$$ addresses exist only on this veth pair.
    sub=$(( $$ % 250 + 1 ))
    ip link add "cpv$$a" type veth peer name "cpv$$b"
    ip link set "cpv$$b" netns "$ns"
    ip addr add "10.213.$sub.1/30" dev "cpv$$a"
    ip link set "cpv$$a" up
    ip netns exec "$ns" ip addr add "10.213.$sub.2/30" dev "cpv$$b"
    ip netns exec "$ns" ip link set "cpv$$b" up
    ip netns exec "$ns" ip link set lo up
    ws_before=$(stat_of 'd["websocket"]["current"]')
    ip netns exec "$ns" "$PY" - "10.213.$sub.1" "$GATEWAY_PORT" <<'PYEOF' &
import asyncio, json, sys, websockets
async def hold(i):
    ws = await websockets.connect(f"ws://{sys.argv[1]}:{sys.argv[2]}/ws", ping_interval=None)
    await ws.recv()
    await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
    await asyncio.sleep(60)
async def main():
    await asyncio.gather(*[hold(i) for i in range(50)])
asyncio.run(main())
PYEOF
    holders=$!
    PIDS+=("$holders")
    wait_for 10 sh -c "[ \$(curl -sf $base/stats | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"websocket\"][\"current\"])') -ge $((ws_before + 50)) ]" \
        || fail "the 50 clients in the namespace did not connect"
    # Cut the link: no FIN, no RST ever reaches the gateway.
    ip link set "cpv$$a" down
    cut_at=$(now_ms)
    wait_for 15 sh -c "[ \$(curl -sf $base/stats | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"websocket\"][\"current\"])') -le $ws_before ]" \
        || fail "half-open clients were not freed"
    echo "half-open: 50 clients vanished without FIN, freed after $(( $(now_ms) - cut_at )) ms"
    kill "$holders" 2>/dev/null || true
    cleanup_ns
else
    echo "half-open step skipped: cannot create a network namespace here"
fi

alive || fail "gateway not alive at the end"
rss2=$(rss_kb)
echo "gateway RSS: ${rss0} kB at start, ${rss2} kB at the end"
gateway_sanitized || [ $((rss2 - rss0)) -lt 32768 ] || fail "RSS grew by $((rss2 - rss0)) kB over the faults"
echo "PASS: $TEST_NAME"
