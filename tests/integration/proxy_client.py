"""Clients that check a reverse proxy in front of the gateway (65-, 66-proxy).

Usage:
  proxy_client.py ws URL TIMEOUT_S
      WebSocket (python3-websockets): welcome, subscribe to every symbol,
      then wait for a live tick (a price-update-bulk after the snapshot).
  proxy_client.py sse URL INTERVAL_MS
      SSE: the first event must arrive within one tick interval of the
      request, and the next two live ticks each within 1.5 intervals of the
      one before, so nothing on the way holds events back.  Three id: lines
      not seen within SSE_DEADLINE_INTERVALS intervals fail the check, however
      the bytes trickle in.
  proxy_client.py hold URL COUNT [SOURCE_ADDRESS...]
      Open COUNT WebSocket clients (from the given local addresses in turn),
      print "ready" once all are subscribed, and keep them open until killed.
Exits 0 when the check passed, 1 with a reason on stderr otherwise.
"""
import asyncio
import json
import signal
import socket
import sys
import time
import urllib.request

import websockets

# The SSE check's overall deadline, in tick intervals: three ids are due
# within 1 + 1.5 + 1.5 of them.
SSE_DEADLINE_INTERVALS = 8


async def subscribe(url, source=None):
    kw = {"open_timeout": 5}
    if source:
        kw["local_addr"] = (source, 0)
    ws = await websockets.connect(url, **kw)
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert welcome["event"] == "welcome", welcome
    await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
    return ws


async def ws_check(url, timeout):
    ws = await subscribe(url)
    bulks = 0
    deadline = time.monotonic() + timeout
    while bulks < 2:
        left = deadline - time.monotonic()
        msg = json.loads(await asyncio.wait_for(ws.recv(), max(left, 0.01)))
        if msg["event"] == "price-update-bulk":
            bulks += 1  # the first is the snapshot, the second a live tick
    print(f"ws: live tick {msg['data']['id']} with {len(msg['data']['prices'])} prices")
    await ws.close()


def sse_check(url, interval_ms):
    interval = interval_ms / 1000
    start = time.monotonic()
    times, ids = [], []
    limit = SSE_DEADLINE_INTERVALS * interval

    # Each read has its own timeout, but a stream that keeps sending other
    # lines (events without id:, keep-alives) would never trip it: the
    # alarm ends the whole check.
    def too_late(signum, frame):
        raise AssertionError(f"{len(times)} of 3 id: lines within {limit:g} s of the request "
                             f"(overall deadline; ids {ids})")

    signal.signal(signal.SIGALRM, too_late)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        # Offer gzip as browsers do: a proxy that compresses the stream holds it back.
        req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=3 * interval) as resp:
            ctype = resp.headers["Content-Type"]
            assert ctype.startswith("text/event-stream"), ctype
            assert resp.headers.get("Content-Encoding") is None, "the stream is compressed"
            while len(times) < 3:
                line = resp.readline()
                if not line:
                    raise AssertionError("stream ended")
                if line.startswith(b"id:"):
                    times.append(time.monotonic())
                    ids.append(line[3:].strip().decode())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    first = times[0] - start
    gaps = [b - a for a, b in zip(times, times[1:])]
    print(f"sse: first event after {first * 1000:.0f} ms, then gaps "
          f"{[round(g * 1000) for g in gaps]} ms (ids {ids})")
    assert first < interval, f"first event after {first:.3f} s > one interval"
    assert all(g < 1.5 * interval for g in gaps), f"events held back: gaps {gaps}"


async def hold(url, count, sources):
    clients = []
    for i in range(count):
        clients.append(await subscribe(url, sources[i % len(sources)] if sources else None))
    print("ready", flush=True)
    while True:
        for ws in clients:
            while True:  # drain what arrived so the gateway never sees a slow client
                try:
                    await asyncio.wait_for(ws.recv(), 0.001)
                except asyncio.TimeoutError:
                    break
        await asyncio.sleep(0.2)


def main():
    mode, url = sys.argv[1], sys.argv[2]
    try:
        if mode == "ws":
            asyncio.run(ws_check(url, float(sys.argv[3])))
        elif mode == "sse":
            sse_check(url, int(sys.argv[3]))
        elif mode == "hold":
            asyncio.run(hold(url, int(sys.argv[3]), sys.argv[4:]))
        else:
            raise SystemExit(f"unknown mode {mode}")
    except (AssertionError, OSError, asyncio.TimeoutError, socket.timeout,
            websockets.WebSocketException) as e:
        print(f"{mode} {url}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
