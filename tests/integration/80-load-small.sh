#!/usr/bin/env bash
# A small load run: cryptopulse-load opens 500 WebSocket clients (then 200
# SSE clients, then 200 Socket.IO clients) on a gateway fed by the mock
# feeder every 200 ms, and every client must get every tick the feeder
# wrote to the history stream while all of them were subscribed.
. "$(dirname "$0")/lib.sh"

LOAD=$top_builddir/load/cryptopulse-load
start_redis
start_gateway --redis-port "$REDIS_PORT" --interval 200
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --mock \
    --interval 200
wait_for 10 curl -sf "http://127.0.0.1:$GATEWAY_PORT/health" || fail "no tick reached the gateway"

# check_run NAME CLIENTS: every tick written after the last client was
# ready, and at least 400 ms before the end of sustain, reached every client.
check_run() {
    local name=$1 clients=$2 json=$WORK/$1.json ticks=$WORK/$1.ticks
    read -r from to < <("$PY" -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(j["last_ready_ms"] + 1, j["sustain_end_ms"] - 400)' "$json")
    redis-cli -p "$REDIS_PORT" --raw XRANGE cryptopulse:history "$from" "$to" \
        | grep -E '^[0-9]+-[0-9]+$' >"$WORK/$name.written" || true
    "$PY" - "$json" "$ticks" "$WORK/$name.written" "$clients" "$name" <<'PYEOF' || fail "$name: not every client got every tick"
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
got = dict(line.split() for line in open(sys.argv[2]) if line.strip())
written = [l.strip() for l in open(sys.argv[3]) if l.strip()]
clients, name = int(sys.argv[4]), sys.argv[5]
assert j["pass"], f"criteria failed: {j['failed']}"
assert j["connected"] == clients and j["open_at_sustain_end"] == clients, j
assert len(written) >= 8, f"only {len(written)} ticks written in the window"
missing = {t: int(got.get(t, 0)) for t in written if int(got.get(t, 0)) != clients}
assert not missing, f"ticks not received by all {clients} clients: {missing}"
print(f"{name}: {clients} clients each got all {len(written)} ticks of the window; "
      f"latency avg {j['latency_ms']['avg']:.2f} ms, p99 {j['latency_ms']['p99']:.1f} ms")
PYEOF
}

within 60 "$LOAD" --url "ws://127.0.0.1:$GATEWAY_PORT/ws" --clients 500 --ramp 1 --sustain 4 \
    --pid "$gateway_PID" --ticks-file "$WORK/ws.ticks" --no-progress >"$WORK/ws.json" \
    || { cat "$WORK/ws.json"; fail "cryptopulse-load (WebSocket) reported failure"; }
check_run ws 500
within 60 "$LOAD" --url "http://127.0.0.1:$GATEWAY_PORT/events" --clients 200 --ramp 0.5 --sustain 3 \
    --workers 2 --ticks-file "$WORK/sse.ticks" --no-progress >"$WORK/sse.json" \
    || { cat "$WORK/sse.json"; fail "cryptopulse-load (SSE) reported failure"; }
check_run sse 200
cat "$WORK/ws.json"

# json_assert FILE EXPR: EXPR (Python, over the JSON line as j) holds.
json_assert() {
    "$PY" -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert eval(sys.argv[2]), j' \
        "$1" "$2" || fail "$1: $2"
}

# Socket.IO clients (socketio://: Engine.IO's WebSocket transport on the
# gateway's /socket.io/) are on "*" from their connect: every one gets every
# tick too, counted by the gateway as its own transport.  With a symbol they
# subscribe, and the snapshot that follows is not taken for a live tick.
within 60 "$LOAD" --url "socketio://127.0.0.1:$GATEWAY_PORT" --clients 200 --ramp 0.5 --sustain 3 \
    --ticks-file "$WORK/sio.ticks" --no-progress >"$WORK/sio.json" \
    || { cat "$WORK/sio.json"; fail "cryptopulse-load (Socket.IO) reported failure"; }
check_run sio 200
json_assert "$WORK/sio.json" 'j["transport"] == "socketio" and j["causes"] == {}'
sio_seen() {
    curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" \
        | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["socketio"]; print(s["total"])'
}
[ "$(sio_seen)" -ge 200 ] || fail "/stats counted $(sio_seen) Socket.IO sessions, not 200"
within 60 "$LOAD" --url "socketio://127.0.0.1:$GATEWAY_PORT/socket.io/" --clients 50 --ramp 0.3 \
    --sustain 2 --subscribe BTC --no-progress >"$WORK/sio-btc.json" \
    || { cat "$WORK/sio-btc.json"; fail "cryptopulse-load (Socket.IO, one symbol) reported failure"; }
json_assert "$WORK/sio-btc.json" 'j["connected"] == 50 and j["ticks_min"] >= 5 and j["errors"] == 0'

# ws_open: WebSocket clients the gateway holds now; ws_open_is N: exactly N.
ws_open() {
    curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["websocket"]["current"])'
}
ws_open_is() { [ "$(ws_open)" = "$1" ]; }

