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
# A method nobody knows is 501 (RFC 9110 §9.1), not a malformed request.
expect 501 '^content-type: application/json' -X BREW "$base/health"
grep -q '"error":"not_implemented"' "$WORK/body.txt" || fail "501 body is not the JSON error"
expect 400 '' -H 'Bad Header: x' "$base/health"
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

# Request heads by the RFCs' letter (RFC 9110 §5.5, §7.8, §15.5.22; RFC 9112
# §3.2, §5.1, §5.2, §9.3): OWS around values is not part of them, obs-fold
# and whitespace before a colon are 400, HTTP/1.1 needs exactly one Host, and
# every 426 names websocket in Upgrade and upgrade in Connection.  Every read
# has a socket timeout and the whole block a deadline, so a regression fails
# rather than hangs.
"$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "request head rules (see the assertion above)"
import base64, hashlib, json, os, socket, sys, time
PORT = int(sys.argv[1])
DEADLINE = time.monotonic() + 60
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def left():
    t = DEADLINE - time.monotonic()
    assert t > 0, "overall deadline passed"
    return min(t, 5)

def recv(s):
    s.settimeout(left())
    return s.recv(65536)

def send(raw):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=left())
    s.sendall(raw)
    return s

def read_head(s):
    """(status line, [(lower name, value)], bytes after the head)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = recv(s)
        assert chunk, "connection closed before a full response head: %r" % buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields.append((name.lower(), value.strip(" \t")))
    return lines[0], fields, rest

def values(fields, name):
    return [v for n, v in fields if n == name]

def one(fields, name):
    v = values(fields, name)
    assert len(v) == 1, "%s: %r in %r" % (name, v, fields)
    return v[0]

def tokens(value):
    return {t.strip(" \t").lower() for t in value.split(",")}

def closed_after(s, rest, length):
    """The body (length bytes), and True when the server then closes."""
    body = rest
    while len(body) < length:
        chunk = recv(s)
        assert chunk, "connection closed inside the body"
        body += chunk
    try:
        more = recv(s)
    except socket.timeout:
        return body[:length], False
    assert more == b"", "bytes after the body: %r" % more
    return body[:length], True

def request(raw):
    """Send one request; (status line, fields, body, closed)."""
    s = send(raw)
    status, fields, rest = read_head(s)
    n = int(one(fields, "content-length"))
    body, closed = closed_after(s, rest, n)
    s.close()
    return status, fields, body, closed

def error_of(raw, status):
    got, fields, body, closed = request(raw)
    assert got.startswith("HTTP/1.1 %d " % status), (raw, got)
    assert closed, ("not closed after", got, raw)
    assert one(fields, "content-type") == "application/json", fields
    return json.loads(body)

def bad_request(raw, why):
    j = error_of(raw, 400)
    assert j["error"] == "bad_request" and why in j["message"], (raw, j)

# Handshakes whose WebSocket fields have a tab or no space after the colon,
# or trailing OWS, one field at a time and all at once, are accepted with the
# right Sec-WebSocket-Accept.
styles = [(":\t", ""), (":", ""), (": ", " "), (": ", "\t"), (":\t", " \t "), (": ", "\t\t")]
names = ["Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Host", "Origin"]
for sep, trail in styles:
    for styled in names + ["all"]:
        key = base64.b64encode(os.urandom(16)).decode()
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        fields = [("Host", "x"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
                  ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
                  ("Origin", "http://good.example")]
        raw = "GET /ws HTTP/1.1\r\n"
        for name, value in fields:
            if styled in (name, "all"):
                raw += name + sep + value + trail + "\r\n"
            else:
                raw += name + ": " + value + "\r\n"
        s = send((raw + "\r\n").encode())
        status, got, _ = read_head(s)
        s.close()
        assert status == "HTTP/1.1 101 Switching Protocols", (repr(raw), status, got)
        assert one(got, "sec-websocket-accept") == want, (repr(raw), got)
        assert one(got, "upgrade").lower() == "websocket", got
        assert "upgrade" in tokens(one(got, "connection")), got

# OWS around permessage-deflate's parameters (RFC 7692 §5, RFC 9110 §5.6.6).
key = base64.b64encode(os.urandom(16)).decode()
s = send(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Extensions: foo ,\tpermessage-deflate ;\tclient_max_window_bits \t\r\n\r\n"
          % key).encode())
status, got, _ = read_head(s)
s.close()
assert status.startswith("HTTP/1.1 101"), status
assert one(got, "sec-websocket-extensions").startswith("permessage-deflate"), got

# RFC 9112 §3.2: Host.
bad_request(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            "without a Host")
bad_request(b"GET /health HTTP/1.1\r\n\r\n", "without a Host")
bad_request(b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host")
bad_request(b"GET /health HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", "more than one Host")
bad_request(b"GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", "not a valid")
status, fields, body, _ = request(b"GET /stats HTTP/1.0\r\n\r\n")
assert status.startswith("HTTP/1.1 200 "), status
# /health is 503 here (no feeder): what matters is that the route answered.
status, fields, body, _ = request(b"GET /health HTTP/1.0\r\n\r\n")
assert status.split()[1] in ("200", "503") and "status" in json.loads(body), (status, body)

# RFC 9112 §5.2: obs-fold, on any line; §5.1: whitespace before the colon.
bad_request(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Foo: a\r\n b\r\n\r\n", "folding")
bad_request(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n Connection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            "folding")
bad_request(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Foo: a\r\n\tb\r\n\r\n", "folding")
bad_request(b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n", "colon")

# RFC 9112 §9.3: "close" followed by a tab still closes.
status, fields, body, closed = request(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection:\tclose\t\r\n\r\n")
assert status.startswith("HTTP/1.1 200 ") and closed, (status, closed)
assert "close" in tokens(one(fields, "connection")), fields

# Every 426: Upgrade names websocket (RFC 9110 §15.5.22), Connection lists
# upgrade (§7.8) and close; the version one says which (RFC 6455 §4.4).
cases = [(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "upgrade_required", False),
         (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
          "unsupported_version", True),
         (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", "unsupported_version", True)]
for raw, code, version in cases:
    status, fields, body, closed = request(raw)
    assert status == "HTTP/1.1 426 Upgrade Required", (raw, status)
    assert one(fields, "upgrade").lower() == "websocket", (raw, fields)
    assert {"upgrade", "close"} <= tokens(one(fields, "connection")), (raw, fields)
    if version:
        assert one(fields, "sec-websocket-version") == "13", (raw, fields)
    assert json.loads(body)["error"] == code, (raw, body)
    assert closed, ("426 did not close", raw)
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

for case in unmasked too-big bad-utf8 bad-escape ping early close bomb; do
    "$PY" "$top_srcdir/tests/integration/ws_raw.py" "$GATEWAY_PORT" "$case" \
        2>>"$WORK/ws_raw.log" || fail "WebSocket case $case"
done
# An error message quoting bytes that are not UTF-8 (%FF) is still JSON,
# and the gateway is still there for the next request.
expect 400 '' "http://127.0.0.1:$GATEWAY_PORT/events?symbols=%FF"
grep -q '"error":"unknown_symbol"' "$WORK/body.txt" || fail "/events?symbols=%FF: $(cat "$WORK/body.txt")"
expect 200 '' "http://127.0.0.1:$GATEWAY_PORT/stats"
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
