#!/usr/bin/env bash
# Server-Sent Events with an independent client (Python's urllib) against a
# real Redis and feeder: ticks arrive; a client that misses ticks and comes
# back with its last id gets exactly those ticks, in order, then live ones
# (header, ?lastEventId= and WebSocket "since"); an unknown or too old id gets
# a snapshot; keep-alive comments flow while the feeder is silent; CORS.
. "$(dirname "$0")/lib.sh"

start_redis
start_gateway --redis-port "$REDIS_PORT" --sse-keepalive-ms 500
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
base=http://127.0.0.1:$GATEWAY_PORT
sse() { "$PY" "$top_srcdir/tests/integration/sse_client.py" "$@"; }

sse "$base/events" 1.2 >"$WORK/first.txt" || fail "first SSE client failed"
last=$("$PY" -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin if "\"id\"" in l][-1])' \
       <"$WORK/first.txt")
sleep 1 # the feeder goes on: the client misses about five ticks

# check_resume FILE: the events' ids are exactly the stream's ids after
# $last, in order, with no gap and no duplicate, and more than the missed ones.
check_resume() {
    redis-cli -p "$REDIS_PORT" XRANGE cryptopulse:history "($last" + | grep -E '^[0-9]+-[0-9]+$' \
        >"$WORK/stream_ids.txt"
    "$PY" - "$1" "$WORK/stream_ids.txt" "$2" <<'PYEOF' || fail "resume from $last ($2) is wrong"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if '"id"' in l]
ids = [e["id"] for e in events]
stream = [l.strip() for l in open(sys.argv[2])]
assert len(ids) >= 7, f"only {len(ids)} events"
assert ids == stream[:len(ids)], f"got {ids[:8]}..., stream after the resume point {stream[:8]}..."
want = "price-update-bulk" if sys.argv[3] != "BTC" else "price-update"
assert all(e["event"] == want for e in events), {e["event"] for e in events}
print(f"{sys.argv[3]}: {len(ids)} events, exactly the stream's ticks after the resume point")
PYEOF
}
sse "$base/events" 1.5 "$last" >"$WORK/resumed.txt" || fail "resuming SSE client failed"
check_resume "$WORK/resumed.txt" "Last-Event-ID"
sse "$base/events?symbols=BTC&lastEventId=$last" 1.5 >"$WORK/resumed_q.txt" \
    || fail "resuming with ?lastEventId= failed"
check_resume "$WORK/resumed_q.txt" BTC

# WebSocket subscribe with "since" replays the same way.
within 30 "$PY" - "$GATEWAY_PORT" "$last" >"$WORK/resumed_ws.txt" <<'PYEOF' || fail "WebSocket since failed"
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.recv()
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"], "since": sys.argv[2]}}))
        loop = asyncio.get_running_loop()
        end = loop.time() + 1.5
        while loop.time() < end:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), end - loop.time()))
            except asyncio.TimeoutError:
                break
            if m["event"] == "price-update-bulk":
                assert "snapshot" not in m["data"], "a replayed tick is marked as a snapshot"
                print(json.dumps({"id": m["data"]["id"], "event": m["event"]}))
asyncio.run(main())
PYEOF
check_resume "$WORK/resumed_ws.txt" "WebSocket since"

# A WebSocket "since" that cannot be replayed: the first price-update-bulk
# is the current prices marked "snapshot": true, then plain ticks.
for id in 1-0 not-an-id; do
    within 30 "$PY" - "$GATEWAY_PORT" "$id" <<'PYEOF' || fail "WebSocket since $id did not get a marked snapshot"
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.recv()
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"], "since": sys.argv[2]}}))
        bulks = []
        while len(bulks) < 3:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m["event"] == "price-update-bulk":
                bulks.append(m["data"])
        assert bulks[0].get("snapshot") is True and bulks[0]["prices"], bulks[0]
        assert all("snapshot" not in b for b in bulks[1:]), bulks[1:]
asyncio.run(main())
PYEOF
done
echo "ok - WebSocket since: an unusable id gets a snapshot marked \"snapshot\": true"

# "since" on a connection that is already live replays nothing: its symbols'
# ticks go on in order, once each, and the added symbol gets the snapshot.
within 30 "$PY" - "$GATEWAY_PORT" >"$WORK/live_since.txt" 2>&1 <<'PYEOF' || fail "since on a live connection: $(tail -n 3 "$WORK/live_since.txt")"
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.recv()
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["BTC"]}}))
        loop = asyncio.get_running_loop()
        btc, events, asked = [], [], False
        end = loop.time() + 2.5
        while loop.time() < end:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), end - loop.time()))
            except asyncio.TimeoutError:
                break
            events.append(m["event"])
            if m["event"] == "price-update" and m["data"]["symbol"] == "BTC":
                btc.append(m["data"]["id"])
            if m["event"] == "price-update-bulk" and asked:
                syms = [p["symbol"] for p in m["data"]["prices"]]
                assert syms == ["ETH"], f"snapshot after the second subscribe holds {syms}"
                print("ETH snapshot")
            if len(btc) == 5 and not asked:
                asked = True
                await ws.send(json.dumps({"event": "subscribe",
                                          "data": {"symbols": ["ETH"], "since": btc[0]}}))
        key = lambda i: tuple(map(int, i.split("-")))
        assert asked and len(btc) >= 8, f"only {len(btc)} BTC updates"
        assert all(key(a) < key(b) for a, b in zip(btc, btc[1:])), f"BTC ids not increasing: {btc}"
        print(f"{len(btc)} BTC updates in order, none twice")
asyncio.run(main())
PYEOF
grep -q '^ETH snapshot$' "$WORK/live_since.txt" || fail "no ETH snapshot: $(cat "$WORK/live_since.txt")"

