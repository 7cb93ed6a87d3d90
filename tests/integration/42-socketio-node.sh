#!/usr/bin/env bash
# The real socket.io-client 4.x (Node.js, from npm) against the gateway's
# Socket.IO endpoint, directly, with the real stack (Redis, the mock feeder):
# the client's default options (polling, then the upgrade to WebSocket),
# transports: ['websocket'] and transports: ['polling'] only, each through
# welcome, a price-update-bulk on "*", subscribe (live price-updates of the
# subscribed symbols only), unsubscribe, ping/pong with and without an
# acknowledgement and history (sio_client.js); an explicit "*" subscription
# kept by later subscribes; an unknown namespace; the Engine.IO handshake
# and error codes with curl; a session that never polls reaped after
# pingInterval + pingTimeout; /stats counting the "socketio" transport; and
# a client reconnecting by itself after the gateway restarts on the same
# port.  The gateway pings every 500 ms (not 25 s), so that every client
# answers the Engine.IO heartbeat many times, on both transports.
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null || skip "node not installed (Node.js is needed for socket.io-client)"
command -v npm >/dev/null || skip "npm not installed (needed to install socket.io-client)"

# The client and its locked socket.io-client, installed in the build tree.
npm_install socketio socket.io-client sio_client.js
CLIENT=$NPM_DIR/sio_client.js

start_redis
GW_ARGS=(--redis-port "$REDIS_PORT" --interval 200 --stats-interval-ms 200
    --socketio-ping-interval-ms 500 --socketio-ping-timeout-ms 1000)
start_gateway "${GW_ARGS[@]}"
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
BASE=http://127.0.0.1:$GATEWAY_PORT
wait_for 10 sh -c 'curl -sf "$0" | grep -q "\"points\":\[\[.*\],\[.*\],\[.*\]\]"' \
    "$BASE/history?symbol=BTC&limit=3" || fail "no three BTC ticks from the feeder in the history"

# sio NAME ARGS...: one sio_client.js run, its output in $WORK/NAME.out.
sio() {
    local name=$1 rc=0
    shift
    within 90 node "$CLIENT" "$BASE" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
    sed "s/^/  [$name] /" "$WORK/$name.out"
    [ "$rc" = 0 ] || fail "socket.io-client, $name: $(grep -m1 '^FAIL' "$WORK/$name.out" || echo "exit $rc")"
}

