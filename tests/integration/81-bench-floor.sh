#!/usr/bin/env bash
# The benchmark's floor (bench/cryptopulse-floor, issue 20): with Redis, the
# mock feeder (a tick every 200 ms) and the floor in two SO_REUSEPORT
# processes, python3-websockets clients get the RFC 6455 handshake (the
# library checks Sec-WebSocket-Accept), the welcome, and every tick as
# {"event":"price-update-bulk","data":<the feeder's tick>}, ids that are in
# the feeder's history stream and increase with no tick left out; client
# frames (a subscribe) are read and ignored.  Also --help, usage errors that
# name the bad option, a taken port reported as such, and, out of file
# descriptors, no busy loop and clients taken again once some have gone.
. "$(dirname "$0")/lib.sh"

FLOOR=$top_builddir/bench/cryptopulse-floor
[ -x "$FLOOR" ] || fail "$FLOOR not built"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets missing"
"$FLOOR" --help | grep -q -- '--processes' || fail "--help does not list --processes"
rc=0; "$FLOOR" --processes 2 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "no --port: exit status $rc, not 2"
# Bad numbers are refused with the option named, not wrapped or cut short.
for bad in "--port 16396x:--port" "--port 5555 --redis-port 81935:--redis-port" \
    "--port 5555 --processes 65:--processes" "--port 5555 extra:unexpected argument 'extra'"; do
    rc=0; "$FLOOR" ${bad%%:*} 2>"$WORK/err" || rc=$?
    [ "$rc" = 2 ] && grep -q -- "${bad#*:}" "$WORK/err" ||
        fail "$FLOOR ${bad%%:*}: exit status $rc and '$(cat "$WORK/err")', not 2 naming ${bad#*:}"
done
echo "ok - bad numbers and arguments are refused, naming the option"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --mock --interval 200
FLOOR_PORT=$(free_port)
start floor "$FLOOR" --port "$FLOOR_PORT" --redis-port "$REDIS_PORT" --processes 2
wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FLOOR_PORT))" ||
    fail "the floor did not listen on $FLOOR_PORT"
[ "$(pgrep -c -P "$floor_PID")" = 2 ] || fail "--processes 2 did not start two processes"
# A taken port is reported as such (not as a Redis error).
other=$(free_port)
"$PY" -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$other)); s.listen(); time.sleep(3)" &
blocker=$!
sleep 0.5
rc=0; "$FLOOR" --port "$other" --redis-port "$REDIS_PORT" 2>"$WORK/err" || rc=$?
kill "$blocker" 2>/dev/null; wait "$blocker" 2>/dev/null || true
[ "$rc" = 1 ] && grep -q "cannot listen on 127.0.0.1:$other: Address already in use" "$WORK/err" ||
    fail "a taken port: exit status $rc and '$(cat "$WORK/err")'"
rc=0; "$FLOOR" --port "$(free_port)" --host notanip --redis-port "$REDIS_PORT" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] && grep -q "not an IPv4 address" "$WORK/err" || fail "--host notanip: '$(cat "$WORK/err")'"
echo "ok - a taken port and a bad address are reported as such"

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

# Out of descriptors: the floor stops accepting for a moment instead of
# spinning on a listening socket that stays readable, and takes clients again
# once some have gone.  A floor with 24 files (its own use about 10) and 40
# clients connected: its CPU over 2 s stays far below a spinning loop's.
EM_PORT=$(free_port)
start floor_emfile sh -c 'ulimit -n 24 && exec "$0" --port "$1" --redis-port "$2"' \
    "$FLOOR" "$EM_PORT" "$REDIS_PORT"
wait_for 10 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $EM_PORT))" ||
    fail "the floor with 24 files did not listen"
within 30 "$PY" - "$EM_PORT" "$floor_emfile_PID" <<'PYEOF' || fail "the floor out of descriptors (see above)"
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
time.sleep(0.5)
c0 = cpu(); time.sleep(2); used = cpu() - c0
assert used < 0.5, f"the floor used {used:.2f} s of CPU in 2 s with its descriptors used up"
for s in held:
    s.close()
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
head = s.recv(4096)
assert head.startswith(b"HTTP/1.1 101"), head[:80]
print(f"ok - out of descriptors: {used:.2f} s of CPU in 2 s, then a new client gets its 101")
PYEOF
