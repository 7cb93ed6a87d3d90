#!/usr/bin/env bash
# What one bad tick may not do.  Ticks are PUBLISHed straight into Redis (no
# feeder): a 2 MiB tick is over MAX_TICK_BYTES, so it is logged, counted in
# bad_ticks and skipped, and every client — one that reads, one that pauses
# for half a second, an SSE stream — stays connected and gets the ticks
# around it; fields the contract does not define never reach clients; a
# subscribe before any data gets "subscribed" in request order and no empty
# snapshot.
. "$(dirname "$0")/lib.sh"

start_redis
start_gateway --redis-port "$REDIS_PORT"

within 90 "$PY" - "$GATEWAY_PORT" "$REDIS_PORT" "$top_srcdir/tests/integration" >"$WORK/bad.txt" 2>&1 <<'PYEOF' || fail "bad tick checks: $(tail -n 4 "$WORK/bad.txt")"
import asyncio, json, os, socket, subprocess, sys, time, urllib.request
import websockets
port, redis_port = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, sys.argv[3])
import ws_raw  # the raw-socket handshake and frames of the 40- tests
DEADLINE = time.monotonic() + 30  # the whole check; every wait below is bounded by it

def left():
    t = DEADLINE - time.monotonic()
    assert t > 0, "overall deadline passed"
    return t

def price(sym, ms, **extra):
    return dict({"symbol": sym, "price": 100.5, "change24h": 0.5, "volume24h": 1.0,
                 "high24h": 101.0, "low24h": 99.0, "ts": ms, "id": f"{ms}-0"}, **extra)

def publish(tick):
    subprocess.run(["redis-cli", "-p", redis_port, "-x", "PUBLISH", "cryptopulse:ticks"],
                   input=json.dumps(tick).encode(), stdout=subprocess.DEVNULL, check=True,
                   timeout=left())

def stats():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=min(5, left())) as r:
        return json.load(r)

def raw_ws():
    """A WebSocket client that reads nothing until told to: a paused browser tab."""
    s, rest = ws_raw.handshake(port)
    s.sendall(ws_raw.frame(0x1, json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}).encode()))
    return s

async def recv_until(ws, pred):
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), left()))
        if pred(m):
            return m

async def main():
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=1 << 20) as ws:
        await asyncio.wait_for(ws.recv(), left())  # welcome
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["BTC", "ETH"]}}))
        m = json.loads(await asyncio.wait_for(ws.recv(), left()))
        assert m == {"event": "subscribed", "data": {"symbols": ["BTC", "ETH"]}}, m
        # Nothing has ever been published: no snapshot, not even an empty one.
        try:
            m = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            raise AssertionError(f"before any tick the subscribe was answered with {m}")
        except asyncio.TimeoutError:
            pass
        print("subscribed in request order, no empty snapshot")

        paused = raw_ws()
        sse = urllib.request.urlopen(f"http://127.0.0.1:{port}/events?symbols=BTC", timeout=5)
        await asyncio.sleep(0.3)
        ms = int(time.time() * 1000)
        publish({"id": f"{ms}-0", "ts": ms, "prices": [price("BTC", ms), price("ETH", ms)]})
        big = "x" * (2 << 20)
        publish({"id": f"{ms + 1}-0", "ts": ms + 1,
                 "prices": [price("BTC", ms + 1, note=big), price("ETH", ms + 1)]})
        publish({"id": f"{ms + 2}-0", "ts": ms + 2, "junk": [1, 2, 3],
                 "prices": [price("BTC", ms + 2, secret="do not forward"), price("ETH", ms + 2)]})

        got = []
        while len(got) < 4:
            m = await recv_until(ws, lambda m: m["event"] == "price-update")
            got.append((m["data"]["id"], m["data"]["symbol"]))
            assert set(m["data"]) == {"symbol", "price", "change24h", "volume24h", "high24h",
                                      "low24h", "ts", "id"}, m["data"]
        want = [(f"{ms}-0", "BTC"), (f"{ms}-0", "ETH"), (f"{ms + 2}-0", "BTC"), (f"{ms + 2}-0", "ETH")]
        assert got == want, f"got {got}, want {want}"
        print("the reading client got the ticks around the bad one, contract fields only")

        # The paused client reads after half a second: still connected, both ticks there.
        await asyncio.sleep(0.5)
        paused.settimeout(1)
        data = b""
        try:
            while f'"id":"{ms + 2}-0"'.encode() not in data and left() > 0:
                chunk = paused.recv(1 << 16)
                assert chunk, "the paused client was disconnected"
                data += chunk
        except socket.timeout:
            pass
        assert f'"id":"{ms}-0"'.encode() in data and f'"id":"{ms + 2}-0"'.encode() in data, data[-300:]
        assert len(data) < 8192 and b"xxxx" not in data and b"junk" not in data, len(data)
        # Still open: a ping is answered with a pong.
        paused.sendall(bytes([0x89, 0x80]) + os.urandom(4))
        pong = paused.recv(16)
        assert pong[:1] == b"\x8a", pong
        print(f"the paused client kept its connection and read {len(data)} bytes")

        lines = []
        while sum(l.startswith("id: ") for l in lines) < 2:
            lines.append(sse.readline().decode().rstrip("\n"))
            assert time.monotonic() < DEADLINE, "overall deadline passed reading SSE"
        ids = [l[4:] for l in lines if l.startswith("id: ")]
        assert ids == [f"{ms}-0", f"{ms + 2}-0"], ids
        print("the SSE stream got both good ticks")

        s = stats()
        assert s["bad_ticks"] == 1, s["bad_ticks"]
        assert s["websocket"]["current"] == 2 and s["sse"]["current"] == 1, s
        assert s["dropped"] == 0, s["dropped"]
        print("bad_ticks 1, every client connected, none dropped")
        paused.close()
        sse.close()

asyncio.run(main())
PYEOF
cat "$WORK/bad.txt"
grep -q 'over MAX_TICK_BYTES' "$WORK/gateway.log" || fail "the skipped tick was not logged"
echo "PASS: $TEST_NAME"
