"""The command-line checks of exchange_sim_selftest.py: wss:// and https://
control with the test CA (--tls-cert/--tls-key), --price, --lifetime and
--max-runtime-s given on the command line, and --walk."""

import asyncio
import ssl
import time
from decimal import Decimal

import websockets.client

from exchange_sim_selftest_client import IV, CheckFailed, Run, SimProc, check, closed_within, open_feed, until
from exchange_sim_selftest_formats import PROBLEM, ticker_of


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
