#!/usr/bin/python3
"""Checks of 21-candles-serve.sh: the candles that the gateway and
cryptopulse-fcgi (run as CGI) serve (docs/PROTOCOL.md §1 /history with
interval) against candles computed here, independently, from the market CSV:
per UTC bucket open = the first row's open, high = max high, low = min low,
close = the last row's close, volume = sum, prices rounded to the symbol's
tick size as lib/price.c does, volume to 0.001.  Both programs must give the
same bytes.  Also from/to/limit edges, bad parameters, ETag/304.

  candles_serve.py check --csv F --gateway PORT --fcgi BIN --redis-port N
                         --prefix P --phase backfill|replay
  candles_serve.py synth >F.csv   (a CSV whose rows have open, high, low and
                         close all different, which the market data's never
                         have, so that the rule itself is checked; then
                         check ... --phase synthetic)

Exit 0 when every check passed; each failure is printed."""

import argparse
import csv
import http.client
import json
import math
import os
import random
import subprocess
import sys

INTERVALS = {"1m": 60000, "5m": 300000, "1h": 3600000, "1d": 86400000}
# lib/price.c price_ticks: decimals of the well-known symbols' prices.
DECIMALS = {"BTC": 2, "ETH": 2, "SOL": 2, "BNB": 2, "XRP": 4, "ADA": 4, "DOGE": 5, "AVAX": 2,
            "DOT": 3, "LINK": 3, "LTC": 2, "MATIC": 4, "USDT": 4, "USDC": 4, "TRX": 5,
            "SHIB": 8, "BCH": 2, "XLM": 5, "ATOM": 3, "UNI": 3, "NEAR": 3}

failures = []


def check(ok, what):
    if ok:
        print("ok - " + what)
    else:
        print("FAIL - " + what)
        failures.append(what)
    return ok


def decimals(symbol, price):
    """lib/price.c price_decimals(): the table, else 5 - floor(log10(price)) in 0..8."""
    if symbol in DECIMALS:
        return DECIMALS[symbol]
    if not price > 0:
        return 8
    return max(0, min(8, 5 - math.floor(math.log10(price))))


def c_round(x, d):
    """lib/price.c price_round(): C round() (halves away from zero) of x * 10^d, over 10^d."""
    scale = 10.0 ** d
    v = x * scale
    a = abs(v)
    f = math.floor(a)
    r = f + 1 if a - f >= 0.5 else f
    r = math.copysign(r, v) / scale
    return 0.0 if r == 0 else r


def expected_candles(path):
    """{(symbol, interval): [[open_ms, o, h, l, c, v], ...] oldest first}."""
    raw = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            sym = row["symbol"].split("-")[0]
            t = int(row["ts_ms"])
            o, h, l, c = (float(row[k]) for k in ("open", "high", "low", "close"))
            v = float(row["volume"])
            for name, ms in INTERVALS.items():
                b = raw.setdefault((sym, name), {})
                start = t - t % ms
                k = b.get(start)
                if k is None:
                    b[start] = [start, o, h, l, c, v, t]
                else:
                    k[2] = max(k[2], h)
                    k[3] = min(k[3], l)
                    if t >= k[6]:
                        k[4], k[6] = c, t
                    k[5] += v
    out = {}
    for (sym, name), b in raw.items():
        rows = []
        for start in sorted(b):
            _, o, h, l, c, v, _ = b[start]
            d = decimals(sym, c)
            rows.append([start, c_round(o, d), c_round(h, d), c_round(l, d), c_round(c, d),
                         c_round(v, 3)])
        out[(sym, name)] = rows
    return out


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def ask_gateway(port, query, method="GET", inm=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"If-None-Match": inm} if inm else {}
    conn.request(method, "/history?" + query, headers=headers)
    r = conn.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return Response(r.status, hdrs, body)


