#!/usr/bin/env bash
# The reconnect storm (cryptopulse-load --storm, issue 20): 200 WebSocket
# clients on a gateway fed every 200 ms; the gateway is stopped, stays down
# for 1.5 s (several ticks go by), and starts again on the same port.  Every
# client must come back with the dashboard's backoff, resume with since in
# its URL (--url-subscribe, as www/cryptopulse-connection.js) and
# miss no tick: the load tool reports 0 "snapshot": true resumes, and every
# tick the feeder wrote to the history stream after the last client was
# ready, the outage included, reached all 200 clients.
# A peer's storm (the floor, bench/cryptopulse-floor, with --subscribe none
# --no-snapshot, as bench/run.sh measures nchan and the floor): its clients
# have nothing to resume, so each is back at its handshake and the report
# gives no ticks_missed (null), not a 0 that was never measured.
. "$(dirname "$0")/lib.sh"

LOAD=$top_builddir/load/cryptopulse-load
N=200
start_redis
start_gateway --redis-port "$REDIS_PORT"
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --mock \
    --interval 200
wait_for 10 curl -sf "http://127.0.0.1:$GATEWAY_PORT/health" || fail "no tick reached the gateway"

"$LOAD" --url "ws://127.0.0.1:$GATEWAY_PORT/ws" --clients "$N" --ramp 1 --sustain 14 --storm \
    --url-subscribe --ticks-file "$WORK/ticks" --no-progress --max-avg-latency 1000000 >"$WORK/load.json" 2>&1 &
load=$!
PIDS+=("$load")
sleep 3.5
down_ms=$(now_ms)
stop "$gateway_PID" || fail "the gateway did not stop cleanly"
sleep 1.5
up_ms=$(now_ms)
start gateway "$top_builddir/gateway/cryptopulse-gateway" --port "$GATEWAY_PORT" \
    --www-root "$top_srcdir/www" --redis-port "$REDIS_PORT"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/stats" || fail "gateway did not restart"
wait_exit 40 "$load" || { cat "$WORK/load.json"; fail "cryptopulse-load --storm reported failure"; }
forget "$load"
cat "$WORK/load.json"

read -r from to < <("$PY" -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(j["last_ready_ms"] + 1, j["sustain_end_ms"] - 400)' "$WORK/load.json")
redis-cli -p "$REDIS_PORT" --raw XRANGE cryptopulse:history "$from" "$to" |
    grep -E '^[0-9]+-[0-9]+$' >"$WORK/written" || true
"$PY" - "$WORK/load.json" "$WORK/ticks" "$WORK/written" "$N" "$down_ms" "$up_ms" <<'PYEOF' || fail "the storm lost clients or ticks"
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
got = dict(line.split() for line in open(sys.argv[2]) if line.strip())
written = [l.strip() for l in open(sys.argv[3]) if l.strip()]
n, down, up = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = j["storm"]
assert j["pass"] and s["pass"], (j["failed"], s)
assert s["drops"] == n and s["back"] == n, s
assert s["ticks_missed"] == 0, s
assert s["failed_attempts"] > 0, f"no reconnect was refused: was the gateway down? {s}"
assert 0 < s["live_99_ms"] <= s["live_100_ms"] < 15000, s
assert j["connected"] == n and j["open_at_sustain_end"] == n, j
outage = [t for t in written if down <= int(t.split("-")[0]) <= up]
assert len(outage) >= 4, f"only {len(outage)} ticks while the gateway was down"
missing = {t: int(got.get(t, 0)) for t in written if int(got.get(t, 0)) != n}
assert not missing, f"ticks not received by all {n} clients: {missing}"
print(f"storm: {n} dropped, all back (99 % after {s['live_99_ms']:.0f} ms, 100 % after "
      f"{s['live_100_ms']:.0f} ms), all {len(written)} ticks of the window received by every "
      f"client, {len(outage)} of them written while the gateway was down")
PYEOF

# The peer's storm: 100 clients on the floor, stopped and started again.
FLOOR=$top_builddir/bench/cryptopulse-floor
[ -x "$FLOOR" ] || fail "$FLOOR not built"
FLOOR_PORT=$(free_port)
start floor "$FLOOR" --port "$FLOOR_PORT" --redis-port "$REDIS_PORT"
wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FLOOR_PORT))" ||
    fail "the floor did not listen"
"$LOAD" --url "ws://127.0.0.1:$FLOOR_PORT/ws" --clients 100 --ramp 1 --sustain 8 --storm \
    --subscribe none --no-snapshot --no-progress --max-avg-latency 1000000 >"$WORK/peer.json" 2>&1 &
load=$!
PIDS+=("$load")
sleep 3
floor_down_ms=$(now_ms)
stop "$floor_PID" || true # killed by SIGTERM: status 143
sleep 1
start floor "$FLOOR" --port "$FLOOR_PORT" --redis-port "$REDIS_PORT"
wait_exit 30 "$load" || { cat "$WORK/peer.json"; fail "cryptopulse-load --storm on the floor reported failure"; }
forget "$load"
"$PY" - "$WORK/peer.json" "$floor_down_ms" <<'PYEOF' || fail "the peer's storm is misreported"
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
# Ready once, in the ramp: a reconnect does not make a client ready again.
assert 0 < j["last_ready_ms"] < int(sys.argv[2]), (j["last_ready_ms"], sys.argv[2])
s = j["storm"]
assert s["pass"] and s["drops"] == 100 and s["back"] == 100, s
assert s["ticks_missed"] is None, s
assert s["failed_attempts"] > 0, f"no reconnect was refused: was the floor down? {s}"
assert 0 < s["live_99_ms"] <= s["live_100_ms"] < 15000, s
assert s["connect_ms"]["p50"] > 0, s
print(f"peer storm: 100 dropped, all back at their handshake (100 % after {s['live_100_ms']:.0f} ms), "
      f"ticks_missed {s['ticks_missed']}")
PYEOF