# A client cut between two events of one tick resumes with the id a browser
# would hold and gets the rest of that tick: only a tick's last event (or an
# id-only block after its events) carries the id.
"$PY" "$top_srcdir/tests/integration/sse_cut.py" "$base/events?symbols=BTC,ETH,SOL" \
    "$REDIS_PORT" || fail "SSE resume after a cut inside a tick lost events"

# Unknown, too old or malformed ids get a "snapshot" event first (the
# price-update-bulk payload), then live ticks.
for id in 1-0 not-an-id 99999999999999-0; do
    sse "$base/events?symbols=ETH" 1 "$id" >"$WORK/snap.txt" || fail "SSE with id $id failed"
    "$PY" - "$WORK/snap.txt" "$id" <<'PYEOF' || fail "id $id did not get a snapshot first"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if '"id"' in l]
assert events and events[0]["event"] == "snapshot", events[:1]
assert [p["symbol"] for p in events[0]["data"]["prices"]] == ["ETH"], events[0]
assert len(events) >= 3 and all(e["event"] == "price-update" for e in events[1:]), events
PYEOF
done

# The stream states the id it resumes from only when it is an id: a
# malformed one is not echoed back ahead of the snapshot.
curl -sN --max-time 1 -H 'Last-Event-ID: 1796529x' "$base/events?symbols=ETH" >"$WORK/raw_bad.txt" || true
head -c 14 "$WORK/raw_bad.txt" | grep -q '^retry: 2000$' || fail "stream does not start with retry: $(head -c 200 "$WORK/raw_bad.txt")"
! grep -q '^id: 1796529x$' "$WORK/raw_bad.txt" || fail "a malformed Last-Event-ID was echoed as the stream's id"
curl -sN --max-time 1 -H 'Last-Event-ID: 1-0' "$base/events?symbols=ETH" >"$WORK/raw_old.txt" || true
grep -q '^id: 1-0$' "$WORK/raw_old.txt" || fail "a well-formed Last-Event-ID was not stated: $(head -c 200 "$WORK/raw_old.txt")"

# The feeder falls silent: keep-alive comments still flow.
stop "$feeder_PID" || true
sse "$base/events" 1.5 >"$WORK/silent.txt" || fail "SSE client failed while the feeder is silent"
[ "$(grep -c '"comment": "keep-alive"' "$WORK/silent.txt")" -ge 2 ] \
    || fail "no keep-alive comments while the feeder is silent"

# A long replay (hundreds of ticks, far past OUTPUT_HIGH_WATER_BYTES) is
# paced by the client's reading, and still complete and in order.
start fast "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 10
sleep 3
stop "$fast_PID" || true
last=$(redis-cli -p "$REDIS_PORT" XRANGE cryptopulse:history - + COUNT 1 | head -n1)
# Under GATEWAY_WRAPPER (valgrind, ~20x slower) it gets more time to read.
sse "$base/events" "$([ -n "${GATEWAY_WRAPPER:-}" ] && echo 12 || echo 4)" "$last" >"$WORK/long.txt" \
    || fail "long replay failed"
check_resume "$WORK/long.txt" "long replay"
[ "$(grep -c '"id"' "$WORK/long.txt")" -ge 250 ] || fail "long replay delivered too few ticks"

# Replays that once went wrong: 250 bad entries after the resume point (the
# gateway re-read one page forever), and big ticks to a slow reader while
# live ticks come (one 200-tick page went out whole, past MAX_OUTPUT_BYTES,
# and the client was dropped).
within 120 "$PY" "$top_srcdir/tests/integration/sse_replay_edges.py" "$GATEWAY_PORT" \
    "$REDIS_PORT" "$WORK/gateway.log" >"$WORK/edges.txt" 2>&1 ||
    fail "replay edges: $(tail -n 4 "$WORK/edges.txt")"
cat "$WORK/edges.txt"

# CORS: everyone allowed by default ("*"); with a list, the listed origin
# gets itself back with Vary, others 403; preflights answered.
curl -s -D "$WORK/h.txt" -o /dev/null -H 'Origin: http://x.example' "$base/history?symbol=BTC&limit=1"
grep -qi '^access-control-allow-origin: \*' "$WORK/h.txt" || fail "no ACAO * without CORS_ORIGINS"
start_gateway --redis-port "$REDIS_PORT" --cors-origins http://ok.example
base=http://127.0.0.1:$GATEWAY_PORT
curl -s -D "$WORK/h.txt" -o /dev/null -X OPTIONS -H 'Origin: http://ok.example' \
    -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: last-event-id' \
    "$base/events"
grep -q '^HTTP/1.1 204' "$WORK/h.txt" || fail "preflight not 204: $(head -1 "$WORK/h.txt")"
grep -qi '^access-control-allow-origin: http://ok.example' "$WORK/h.txt" || fail "preflight ACAO"
grep -qi '^access-control-allow-headers:.*last-event-id' "$WORK/h.txt" || fail "preflight headers"
grep -qi '^vary: origin' "$WORK/h.txt" || fail "preflight Vary"
status=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://bad.example' "$base/events")
[ "$status" = 403 ] || fail "preflight from a refused origin gave $status"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H 'Origin: http://bad.example' "$base/events")
[ "$status" = 403 ] || fail "SSE from a refused origin gave $status"
curl -s -D "$WORK/h.txt" -o /dev/null -H 'Origin: http://ok.example' "$base/stats"
grep -qi '^access-control-allow-origin: http://ok.example' "$WORK/h.txt" || fail "JSON responses lack ACAO"
echo "PASS: $TEST_NAME"
