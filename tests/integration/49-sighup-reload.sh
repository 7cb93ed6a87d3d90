#!/usr/bin/env bash
# SIGHUP reloads every daemon from its --config file: the gateway, the feeder
# and the FastCGI daemon stay up, take the new value of each live setting at
# once (seen from outside), log one line per changed setting and one per
# change that needs a restart, and keep their settings on a bad value.  A
# SIGHUP sent at once after start never kills any of them.
. "$(dirname "$0")/lib.sh"
command -v cgi-fcgi >/dev/null || skip "cgi-fcgi not installed (Debian: libfcgi-bin)"

start_redis
bin=$top_builddir

# count LOG TEXT: lines of $WORK/LOG.log holding TEXT (fixed string).
count() { grep -c -F -- "$2" "$WORK/$1.log" || true; }
once() { # once LOG TEXT: exactly one such line, else fail
    [ "$(count "$1" "$2")" = 1 ] || fail "$1: want one line \"$2\", got $(count "$1" "$2")"
}

# ---- SIGHUP at once after start ----------------------------------------------
# hup_at_start NAME: SIGHUP to the started process NAME as soon as its main()
# has begun, the first moment a program can do anything about a signal
# (before, it is still the shell that starts it, or the dynamic loader).  Seen
# from outside as SIGHUP (bit 0) blocked or caught in /proc/PID/status.  A
# program that does neither within 20 s fails here: a sanitized build on a
# loaded machine can take seconds to reach main(), so a short wait would
# send the signal before main() and blame the program for it.
hup_at_start() {
    local pid=${1}_PID line mask=0 t0 end
    pid=${!pid} t0=$(now_ms) end=$(( $(now_ms) + 20000 ))
    while [ $(( mask & 1 )) = 0 ]; do
        [ "$(now_ms)" -lt "$end" ] || fail "$1: SIGHUP neither blocked nor caught 20 s after start"
        kill -0 "$pid" 2>/dev/null || fail "$1: exited before its main() handled SIGHUP"
        mask=0
        while read -r line; do
            case $line in SigBlk:* | SigCgt:*) mask=$(( mask | 16#${line##*[[:space:]]} )) ;; esac
        done <"/proc/$pid/status" 2>/dev/null || true
    done
    echo "$1: SIGHUP $(( $(now_ms) - t0 )) ms after start"
    kill -HUP "$pid"
}
for i in 1 2 3; do
    port=$(free_port)
    start early_gw "$bin/gateway/cryptopulse-gateway" --port "$port" --redis-port "$REDIS_PORT"
    hup_at_start early_gw
    start early_fd "$bin/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" \
        --redis-prefix early: --interval 100
    hup_at_start early_fd
    fport=$(free_port)
    start early_fc "$bin/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$fport" --redis-port "$REDIS_PORT"
    hup_at_start early_fc
    sleep 0.5
    for p in early_gw early_fd early_fc; do
        pid=${p}_PID
        kill -0 "${!pid}" 2>/dev/null || fail "$p: killed by a SIGHUP sent at start (round $i)"
        stop "${!pid}" || true
    done
done

# ---- gateway -------------------------------------------------------------------
printf 'LOG_LEVEL=info\nMAX_MESSAGES_PER_SECOND=100\nMAX_CONNECTIONS=5000\n' >"$WORK/gw.env"
start_gateway --redis-port "$REDIS_PORT" --config "$WORK/gw.env"
# rate_probe N: a WebSocket client sends N subscribe messages at once; prints
# the welcome's max_messages_per_second, then "limited" if refused, "closed CODE"
# if closed.
rate_probe() {
    within 20 "$PY" - "$GATEWAY_PORT" "$1" <<'PYEOF'
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        w = json.loads(await ws.recv())
        print(w.get("data", w).get("max_messages_per_second"))
        try:
            for _ in range(int(sys.argv[2])):
                await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["BTC"]}}))
        except websockets.ConnectionClosed:
            pass  # closed for flooding: what it said first is still to read
        try:
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 1))
                if m.get("event") == "error" and "rate_limited" in json.dumps(m):
                    print("limited")
        except asyncio.TimeoutError:
            pass
        except websockets.ConnectionClosed as e:
            print(f"closed {e.code}")
asyncio.run(main())
PYEOF
}
r=$(rate_probe 4)
[ "$(echo "$r" | head -n1)" = 100 ] || fail "gateway before reload: welcome says $r"
! echo "$r" | grep -q limited || fail "gateway before reload: 4 messages were rate limited"
printf 'LOG_LEVEL=debug\nMAX_MESSAGES_PER_SECOND=2\nMAX_CONNECTIONS=6000\n' >"$WORK/gw.env"
kill -HUP "$gateway_PID"
wait_for 5 grep -q 'reload: MAX_MESSAGES_PER_SECOND' "$WORK/gateway.log" || fail "gateway: no reload line"
kill -0 "$gateway_PID" || fail "gateway died of SIGHUP"
once gateway "reload: LOG_LEVEL info -> debug"
once gateway "reload: MAX_MESSAGES_PER_SECOND 100 -> 2"
once gateway "reload: MAX_CONNECTIONS 5000 -> 6000 needs a restart; still 5000"
[ "$(count gateway "reload:")" = 3 ] || fail "gateway: more reload lines than changes"
r=$(rate_probe 4)
[ "$(echo "$r" | head -n1)" = 2 ] || fail "gateway after reload: welcome says $r"
echo "$r" | grep -q limited || fail "gateway after reload: 4 messages not rate limited: $r"
# LOG_LEVEL=debug is in force: a client closed for an unmasked frame is
# logged at debug.
within 10 "$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "bad-frame client failed"
import base64, os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
s.recv(4096)
s.sendall(bytes([0x81, 0x01]) + b"x")  # not masked: a protocol error
while s.recv(4096):
    pass
