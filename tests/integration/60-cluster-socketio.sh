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