# ---- Engine.IO over plain HTTP: the handshake and the errors ----------------
# get URL: the status in $st, the body in $body.
get() {
    st=$(curl -s -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@") || true
    body=$(cat "$WORK/body")
}
get "$BASE/socket.io/?EIO=4&transport=polling"
[ "$st" = 200 ] || fail "handshake: status $st, body $body"
grep -qi '^Content-Type: text/plain; charset=UTF-8' "$WORK/head" ||
    fail "handshake: $(grep -i '^Content-Type' "$WORK/head")"
"$PY" - "$body" <<'PYEOF' || fail "handshake: open packet $body"
import json, sys
b = sys.argv[1]
assert b[0] == "0", b
o = json.loads(b[1:])
# 20 characters, then the gateway's route (its PORT) after a dot
assert isinstance(o["sid"], str) and len(o["sid"]) > 21 and o["sid"][20] == ".", o
assert o["upgrades"] == ["websocket"], o
assert (o["pingInterval"], o["pingTimeout"], o["maxPayload"]) == (500, 1000, 1000000), o
PYEOF
echo "ok - handshake: $body"
sid=$(sed 's/.*"sid":"\([^"]*\)".*/\1/' <<<"$body")
# A session that is never polled: reaped after pingInterval + pingTimeout.
get "$BASE/socket.io/?EIO=4&transport=polling"
idle_sid=$(sed 's/.*"sid":"\([^"]*\)".*/\1/' <<<"$body")
idle_t0=$(now_ms)
get "$BASE/socket.io?EIO=4&transport=polling"
[ "$st" = 200 ] && [ "${body:0:8}" = '0{"sid":' ] || fail "handshake without the trailing slash: $st $body"
echo "ok - handshake at /socket.io without the trailing slash"

# The session of the first handshake, by hand: connect to "/", then the
# queued packets come in one poll, joined by the record separator.
st=$(curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: text/plain;charset=UTF-8' \
    --data-binary 40 "$BASE/socket.io/?EIO=4&transport=polling&sid=$sid")
[ "$st" = 200 ] && [ "$(cat "$WORK/body")" = ok ] || fail "POST 40: $st $(cat "$WORK/body")"
get -m 10 "$BASE/socket.io/?EIO=4&transport=polling&sid=$sid"
[ "$st" = 200 ] && grep -q '^40{"sid":"' <<<"$body" || fail "poll after 40: $st $body"
grep -q $'\x1e42\\["welcome",{"server":"cryptopulse/' <<<"$body" ||
    fail "poll after 40: no welcome event after the record separator: $body"
echo "ok - polling by hand: POST 40 -> ok; GET -> 40{sid} RS 42[\"welcome\",...]"
curl -s -o /dev/null --data-binary 1 "$BASE/socket.io/?EIO=4&transport=polling&sid=$sid" || true

# expect_error WHAT STATUS CODE MESSAGE CURL_ARGS...: engine.io's error answer.
expect_error() {
    local what=$1 status=$2 code=$3 message=$4
    shift 4
    get "$@"
    [ "$st" = "$status" ] && [ "$body" = "{\"code\":$code,\"message\":\"$message\"}" ] ||
        fail "$what: expected $status {\"code\":$code,\"message\":\"$message\"}, got $st $body"
    echo "ok - $what: $st $body"
}
expect_error "unknown sid" 400 1 "Session ID unknown" \
    "$BASE/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA"
expect_error "EIO=3" 400 5 "Unsupported protocol version" \
    "$BASE/socket.io/?EIO=3&transport=polling"
expect_error "unknown transport" 400 0 "Transport unknown" \
    "$BASE/socket.io/?EIO=4&transport=carrier-pigeon"
expect_error "POST without sid" 400 2 "Bad handshake method" \
    --data-binary 40 "$BASE/socket.io/?EIO=4&transport=polling"

# ---- socket.io-client: the three ways to connect ----------------------------
# Default options: polling first, then the upgrade; the session must end on
# WebSocket and the client must have seen the upgrade happen.
sio default --expect-transport=websocket --expect-upgrade=yes
sio websocket-only --transports=websocket --expect-transport=websocket --expect-upgrade=no
# Polling only: stays on polling and still gets live prices (the walk).
sio polling-only --transports=polling --expect-transport=polling --expect-upgrade=no
# subscribe(["*","BTC"]) then subscribe(["ETH"]): the set grows to all
# three, as on /ws, and the bulk goes on.
sio explicit-star --star
sio bad-namespace --namespace=/nope
sio polling-bad-namespace --namespace=/nope --transports=polling

# The idle session of the start, long past pingInterval + pingTimeout (1.5 s).
[ $(($(now_ms) - idle_t0)) -gt 2000 ] || sleep 2
expect_error "a session never polled, $(($(now_ms) - idle_t0)) ms later" 400 1 "Session ID unknown" \
    -m 3 "$BASE/socket.io/?EIO=4&transport=polling&sid=$idle_sid"

# ---- /stats counts the "socketio" transport ----------------------------------
start hold_default node "$CLIENT" "$BASE" --hold --timeout=100 --clients=2 --expect-transport=websocket
start hold_polling node "$CLIENT" "$BASE" --hold --timeout=100 --clients=2 --transports=polling \
    --expect-transport=polling
wait_for 30 grep -q '^ready' "$WORK/hold_default.log" ||
    fail "held clients (default options) not ready: $(cat "$WORK/hold_default.log")"
wait_for 30 grep -q '^ready' "$WORK/hold_polling.log" ||
    fail "held clients (polling) not ready: $(cat "$WORK/hold_polling.log")"
stats_ok() {
    curl -sf "$BASE/stats" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s = d["socketio"]
print("stats: socketio", s, "websocket", d["websocket"], "sse", d["sse"])
# The 4 held; the namespace clients left sessions open, reaped by now
# (pingInterval + pingTimeout: 1.5 s).
assert s["current"] == 4, s
# Every session so far: 3 by hand, 4 walks, 2 namespace clients, 4 held.
assert s["total"] >= 13 and s["peak"] >= s["current"], s
assert all("socketio" in w for w in d["workers"]), d["workers"]'
}
wait_for 5 stats_ok || { stats_ok || true; fail "/stats does not count the Socket.IO sessions"; }
stats_ok
curl -sf "$BASE/metrics" | grep -q 'socketio' || fail "/metrics has no socketio counter"
echo "ok - /metrics: $(curl -sf "$BASE/metrics" | grep -m2 socketio | tr '\n' ' ')"
for h in hold_default hold_polling; do
    pid_var=${h}_PID
    wait_for 10 grep -q '^live' "$WORK/$h.log" || fail "$h: no prices while held"
    stop "${!pid_var}" || fail "$h: $(grep -m1 '^FAIL' "$WORK/$h.log" || tail -n 3 "$WORK/$h.log")"
    sed "s/^/  [$h] /" "$WORK/$h.log"
done

# ---- Reconnect after a gateway restart ---------------------------------------
# Both clients wait for "restart-me"; the gateway stops (by pid) and starts
# again on the same port; each client reconnects by itself (a new session),
# is on "*" again and gets prices after subscribing again.
start rec_default node "$CLIENT" "$BASE" --reconnect --timeout=100
start rec_polling node "$CLIENT" "$BASE" --reconnect --transports=polling --timeout=100
for r in rec_default rec_polling; do
    wait_for 30 grep -q '^restart-me' "$WORK/$r.log" ||
        fail "$r did not get ready for the restart: $(cat "$WORK/$r.log")"
done
stop "$gateway_PID" || true
wait_for 10 sh -c "grep -q '^disconnected' '$WORK/rec_default.log' &&
    grep -q '^disconnected' '$WORK/rec_polling.log'" ||
    fail "the clients did not see the gateway go"
# shellcheck disable=SC2086
start gateway ${GATEWAY_WRAPPER:-} "$top_builddir/gateway/cryptopulse-gateway" \
    --port "$GATEWAY_PORT" --www-root "$top_srcdir/www" "${GW_ARGS[@]}"
wait_for 10 curl -sf -o /dev/null "$BASE/stats" || fail "the gateway did not start again"
for r in rec_default rec_polling; do
    pid_var=${r}_PID
    rc=0
    wait_exit 60 "${!pid_var}" || rc=$?
    if [ "$rc" = 124 ]; then stop "${!pid_var}" || true; else forget "${!pid_var}"; fi
    sed "s/^/  [$r] /" "$WORK/$r.log"
    [ "$rc" = 0 ] || fail "$r: $(grep -m1 '^FAIL' "$WORK/$r.log" || echo "exit $rc")"
    grep -q '^reconnected' "$WORK/$r.log" || fail "$r did not reconnect"
done
curl -sf "$BASE/stats" >/dev/null || fail "gateway stopped answering"
echo "PASS: $TEST_NAME"
