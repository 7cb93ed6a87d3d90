#!/usr/bin/env bash
# Signals: SIGHUP re-reads CORS_ORIGINS without dropping clients; SIGTERM
# closes every WebSocket client with 1001 and exits 0 promptly.
. "$(dirname "$0")/lib.sh"

start_redis
echo "CORS_ORIGINS=http://a.example" >"$WORK/gateway.env"
start_gateway --redis-port "$REDIS_PORT" --config "$WORK/gateway.env"
base=http://127.0.0.1:$GATEWAY_PORT
sse_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Origin: $1" "$base/events" || true
}

# A WebSocket client stays connected across the reload and sees the close.
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
asyncio.run(main())
PYEOF
client=$!
PIDS+=("$client")
sleep 0.5

[ "$(sse_status http://b.example)" = 403 ] || fail "origin b allowed before the reload"
echo "CORS_ORIGINS=http://a.example,http://b.example" >"$WORK/gateway.env"
kill -HUP "$gateway_PID"
wait_for 5 test "$(sse_status http://b.example)" = 200 || fail "SIGHUP did not apply CORS_ORIGINS"
grep -q 'SIGHUP: CORS_ORIGINS is now' "$WORK/gateway.log" || fail "reload not logged"

# A bad value on reload keeps the running settings.
echo "CORS_ORIGINS=http://c.example" >"$WORK/gateway.env"
echo "PORT=not-a-port" >>"$WORK/gateway.env"
kill -HUP "$gateway_PID"
sleep 0.3
[ "$(sse_status http://b.example)" = 200 ] || fail "a bad reload changed the running settings"
kill -0 "$gateway_PID" || fail "a bad reload stopped the gateway"

start=$(now_ms)
stop "$gateway_PID" || fail "gateway exited non-zero on SIGTERM"
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -lt 3000 ] || fail "SIGTERM took ${elapsed} ms"
wait "$client" || true
grep -q '^closed 1001$' "$WORK/ws_close.txt" || fail "client saw: $(cat "$WORK/ws_close.txt")"
echo "PASS: $TEST_NAME (stopped in ${elapsed} ms)"
