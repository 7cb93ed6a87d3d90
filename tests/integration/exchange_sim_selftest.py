#!/usr/bin/python3
"""Self-check of exchange_sim.py: each exchange over ws:// and wss://, every
message format and every /control/ action, as a client would see them.

Usage: exchange_sim_selftest.py [-q]

Starts the simulators as subprocesses (by pid, all stopped at the end; each
also carries --max-runtime-s), makes a CA with sim_ca.sh, connects with
python3-websockets.  The three exchanges run side by side.  Every wait is
bounded and the whole run has a deadline: it fails, it never hangs.  Exit 0
when all checks pass, 1 otherwise.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal

try:
    import websockets.client
    import websockets.exceptions
except ImportError:  # Debian's python3-websockets is in /usr/bin/python3's path
    sys.exit("%s: needs python3-websockets 10.x: run it with /usr/bin/python3" % sys.argv[0])

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "exchange_sim.py")
DEADLINE_S = 80           # the whole run
INTERVAL_MS = 250         # the simulators' update period here
IV = INTERVAL_MS / 1000.0
VERBOSE = "-q" not in sys.argv[1:]

DEC_RE = re.compile(r"^-?\d+(\.\d+)?$")
DEC8_RE = re.compile(r"^-?\d+\.\d{8}$")
NS_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
US_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

BINANCE_KEYS = ["e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A",
                "o", "h", "l", "v", "q", "O", "C", "F", "L", "n"]
BINANCE_INTS = {"E", "O", "C", "F", "L", "n"}
COINBASE_TICKER_KEYS = ["type", "product_id", "price", "volume_24_h", "low_24_h", "high_24_h",
                        "low_52_w", "high_52_w", "price_percent_chg_24_h", "best_bid", "best_ask",
                        "best_bid_quantity", "best_ask_quantity"]
KRAKEN_KEYS = ["symbol", "bid", "bid_qty", "ask", "ask_qty", "last", "volume", "vwap",
               "low", "high", "change", "change_pct"]

PROCS = []  # every simulator started, stopped by pid at the end


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# ------------------------------------------------------------- validators

def binance_problem(obj, combined=True):
    """None when obj is a well-formed combined-stream 24hrTicker, else why."""
    if not isinstance(obj, dict):
        return "not an object"
    if combined:
        if set(obj) != {"stream", "data"}:
            return "envelope keys %s" % sorted(obj)
        d = obj["data"]
        if not isinstance(d, dict):
            return "data is not an object"
        if isinstance(d.get("s"), str) and obj["stream"] != d["s"].lower() + "@ticker":
            return "stream %r does not match s %r" % (obj["stream"], d.get("s"))
    else:
        d = obj
    if list(d) != BINANCE_KEYS:
        return "data keys %s" % list(d)
    if d["e"] != "24hrTicker" or not isinstance(d["s"], str) or not d["s"].endswith("USDT"):
        return "e/s"
    for k in BINANCE_KEYS[3:]:
        v = d[k]
        if k in BINANCE_INTS:
            if not is_int(v):
                return "%s is not an integer: %r" % (k, v)
        elif not isinstance(v, str) or not (DEC8_RE.match(v) or (k == "P" and DEC_RE.match(v))):
            return "%s is not a decimal string: %r" % (k, v)
    if abs(d["E"] - time.time() * 1000) > 5000:
        return "E is not now"
    if d["C"] - d["O"] != 86_400_000 or d["L"] - d["F"] + 1 != d["n"]:
        return "O/C/F/L/n inconsistent"
    if not Decimal(d["l"]) <= Decimal(d["c"]) <= Decimal(d["h"]):
        return "c outside l..h"
    if not Decimal(d["b"]) <= Decimal(d["c"]) <= Decimal(d["a"]):
        return "c outside b..a"
    return None


def coinbase_problem(obj):
    """None when obj is a well-formed Advanced Trade ticker message."""
    if not isinstance(obj, dict) or list(obj) != ["channel", "client_id", "timestamp",
                                                   "sequence_num", "events"]:
        return "envelope %r" % (list(obj) if isinstance(obj, dict) else obj)
    if obj["channel"] != "ticker" or obj["client_id"] != "":
        return "channel/client_id"
    if not isinstance(obj["timestamp"], str) or not NS_TIME_RE.match(obj["timestamp"]):
        return "timestamp %r" % obj["timestamp"]
    if not is_int(obj["sequence_num"]):
        return "sequence_num"
    ev = obj["events"]
    if not isinstance(ev, list) or len(ev) != 1 or not isinstance(ev[0], dict):
        return "events"
    if ev[0].get("type") not in ("snapshot", "update") or not isinstance(ev[0].get("tickers"), list):
        return "event type/tickers"
    for t in ev[0]["tickers"]:
        if not isinstance(t, dict) or list(t) != COINBASE_TICKER_KEYS or t["type"] != "ticker":
            return "ticker keys %r" % (list(t) if isinstance(t, dict) else t)
        for k in COINBASE_TICKER_KEYS[2:]:
            if not isinstance(t[k], str) or not DEC_RE.match(t[k]):
                return "%s is not a decimal string: %r" % (k, t[k])
        if not Decimal(t["best_bid"]) <= Decimal(t["price"]) <= Decimal(t["best_ask"]):
            return "price outside the book"
    return None


def kraken_problem(obj):
    """None when obj is a well-formed v2 ticker message."""
    if not isinstance(obj, dict) or list(obj) != ["channel", "type", "data"]:
        return "envelope %r" % obj
    if obj["channel"] != "ticker" or obj["type"] not in ("snapshot", "update"):
        return "channel/type"
    if not isinstance(obj["data"], list) or len(obj["data"]) != 1:
        return "data"
    d = obj["data"][0]
    if not isinstance(d, dict) or list(d) != KRAKEN_KEYS:
        return "data keys %r" % (list(d) if isinstance(d, dict) else d)
    if not isinstance(d["symbol"], str) or not d["symbol"].endswith("/USD"):
        return "symbol"
    for k in KRAKEN_KEYS[1:]:
        if not is_num(d[k]):
            return "%s is not a JSON number: %r" % (k, d[k])
    if not d["low"] <= d["last"] <= d["high"] or not d["bid"] <= d["last"] <= d["ask"]:
        return "last outside low..high or bid..ask"
    return None


def ticker_of(exchange, obj):
    """(base, price as Decimal) of a ticker message, or None for any other."""
    if not isinstance(obj, dict):
        return None
    if exchange == "binance":
        d = obj.get("data")
        if isinstance(d, dict) and d.get("e") == "24hrTicker" and isinstance(d.get("c"), str):
            return d["s"][:-4], Decimal(d["c"])
    elif exchange == "coinbase":
        if obj.get("channel") == "ticker" and obj.get("events"):
            t = obj["events"][0]["tickers"][0]
            if isinstance(t.get("price"), str):
                return t["product_id"].split("-")[0], Decimal(t["price"])
    elif obj.get("channel") == "ticker" and obj.get("data"):
        d = obj["data"][0]
        if is_num(d.get("last")):
            return d["symbol"].split("/")[0], Decimal(repr(d["last"]))
    return None


PROBLEM = {"binance": binance_problem, "coinbase": coinbase_problem, "kraken": kraken_problem}


# ------------------------------------------------------------- simulators

class SimProc:
    def __init__(self, exchange, tls_dir=None):
        self.exchange = exchange
        self.tls_dir = tls_dir
        self.proc = None
        self.port = None
        self.log_path = None
        self.ctx = None
        if tls_dir:
            self.ctx = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))

    async def start(self, workdir, *extra, tag=""):
        args = [sys.executable, SIM, "--exchange", self.exchange, "--port", "0",
                "--interval-ms", str(INTERVAL_MS), "--max-runtime-s", "120", *extra]
        if self.tls_dir:
            args += ["--tls-cert", os.path.join(self.tls_dir, "server.pem"),
                     "--tls-key", os.path.join(self.tls_dir, "server.key")]
        self.log_path = os.path.join(workdir, "%s%s.log" % (self.exchange, tag))
        logf = open(self.log_path, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        PROCS.append(self.proc)
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 10)
        except asyncio.TimeoutError:
            raise CheckFailed("%s: no LISTENING line within 10 s of starting" % self.exchange)
        m = re.match(rb"^LISTENING (\d+)\n$", line)
        check(m, "%s: first stdout line %r is not LISTENING <port>" % (self.exchange, line))
        self.port = int(m.group(1))
        return self

    def ws_url(self, path):
        return "%s://127.0.0.1:%d%s" % ("wss" if self.ctx else "ws", self.port, path)

    def _get(self, url):
        try:
            with urllib.request.urlopen(url, timeout=5, context=self.ctx) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    async def control(self, action, expect=200, **params):
        q = "&".join("%s=%s" % kv for kv in params.items())
        url = "%s://127.0.0.1:%d/control/%s%s" % ("https" if self.ctx else "http", self.port,
                                                   action, "?" + q if q else "")
        status, body = await asyncio.to_thread(self._get, url)
        check(status == expect, "%s: GET /control/%s?%s: HTTP %s %r" % (self.exchange, action, q, status, body))
        return body

    async def connect(self, path, **kw):
        return await websockets.client.connect(
            self.ws_url(path), ssl=self.ctx, open_timeout=5, close_timeout=1,
            ping_interval=None, max_queue=None, **kw)

    async def stop(self, expect_rc0=True):
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise CheckFailed("%s: still running 5 s after SIGTERM" % self.exchange)
        check(not expect_rc0 or rc == 0, "%s: exit status %s after SIGTERM" % (self.exchange, rc))

    def log_tail(self, n=25):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


# ---------------------------------------------------------------- clients

async def recv(ws, timeout):
    """The next message (text), or asyncio.TimeoutError."""
    return await asyncio.wait_for(ws.recv(), timeout)


def loads(text):
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


async def collect(ws, seconds):
    """Every message received within seconds, as (text, obj or None)."""
    out = []
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return out
        try:
            text = await recv(ws, left)
        except asyncio.TimeoutError:
            return out
        out.append((text, loads(text)))


async def until(ws, pred, timeout, what):
    """Receive until pred(obj, text) is true; returns that obj (bounded)."""
    end = time.monotonic() + timeout
    seen = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise CheckFailed("%s: not within %.1f s (%d messages seen)" % (what, timeout, seen))
        try:
            text = await recv(ws, left)
        except asyncio.TimeoutError:
            continue
        except websockets.exceptions.ConnectionClosed as e:
            raise CheckFailed("%s: connection closed (%s)" % (what, e))
        seen += 1
        obj = loads(text)
        if pred(obj, text):
            return obj


async def closed_within(ws, timeout):
    """Drain ws until it closes; (close code, seconds taken), or CheckFailed."""
    t0 = time.monotonic()
    end = t0 + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise CheckFailed("connection still open after %.1f s" % timeout)
        try:
            await recv(ws, left)
        except asyncio.TimeoutError:
            continue
        except websockets.exceptions.ConnectionClosed:
            return ws.close_code, time.monotonic() - t0


async def wait_state(sim, pred, timeout, what):
    """Poll /control/state until pred(state) (bounded)."""
    end = time.monotonic() + timeout
    while True:
        st = await sim.control("state")
        if pred(st):
            return st
        if time.monotonic() > end:
            raise CheckFailed("%s: not within %.1f s: %s" % (what, timeout, st))
        await asyncio.sleep(0.05)


async def subscribe(sim, ws, exchange, bases, req_id=7):
    if exchange == "coinbase":
        await ws.send(json.dumps({"type": "subscribe", "product_ids": [b + "-USD" for b in bases],
                                  "channel": "ticker"}))
        await ws.send(json.dumps({"type": "subscribe", "product_ids": [b + "-USD" for b in bases],
                                  "channel": "heartbeats"}))
    elif exchange == "kraken":
        await ws.send(json.dumps({"method": "subscribe", "params": {
            "channel": "ticker", "symbol": [b + "/USD" for b in bases], "snapshot": True},
            "req_id": req_id}))


def stream_path(bases):
    return "/stream?streams=" + "/".join(b.lower() + "usdt@ticker" for b in bases)


async def open_feed(sim, exchange, bases=("BTC", "ETH")):
    path = {"binance": stream_path(bases), "coinbase": "/", "kraken": "/v2"}[exchange]
    ws = await sim.connect(path)
    await subscribe(sim, ws, exchange, bases)
    return ws


def price_is(exchange, base, value):
    want = Decimal(value)
    return lambda obj, text: (t := ticker_of(exchange, obj)) is not None and t[0] == base and t[1] == want


# ----------------------------------------------------------------- checks

class Run:
    def __init__(self, name):
        self.name = name
        self.t0 = time.monotonic()

    def ok(self, what):
        if VERBOSE:
            print("ok   %-9s %5.1fs %s" % (self.name, time.monotonic() - self.t0, what), flush=True)


async def check_formats(run, sim, ex, ws):
    msgs = await collect(ws, 2.2 * IV + 0.4)
    check(msgs, "%s: no message within %.1f s of subscribing" % (ex, 2.2 * IV + 0.4))
    objs = [o for _, o in msgs]
    check(all(o is not None for o in objs), "%s: a message is not JSON" % ex)
    prices = {}
    if ex == "binance":
        for o in objs:
            p = binance_problem(o)
            check(p is None, "binance: bad 24hrTicker (%s): %s" % (p, json.dumps(o)[:300]))
        streams = [o["stream"] for o in objs]
        check(streams[:2] == ["btcusdt@ticker", "ethusdt@ticker"] and len(streams) >= 4,
              "binance: streams %s" % streams)
        prices = {o["data"]["s"]: o["data"]["c"] for o in objs}
        check(prices == {"BTCUSDT": "95000.12000000", "ETHUSDT": "3200.50000000"},
              "binance: prices %s" % prices)
    elif ex == "coinbase":
        check(objs[0].get("channel") == "subscriptions"
              and objs[0]["events"] == [{"subscriptions": {"ticker": ["BTC-USD", "ETH-USD"]}}],
              "coinbase: first message %s" % msgs[0][0])
        seqs = [o["sequence_num"] for o in objs]
        check(seqs == list(range(len(seqs))), "coinbase: sequence_num %s" % seqs)
        first_kind = {}
        kinds = {"snapshot": 0, "update": 0, "heartbeats": 0, "subscriptions": 0}
        counters = []
        for o in objs:
            check(NS_TIME_RE.match(o.get("timestamp", "")), "coinbase: timestamp %r" % o.get("timestamp"))
            if o["channel"] == "ticker":
                p = coinbase_problem(o)
                check(p is None, "coinbase: bad ticker (%s): %s" % (p, json.dumps(o)[:300]))
                t = o["events"][0]["tickers"][0]
                kind = o["events"][0]["type"]
                first_kind.setdefault(t["product_id"], kind)
                kinds[kind] += 1
                prices[t["product_id"]] = t["price"]
            elif o["channel"] == "heartbeats":
                e = o["events"][0]
                check(set(e) == {"current_time", "heartbeat_counter"} and is_int(e["heartbeat_counter"])
                      and " +0000 UTC m=+" in e["current_time"], "coinbase: heartbeat %s" % o)
                counters.append(e["heartbeat_counter"])
                kinds["heartbeats"] += 1
            elif o["channel"] == "subscriptions":
                kinds["subscriptions"] += 1
            else:
                raise CheckFailed("coinbase: unexpected channel %s" % o["channel"])
        check(objs[3].get("channel") == "subscriptions"
              and objs[3]["events"][0]["subscriptions"].get("heartbeats") == ["heartbeats"],
              "coinbase: the heartbeats subscriptions message is not 4th: %s" % msgs[3][0])
        check(first_kind == {"BTC-USD": "snapshot", "ETH-USD": "snapshot"},
              "coinbase: first ticker kinds %s" % first_kind)
        check(kinds["snapshot"] == 2 and kinds["update"] >= 2 and kinds["heartbeats"] >= 1,
              "coinbase: message kinds %s" % kinds)
        check(counters == sorted(set(counters)), "coinbase: heartbeat counters %s" % counters)
        check(prices == {"BTC-USD": "95000.12", "ETH-USD": "3200.5"}, "coinbase: prices %s" % prices)
    else:
        check(objs[0].get("channel") == "status" and objs[0].get("type") == "update"
              and objs[0]["data"][0].get("system") == "online"
              and objs[0]["data"][0].get("api_version") == "v2", "kraken: status %s" % msgs[0][0])
        acks = [o for o in objs if o.get("method") == "subscribe"]
        check([(a.get("success"), a.get("req_id"), a.get("result")) for a in acks] ==
              [(True, 7, {"channel": "ticker", "snapshot": True, "symbol": "BTC/USD"}),
               (True, 7, {"channel": "ticker", "snapshot": True, "symbol": "ETH/USD"})],
              "kraken: acks %s" % acks)
        for a in acks:
            check(list(a) == ["method", "result", "success", "time_in", "time_out", "req_id"]
                  and US_TIME_RE.match(a["time_in"]) and US_TIME_RE.match(a["time_out"]),
                  "kraken: ack shape %s" % a)
        first_kind = {}
        hb = 0
        for o in objs[1:]:
            if o.get("channel") == "ticker":
                p = kraken_problem(o)
                check(p is None, "kraken: bad ticker (%s): %s" % (p, json.dumps(o)[:300]))
                first_kind.setdefault(o["data"][0]["symbol"], o["type"])
                prices[o["data"][0]["symbol"]] = o["data"][0]["last"]
            elif o.get("channel") == "heartbeat":
                check(o == {"channel": "heartbeat"}, "kraken: heartbeat %s" % o)
                hb += 1
            else:
                check(o.get("method") == "subscribe", "kraken: unexpected %s" % o)
        check(first_kind == {"BTC/USD": "snapshot", "ETH/USD": "snapshot"},
              "kraken: first ticker kinds %s" % first_kind)
        check(sum(1 for o in objs if o.get("type") == "update" and o.get("channel") == "ticker") >= 2,
              "kraken: fewer than 2 updates")
        check(hb >= 1, "kraken: no heartbeat")
        check(prices == {"BTC/USD": 95000.12, "ETH/USD": 3200.5}, "kraken: prices %s" % prices)
    run.ok("formats (%d messages)" % len(msgs))


async def check_exchange(workdir, ex):
    """The whole control surface of one exchange over ws://."""
    run = Run(ex)
    extra = ["--ping-interval-s", "1" if ex == "binance" else "0.5", "--unlisted", "NOPE"]
    sim = await SimProc(ex).start(workdir, *extra)
    try:
        st = await sim.control("state")
        check(st["exchange"] == ex and st["connections"] == 0 and
              st["prices"] == {"BTC": 95000.12, "ETH": 3200.5, "SOL": 150.25}, "%s: initial state %s" % (ex, st))

        ws = await open_feed(sim, ex)
        await check_formats(run, sim, ex, ws)

        st = await sim.control("state")
        want_subs = {"binance": ["btcusdt@ticker", "ethusdt@ticker"],
                     "coinbase": ["heartbeats", "ticker:BTC-USD", "ticker:ETH-USD"],
                     "kraken": ["ticker:BTC/USD", "ticker:ETH/USD"]}[ex]
        check(st["connections"] == 1 and st["connects"] == 1 and st["subscriptions"] == want_subs
              and st["messages_sent"] >= 4, "%s: state %s" % (ex, st))
        run.ok("state")

        # price: from the next update on
        await sim.control("price", symbol="BTC", value="95010.5")
        await until(ws, price_is(ex, "BTC", "95010.5"), 3 * IV + 1, "%s: price 95010.5" % ex)
        await sim.control("price", symbol={"binance": "ETHUSDT", "coinbase": "ETH-USD",
                                           "kraken": "ETH/USD"}[ex], value="3210")
        await until(ws, price_is(ex, "ETH", "3210"), 3 * IV + 1, "%s: ETH price 3210" % ex)
        await sim.control("price", expect=400, symbol="BTC", value="-1")
        run.ok("price")

        # lie: 40 % off the held price, which state still reports
        await sim.control("lie", pct="40")
        await until(ws, price_is(ex, "BTC", "133014.7"), 3 * IV + 1, "%s: lie +40%%" % ex)
        st = await sim.control("state")
        check(st["prices"]["BTC"] == 95010.5 and st["lie_pct"] == 40, "%s: state under lie %s" % (ex, st))
        await sim.control("lie", pct="0")
        await until(ws, price_is(ex, "BTC", "95010.5"), 3 * IV + 1, "%s: lie off" % ex)
        run.ok("lie")

        # garbage: 3 updates replaced: not JSON, truncated JSON, wrong types
        await sim.control("garbage", count="3")
        not_json = wrong = 0
        end = time.monotonic() + 4 * IV + 2
        while not_json + wrong < 3:
            check(time.monotonic() < end, "%s: garbage: %d not JSON, %d wrong types seen" % (ex, not_json, wrong))
            try:
                text = await recv(ws, max(0.01, end - time.monotonic()))
            except asyncio.TimeoutError:
                continue
            obj = loads(text)
            if obj is None:
                not_json += 1
            elif PROBLEM[ex](obj) is not None and obj.get("channel") not in ("heartbeat", "heartbeats"):
                check(ticker_of(ex, obj) is None, "%s: wrong-type message parsed as a price" % ex)
                wrong += 1
        check(not_json == 2 and wrong == 1, "%s: garbage kinds %d/%d" % (ex, not_json, wrong))
        await until(ws, lambda o, t: ticker_of(ex, o) is not None and PROBLEM[ex](o) is None,
                    3 * IV + 1, "%s: a good ticker after the garbage" % ex)
        check((await sim.control("state"))["garbage_sent"] == 3, "%s: garbage_sent" % ex)
        run.ok("garbage")

        # stall: nothing at all (data, heartbeats, pings) for S s, then resumes
        await sim.control("stall", seconds="1.8")
        await collect(ws, 0.3)  # already in flight
        st1 = await sim.control("state")
        check(st1["stalled_s"] > 0, "%s: state does not show the stall" % ex)
        t0 = time.monotonic()
        quiet = await collect(ws, 1.0)
        check(not quiet, "%s: %d message(s) during the stall: %s" % (ex, len(quiet), quiet[:1]))
        st2 = await sim.control("state")
        check(st2["pings_sent"] == st1["pings_sent"] and st2["messages_sent"] == st1["messages_sent"],
              "%s: the stall still sent (pings %d->%d, messages %d->%d)" % (
                  ex, st1["pings_sent"], st2["pings_sent"], st1["messages_sent"], st2["messages_sent"]))
        await until(ws, lambda o, t: ticker_of(ex, o) is not None, 1.8 - 0.3 - (time.monotonic() - t0) + IV + 1,
                    "%s: updates after the stall" % ex)
        run.ok("stall")

        # unknown symbol, then reject, then accept again
        if ex == "binance":
            try:
                bad = await sim.connect(stream_path(["NOPE"]))
                await bad.close()
                raise CheckFailed("binance: an unlisted stream was accepted")
            except websockets.exceptions.InvalidStatusCode as e:
                check(e.status_code == 400, "binance: unlisted stream: HTTP %s" % e.status_code)
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["BTCUSDT@ticker"], "id": 8}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and "code" in o, 2,
                              "binance: error for an upper-case stream")
            check(err.get("code") == 2 and err.get("id") == 8 and isinstance(err.get("msg"), str),
                  "binance: error %s" % err)
        elif ex == "coinbase":
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["NOPE-EUR"], "channel": "ticker"}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and o.get("type") == "error", 2,
                              "coinbase: error for NOPE-EUR")
            check(isinstance(err.get("message"), str) and "NOPE-EUR" in err.get("reason", ""),
                  "coinbase: error %s" % err)
        else:
            await ws.send(json.dumps({"method": "subscribe", "params": {"channel": "ticker",
                                      "symbol": ["XBT/USD"]}, "req_id": 8}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and o.get("method") == "subscribe", 2,
                              "kraken: answer for XBT/USD")
            check(err.get("success") is False and err.get("symbol") == "XBT/USD" and err.get("req_id") == 8
                  and "not supported" in err.get("error", ""), "kraken: error %s" % err)
        run.ok("unknown symbol")

        await sim.control("reject", on="1")
        if ex == "binance":
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["solusdt@ticker"], "id": 9}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and o.get("id") == 9, 2,
                              "binance: answer to SUBSCRIBE under reject")
            check(err.get("code") == 2 and "msg" in err, "binance: reject answer %s" % err)
            try:
                bad = await sim.connect(stream_path(["SOL"]))
                await bad.close()
                raise CheckFailed("binance: a URL subscription was accepted under reject")
            except websockets.exceptions.InvalidStatusCode as e:
                check(e.status_code == 400, "binance: reject handshake HTTP %s" % e.status_code)
        elif ex == "coinbase":
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["SOL-USD"], "channel": "ticker"}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and o.get("type") == "error", 2,
                              "coinbase: error under reject")
            check(isinstance(err.get("message"), str), "coinbase: reject %s" % err)
        else:
            await ws.send(json.dumps({"method": "subscribe", "params": {"channel": "ticker",
                                      "symbol": ["SOL/USD"]}, "req_id": 9}))
            err = await until(ws, lambda o, t: isinstance(o, dict) and o.get("req_id") == 9, 2,
                              "kraken: answer under reject")
            check(err.get("success") is False and err.get("error") and err.get("symbol") == "SOL/USD",
                  "kraken: reject %s" % err)
        check((await sim.control("state"))["rejected"] >= 1, "%s: rejected not counted" % ex)
        await sim.control("reject", on="0")
        if ex == "binance":
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["solusdt@ticker"], "id": 10}))
            ans = await until(ws, lambda o, t: isinstance(o, dict) and o.get("id") == 10, 2,
                              "binance: answer to SUBSCRIBE")
            check(ans == {"result": None, "id": 10}, "binance: SUBSCRIBE answer %s" % ans)
        else:
            await subscribe(sim, ws, ex, ["SOL"], req_id=10)
        await until(ws, price_is(ex, "SOL", "150.25"), 3 * IV + 2, "%s: SOL after reject off" % ex)
        run.ok("reject")

        # clean close with a code
        await sim.control("close", code="1001")
        code, _ = await closed_within(ws, 3)
        check(code == 1001, "%s: close code %s, not 1001" % (ex, code))
        run.ok("close 1001")

        # drop: no close frame (1006 on the client), FIN or RST
        for rst in ("0", "1"):
            ws = await open_feed(sim, ex)
            await until(ws, lambda o, t: ticker_of(ex, o) is not None, 3 * IV + 1, "%s: data before drop" % ex)
            body = await sim.control("drop", rst=rst)
            check(body["dropped"] == 1, "%s: drop %s" % (ex, body))
            code, _ = await closed_within(ws, 3)
            check(code == 1006, "%s: drop (rst=%s) gave close code %s, not 1006" % (ex, rst, code))
        run.ok("drop")

        # refuse: HTTP 503 at the handshake
        await sim.control("refuse", on="1")
        try:
            bad = await open_feed(sim, ex)
            await bad.close()
            raise CheckFailed("%s: a handshake succeeded under refuse" % ex)
        except websockets.exceptions.InvalidStatusCode as e:
            check(e.status_code == 503, "%s: refuse gave HTTP %s" % (ex, e.status_code))
        await sim.control("refuse", on="0")
        ws = await open_feed(sim, ex)
        run.ok("refuse")

        # lifetime: set while this connection is open; it closes 1 s after its start
        t_open = time.monotonic()
        await sim.control("lifetime", seconds="1")
        code, _ = await closed_within(ws, 3)
        took = time.monotonic() - t_open
        check(code == 1001 and 0.7 <= took <= 2.0, "%s: lifetime close %s after %.2f s" % (ex, code, took))
        await sim.control("lifetime", seconds="0")
        run.ok("lifetime (%.2f s)" % took)

        # the rate limit: Binance closes a client sending more than 5 a second
        ws = await open_feed(sim, ex)
        if ex == "binance":
            for burst in range(2):  # 3 a second (plus pongs) is fine
                for i in range(3):
                    await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 100 + burst * 10 + i}))
                await until(ws, lambda o, t, b=burst: isinstance(o, dict) and o.get("id") == 102 + b * 10,
                            2, "binance: LIST_SUBSCRIPTIONS answers")
                await asyncio.sleep(1.1)
            check(not ws.closed, "binance: closed at 3 messages/s")
            for i in range(8):
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 200 + i}))
            code, _ = await closed_within(ws, 3)
            check(code == 1008, "binance: rate limit close code %s, not 1008" % code)
            check((await sim.control("state"))["rate_limit_closes"] == 1, "binance: rate_limit_closes")
        else:
            for i in range(8):
                if ex == "kraken":
                    await ws.send(json.dumps({"method": "ping", "req_id": 300 + i}))
                else:
                    await ws.send(json.dumps({"type": "subscribe", "product_ids": [], "channel": "heartbeats"}))
            if ex == "kraken":
                pong = await until(ws, lambda o, t: isinstance(o, dict) and o.get("req_id") == 307, 2,
                                   "kraken: pong to the 8th ping")
                check(pong.get("method") == "pong", "kraken: pong %s" % pong)
                is_update = lambda o, t: ticker_of(ex, o) is not None and o["type"] == "update"  # noqa: E731
            else:
                n_subs = [0]

                def tenth_subscriptions(o, t):
                    if isinstance(o, dict) and o.get("channel") == "subscriptions":
                        n_subs[0] += 1
                    return n_subs[0] == 10  # ticker, heartbeats, then the 8 quick ones
                await until(ws, tenth_subscriptions, 2, "coinbase: answers to the 8 quick subscribes")
                is_update = lambda o, t: ticker_of(ex, o) is not None and o["events"][0]["type"] == "update"  # noqa: E731
            await until(ws, is_update, 3 * IV + 1, "%s: still fed after 8 quick messages" % ex)
            check(not ws.closed, "%s: closed after 8 quick messages" % ex)
            await ws.close()
        run.ok("rate limit")

        st = await wait_state(sim, lambda st: st["connections"] == 0, 2, "%s: all clients gone" % ex)
        check(st["pings_sent"] >= 1 and st["pongs_received"] >= 1, "%s: pings %d pongs %d" % (
            ex, st["pings_sent"], st["pongs_received"]))
        # 5 connections opened; the refused one, and on Binance the two refused
        # for their URL (unlisted, rejected), were attempts too
        check(st["connects"] == 5 and st["refused"] == 1
              and st["connect_attempts"] == 6 + (2 if ex == "binance" else 0)
              and st["max_connect_attempts_per_s"] >= 1 and st["connections"] == 0,
              "%s: counters %s" % (ex, st))
        await sim.control("nosuch", expect=404)
        await sim.control("stall", expect=400)
        run.ok("counters, pings")

        await sim.stop()
        run.ok("SIGTERM")
    except BaseException:
        print("---- %s simulator log (tail) ----\n%s" % (ex, sim.log_tail()), flush=True)
        raise


