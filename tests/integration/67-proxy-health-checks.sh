#!/usr/bin/env bash
# 67-proxy-health-checks: the shipped Apache site's active health checks
# (mod_proxy_hcheck on GET /health/live) in a private apache2 in front of two
# gateways.  With the feeder stopped, /health is 503 on both gateways but
# /health/live stays 200, both stay in every balancer, and Apache still
# proxies /ws and /events; a gateway that is really down is taken out of the
# balancers by the health check alone (no client request needed) and comes
# back once it runs again.  Exit 77 without apache2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/apache_lib.sh"

need_stack_tools
start_stack
# Health checks every second instead of every 5 s, to keep the test short.
start_apache -e "s|^Define cryptopulse_hcinterval .*|Define cryptopulse_hcinterval 1|"
GW1=http://127.0.0.1:$GW1_PORT
GW2=http://127.0.0.2:$GW2_PORT

# members_ok PORT ok|out: every balancer member for PORT is usable (ok) or
# taken out by a failed health check (out), as the balancer-manager says.
members() {
    curl -s "$BASE/balancer-manager" | "$PY" -c '
import re, sys
html, port, want = sys.stdin.read(), sys.argv[1], sys.argv[2]
rows = re.findall(r"<tr>\s*<td><a href=\"[^\"]*\">http://[^<]*:%s</a>(.*?)</tr>" % port, html, re.S)
states = [re.sub(r"<[^>]*>", " ", r) for r in rows]
hc = [("HcFl" in s) for s in states]
print("port", port, "members", len(rows), "health check failed" if any(hc) else "ok")
sys.exit(0 if len(rows) == int(sys.argv[3]) and (any(hc) if want == "out" else not any(hc)) else 1)' \
        "$1" "$2" "$(grep -c '^ *<Proxy "balancer://' "$ROOT/site.conf")"
}

check "the site's balancers check each gateway's /health/live" \
    grep -q 'hcuri=/health/live' "$ROOT/site.conf"
both_in() { members "$GW1_PORT" ok && members "$GW2_PORT" ok; }
check "both gateways in every balancer at start" wait_for 5 both_in
st=$(curl -s "$GW1/health/live")
check "/health/live 200 live on gateway one" has "$st" '"status":"live"'

# ---- the feeder stops: /health 503 everywhere, /health/live 200 ----------
stop "$feeder_PID" || true
both_degraded() {
    [ "$(http_status "$GW1/health")" = 503 ] && [ "$(http_status "$GW2/health")" = 503 ]
}
# The last tick turns stale after 3 intervals (3 s).
check "/health 503 on both gateways once the feeder is gone" wait_for 10 both_degraded
check "/health/live still 200 on gateway one" [ "$(http_status "$GW1/health/live")" = 200 ]
check "/health/live still 200 on gateway two" [ "$(http_status "$GW2/health/live")" = 200 ]
check "/health through Apache (FastCGI) 503 too" [ "$(http_status "$BASE/health")" = 503 ]
sleep 3 # three health-check rounds
check "gateway one still in every balancer" members "$GW1_PORT" ok
check "gateway two still in every balancer" members "$GW2_PORT" ok

# A WebSocket client through Apache gets welcome and the cached prices.
cat >"$WORK/ws_snapshot.py" <<'PYEOF'
import asyncio, json, sys, websockets
async def main(url):
    async with websockets.connect(url, open_timeout=5) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["event"] == "welcome"
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["*"]}}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m["event"] == "price-update-bulk":
                print("ws: snapshot of", len(m["data"]["prices"]), "prices")
                return
asyncio.run(main(sys.argv[1]))
PYEOF
sse_open() { # an SSE stream through Apache opens and carries the snapshot
    curl -s -N -m 2 -D "$WORK/sse.hdr" "$BASE/events" >"$WORK/sse.body" || true
    grep -q '^HTTP/1.1 200' "$WORK/sse.hdr" && grep -qi '^Content-Type: text/event-stream' \
        "$WORK/sse.hdr" && grep -q '^data:' "$WORK/sse.body"
}
for i in 1 2; do # byrequests: one request to each gateway
    check "WebSocket through Apache without a feeder ($i)" within 15 "$PY" "$WORK/ws_snapshot.py" "${BASE/http:/ws:}/ws"
    check "SSE through Apache without a feeder ($i)" sse_open
done

# ---- gateway two really goes down: the health check takes it out --------
stop "$gateway2_PID" || true
check "the health check takes gateway two out of every balancer" \
    wait_for 10 members "$GW2_PORT" out
check "gateway one stays in" members "$GW1_PORT" ok
check "Apache's log names the failed check" grep -q "$GW2_PORT" "$WORK/apache.log"
for i in 1 2 3 4; do
    check "SSE through Apache with gateway two down ($i)" sse_open
done
start gateway2 "$top_builddir/gateway/cryptopulse-gateway" --config "$ENV_FILE" \
    --instance-id two --host 127.0.0.2 --port "$GW2_PORT" --www-root "$top_srcdir/www"
check "gateway two is back in every balancer once it runs again" \
    wait_for 10 members "$GW2_PORT" ok

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "PASS: $TEST_NAME: all checks passed"
