#!/usr/bin/env bash
# 14-feeder-live: cryptopulse-feeder --live against three local exchange
# simulators (tests/integration/exchange_sim.py) speaking Binance's,
# Coinbase's and Kraken v2's real wire formats, two of them over wss:// with a
# test CA (FEED_CA_FILE), then Redis, the gateway and clients:
#   - prices are the median of the three, with "sources" naming them;
#   - a source 40 % off is left out (outliers counted), back when it agrees;
#   - malformed messages are counted and skipped;
#   - one simulator killed: ticks go on from the others, which alone make
#     the price once it is stale; back, it is used again;
#   - all stalled: "stale":true and /health degraded within
#     SOURCE_STALE_MS + one interval; resumed: fresh and ok again;
#   - connections older than SOURCE_RECONNECT_MS are replaced with no gap.
. "$(dirname "$0")/lib.sh"

INTERVAL=500
STALE=2000
SIM=$top_srcdir/tests/integration/exchange_sim.py
command -v openssl >/dev/null || skip "openssl not installed (scripts/install-deps.sh)"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets not installed for $PY"
sh "$top_srcdir/tests/integration/sim_ca.sh" "$WORK/ca" || fail "could not make the test CA"

# Settings that cannot work stop start-up with exit 2 and the setting's name.
refused() { # refused SETTING FLAGS...
    local want=$1 rc=0; shift
    within 10 "$top_builddir/feeder/cryptopulse-feeder" --live --redis-port 1 "$@" \
        >"$WORK/refused.txt" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q "$want" "$WORK/refused.txt" ||
        fail "feeder $* exited $rc: $(tail -n 2 "$WORK/refused.txt")"
}
refused BINANCE_WS_URL --binance-ws-url ws://127.0.0.1:99999
refused BINANCE_WS_URL --binance-ws-url 'wss://stream.binance.com:9443/ws'
refused COINBASE_WS_URL --coinbase-ws-url 'ws://user@127.0.0.1:1/'
refused SYMBOLS --symbols BTC,SHIB
refused SYMBOLS --symbols BNB --sources coinbase,kraken
refused FEED_CA_FILE --ca-file "$WORK/no-such-ca.pem"
refused FEED_SYMBOL_MAP --symbol-map binance:BTC
echo "bad URLs, unlisted symbols, a missing CA file and a bad map stop start-up"

# start_sim NAME EXCHANGE PRICE TLS: a simulator; NAME_PORT and NAME_CTL are
# its WebSocket and control ports.
start_sim() {
    local name=$1 exchange=$2 price=$3 tls=$4 port ctl args=()
    port=$(free_port)
    ctl=$(free_port)
    [ "$tls" = tls ] && args=(--tls-cert "$WORK/ca/server.pem" --tls-key "$WORK/ca/server.key")
    start "$name" "$PY" "$SIM" --exchange "$exchange" --port "$port" --control-port "$ctl" \
        --interval-ms 200 --ping-interval-s 5 --price "BTC=$price" --price ETH=3200.5 \
        --max-runtime-s 300 --quiet "${args[@]}"
    wait_for 10 grep -q "^CONTROL" "$WORK/$name.log" || fail "simulator $name did not start"
    printf -v "${name}_PORT" %s "$port"
    printf -v "${name}_CTL" %s "$ctl"
}
start_sim binance binance 95000.00 tls
start_sim coinbase coinbase 95010.00 plain
start_sim kraken kraken 95030.00 tls

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --live --redis-port "$REDIS_PORT" \
    --interval "$INTERVAL" --symbols BTC,ETH --source-stale-ms "$STALE" \
    --source-reconnect-ms 600000 --ca-file "$WORK/ca/ca.pem" \
    --binance-ws-url "wss://localhost:$binance_PORT" \
    --coinbase-ws-url "ws://127.0.0.1:$coinbase_PORT" \
    --kraken-ws-url "wss://127.0.0.1:$kraken_PORT/v2"
start_gateway --redis-port "$REDIS_PORT" --interval "$INTERVAL" --stats-interval-ms 200

within 150 "$PY" - "$GATEWAY_PORT" "$binance_CTL" "$coinbase_CTL" "$kraken_CTL" \
    "$coinbase_PORT" "$SIM" "$WORK" "$coinbase_PID" >"$WORK/live.txt" 2>&1 <<'PYEOF' ||
import asyncio, json, os, signal, socket, subprocess, sys, time, urllib.request
import websockets
gw, ctl = int(sys.argv[1]), {"binance": sys.argv[2], "coinbase": sys.argv[3], "kraken": sys.argv[4]}
coinbase_port, sim, work, coinbase_pid = sys.argv[5], sys.argv[6], sys.argv[7], int(sys.argv[8])
revived = None  # the second coinbase simulator, ours to stop
DEADLINE = time.monotonic() + 140
INTERVAL, STALE = 0.5, 2.0

