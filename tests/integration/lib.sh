# Shared helpers of the integration tests: free ports, throwaway servers
# stopped by pid, waiting with a deadline.  Source it from a test with
#   . "$(dirname "$0")/lib.sh"
# Exit codes follow automake: 0 pass, 77 skip, 99 hard error, other fail.
#
# Tests fail, never hang: every wait has an overall deadline that ends in a
# message.  wait_for and stop have theirs; a client run in the foreground
# goes through `within`; every curl gives up after CURL_MAX_TIME seconds
# (below); the Python clients and the Node one carry their own.

set -eu
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SHARED_DIR=${CRYPTOPULSE_SHARED:-$top_srcdir/../shared}
# Debian's python3-websockets lives in the system interpreter, which may not
# be the first python3 on PATH.
PY=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/cp-$TEST_NAME.XXXXXX")
PIDS=()

# Every curl a test runs, in the shell, in `sh -c` or from Python, gives up
# after CURL_MAX_TIME seconds: a server that accepts and never answers fails
# the check instead of hanging it.  A curl's own --max-time still wins.
printf 'max-time = %s\n' "${CURL_MAX_TIME:-30}" >"$WORK/.curlrc"
export CURL_HOME=$WORK

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    # A server that ignores SIGTERM must not hang the test: SIGKILL after 10 s.
    local end=$(( $(now_ms) + 10000 ))
    for pid in "${PIDS[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cleanup: pid $pid still running 10 s after SIGTERM; killed" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    [ ! -s "$WORK/deadlines.txt" ] || cat "$WORK/deadlines.txt" >&2
    # A server built with --enable-sanitizers, or run under valgrind, reports
    # into its log, which is about to go: such a report fails the test.
    local reports
    reports=$(grep -E -A 12 'ERROR: (Address|Leak)Sanitizer|runtime error:|ERROR SUMMARY: [1-9]' \
        "$WORK"/*.log 2>/dev/null) || true
    if [ -n "$reports" ]; then
        echo "FAIL: memory or undefined-behaviour errors in the servers' logs:" >&2
        echo "$reports" | head -n 60 >&2
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
    [ -z "$reports" ] || exit 1
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last 20 lines)" >&2
        tail -n 20 "$f" >&2
    done
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

# A TCP port nobody listens on now.
# free_port: a loopback port nothing listens on, and not one this test was
# given before (a port handed out is free until its server binds it, and the
# kernel may hand it out again meanwhile: 47-tls once started Redis on the
# port it had chosen for TLS).  Runs in $(...), so the ports given are kept
# in a file.
free_port() {
    local p
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        p=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        grep -qx "$p" "$WORK/ports-given" 2>/dev/null || break
    done
    echo "$p" >>"$WORK/ports-given"
    echo "$p"
}

# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds;
# 1 when SECONDS pass first.  A program (not a shell function) is killed
# when the deadline passes, so one attempt that hangs cannot outlast it; a
# function must bound its own commands (curl is, see CURL_MAX_TIME).
wait_for() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) left; shift
    while :; do
        left=$(( deadline - $(now_ms) ))
        [ "$left" -gt 0 ] || return 1
        if [ "$(type -t "$1")" = file ]; then
            timeout -k 1 "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))" "$@" \
                >/dev/null 2>&1 && return 0
        else
            "$@" >/dev/null 2>&1 && return 0
        fi
        sleep 0.1
    done
}

# within SECONDS COMMAND...: run COMMAND (a program, stdin passed on),
# killed if it is still running after SECONDS; then a message on stderr says
# so and the status is 124.  For a client whose waits might never end, or a
# server run in the foreground that is expected to exit.
within() {
    local seconds=$1 rc=0 t0
    shift
    t0=$(now_ms)
    timeout -k 5 "$seconds" "$@" || rc=$?
    if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ $(( $(now_ms) - t0 )) -ge $(( seconds * 1000 )) ]; }; then
        deadline_passed "$(basename "$1") still running after $seconds s; killed"
        rc=124
    fi
    return "$rc"
}

# deadline_passed MESSAGE: say on stderr that a deadline passed, and again
# when the test ends, should its stderr be a file or `set -e` end it at once.
deadline_passed() {
    echo "deadline: $*" >&2
    echo "deadline: $*" >>"$WORK/deadlines.txt"
}

# wait_exit SECONDS PID: wait for a started process to exit, at most
# SECONDS; its exit status, or 124 when it is still running (left running).
wait_exit() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    while kill -0 "$2" 2>/dev/null; do
        [ "$(now_ms)" -lt "$deadline" ] || return 124
        sleep 0.05
    done
    wait "$2"
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# start NAME COMMAND...: run in the background, log to $WORK/NAME.log (appended
# to, so a restarted server keeps the earlier log); sets NAME_PID.
start() {
    local name=$1; shift
    "$@" >>"$WORK/$name.log" 2>&1 8>&- &  # 8: need_browser's lock stays with the test
    PIDS+=("$!")
    eval "${name}_PID=$!"
}

# forget PID: drop PID from the processes cleanup kills, once it has been
# waited for (its number may be reused by then).
forget() {
    local pid keep=()
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

# stop PID [SIGNAL]: send SIGNAL (TERM by default) to a started process, wait
# for it and forget it.  Returns the process's exit status; one still running
# 20 s later is killed with SIGKILL, said so on stderr, and gives 124.
stop() {
    local rc=0
    kill -s "${2:-TERM}" "$1" 2>/dev/null || true
    wait_exit 20 "$1" 2>/dev/null || rc=$?
    if [ "$rc" = 124 ] && kill -0 "$1" 2>/dev/null; then
        deadline_passed "stop: pid $1 still running 20 s after SIG${2:-TERM}; killed"
        kill -KILL "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
    forget "$1"
    return "$rc"
}

# start_redis [PORT]: start a private redis-server on PORT (to restart one
# stopped with stop) or else on a free port; sets REDIS_PORT and redis_PID.
start_redis() {
    command -v redis-server >/dev/null || skip "redis-server not installed (apt-get install redis-server)"
    REDIS_PORT=${1:-$(free_port)}
    start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$WORK"
    wait_for 10 redis-cli -p "$REDIS_PORT" ping || fail "redis-server did not start"
    export REDIS_PORT
}

# Start the gateway on a free port; sets GATEWAY_PORT.  Extra args pass on.
start_gateway() {
    GATEWAY_PORT=$(free_port)
    # GATEWAY_WRAPPER, e.g. "valgrind --leak-check=full", runs it under a tool.
    # shellcheck disable=SC2086
    start gateway ${GATEWAY_WRAPPER:-} "$top_builddir/gateway/cryptopulse-gateway" --port "$GATEWAY_PORT" \
        --www-root "$top_srcdir/www" "$@"
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/stats" \
        || fail "gateway did not start"
}

# start_fcgi ENV_FILE: cryptopulse-fcgi --listen on a free loopback port
# with the settings of ENV_FILE; sets FCGI_PORT, waits until it listens.
start_fcgi() {
    FCGI_PORT=$(free_port)
    start fcgi "$top_builddir/fcgi/cryptopulse-fcgi" --config "$1" --listen "127.0.0.1:$FCGI_PORT"
    wait_for 5 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FCGI_PORT))" ||
        fail "cryptopulse-fcgi did not listen on $FCGI_PORT"
}

market_data() {
    local f
    for f in "$SHARED_DIR"/data/market/*.csv; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# npm_install NAME PACKAGE FILE...: copy tests/integration/NAME/ (package.json,
# package-lock.json and FILEs) to the build tree, unless building in the
# source tree, and install its locked dependencies there once (again when the
# lock changes); skip when the npm registry cannot be reached.  Sets NPM_DIR.
npm_install() {
    local name=$1 package=$2 src dir f stamp
    shift 2
    src=$top_srcdir/tests/integration/$name
    dir=$top_builddir/tests/integration/$name
    mkdir -p "$dir"
    if [ "$(cd "$src" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
        for f in package.json package-lock.json "$@"; do
            install -m 644 "$src/$f" "$dir/$f"
        done
    fi
    stamp=$dir/node_modules/.cryptopulse-package-lock.json
    if ! cmp -s "$src/package-lock.json" "$stamp" || [ ! -f "$dir/node_modules/$package/package.json" ]; then
        (cd "$dir" && within 600 npm ci --no-audit --no-fund --fetch-retries 1 --fetch-timeout 30000) \
            >"$WORK/npm.log" 2>&1 || {
            cat "$WORK/npm.log"
            if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network' "$WORK/npm.log"; then
                skip "npm ci could not reach the npm registry to install $package"
            fi
            fail "npm ci failed in $dir"
        }
        cp "$src/package-lock.json" "$stamp"
    fi
    (cd "$dir" && node -e "require('$package')") || fail "$package does not load from $dir/node_modules"
    NPM_DIR=$dir
}

# need_browser DIR FILE...: what a Playwright test needs, or a skip: Node.js
# 20 or later, npm, Debian's chromium ($CHROMIUM, exported); playwright-core
# installed into the build tree's tests/integration/DIR (npm_install, which
# also copies FILE...).  Then it waits its turn: one browser test at a time
# (a lock in the build tree, held until the test exits), because two
# Chromiums on a two-core machine starve each other's pages past the tests'
# timeouts while the rest of the suite runs beside them.
need_browser() {
    local name=$1 lock node_major
    shift
    CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
    command -v node >/dev/null || skip "node not installed (Node.js runs the Playwright test)"
    command -v npm >/dev/null || skip "npm not installed (needed to install playwright-core)"
    node_major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$node_major" -ge 20 ] || skip "Node.js $(node --version) is too old for playwright-core (needs 20 or later)"
    [ -x "$CHROMIUM" ] || skip "chromium not installed at $CHROMIUM (apt-get install chromium)"
    export CHROMIUM
    lock=$top_builddir/tests/integration/.browser.lock
    exec 8>"$lock"
    if command -v flock >/dev/null; then
        flock -w 900 8 || fail "waited 15 minutes for another browser test to finish ($lock)"
    fi
    npm_install "$name" playwright-core "$@"
}

# start_silent NAME PORT: a TCP listener on 127.0.0.1:PORT that accepts and
# never answers (a hung server, a black-holed peer).
start_silent() {
    start "$1" "$PY" -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $2)); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
"
    wait_for 5 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $2)).close()" \
        || fail "silent listener on $2 did not start"
}

# True when the gateway is an ASan build: its allocator holds freed memory in
# quarantine, so RSS bounds say nothing there (every other check still holds).
gateway_sanitized() {
    ldd "$top_builddir/gateway/cryptopulse-gateway" 2>/dev/null | grep -q libasan
}
