"""Resume replays that once went wrong, against a gateway and its Redis with no
feeder running (the script writes the history stream and publishes ticks).

Usage: sse_replay_edges.py GATEWAY_PORT REDIS_PORT GATEWAY_LOG
1. 250 history entries that are not ticks after the resume point: they are
   skipped (and logged), the client goes live, and the gateway reads the
   stream a bounded number of times (it once re-read the same page forever).
2. 300 ticks of 40 symbols (~9 KB each) replayed to a client that reads
   slowly (4 KB receive buffer, about 200 KB/s) while live ticks keep coming:
   every tick arrives, in order, and the client is not dropped (one 200-tick
   page went out whole, past MAX_OUTPUT_BYTES).
Every wait has a deadline: it fails, never hangs.
"""
import json
import socket
import subprocess
import sys
import threading
import time

port, redis_port, gateway_log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DEADLINE = time.monotonic() + 90


def redis(*args, stdin=None):
    return subprocess.run(["redis-cli", "-p", redis_port, *args], input=stdin, text=True,
                          capture_output=True, check=True, timeout=20).stdout


def xrange_calls():
    for line in redis("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_xrange:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def tick(ms, symbols):
    prices = [{"symbol": s, "price": 100.5, "change24h": 0.5, "volume24h": 1.0, "high24h": 101.0,
               "low24h": 99.0, "ts": ms, "id": f"{ms}-0", "sources": ["binance"], "stale": False}
              for s in symbols]
    return json.dumps({"id": f"{ms}-0", "ts": ms, "prices": prices})


def stream(query, last_id, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /events?{query} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last_id}\r\n\r\n"
              .encode())
    return s


def ids_in(data):
    return [l[4:] for l in data.decode().split("\n") if l.startswith("id: ")]


def last_stream_id():
    out = redis("XREVRANGE", "cryptopulse:history", "+", "-", "COUNT", "1").split()
    return out[0] if out else None


def garbage_after_resume_point():
    now = int(time.time() * 1000)
    start = max(now, int(last_stream_id().split("-")[0]) + 1 if last_stream_id() else now)
    redis("XADD", "cryptopulse:history", f"{start}-0", "tick", tick(start, ["BTC"]))
    lines = "".join(f"XADD cryptopulse:history {start + i}-0 tick garbage{i}\n" for i in range(1, 251))
    redis(stdin=lines)
    redis("CONFIG", "RESETSTAT")
    s = stream("symbols=BTC", f"{start}-0")
    data, end = b"", time.monotonic() + 2
    try:
        while time.monotonic() < end:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    calls = xrange_calls()
    assert b"200 OK" in data and b"snapshot" not in data, data[:300]
    assert calls <= 5, f"{calls} XRANGE calls for one resume over 250 bad entries"
    deadline = time.monotonic() + 5
    while "skipped 250 history entries" not in open(gateway_log).read():
        assert time.monotonic() < deadline, "the skipped entries were not logged"
        time.sleep(0.1)
    print(f"250 bad history entries skipped with {calls} XRANGE calls, and logged")
    return start + 250


def slow_reader_over_big_ticks(after_ms):
    symbols = [f"S{i}" for i in range(40)]
    base = after_ms + 1  # after everything in the stream
    first = f"{base}-0"
    lines = "".join(f"XADD cryptopulse:history {base + i}-0 tick '{tick(base + i, symbols)}'\n"
                    for i in range(300))
    redis(stdin=lines)
    stop = threading.Event()

    def live():  # a live tick every 300 ms, in the stream and on the channel
        ms = max(int(time.time() * 1000), base + 300)
        while not stop.wait(0.3):
            ms = max(ms + 1, int(time.time() * 1000))
            t = tick(ms, symbols)
            redis(stdin=f"XADD cryptopulse:history {ms}-0 tick '{t}'\n"
                        f"PUBLISH cryptopulse:ticks '{t}'\n")

    publisher = threading.Thread(target=live, daemon=True)
    publisher.start()
    s = stream("symbols=*", first, rcvbuf=4096)
    data = b""
    # The stream first states the id it resumes from, then the 299 ticks.
    want = [first] + [f"{base + i}-0" for i in range(1, 300)]
    try:
        while True:
            assert time.monotonic() < DEADLINE, "overall deadline passed"
            chunk = s.recv(4096)
            assert chunk, f"dropped after {len(ids_in(data))} ticks"
            data += chunk
            if len(ids_in(data)) >= len(want) + 3:
                break
            time.sleep(0.02)  # about 200 KB/s
    finally:
        stop.set()
        publisher.join(5)
        s.close()
    got = ids_in(data)
    assert got[:len(want)] == want, f"replay out of order or incomplete: {got[:3]}...{got[len(want)-2:len(want)+1]}"
    key = lambda i: tuple(map(int, i.split("-")))
    assert all(key(a) < key(b) for a, b in zip(got, got[1:])), "ids not increasing"
    print(f"slow reader: {len(want)} replayed ticks of {len(data) // len(got)} B, then live ones, "
          "in order, not dropped")


after = garbage_after_resume_point()
slow_reader_over_big_ticks(after)
