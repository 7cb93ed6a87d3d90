#!/usr/bin/python3
"""A fake exchange for the live-feed integration tests (issue 14).

Serves, over ws:// or wss:// on 127.0.0.1, the public market-data WebSocket
format of one exchange, as its documentation and the recorded samples in
shared/data/exchange-samples/ show them:

  binance   spot combined stream: /stream?streams=btcusdt@ticker/ethusdt@ticker
            (also /ws/<stream> raw streams and live SUBSCRIBE / UNSUBSCRIBE /
            LIST_SUBSCRIPTIONS), 24hrTicker events with decimal strings, a
            ping frame every --ping-interval-s, at most 5 incoming messages a
            second per connection (more: close 1008);
  coinbase  Advanced Trade: subscribe to "ticker" and "heartbeats"; a
            "subscriptions" message, then ticker snapshot / update messages
            and heartbeats, one per product and second, decimal strings;
  kraken    spot v2: a "status" message on connect; subscribe to "ticker";
            one acknowledgement per symbol, a snapshot then updates, values
            as JSON numbers; {"channel":"heartbeat"} every second.

Symbols: the base asset ("BTC") maps to BTCUSDT / BTC-USD / BTC/USD.  Any
base of 2-12 capitals or digits is listed, quoted in USDT on Binance and USD
on the others, except the --unlisted ones (Kraken v2 never lists XBT).

Prices are deterministic: each base has one held price (BTC 95000.12,
ETH 3200.5, SOL 150.25, any other 100; --price overrides), fixed unless
--walk, changed by the tests through the control API.

Control: plain HTTP GETs on the WebSocket port itself (https:// with TLS),
and on --control-port when given, answered with JSON:

  /control/state                       counters, prices, subscriptions
  /control/price?symbol=BTC&value=V    hold price V from the next update on
  /control/drop[?rst=1]                close every connection abruptly (TCP FIN,
                                       or RST with rst=1; no WebSocket close)
  /control/close[?code=1001&reason=R]  close every connection cleanly
  /control/stall?seconds=S             send nothing (data, heartbeats, pings,
                                       replies) for S s; 0 resumes
  /control/garbage?count=N             the next N updates (over all
                                       connections) are malformed instead
  /control/lie?pct=P                   send prices P % off the held ones; 0 stops
  /control/reject?on=1|0               refuse new subscriptions the exchange's way
  /control/refuse?on=1|0               answer new handshakes with HTTP 503
  /control/lifetime?seconds=S          close connections S s after they opened
                                       (1001); 0 = never
  /control/reset                       stall, garbage, lie, reject, refuse off;
                                       lifetime back to --lifetime

Notes: a stall holds replies and skips updates, heartbeats and pings (no
catch-up afterwards), but close frames (close, lifetime, rate limit) still go
out and python3-websockets still answers the client's own pings.  The rate
limit counts text, binary, ping and pong frames, as Binance's does, so pongs
to our pings count too.  A client that leaves a ping unanswered for
--pong-timeout-s is dropped (no close frame).

Usage:
  exchange_sim.py --exchange binance|coinbase|kraken --port N
      [--host 127.0.0.1] [--tls-cert FILE --tls-key FILE] [--interval-ms 1000]
      [--ping-interval-s 20] [--pong-timeout-s 60] [--lifetime S] [--walk]
      [--seed N] [--price SYM=V ...] [--unlisted SYM ...]
      [--max-client-msgs-per-s N] [--control-port N] [--max-runtime-s 900]
      [--quiet]

Port 0 picks a free port.  Prints "LISTENING <port>" (then "CONTROL <port>"
with --control-port) on stdout, flushed; logs go to stderr.  Stops by itself
after --max-runtime-s, and on SIGTERM or SIGINT.  Python 3.11 with Debian's
python3-websockets 10.x (legacy asyncio API) and the standard library only.
"""

import argparse
import asyncio
import collections
import copy
import http
import json
import logging
import re
import random
import signal
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

try:
    import websockets.exceptions
    import websockets.frames
    import websockets.server
except ImportError:  # Debian's python3-websockets is in /usr/bin/python3's path
    sys.exit("%s: needs python3-websockets 10.x: run it with /usr/bin/python3" % sys.argv[0])

ONE_DAY_MS = 86_400_000
DEFAULT_PRICES = {"BTC": Decimal("95000.12"), "ETH": Decimal("3200.5"), "SOL": Decimal("150.25")}
OTHER_PRICE = Decimal("100")
BASE_RE = re.compile(r"^[A-Z0-9]{2,12}$")
BINANCE_STREAM_RE = re.compile(r"^([a-z0-9]{2,12})usdt@ticker$")
E8 = Decimal("1e-8")

log = logging.getLogger("exchange_sim")


# ---------------------------------------------------------------- formatting

def q8(d):
    return d.quantize(E8, rounding=ROUND_HALF_EVEN)


def dec8(d):
    """Binance style: always 8 decimals ("95000.12000000")."""
    return format(q8(d), "f")


def dec_min(d, places=8):
    """Coinbase style: no trailing zeros ("95000.12", "126296")."""
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN).normalize()
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def num(d, places=8):
    """Kraken v2 style: a JSON number."""
    return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def rfc3339_ns(t_ns):
    s, ns = divmod(t_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ns:09d}Z"