def left():
    t = DEADLINE - time.monotonic()
    assert t > 0, "overall deadline passed"
    return t

def get(url):
    with urllib.request.urlopen(url, timeout=min(5, left())) as r:
        return r.status, json.load(r)

def control(name, action):
    return get(f"http://127.0.0.1:{ctl[name]}/control/{action}")[1]

def health():
    try:
        return get(f"http://127.0.0.1:{gw}/health")
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

def by_name(sources):
    return {s["name"]: s for s in sources}

async def main():
    async with websockets.connect(f"ws://127.0.0.1:{gw}/ws") as ws:
        await asyncio.wait_for(ws.recv(), left())
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["BTC"]}}))
        last = {"ids": []}

        async def until(what, pred, seconds):
            """Read BTC price-updates until pred(price) holds, within seconds."""
            end = time.monotonic() + seconds
            while True:
                t = min(end - time.monotonic(), left())
                if t <= 0:
                    raise AssertionError(f"{what}: not within {seconds} s; last {last.get('p')}")
                try:
                    m = json.loads(await asyncio.wait_for(ws.recv(), t))
                except asyncio.TimeoutError:
                    continue
                if m["event"] != "price-update":
                    continue
                p = last["p"] = m["data"]
                last["ids"].append((time.monotonic(), p["id"]))
                if pred(p):
                    return p

        p = await until("median of three", lambda p: p["price"] == 95010.0
                        and p["sources"] == ["binance", "coinbase", "kraken"], 20)
        assert p["stale"] is False and set(p) >= {"sources", "stale", "change24h", "high24h"}, p
        print("median of three sources:", p["price"], p["sources"])

        # The same through SSE and curl.
        out = subprocess.run(["curl", "-sN", "--max-time", "3",
                              f"http://127.0.0.1:{gw}/events?symbols=BTC"],
                             capture_output=True, text=True).stdout
        data = [json.loads(l[6:]) for l in out.splitlines() if l.startswith("data: ")]
        assert any(d["price"] == 95010.0 and d["sources"] == ["binance", "coinbase", "kraken"]
                   for d in data), out[:400]
        print("curl /events: the same price and sources")

        # Kraken lies: 40 % off, it is left out and counted; back when honest.
        control("kraken", "lie?pct=40")
        p = await until("liar left out", lambda p: p["sources"] == ["binance", "coinbase"], 10)
        assert p["price"] == 95005.0, p
        await until("outlier counted", lambda p: by_name(health()[1]["sources"])["kraken"]["outliers"] > 0, 5)
        control("kraken", "lie?pct=0")
        await until("liar back", lambda p: len(p["sources"]) == 3, 10)
        print("a source 40 % off is left out, then taken back")

        # Garbage is counted and skipped.
        control("binance", "garbage?count=3")
        await until("malformed counted",
                    lambda p: by_name(health()[1]["sources"])["binance"]["malformed"] >= 3, 10)
        assert by_name(health()[1]["sources"])["binance"]["connected"]
        print("malformed messages counted, the connection kept")

        # Coinbase dies: ticks go on every interval; once it is stale the
        # other two make the price.
        killed_at = time.monotonic()
        os.kill(coinbase_pid, signal.SIGKILL)
        p = await until("two sources", lambda p: p["sources"] == ["binance", "kraken"], STALE + 3)
        assert p["price"] == 95015.0 and not p["stale"], p
        gaps = [b[0] - a[0] for a, b in zip(last["ids"], last["ids"][1:]) if b[0] > killed_at]
        assert gaps and max(gaps) < INTERVAL * 2.5, f"ticks stopped after the kill: gaps {gaps}"
        print(f"coinbase killed: ticks went on (largest gap {max(gaps):.2f} s), price from the other two")

        # Coinbase comes back on its port: used again (after the backoff).
        global revived
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ctl["coinbase"] = str(s.getsockname()[1])
        s.close()
        revived = subprocess.Popen([sys.executable, sim, "--exchange", "coinbase", "--port",
                                    coinbase_port, "--control-port", ctl["coinbase"],
                                    "--interval-ms", "200", "--price", "BTC=95010.00",
                                    "--price", "ETH=3200.5", "--max-runtime-s", "120", "--quiet"],
                                   stdout=open(f"{work}/coinbase2.log", "w"),
                                   stderr=subprocess.STDOUT)
        p = await until("coinbase back", lambda p: len(p["sources"]) == 3, 40)
        print("coinbase back: three sources again")

        # Everyone stalls: stale within SOURCE_STALE_MS + one interval, /health degraded.
        stalled_at = time.monotonic()
        for name in ctl:
            control(name, "stall?seconds=60")
        p = await until("stale", lambda p: p["stale"] is True, STALE + INTERVAL + 2)
        took = time.monotonic() - stalled_at
        assert p["price"] > 0 and p["sources"], p
        end = time.monotonic() + 3
        while health()[0] != 503:
            assert time.monotonic() < end, f"/health still {health()}"
            await asyncio.sleep(0.1)
        code, h = health()
        assert h["status"] == "degraded" and "no exchange" in h["reason"], h
        print(f"all silent: stale after {took:.1f} s, /health 503 degraded")

        for name in ctl:
            control(name, "stall?seconds=0")
        p = await until("fresh again", lambda p: p["stale"] is False, 40)
        end = time.monotonic() + 3
        while health()[0] != 200:
            assert time.monotonic() < end, f"/health still {health()}"
            await asyncio.sleep(0.1)
        print("resumed: fresh again,", p["sources"], "/health ok")

