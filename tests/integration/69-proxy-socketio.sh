#!/usr/bin/env bash
# 69-proxy-socketio: the real socket.io-client 4.x through the shipped Apache
# and lighttpd configurations (private instances on loopback ports, as in
# 65-proxy-apache.sh and 66-proxy-lighttpd.sh), each in front of TWO gateways
# (and Redis, a feeder, cryptopulse-fcgi).  A Socket.IO polling session lives
# in the one gateway that created it, so these pass only with sticky
# sessions: Apache's stickysession on the route that ends each session id
# (the sid parameter; no cookie, so unmodified clients: no withCredentials),
# lighttpd's "sticky" balancer on the client's address.  Through each server: clients with the
# default options (polling, then the upgrade to WebSocket, which must land on
# the same gateway) and polling-only clients walk through sio_client.js
# (welcome, bulk, subscribe, live prices, unsubscribe, pings, history) and stay
# connected while /stats shows both gateways holding some of their sessions;
# WebSocket-only clients too.  Runs what is installed: exit 77 only without
# node/npm, or with neither Apache nor lighttpd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

command -v node >/dev/null || skip "node not installed (Node.js is needed for socket.io-client)"
command -v npm >/dev/null || skip "npm not installed (needed to install socket.io-client)"
need_stack_tools

# What apache_lib.sh needs (it skips the whole test otherwise).
APACHE_BIN=${APACHE2:-$(command -v apache2 || echo /usr/sbin/apache2)}
APACHE_MODS=${APACHE_MODULES:-/usr/lib/apache2/modules}
have_apache=no
[ -x "$APACHE_BIN" ] && [ -f "$APACHE_MODS/mod_proxy_balancer.so" ] &&
    [ -f "$APACHE_MODS/mod_proxy_hcheck.so" ] && have_apache=yes
LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
LIGHTTPD_MODS=${LIGHTTPD_MODULES:-/usr/lib/lighttpd}
have_lighttpd=no
[ -x "$LIGHTTPD" ] && [ -f "$LIGHTTPD_MODS/mod_deflate.so" ] && have_lighttpd=yes
[ "$have_apache" = yes ] || [ "$have_lighttpd" = yes ] ||
    skip "neither apache2 nor lighttpd installed (scripts/install-deps.sh installs them)"

npm_install socketio socket.io-client sio_client.js
CLIENT=$NPM_DIR/sio_client.js
start_stack

# Client source addresses (any 127/8 address is local on Linux).  lighttpd's
# "sticky" hashes the client's address weakly: 127.0.0.1 to 127.0.0.9 all go
# to one gateway, these spread over both.
ADDRS=127.1.1.1,127.38.92.54,127.75.183.107,127.112.24.160,127.149.115.213,127.186.206.16,127.223.47.69,127.10.138.122
NCLIENTS=8

# socketio_stats MIN_EACH: /stats through the proxy; passes when both
# gateways hold at least MIN_EACH Socket.IO sessions (0: when none is open).
socketio_stats() {
    curl -sf "$BASE/stats" | "$PY" -c '
import json, sys
d, n = json.load(sys.stdin), int(sys.argv[1])
per = {"one": 0, "two": 0}
for w in d["workers"]:
    per[w["instance"]] = per.get(w["instance"], 0) + w["socketio"]["current"]
print("stats: socketio.current", d["socketio"]["current"], "per gateway", per)
assert d["instances"] == 2, d
if n == 0:
    assert d["socketio"]["current"] == 0, per
else:
    assert per["one"] + per["two"] >= int(sys.argv[2]), per
    if sys.argv[3] == "both":
        assert per["one"] >= n and per["two"] >= n, per' "$1" "$NCLIENTS" "${2:-both}"
}

