"""Coinbase Advanced Trade for exchange_sim.py: subscribe to the "ticker" and
"heartbeats" channels; a "subscriptions" message answers each request, then
ticker snapshot / update messages and heartbeats, one per product and
interval, decimal strings without trailing zeros, a sequence_num per
connection."""

import json
import time
from decimal import Decimal

from exchange_sim_format import base_of, dec_min, instrument, rfc3339_ns


class Coinbase:
    """The Coinbase side of one Sim: any path is accepted; nothing is sent
    until the client subscribes."""

    name = "coinbase"
    default_max_rate = 0        # no rate limit on incoming messages
    never_listed = ()
    updates_from_open = False   # a snapshot on subscribe; updates an interval later

    def __init__(self, sim):
        self.sim = sim

    # -- message builders

    def envelope(self, conn, channel, events):
        msg = {"channel": channel, "client_id": "", "timestamp": rfc3339_ns(time.time_ns()),
               "sequence_num": conn.seq, "events": events}
        conn.seq += 1
        return msg

    def ticker(self, conn, base, kind):
        sim = self.sim
        p = sim.sent_price(base)
        st = sim.stats(base, p)
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
        return self.envelope(conn, "ticker", [{"type": kind, "tickers": [t]}])

    def subscriptions(self, conn):
        subs = {}
        tick = sorted({b for name, b in conn.subs.items() if name.startswith("ticker:")})
        if tick:
            subs["ticker"] = [instrument("coinbase", b) for b in tick]
        if conn.heartbeats:
            subs["heartbeats"] = ["heartbeats"]
        return self.envelope(conn, "subscriptions", [{"subscriptions": subs}])

    def heartbeat(self, conn):
        now_ns = time.time_ns()
        up = time.monotonic() - self.sim.started
        s, ns = divmod(now_ns, 1_000_000_000)
        current = "%s.%09d +0000 UTC m=+%.9f" % (
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s)), ns, up)
        conn.hb_counter = max(conn.hb_counter + 1, int(up))
        return self.envelope(
            conn, "heartbeats", [{"current_time": current, "heartbeat_counter": conn.hb_counter}])

    def spoil(self, bad):
        """Give the update bad (a copy) wrongly typed values."""
        t = bad["events"][0]["tickers"][0]
        t["price"], t["best_bid"] = float(t["price"]), None

    # -- the connection

    def handshake(self, proto, u):
        return None

    async def open(self, conn):
        pass

    async def tick(self, conn):
        sim = self.sim
        for name, base in list(conn.subs.items()):
            if name.startswith("ticker:"):
                await sim.send_update(conn, self.ticker(conn, base, "update"))
        if conn.heartbeats:
            await sim.send(conn, self.heartbeat(conn))

    async def error(self, conn, reason):
        await self.sim.reply(conn, {"type": "error", "message": "Failed to subscribe", "reason": reason})

    async def request(self, conn, msg, received):
        """Answer the client's message msg (parsed JSON, None if not JSON)."""
        sim = self.sim
        if not isinstance(msg, dict):
            await sim.reply(conn, {"type": "error", "message": "Malformed JSON"})
            return
        kind = msg.get("type")
        channel = msg.get("channel")
        if kind not in ("subscribe", "unsubscribe"):
            await sim.reply(conn, {"type": "error", "message": "Failed to subscribe",
                                   "reason": "type must be subscribe or unsubscribe"})
            return
        if channel not in ("ticker", "heartbeats"):
            await self.error(conn, "%s is not a valid channel" % json.dumps(channel))
            return
        products = msg.get("product_ids", [])
        if not isinstance(products, list):
            await self.error(conn, "product_ids must be a list")
            return
        bases = []
        if channel == "ticker":
            if not products:
                await self.error(conn, "You need to specify at least one product ID for channel ticker")
                return
            for p in products:
                b = base_of("coinbase", p)
                if not sim.listed(b):
                    await self.error(conn, "%s is not a valid product" % p)
                    return
                bases.append(b)
        if kind == "subscribe" and sim.reject:
            sim.rejected += 1
            await self.error(conn, "subscriptions rejected")
            return
        if kind == "unsubscribe":
            if channel == "heartbeats":
                conn.heartbeats = False
            for b in bases:
                conn.subs.pop("ticker:" + instrument("coinbase", b), None)
            await sim.reply(conn, self.subscriptions(conn))
            return
        if channel == "heartbeats":
            conn.heartbeats = True
            await sim.reply(conn, self.subscriptions(conn))
            return
        new = []
        for b in bases:
            name = "ticker:" + instrument("coinbase", b)
            if name not in conn.subs:
                conn.subs[name] = b
                new.append(b)
        await sim.reply(conn, self.subscriptions(conn))
        for b in new:
            await sim.reply(conn, self.ticker(conn, b, "snapshot"))
