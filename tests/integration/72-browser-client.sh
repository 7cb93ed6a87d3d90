#!/usr/bin/env bash
# The browser client library (www/cryptopulse.js) and <cryptopulse-ticker>
# in real headless Chromium against the real stack (Redis, the mock feeder,
# the gateway serving www/): the example page shows live prices in both
# variants with no console errors and no layout shift; with WebSocket
# refused the widget falls back to SSE; across a gateway restart it
# recovers and has seen every tick id of Redis's history stream once;
# two, then five tabs cost the gateway one WebSocket; closing the leader tab
# hands over without a gap (SharedWorker and BroadcastChannel sharing);
# reduced motion turns the flash off; screenshots at 1280x800, 768x1024 and
# 390x844 in the build tree's tests/integration/client_browser/output/.
# playwright-core comes from the committed package-lock.json, as in
# 70-browser-dashboard.sh, and drives Debian's chromium.
. "$(dirname "$0")/lib.sh"

command -v redis-cli >/dev/null || skip "redis-cli not installed (the tick ids are checked against Redis)"

need_browser client_browser client_test.js
dir=$NPM_DIR
out=$dir/output

INTERVAL=300
start_redis
start_gateway --redis-port "$REDIS_PORT" --interval "$INTERVAL"
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval "$INTERVAL"
wait_for 20 sh -c 'curl -sf "$0" | grep -q "\"status\":\"ok\""' "http://127.0.0.1:$GATEWAY_PORT/health" \
    || fail "the gateway has no ticks from the feeder"

base=http://127.0.0.1:$GATEWAY_PORT
for f in /cryptopulse.js /cryptopulse-ticker.js /examples/index.html; do
    curl -sf -o /dev/null -D "$WORK/h" "$base$f" || fail "GET $f"
done
echo "ok - the gateway serves cryptopulse.js, cryptopulse-ticker.js and /examples/index.html"

# The node script asks for the gateway restart through files in $ctl, and
# reads Redis's history stream (REDIS_PORT, cryptopulse: prefix) itself.
# A page of another origin (another port) that embeds the widget from the
# gateway; the gateway's static files carry CORS headers.
acao=$(curl -sf -D - -o /dev/null -H 'Origin: http://blog.example' "$base/cryptopulse-ticker.js" \
    | tr -d '\r' | sed -n 's/^[Aa]ccess-[Cc]ontrol-[Aa]llow-[Oo]rigin: //p')
[ "$acao" = '*' ] || fail "cryptopulse-ticker.js has no Access-Control-Allow-Origin: * for another origin ('$acao')"
echo "ok - static files carry Access-Control-Allow-Origin"
mkdir -p "$WORK/xo"
cat >"$WORK/xo/index.html" <<EOF
<!doctype html><meta charset="utf-8"><title>Another site</title><link rel="icon" href="data:,">
<p>A page of another origin.</p>
<script type="module" src="$base/cryptopulse-ticker.js"></script>
<cryptopulse-ticker id="xo" symbols="BTC,ETH" variant="strip"></cryptopulse-ticker>
EOF
XO_PORT=$(free_port)
start xo /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$WORK/xo" "$XO_PORT"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$XO_PORT/" || fail "the other origin's server did not start"
export XO_URL="http://localhost:$XO_PORT/"

ctl=$WORK/control
mkdir -p "$ctl"
rm -rf "$out"
REDIS_PORT=$REDIS_PORT node "$dir/client_test.js" "$base/" "$out" "$ctl" >"$WORK/browser.out" 2>&1 &
node_pid=$!
PIDS+=("$node_pid")
deadline=$(( $(date +%s) + 200 ))
while kill -0 "$node_pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$WORK/browser.out"; fail "browser test timed out"; }
    if [ -f "$ctl/stop" ] && [ ! -f "$ctl/stopped" ]; then
        stop "$gateway_PID" || true
        touch "$ctl/stopped"
    fi
    if [ -f "$ctl/start" ] && [ ! -f "$ctl/started" ]; then
        start gateway "$top_builddir/gateway/cryptopulse-gateway" --port "$GATEWAY_PORT" \
            --www-root "$top_srcdir/www" --redis-port "$REDIS_PORT" --interval "$INTERVAL"
        wait_for 10 curl -sf -o /dev/null "$base/stats" || fail "gateway did not restart"
        touch "$ctl/started"
    fi
    sleep 0.1
done
rc=0
wait "$node_pid" || rc=$?
forget "$node_pid"
cat "$WORK/browser.out"
[ "$rc" = 0 ] || fail "browser checks failed"
for s in 1280x800 768x1024 390x844; do
    [ -s "$out/example-$s.png" ] || fail "no screenshot $out/example-$s.png"
done
echo "screenshots in $out"
echo "PASS: $TEST_NAME"