# through PROXY MODE ARGS...: NCLIENTS clients walk through, then stay
# connected while /stats shows both gateways serving some; SIGTERM ends them,
# and they pass if all are still connected and getting prices.
through() {
    local proxy=$1 mode=$2 name pid_var
    shift 2
    name=sio_${proxy}_$mode
    pid_var=${name}_PID
    check "$proxy: no Socket.IO session open before the $mode clients" \
        wait_for 10 socketio_stats 0
    start "$name" node "$CLIENT" "$BASE" --hold --timeout=100 --clients="$NCLIENTS" \
        --local-addresses="$ADDRS" "$@"
    if ! wait_for 40 grep -q -e '^ready' -e '^FAIL' "$WORK/$name.log" ||
        ! grep -q '^ready' "$WORK/$name.log"; then
        stop "${!pid_var}" 2>/dev/null || true
        sed "s/^/  [$name] /" "$WORK/$name.log"
        not_ok "$proxy: $NCLIENTS socket.io-clients ($mode): $(grep -m1 '^FAIL' "$WORK/$name.log" || echo 'not ready in 40 s')"
        return
    fi
    ok "$proxy: $NCLIENTS socket.io-clients ($mode) walked through"
    # lighttpd hashes the clients' (spread) addresses over both gateways;
    # Apache's bybusyness may put a burst of new sessions on one (new
    # sessions one at a time alternate: checked above).
    if [ "$proxy" = apache ]; then spread=any; else spread=both; fi
    check "$proxy: /stats: the gateways hold the $NCLIENTS Socket.IO sessions ($mode, $spread)" \
        wait_for 5 socketio_stats 1 "$spread"
    socketio_stats 1 "$spread" || true
    check "$proxy: the $mode clients got prices while held" \
        wait_for 10 grep -q '^live' "$WORK/$name.log"
    check "$proxy: the $mode clients stayed connected and got prices" stop "${!pid_var}"
    sed "s/^/  [$name] /" "$WORK/$name.log"
}

# The three ways to connect, through the proxy at BASE.
socketio_checks() {
    local proxy=$1 name=sio_${1}_websocket rc=0
    through "$proxy" default --expect-transport=websocket --expect-upgrade=yes
    through "$proxy" polling --transports=polling --expect-transport=polling --expect-upgrade=no
    # WebSocket only: no session to keep, any gateway will do.
    within 60 node "$CLIENT" "$BASE" --clients=2 --transports=websocket \
        --expect-transport=websocket --expect-upgrade=no >"$WORK/$name.out" 2>&1 || rc=$?
    sed "s/^/  [$name] /" "$WORK/$name.out"
    check "$proxy: socket.io-client with transports: ['websocket']" test "$rc" = 0
}

# ---- Apache ---------------------------------------------------------------------
if [ "$have_apache" = yes ]; then
    . "$(dirname "$0")/apache_lib.sh"
    start_apache
    # The handshake by hand: the sid ends with its gateway's route (its
    # port), and 10 requests of that session, with no cookie, all reach it.
    body=$(curl -s -D "$WORK/hs.hdr" "$BASE/socket.io/?EIO=4&transport=polling")
    check "Apache: the Socket.IO handshake sets the CPROUTE cookie" \
        grep -Eq "Set-Cookie: CPROUTE=\.($GW1_PORT|$GW2_PORT)" "$WORK/hs.hdr"
    check "Apache: the handshake has the default pingInterval, pingTimeout, maxPayload" \
        has "$body" '"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}$'
    sid=$(sed -n 's/^0{"sid":"\([^"]*\)".*/\1/p' <<<"$body")
    check "Apache: the sid ends with its gateway's route" \
        grep -Eq "\.($GW1_PORT|$GW2_PORT)\$" <<<"$sid"
    # New sessions alternate between the gateways (ten handshakes, one at a
    # time, then closed), so stickiness is what keeps each session's
    # requests on its own gateway.
    routes=$(for _ in 1 2 3 4 5 6 7 8 9 10; do
        s=$(curl -s "$BASE/socket.io/?EIO=4&transport=polling" | sed -n 's/^0{"sid":"\([^"]*\)".*/\1/p')
        curl -s --data-binary 1 "$BASE/socket.io/?EIO=4&transport=polling&sid=$s" >/dev/null
        echo "${s##*.}"
    done | sort -u | tr '\n' ' ')
    check "Apache: new sessions go to both gateways (routes: $routes)" \
        test "$routes" = "$(printf '%s\n' "$GW1_PORT" "$GW2_PORT" | sort | tr '\n' ' ')"
    answers=$(for _ in 1 2 3 4 5 6 7 8 9 10; do
        curl -s --data-binary 6 "$BASE/socket.io/?EIO=4&transport=polling&sid=$sid"
        echo
    done | sort | uniq -c)
    check "Apache: 10 cookie-less requests of one session all reach its gateway" \
        test "$answers" = "     10 ok"
    check "Apache: the handshake's session closed through the balancer" \
        test "$(curl -s --data-binary 1 \
            "$BASE/socket.io/?EIO=4&transport=polling&sid=$sid")" = ok
    socketio_checks apache
    stop "$apache_PID" || true
