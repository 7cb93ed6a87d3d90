#!/usr/bin/env bash
# 64-redis-down-log: the gateway, the feeder and the FastCGI daemon started
# while Redis is down each log one warning naming 127.0.0.1:PORT and the
# reason, not one per retry, and one "connected" line once Redis is started;
# a wrong password, or none for a Redis that wants one, is one warning too.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || skip "redis-server not installed"
command -v cgi-fcgi >/dev/null || skip "cgi-fcgi not installed (apt-get install libfcgi-bin)"
RP=$(free_port) # nothing listens here yet
GP=$(free_port)
FP=$(free_port)
start gateway "$top_builddir/gateway/cryptopulse-gateway" --port "$GP" --redis-port "$RP" \
    --www-root ""
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$RP" --interval 200
start fcgi "$top_builddir/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$FP" --redis-port "$RP"
poke_fcgi() { # one /health request: the FastCGI daemon tries Redis per request
    within 10 env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
        SCRIPT_NAME=/health REQUEST_URI=/health cgi-fcgi -bind -connect "127.0.0.1:${1:-$FP}" \
        </dev/null >/dev/null 2>&1 || true
}
# About 4 s of retries (the gateway and the feeder retry every 100 ms to
# 1.5 s; the FastCGI daemon is asked every 200 ms).
for _ in $(seq 20); do
    poke_fcgi
    sleep 0.2
done
for p in gateway feeder fcgi; do
    n=$(grep -c "\[warn\] redis 127\.0\.0\.1:$RP" "$WORK/$p.log" || true)
    [ "$n" = 1 ] || fail "$p: $n warnings naming 127.0.0.1:$RP in 4 s, want 1: $(cat "$WORK/$p.log")"
    grep -q "\[warn\] redis 127\.0\.0\.1:$RP: .*Connection refused; unreachable" "$WORK/$p.log" ||
        fail "$p: the warning does not give the reason: $(cat "$WORK/$p.log")"
done

start_redis "$RP"
for p in gateway feeder fcgi; do
    wait_for 10 sh -c "grep -q '\[info\] redis 127\.0\.0\.1:$RP.* connected' '$WORK/$p.log' || {
        [ $p != fcgi ] || env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
            REQUEST_METHOD=GET SCRIPT_NAME=/health REQUEST_URI=/health \
            cgi-fcgi -bind -connect 127.0.0.1:$FP </dev/null >/dev/null 2>&1; false; }" ||
        fail "$p: no 'connected' line after Redis started: $(cat "$WORK/$p.log")"
    n=$(grep -c "\[warn\] redis 127\.0\.0\.1:$RP" "$WORK/$p.log" || true)
    [ "$n" = 1 ] || fail "$p: $n warnings naming 127.0.0.1:$RP in all, want 1: $(cat "$WORK/$p.log")"
done

# A wrong password: one warning naming the address and Redis's refusal, not
# one per retry (the gateway retries every 100 ms).
PP=$(free_port)
start redis_pw redis-server --port "$PP" --bind 127.0.0.1 --save '' --appendonly no \
    --requirepass secret --dir "$WORK"
wait_for 10 redis-cli -p "$PP" -a secret --no-auth-warning ping || fail "redis-server did not start"
start gateway_pw "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
    --redis-port "$PP" --redis-password wrong --www-root ""
start feeder_pw "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$PP" \
    --redis-password wrong --interval 200
FPP=$(free_port)
start fcgi_pw "$top_builddir/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$FPP" --redis-port "$PP" \
    --redis-password wrong
for _ in $(seq 15); do
    poke_fcgi "$FPP"
    sleep 0.2
done
for p in gateway_pw feeder_pw fcgi_pw; do
    n=$(grep -c "\[warn\] redis 127\.0\.0\.1:$PP: AUTH" "$WORK/$p.log" || true)
    [ "$n" = 1 ] || fail "$p: $n AUTH warnings in 3 s, want 1: $(cat "$WORK/$p.log")"
    ! grep -q "\[error\]\|\[info\] redis .*connected" "$WORK/$p.log" || fail "$p: $(cat "$WORK/$p.log")"
done

# No password for a Redis that wants one: the set-up's PING is refused
# (NOAUTH).  One warning naming it from each program, never "connected",
# and the gateway backs off (it said "connected" and "connection lost" ten
# times a second).
for p in gateway_nopw feeder_nopw fcgi_nopw; do
    case $p in
    gateway_nopw) start $p "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
        --redis-port "$PP" --www-root "" ;;
    feeder_nopw) start $p "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$PP" \
        --interval 200 --redis-prefix nopw: ;;
    fcgi_nopw) FNP=$(free_port)
        start $p "$top_builddir/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$FNP" --redis-port "$PP" ;;
    esac
done
before=$(redis-cli -p "$PP" -a secret --no-auth-warning info stats | tr -d '\r' |
    sed -n 's/^total_connections_received://p')
for _ in $(seq 15); do
    poke_fcgi "$FNP"
    sleep 0.2
done
after=$(redis-cli -p "$PP" -a secret --no-auth-warning info stats | tr -d '\r' |
    sed -n 's/^total_connections_received://p')
for p in gateway_nopw feeder_nopw fcgi_nopw; do
    n=$(grep -c "\[warn\] redis 127\.0\.0\.1:$PP: .*NOAUTH" "$WORK/$p.log" || true)
    [ "$n" = 1 ] || fail "$p: $n NOAUTH warnings in 3 s, want 1: $(cat "$WORK/$p.log")"
    n=$(grep "\[warn\]" "$WORK/$p.log" | grep -vc "health 503" || true)
    [ "$n" = 1 ] || fail "$p: $n warnings in 3 s, want that one: $(cat "$WORK/$p.log")"
    ! grep -q "\[error\]\|\[info\] redis .*connected" "$WORK/$p.log" || fail "$p: $(cat "$WORK/$p.log")"
done
# 15 /health requests, the feeder (one attempt per tick at most) and the
# gateway's two links backing off: well under 100 connections in 3 s.
[ $((after - before)) -le 100 ] || fail "$((after - before)) connections in 3 s: no backoff"

# A password given to a Redis that has none: AUTH is refused but the
# pipelined SUBSCRIBE is not.  The gateway must neither say "subscribed" for
# the doomed connection nor reconnect at once, over and over (it logged
# "subscribed" ten times a second): retries back off as from a refused
# connection (100 ms doubling to 5 s: a handful in 3 s per link).
NP=$(free_port)
start redis_np redis-server --port "$NP" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK"
wait_for 10 redis-cli -p "$NP" ping || fail "redis-server did not start"
start gateway_np "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
    --redis-port "$NP" --redis-password wrong --www-root ""
sleep 3
! grep -q "subscribed" "$WORK/gateway_np.log" || fail "AUTH refused, yet: $(cat "$WORK/gateway_np.log")"
n=$(grep -c "\[warn\] redis 127\.0\.0\.1:$NP: AUTH" "$WORK/gateway_np.log" || true)
[ "$n" = 1 ] || fail "$n AUTH warnings in 3 s, want 1: $(cat "$WORK/gateway_np.log")"
conns=$(redis-cli -p "$NP" info stats | tr -d '\r' | sed -n 's/^total_connections_received://p')
[ "$conns" -le 20 ] || fail "$conns connections in 3 s from a gateway whose AUTH is refused: no backoff"
echo "PASS: $TEST_NAME"
