"""The harness of exchange_sim_selftest.py: starting and stopping the
simulators (SimProc), asking their /control/ API, connecting to them, and
bounded waits on what a connection receives.  Every wait has a timeout: a
check fails, it never hangs."""

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import websockets.client
import websockets.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "exchange_sim.py")
INTERVAL_MS = 250         # the simulators' update period here
IV = INTERVAL_MS / 1000.0
VERBOSE = "-q" not in sys.argv[1:]

PROCS = []  # every simulator started, stopped by pid at the end


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)


class Run:
    """One group of checks: prints each passed step with its time (unless -q)."""

    def __init__(self, name):
        self.name = name
        self.t0 = time.monotonic()

    def ok(self, what):
        if VERBOSE:
            print("ok   %-9s %5.1fs %s" % (self.name, time.monotonic() - self.t0, what), flush=True)


# ------------------------------------------------------------- simulators

class SimProc:
    """One exchange_sim.py subprocess (over TLS with tls_dir from sim_ca.sh)."""

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
