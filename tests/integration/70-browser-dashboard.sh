#!/usr/bin/env bash
# The dashboard in real headless Chromium against the real stack (Redis, the
# mock feeder, the gateway serving www/): no console errors, a card per
# symbol, prices and flashes within two ticks, latency, the detail chart,
# keyboard and watchlist, the SSE fallback with WebSocket refused, the stale
# marker and reconnection across a gateway restart, no layout shift, and
# screenshots at 1280x800, 768x1024 and 390x844 in the build tree's
# tests/integration/browser/output/.  playwright-core is installed with
# `npm ci` from the committed package-lock.json into the build tree (the
# source tree may be read-only, as in make distcheck); it drives Debian's
# chromium (scripts/install-deps.sh), not a browser of its own.
. "$(dirname "$0")/lib.sh"


need_browser browser dashboard_test.js
dir=$NPM_DIR
out=$dir/output

INTERVAL=300
start_redis
start_gateway --redis-port "$REDIS_PORT" --interval "$INTERVAL"
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval "$INTERVAL"
# Enough history for the sparklines and the detail chart to be drawn.
wait_for 20 sh -c 'curl -sf "$0" | grep -qE "(\[[0-9]+,[0-9.e+-]+\],?){24}"' \
    "http://127.0.0.1:$GATEWAY_PORT/history?symbol=BTC&limit=24" \
    || fail "no 24 BTC ticks in the gateway's history"

# The gateway's static files: MIME types, validators, 304 and gzip.
base=http://127.0.0.1:$GATEWAY_PORT
for f in /:text/html /app.js:text/javascript /cryptopulse.js:text/javascript /style.css:text/css \
    /candles.js:text/javascript /vendor/lightweight-charts.standalone.production.js:text/javascript \
    /favicon.svg:image/svg+xml; do
    curl -sf -o /dev/null -D "$WORK/h" "$base${f%%:*}" || fail "GET ${f%%:*}"
    grep -qi "^content-type: ${f#*:}" "$WORK/h" || fail "${f%%:*} is not served as ${f#*:}"
done
etag=$(curl -sf -D - -o /dev/null "$base/app.js" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
[ -n "$etag" ] || fail "no ETag on /app.js"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base/app.js")
[ "$code" = 304 ] || fail "If-None-Match with the ETag gave $code, not 304"
curl -sf -D - -o "$WORK/app.js.gz" -H 'Accept-Encoding: gzip' "$base/app.js" | grep -qi '^content-encoding: gzip' \
    || fail "/app.js is not gzipped for a client that accepts gzip"
gzip -dc "$WORK/app.js.gz" | cmp -s - "$top_srcdir/www/app.js" || fail "gzipped /app.js differs from www/app.js"
echo "ok - static files: MIME types, ETag and 304, gzip"

# The node script asks for the gateway restart through files in $ctl.
ctl=$WORK/control
mkdir -p "$ctl"
rm -rf "$out"
node "$dir/dashboard_test.js" "$base/" "$out" "$ctl" >"$WORK/browser.out" 2>&1 &
node_pid=$!
PIDS+=("$node_pid")
deadline=$(( $(date +%s) + 240 ))
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
    if [ -f "$ctl/trim" ] && [ ! -f "$ctl/trimmed" ]; then
        # The resume point leaves history while the gateway is away.
        stop "$gateway_PID" || true
        redis-cli -p "$REDIS_PORT" XTRIM cryptopulse:history MAXLEN 0 >/dev/null
        sleep 1
        start gateway "$top_builddir/gateway/cryptopulse-gateway" --port "$GATEWAY_PORT" \
            --www-root "$top_srcdir/www" --redis-port "$REDIS_PORT" --interval "$INTERVAL"
        wait_for 10 curl -sf -o /dev/null "$base/stats" || fail "gateway did not restart"
        touch "$ctl/trimmed"
    fi
    sleep 0.1
done
rc=0
wait "$node_pid" || rc=$?
forget "$node_pid"
cat "$WORK/browser.out"
[ "$rc" = 0 ] || fail "browser checks failed"
for s in 1280x800 768x1024 390x844; do
    [ -s "$out/dashboard-$s.png" ] || fail "no screenshot $out/dashboard-$s.png"
done
echo "screenshots in $out"
echo "PASS: $TEST_NAME"
