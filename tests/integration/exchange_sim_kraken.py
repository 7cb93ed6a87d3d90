"""Kraken spot v2 for exchange_sim.py: a "status" message on connect;
subscribe to "ticker", one acknowledgement per symbol, a snapshot then
updates with values as JSON numbers; {"channel":"heartbeat"} every interval;
the "ping" method answered with "pong"."""

from exchange_sim_format import base_of, instrument, num, rfc3339_us


class Kraken:
    """The Kraken side of one Sim: any path is accepted; a status message on
    connect, heartbeats from then on, tickers once subscribed."""

    name = "kraken"
    default_max_rate = 0        # no rate limit on incoming messages
    never_listed = ("XBT",)     # v2 names bitcoin BTC; XBT/USD is "not supported"
    updates_from_open = False   # a snapshot on subscribe; updates an interval later

    def __init__(self, sim):
        self.sim = sim

    # -- message builders

    def ticker(self, base, kind):
        sim = self.sim
        p = sim.sent_price(base)
        st = sim.stats(base, p)
        return {"channel": "ticker", "type": kind, "data": [{
            "symbol": instrument("kraken", base),
            "bid": num(st["bid"]), "bid_qty": 0.5, "ask": num(st["ask"]), "ask_qty": 0.75,
            "last": num(p), "volume": 1876.40286, "vwap": num(st["w"], 2),
            "low": num(st["l"]), "high": num(st["h"]),
            "change": num(st["chg"]), "change_pct": num(st["pct"], 2),
        }]}

    def spoil(self, bad):
        """Give the update bad (a copy) wrongly typed values."""
        d = bad["data"][0]
        d["last"], d["bid"] = str(d["last"]), None

    # -- the connection

    def handshake(self, proto, u):
        return None

    async def open(self, conn):
        await self.sim.reply(conn, {"channel": "status", "data": [{
            "api_version": "v2", "connection_id": 8_000_000_000_000_000_000 + conn.id,
            "system": "online", "version": "2.0.10"}], "type": "update"})

    async def tick(self, conn):
        sim = self.sim
        for name, base in list(conn.subs.items()):
            await sim.send_update(conn, self.ticker(base, "update"))
        await sim.send(conn, {"channel": "heartbeat"})

    async def request(self, conn, msg, received):
        """Answer the client's message msg (parsed JSON, None if not JSON),
        received at time.time() received."""
        sim = self.sim
        time_in = rfc3339_us(received)
        if not isinstance(msg, dict):
            await sim.reply(conn, {"error": "Malformed request", "method": "error", "success": False,
                                   "time_in": time_in, "time_out": rfc3339_us()})
            return
        method = msg.get("method")
        rid = msg.get("req_id")

        def with_id(d):
            if rid is not None:
                d["req_id"] = rid
            return d

        if method == "ping":
            await sim.reply(conn, with_id({"method": "pong", "time_in": time_in, "time_out": rfc3339_us()}))
            return
        if method not in ("subscribe", "unsubscribe"):
            await sim.reply(conn, with_id({"error": "Method not found", "method": method, "success": False,
                                           "time_in": time_in, "time_out": rfc3339_us()}))
            return
        params = msg.get("params")
        params = params if isinstance(params, dict) else {}
        channel = params.get("channel")
        symbols = params.get("symbol")
        snapshot = params.get("snapshot", True) is not False
        if channel != "ticker" or not isinstance(symbols, list) or not symbols:
            await sim.reply(conn, with_id({
                "error": "Channel not supported" if channel != "ticker" else "Symbol list is required",
                "method": method, "success": False, "time_in": time_in, "time_out": rfc3339_us()}))
            return
        snapshots = []
        for sym in symbols:
            b = base_of("kraken", sym)
            if not sim.listed(b):
                err = "Currency pair not supported %s" % sym
            elif method == "subscribe" and sim.reject:
                sim.rejected += 1
                err = "Subscription rejected: service unavailable"
            else:
                err = None
            if err:
                await sim.reply(conn, with_id({"error": err, "method": method, "success": False,
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
            await sim.reply(conn, with_id({"method": method, "result": result, "success": True,
                                           "time_in": time_in, "time_out": rfc3339_us()}))
        for b in snapshots:
            await sim.reply(conn, self.ticker(b, "snapshot"))
