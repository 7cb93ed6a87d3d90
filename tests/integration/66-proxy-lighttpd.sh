#!/usr/bin/env bash
# 66-proxy-lighttpd: the shipped lighttpd configuration (lighttpd/cryptopulse.conf
# from the build tree, its var.* settings pointed at test ports) in a private
# lighttpd (lighttpd -D -f, own config and loopback port) in front of Redis, a
# feeder and two gateways; lighttpd spawns cryptopulse-fcgi (bin-path).
# Through lighttpd: /health, /stats, /history via mod_fastcgi, the CGI variant
# (mod_cgi), the dashboard gzip-compressed (mod_deflate), WebSocket and SSE
# through mod_proxy (SSE unbuffered), both gateways serving clients, /metrics
# for 127.0.0.1 only, streams served with one gateway down (lighttpd's
# passive failover), and /health 503 within a second of Redis stopping.  Exit 77 without lighttpd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
MODULES=${LIGHTTPD_MODULES:-/usr/lib/lighttpd}
[ -x "$LIGHTTPD" ] || skip "lighttpd not installed (scripts/install-deps.sh installs it)"
[ -f "$MODULES/mod_deflate.so" ] || skip "lighttpd's mod_deflate is not installed (lighttpd-mod-deflate)"
need_stack_tools
SITE=$top_builddir/lighttpd/cryptopulse.conf
[ -f "$SITE" ] || fail "$SITE not built (make)"

start_stack
# lighttpd spawns its own cryptopulse-fcgi; the stack's daemon is not needed.
stop "$fcgi_PID" || true

# ---- a private lighttpd ---------------------------------------------------------
LPORT=$(free_port)
ROOT=$WORK/lighttpd
mkdir -p "$ROOT"
sed -e "s|^var.cryptopulse_gateway1_port = .*|var.cryptopulse_gateway1_port = $GW1_PORT|" \
    -e "s|^var.cryptopulse_gateway2_port = .*|var.cryptopulse_gateway2_port = $GW2_PORT|" \
    -e "s|^var.cryptopulse_gateway2_host = .*|var.cryptopulse_gateway2_host = \"127.0.0.2\"|" \
    -e "s|^var.cryptopulse_www = .*|var.cryptopulse_www = \"$top_srcdir/www\"|" \
    -e "s|^var.cryptopulse_env = .*|var.cryptopulse_env = \"$ENV_FILE\"|" \
    -e "s|^var.cryptopulse_fcgi_socket = .*|var.cryptopulse_fcgi_socket = \"$ROOT/fcgi.socket\"|" \
    -e "s|\"[^\" ]*/cryptopulse-fcgi\"|\"$FCGI_BIN\"|" \
    "$SITE" >"$ROOT/site.conf"
grep -q "$GW2_PORT" "$ROOT/site.conf" || fail "could not point $SITE at the test ports"

cat >"$ROOT/lighttpd.conf" <<CONF
# As Debian's lighttpd.conf sets them, on a loopback test port.
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect" )
server.bind = "127.0.0.1"
server.port = $LPORT
server.errorlog = "$WORK/lighttpd.log"
server.document-root = "$top_srcdir/www"
mimetype.assign = ( ".html" => "text/html; charset=utf-8", ".css" => "text/css; charset=utf-8",
                    ".js" => "text/javascript; charset=utf-8", ".svg" => "image/svg+xml",
                    ".json" => "application/json" )
include "$ROOT/site.conf"
CONF

"$LIGHTTPD" -tt -m "$MODULES" -f "$ROOT/lighttpd.conf" >>"$WORK/lighttpd.log" 2>&1 ||
    fail "lighttpd -tt refused the configuration: $(tail -n 5 "$WORK/lighttpd.log")"
start lighttpd "$LIGHTTPD" -D -m "$MODULES" -f "$ROOT/lighttpd.conf"
BASE=http://127.0.0.1:$LPORT
wait_for 10 curl -sf -o /dev/null "$BASE/health" || fail "lighttpd did not answer /health on $LPORT"
echo "$("$LIGHTTPD" -v | head -n1) on $LPORT, gateways on 127.0.0.1:$GW1_PORT and 127.0.0.2:$GW2_PORT"

CGI_PATH=/cgi/cryptopulse
proxy_checks
# "fair" balancing: the fewest open streams wins, so 6 clients split.
balancer_checks 6
# /metrics: proxied to a gateway for 127.0.0.1, refused to anyone else.
r=$(curl -s "$BASE/metrics")
check "/metrics through lighttpd from 127.0.0.1" has "$r" '^cryptopulse_.*gateway="'
check "/metrics through lighttpd has both gateways" \
    test "$(grep -c 'gateway="one"' <<<"$r")" -gt 0 -a "$(grep -c 'gateway="two"' <<<"$r")" -gt 0
check "/metrics through lighttpd refused from 127.0.0.2" \
    [ "$(http_status --interface 127.0.0.2 "$BASE/metrics")" = 403 ]
# Passive failover: with gateway two gone, every stream goes to gateway one.
stop "$gateway2_PID" || true
for i in 1 2 3 4; do
    check "SSE through lighttpd with gateway two down ($i)" \
        "$PY" "$PY_CLIENT" sse "$BASE/events" "$INTERVAL_MS"
done
redis_down_check

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "PASS: $TEST_NAME: all checks passed"
