#!/usr/bin/python3
"""Publish ticks to the gateway's Redis channel as fast as it takes them, for
SECONDS: pipelined PUBLISH of a real tick (the newest in the history stream)
with fresh ids and ts, paced by the subscriber's output buffer in Redis
(CLIENT LIST TYPE pubsub, omem) so that Redis never buffers more than ~2 MB.
Usage: burst.py REDIS_PORT SECONDS [PREFIX]; prints the ticks published."""
import json
import socket
import sys
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
prefix = sys.argv[3] if len(sys.argv) > 3 else "cryptopulse:"
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def reply():
    line = f.readline()
    t = line[:1]
    if t == b"$":
        n = int(line[1:])
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data
    if t == b"*":
        return [reply() for _ in range(int(line[1:]))]
    return line[1:].strip()


s.sendall(cmd("XREVRANGE", prefix + "history", "+", "-", "COUNT", "1"))
entry = reply()
tick = json.loads(entry[0][1][1])
channel = prefix + "ticks"
seq, sent, end = 0, 0, time.time() + seconds
while time.time() < end:
    batch = b""
    for _ in range(50):
        now = int(time.time() * 1000)
        seq += 1
        tid = f"{now + 1000}-{seq}"  # after any feeder tick of this second
        tick["id"], tick["ts"] = tid, now
        for p in tick["prices"]:
            p["id"], p["ts"] = tid, now
        batch += cmd("PUBLISH", channel, json.dumps(tick, separators=(",", ":")))
    s.sendall(batch)
    for _ in range(50):
        reply()
    sent += 50
    while True:
        s.sendall(cmd("CLIENT", "LIST", "TYPE", "pubsub"))
        info = reply().decode()
        omem = max([int(w[5:]) for w in info.split() if w.startswith("omem=")] or [0])
        if omem < 2_000_000 or time.time() >= end:
            break
        time.sleep(0.002)
print(sent)
