"""The WebSocket server of exchange_sim.py: one Sim holds the prices, the
fault switches and the counters, serves each connection (its update, ping and
lifetime loops, the rate limit on incoming frames, plain-HTTP /control/
requests on the WebSocket port) and leaves the wire format to the exchange's
protocol class (exchange_sim_binance, _coinbase, _kraken)."""

import asyncio
import collections
import copy
import http
import json
import logging
import random
import time
import urllib.parse
from decimal import Decimal

import websockets.exceptions
import websockets.frames
import websockets.server

import exchange_sim_control
from exchange_sim_binance import Binance
from exchange_sim_coinbase import Coinbase
from exchange_sim_format import DEFAULT_PRICES, E8, OTHER_PRICE, dumps, json_response, q8
from exchange_sim_kraken import Kraken

EXCHANGES = {"binance": Binance, "coinbase": Coinbase, "kraken": Kraken}

log = logging.getLogger("exchange_sim")


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
    """One simulated exchange (args: parsed by exchange_sim.parse_args): its
    prices, fault switches, counters and open connections."""

    def __init__(self, args):
        self.exchange = args.exchange
        self.ex = EXCHANGES[args.exchange](self)  # the wire protocol
        self.interval = args.interval_ms / 1000.0
        self.ping_interval = args.ping_interval_s
        self.pong_timeout = args.pong_timeout_s
        self.cli_lifetime = args.lifetime
        self.lifetime = args.lifetime
        self.walk = args.walk
        self.rng = random.Random(args.seed)
        self.max_rate = args.max_client_msgs_per_s
        if self.max_rate is None:
            self.max_rate = self.ex.default_max_rate
        self.unlisted = set(args.unlisted)
        self.unlisted.update(self.ex.never_listed)
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

    # -- helpers and prices

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
        """The held price of base, which becomes listed at OTHER_PRICE."""
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
        """24 h open, high, low, change, vwap and book around the price p."""
        o = self.opens[base]
        tick = Decimal("0.01") if p >= 1 else Decimal("0.000001")
        return {
            "o": o, "h": max(self.highs[base], o), "l": min(self.lows[base], o),
            "chg": p - o, "pct": (p - o) / o * 100 if o else Decimal(0),
            "w": (o + p) / 2, "bid": p - tick, "ask": p + tick,
        }

    def ticks_since_start(self):
        return int((time.monotonic() - self.started) / self.interval)

    # -- sending

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
        self.ex.spoil(bad)
        return dumps(bad)

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

    # -- per-connection loops

    async def tick_loop(self, conn):
        loop = asyncio.get_running_loop()
        due = loop.time()
        if not self.ex.updates_from_open:
            due += self.interval  # snapshots go out on subscribe; updates follow
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.stalled():
                await self.ex.tick(conn)
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
        """Answer the HTTP request of a new TCP connection: a /control/ answer,
        a refusal, or None to go on with the WebSocket handshake."""
        u = urllib.parse.urlsplit(path)
        if u.path.startswith("/control/") or u.path == "/control":
            status, body = self.control(path)
            return json_response(status, body)
        self.count_attempt()
        if self.refuse:
            self.refused += 1
            return (http.HTTPStatus.SERVICE_UNAVAILABLE, [("Content-Type", "text/plain")],
                    b"503 Service Unavailable (exchange_sim refuse)\n")
        return self.ex.handshake(proto, u)

    def control(self, target):
        return exchange_sim_control.control(self, target)

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
        await self.ex.request(conn, msg, received)

    # -- the connection handler

    async def ws_handler(self, ws, path=None):
        self.next_id += 1
        conn = Conn(self.next_id, ws)
        self.conns.add(conn)
        self.connects += 1
        log.info("conn %d: open from %s, path %s", conn.id, conn.peer, ws.path)
        try:
            await self.ex.open(conn)
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