def ask_fcgi(args, query, method="GET", inm=None):
    env = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "REQUEST_METHOD": method, "SCRIPT_NAME": "/history", "QUERY_STRING": query,
           "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(args.redis_port),
           "REDIS_PREFIX": args.prefix, "LOG_LEVEL": "warn", "PATH": os.environ["PATH"]}
    if inm:
        env["HTTP_IF_NONE_MATCH"] = inm
    p = subprocess.run([args.fcgi], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=10)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    hdrs = {}
    for line in lines:
        k, _, v = line.partition(": ")
        hdrs[k.lower()] = v
    status = int(hdrs.get("status", "0").split()[0])
    return Response(status, hdrs, body)


def ask_both(args, query, method="GET", inm=None):
    """The gateway's and cryptopulse-fcgi's answers, checked to be the same."""
    g = ask_gateway(args.gateway, query, method, inm)
    f = ask_fcgi(args, query, method, inm)
    same = (g.status == f.status and g.body == f.body and
            all(g.headers.get(h) == f.headers.get(h) for h in ("etag", "cache-control")))
    check(same, "gateway and fcgi answer %s %s alike (%d %s / %d %s)" % (
        method, query, g.status, g.body[:80], f.status, f.body[:80]))
    return g, f


def same_candles(got, want):
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if len(a) != 6 or a[0] != b[0]:
            return False
        if not all(math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) for x, y in zip(a[1:], b[1:])):
            return False
    return True


def first_difference(got, want):
    for i, (a, b) in enumerate(zip(got, want)):
        if not same_candles([a], [b]):
            return "#%d: got %s, want %s" % (i, a, b)
    return "%d candles, want %d" % (len(got), len(want))


def check_all(args, expected, phase):
    """Every symbol's candles of each interval, in full, from both programs."""
    intervals = ("1h", "1d") if phase == "replay" else ("1m", "5m", "1h", "1d")
    symbols = sorted({s for s, _ in expected})
    if phase != "synthetic":
        check(len(symbols) == 14, "the CSV has 14 symbols (%d)" % len(symbols))
    for sym in symbols:
        for iv in intervals:
            want = expected[(sym, iv)]
            q = "symbol=%s&interval=%s&limit=5000" % (sym, iv)
            for who, r in zip(("gateway", "fcgi"), ask_both(args, q)):
                j = r.json() if r.status == 200 else {}
                got = j.get("candles", [])
                ok = (r.status == 200 and j.get("symbol") == sym and j.get("interval") == iv and
                      same_candles(got, want))
                check(ok, "%s %s %s: %d candles equal the CSV's%s" % (
                    who, sym, iv, len(want), "" if ok else " (" + first_difference(got, want) + ")"))
                check(j.get("last_open") is (phase == "replay"),
                      "%s %s %s: last_open %s after the %s" % (who, sym, iv, j.get("last_open"),
                                                                 phase))
                check(r.headers.get("cache-control") == "no-cache" and "etag" not in r.headers,
                      "%s %s %s: without to, no-cache and no ETag" % (who, sym, iv))


def candles_of(r):
    return r.json()["candles"] if r.status == 200 else None


def check_edges(args, expected):
    want = expected[("BTC", "1h")]
    opens = [c[0] for c in want]
    cases = [
        ("from=to=one open time: that candle",
         "from=%d&to=%d" % (opens[5], opens[5]), want[5:6], True),
        ("from between two open times: the next ones",
         "from=%d&limit=3" % (opens[5] + 1), want[6:9], False),
        ("limit 1 without from: the newest", "limit=1", want[-1:], False),
        ("limit 1 with from: the first from it", "from=%d&limit=1" % opens[0], want[:1], False),
        ("to before the first candle: none", "to=%d" % (opens[0] - 1), [], True),
        ("to alone with limit: the last ones up to it", "to=%d&limit=3" % opens[10],
         want[8:11], True),
        ("to between two open times", "from=%d&to=%d" % (opens[2], opens[4] - 1), want[2:4], True),
        ("to at the newest candle: everything, not cacheable",
         "from=%d&to=%d&limit=5000" % (opens[0], opens[-1]), want, False),
        ("default limit 500 covers 3 days of hours", "", want, False),
    ]
    for what, extra, cw, cacheable in cases:
        q = "symbol=BTC&interval=1h" + ("&" + extra if extra else "")
        for who, r in zip(("gateway", "fcgi"), ask_both(args, q)):
            got = candles_of(r)
            check(got is not None and same_candles(got, cw),
                  "%s %s (%s): %s" % (who, what, q, "ok" if got is not None and same_candles(
                      got, cw) else first_difference(got or [], cw)))
            check(("etag" in r.headers) == cacheable and r.headers.get("cache-control") == (
                "public, max-age=86400" if cacheable else "no-cache"),
                "%s %s: %s" % (who, what, "ETag, public max-age" if cacheable
                               else "no ETag, no-cache"))


