"""Raw-socket WebSocket checks the polite python3-websockets client cannot make.

Usage: ws_raw.py PORT CASE [REDIS_PORT]
Cases exit 0 when the gateway behaved (deflate prints a summary), else 1 with why:
  unmasked   an unmasked client frame is closed with 1002 (RFC 6455 §5.1)
  too-big    a message over MAX_MESSAGE_BYTES is closed with 1009
  bad-utf8   invalid UTF-8 in a text frame is closed with 1007
  ping       a ping is answered by a pong with the same payload (§5.5.2)
  early      bytes sent right after the handshake, in the same packet, are read
  close      a close frame is echoed with the same code (§5.5.1)
  bomb       a permessage-deflate message inflating past MAX_MESSAGE_BYTES
             (10 MB of zeros in ~10 KB) is closed with 1009
  idle       a silent client is pinged, and closed with 1001 if it stays silent
  pong       a client that answers the ping stays connected
  flood      over the rate limit: one rate_limited error, then close 1008
  subcap     past MAX_SUBSCRIPTIONS: too_many_subscriptions
  deflate    ticks PUBLISHed into the Redis on REDIS_PORT reach a
             permessage-deflate client as frames with RSV1 set whose
             payload lacks the 00 00 ff ff tail (RFC 7692 §7.2.1), and
             inflate (with the tail put back) to exactly the bytes a plain
             client gets for the same tick
(idle, pong, flood and subcap expect a gateway started with small limits:
 ping interval and pong timeout 300 ms, 5 messages/s, 2 subscriptions.)
A case not decided within DEADLINE_S seconds fails, saying what it waited
for: frames that keep coming (pings, ticks) do not stretch it.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib

DEADLINE_S = 20
deadline = time.monotonic() + DEADLINE_S


def recv(s, what):
    """The next bytes from s (b"" at EOF), waiting no later than the
    case's deadline; past it an AssertionError says what was awaited."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise AssertionError(f"no {what} within {DEADLINE_S} s (overall deadline)")
    s.settimeout(min(5, left))
    try:
        return s.recv(65536)
    except socket.timeout:
        if time.monotonic() >= deadline:
            raise AssertionError(f"no {what} within {DEADLINE_S} s (overall deadline)") from None
        raise AssertionError(f"no {what}: the socket stayed silent for 5 s") from None


def frame(opcode, payload, mask=True, fin=True, rsv1=False):
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def handshake(port, extra=b"", headers=""):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n").encode() + extra)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = recv(s, "handshake answer")
        if not chunk:
            raise EOFError(f"connection closed during the handshake: {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    if headers:
        assert b"permessage-deflate" in head, head
    return s, rest


def read_frame(s, buf, what="frame"):
    b0, payload, buf = read_frame_head(s, buf, what)
    return b0 & 0x0F, payload, buf


def read_frame_head(s, buf, what="frame"):
    """As read_frame, but the frame's whole first byte (FIN, RSV1-3, opcode)."""
    while True:
        if len(buf) >= 2:
            assert not buf[1] & 0x80, "the server masked a frame (RFC 6455 §5.1)"
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) >= off + n:
                return buf[0], buf[off:off + n], buf[off + n:]
        chunk = recv(s, what)
        if not chunk:
            raise EOFError(f"connection closed without a {what}")
        buf += chunk


def expect_close(s, buf, code):
    while True:
        op, payload, buf = read_frame(s, buf, f"close {code}")
        if op == 8:
            got = struct.unpack("!H", payload[:2])[0]
            assert got == code, f"close code {got}, expected {code}"
            return


TAIL = b"\x00\x00\xff\xff"