async def check_tls(workdir, tls_dir, ex):
    """wss:// and https:// control with the test CA, --price, --lifetime on the
    command line, --max-runtime-s."""
    run = Run(ex + "/tls")
    sim = await SimProc(ex, tls_dir).start(workdir, "--price", "BTC=50000", "SOL=7.5", "--lifetime", "1.5",
                                           "--max-runtime-s", "4", tag="-tls")
    try:
        st = await sim.control("state")
        check(st["prices"]["BTC"] == 50000 and st["prices"]["SOL"] == 7.5 and st["lifetime_s"] == 1.5,
              "%s/tls: state %s" % (ex, st))
        t_open = time.monotonic()
        ws = await open_feed(sim, ex, ("BTC",))
        obj = await until(ws, lambda o, t: ticker_of(ex, o) is not None, 3 * IV + 1, "%s/tls: a ticker" % ex)
        check(PROBLEM[ex](obj) is None and ticker_of(ex, obj) == ("BTC", Decimal(50000)),
              "%s/tls: ticker %s" % (ex, obj))
        code, _ = await closed_within(ws, 3)
        took = time.monotonic() - t_open
        check(code == 1001 and 1.2 <= took <= 2.5, "%s/tls: --lifetime close %s after %.2f s" % (ex, code, took))
        run.ok("wss, --price, --lifetime (%.2f s)" % took)
        # a client without the CA refuses the certificate
        try:
            bad = await websockets.client.connect(sim.ws_url("/"), ssl=ssl.create_default_context(),
                                                  open_timeout=5)
            await bad.close()
            raise CheckFailed("%s/tls: the certificate verified without the test CA" % ex)
        except ssl.SSLCertVerificationError:
            pass
        run.ok("unknown CA refused")
        rc = await asyncio.wait_for(sim.proc.wait(), 6)
        check(rc == 0, "%s/tls: exit status %s at --max-runtime-s" % (ex, rc))
        run.ok("--max-runtime-s (exit %d)" % rc)
    except BaseException:
        print("---- %s TLS simulator log (tail) ----\n%s" % (ex, sim.log_tail()), flush=True)
        raise


