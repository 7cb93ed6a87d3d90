#!/usr/bin/env bash
# Signals: SIGHUP re-reads CORS_ORIGINS without dropping clients; SIGTERM
# closes the listening socket, closes every WebSocket client with 1001 and
# exits 0 promptly, also when the gateway has run out of files.
. "$(dirname "$0")/lib.sh"

start_redis
echo "CORS_ORIGINS=http://a.example" >"$WORK/gateway.env"
start_gateway --redis-port "$REDIS_PORT" --config "$WORK/gateway.env"
base=http://127.0.0.1:$GATEWAY_PORT
sse_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Origin: $1" "$base/events" || true
}

# A WebSocket client stays connected across the reload and sees the close
# (within 60 s: the test is over by then).
"$PY" - "$GATEWAY_PORT" >"$WORK/ws_close.txt" 2>&1 <<'PYEOF' &
import asyncio, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.recv()
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as e:
            print(f"closed {e.code}")
try:
    asyncio.run(asyncio.wait_for(main(), 60))
except asyncio.TimeoutError:
    print("no close within 60 s")
PYEOF
client=$!
PIDS+=("$client")
sleep 0.5

[ "$(sse_status http://b.example)" = 403 ] || fail "origin b allowed before the reload"
echo "CORS_ORIGINS=http://a.example,http://b.example" >"$WORK/gateway.env"
kill -HUP "$gateway_PID"
wait_for 5 test "$(sse_status http://b.example)" = 200 || fail "SIGHUP did not apply CORS_ORIGINS"
grep -q -F 'reload: CORS_ORIGINS http://a.example -> http://a.example,http://b.example' "$WORK/gateway.log" || fail "reload not logged"

# A bad value on reload keeps the running settings.
echo "CORS_ORIGINS=http://c.example" >"$WORK/gateway.env"
echo "PORT=not-a-port" >>"$WORK/gateway.env"
kill -HUP "$gateway_PID"
sleep 0.3
[ "$(sse_status http://b.example)" = 200 ] || fail "a bad reload changed the running settings"
kill -0 "$gateway_PID" || fail "a bad reload stopped the gateway"
# ...and says why in one log line, without start-up's usage hint.
grep -q 'SIGHUP: .*PORT: "not-a-port".*keeping the running ones' "$WORK/gateway.log" \
    || fail "the bad reload's value is not in the log: $(tail -n 3 "$WORK/gateway.log")"
! grep -q -- "--help' for more information" "$WORK/gateway.log" || fail "a reload printed usage text"

# A client that stopped reading, so its output buffer still holds messages
# when the gateway stops: freeing them must not touch what is already freed
# (a use-after-free the sanitized and valgrind runs of this test catch).
# Ticks are PUBLISHed straight into Redis, ~6 MB of them: more than the
# kernel's socket buffers take.
"$PY" - "$GATEWAY_PORT" "$REDIS_PORT" >"$WORK/stalled.txt" 2>&1 <<'PYEOF' &
import base64, json, os, socket, subprocess, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
body = json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}).encode()
mask = os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(body)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(body)))
time.sleep(0.3)
lines = []
for i in range(1, 3001):
    prices = [{"symbol": f"S{j}", "price": 1000 + i, "change24h": 0, "volume24h": 0,
               "high24h": 1000 + i, "low24h": 1, "ts": i, "id": f"{i}-0"} for j in range(20)]
    lines.append(f"PUBLISH cryptopulse:ticks '{json.dumps({'id': f'{i}-0', 'ts': i, 'prices': prices})}'")
subprocess.run(["redis-cli", "-p", sys.argv[2]], input="\n".join(lines).encode(),
               stdout=subprocess.DEVNULL, check=True, timeout=60)
print("published", flush=True)
time.sleep(60)  # never reads again; killed by the test
PYEOF
PIDS+=("$!")
wait_for 20 grep -q '^published' "$WORK/stalled.txt" || fail "stalled client: $(cat "$WORK/stalled.txt")"

start=$(now_ms)
kill -TERM "$gateway_PID"
# During the drain that follows (200 ms at least), a new client is refused
# at once (curl's exit 7), not queued on a listening socket that is no
# longer accepted from: it can go to a gateway that stays.
for _ in $(seq 300); do grep -q 'shutting down' "$WORK/gateway.log" && break; sleep 0.01; done
kill -0 "$gateway_PID" || fail "the gateway was gone before its drain was looked at"
rc=0
curl -s -N -o /dev/null --max-time 1 "$base/events" || rc=$?
[ "$rc" = 7 ] || fail "a connection during the drain was not refused (curl exit $rc, not 7)"
# Wait for that one SIGTERM to end it (a second one, as stop sends, could
# catch a slow build's exit path with the default action); kill it after 10 s.
( sleep 10; kill -KILL "$gateway_PID" 2>/dev/null ) &
watchdog=$!
rc=0
wait "$gateway_PID" || rc=$?
kill "$watchdog" 2>/dev/null || true
forget "$gateway_PID"
[ "$rc" = 0 ] || fail "gateway exited with status $rc on SIGTERM"
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -lt 3000 ] || fail "SIGTERM took ${elapsed} ms"
wait "$client" || true
grep -q '^closed 1001$' "$WORK/ws_close.txt" || fail "client saw: $(cat "$WORK/ws_close.txt")"

# Out of files: a gateway whose accept(2) fails with EMFILE pauses
# accepting (100 ms at a time) instead of spinning on the readable listening
# socket, says so in the log at most every 10 s, and still stops on SIGTERM
# (spinning at the priority of new clients, it once held off every other
# event, SIGTERM's included, for good).
low_port=$(free_port)
start gwlow bash -c 'ulimit -n 72 && exec "$0" --port "$1" --redis-port "$2" --www-root ""' \
    "$top_builddir/gateway/cryptopulse-gateway" "$low_port" "$REDIS_PORT"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$low_port/health/live" || fail "the low-files gateway did not start"
"$PY" - "$low_port" >"$WORK/holders.txt" 2>&1 <<'PYEOF' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(90)]
print("holding", len(held), flush=True)
time.sleep(6)
PYEOF
holders=$!
PIDS+=("$holders")
wait_for 5 grep -q '^holding' "$WORK/holders.txt" || fail "holders: $(cat "$WORK/holders.txt")"
sleep 1.5
failed=$(grep -c 'accept failed' "$WORK/gwlow.log" || true)
[ "$failed" -ge 1 ] || fail "the gateway never ran out of files: $(tail -n 3 "$WORK/gwlow.log")"
[ "$failed" -le 2 ] || fail "a failing accept was logged $failed times in 1.5 s"
start=$(now_ms)
kill -TERM "$gwlow_PID"
( sleep 8; kill -KILL "$gwlow_PID" 2>/dev/null ) &
watchdog=$!
rc=0
wait "$gwlow_PID" || rc=$?
kill "$watchdog" 2>/dev/null || true
forget "$gwlow_PID"
elapsed=$(( $(now_ms) - start ))
[ "$rc" = 0 ] || fail "the gateway out of files exited $rc on SIGTERM (137: killed after 8 s)"
[ "$elapsed" -lt 3000 ] || fail "the gateway out of files took ${elapsed} ms to stop"
kill "$holders" 2>/dev/null || true

echo "PASS: $TEST_NAME (stopped in ${elapsed} ms)"
