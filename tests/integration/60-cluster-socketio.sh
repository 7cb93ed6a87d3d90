#!/usr/bin/env bash
# Socket.IO long-polling with gateway workers: the kernel spreads each new
# TCP connection over 4 workers, so most polls and POSTs of a session reach
# a worker that does not hold it; that worker passes the connection to the
# session's worker (gateway/handoff.c).  20 sessions, each connecting,
# subscribing and polling on fresh connections, and one keep-alive
# connection that carries several requests after its handoff, must all get
# their answers; without the handoff about 3 in 4 requests would get
# "Session ID unknown".
. "$(dirname "$0")/lib.sh"

# A route that a balancer could not read back from a session id stops
# start-up, naming the setting.
out=$("$top_builddir/gateway/cryptopulse-gateway" --socketio-route "a.b" 2>&1) && fail "SOCKETIO_ROUTE a.b accepted"
grep -q 'SOCKETIO_ROUTE: "a.b" is not a route' <<<"$out" || fail "no reason for the bad SOCKETIO_ROUTE: $out"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --workers 4 --stats-interval-ms 200
sio="http://127.0.0.1:$GATEWAY_PORT/socket.io/?EIO=4&transport=polling"

open_session() {
    curl -sf "$sio" | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read()[1:])["sid"])'
}
workers=""
for i in $(seq 1 20); do
    sid=$(open_session) || fail "handshake $i failed"
    workers="$workers ${sid:0:2}"
    [ "${sid##*.}" = "$GATEWAY_PORT" ] || fail "session id $sid does not end with the route .$GATEWAY_PORT"
    ok=$(curl -sf -X POST --data-binary $'40\x1e42["subscribe",["BTC"]]' "$sio&sid=$sid") \
        || fail "POST of session $i ($sid) failed: $(curl -s -X POST --data-binary 40 "$sio&sid=$sid")"
    [ "$ok" = ok ] || fail "POST of session $i answered \"$ok\", not ok"
    got=""
    for _ in 1 2 3 4 5; do
        got="$got
$(curl -sf -m 5 "$sio&sid=$sid" | tr '\036' '\n')" || fail "poll of session $i ($sid) failed"
        case $got in *'42["price-update",{"symbol":"BTC"'*) break ;; esac
    done
    grep -q '^40{"sid":' <<<"$got" || fail "session $i: no connect packet in $got"
    grep -q '^42\["subscribed",{"symbols":\["BTC"\]}\]' <<<"$got" || fail "session $i: not subscribed: $got"
    grep -q '^42\["price-update",{"symbol":"BTC"' <<<"$got" || fail "session $i: no BTC price: $got"
done
n=$(tr ' ' '\n' <<<"$workers" | sort -u | grep -c .)
[ "$n" -ge 2 ] || fail "all 20 sessions on one worker ($workers): nothing was handed over"
echo "sessions on workers:$workers"

# 200 sessions at once on a gateway of 2 workers, each polling and posting
# for 4 s: a worker's queue of hand-offs holds only net.unix.max_dgram_qlen
# (10) at a time, so many must wait for room rather than be refused
# ("Session ID unknown").
BURST_PORT=$(free_port)
start burst "$top_builddir/gateway/cryptopulse-gateway" --port "$BURST_PORT" \
    --redis-port "$REDIS_PORT" --workers 2 --www-root ""
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$BURST_PORT/health/live" || fail "2-worker gateway did not start"
"$PY" - "$BURST_PORT" >"$WORK/burst.txt" 2>&1 <<'PYEOF' || fail "concurrent sessions failed: $(tail -3 "$WORK/burst.txt")"
import json, socket, sys, threading, time
port, errors, polls = int(sys.argv[1]), [], [0]
def req(method, query, body=""):
    # One request per connection, head and body in one write, as browsers'
    # polls often come: each is a new connection for the kernel to spread.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall((f"{method} /socket.io/?EIO=4&transport=polling{query} HTTP/1.1\r\n"
               f"Host: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
               f"Connection: close\r\n\r\n{body}").encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    head, _, text = data.decode().partition("\r\n\r\n")
    if " 200 " not in head.split("\r\n")[0]:
        raise RuntimeError(f"{method} {query}: {head[:40]} {text[:80]}")
    return text
def client():
    try:
        sid = json.loads(req("GET", "")[1:])["sid"]
        req("POST", "&sid=" + sid, "40")
        end = time.time() + 4
        while time.time() < end:
            req("GET", "&sid=" + sid)
            req("POST", "&sid=" + sid, '42["ping"]')
            polls[0] += 1
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=client) for _ in range(200)]
[t.start() for t in threads]
[t.join() for t in threads]
print("polls:", polls[0], "errors:", len(errors), errors[:3])
sys.exit(1 if errors or polls[0] < 200 else 0)
PYEOF
cat "$WORK/burst.txt"
stop "$burst_PID"

# One keep-alive connection: after being passed to the session's worker it
# stays there and carries the next requests (curl reuses it for every URL).
sid=$(open_session)
out=$(curl -sf -m 10 -X POST --data-binary 40 "$sio&sid=$sid" -: -X GET "$sio&sid=$sid" \
    -: -X POST --data-binary '42["ping",7]' "$sio&sid=$sid" -: -X GET "$sio&sid=$sid" 2>&1) \
    || fail "keep-alive requests of $sid failed: $out"
grep -q '42\["pong",{"ts":7' <<<"$(tr '\036' '\n' <<<"$out")" || fail "no pong on the keep-alive connection: $out"

# Stats count every session once, on the worker that holds it (the other
# workers' counters come from Redis, written every STATS_INTERVAL_MS).
sessions() {
    curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["socketio"]["total"])'
}
total=0
for _ in $(seq 1 25); do
    total=$(sessions)
    [ "$total" -ge 21 ] && break
    sleep 0.2
done
[ "$total" -ge 21 ] || fail "/stats counts $total Socket.IO sessions, not 21"
echo "PASS: $TEST_NAME"