else
    echo "SKIP - Apache: apache2 or its proxy modules not installed"
fi

# ---- lighttpd -------------------------------------------------------------------
start_lighttpd() { # as 66-proxy-lighttpd.sh does
    local site=$top_builddir/lighttpd/cryptopulse.conf root=$WORK/lighttpd port
    [ -f "$site" ] || fail "$site not built (make)"
    port=$(free_port)
    mkdir -p "$root"
    sed -e "s|^var.cryptopulse_gateway1_port = .*|var.cryptopulse_gateway1_port = $GW1_PORT|" \
        -e "s|^var.cryptopulse_gateway2_port = .*|var.cryptopulse_gateway2_port = $GW2_PORT|" \
        -e "s|^var.cryptopulse_gateway2_host = .*|var.cryptopulse_gateway2_host = \"127.0.0.2\"|" \
        -e "s|^var.cryptopulse_www = .*|var.cryptopulse_www = \"$top_srcdir/www\"|" \
        -e "s|^var.cryptopulse_env = .*|var.cryptopulse_env = \"$ENV_FILE\"|" \
        -e "s|^var.cryptopulse_fcgi_socket = .*|var.cryptopulse_fcgi_socket = \"$root/fcgi.socket\"|" \
        -e "s|\"[^\" ]*/cryptopulse-fcgi\"|\"$FCGI_BIN\"|" \
        "$site" >"$root/site.conf"
    grep -q "$GW2_PORT" "$root/site.conf" || fail "could not point $site at the test ports"
    cat >"$root/lighttpd.conf" <<CONF
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect" )
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$WORK/lighttpd.log"
server.document-root = "$top_srcdir/www"
mimetype.assign = ( ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8" )
include "$root/site.conf"
CONF
    "$LIGHTTPD" -tt -m "$LIGHTTPD_MODS" -f "$root/lighttpd.conf" >>"$WORK/lighttpd.log" 2>&1 ||
        fail "lighttpd -tt refused the configuration: $(tail -n 5 "$WORK/lighttpd.log")"
    start lighttpd "$LIGHTTPD" -D -m "$LIGHTTPD_MODS" -f "$root/lighttpd.conf"
    BASE=http://127.0.0.1:$port
    wait_for 10 curl -sf -o /dev/null "$BASE/health" || fail "lighttpd did not answer /health on $port"
    echo "$("$LIGHTTPD" -v | head -n1) on $port, gateways on 127.0.0.1:$GW1_PORT and 127.0.0.2:$GW2_PORT"
}
if [ "$have_lighttpd" = yes ]; then
    start_lighttpd
    socketio_checks lighttpd
else
    echo "SKIP - lighttpd: lighttpd or lighttpd-mod-deflate not installed"
fi

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "PASS: $TEST_NAME: all checks passed"
