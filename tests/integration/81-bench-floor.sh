#!/usr/bin/env bash
# The benchmark's floor (bench/cryptopulse-floor, issue 20): with Redis, the
# mock feeder (a tick every 200 ms) and the floor in two SO_REUSEPORT
# processes, python3-websockets clients get the RFC 6455 handshake (the
# library checks Sec-WebSocket-Accept), the welcome, and every tick as
# {"event":"price-update-bulk","data":<the feeder's tick>}, ids that are in
# the feeder's history stream and increase with no tick left out; client
# frames (a subscribe) are read and ignored.  Also --help and a usage error.
. "$(dirname "$0")/lib.sh"

FLOOR=$top_builddir/bench/cryptopulse-floor
[ -x "$FLOOR" ] || fail "$FLOOR not built"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets missing"
"$FLOOR" --help | grep -q -- '--processes' || fail "--help does not list --processes"
rc=0; "$FLOOR" --processes 2 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "no --port: exit status $rc, not 2"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --mock --interval 200
FLOOR_PORT=$(free_port)
start floor "$FLOOR" --port "$FLOOR_PORT" --redis-port "$REDIS_PORT" --processes 2
wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FLOOR_PORT))" ||
    fail "the floor did not listen on $FLOOR_PORT"
[ "$(pgrep -c -P "$floor_PID")" = 2 ] || fail "--processes 2 did not start two processes"

within 40 "$PY" - "$FLOOR_PORT" "$REDIS_PORT" <<'PYEOF' || fail "the floor's frames are wrong (see above)"
import asyncio, json, subprocess, sys
import websockets

port, redis_port = sys.argv[1], sys.argv[2]
CLIENTS, TICKS = 20, 5

def key(i):
    ms, seq = i.split("-")
    return int(ms), int(seq)

async def client(n):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert welcome["event"] == "welcome", welcome
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
        ids = []
        while len(ids) < TICKS:
            text = await asyncio.wait_for(ws.recv(), 5)
            assert text.startswith('{"event":"price-update-bulk","data":{'), text[:80]
            m = json.loads(text)
            assert set(m) == {"event", "data"}, m.keys()
            d = m["data"]
            assert d["prices"] and all("ts" in p for p in d["prices"]), d
            ids.append(d["id"])
        return ids

async def main():
    got = await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    for ids in got:
        assert [key(i) for i in ids] == sorted(key(i) for i in ids), ids
        # No tick between the first and the last left out: the history
        # stream holds exactly these ids in that range.
        out = subprocess.run(["redis-cli", "-p", redis_port, "--raw", "XRANGE",
                              "cryptopulse:history", ids[0], ids[-1]],
                             capture_output=True, text=True, check=True).stdout.split()
        stream = [w for w in out if w.count("-") == 1 and w.replace("-", "").isdigit()]
        assert stream == ids, (stream, ids)
    print(f"{CLIENTS} clients: welcome, then {TICKS} consecutive ticks each as price-update-bulk")

asyncio.run(main())
PYEOF
