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


def ratio(a, b):
    """a / b to two places, or a dash when b is missing or zero."""
    return f"{a / b:.2f}" if a is not None and b else "–"


def fmt(v, d=1):
    return "–" if v is None else f"{v:,.{d}f}"


main = [r for r in rows if "burst" not in r and not r["scenario"].startswith("storm-")]
if main:
    print(f"| scenario | server | clients connected | latency avg / p50 / p99 / max (ms) "
          f"| msgs/s | server RSS per client | server CPU | errors | criteria |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in main:
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
    return (f"{fmt(ma, 0)} B vs {fmt(mb, 0)} B ({ratio(ma, mb)}) "
            f"| {fmt(pa)} ms vs {fmt(pb)} ms ({ratio(pa, pb)})")


def comparable(a, b, names):
    """Why a and b cannot be compared, or None: a ratio only means something
    when both held (nearly) every client and delivered ticks through the
    sustain phase."""
    held = [f"{x} held {y['connected_pct']:.1f} % of the clients and delivered "
            f"{y['messages_per_s']:,.0f} msgs/s" for x, y in zip(names, (a, b))
            if y["connected_pct"] < 99 or y["messages_per_s"] <= 0]
    return "not comparable: " + "; ".join(held) if held else None


def peer_cells(r, peer_name, label_name):
    """The two ratio cells of r against its peer in the same round."""
    peer = by.get((r["scenario"], peer_name, r.get("round", 1)))
    if not peer or "result" not in peer:
        return "– | –"
    a, b = r["result"], peer["result"]
    why = comparable(a, b, ("CryptoPulse", label_name))
    return f"{why} | " if why else compare(a, b)


ratios = []
for (name, server, rnd), r in by.items():
    if server != "cryptopulse" or "result" not in r or name.startswith("storm-"):
        continue
    if not any((name, p, rnd) in by for p in ("nchan", "floor")):
        continue
    ratios.append(f"| {label(r)} | {r['result']['connected']:,} | {peer_cells(r, 'nchan', 'nchan')} "
                  f"| {peer_cells(r, 'floor', 'the floor')} |")
if ratios:
    print("\nCryptoPulse against nginx + nchan and against the floor (bench/cryptopulse-floor, a "
          "minimal epoll server: one prebuilt frame `send()` per client per tick) at the same N in "
          "the same run (ratio = CryptoPulse / peer; the targets against nchan are ≤ 0.20 for "
          "memory and ≤ 0.25 for p99). On `*-one` the floor still sends every tick whole:\n")
    print("| scenario | clients | RSS per client vs nchan (ratio) | p99 vs nchan (ratio) "
          "| RSS per client vs floor (ratio) | p99 vs floor (ratio) |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(ratios))


def cpu_per_delivery_us(j):
    """Server CPU-seconds in the sustain / messages delivered in it, in µs."""
    cpu = j.get("server", {}).get("cpu_s_sustain")
    deliveries = j["messages_per_s"] * float(sustain)
    return cpu / deliveries * 1e6 if cpu is not None and deliveries > 0 else None


fast = []
for (name, server, rnd), r in by.items():
    if not name.startswith("fast-") or "result" not in r:
        continue
    j = r["result"]
    cpd, p99 = cpu_per_delivery_us(j), j["latency_ms"]["p99"]
    fl = by.get((name, "floor", rnd))
    fj = fl["result"] if fl and "result" in fl else None
    fast.append(f"| {label(r)} | {server} | {j['connected']:,} | {fmt(j['messages_per_s'], 0)} "
                f"| {fmt(p99)} | {fmt(cpd, 2)} "
                f"| {ratio(cpd, cpu_per_delivery_us(fj)) if fj and server != 'floor' else '–'} "
                f"| {ratio(p99, fj['latency_ms']['p99']) if fj and server != 'floor' else '–'} |")
if fast:
    print("\nFast ticks (the feeder's `UPDATE_INTERVAL_MS=100`; targets: CPU per delivery ≤ 1.1× "
          "the floor's, p99 ≤ the floor's + 10 %):\n")
    print("| scenario | server | clients | deliveries/s | p99 (ms) | server CPU per delivery (µs) "
          "| CPU ratio to floor | p99 ratio to floor |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(fast))

def setup_us(j):
    """Server CPU from the first connect to the sustain phase per client
    connected, in µs (it includes the ticks sent to those already in)."""
    cpu = j.get("server", {}).get("cpu_s_setup")
    return cpu / j["connected"] * 1e6 if cpu is not None and j["connected"] else None


setup = []
for (name, server, rnd), r in by.items():
    if not name.startswith("ws-") or "result" not in r:
        continue
    j = r["result"]
    c = j.get("connect_ms", {})
    cells = []
    for peer in ("nchan", "floor"):
        p = by.get((name, peer, rnd))
        pj = p["result"] if p and "result" in p and server == "cryptopulse" else None
        cells.append(ratio(setup_us(j), setup_us(pj)) if pj else "–")
        cells.append(ratio(c.get("p50"), pj.get("connect_ms", {}).get("p50")) if pj else "–")
    setup.append(f"| {label(r)} | {server} | {j['connected']:,} | {fmt(c.get('p50'))} / {fmt(c.get('p99'))} "
                 f"| {fmt(setup_us(j), 0)} | {' | '.join(cells)} |")
if setup:
    print("\nConnection set-up while the clients ramp in (the load tool's connect time: TCP connect "
          "to the `101`; server CPU from the first connect to the sustain phase per client, which "
          "also holds the ticks sent to those already in; targets: CPU ≤ nchan's, median connect "
          "time ≤ 1.5× the floor's):\n")
    print("| scenario | server | clients | connect p50 / p99 (ms) | server CPU per connection (µs) "
          "| CPU ratio to nchan | p50 ratio to nchan | CPU ratio to floor | p50 ratio to floor |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(setup))

def reconnect_cpu_us(r):
    """Server CPU after the drop per successful reconnect (µs), or None."""
    st, cpu = r["result"].get("storm", {}), r.get("restarted_cpu_s")
    back = st.get("attempts", 0) - st.get("failed_attempts", 0)
    return cpu / back * 1e6 if cpu and back else None


storm = []
for r in rows:
    if not r["scenario"].startswith("storm-"):
        continue
    server = r["server"]
    if "result" not in r:
        storm.append(f"| {label(r)} | {server} | {r.get('skipped', 'no result')} | | | | | | | | | | | |")
        continue
    j = r["result"]
    st = j.get("storm", {})
    c = st.get("connect_ms", {})
    cpu = r.get("restarted_cpu_s")
    missed = st.get("ticks_missed")
    cells = []
    for peer in ("nchan", "floor"):
        pr = by.get((r["scenario"], peer, r.get("round", 1)))
        if server != "cryptopulse" or not pr or "result" not in pr:
            cells += ["–", "–"]
            continue
        pc = pr["result"].get("storm", {}).get("connect_ms", {})
        cells += [ratio(reconnect_cpu_us(r), reconnect_cpu_us(pr)), ratio(c.get("p50"), pc.get("p50"))]
    storm.append(f"| {label(r)} | {server} | {st.get('back', 0):,} / {st.get('drops', 0):,} "
                 f"| {fmt(st.get('live_99_ms'), 0)} / {fmt(st.get('live_100_ms'), 0)} "
                 f"| {'no resume' if missed is None else missed} | {fmt(c.get('p50'))} / {fmt(c.get('p99'))} "
                 f"| {fmt(r.get('restarted_peak_rss_kb', 0) / 1024)} MiB "
                 f"| {fmt(cpu, 2)} s ({fmt(reconnect_cpu_us(r), 0)} µs per "
                 f"successful reconnect) | {' | '.join(cells)} | {'pass' if st.get('pass') else 'FAIL'} |")
if storm:
    print("\nReconnect storm: the server stopped and started again on the same port (`-worker`: one "
          "of the gateway's worker processes killed with SIGKILL, and started again by the master); "
          "each client reconnects with the dashboard's backoff (500 ms doubling to 10 s, equal "
          "jitter); the gateway's clients resume with `since`, nchan's and the floor's subscribe "
          "to nothing (their URL is the subscription) and are back at their `101`, with no resume "
          "(targets: 100 % live within 30 s at 100,000, 0 ticks missed, CPU per reconnect ≤ "
          "nchan's, median reconnect time ≤ 1.5× the floor's). Peak RSS and CPU are the restarted "
          "server's (`-worker`: all the gateway's processes'), ticks sent after the drop included; the "
          "ratios use the load tool's microseconds, not the rounded figures shown; the verdict is "
          "the load tool's (every dropped client back, no tick missed), not the ratio targets:\n")
    print("| scenario | server | clients back / dropped | live again 99 % / 100 % (ms after the drop) "
          "| resumes that missed ticks | reconnect connect time p50 / p99 (ms) "
          "| peak RSS after the drop | CPU after the drop | CPU ratio to nchan | p50 ratio to nchan "
          "| CPU ratio to floor | p50 ratio to floor | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(storm))

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
print(f"\nSustain phase {sustain} s per run (storms: at least 30 s, the restart inside it); latency = client receive time − the price's `ts` "
      "(set by the feeder), so it includes Redis pub/sub and the load tool's own scheduling.")
