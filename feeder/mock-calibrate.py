#!/usr/bin/env python3
# Recompute the mock profiles of feeder/mock.c from the shared market data:
#   feeder/mock-calibrate.py [../shared/data/market/FILE.csv]
# Per-symbol start price, annualised volatility and mean daily volume from the
# shared 1-minute file.  Volatility: sqrt(sum(r_i^2) / sum(dt_i)) over
# consecutive rows of a symbol, r_i = ln(close_i/close_{i-1}), dt_i in years
# (gaps span several minutes, so they are weighted by their length).
import csv, math, collections, sys
f = sys.argv[1] if len(sys.argv) > 1 else '../shared/data/market/yahoo_crypto_1m_2025-02-02_to_2025-02-04.csv'
last = {}; first = {}; ss = collections.Counter(); dt = collections.Counter(); vol = collections.Counter(); n=collections.Counter()
Y = 365.25*86400*1000
order=[]
for row in csv.DictReader(open(f)):
    s = row['symbol'].split('-')[0]; t = int(row['ts_ms']); c = float(row['close'])
    vol[s] += float(row['volume'])
    if s not in first: first[s] = c; order.append(s)
    if s in last:
        lt, lc = last[s]
        r = math.log(c/lc); ss[s] += r*r; dt[s] += (t-lt)/Y; n[s]+=1
    last[s] = (t, c)
for s in order:
    print(f"{s:6s} start={first[s]:.10g} vol={math.sqrt(ss[s]/dt[s]):.3f} dailyvol={vol[s]/3:.4g} n={n[s]}")
