#!/usr/bin/env bash
# 65-proxy-apache: the shipped Apache site configuration (apache/cryptopulse.conf
# from the build tree, its Define lines pointed at test ports) in a private
# Debian apache2 (own ServerRoot, config and loopback port; not the system
# service) in front of Redis, a feeder, two gateways and cryptopulse-fcgi.
# Through Apache: /health, /stats, /history via mod_proxy_fcgi, the CGI
# variant, the dashboard gzip-compressed, WebSocket and SSE through the
# balancer (SSE unbuffered), both gateways serving clients, /metrics for
# 127.0.0.1 only, and /health 503 within a second of Redis stopping.  Exit 77 without apache2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/apache_lib.sh"

need_stack_tools
start_stack

start_apache

CGI_PATH=/cgi/cryptopulse
proxy_checks
# Without a cookie mod_proxy_balancer alternates (byrequests); the first
# answer sets the sticky CPROUTE cookie.
hdr=$(curl -s -o /dev/null -D - "$BASE/events" -m 1 || true)
check "the balancer sets the sticky-session cookie" has "$hdr" "Set-Cookie: CPROUTE=\\.\\($GW1_PORT\\|$GW2_PORT\\)"
balancer_checks 6
# /metrics: proxied to a gateway for 127.0.0.1, refused to anyone else.
r=$(curl -s "$BASE/metrics")
check "/metrics through Apache from 127.0.0.1" has "$r" '^cryptopulse_.*gateway="'
check "/metrics through Apache has gateway one" has "$r" 'gateway="one"'
check "/metrics through Apache has gateway two" has "$r" 'gateway="two"'
check "/metrics through Apache refused from 127.0.0.2" \
    [ "$(http_status --interface 127.0.0.2 "$BASE/metrics")" = 403 ]
redis_down_check

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "PASS: $TEST_NAME: all checks passed"
