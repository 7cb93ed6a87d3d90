#!/usr/bin/env bash
# 08-original-env: the original Node.js server's .env (ORIGINAL-DESIGN.md,
# "Environment Variables"), verbatim but for its two ports, is a settings
# file of every program and works as their environment too.  The gateway
# starts with it as one process despite WORKERS=4 (CLUSTER_ENABLED=false wins,
# as in the original), logs an info line for that and one for NODE_ENV, and
# serves /health with prices from a feeder that reads the same file; the
# FastCGI handler answers /health with it.  The same file without
# CLUSTER_ENABLED still runs 4 workers, as before.
. "$(dirname "$0")/lib.sh"

command -v pgrep >/dev/null || skip "pgrep not installed (apt-get install procps)"
start_redis
GW_PORT=$(free_port)

# The original's file as ORIGINAL-DESIGN.md prints it (checked against the
# document below when ../shared is there), with free ports in place of
# 3000 and 6379.
original_env() {
    cat <<'EOF'
PORT=3000
NODE_ENV=development
REDIS_HOST=localhost
REDIS_PORT=6379
REDIS_PASSWORD=
CLUSTER_ENABLED=false
WORKERS=4
MAX_MESSAGES_PER_SECOND=100
EOF
}
design=$SHARED_DIR/ORIGINAL-DESIGN.md
if [ -f "$design" ]; then
    # The fenced block after "**Server** (`.env`):".
    sed -n '/^\*\*Server\*\* (`.env`):/,/^```$/p' "$design" | sed '1,2d;$d' >"$WORK/design.env"
    diff <(original_env) "$WORK/design.env" >&2 || fail "the test's .env is not ORIGINAL-DESIGN.md's"
else
    echo "note: $design not found; using the copy in this test"
fi
original_env | sed -e "s/^PORT=3000\$/PORT=$GW_PORT/" -e "s/^REDIS_PORT=6379\$/REDIS_PORT=$REDIS_PORT/" \
    >"$WORK/original.env"
grep -q "^PORT=$GW_PORT\$" "$WORK/original.env" && grep -q "^REDIS_PORT=$REDIS_PORT\$" "$WORK/original.env" ||
    fail "ports not replaced in the .env"
base=http://127.0.0.1:$GW_PORT

health_ok() { curl -sf "$base/health" | grep -q '"status":"ok","redis":{"connected":true'; }

# check_one_process NAME: the gateway started as NAME runs alone, with both
# info lines once each.
check_one_process() {
    local pid=$1 log=$WORK/$2.log
    wait_for 10 curl -sf -o /dev/null "$base/health/live" || fail "$2: gateway did not start"
    sleep 0.5 # a supervisor would have forked its workers by now
    kill -0 "$pid" || fail "$2: gateway exited"
    [ -z "$(pgrep -P "$pid")" ] || fail "$2: gateway has child processes: $(pgrep -P "$pid" | tr '\n' ' ')"
    ! grep -q 'cryptopulse-gateway/[0-9]' "$log" || fail "$2: a worker logged"
    [ "$(grep -c 'cryptopulse-gateway\[info\] NODE_ENV ignored: ' "$log")" = 1 ] ||
        fail "$2: not one info line for NODE_ENV"
    [ "$(grep -c 'cryptopulse-gateway\[info\] CLUSTER_ENABLED=false: one process, WORKERS=4 not used' \
        "$log")" = 1 ] || fail "$2: not one info line naming CLUSTER_ENABLED and WORKERS"
    # (The dashboard is not installed: WWW_ROOT's default is missing.)
    ! grep '\[\(warn\|error\)\]' "$log" | grep -vq 'WWW_ROOT .* does not exist' ||
        fail "$2: warnings or errors in the log"
}

# ---- as a --config file: gateway, feeder ------------------------------------
start feeder "$top_builddir/feeder/cryptopulse-feeder" --config "$WORK/original.env"
start gateway "$top_builddir/gateway/cryptopulse-gateway" --config "$WORK/original.env"
check_one_process "$gateway_PID" gateway
# /health ok: Redis reached at localhost:REDIS_PORT, ticks from the feeder.
wait_for 10 health_ok || fail "/health is not ok: $(curl -s "$base/health")"
grep -q 'cryptopulse-feeder\[info\] NODE_ENV ignored: ' "$WORK/feeder.log" ||
    fail "the feeder did not log NODE_ENV"
kill -0 "$feeder_PID" || fail "the feeder exited"

# ---- the FastCGI handler as CGI, the file from CRYPTOPULSE_CONFIG -----------
within 10 env -i PATH="$PATH" CRYPTOPULSE_CONFIG="$WORK/original.env" GATEWAY_INTERFACE=CGI/1.1 \
    SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET PATH_INFO=/health \
    "$top_builddir/fcgi/cryptopulse-fcgi" </dev/null >"$WORK/cgi.out" 2>"$WORK/cgi.log" ||
    fail "cryptopulse-fcgi failed: $(cat "$WORK/cgi.out")"
head -n1 "$WORK/cgi.out" | grep -q '^Status: 200' || fail "CGI /health: $(cat "$WORK/cgi.out")"
grep -q '"status":"ok"' "$WORK/cgi.out" || fail "CGI /health not ok: $(cat "$WORK/cgi.out")"
grep -q 'cryptopulse-fcgi\[info\] NODE_ENV ignored: ' "$WORK/cgi.log" ||
    fail "cryptopulse-fcgi did not log NODE_ENV"
stop "$gateway_PID" || fail "gateway did not stop"

# ---- as environment variables (set -a; . .env) ------------------------------
start env_gateway env -i PATH="$PATH" bash -c 'set -a; . "$1"; set +a;
    exec "$2/gateway/cryptopulse-gateway"' _ "$WORK/original.env" "$top_builddir"
check_one_process "$env_gateway_PID" env_gateway
wait_for 10 health_ok || fail "/health from the environment is not ok: $(curl -s "$base/health")"
stop "$env_gateway_PID" || fail "gateway did not stop"

# ---- without CLUSTER_ENABLED, WORKERS=4 alone still runs workers ----------
grep -v '^CLUSTER_ENABLED=' "$WORK/original.env" >"$WORK/workers.env"
start workers "$top_builddir/gateway/cryptopulse-gateway" --config "$WORK/workers.env"
wait_for 10 curl -sf -o /dev/null "$base/health/live" || fail "gateway with workers did not start"
wait_for 10 test "$(pgrep -P "$workers_PID" | wc -l)" = 4 ||
    fail "WORKERS=4 without CLUSTER_ENABLED: $(pgrep -P "$workers_PID" | wc -l) workers, not 4"
! grep -q 'CLUSTER_ENABLED=false' "$WORK/workers.log" || fail "CLUSTER_ENABLED line without it"
stop "$workers_PID" || fail "gateway with workers did not stop"

echo "PASS: $TEST_NAME"
