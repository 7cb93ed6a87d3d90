#!/usr/bin/env bash
# 44-connection-log: LOG_CONNECTIONS=true logs one line per closed connection
# with peer, transport, duration_ms, bytes_in, bytes_out, requests and the
# WebSocket close (code, who sent it, reason), in text and in JSON; off by
# default.  Real clients: curl and python3-websockets.
. "$(dirname "$0")/lib.sh"

"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets not installed"
start_redis

# clients PORT: an HTTP connection with two requests, a WebSocket closed by
# the client (4000 "bye now"), one closed by the server (1003 for a binary
# message), and an SSE stream cut by the client after 1 s.
clients() {
    curl -sf -o /dev/null -o /dev/null "http://127.0.0.1:$1/stats" "http://127.0.0.1:$1/stats" ||
        fail "GET /stats failed"
    within 20 "$PY" - "$1" <<'PYEOF' || fail "WebSocket clients failed"
import asyncio, sys, websockets
async def main():
    url = f"ws://127.0.0.1:{sys.argv[1]}/ws"
    async with websockets.connect(url) as ws:
        await ws.recv()
        await ws.close(code=4000, reason="bye now")
    async with websockets.connect(url) as ws:
        await ws.recv()
        await ws.send(b"\x00binary")
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as e:
            assert e.rcvd.code == 1003, e
asyncio.run(main())
PYEOF
    curl -sN --max-time 1 -o /dev/null "http://127.0.0.1:$1/events" || true
}

# check LOG: the four lines, with their fields, whatever the format.
check() {
    "$PY" - "$1" <<'PYEOF' || fail "connection log lines wrong: $(cat "$1")"
import json, re, shlex, sys
lines = []
for raw in open(sys.argv[1], encoding="utf-8"):
    if "connection closed" not in raw:
        continue
    if raw.startswith("{"):
        o = json.loads(raw)
        assert o["level"] == "info" and o["msg"] == "connection closed", o
    else:
        head, _, rest = raw.partition("connection closed ")
        assert "[info]" in head, raw
        o = dict(kv.split("=", 1) for kv in shlex.split(rest))
        for k in ("duration_ms", "bytes_in", "bytes_out", "requests", "ws_close_code"):
            if k in o:
                o[k] = int(o[k])
    lines.append(o)
by = {}
for o in lines:
    assert re.fullmatch(r"127\.0\.0\.1:\d+", o["peer"]), o
    assert o["duration_ms"] >= 0 and o["bytes_in"] > 0 and o["bytes_out"] > 0, o
    by.setdefault(o["transport"], []).append(o)
http = [o for o in by["http"] if o["requests"] == 2]
assert len(http) == 1, by["http"]
ws = sorted(by["websocket"], key=lambda o: o["ws_close_code"])
assert [(o["ws_close_code"], o["ws_close_by"]) for o in ws] == [(1003, "server"), (4000, "client")], ws
assert ws[0]["ws_close_reason"] == "binary messages are not accepted", ws
assert ws[1]["ws_close_reason"] == "bye now", ws
assert all(o["requests"] == 1 for o in ws), ws
sse = by["sse"]
assert len(sse) == 1 and sse[0]["duration_ms"] >= 900 and "ws_close_code" not in sse[0], sse
print(f"{len(lines)} connection lines ok")
PYEOF
}

start_gateway --redis-port "$REDIS_PORT" --log-connections true
clients "$GATEWAY_PORT"
sleep 0.5
check "$WORK/gateway.log"
stop "$gateway_PID"

mv "$WORK/gateway.log" "$WORK/gateway-text.log"
LOG_FORMAT=json LOG_CONNECTIONS=1 start_gateway --redis-port "$REDIS_PORT"
clients "$GATEWAY_PORT"
sleep 0.5
check "$WORK/gateway.log"
stop "$gateway_PID"

# Off by default: not a line.
mv "$WORK/gateway.log" "$WORK/gateway-json.log"
start_gateway --redis-port "$REDIS_PORT"
clients "$GATEWAY_PORT"
sleep 0.5
! grep -q "connection closed" "$WORK/gateway.log" || fail "connections logged by default"
echo "PASS: $TEST_NAME"
