#!/bin/bash
# history_bench.sh: how many /history?symbol=BTC&interval=1m&limit=1440
# requests per second (a day of 1-minute candles, about 80 kB of JSON) are
# answered by the gateway directly and by cryptopulse-fcgi behind Apache
# (the shipped site, apache/cryptopulse.conf, in a private apache2 on
# loopback: mod_proxy_fcgi to one cryptopulse-fcgi --listen), after
# `cryptopulse-feeder --backfill` of ../shared/data/market.  ab (apache2-utils)
# with keep-alive, CONCURRENCY clients for SECONDS each, two rounds
# interleaved (gateway, Apache, gateway, Apache); prints a markdown table and
# the README row.  Every process is stopped by pid when it ends.
#
#   bench/history_bench.sh [SECONDS] [CONCURRENCY]     (default 5 s, 8)
set -eu
seconds=${1:-5}
concurrency=${2:-8}
case $seconds$concurrency in *[!0-9]*) echo "usage: $0 [SECONDS] [CONCURRENCY]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# The integration tests' helpers: free ports, start/stop by pid, Apache.
. "$top_srcdir/tests/integration/lib.sh"
command -v ab >/dev/null || skip "ab not installed (apt-get install apache2-utils)"
FCGI_BIN=$top_builddir/fcgi/cryptopulse-fcgi
. "$top_srcdir/tests/integration/apache_lib.sh"
csv=$(market_data) || skip "no market data in $SHARED_DIR/data/market (set CRYPTOPULSE_SHARED)"

start_backfilled_site "$csv"

path='/history?symbol=BTC&interval=1m&limit=1440'
direct=http://127.0.0.1:$GW1_PORT$path
proxied=$BASE$path
body=$(curl -s "$direct")
[ "$body" = "$(curl -s "$proxied")" ] || fail "the gateway and Apache + cryptopulse-fcgi differ"
n=$("$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["candles"]))' <<<"$body")
[ "$n" = 1440 ] || fail "$n candles, not 1440"
size=${#body}

# bench URL: requests per second over $seconds s (ab -k), failing on errors.
bench() {
    local out rps failed
    out=$(within $((seconds + 30)) ab -k -q -t "$seconds" -n 1000000 -c "$concurrency" "$1" 2>&1) ||
        fail "ab $1: $out"
    rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' <<<"$out")
    non2xx=$(sed -n 's/^Non-2xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
    [ "$failed" = 0 ] && [ -z "$non2xx" ] || fail "ab $1: $failed failed, ${non2xx:-0} non-2xx"
    printf '%.0f' "$rps"
}
declare -a gw ap
for round in 1 2; do
    gw[$round]=$(bench "$direct")
    ap[$round]=$(bench "$proxied")
done
cores=$(nproc)
echo
echo "| round | gateway direct (req/s) | cryptopulse-fcgi behind Apache (req/s) |"
echo "| --- | --- | --- |"
for round in 1 2; do echo "| $round | ${gw[$round]} | ${ap[$round]} |"; done
echo
echo "README row:"
echo "| /history 1m × 1,440 candles ($size B) | ${gw[1]}, ${gw[2]} req/s | ${ap[1]}, ${ap[2]} req/s |" \
    "ab -k -c $concurrency, $seconds s per round, $cores cores |"
