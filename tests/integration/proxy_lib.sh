# Shared by 65-proxy-apache.sh and 66-proxy-lighttpd.sh: the stack behind
# the proxy (Redis, feeder, two gateways, the FastCGI daemon) and the checks
# made through it.  Source after lib.sh.

INTERVAL_MS=1000
PY_CLIENT=$top_srcdir/tests/integration/proxy_client.py
FCGI_BIN=$top_builddir/fcgi/cryptopulse-fcgi

failures=0
ok() { echo "ok - $*"; }
not_ok() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: pass when COMMAND succeeds
    local what=$1; shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

need_stack_tools() {
    local tool
    for tool in redis-server redis-cli curl gzip; do
        command -v "$tool" >/dev/null || skip "$tool not installed (scripts/install-deps.sh)"
    done
    "$PY" -c 'import websockets' 2>/dev/null ||
        skip "python3-websockets not installed for $PY (scripts/install-deps.sh)"
}

# Redis, a feeder, gateways "one" on 127.0.0.1:GW1_PORT and "two" on
# 127.0.0.2:GW2_PORT (as if on another host; any 127/8 address is local
# on Linux), and
# cryptopulse-fcgi on FCGI_PORT, all reading ENV_FILE like installed ones.
start_stack() {
    start_redis
    ENV_FILE=$WORK/cryptopulse.env
    printf '%s\n' "REDIS_PORT=$REDIS_PORT" "UPDATE_INTERVAL_MS=$INTERVAL_MS" \
        "STATS_INTERVAL_MS=200" "LOG_LEVEL=warn" >"$ENV_FILE"
    chmod 644 "$ENV_FILE"
    start feeder "$top_builddir/feeder/cryptopulse-feeder" --config "$ENV_FILE"
    start_gateway --config "$ENV_FILE" --instance-id one
    GW1_PORT=$GATEWAY_PORT
    GW2_PORT=$(free_port)
    start gateway2 "$top_builddir/gateway/cryptopulse-gateway" --config "$ENV_FILE" \
        --instance-id two --host 127.0.0.2 --port "$GW2_PORT" --www-root "$top_srcdir/www"
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.2:$GW2_PORT/stats" ||
        fail "gateway two did not start"
    start_fcgi "$ENV_FILE"
    wait_for 5 sh -c "redis-cli -p $REDIS_PORT get cryptopulse:feeder:heartbeat | grep -q ." ||
        fail "the feeder wrote no tick"
}

http_status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
has() { grep -q -- "$2" <<<"$1"; }

# The checks every proxy must pass; BASE is the proxy's URL, CGI_PATH the
# path of the CGI variant.
proxy_checks() {
    local r hdr st

    # /health through FastCGI, with Redis connected.
    r=$(curl -s -D "$WORK/h.hdr" "$BASE/health")
    check "/health 200 through the proxy" [ "$(http_status "$BASE/health")" = 200 ]
    check "/health JSON: ok, Redis connected" has "$r" '"status":"ok","redis":{"connected":true'
    check "/health: Cache-Control no-store" grep -qi '^Cache-Control: no-store' "$WORK/h.hdr"
    check "/health HEAD 200" [ "$(http_status -I "$BASE/health")" = 200 ]
    hdr=$(curl -s -o /dev/null -D - -d "" "$BASE/health")
    check "/health POST 405 with Allow" has "$hdr" $'^Allow: GET, HEAD\r$'

    # /history through FastCGI.
    r=$(curl -s "$BASE/history?symbol=BTC&limit=3")
    check "/history points through the proxy" has "$r" '^{"symbol":"BTC","points":\[\[[0-9]*,[0-9.]*\]'
    check "/history bad limit 400" [ "$(http_status "$BASE/history?symbol=BTC&limit=x")" = 400 ]

    # The CGI variant.
    r=$(curl -s "$BASE$CGI_PATH/health")
    check "CGI $CGI_PATH/health 200" [ "$(http_status "$BASE$CGI_PATH/health")" = 200 ]
    check "CGI /health JSON ok" has "$r" '"status":"ok"'

    # The dashboard, gzip-compressed.
    curl -s -H 'Accept-Encoding: gzip' -D "$WORK/d.hdr" -o "$WORK/index.gz" "$BASE/"
    check "dashboard 200" grep -q '^HTTP/1.1 200' "$WORK/d.hdr"
    check "dashboard gzip-compressed" grep -qi '^Content-Encoding: gzip' "$WORK/d.hdr"
    check "dashboard body is the page" sh -c "gzip -dc '$WORK/index.gz' | grep -qi '<html'"
    curl -s -H 'Accept-Encoding: gzip' -D "$WORK/j.hdr" -o /dev/null "$BASE/app.js"
    check "app.js gzip-compressed" grep -qi '^Content-Encoding: gzip' "$WORK/j.hdr"
    check "app.js has a Cache-Control" grep -qi '^Cache-Control: .*max-age' "$WORK/j.hdr"

    # WebSocket and SSE through the proxy.
    check "WebSocket through the proxy receives ticks" \
        "$PY" "$PY_CLIENT" ws "${BASE/http:/ws:}/ws" 5
    check "SSE through the proxy: first event within one interval" \
        "$PY" "$PY_CLIENT" sse "$BASE/events" "$INTERVAL_MS"
    check "SSE through the proxy: a cut inside a tick resumes with nothing lost" \
        "$PY" "$top_srcdir/tests/integration/sse_cut.py" "$BASE/events?symbols=BTC,ETH" \
        "$REDIS_PORT"
}

# Hold COUNT WebSocket clients through the proxy (from SOURCE addresses, if
# given); then /stats through the proxy must count them and show both
# gateways serving some.
balancer_checks() {
    local count=$1; shift
    start holders "$PY" -u "$PY_CLIENT" hold "${BASE/http:/ws:}/ws" "$count" "$@"
    wait_for 10 grep -q '^ready' "$WORK/holders.log" || { not_ok "$count clients connected"; return; }
    ok "$count WebSocket clients connected through the proxy"
    stats_ok() {
        curl -sf "$BASE/stats" | "$PY" -c '
import json, sys
d, n = json.load(sys.stdin), int(sys.argv[1])
per = {}
for w in d["workers"]:
    per[w["instance"]] = per.get(w["instance"], 0) + w["websocket"]["current"]
print("stats: websocket.current", d["websocket"]["current"], "per gateway", per)
assert d["websocket"]["current"] >= n and d["instances"] == 2, d
assert per.get("one", 0) > 0 and per.get("two", 0) > 0, per' "$count"
    }
    # Counters reach Redis every STATS_INTERVAL_MS (200 ms).
    check "/stats counts the clients, both gateways serve some" wait_for 5 stats_ok
    stats_ok || true
    stop "$holders_PID" || true
}

# Stop Redis: /health through the proxy must turn 503 within a second.
redis_down_check() {
    stop "$redis_PID" || true
    local t0 st elapsed
    t0=$(now_ms)
    while :; do
        st=$(http_status -m 2 "$BASE/health")
        elapsed=$(($(now_ms) - t0))
        [ "$st" = 503 ] || [ "$elapsed" -ge 1000 ] && break
        sleep 0.05
    done
    check "/health 503 ${elapsed} ms after Redis stopped (< 1000)" \
        test "$st" = 503 -a "$elapsed" -lt 1000
    check "/stats 503 without Redis" [ "$(http_status -m 2 "$BASE/stats")" = 503 ]
}