def publish_ticks(redis_port, count):
    """PUBLISH count ticks of 1, 20, 100, ... prices into the gateway's
    channel, as the feeder would; returns their ids and prices by id."""
    now = int(time.time() * 1000)
    ticks = {}
    for t in range(count):
        tid = f"{now}-{t}"
        prices = [{"symbol": f"S{j}", "price": 1000 + t + j / 100, "change24h": 0.5,
                   "volume24h": 10 + j, "high24h": 2000, "low24h": 1, "ts": now, "id": tid}
                  for j in range([1, 20, 100][t % 3])]
        tick = json.dumps({"id": tid, "ts": now, "prices": prices})
        subprocess.run(["redis-cli", "-p", str(redis_port), "-x", "PUBLISH", "cryptopulse:ticks"],
                       input=tick.encode(), stdout=subprocess.DEVNULL, check=True, timeout=10)
        ticks[tid] = {p["symbol"]: p["price"] for p in prices}
    return ticks


def deflate_case(port, redis_port):
    subscribe = frame(1, json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}).encode())
    clients = {}
    for name, headers in (("deflate", "Sec-WebSocket-Extensions: permessage-deflate; "
                                      "client_max_window_bits\r\n"), ("plain", "")):
        s, buf = handshake(port, headers=headers)
        op, payload, buf = read_frame(s, buf, "welcome")
        assert op == 1 and json.loads(payload)["event"] == "welcome", payload
        s.sendall(subscribe)
        clients[name] = [s, buf]
    ticks = publish_ticks(redis_port, 3)
    # The ticks' messages as each client got them: bytes by tick id.
    got = {"deflate": {}, "plain": {}}
    compressed = 0
    for name, (s, buf) in clients.items():
        while not set(ticks) <= set(got[name]):
            b0, payload, buf = read_frame_head(s, buf, f"tick {sorted(set(ticks) - set(got[name]))}")
            if b0 & 0x0F in (9, 10):
                continue  # the gateway's keep-alive pings
            assert b0 & 0x0F == 1 and b0 & 0x80, f"{name}: not a whole text frame: {b0:#04x}"
            assert not b0 & 0x30, f"{name}: RSV2 or RSV3 set: {b0:#04x}"
            if b0 & 0x40:
                assert name == "deflate", "RSV1 set for a client without permessage-deflate"
                assert not payload.endswith(TAIL), \
                    f"compressed payload ends with 00 00 ff ff: {payload[-8:].hex(' ')}"
                # server_no_context_takeover: each message inflates on its own.
                text = zlib.decompressobj(-15).decompress(payload + TAIL)
                compressed += 1
            else:
                text = payload
            msg = json.loads(text)
            if msg["event"] == "price-update-bulk" and msg["data"]["id"] in ticks:
                # A tick is broadcast compressed to deflate clients (replies
                # such as welcome and the snapshot go plain, RSV1 clear,
                # which RFC 7692 allows for any message).
                assert name == "plain" or b0 & 0x40, f"a tick without RSV1: {text[:80]}"
                got[name][msg["data"]["id"]] = text
    for tid, prices in ticks.items():
        assert got["deflate"][tid] == got["plain"][tid], \
            f"tick {tid} inflates to other bytes than the plain frame's"
        data = json.loads(got["deflate"][tid])["data"]
        assert {p["symbol"]: p["price"] for p in data["prices"]} == prices, data
    assert compressed >= len(ticks), compressed
    print(f"deflate: {compressed} compressed frames, none ending in 00 00 ff ff; "
          f"{len(ticks)} ticks inflate to the plain client's bytes")


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    if case == "deflate":
        return deflate_case(port, int(sys.argv[3]))
    if case == "early":
        sub = json.dumps({"event": "ping", "data": {"id": 7, "ts": 1}}).encode()
        s, buf = handshake(port, frame(1, sub))
    elif case == "bomb":
        s, buf = handshake(port, headers="Sec-WebSocket-Extensions: permessage-deflate\r\n")
    else:
        s, buf = handshake(port)
    op, payload, buf = read_frame(s, buf, "welcome")
    assert op == 1 and json.loads(payload)["event"] == "welcome", payload
    if case == "unmasked":
        s.sendall(frame(1, b"{}", mask=False))
        expect_close(s, buf, 1002)
    elif case == "too-big":
        s.sendall(frame(1, b"x" * 70000))
        expect_close(s, buf, 1009)
    elif case == "bad-utf8":
        s.sendall(frame(1, b"\xc3\x28"))
        expect_close(s, buf, 1007)
    elif case == "bad-escape":
        # Valid UTF-8, invalid JSON: the parser's "near '...'" ends inside the
        # two bytes of "\u00e9".  The error still comes, as JSON, and the
        # connection (and the gateway) stays up for the next message.
        s.sendall(frame(1, '{"event":"\\\u00e9"}'.encode()))
        op, payload, buf = read_frame(s, buf, "bad_json error")
        event = json.loads(payload)
        assert op == 1 and event["event"] == "error", payload
        assert event["data"]["code"] == "bad_json", event
        s.sendall(frame(1, json.dumps({"event": "ping", "data": {"id": 3, "ts": 4}}).encode()))
        op, payload, buf = read_frame(s, buf, "pong event")
        assert json.loads(payload)["event"] == "pong", payload
    elif case == "ping":
        s.sendall(frame(9, b"hello"))
        op, payload, buf = read_frame(s, buf, "pong frame")
        assert op == 10 and payload == b"hello", (op, payload)
    elif case == "early":
        op, payload, buf = read_frame(s, buf, "pong event")
        assert json.loads(payload)["event"] == "pong", payload
    elif case == "close":
        s.sendall(frame(8, struct.pack("!H", 1000) + b"bye"))
        expect_close(s, buf, 1000)
    elif case == "bomb":
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = z.compress(b"\0" * 10_000_000) + z.flush(zlib.Z_SYNC_FLUSH)
        s.sendall(frame(1, bomb[:-4], rsv1=True))
        expect_close(s, buf, 1009)
    elif case == "idle":
        op, payload, buf = read_frame(s, buf, "ping")
        assert op == 9, f"expected a ping, got opcode {op}"
        expect_close(s, buf, 1001)
    elif case == "pong":
        for _ in range(3):  # three ping intervals, answered: still open
            op, payload, buf = read_frame(s, buf, "ping")
            assert op == 9, f"expected a ping, got opcode {op}"
            s.sendall(frame(10, payload))
        s.sendall(frame(1, json.dumps({"event": "ping", "data": {"id": 1, "ts": 2}}).encode()))
        while True:
            op, payload, buf = read_frame(s, buf, "pong event")
            if op == 1 and json.loads(payload)["event"] == "pong":
                break
            assert op == 9, (op, payload)
    elif case == "flood":
        msg = frame(1, json.dumps({"event": "ping", "data": {"id": 1, "ts": 2}}).encode())
        s.sendall(msg * 20)
        errors = pongs = 0
        while True:
            op, payload, buf = read_frame(s, buf, "close 1008")
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0]
                assert code == 1008, f"close {code}, expected 1008"
                break
            event = json.loads(payload)
            if event["event"] == "pong":
                pongs += 1
            elif event["event"] == "error":
                assert event["data"]["code"] == "rate_limited", event
                errors += 1
        assert pongs == 5 and errors == 1, (pongs, errors)
    elif case == "subcap":
        sub = {"event": "subscribe", "data": {"symbols": ["BTC", "ETH", "SOL"]}}
        s.sendall(frame(1, json.dumps(sub).encode()))
        seen = set()
        while "subscribed" not in seen:
            op, payload, buf = read_frame(s, buf, "subscribed")
            event = json.loads(payload)
            seen.add(event["event"])
            if event["event"] == "error":
                assert event["data"]["code"] == "too_many_subscriptions", event
            if event["event"] == "subscribed":
                assert len(event["data"]["symbols"]) == 2, event
        assert "error" in seen, seen
    else:
        raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, EOFError, OSError, zlib.error, ValueError,
            subprocess.SubprocessError) as e:
        print(f"{sys.argv[2]}: {e}", file=sys.stderr)
        sys.exit(1)
