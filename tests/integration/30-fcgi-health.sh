#!/bin/bash
# 30-fcgi-health: cryptopulse-fcgi answering /health (and /stats, /history) as CGI (one request from
# the environment), as FastCGI on its own --listen socket (TCP and Unix), and
# as FastCGI on an inherited socket on fd 0 (as mod_fcgid and spawn-fcgi start
# it), against a throwaway redis-server.  Exit 77 (skip) without redis-server,
# redis-cli, cgi-fcgi (Debian: libfcgi-bin) or /usr/bin/python3.
. "$(dirname "$0")/lib.sh"

BIN=$top_builddir/fcgi/cryptopulse-fcgi

for tool in redis-server redis-cli cgi-fcgi; do
    command -v "$tool" >/dev/null || skip "$tool not installed (apt-get install redis-server libfcgi-bin)"
done
[ -x "$PY" ] || skip "$PY not installed (apt-get install python3)"
[ -x "$BIN" ] || fail "$BIN not built"

# Every check runs and reports; the test fails at the end if any failed.
failures=0
ok() { echo "ok - $*"; }
not_ok() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: pass when COMMAND succeeds
    local what=$1; shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# ---- a throwaway Redis ------------------------------------------------------
start_redis
rcli() { redis-cli -p "$REDIS_PORT" "$@" >/dev/null; }
redis_version=$(redis-cli -p "$REDIS_PORT" info server | sed -n 's/^redis_version:\([^\r]*\).*/\1/p')

PREFIX=cptest30:
HEARTBEAT=${PREFIX}feeder:heartbeat
# Settings every run gets; nothing else leaks in from the caller's environment.
settings=(REDIS_HOST=127.0.0.1 REDIS_PORT="$REDIS_PORT" REDIS_PREFIX="$PREFIX"
          UPDATE_INTERVAL_MS=1000 LOG_LEVEL=warn PATH="$PATH")

cgi() { # cgi VAR=value...: run as a CGI program, print the response
    within 10 env -i "${settings[@]}" GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
        REQUEST_METHOD=GET "$@" "$BIN" </dev/null 2>>"$WORK/cgi.log"
}

status_of() { sed -n '1s/^Status: \([0-9]*\).*/\1/p' <<<"$1"; }
body_of() { sed '1,/^\r$/d' <<<"$1"; }
has() { grep -q -- "$2" <<<"$1"; }
length_matches() { # Content-Length equals the body's byte count
    local want; want=$(sed -n 's/^Content-Length: \([0-9]*\)\r$/\1/p' <<<"$1")
    [ "$want" = "$(printf %s "$(body_of "$1")" | wc -c)" ]
}

# ---- every --help option and setting is in the man page ------------------------
man=$top_srcdir/man/cryptopulse-fcgi.1
for word in $(within 10 "$BIN" --help | grep -o -e '--[a-z][a-z-]*' -e '\[[A-Z_]*' | tr -d '[' | sort -u); do
    check "man page documents $word" grep -q -e "${word//-/\\\\-}" -e "$word" "$man"
done

# ---- CGI ---------------------------------------------------------------------
r=$(cgi PATH_INFO=/health SCRIPT_NAME=/cgi-bin/cryptopulse-fcgi)
check "CGI: no heartbeat gives 503" [ "$(status_of "$r")" = 503 ]
check "CGI: no heartbeat is degraded" has "$r" '"status":"degraded","reason":"no feeder heartbeat"'
check "CGI: Redis connected" has "$r" '"redis":{"connected":true'
check "CGI: Redis version $redis_version" has "$r" "\"version\":\"$redis_version\""
check "CGI: JSON content type" has "$r" $'^Content-Type: application/json\r$'
check "CGI: no-store" has "$r" $'^Cache-Control: no-store\r$'
check "CGI: Content-Length matches" length_matches "$r"

rcli set "$HEARTBEAT" "$(now_ms)"
r=$(cgi PATH_INFO=/health SCRIPT_NAME=/cgi-bin/cryptopulse-fcgi)
check "CGI: fresh heartbeat gives 200" [ "$(status_of "$r")" = 200 ]
check "CGI: fresh heartbeat is ok" has "$r" '{"status":"ok","redis":{"connected":true,"latency_ms":'
check "CGI: tick age reported" has "$r" '"feeder":{"last_tick_age_ms":[0-9]*,"ticks":null}'
check "CGI: Content-Length matches" length_matches "$r"

r=$(cgi SCRIPT_NAME=/health REQUEST_URI=/health) # mod_proxy_fcgi-style variables
check "CGI: SCRIPT_NAME=/health routes to health" [ "$(status_of "$r")" = 200 ]
r=$(cgi REQUEST_URI='/fcgi/health?x=1')
check "CGI: REQUEST_URI alone routes to health" [ "$(status_of "$r")" = 200 ]

rcli set "$HEARTBEAT" $(($(now_ms) - 10000))
r=$(cgi PATH_INFO=/health)
check "CGI: stale heartbeat gives 503" [ "$(status_of "$r")" = 503 ]
check "CGI: stale heartbeat is degraded" has "$r" '"status":"degraded","reason":"last feeder tick'
rcli set "$HEARTBEAT" "$(now_ms)"

