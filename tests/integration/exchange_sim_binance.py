"""Binance spot for exchange_sim.py: the combined stream
/stream?streams=btcusdt@ticker/ethusdt@ticker, raw /ws/<stream> streams, live
SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY
requests, and 24hrTicker events with 8-decimal strings."""

import http
import json
import time
import urllib.parse
from decimal import Decimal

from exchange_sim_format import BINANCE_STREAM_RE, ONE_DAY_MS, dec8, instrument, json_response


class Binance:
    """The Binance side of one Sim: streams are named in the handshake URL or
    subscribed to later; updates start as soon as the connection opens."""

    name = "binance"
    default_max_rate = 5        # incoming frames a second before close 1008
    never_listed = ()
    updates_from_open = True    # no snapshot: the first update goes out at once

    def __init__(self, sim):
        self.sim = sim

    # -- message builders

    def payload(self, base, p):
        sim = self.sim
        st = sim.stats(base, p)
        now_ms = int(time.time() * 1000)
        close_ms = now_ms - 100
        first_id = 2008166
        n = 80199 + sim.ticks_since_start()
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

    def msg(self, conn, stream, base):
        payload = self.payload(base, self.sim.sent_price(base))
        return {"stream": stream, "data": payload} if conn.combined else payload

    def spoil(self, bad):
        """Give the update bad (a copy) wrongly typed values."""
        d = bad["data"] if "data" in bad else bad
        d["c"], d["b"], d["E"] = float(d["c"]), None, str(d["E"])

    # -- the connection

    def handshake(self, proto, u):
        """Check the streams of the handshake URL u (split): None to accept
        (the streams kept on proto), else an HTTP answer."""
        sim = self.sim
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
            if not m or not sim.listed(m.group(1).upper()):
                return json_response(http.HTTPStatus.BAD_REQUEST,
                                     {"code": -1121, "msg": "Invalid symbol."})
        if streams and sim.reject:
            sim.rejected += 1
            return json_response(http.HTTPStatus.BAD_REQUEST,
                                 {"code": 2, "msg": "Invalid request: subscriptions rejected"})
        proto.sim_streams = streams
        return None

    async def open(self, conn):
        """Subscribe conn to the streams of its handshake URL."""
        conn.combined = conn.ws.sim_combined
        for s in conn.ws.sim_streams:
            b = BINANCE_STREAM_RE.match(s).group(1).upper()
            conn.subs[s] = b
            self.sim.price(b)

    async def tick(self, conn):
        for stream, base in list(conn.subs.items()):
            await self.sim.send_update(conn, self.msg(conn, stream, base))

    async def request(self, conn, msg, received):
        """Answer the client's message msg (parsed JSON, None if not JSON)."""
        sim = self.sim
        if not isinstance(msg, dict):
            await sim.reply(conn, {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"})
            return
        rid = msg.get("id")
        method = msg.get("method")
        params = msg.get("params", [])
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS",
                          "SET_PROPERTY", "GET_PROPERTY"):
            await sim.reply(conn, {"code": 2, "msg": "Invalid request: unknown variant %s, expected one "
                                   "of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, "
                                   "`SET_PROPERTY`, `GET_PROPERTY`" % json.dumps(method), "id": rid})
            return
        if method == "LIST_SUBSCRIPTIONS":
            await sim.reply(conn, {"result": list(conn.subs), "id": rid})
            return
        if method in ("SET_PROPERTY", "GET_PROPERTY"):
            if not isinstance(params, list) or not params or params[0] != "combined":
                await sim.reply(conn, {"code": 0, "msg": "Unknown property", "id": rid})
            elif method == "GET_PROPERTY":
                await sim.reply(conn, {"result": conn.combined, "id": rid})
            elif len(params) != 2 or not isinstance(params[1], bool):
                await sim.reply(conn, {"code": 1, "msg": "Invalid value type: expected Boolean"})
            else:
                conn.combined = params[1]
                await sim.reply(conn, {"result": None, "id": rid})
            return
        if not isinstance(params, list) or not all(isinstance(s, str) for s in params):
            await sim.reply(conn, {"code": 2, "msg": "Invalid request: params must be a list of stream names",
                                   "id": rid})
            return
        if method == "UNSUBSCRIBE":
            for s in params:
                conn.subs.pop(s, None)
            await sim.reply(conn, {"result": None, "id": rid})
            return
        bases = []
        for s in params:
            m = BINANCE_STREAM_RE.match(s)
            if not m or not sim.listed(m.group(1).upper()):
                await sim.reply(conn, {"code": 2, "msg": "Invalid request: invalid stream name %s" % s,
                                       "id": rid})
                return
            bases.append(m.group(1).upper())
        if sim.reject:
            sim.rejected += 1
            await sim.reply(conn, {"code": 2, "msg": "Invalid request: subscriptions rejected", "id": rid})
            return
        for s, b in zip(params, bases):
            conn.subs[s] = b
            sim.price(b)
        await sim.reply(conn, {"result": None, "id": rid})