def check_bad(args):
    cases = [("symbol=BTC&interval=2h", "bad_request", "interval"),
             ("symbol=BTC&interval=1h&from=abc", "bad_request", "from"),
             ("symbol=BTC&interval=1h&to=1e3", "bad_request", "to"),
             ("symbol=BTC&interval=1h&from=1738461600000&to=1738454400000", "bad_request", "from"),
             ("symbol=BTC&interval=1h&limit=0", "bad_request", "limit"),
             ("symbol=BTC&interval=1h&limit=5001", "bad_request", "limit"),
             ("symbol=BTC&from=1738454400000", "bad_request", "interval"),
             ("symbol=BTC&to=1738454400000", "bad_request", "interval"),
             ("interval=1h", "bad_request", "symbol"),
             ("symbol=DOGE2&interval=1h", "unknown_symbol", "not carried")]
    for q, code, word in cases:
        for who, r in zip(("gateway", "fcgi"), ask_both(args, q)):
            j = json.loads(r.body) if r.body else {}
            check(r.status == 400 and j.get("error") == code and word in j.get("message", ""),
                  "%s %s: 400 %s naming %s (%d %s)" % (who, q, code, word, r.status, r.body))


def check_etag(args, expected, phase):
    opens = [c[0] for c in expected[("BTC", "1h")]]
    closed = "symbol=BTC&interval=1h&from=%d&to=%d" % (opens[0], opens[-2])
    g, f = ask_both(args, closed)
    tag = g.headers.get("etag")
    for who, r in (("gateway", g), ("fcgi", f)):
        check(r.status == 200 and r.headers.get("etag") == tag and tag and tag.startswith('"'),
              "%s: a closed range has an ETag (%s)" % (who, r.headers.get("etag")))
        check(r.headers.get("cache-control") == "public, max-age=86400",
              "%s: a closed range has Cache-Control: public, max-age=86400" % who)
    for inm in (tag, "W/" + tag, '"nope", ' + tag):
        for who, r in zip(("gateway", "fcgi"), ask_both(args, closed, inm=inm)):
            check(r.status == 304 and r.body == b"" and r.headers.get("etag") == tag and
                  r.headers.get("cache-control") == "public, max-age=86400",
                  "%s: If-None-Match %s gives 304 with the ETag (%d)" % (who, inm, r.status))
    for who, r in zip(("gateway", "fcgi"), ask_both(args, closed, inm='"1-0000000000000000"')):
        check(r.status == 200 and r.headers.get("etag") == tag,
              "%s: another tag gives 200 (%d)" % (who, r.status))
    for who, r in zip(("gateway", "fcgi"), ask_both(args, closed, method="HEAD")):
        check(r.status == 200 and r.body == b"" and r.headers.get("etag") == tag,
              "%s: HEAD of a closed range: its ETag, no body" % who)
    # The newest candle in the range: it may change (or, closed by the
    # backfill, a new one may come after it): never cached, never 304.
    reaching = "symbol=BTC&interval=1h&from=%d&to=%d" % (opens[-3], opens[-1])
    for inm in (None, "*"):
        for who, r in zip(("gateway", "fcgi"), ask_both(args, reaching, inm=inm)):
            got = candles_of(r) or []
            check(r.status == 200 and "etag" not in r.headers and
                  r.headers.get("cache-control") == "no-cache" and len(got) == 3,
                  "%s: a range reaching the newest candle: 200, no ETag, no-cache (%d, %s)" % (
                      who, r.status, r.headers.get("cache-control")))
            if phase == "replay":
                check(r.json().get("last_open") is True,
                      "%s: the replay's newest candle is open" % who)


