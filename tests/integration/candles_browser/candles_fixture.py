#!/usr/bin/python3
"""Candles for 71-browser-candles.sh when the feeder cannot write them.

    candles_fixture.py PREFIX SYMBOL PRICE NOW_MS [DECIMALS]

Prints redis-cli commands (one a line: ZREMRANGEBYSCORE and ZADD) that
store SYMBOL's candles of 1m, 5m, 1h and 1d in the exact member format of
the feeder (docs/PROTOCOL.md /history, lib/candles.h candles_member): the
key PREFIXcandles:SYMBOL:INTERVAL, a sorted set scored by open_ms, members
'c' or 'o' followed by [open_ms,o,h,l,c,v] compact with 15 significant
digits (whole numbers as 100700.0, as jansson writes them).  The newest candle of each interval is the one holding NOW_MS and
is open ('o'), closing at PRICE; older ones are a deterministic random walk
back from there, with one gap (a missing candle) in each interval, as a
feed outage leaves.  Prices are rounded to DECIMALS places (default 2),
volumes to 0.001.
"""

import random
import sys

INTERVALS = (("1m", 60_000, 150), ("5m", 300_000, 400), ("1h", 3_600_000, 800), ("1d", 86_400_000, 400))


def num(v):
    """A number as the feeder writes it (jansson's real with 15 digits,
    lib/candles.c): %.15g, and ".0" after a whole number."""
    s = "%.15g" % v
    return s if any(c in s for c in ".en") else s + ".0"


def candles(price, now_ms, step, count, decimals, rng):
    """count candles of step ms, oldest first, the last holding now_ms."""
    out = []
    close = price
    last_open = now_ms - now_ms % step
    for i in range(count):
        t = last_open - i * step
        drift = rng.gauss(0, 0.0009 * (step / 60_000) ** 0.5)
        open_ = close / (1 + drift)
        high = max(open_, close) * (1 + abs(rng.gauss(0, 0.0004)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, 0.0004)))
        # Quote notional of the mock feed's order: about 20 coins a minute.
        vol = rng.uniform(10, 30) * (step / 60_000) * price
        if i != count // 3:  # the gap
            out.append((t, round(open_, decimals), round(high, decimals), round(low, decimals),
                        round(close, decimals), round(vol, 3)))
        close = open_
    out.reverse()
    return out


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    prefix, symbol, price, now_ms = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    decimals = int(sys.argv[5]) if len(sys.argv) == 6 else 2
    rng = random.Random(f"{symbol}-18")
    for name, step, count in INTERVALS:
        key = f"{prefix}candles:{symbol}:{name}"
        rows = candles(price, now_ms, step, count, decimals, rng)
        for j, row in enumerate(rows):
            flag = "o" if j == len(rows) - 1 else "c"
            member = flag + "[" + ",".join([str(row[0])] + [num(v) for v in row[1:]]) + "]"
            print(f"ZREMRANGEBYSCORE {key} {row[0]} {row[0]}")
            print(f"ZADD {key} {row[0]} {member}")


if __name__ == "__main__":
    main()