PYEOF
wait_for 5 grep -q 'debug.*closing a WebSocket client' "$WORK/gateway.log" ||
    fail "gateway: no debug line after LOG_LEVEL=debug"
# A bad value keeps every running setting, and says why in one line.
printf 'LOG_LEVEL=info\nMAX_MESSAGES_PER_SECOND=zero\n' >"$WORK/gw.env"
kill -HUP "$gateway_PID"
wait_for 5 grep -q 'SIGHUP: .*MAX_MESSAGES_PER_SECOND' "$WORK/gateway.log" ||
    fail "gateway: the bad reload is not logged"
once gateway "keeping the running ones"
[ "$(rate_probe 1 | head -n1)" = 2 ] || fail "gateway: a bad reload changed MAX_MESSAGES_PER_SECOND"
stop "$gateway_PID" || fail "gateway: exit status $? after SIGTERM"

# ---- feeder ----------------------------------------------------------------------
printf 'LOG_LEVEL=info\nPRICE_TTL_SECONDS=3\nUPDATE_INTERVAL_MS=200\n' >"$WORK/fd.env"
start feeder "$bin/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --config "$WORK/fd.env"
ttl() { redis-cli -p "$REDIS_PORT" TTL cryptopulse:price:BTC; }
ttl_above() { test "$(ttl)" -gt "$1"; }
wait_for 5 ttl_above 0 || fail "feeder: no price with a TTL"
[ "$(ttl)" -le 3 ] || fail "feeder before reload: TTL $(ttl)"
printf 'LOG_LEVEL=debug\nPRICE_TTL_SECONDS=120\nUPDATE_INTERVAL_MS=300\n' >"$WORK/fd.env"
kill -HUP "$feeder_PID"
wait_for 5 ttl_above 3 || fail "feeder: PRICE_TTL_SECONDS not in force after SIGHUP"
kill -0 "$feeder_PID" || fail "feeder died of SIGHUP"
once feeder "reload: LOG_LEVEL info -> debug"
once feeder "reload: PRICE_TTL_SECONDS 3 -> 120"
once feeder "reload: UPDATE_INTERVAL_MS 200 -> 300 needs a restart; still 200"
[ "$(count feeder "reload:")" = 3 ] || fail "feeder: more reload lines than changes"
printf 'PRICE_TTL_SECONDS=-1\n' >"$WORK/fd.env"
kill -HUP "$feeder_PID"
wait_for 5 grep -q 'SIGHUP: .*PRICE_TTL_SECONDS.*keeping the running ones' "$WORK/feeder.log" ||
    fail "feeder: the bad reload is not logged"
sleep 0.5
[ "$(ttl)" -gt 3 ] || fail "feeder: a bad reload changed PRICE_TTL_SECONDS"
stop "$feeder_PID" || fail "feeder: exit status $? after SIGTERM"

# ---- FastCGI daemon ---------------------------------------------------------------
# A heartbeat 10 s old: stale at UPDATE_INTERVAL_MS=1500, fresh at 60000.
redis-cli -p "$REDIS_PORT" SET cryptopulse:feeder:heartbeat "$(( $(now_ms) - 10000 ))" >/dev/null
printf 'LOG_LEVEL=info\nUPDATE_INTERVAL_MS=1500\n' >"$WORK/fc.env"
FPORT=$(free_port)
start fcgi "$bin/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$FPORT" --redis-port "$REDIS_PORT" \
    --config "$WORK/fc.env"
health() {
    within 10 env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
        SCRIPT_NAME=/health REQUEST_URI=/health cgi-fcgi -bind -connect "127.0.0.1:$FPORT" </dev/null
}
wait_for 5 health || fail "fcgi did not answer"
health | grep -q '"status":"degraded"' || fail "fcgi before reload: $(health)"
printf 'LOG_LEVEL=debug\nUPDATE_INTERVAL_MS=60000\nREDIS_DB=1\n' >"$WORK/fc.env"
kill -HUP "$fcgi_PID"
# The reload is logged at once, before any request comes.
wait_for 5 grep -q 'reload: UPDATE_INTERVAL_MS' "$WORK/fcgi.log" || fail "fcgi: no reload line"
kill -0 "$fcgi_PID" || fail "fcgi died of SIGHUP"
health | grep -q '"status":"ok"' || fail "fcgi after reload: $(health)"
once fcgi "reload: LOG_LEVEL info -> debug"
once fcgi "reload: UPDATE_INTERVAL_MS 1500 -> 60000"
once fcgi "reload: REDIS_DB 0 -> 1 needs a restart; still 0"
[ "$(count fcgi "reload:")" = 3 ] || fail "fcgi: more reload lines than changes"
stop "$fcgi_PID" || true
echo "PASS: $TEST_NAME"
