#!/usr/bin/env bash
# End to end: the feeder replays the real market data into a real Redis, the
# gateway fans it out, and curl (SSE) and a python3-websockets client both
# receive BTC prices that are closes from the file, rounded to the tick size.
. "$(dirname "$0")/lib.sh"

csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (the ../shared folder is absent)"
[ -x "$PY" ] && "$PY" -c 'import websockets' 2>/dev/null \
    || skip "python3-websockets not installed for $PY (apt-get install python3-websockets)"

start_redis
start_gateway --redis-port "$REDIS_PORT" --interval 200
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" \
    --replay "$csv" --interval 200

# Listeners attach while the replay runs; both must see BTC prices.
curl -sN --max-time 6 "http://127.0.0.1:$GATEWAY_PORT/events?symbols=BTC" >"$WORK/sse.txt" &
curl_pid=$!
"$PY" "$top_srcdir/tests/integration/ws_client.py" "ws://127.0.0.1:$GATEWAY_PORT/ws" BTC 5 10 \
    deflate >"$WORK/ws.txt" 2>"$WORK/ws_client.log" \
    || fail "WebSocket client (permessage-deflate) got fewer than 5 BTC prices"
"$PY" "$top_srcdir/tests/integration/ws_client.py" "ws://127.0.0.1:$GATEWAY_PORT/ws" BTC,ETH 6 10 \
    plain >"$WORK/ws_plain.txt" 2>>"$WORK/ws_client.log" \
    || fail "WebSocket client (no compression) got fewer than 6 prices"
"$PY" "$top_srcdir/tests/integration/ws_client.py" "ws://127.0.0.1:$GATEWAY_PORT/ws" BTC 3 10 \
    deflate10 >"$WORK/ws_small_window.txt" 2>>"$WORK/ws_client.log" \
    || fail "WebSocket client with server_max_window_bits=10 got fewer than 3 BTC prices"
wait "$curl_pid" || true

# Every BTC price seen must be a close of BTC-USD in the file, rounded to
# 0.01: within half a tick of one of them.
check_prices() {
    local what=$1 file=$2
    "$PY" - "$csv" "$file" "$what" <<'PYEOF' || fail "$what prices are not closes from $csv"
import csv, json, sys
closes = [float(r["close"]) for r in csv.DictReader(open(sys.argv[1])) if r["symbol"] == "BTC-USD"]
prices = [json.loads(line)["price"] for line in open(sys.argv[2]) if line.strip()]
assert len(prices) >= 3, f"{sys.argv[3]}: only {len(prices)} prices"
for p in prices:
    assert round(p, 2) == p, f"{p} is not rounded to the tick size 0.01"
    assert any(abs(p - c) <= 0.005 + 1e-9 for c in closes), f"{p} is not a BTC close"
print(f"{sys.argv[3]}: {len(prices)} BTC prices, all closes from the file")
PYEOF
}

grep -q '^retry: 2000$' "$WORK/sse.txt" || fail "SSE stream has no retry field"
grep -q '^event: price-update$' "$WORK/sse.txt" || fail "SSE stream has no price-update events"
grep -q '^id: [0-9]*-[0-9]*$' "$WORK/sse.txt" || fail "SSE events carry no tick id"
grep -q 'ETH' "$WORK/sse.txt" && fail "SSE stream for BTC carried another symbol"
sed -n 's/^data: //p' "$WORK/sse.txt" >"$WORK/sse_prices.txt"
check_prices SSE "$WORK/sse_prices.txt"
check_prices WebSocket "$WORK/ws.txt"
check_prices "WebSocket with a 2^10-byte server window" "$WORK/ws_small_window.txt"
grep '"BTC"' "$WORK/ws_plain.txt" >"$WORK/ws_plain_btc.txt" || true
check_prices "WebSocket without compression" "$WORK/ws_plain_btc.txt"
curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" | grep -q '"deflate":2[,}]' \
    || fail "/stats does not count the two permessage-deflate clients"

# History: the newest BTC points from the stream, oldest first, over HTTP and
# as the WebSocket history event.
curl -sf "http://127.0.0.1:$GATEWAY_PORT/history?symbol=BTC&limit=5" >"$WORK/history.json" \
    || fail "GET /history failed"
within 30 "$PY" - "$GATEWAY_PORT" "$WORK/history.json" "$csv" <<'PYEOF' || fail "history is wrong"
import asyncio, csv, json, sys, websockets
closes = [float(r["close"]) for r in csv.DictReader(open(sys.argv[3])) if r["symbol"] == "BTC-USD"]
h = json.load(open(sys.argv[2]))
assert h["symbol"] == "BTC" and len(h["points"]) == 5, h
ts = [p[0] for p in h["points"]]
assert ts == sorted(ts), f"points not oldest first: {ts}"
assert all(any(abs(p[1] - c) <= 0.005 + 1e-9 for c in closes) for p in h["points"]), h
async def ws_history():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.recv()
        await ws.send(json.dumps({"event": "history", "data": {"symbol": "BTC", "limit": 3}}))
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert msg["event"] == "history" and len(msg["data"]["points"]) == 3, msg
        await ws.send(json.dumps({"event": "history", "data": {"symbol": "BTC", "limit": 0}}))
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert msg["event"] == "error" and msg["data"]["code"] == "bad_request", msg
asyncio.run(ws_history())
print("history: 5 BTC points over HTTP, 3 over WebSocket, all closes, oldest first")
PYEOF
for q in "symbol=BTC&limit=0" "symbol=BTC&limit=x" "symbol=btc" "limit=5" "symbol=FOO"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/history?$q")
    [ "$status" = 400 ] || fail "/history?$q gave $status, not 400"
done

# The dashboard is served from the same port.
curl -sf "http://127.0.0.1:$GATEWAY_PORT/" | grep -q '<title>' || fail "dashboard not served at /"
curl -sfI "http://127.0.0.1:$GATEWAY_PORT/app.js" | grep -qi '^content-type: text/javascript' \
    || fail "app.js not served as JavaScript"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/events?symbols=btc!")
[ "$status" = 400 ] || fail "malformed symbol gave $status, not 400"
# The gateway started before the feeder, yet learned the feed's symbol list.
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$GATEWAY_PORT/events?symbols=FOO")
[ "$status" = 400 ] || fail "a symbol the feed does not carry gave $status, not 400"
echo "PASS: $TEST_NAME"
