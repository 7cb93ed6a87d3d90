#!/usr/bin/python3
"""Self-check of exchange_sim.py: each exchange over ws:// and wss://, every
message format and every /control/ action, as a client would see them.

Usage: exchange_sim_selftest.py [-q]

Starts the simulators as subprocesses (by pid, all stopped at the end; each
also carries --max-runtime-s), makes a CA with sim_ca.sh, connects with
python3-websockets.  The three exchanges run side by side.  Every wait is
bounded and the whole run has a deadline: it fails, it never hangs.  Exit 0
when all checks pass, 1 otherwise.

This file runs the groups side by side; the checks live beside it:
exchange_sim_selftest_client (starting the simulators, connecting, bounded
waits), _formats (each exchange's messages), _control (every /control/
action over ws://) and _options (TLS and the other command-line options).
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

try:
    import websockets.client  # noqa: F401 (the check modules use it)
except ImportError:  # Debian's python3-websockets is in /usr/bin/python3's path
    sys.exit("%s: needs python3-websockets 10.x: run it with /usr/bin/python3" % sys.argv[0])

from exchange_sim_selftest_client import HERE, PROCS, CheckFailed, check
from exchange_sim_selftest_control import check_exchange
from exchange_sim_selftest_options import check_tls, check_walk

DEADLINE_S = 80           # the whole run


async def amain(workdir):
    tls_dir = os.path.join(workdir, "tls")
    r = subprocess.run(["sh", os.path.join(HERE, "sim_ca.sh"), tls_dir], capture_output=True, timeout=30)
    check(r.returncode == 0, "sim_ca.sh failed: %s" % r.stderr.decode(errors="replace"))
    jobs = [check_exchange(workdir, ex) for ex in ("binance", "coinbase", "kraken")]
    jobs += [check_tls(workdir, tls_dir, ex) for ex in ("binance", "coinbase", "kraken")]
    jobs.append(check_walk(workdir))
    names = ["binance", "coinbase", "kraken", "binance/tls", "coinbase/tls", "kraken/tls", "walk"]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failed = 0
    for name, res in zip(names, results):
        if isinstance(res, BaseException):
            failed += 1
            print("FAIL %s: %s" % (name, res if isinstance(res, CheckFailed) else repr(res)), flush=True)
        else:
            print("PASS %s" % name, flush=True)
    return failed


async def guarded(workdir):
    try:
        return await asyncio.wait_for(amain(workdir), DEADLINE_S)
    except asyncio.TimeoutError:
        print("FAIL: the self-test passed its %d s deadline" % DEADLINE_S, flush=True)
        return 1
    finally:
        for p in PROCS:
            if p.returncode is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in PROCS:
            try:
                await asyncio.wait_for(p.wait(), 5)
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()


def main():
    t0 = time.monotonic()
    def hard_deadline(signum, frame):
        raise SystemExit("FAIL: hard deadline of %d s" % (DEADLINE_S + 20))

    signal.signal(signal.SIGALRM, hard_deadline)
    signal.alarm(DEADLINE_S + 20)  # the last resort, should the loop itself wedge
    workdir = tempfile.mkdtemp(prefix="cp-exchange-sim.")
    try:
        failed = asyncio.run(guarded(workdir))
    finally:
        signal.alarm(0)
        for p in PROCS:  # a wedged loop: SIGKILL by pid
            if p.returncode is None and os.path.exists("/proc/%d" % p.pid):
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if os.environ.get("KEEP_WORK") == "1":
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%s in %.1f s" % ("all checks passed" if not failed else "%d group(s) FAILED" % failed,
                            time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