def synth():
    """Rows of BTC, XRP and DOGE over two days and a bit, minutes at random
    (gaps of up to 90 minutes), each with open, high, low and close apart and
    more decimals than the tick size."""
    rng = random.Random(18)
    print("ts_ms,symbol,open,high,low,close,volume")
    t = 1738454400000 - 5 * 60000  # the first rows before a day starts
    base = {"BTC": 100000.0, "XRP": 2.5, "DOGE": 0.25}
    while t < 1738454400000 + 2 * 86400000 + 3 * 3600000:
        for sym in ("BTC", "XRP", "DOGE"):
            if rng.random() < 0.2:
                continue
            p = base[sym]
            o, c = p * (1 + rng.uniform(-0.004, 0.004)), p * (1 + rng.uniform(-0.004, 0.004))
            h, l = max(o, c) * (1 + rng.uniform(0, 0.003)), min(o, c) * (1 - rng.uniform(0, 0.003))
            base[sym] = c
            print("%d,%s-USD,%.10g,%.10g,%.10g,%.10g,%d" % (t, sym, o, h, l, c,
                                                           rng.randrange(0, 10 ** 9)))
        t += 60000 * (rng.randrange(1, 90) if rng.random() < 0.05 else 1)


def check_ws(args, expected):
    """The WebSocket history event (docs/PROTOCOL.md §2): the payload of GET,
    from/to/limit as numbers or strings; errors as error events."""
    import asyncio
    import websockets

    opens = [c[0] for c in expected[("BTC", "1h")]]
    asks = [({"symbol": "BTC", "interval": "1h", "from": str(opens[3]), "to": opens[7],
              "limit": "3"}, "symbol=BTC&interval=1h&from=%d&to=%d&limit=3" % (opens[3], opens[7])),
            ({"symbol": "ETH", "interval": "1d"}, "symbol=ETH&interval=1d")]

    async def run():
        async with websockets.connect("ws://127.0.0.1:%d/ws" % args.gateway) as ws:
            await asyncio.wait_for(ws.recv(), 5)  # welcome
            for data, q in asks:
                await ws.send(json.dumps({"event": "history", "data": data}))
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if m["event"] in ("history", "error"):
                        break
                want = json.loads(ask_gateway(args.gateway, q).body)
                check(m == {"event": "history", "data": want},
                      "WebSocket history %s: the payload of GET /history?%s" % (data, q))
            await ws.send(json.dumps({"event": "history",
                                      "data": {"symbol": "BTC", "interval": "4h"}}))
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            check(m["event"] == "error" and m["data"]["code"] == "bad_request" and
                  "interval" in m["data"]["message"], "WebSocket history: a bad interval is "
                  "a bad_request error naming it (%s)" % m)

    asyncio.run(run())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("check", "synth"))
    ap.add_argument("--csv")
    ap.add_argument("--gateway", type=int)
    ap.add_argument("--fcgi")
    ap.add_argument("--redis-port", type=int)
    ap.add_argument("--prefix", default="cryptopulse:")
    ap.add_argument("--phase", choices=("backfill", "replay", "synthetic"), default="backfill")
    args = ap.parse_args()
    if args.mode == "synth":
        synth()
        return 0
    expected = expected_candles(args.csv)
    check_all(args, expected, args.phase)
    if args.phase != "synthetic":
        check_edges(args, expected)
        check_etag(args, expected, args.phase)
    if args.phase == "backfill":
        check_bad(args)
        check_ws(args, expected)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
