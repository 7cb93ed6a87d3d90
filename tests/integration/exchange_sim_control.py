"""The control API of exchange_sim.py: the /control/ actions that switch the
faults on and off (price, drop, close, stall, garbage, lie, reject, refuse,
lifetime, reset), /control/state, and the optional plain-HTTP control port.
Each function takes the Sim it acts on."""

import asyncio
import http
import json
import logging
import socket
import struct
import time
import urllib.parse
from decimal import Decimal, InvalidOperation

from exchange_sim_format import control_symbol

log = logging.getLogger("exchange_sim")


def control(sim, target):
    """Carry out the control request target ("/control/<action>?<query>"):
    (HTTP status, JSON-able body)."""
    u = urllib.parse.urlsplit(target)
    action = u.path[len("/control/"):].strip("/")
    q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
    try:
        if action == "state":
            return 200, state(sim)
        if action == "price":
            base = control_symbol(q.get("symbol"))
            if base is None:
                return 400, {"error": "symbol: want BTC, BTCUSDT, BTC-USD or BTC/USD"}
            value = Decimal(q["value"])
            if not value.is_finite() or value <= 0:
                raise InvalidOperation
            sim.price(base)
            sim.prices[base] = value
            log.info("control: price %s = %s", base, value)
            return 200, {"ok": True, "symbol": base, "price": float(value)}
        if action == "drop":
            rst = q.get("rst") == "1"
            n = 0
            for conn in list(sim.conns):
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
            for conn in list(sim.conns):
                sim.spawn(conn.ws.close(code, reason))
                n += 1
            log.info("control: closing %d connection(s) with %d", n, code)
            return 200, {"ok": True, "closing": n, "code": code}
        if action == "stall":
            s = float(q["seconds"])
            if not 0 <= s <= 3600:
                raise ValueError
            sim.stall_until = time.monotonic() + s if s > 0 else 0.0
            log.info("control: stall %g s", s)
            return 200, {"ok": True, "stall_s": s}
        if action == "garbage":
            n = int(q["count"])
            if not 0 <= n <= 100000:
                raise ValueError
            sim.garbage_left = n
            log.info("control: garbage x%d", n)
            return 200, {"ok": True, "garbage_pending": n}
        if action == "lie":
            pct = Decimal(q["pct"])
            if not pct.is_finite() or not -99 <= pct <= 1000:
                raise InvalidOperation
            sim.lie_pct = pct
            log.info("control: lie %s %%", pct)
            return 200, {"ok": True, "lie_pct": float(pct)}
        if action in ("reject", "refuse"):
            on = q.get("on", "1") not in ("0", "false", "off")
            setattr(sim, action, on)
            log.info("control: %s %s", action, "on" if on else "off")
            return 200, {"ok": True, action: on}
        if action == "lifetime":
            s = float(q["seconds"])
            if not 0 <= s <= 86400 * 7:
                raise ValueError
            sim.lifetime = s
            log.info("control: lifetime %g s", s)
            return 200, {"ok": True, "lifetime_s": s}
        if action == "reset":
            sim.stall_until, sim.garbage_left, sim.lie_pct = 0.0, 0, Decimal(0)
            sim.reject = sim.refuse = False
            sim.lifetime = sim.cli_lifetime
            log.info("control: reset")
            return 200, {"ok": True}
    except (KeyError, ValueError, InvalidOperation):
        return 400, {"error": "bad or missing parameter for /control/%s" % action}
    return 404, {"error": "unknown control action %r" % action}


def state(sim):
    """What /control/state answers: counters, prices, subscriptions, clients."""
    subs = set()
    clients = []
    for c in sorted(sim.conns, key=lambda c: c.id):
        names = list(c.subs)
        if c.heartbeats:
            names.append("heartbeats")
        subs.update(names)
        clients.append({"id": c.id, "peer": c.peer, "age_s": round(time.monotonic() - c.opened, 3),
                        "subscriptions": names, "messages_sent": c.sent})
    return {
        "exchange": sim.exchange,
        "connections": len(sim.conns),
        "prices": {b: float(p) for b, p in sorted(sim.prices.items())},
        "messages_sent": sim.messages_sent,
        "subscriptions": sorted(subs),
        "connects": sim.connects,
        "connect_attempts": sim.attempts,
        "connect_attempts_5min": len(sim.attempt_times),
        "max_connect_attempts_per_s": sim.max_attempts_per_s,
        "refused": sim.refused,
        "rejected": sim.rejected,
        "client_messages": sim.client_messages,
        "rate_limit_closes": sim.rate_limit_closes,
        "lifetime_closes": sim.lifetime_closes,
        "pings_sent": sim.pings_sent,
        "pongs_received": sim.pongs_received,
        "pong_timeouts": sim.pong_timeouts,
        "garbage_sent": sim.garbage_sent,
        "garbage_pending": sim.garbage_left,
        "stalled_s": round(max(0.0, sim.stall_until - time.monotonic()), 3),
        "lie_pct": float(sim.lie_pct),
        "reject": sim.reject,
        "refuse": sim.refuse,
        "lifetime_s": sim.lifetime,
        "interval_ms": round(sim.interval * 1000),
        "ping_interval_s": sim.ping_interval,
        "max_client_msgs_per_s": sim.max_rate,
        "clients": clients,
    }


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
            status, body = control(sim, parts[1])
        data = (json.dumps(body) + "\n").encode()
        writer.write(("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
                      % (status, http.HTTPStatus(status).phrase, len(data))).encode() + data)
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()
