"""Message formats for exchange_sim_selftest.py: what a well-formed ticker
of each exchange looks like (binance_problem, coinbase_problem,
kraken_problem), the price a ticker carries (ticker_of), and check_formats,
the first messages of a fresh subscription on each exchange."""

import json
import re
import time
from decimal import Decimal

from exchange_sim_selftest_client import IV, CheckFailed, check, collect

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


# ------------------------------------------------------------- predicates

def price_is(exchange, base, value):
    want = Decimal(value)
    return lambda obj, text: (t := ticker_of(exchange, obj)) is not None and t[0] == base and t[1] == want


# ----------------------------------------------------------------- checks

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