r=$(cgi REQUEST_METHOD=HEAD PATH_INFO=/health)
check "CGI: HEAD gives 200" [ "$(status_of "$r")" = 200 ]
check "CGI: HEAD has Content-Length" has "$r" '^Content-Length: [1-9]'
check "CGI: HEAD has no body" [ -z "$(body_of "$r")" ]

r=$(cgi PATH_INFO=/nope)
check "CGI: unknown path gives 404" [ "$(status_of "$r")" = 404 ]
check "CGI: 404 body" has "$r" '{"error":"not_found"'
r=$(cgi REQUEST_METHOD=POST PATH_INFO=/health CONTENT_LENGTH=0)
check "CGI: POST gives 405" [ "$(status_of "$r")" = 405 ]
check "CGI: 405 has Allow" has "$r" $'^Allow: GET, HEAD\r$'

# Apache mod_cgi turns an indexed query (no '=') into arguments.
r=$(within 10 env -i "${settings[@]}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/health \
    QUERY_STRING=--help "$BIN" --help </dev/null 2>>"$WORK/cgi.log")
check "CGI: ?--help query is not taken as an option" [ "$(status_of "$r")" = 200 ]
r=$(cgi PATH_INFO=/health QUERY_STRING=foo)
check "CGI: query without arguments still answers" [ "$(status_of "$r")" = 200 ]

# ---- FastCGI -----------------------------------------------------------------
fcgi_get() { # fcgi_get ADDR VAR=value...: one request through cgi-fcgi
    local addr=$1; shift
    within 10 env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
        SCRIPT_NAME=/health REQUEST_URI=/health "$@" \
        cgi-fcgi -bind -connect "$addr" </dev/null
}

FPORT=$(free_port)
start fcgi_tcp env -i "${settings[@]}" "$BIN" --listen "127.0.0.1:$FPORT"
wait_for 5 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FPORT))" ||
    fail "cryptopulse-fcgi did not listen on 127.0.0.1:$FPORT"
for i in 1 2 3; do
    r=$(fcgi_get "127.0.0.1:$FPORT")
    check "FastCGI TCP: request $i gives 200 ok" has "$r" '"status":"ok"'
done
check "FastCGI TCP: Status 200" [ "$(status_of "$r")" = 200 ]
check "FastCGI TCP: Content-Length matches" length_matches "$r"
r=$(fcgi_get "127.0.0.1:$FPORT" REQUEST_METHOD=HEAD)
check "FastCGI TCP: HEAD gives 200" [ "$(status_of "$r")" = 200 ]
check "FastCGI TCP: HEAD has no body" [ -z "$(body_of "$r")" ]
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/metrics REQUEST_URI=/metrics)
check "FastCGI TCP: /metrics gives 404" [ "$(status_of "$r")" = 404 ]

# /stats: two fresh workers of two instances are summed, a stale one (scored
# before three intervals and a second) is left out, as the gateway does.
now=$(now_ms)
for w in 'a/0 a 0 3' 'b/0 b 0 4' 'old/0 old 0 100'; do
    set -- $w
    rcli set "${PREFIX}stats:$1" "{\"instance\":\"$2\",\"worker\":$3,\"websocket\":{\"current\":$4}}"
    score=$now; [ "$2" = old ] && score=$((now - 60000))
    rcli zadd "${PREFIX}stats" "$score" "${PREFIX}stats:$1"
done
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/stats REQUEST_URI=/stats)
check "FastCGI TCP: /stats gives 200" [ "$(status_of "$r")" = 200 ]
check "FastCGI TCP: /stats sums fresh workers" has "$r" '"websocket":{"current":7}'
check "FastCGI TCP: /stats counts two instances" has "$r" '"instances":2'
check "FastCGI TCP: /stats no-store" has "$r" $'^Cache-Control: no-store\r$'
check "FastCGI TCP: /stats Content-Length matches" length_matches "$r"
r=$(cgi SCRIPT_NAME=/cgi-bin/cryptopulse-fcgi PATH_INFO=/stats)
check "CGI: /stats sums fresh workers" has "$r" '"websocket":{"current":7}'
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/stats REQUEST_METHOD=POST)
check "FastCGI TCP: POST /stats gives 405 with Allow" has "$r" $'^Allow: GET, HEAD\r$'

# /history: the points of the history stream's ticks, oldest first.
rcli set "${PREFIX}symbols" BTC,ETH
for i in 1 2 3; do
    rcli xadd "${PREFIX}history" "$i-0" tick \
        "{\"id\":\"$i-0\",\"ts\":$i,\"prices\":[{\"symbol\":\"BTC\",\"price\":$i.5,\"ts\":$i}]}"
