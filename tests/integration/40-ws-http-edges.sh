#!/usr/bin/env bash
# The gateway's HTTP answers and WebSocket protocol errors, seen by real
# clients: curl for the handshake's status codes, raw sockets for frames a
# polite client never sends.
. "$(dirname "$0")/lib.sh"

start_redis
start_gateway --redis-port "$REDIS_PORT" --cors-origins "http://good.example" \
    --handshake-timeout-ms 500
base=http://127.0.0.1:$GATEWAY_PORT
ws_headers=(-H 'Upgrade: websocket' -H 'Connection: keep-alive, Upgrade'
            -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')

# expect STATUS HEADER-REGEX CURL-ARGS...: the status, and a header line if given.
expect() {
    local want=$1 header=$2; shift 2
    curl -s -D "$WORK/head.txt" -o "$WORK/body.txt" --max-time 5 "$@" || true
    local got
    got=$(head -n1 "$WORK/head.txt" | cut -d' ' -f2)
    [ "$got" = "$want" ] || fail "$* answered $got, expected $want"
    [ -z "$header" ] || grep -qiE "$header" "$WORK/head.txt" || fail "$*: no header $header"
}

expect 101 '^sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=' --max-time 1 "${ws_headers[@]}" \
    -H 'Origin: http://good.example' "$base/ws"
expect 426 '^upgrade: websocket' "$base/ws"
expect 426 '^sec-websocket-version: 13' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
    -H 'Sec-WebSocket-Version: 8' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$base/ws"
expect 400 '' -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: not-base64' "$base/ws"
expect 403 '' "${ws_headers[@]}" -H 'Origin: http://evil.example' "$base/ws"
expect 403 '' -H 'Origin: http://evil.example' "$base/events"
expect 200 '^access-control-allow-origin: http://good.example' --max-time 1 \
    -H 'Origin: http://good.example' "$base/events"
grep -qi '^vary: origin' "$WORK/head.txt" || fail "SSE response to an allowed origin lacks Vary: Origin"
grep -qi '^content-type: text/event-stream' "$WORK/head.txt" || fail "SSE content type"
grep -qi '^x-accel-buffering: no' "$WORK/head.txt" || fail "SSE lacks X-Accel-Buffering: no"
expect 404 '^content-type: application/json' "$base/no/such/thing"
grep -q '"error":"not_found"' "$WORK/body.txt" || fail "404 body is not the JSON error"
expect 404 '' "$base/../../etc/passwd" --path-as-is
expect 405 '^allow: GET, HEAD' -X POST "$base/health"
expect 431 '' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$base/stats"
[ "$(grep -ci '^connection:' "$WORK/head.txt")" = 1 ] || fail "431 answer has no single Connection header"
expect 426 '^upgrade: websocket' "$base/ws"
[ "$(grep -ci '^connection:' "$WORK/head.txt")" = 1 ] || fail "426 answer repeats Connection"
within 30 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "HTTP/9.9 was not answered 505"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /stats HTTP/9.9\r\nHost: x\r\n\r\n")
reply = s.recv(4096)
assert reply.startswith(b"HTTP/1.1 505"), reply
PYEOF

# A request head that stalls is answered 408 and closed (slowloris).
within 30 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "a stalled request head was not answered 408"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n")
reply = s.recv(4096)
assert reply.startswith(b"HTTP/1.1 408"), reply
# Trickling one byte at a time does not extend the deadline either.
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.setblocking(False)
reply = b""
for byte in b"GET /stats HTTP/1.1\r\nX-Slow: " + b"a" * 40:
    try:
        s.send(bytes([byte]))
        reply += s.recv(4096)
    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
        pass
    if reply:
        break
    __import__("time").sleep(0.05)
assert reply.startswith(b"HTTP/1.1 408"), reply
PYEOF

# An error answered before the client finished sending still arrives whole:
# the gateway reads on (lingering close) instead of resetting the connection.
within 30 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "a 431 was lost to a connection reset"
import socket, sys
for attempt in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 431"), reply[:80]
# RFC 6455 4.1: a WebSocket handshake needs HTTP/1.1.
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
assert s.recv(4096).startswith(b"HTTP/1.1 400"), "WebSocket over HTTP/1.0 was not refused"
PYEOF

for case in unmasked too-big bad-utf8 ping early close bomb; do
    "$PY" "$top_srcdir/tests/integration/ws_raw.py" "$GATEWAY_PORT" "$case" \
        2>>"$WORK/ws_raw.log" || fail "WebSocket case $case"
done
# The compressed frames themselves, which python-websockets and Node's ws
# would accept even with the 00 00 ff ff tail left on.
"$PY" "$top_srcdir/tests/integration/ws_raw.py" "$GATEWAY_PORT" deflate "$REDIS_PORT" \
    2>>"$WORK/ws_raw.log" || fail "WebSocket case deflate: $(tail -n 1 "$WORK/ws_raw.log")"

# The gateway survived all of it.
curl -sf "$base/stats" >/dev/null || fail "gateway stopped answering"

# Idle pings, the rate limit and the subscription cap, with small limits.
start_gateway --redis-port "$REDIS_PORT" --ws-ping-interval-ms 300 --ws-pong-timeout-ms 300 \
    --max-messages-per-second 5 --max-subscriptions 2 --max-headers 20
headers=()
for i in $(seq 21); do headers+=(-H "X-H$i: v"); done
expect 431 '' "${headers[@]}" "http://127.0.0.1:$GATEWAY_PORT/stats"
headers=("${headers[@]:0:30}")   # 15, with Host, User-Agent and Accept: 18
expect 200 '' "${headers[@]}" "http://127.0.0.1:$GATEWAY_PORT/stats"
for case in idle pong flood subcap; do
    "$PY" "$top_srcdir/tests/integration/ws_raw.py" "$GATEWAY_PORT" "$case" \
        2>>"$WORK/ws_raw.log" || fail "WebSocket case $case"
done
curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" | grep -q '"rate_limited":' \
    || fail "/stats does not count rate-limited messages"

# MAX_CONNECTIONS_PER_IP: the fourth connection from one address is refused;
# another address is counted on its own, and a freed slot is reusable.
start_gateway --redis-port "$REDIS_PORT" --max-connections-per-ip 3
within 30 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "MAX_CONNECTIONS_PER_IP not enforced"
import socket, sys, time
port = int(sys.argv[1])
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s
def refused(s):
    s.settimeout(2)
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
held = [conn("127.0.0.1") for _ in range(3)]
time.sleep(0.2)
assert refused(conn("127.0.0.1")), "a fourth connection from 127.0.0.1 was served"
assert not refused(conn("127.0.0.2")), "127.0.0.2 was refused"
held.pop().close()
time.sleep(0.2)
assert not refused(conn("127.0.0.1")), "a freed slot was not reusable"
PYEOF
echo "PASS: $TEST_NAME"
