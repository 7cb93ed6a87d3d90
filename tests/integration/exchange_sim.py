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

This file is the command line; the rest lives beside it: exchange_sim_server
(the WebSocket/TLS server, connections, loops), exchange_sim_control (the
/control/ API and faults), exchange_sim_binance, _coinbase, _kraken (each
exchange's messages and requests) and exchange_sim_format (numbers, times,
symbols).
"""

import argparse
import asyncio
import logging
import signal
import ssl
import sys
from decimal import Decimal, InvalidOperation

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

try:
    import websockets.server
except ImportError:  # Debian's python3-websockets is in /usr/bin/python3's path
    sys.exit("%s: needs python3-websockets 10.x: run it with /usr/bin/python3" % sys.argv[0])

from exchange_sim_control import control_http
from exchange_sim_format import control_symbol
from exchange_sim_server import Sim, SimProtocol

log = logging.getLogger("exchange_sim")


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