# Killing the load tool takes its workers and their connections with it.
start stopped "$LOAD" -u "ws://127.0.0.1:$GATEWAY_PORT/ws" -n 50 -w 2 --ramp 0.3 --sustain 60 \
    --no-progress
wait_for 10 ws_open_is 50 || fail "the load tool never held 50 clients"
workers=$(pgrep -P "$stopped_PID") || fail "the load tool has no workers"
stop "$stopped_PID" || true
wait_for 5 ws_open_is 0 || fail "$(ws_open) connections left after killing the load tool"
for pid in $workers; do
    ! kill -0 "$pid" 2>/dev/null || fail "worker $pid outlived the load tool"
done

# A server that accepts and never answers: every client is still shaking
# hands when the run ends, and each counts as an unfinished error.
SILENT_PORT=$(free_port)
start_silent silent "$SILENT_PORT"
true & dead_pid=$!   # a pid that no longer exists: warned about, not measured
wait "$dead_pid"
rc=0
within 30 "$LOAD" -u "ws://127.0.0.1:$SILENT_PORT/ws" -n 10 --ramp 0.2 --sustain 1 --connect-timeout 2000 \
    --pid "$dead_pid" --no-progress >"$WORK/silent.json" 2>"$WORK/silent.err" || rc=$?
[ "$rc" = 1 ] || fail "a silent server gave exit status $rc, not 1"
json_assert "$WORK/silent.json" 'j["errors"] == 10 and j["causes"] == {"unfinished": 10} and j["connected"] == 0'
grep -q "unfinished 10" "$WORK/silent.json" || fail "the table does not show 10 unfinished"
grep -q -- "--pid $dead_pid: no such process" "$WORK/silent.err" || fail "no warning about pid $dead_pid"
json_assert "$WORK/silent.json" '"server" not in j'
! grep -q "^  server " "$WORK/silent.json" || fail "a server line for a pid that does not exist"

# Usage errors name the bad value and exit 2.
usage_error() {
    local value=$1 rc=0
    shift
    within 10 "$LOAD" "$@" >/dev/null 2>"$WORK/usage.err" || rc=$?
    [ "$rc" = 2 ] || fail "$* exited $rc, not 2"
    grep -qF -- "$value" "$WORK/usage.err" || fail "$*: the message does not name '$value'"
}
usage_error "'abc'" --pid abc
usage_error "'BTC,,ETH'" --symbols BTC,,ETH
usage_error "''" --symbols ''
usage_error "47123x" -u ws://127.0.0.1:47123x/ws
usage_error "--deflate" -u "http://127.0.0.1:$SILENT_PORT/events" --deflate

# SYMBOLS, the one setting, comes from the environment and the --config
# file: two symbols cannot give random:3.  Other names are not settings.
SYMBOLS=BTC,ETH usage_error "random:3" -s random:3
echo SYMBOLS=SOL >"$WORK/load.conf"
usage_error "random:3" -c "$WORK/load.conf" -s random:3
echo CLIENTS=5 >"$WORK/load.conf"
usage_error "CLIENTS" -c "$WORK/load.conf"

# Every JSON field and cause the tool wrote is in its man page.
"$PY" - "$WORK/ws.json" "$WORK/silent.json" "$top_srcdir/man/cryptopulse-load.1" <<'PYEOF' \
    || fail "JSON fields missing from the man page"
import json, re, sys
man = open(sys.argv[3]).read().replace("\\-", "-")
names = set()
for path in sys.argv[1:3]:
    j = json.loads(open(path).read().splitlines()[-1])
    names |= set(j) | set(j["causes"]) | set(j.get("server", {}))
missing = sorted(n for n in names if not re.search(r"\b" + re.escape(n) + r"\b", man))
assert not missing, f"not in the man page: {missing}"
PYEOF
echo "PASS: $TEST_NAME"
