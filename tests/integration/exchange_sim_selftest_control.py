"""The /control/ checks of exchange_sim_selftest.py: check_exchange runs one
exchange over ws:// through its formats and every control action (price,
lie, garbage, stall, reject, close, drop, refuse, lifetime), the rate limit,
the counters of /control/state and the exit on SIGTERM."""

import asyncio
import json
import time

import websockets.exceptions

from exchange_sim_selftest_client import (IV, CheckFailed, Run, SimProc, check, closed_within, collect,
                                          loads, open_feed, recv, stream_path, subscribe, until, wait_state)
from exchange_sim_selftest_formats import PROBLEM, check_formats, price_is, ticker_of


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