try:
    asyncio.run(main())
finally:
    if revived:
        revived.terminate()
        revived.wait(10)
PYEOF
    fail "live feed checks: $(tail -n 5 "$WORK/live.txt")"
cat "$WORK/live.txt"

# The FastCGI handler (as CGI) shows the same sources in /health and /stats.
cgi() {
    within 10 env -i REDIS_PORT="$REDIS_PORT" UPDATE_INTERVAL_MS="$INTERVAL" LOG_LEVEL=warn \
        GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
        PATH_INFO="$1" SCRIPT_NAME=/cgi-bin/cryptopulse-fcgi \
        "$top_builddir/fcgi/cryptopulse-fcgi" </dev/null 2>>"$WORK/cgi.log"
}
for path in /health /stats; do
    cgi "$path" | sed '1,/^\r$/d' | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
names = [s["name"] for s in d["sources"]]
assert names == ["binance", "coinbase", "kraken"], names
assert all(set(s) >= {"connected", "fresh", "messages", "reconnects", "outliers"} for s in d["sources"])
' || fail "cryptopulse-fcgi $path has no sources"
done
echo "cryptopulse-fcgi /health and /stats show the sources"

# Connections older than SOURCE_RECONNECT_MS are replaced, with no gap: a
# feeder on two exchanges that renews every 2.5 s keeps both fresh on
# every tick, while the simulators see new connections.
stop "$feeder_PID"
conn_count() { curl -s "http://127.0.0.1:$1/control/state" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["connects"])'; }
b0=$(conn_count "$binance_CTL"); k0=$(conn_count "$kraken_CTL")
start feeder2 "$top_builddir/feeder/cryptopulse-feeder" --live --redis-port "$REDIS_PORT" \
    --interval "$INTERVAL" --symbols BTC,ETH --source-stale-ms "$STALE" --sources binance,kraken \
    --source-reconnect-ms 2500 --ca-file "$WORK/ca/ca.pem" \
    --binance-ws-url "wss://localhost:$binance_PORT" \
    --kraken-ws-url "wss://127.0.0.1:$kraken_PORT/v2"
within 40 "$PY" - "$GATEWAY_PORT" >"$WORK/rollover.txt" 2>&1 <<'PYEOF' ||
import asyncio, json, sys, time
import websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await asyncio.wait_for(ws.recv(), 5)
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["BTC"]}}))
        end, seen, started = time.monotonic() + 30, [], False
        while time.monotonic() < end and len(seen) < 16:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m["event"] != "price-update":
                continue
            p = m["data"]
            started = started or p["sources"] == ["binance", "kraken"]
            if started:  # from the first tick with both
                seen.append((p["sources"], p["stale"]))
        assert len(seen) >= 16, f"only {len(seen)} ticks with both sources"
        bad = [s for s in seen if s != (["binance", "kraken"], False)]
        assert not bad, f"a source dropped out during the renewals: {bad}"
        print(f"{len(seen)} ticks in a row from both sources while connections were renewed")
asyncio.run(main())
PYEOF
    fail "rollover: $(tail -n 3 "$WORK/rollover.txt")"
cat "$WORK/rollover.txt"
b1=$(conn_count "$binance_CTL"); k1=$(conn_count "$kraken_CTL")
[ $((b1 - b0)) -ge 3 ] && [ $((k1 - k0)) -ge 3 ] ||
    fail "connections were not renewed: binance $b0 -> $b1, kraken $k0 -> $k1"
grep -q "replaced a connection" "$WORK/feeder2.log" || fail "no renewal logged"
echo "connections renewed: binance $b0 -> $b1, kraken $k0 -> $k1"
echo "PASS: $TEST_NAME"
