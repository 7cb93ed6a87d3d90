#!/usr/bin/python3
"""Turn bench/run.sh's results.jsonl into the markdown table of README.md's
Performance section.  Usage: table.py RESULTS.jsonl SUSTAIN_SECONDS"""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sustain = sys.argv[2]
by = {(r["scenario"], r["server"], r.get("round", 1)): r for r in rows}
rounds = max((r.get("round", 1) for r in rows), default=1)


def label(r):
    """The scenario's name, with its round when there were several."""
    return r["scenario"] + (f" (round {r.get('round', 1)})" if rounds > 1 else "")


def fmt(v, d=1):
    return "–" if v is None else f"{v:,.{d}f}"


print(f"| scenario | server | clients connected | latency avg / p50 / p99 / max (ms) "
      f"| msgs/s | server RSS per client | server CPU | errors | criteria |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    if "burst" in r:
        continue
    name, server = label(r), r["server"]
    if "skipped" in r:
        print(f"| {name} | {server} | not run: {r['skipped']} | | | | | | |")
        continue
    if "error" in r:
        print(f"| {name} | {server} | no result | | | | | | |")
        continue
    j = r["result"]
    lat, srv = j["latency_ms"], j.get("server", {})
    print(f"| {name} | {server} | {j['connected']:,} / {j.get('wanted', j['attempted']):,} ({j['connected_pct']:.2f} %) "
          f"| {fmt(lat['avg'])} / {fmt(lat['p50'])} / {fmt(lat['p99'])} / {fmt(lat['max'])} "
          f"| {fmt(j['messages_per_s'], 0)} | {fmt(srv.get('rss_per_conn_bytes'), 0)} B "
          f"| {fmt(srv.get('cpu_pct_sustain'), 0)} % | {j['errors']} "
          f"| {'pass' if j['pass'] else 'FAIL: ' + ', '.join(j['failed'])} |")

def compare(a, b):
    """RSS per client and p99 of a and b, each with the ratio a / b."""
    ma, mb = a.get("server", {}).get("rss_per_conn_bytes"), b.get("server", {}).get("rss_per_conn_bytes")
    pa, pb = a["latency_ms"]["p99"], b["latency_ms"]["p99"]
    return (f"{fmt(ma, 0)} B vs {fmt(mb, 0)} B "
            f"({(ma / mb if ma and mb and mb > 0 else float('nan')):.2f}) "
            f"| {fmt(pa)} ms vs {fmt(pb)} ms ({(pa / pb if pb else float('nan')):.2f})")


ratios = []
for (name, server, rnd), r in by.items():
    peer = by.get((name, "nchan", rnd))
    if server != "cryptopulse" or not peer or "result" not in r or "result" not in peer:
        continue
    a, b = r["result"], peer["result"]
    # A ratio only means something when both held (nearly) every client and
    # delivered ticks through the sustain phase.
    held = [f"{x} held {y['connected_pct']:.1f} % of the clients and delivered "
            f"{y['messages_per_s']:,.0f} msgs/s" for x, y in (("CryptoPulse", a), ("nchan", b))
            if y["connected_pct"] < 99 or y["messages_per_s"] <= 0]
    if held:
        ratios.append(f"| {label(r)} | {a['connected']:,} | not comparable: {'; '.join(held)} | |")
        continue
    ratios.append(f"| {label(r)} | {a['connected']:,} | {compare(a, b)} |")
if ratios:
    print("\nCryptoPulse against nginx + nchan at the same N in the same run "
          "(ratio = CryptoPulse / nchan; the targets are ≤ 0.20 for memory and ≤ 0.25 for p99):\n")
    print("| scenario | clients | RSS per client (ratio) | p99 latency (ratio) |")
    print("| --- | --- | --- | --- |")
    print("\n".join(ratios))

# Socket.IO: sio-N on the gateway against node-sio-N on the original stack.
sio = []
for (name, server, rnd), r in by.items():
    peer = by.get(("node-" + name, "node-socketio", rnd))
    if server != "cryptopulse" or not name.startswith("sio-") or not peer:
        continue
    if "result" not in r or "result" not in peer:
        sio.append(f"| {name} | {rnd} | no result | |")
        continue
    a, b = r["result"], peer["result"]
    held = [f"{x} held {y['connected_pct']:.1f} % of the clients and delivered "
            f"{y['messages_per_s']:,.0f} msgs/s" for x, y in (("CryptoPulse", a), ("Node.js", b))
            if y["connected_pct"] < 99 or y["messages_per_s"] <= 0]
    if held:
        sio.append(f"| {name} | {rnd} | not comparable: {'; '.join(held)} | |")
        continue
    sio.append(f"| {name} | {rnd} | {compare(a, b)} |")
if sio:
    print("\nSocket.IO: the gateway's endpoint against Node.js Socket.IO 4 + `@socket.io/redis-adapter` "
          "(the original stack) at the same N in the same run (ratio = CryptoPulse / Node.js):\n")
    print("| scenario | round | RSS per client (ratio) | p99 latency (ratio) |")
    print("| --- | --- | --- | --- |")
    print("\n".join(sio))

for r in rows:
    if "burst" in r:
        b = r["burst"]
        print(f"\nBurst: {b['ticks_published']:,} ticks published in 10 s ({b['ticks_per_s']:,.0f}/s) to "
              f"1,000 `*` WebSocket clients; the gateway wrote {b['frames']:,} frames "
              f"({b['frames_per_s']:,.0f}/s) using {b['gateway_cpu_s']:.2f} CPU-seconds: "
              f"**{b['frames_per_cpu_s']:,.0f} frames per second per core**.")
print(f"\nSustain phase {sustain} s per run; latency = client receive time − the price's `ts` "
      "(set by the feeder), so it includes Redis pub/sub and the load tool's own scheduling.")