done
hist() { fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/history REQUEST_URI="/history?$1" QUERY_STRING="$1"; }
r=$(hist 'symbol=BTC&limit=2')
check "FastCGI TCP: /history gives the newest points" has "$r" '{"symbol":"BTC","points":\[\[2,2.5\],\[3,3.5\]\]}'
r=$(hist 'symbol=ETH')
check "FastCGI TCP: /history of a symbol without points" has "$r" '{"symbol":"ETH","points":\[\]}'
r=$(hist 'symbol=DOGE')
check "FastCGI TCP: /history of an unknown symbol gives 400" has "$r" '"error":"unknown_symbol"'
r=$(hist 'symbol=BTC&limit=0')
check "FastCGI TCP: /history limit=0 gives 400" [ "$(status_of "$r")" = 400 ]
r=$(hist 'limit=5')
check "FastCGI TCP: /history without a symbol gives 400" has "$r" '"message":"symbol is required"'
r=$(cgi SCRIPT_NAME=/cgi-bin/cryptopulse-fcgi PATH_INFO=/history QUERY_STRING='symbol=BTC&limit=1')
check "CGI: /history" has "$r" '{"symbol":"BTC","points":\[\[3,3.5\]\]}'
r=$(fcgi_get "127.0.0.1:$FPORT" REQUEST_METHOD=DELETE)
check "FastCGI TCP: DELETE gives 405" [ "$(status_of "$r")" = 405 ]

SOCK=$WORK/fcgi.sock
start fcgi_unix env -i "${settings[@]}" "$BIN" --listen "$SOCK"
wait_for 5 test -S "$SOCK" || fail "cryptopulse-fcgi did not listen on $SOCK"
r=$(fcgi_get "$SOCK" SCRIPT_NAME=/fcgi PATH_INFO=/health)
check "FastCGI Unix socket: 200 ok" has "$r" '"status":"ok"'

# As mod_fcgid, lighttpd bin-path and spawn-fcgi start it: the listen socket
# is fd 0 and there are no arguments; exec keeps the pid.
SOCK0=$WORK/fd0.sock
start fcgi_fd0 env -i "${settings[@]}" "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(16)
os.dup2(s.fileno(), 0)
os.execv(sys.argv[2], [sys.argv[2]])' "$SOCK0" "$BIN"
wait_for 5 test -S "$SOCK0" || fail "cryptopulse-fcgi did not listen on fd 0 ($SOCK0)"
r=$(fcgi_get "$SOCK0")
check "FastCGI on fd 0: 200 ok" has "$r" '"status":"ok"'

# ---- Redis goes away -----------------------------------------------------------
stop "$redis_PID" || true
t0=$(now_ms)
r=$(fcgi_get "127.0.0.1:$FPORT")
elapsed=$(($(now_ms) - t0))
check "FastCGI without Redis: 503" [ "$(status_of "$r")" = 503 ]
check "FastCGI without Redis: down" has "$r" '"status":"down","reason":"redis unreachable'
check "FastCGI without Redis: answered in ${elapsed} ms (< 500)" [ "$elapsed" -lt 500 ]
r=$(cgi PATH_INFO=/health)
check "CGI without Redis: 503 down" has "$r" '"status":"down"'
t0=$(now_ms)
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/stats)
elapsed=$(($(now_ms) - t0))
check "FastCGI /stats without Redis: 503 unavailable" has "$r" '"error":"unavailable"'
check "FastCGI /stats without Redis: answered in ${elapsed} ms (< 500)" [ "$elapsed" -lt 500 ]
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/history QUERY_STRING=symbol=BTC)
check "FastCGI /history without Redis: 503" [ "$(status_of "$r")" = 503 ]

# Redis back on the same port: the kept FastCGI process reconnects.
start_redis "$REDIS_PORT"
rcli set "$HEARTBEAT" "$(now_ms)"
r=$(fcgi_get "127.0.0.1:$FPORT")
check "FastCGI after Redis restart: 200 ok" has "$r" '"status":"ok"'
r=$(fcgi_get "127.0.0.1:$FPORT" SCRIPT_NAME=/stats)
check "FastCGI /stats after Redis restart: 200" [ "$(status_of "$r")" = 200 ]

# A Redis that accepts connections but never answers (hung, stopped, a
# silent proxy): 503 after the timeout, never a crash.
silent_port=$(free_port)
start_silent silent "$silent_port"
for path in /health /stats /history; do
    t0=$(now_ms)
    set +e
    r=$(within 10 env -i REDIS_HOST=127.0.0.1 REDIS_PORT="$silent_port" PATH="$PATH" LOG_LEVEL=error \
        GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO="$path" QUERY_STRING=symbol=BTC \
        "$BIN" </dev/null 2>>"$WORK/cgi.log")
    rc=$?
    set -e
    elapsed=$(( $(now_ms) - t0 ))
    check "CGI $path with a silent Redis: exits 0 (got $rc)" [ "$rc" = 0 ]
    check "CGI $path with a silent Redis: 503" [ "$(status_of "$r")" = 503 ]
    check "CGI $path with a silent Redis: answered in ${elapsed} ms (< 2000)" [ "$elapsed" -lt 2000 ]
done

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "PASS: $TEST_NAME: all checks passed"