async def check_walk(workdir):
    run = Run("walk")
    sim = await SimProc("coinbase").start(workdir, "--walk", "--interval-ms", "100", tag="-walk")
    try:
        a = (await sim.control("state"))["prices"]
        await asyncio.sleep(0.5)
        b = (await sim.control("state"))["prices"]
        check(a != b and all(abs(b[k] / a[k] - 1) < 0.01 for k in a), "walk: prices %s then %s" % (a, b))
        await sim.stop()
        run.ok("--walk moves the prices a little")
    except BaseException:
        print("---- walk simulator log (tail) ----\n%s" % sim.log_tail(), flush=True)
        raise


async def amain(workdir):
    tls_dir = os.path.join(workdir, "tls")
    r = subprocess.run(["sh", os.path.join(HERE, "sim_ca.sh"), tls_dir], capture_output=True, timeout=30)
    check(r.returncode == 0, "sim_ca.sh failed: %s" % r.stderr.decode(errors="replace"))
    jobs = [check_exchange(workdir, ex) for ex in ("binance", "coinbase", "kraken")]
    jobs += [check_tls(workdir, tls_dir, ex) for ex in ("binance", "coinbase", "kraken")]
    jobs.append(check_walk(workdir))
    names = ["binance", "coinbase", "kraken", "binance/tls", "coinbase/tls", "kraken/tls", "walk"]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failed = 0
    for name, res in zip(names, results):
        if isinstance(res, BaseException):
            failed += 1
            print("FAIL %s: %s" % (name, res if isinstance(res, CheckFailed) else repr(res)), flush=True)
        else:
            print("PASS %s" % name, flush=True)
    return failed


async def guarded(workdir):
    try:
        return await asyncio.wait_for(amain(workdir), DEADLINE_S)
    except asyncio.TimeoutError:
        print("FAIL: the self-test passed its %d s deadline" % DEADLINE_S, flush=True)
        return 1
    finally:
        for p in PROCS:
            if p.returncode is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in PROCS:
            try:
                await asyncio.wait_for(p.wait(), 5)
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()


def main():
    t0 = time.monotonic()
    def hard_deadline(signum, frame):
        raise SystemExit("FAIL: hard deadline of %d s" % (DEADLINE_S + 20))

    signal.signal(signal.SIGALRM, hard_deadline)
    signal.alarm(DEADLINE_S + 20)  # the last resort, should the loop itself wedge
    workdir = tempfile.mkdtemp(prefix="cp-exchange-sim.")
    try:
        failed = asyncio.run(guarded(workdir))
    finally:
        signal.alarm(0)
        for p in PROCS:  # a wedged loop: SIGKILL by pid
            if p.returncode is None and os.path.exists("/proc/%d" % p.pid):
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if os.environ.get("KEEP_WORK") == "1":
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%s in %.1f s" % ("all checks passed" if not failed else "%d group(s) FAILED" % failed,
                            time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