def rfc3339_us(t=None):
    t_ns = time.time_ns() if t is None else int(t * 1e9)
    s, ns = divmod(t_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ns // 1000:06d}Z"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ------------------------------------------------------------------- symbols

def instrument(exchange, base):
    return {"binance": base + "USDT", "coinbase": base + "-USD", "kraken": base + "/USD"}[exchange]


def base_of(exchange, inst):
    """The base asset of an exchange's instrument name, or None when the name
    is not one of that exchange's USD(T) pairs."""
    if not isinstance(inst, str):
        return None
    if exchange == "binance":
        base = inst[:-4] if inst.endswith("USDT") else None
    else:
        sep = "-" if exchange == "coinbase" else "/"
        parts = inst.split(sep)
        base = parts[0] if len(parts) == 2 and parts[1] == "USD" else None
    return base if base and BASE_RE.match(base) else None


def control_symbol(s):
    """"BTC", "btc", "BTCUSDT", "BTC-USD", "BTC/USD" -> "BTC"."""
    s = (s or "").strip().upper()
    for sep in ("-", "/"):
        if sep in s:
            s = s.split(sep)[0]
    if s.endswith("USDT") and len(s) > 4:
        s = s[:-4]
    return s if BASE_RE.match(s) else None


# ------------------------------------------------------------------ the sim

class Conn:
    """One client WebSocket connection."""

    def __init__(self, cid, ws):
        self.id = cid
        self.ws = ws
        self.opened = time.monotonic()
        self.peer = "%s:%s" % (ws.remote_address[:2] if ws.remote_address else ("?", "?"))
        self.subs = {}            # native subscription name -> base ("btcusdt@ticker" -> "BTC")
        self.combined = True      # binance: wrap in {"stream","data"}
        self.heartbeats = False   # coinbase: subscribed to "heartbeats"
        self.hb_counter = 0
        self.seq = 0              # coinbase sequence_num, per connection
        self.sent = 0
        self.tasks = []


class SimProtocol(websockets.server.WebSocketServerProtocol):
    """The server side of one TCP connection: plain-HTTP control requests and
    the handshake checks in process_request, incoming frames counted for the
    rate limit in read_frame."""

    sim = None  # set before serving

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rx_times = collections.deque()
        self.rate_closed = False
        self.sim_streams = []
        self.sim_combined = True

    async def process_request(self, path, request_headers):
        return self.sim.process_request(self, path, request_headers)

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode in (websockets.frames.Opcode.TEXT, websockets.frames.Opcode.BINARY,
                            websockets.frames.Opcode.PING, websockets.frames.Opcode.PONG):
            self.sim.count_client_frame(self)
        return frame


class Sim:
    def __init__(self, args):
        self.exchange = args.exchange
        self.interval = args.interval_ms / 1000.0
        self.ping_interval = args.ping_interval_s
        self.pong_timeout = args.pong_timeout_s
        self.cli_lifetime = args.lifetime
        self.lifetime = args.lifetime
        self.walk = args.walk
        self.rng = random.Random(args.seed)
        self.max_rate = args.max_client_msgs_per_s
        if self.max_rate is None:
            self.max_rate = 5 if self.exchange == "binance" else 0
        self.unlisted = set(args.unlisted)
        if self.exchange == "kraken":
            self.unlisted.add("XBT")  # v2 names bitcoin BTC; XBT/USD is "not supported"
        self.prices = dict(DEFAULT_PRICES)
        self.prices.update(args.prices)
        self.opens = dict(self.prices)
        self.highs = dict(self.prices)
        self.lows = dict(self.prices)
        self.started = time.monotonic()
        self.conns = set()
        self.next_id = 0
        self.bg = set()  # strong references to fire-and-forget tasks
        self.stop = asyncio.Event()
        # fault switches
        self.stall_until = 0.0
        self.garbage_left = 0
        self.lie_pct = Decimal(0)
        self.reject = False
        self.refuse = False
        # counters
        self.connects = 0
        self.attempts = 0
        self.attempt_times = collections.deque()
        self.attempts_this_s = 0
        self.max_attempts_per_s = 0
        self.refused = 0
        self.rejected = 0
        self.messages_sent = 0
        self.garbage_sent = 0
        self.pings_sent = 0
        self.pongs_received = 0
        self.pong_timeouts = 0
        self.rate_limit_closes = 0
        self.lifetime_closes = 0
        self.client_messages = 0

    # -- helpers

    def spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.bg.add(task)
        task.add_done_callback(self.bg.discard)
        return task

    def stalled(self):
        return time.monotonic() < self.stall_until

    async def wait_unstalled(self):
        while self.stalled():
            await asyncio.sleep(min(0.05, max(0.0, self.stall_until - time.monotonic())))

    def listed(self, base):
        return base is not None and base not in self.unlisted

    def price(self, base):
        if base not in self.prices:
            self.prices[base] = self.opens[base] = self.highs[base] = self.lows[base] = OTHER_PRICE
        return self.prices[base]

    def sent_price(self, base):
        """The price to send now: the held one, or the lie; tracks the 24 h
        high and low of what was sent."""
        p = self.price(base)
        if self.lie_pct:
            p = q8(p * (1 + self.lie_pct / 100))
        self.highs[base] = max(self.highs[base], p)
        self.lows[base] = min(self.lows[base], p)
        return p

    def stats(self, base, p):
        o = self.opens[base]
        tick = Decimal("0.01") if p >= 1 else Decimal("0.000001")
        return {
            "o": o, "h": max(self.highs[base], o), "l": min(self.lows[base], o),
            "chg": p - o, "pct": (p - o) / o * 100 if o else Decimal(0),
            "w": (o + p) / 2, "bid": p - tick, "ask": p + tick,
        }

    def ticks_since_start(self):
        return int((time.monotonic() - self.started) / self.interval)

    # -- message builders (each returns a Python object)

    def binance_payload(self, base, p):
        st = self.stats(base, p)
        now_ms = int(time.time() * 1000)
        close_ms = now_ms - 100
        first_id = 2008166
        n = 80199 + self.ticks_since_start()
        v = Decimal("2109.00156000")
        return {
            "e": "24hrTicker", "E": now_ms, "s": instrument("binance", base),
            "p": dec8(st["chg"]), "P": format(st["pct"].quantize(Decimal("0.001")), "f"),
            "w": dec8(st["w"]), "x": dec8(st["o"]), "c": dec8(p), "Q": "0.00012000",
            "b": dec8(st["bid"]), "B": "0.07847000", "a": dec8(st["ask"]), "A": "0.07565000",
            "o": dec8(st["o"]), "h": dec8(st["h"]), "l": dec8(st["l"]),
            "v": dec8(v), "q": dec8(v * st["w"]),
            "O": close_ms - ONE_DAY_MS, "C": close_ms, "F": first_id, "L": first_id + n - 1, "n": n,
        }

    def binance_msg(self, conn, stream, base):
        payload = self.binance_payload(base, self.sent_price(base))
        return {"stream": stream, "data": payload} if conn.combined else payload

    def coinbase_envelope(self, conn, channel, events):
        msg = {"channel": channel, "client_id": "", "timestamp": rfc3339_ns(time.time_ns()),
               "sequence_num": conn.seq, "events": events}
        conn.seq += 1
        return msg

    def coinbase_ticker(self, conn, base, kind):
        p = self.sent_price(base)
        st = self.stats(base, p)
        t = {
            "type": "ticker", "product_id": instrument("coinbase", base),
            "price": dec_min(p), "volume_24_h": "2867.54532609",
            "low_24_h": dec_min(st["l"]), "high_24_h": dec_min(st["h"]),
            "low_52_w": dec_min(min(st["l"], st["o"] * Decimal("0.6")), 2),
            "high_52_w": dec_min(max(st["h"], st["o"] * Decimal("1.4")), 2),
            "price_percent_chg_24_h": dec_min(st["pct"], 14),
            "best_bid": dec_min(st["bid"]), "best_ask": dec_min(st["ask"]),
            "best_bid_quantity": "0.20371215", "best_ask_quantity": "0.24290402",
        }
        return self.coinbase_envelope(conn, "ticker", [{"type": kind, "tickers": [t]}])

    def coinbase_subscriptions(self, conn):
        subs = {}
        tick = sorted({b for name, b in conn.subs.items() if name.startswith("ticker:")})
        if tick:
            subs["ticker"] = [instrument("coinbase", b) for b in tick]
        if conn.heartbeats:
            subs["heartbeats"] = ["heartbeats"]
        return self.coinbase_envelope(conn, "subscriptions", [{"subscriptions": subs}])

    def coinbase_heartbeat(self, conn):
        now_ns = time.time_ns()
        up = time.monotonic() - self.started
        s, ns = divmod(now_ns, 1_000_000_000)
        current = "%s.%09d +0000 UTC m=+%.9f" % (
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s)), ns, up)
        conn.hb_counter = max(conn.hb_counter + 1, int(up))
        return self.coinbase_envelope(
            conn, "heartbeats", [{"current_time": current, "heartbeat_counter": conn.hb_counter}])

    def kraken_ticker(self, base, kind):
        p = self.sent_price(base)
        st = self.stats(base, p)
        return {"channel": "ticker", "type": kind, "data": [{
            "symbol": instrument("kraken", base),
            "bid": num(st["bid"]), "bid_qty": 0.5, "ask": num(st["ask"]), "ask_qty": 0.75,
            "last": num(p), "volume": 1876.40286, "vwap": num(st["w"], 2),
            "low": num(st["l"]), "high": num(st["h"]),
            "change": num(st["chg"]), "change_pct": num(st["pct"], 2),
        }]}

    def garbage(self, good):
        """A malformed stand-in for the message good: not JSON, truncated
        JSON, or the right shape with wrongly typed values, in turn."""
        kind = self.garbage_sent % 3
        self.garbage_sent += 1
        if kind == 0:
            return "sim garbage: this is not JSON {"
        text = dumps(good)
        if kind == 1:
            return text[: max(1, len(text) // 2)]
        bad = copy.deepcopy(good)
        if self.exchange == "binance":
            d = bad["data"] if "data" in bad else bad
            d["c"], d["b"], d["E"] = float(d["c"]), None, str(d["E"])
        elif self.exchange == "coinbase":
            t = bad["events"][0]["tickers"][0]
            t["price"], t["best_bid"] = float(t["price"]), None
        else:
            d = bad["data"][0]
            d["last"], d["bid"] = str(d["last"]), None
        return dumps(bad)

    # -- sending

    async def send(self, conn, msg):
        text = msg if isinstance(msg, str) else dumps(msg)
        await conn.ws.send(text)
        conn.sent += 1
        self.messages_sent += 1

    async def send_update(self, conn, msg):
        if self.garbage_left > 0:
            self.garbage_left -= 1
            await self.send(conn, self.garbage(msg))
        else:
            await self.send(conn, msg)

    async def reply(self, conn, msg):
        """A reply to a client request: held back while stalled."""
        await self.wait_unstalled()
        await self.send(conn, msg)

    async def tick(self, conn):
        if self.exchange == "binance":
            for stream, base in list(conn.subs.items()):
                await self.send_update(conn, self.binance_msg(conn, stream, base))
        elif self.exchange == "coinbase":
            for name, base in list(conn.subs.items()):
                if name.startswith("ticker:"):
                    await self.send_update(conn, self.coinbase_ticker(conn, base, "update"))
            if conn.heartbeats:
                await self.send(conn, self.coinbase_heartbeat(conn))
        else:
            for name, base in list(conn.subs.items()):
                await self.send_update(conn, self.kraken_ticker(base, "update"))
            await self.send(conn, {"channel": "heartbeat"})

    # -- per-connection loops

    async def tick_loop(self, conn):
        loop = asyncio.get_running_loop()
        due = loop.time()
        if self.exchange != "binance":
            due += self.interval  # snapshots go out on subscribe; updates follow
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.stalled():
                await self.tick(conn)
            due += self.interval
            if due < loop.time():  # fell behind (slow client): no burst
                due = loop.time() + self.interval

    async def ping_loop(self, conn):
        while True:
            await asyncio.sleep(self.ping_interval)
            if self.stalled():
                continue
            waiter = await conn.ws.ping()
            self.pings_sent += 1
            self.spawn(self.await_pong(conn, waiter))

    async def await_pong(self, conn, waiter):
        try:
            await asyncio.wait_for(waiter, self.pong_timeout)
            self.pongs_received += 1
        except asyncio.TimeoutError:
            if not conn.ws.closed:
                self.pong_timeouts += 1
                log.info("conn %d: no pong within %g s, dropped", conn.id, self.pong_timeout)
                conn.ws.transport.abort()
        except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
            pass

    async def lifetime_loop(self, conn):
        while True:
            lt = self.lifetime
            if lt and lt > 0:
                left = conn.opened + lt - time.monotonic()
                if left <= 0:
                    self.lifetime_closes += 1
                    log.info("conn %d: lifetime of %g s over, closing (1001)", conn.id, lt)
                    self.spawn(conn.ws.close(1001, "connection lifetime expired"))
                    return
                await asyncio.sleep(min(left, 0.1))
            else:
                await asyncio.sleep(0.1)

    # -- the handshake and control requests

    def count_attempt(self):
        now = time.monotonic()
        self.attempts += 1
        self.attempts_this_s += 1
        self.max_attempts_per_s = max(self.max_attempts_per_s, self.attempts_this_s)
        self.attempt_times.append(now)
        while self.attempt_times and self.attempt_times[0] < now - 300:
            self.attempt_times.popleft()

    def process_request(self, proto, path, headers):
        u = urllib.parse.urlsplit(path)
        if u.path.startswith("/control/") or u.path == "/control":
            status, body = self.control(path)
            return json_response(status, body)
        self.count_attempt()
        if self.refuse:
            self.refused += 1
            return (http.HTTPStatus.SERVICE_UNAVAILABLE, [("Content-Type", "text/plain")],
                    b"503 Service Unavailable (exchange_sim refuse)\n")
        if self.exchange == "binance":
            if u.path in ("/stream", "/stream/"):
                q = urllib.parse.parse_qs(u.query)
                raw = q.get("streams", [""])[0]
                streams = [s for s in raw.split("/") if s]
                proto.sim_combined = True
            elif u.path.startswith("/ws/") and len(u.path) > 4:
                streams = [s for s in u.path[4:].split("/") if s]
                proto.sim_combined = False
            elif u.path in ("/ws", "/ws/"):
                streams, proto.sim_combined = [], False
            else:
                return json_response(http.HTTPStatus.NOT_FOUND,
                                     {"code": 2, "msg": "Invalid request: unknown path"})
            for s in streams:
                m = BINANCE_STREAM_RE.match(s)
                if not m or not self.listed(m.group(1).upper()):
                    return json_response(http.HTTPStatus.BAD_REQUEST,
                                         {"code": -1121, "msg": "Invalid symbol."})
            if streams and self.reject:
                self.rejected += 1
                return json_response(http.HTTPStatus.BAD_REQUEST,
                                     {"code": 2, "msg": "Invalid request: subscriptions rejected"})
            proto.sim_streams = streams
        return None

    def control(self, target):
        u = urllib.parse.urlsplit(target)
        action = u.path[len("/control/"):].strip("/")
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        try:
            if action == "state":
                return 200, self.state()
            if action == "price":
                base = control_symbol(q.get("symbol"))
                if base is None:
                    return 400, {"error": "symbol: want BTC, BTCUSDT, BTC-USD or BTC/USD"}
                value = Decimal(q["value"])
                if not value.is_finite() or value <= 0:
                    raise InvalidOperation
                self.price(base)
                self.prices[base] = value
                log.info("control: price %s = %s", base, value)
                return 200, {"ok": True, "symbol": base, "price": float(value)}
            if action == "drop":
                rst = q.get("rst") == "1"
                n = 0
                for conn in list(self.conns):
                    if rst:
                        sock = conn.ws.transport.get_extra_info("socket")
                        if sock is not None:
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                            struct.pack("ii", 1, 0))
                    conn.ws.transport.abort()
                    n += 1
                log.info("control: dropped %d connection(s)%s", n, " with RST" if rst else "")
                return 200, {"ok": True, "dropped": n, "rst": rst}
            if action == "close":
                code = int(q.get("code", "1001"))
                if not (code == 1000 or 1001 <= code <= 1003 or 1007 <= code <= 1014
                        or 3000 <= code <= 4999):
                    return 400, {"error": "code: not a close code a server may send"}
                reason = q.get("reason", "exchange_sim close")
                n = 0
                for conn in list(self.conns):
                    self.spawn(conn.ws.close(code, reason))
                    n += 1
                log.info("control: closing %d connection(s) with %d", n, code)
                return 200, {"ok": True, "closing": n, "code": code}
            if action == "stall":
                s = float(q["seconds"])
                if not 0 <= s <= 3600:
                    raise ValueError
                self.stall_until = time.monotonic() + s if s > 0 else 0.0
                log.info("control: stall %g s", s)
                return 200, {"ok": True, "stall_s": s}
            if action == "garbage":
                n = int(q["count"])
                if not 0 <= n <= 100000:
                    raise ValueError
                self.garbage_left = n
                log.info("control: garbage x%d", n)
                return 200, {"ok": True, "garbage_pending": n}
            if action == "lie":
                pct = Decimal(q["pct"])
                if not pct.is_finite() or not -99 <= pct <= 1000:
                    raise InvalidOperation
                self.lie_pct = pct
                log.info("control: lie %s %%", pct)
                return 200, {"ok": True, "lie_pct": float(pct)}
            if action in ("reject", "refuse"):
                on = q.get("on", "1") not in ("0", "false", "off")
                setattr(self, action, on)
                log.info("control: %s %s", action, "on" if on else "off")
                return 200, {"ok": True, action: on}
            if action == "lifetime":
                s = float(q["seconds"])
                if not 0 <= s <= 86400 * 7:
                    raise ValueError
                self.lifetime = s
                log.info("control: lifetime %g s", s)
                return 200, {"ok": True, "lifetime_s": s}
            if action == "reset":
                self.stall_until, self.garbage_left, self.lie_pct = 0.0, 0, Decimal(0)
                self.reject = self.refuse = False
                self.lifetime = self.cli_lifetime
                log.info("control: reset")
                return 200, {"ok": True}
        except (KeyError, ValueError, InvalidOperation):
            return 400, {"error": "bad or missing parameter for /control/%s" % action}
        return 404, {"error": "unknown control action %r" % action}

    def state(self):
        subs = set()
        clients = []
        for c in sorted(self.conns, key=lambda c: c.id):
            names = list(c.subs)
            if c.heartbeats:
                names.append("heartbeats")
            subs.update(names)
            clients.append({"id": c.id, "peer": c.peer, "age_s": round(time.monotonic() - c.opened, 3),
                            "subscriptions": names, "messages_sent": c.sent})
        return {
            "exchange": self.exchange,
            "connections": len(self.conns),
            "prices": {b: float(p) for b, p in sorted(self.prices.items())},
            "messages_sent": self.messages_sent,
            "subscriptions": sorted(subs),
            "connects": self.connects,
            "connect_attempts": self.attempts,
            "connect_attempts_5min": len(self.attempt_times),
            "max_connect_attempts_per_s": self.max_attempts_per_s,
            "refused": self.refused,
            "rejected": self.rejected,
            "client_messages": self.client_messages,
            "rate_limit_closes": self.rate_limit_closes,
            "lifetime_closes": self.lifetime_closes,
            "pings_sent": self.pings_sent,
            "pongs_received": self.pongs_received,
            "pong_timeouts": self.pong_timeouts,
            "garbage_sent": self.garbage_sent,
            "garbage_pending": self.garbage_left,
            "stalled_s": round(max(0.0, self.stall_until - time.monotonic()), 3),
            "lie_pct": float(self.lie_pct),
            "reject": self.reject,
            "refuse": self.refuse,
            "lifetime_s": self.lifetime,
            "interval_ms": round(self.interval * 1000),
            "ping_interval_s": self.ping_interval,
            "max_client_msgs_per_s": self.max_rate,
            "clients": clients,
        }

    # -- incoming frames and messages

    def count_client_frame(self, proto):
        if not self.max_rate or proto.rate_closed:
            return
        now = time.monotonic()
        proto.rx_times.append(now)
        while proto.rx_times and proto.rx_times[0] <= now - 1.0:
            proto.rx_times.popleft()
        if len(proto.rx_times) > self.max_rate:
            proto.rate_closed = True
            self.rate_limit_closes += 1
            log.info("client %s: more than %d messages in 1 s, closing (1008)",
                     proto.remote_address, self.max_rate)
            self.spawn(proto.close(1008, "too many messages"))

    async def on_message(self, conn, text):
        self.client_messages += 1
        received = time.time()
        try:
            msg = json.loads(text)
        except (ValueError, TypeError):
            msg = None
        if self.exchange == "binance":
            await self.binance_request(conn, msg)
        elif self.exchange == "coinbase":
            await self.coinbase_request(conn, msg)
        else:
            await self.kraken_request(conn, msg, received)

    async def binance_request(self, conn, msg):
        if not isinstance(msg, dict):
            await self.reply(conn, {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"})
            return
        rid = msg.get("id")
        method = msg.get("method")
        params = msg.get("params", [])
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS",
                          "SET_PROPERTY", "GET_PROPERTY"):
            await self.reply(conn, {"code": 2, "msg": "Invalid request: unknown variant %s, expected one "
                                    "of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, "
                                    "`SET_PROPERTY`, `GET_PROPERTY`" % json.dumps(method), "id": rid})
            return
        if method == "LIST_SUBSCRIPTIONS":
            await self.reply(conn, {"result": list(conn.subs), "id": rid})
            return
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            if not isinstance(params, list) or not params or params[0] != "combined":
                await self.reply(conn, {"code": 0, "msg": "Unknown property", "id": rid})
            elif method == "GET_PROPERTY":
                await self.reply(conn, {"result": conn.combined, "id": rid})
            elif len(params) != 2 or not isinstance(params[1], bool):
                await self.reply(conn, {"code": 1, "msg": "Invalid value type: expected Boolean"})
            else:
                conn.combined = params[1]
                await self.reply(conn, {"result": None, "id": rid})
            return
        if not isinstance(params, list) or not all(isinstance(s, str) for s in params):
            await self.reply(conn, {"code": 2, "msg": "Invalid request: params must be a list of stream names",
                                    "id": rid})
            return
        if method == "UNSUBSCRIBE":
            for s in params:
                conn.subs.pop(s, None)
            await self.reply(conn, {"result": None, "id": rid})
            return
        bases = []
        for s in params:
            m = BINANCE_STREAM_RE.match(s)
            if not m or not self.listed(m.group(1).upper()):
                await self.reply(conn, {"code": 2, "msg": "Invalid request: invalid stream name %s" % s,
                                        "id": rid})
                return
            bases.append(m.group(1).upper())
        if self.reject:
            self.rejected += 1
            await self.reply(conn, {"code": 2, "msg": "Invalid request: subscriptions rejected", "id": rid})
            return
        for s, b in zip(params, bases):
            conn.subs[s] = b
            self.price(b)
        await self.reply(conn, {"result": None, "id": rid})

    async def coinbase_error(self, conn, reason):
        await self.reply(conn, {"type": "error", "message": "Failed to subscribe", "reason": reason})

    async def coinbase_request(self, conn, msg):
        if not isinstance(msg, dict):
            await self.reply(conn, {"type": "error", "message": "Malformed JSON"})
            return
        kind = msg.get("type")
        channel = msg.get("channel")
        if kind not in ("subscribe", "unsubscribe"):
            await self.reply(conn, {"type": "error", "message": "Failed to subscribe",
                                    "reason": "type must be subscribe or unsubscribe"})
            return
        if channel not in ("ticker", "heartbeats"):
            await self.coinbase_error(conn, "%s is not a valid channel" % json.dumps(channel))
            return
        products = msg.get("product_ids", [])
        if not isinstance(products, list):
            await self.coinbase_error(conn, "product_ids must be a list")
            return
        bases = []
        if channel == "ticker":
            if not products:
                await self.coinbase_error(conn, "You need to specify at least one product ID for channel ticker")
                return
            for p in products:
                b = base_of("coinbase", p)
                if not self.listed(b):
                    await self.coinbase_error(conn, "%s is not a valid product" % p)
                    return
                bases.append(b)
        if kind == "subscribe" and self.reject:
            self.rejected += 1
            await self.coinbase_error(conn, "subscriptions rejected")
            return
        if kind == "unsubscribe":
            if channel == "heartbeats":
                conn.heartbeats = False
            for b in bases:
                conn.subs.pop("ticker:" + instrument("coinbase", b), None)
            await self.reply(conn, self.coinbase_subscriptions(conn))
            return
        if channel == "heartbeats":
            conn.heartbeats = True
            await self.reply(conn, self.coinbase_subscriptions(conn))
            return
        new = []
        for b in bases:
            name = "ticker:" + instrument("coinbase", b)
            if name not in conn.subs:
                conn.subs[name] = b
                new.append(b)
        await self.reply(conn, self.coinbase_subscriptions(conn))
        for b in new:
            await self.reply(conn, self.coinbase_ticker(conn, b, "snapshot"))

    async def kraken_request(self, conn, msg, received):
        time_in = rfc3339_us(received)
        if not isinstance(msg, dict):
            await self.reply(conn, {"error": "Malformed request", "method": "error", "success": False,
                                    "time_in": time_in, "time_out": rfc3339_us()})
            return
        method = msg.get("method")
        rid = msg.get("req_id")

        def with_id(d):
            if rid is not None:
                d["req_id"] = rid
            return d

        if method == "ping":
            await self.reply(conn, with_id({"method": "pong", "time_in": time_in, "time_out": rfc3339_us()}))
            return
        if method not in ("subscribe", "unsubscribe"):
            await self.reply(conn, with_id({"error": "Method not found", "method": method, "success": False,
                                            "time_in": time_in, "time_out": rfc3339_us()}))
            return
        params = msg.get("params")
        params = params if isinstance(params, dict) else {}
        channel = params.get("channel")
        symbols = params.get("symbol")
        snapshot = params.get("snapshot", True) is not False
        if channel != "ticker" or not isinstance(symbols, list) or not symbols:
            await self.reply(conn, with_id({
                "error": "Channel not supported" if channel != "ticker" else "Symbol list is required",
                "method": method, "success": False, "time_in": time_in, "time_out": rfc3339_us()}))
            return
        snapshots = []
        for sym in symbols:
            b = base_of("kraken", sym)
            if not self.listed(b):
                err = "Currency pair not supported %s" % sym
            elif method == "subscribe" and self.reject:
                self.rejected += 1
                err = "Subscription rejected: service unavailable"
            else:
                err = None
            if err:
                await self.reply(conn, with_id({"error": err, "method": method, "success": False,
                                                "symbol": sym, "time_in": time_in,
                                                "time_out": rfc3339_us()}))
                continue
            name = "ticker:" + sym
            result = {"channel": "ticker", "snapshot": snapshot, "symbol": sym}
            if method == "unsubscribe":
                conn.subs.pop(name, None)
                result = {"channel": "ticker", "symbol": sym}
            elif name not in conn.subs:
                conn.subs[name] = b
                if snapshot:
                    snapshots.append(b)
            await self.reply(conn, with_id({"method": method, "result": result, "success": True,
                                            "time_in": time_in, "time_out": rfc3339_us()}))
        for b in snapshots:
            await self.reply(conn, self.kraken_ticker(b, "snapshot"))

    # -- the connection handler

    async def ws_handler(self, ws, path=None):
        self.next_id += 1
        conn = Conn(self.next_id, ws)
        self.conns.add(conn)
        self.connects += 1
        log.info("conn %d: open from %s, path %s", conn.id, conn.peer, ws.path)
        try:
            if self.exchange == "binance":
                conn.combined = ws.sim_combined
                for s in ws.sim_streams:
                    b = BINANCE_STREAM_RE.match(s).group(1).upper()
                    conn.subs[s] = b
                    self.price(b)
            elif self.exchange == "kraken":
                await self.reply(conn, {"channel": "status", "data": [{
                    "api_version": "v2", "connection_id": 8_000_000_000_000_000_000 + conn.id,
                    "system": "online", "version": "2.0.10"}], "type": "update"})
            conn.tasks.append(asyncio.ensure_future(self.tick_loop(conn)))
            conn.tasks.append(asyncio.ensure_future(self.lifetime_loop(conn)))
            if self.ping_interval and self.ping_interval > 0:
                conn.tasks.append(asyncio.ensure_future(self.ping_loop(conn)))
            async for message in ws:
                await self.on_message(conn, message)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            for t in conn.tasks:
                t.cancel()
            await asyncio.gather(*conn.tasks, return_exceptions=True)
            for t in conn.tasks:
                if not t.cancelled() and isinstance(t.exception(), Exception) and \
                        not isinstance(t.exception(), websockets.exceptions.ConnectionClosed):
                    log.error("conn %d: task failed: %r", conn.id, t.exception())
            self.conns.discard(conn)
            log.info("conn %d: closed (code %s), %d messages sent", conn.id, ws.close_code, conn.sent)

    # -- background

    async def per_second(self):
        while True:
            await asyncio.sleep(1.0)
            n, self.attempts_this_s = self.attempts_this_s, 0
            if n:
                log.info("connection attempts: %d in the last second, %d in 5 min",
                         n, len(self.attempt_times))

    async def walker(self):
        while True:
            await asyncio.sleep(self.interval)
            for base, p in list(self.prices.items()):
                step = Decimal(repr(self.rng.uniform(-0.0005, 0.0005)))
                places = Decimal("0.01") if p >= 1 else E8
                self.prices[base] = max(places, (p * (1 + step)).quantize(places))


def json_response(status, body):
    data = (json.dumps(body, indent=None) + "\n").encode()
    return (http.HTTPStatus(status), [("Content-Type", "application/json"),
                                      ("Cache-Control", "no-store")], data)


async def control_http(sim, reader, writer):
    """The optional separate control port: one plain HTTP/1.x GET a connection."""
    try:
        line = await asyncio.wait_for(reader.readline(), 5)
        while True:
            h = await asyncio.wait_for(reader.readline(), 5)
            if h in (b"\r\n", b"\n", b""):
                break
        parts = line.decode("latin-1").split()
        if len(parts) < 2 or parts[0] != "GET":
            status, body = 405, {"error": "GET only"}
        elif not parts[1].startswith("/control/"):
            status, body = 404, {"error": "not a /control/ path"}
        else:
            status, body = sim.control(parts[1])
        data = (json.dumps(body) + "\n").encode()
        writer.write(("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
                      % (status, http.HTTPStatus(status).phrase, len(data))).encode() + data)
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


def parse_args(argv):
    ap = argparse.ArgumentParser(description="A fake exchange WebSocket feed for the integration tests.")
    ap.add_argument("--exchange", required=True, choices=("binance", "coinbase", "kraken"))
    ap.add_argument("--port", required=True, type=int, help="0 picks a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--tls-cert", help="PEM certificate (chain): serve wss://")
    ap.add_argument("--tls-key", help="PEM private key of --tls-cert")
    ap.add_argument("--interval-ms", type=int, default=1000, help="update period (default 1000)")
    ap.add_argument("--ping-interval-s", type=float, default=20.0,
                    help="server ping period, 0 = none (default 20, as Binance)")
    ap.add_argument("--pong-timeout-s", type=float, default=60.0,
                    help="drop a client that does not answer a ping within this (default 60)")
    ap.add_argument("--lifetime", type=float, default=0.0,
                    help="close each connection (1001) this many s after it opened; 0 = never")
    ap.add_argument("--walk", action="store_true", help="random-walk the prices (seeded)")
    ap.add_argument("--seed", type=int, default=14, help="seed of --walk")
    ap.add_argument("--price", action="append", nargs="+", default=[], metavar="SYM=V",
                    help="initial price of a symbol (BTC=95000.12)")
    ap.add_argument("--unlisted", action="append", default=[], metavar="SYM",
                    help="a base asset this exchange does not list (subscribing fails)")
    ap.add_argument("--max-client-msgs-per-s", type=int, default=None,
                    help="close (1008) a client sending more frames a second; 0 = no limit "
                         "(default 5 on binance, 0 elsewhere)")
    ap.add_argument("--control-port", type=int, default=None,
                    help="also serve /control/ as plain HTTP on this port (0 = pick one)")
    ap.add_argument("--max-runtime-s", type=float, default=900.0, help="exit after this (default 900)")
    ap.add_argument("--quiet", action="store_true", help="log warnings only")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.interval_ms <= 0:
        ap.error("--interval-ms must be positive")
    if args.max_runtime_s <= 0:
        ap.error("--max-runtime-s must be positive")
    prices = {}
    for item in (p for group in args.price for p in group):
        sym, _, val = item.partition("=")
        base = control_symbol(sym)
        try:
            v = Decimal(val)
            ok = base is not None and v.is_finite() and v > 0
        except InvalidOperation:
            ok = False
        if not ok:
            ap.error("--price %s: want SYM=V with V > 0" % item)
        prices[base] = v
    args.prices = prices
    unlisted = []
    for s in args.unlisted:
        base = control_symbol(s)
        if base is None:
            ap.error("--unlisted %s: not a symbol" % s)
        unlisted.append(base)
    args.unlisted = unlisted
    return args


async def amain(args):
    sim = Sim(args)
    SimProtocol.sim = sim
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sim.stop.set)
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = await websockets.server.serve(
        sim.ws_handler, args.host, args.port, ssl=tls, create_protocol=SimProtocol,
        ping_interval=None, close_timeout=2, max_size=1 << 20)
    port = server.sockets[0].getsockname()[1]
    print("LISTENING %d" % port, flush=True)
    control_server = None
    if args.control_port is not None:
        control_server = await asyncio.start_server(
            lambda r, w: control_http(sim, r, w), args.host, args.control_port)
        print("CONTROL %d" % control_server.sockets[0].getsockname()[1], flush=True)
    log.info("%s on %s://%s:%d, interval %d ms, ping %g s, max runtime %g s",
             sim.exchange, "wss" if tls else "ws", args.host, port, args.interval_ms,
             args.ping_interval_s, args.max_runtime_s)
    sim.spawn(sim.per_second())
    if sim.walk:
        sim.spawn(sim.walker())
    try:
        await asyncio.wait_for(sim.stop.wait(), args.max_runtime_s)
        log.info("signal: stopping")
    except asyncio.TimeoutError:
        log.info("max runtime of %g s reached: stopping", args.max_runtime_s)
    if control_server is not None:
        control_server.close()
    server.close()  # closes the connections with 1001
    try:
        await asyncio.wait_for(server.wait_closed(), 3)
    except asyncio.TimeoutError:
        for conn in list(sim.conns):
            conn.ws.transport.abort()
    for t in list(sim.bg):
        t.cancel()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s exchange_sim[" + args.exchange + "] %(message)s")
    # websockets logs every plain-HTTP control answer as a failed handshake.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    asyncio.run(amain(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
