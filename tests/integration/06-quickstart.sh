#!/usr/bin/env bash
# 06-quickstart: scripts/quickstart.sh (without installing or building:
# QUICKSTART_NO_SETUP=1, RUN_DIR in the test's directory).  With its port
# already taken by another server (one that answers 200 "live" to anything)
# it exits non-zero, says why with the gateway's log, and leaves nothing it
# started running, but the other server alive; on a free port it says
# "running" and its gateway answers; scripts/stop.sh stops exactly what it
# started and never a process whose pid merely reused a recorded one.
. "$(dirname "$0")/lib.sh"

QS=$top_srcdir/scripts/quickstart.sh
[ -x "$top_srcdir/gateway/cryptopulse-gateway" ] ||
    skip "quickstart runs the programs built in the source tree (not a VPATH build)"
command -v redis-server >/dev/null || skip "redis-server not installed"

# started_by RUN: pids of the processes whose environment names RUN_DIR=RUN.
started_by() {
    grep -lz "^RUN_DIR=$1\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
}
quickstart() { # quickstart PORT RUN: run it, output in $WORK/qs.out
    PORT=$1 RUN_DIR=$2 QUICKSTART_NO_SETUP=1 QUICKSTART_WAIT_S=5 within 60 "$QS" >"$WORK/qs.out" 2>&1
}

# ---- the port is taken -------------------------------------------------------
TAKEN=$(free_port)
start other "$PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"{\"status\":\"live\"}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$TAKEN"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$TAKEN/health/live" || fail "dummy server did not start"

rc=0
quickstart "$TAKEN" "$WORK/run" || rc=$?
cat "$WORK/qs.out"
[ "$rc" -ne 0 ] || fail "quickstart exited 0 with port $TAKEN taken"
[ "$rc" -ne 124 ] || fail "quickstart hung"
grep -q "CryptoPulse is running" "$WORK/qs.out" && fail "quickstart said running"
grep -q "port $TAKEN taken" "$WORK/qs.out" || fail "quickstart did not name the port"
grep -q "last lines of .*gateway.log" "$WORK/qs.out" || fail "quickstart did not show the gateway's log"
grep -qi "address already in use\|bind" "$WORK/qs.out" || fail "the gateway's reason is not shown"
left=$(started_by "$WORK/run")
[ -z "$left" ] || fail "quickstart left processes running: $left"
kill -0 "$other_PID" || fail "quickstart stopped the other server"
echo "ok - port taken: exit $rc, nothing left running, the other server alive"

# ---- a free port -------------------------------------------------------------
FREE=$(free_port)
rc=0
quickstart "$FREE" "$WORK/run" || rc=$?
cat "$WORK/qs.out"
[ "$rc" -eq 0 ] || fail "quickstart failed on a free port"
grep -q "CryptoPulse is running" "$WORK/qs.out" || fail "quickstart did not say running"
curl -s "http://127.0.0.1:$FREE/health/live" | grep -q '"status":"live"' ||
    fail "the gateway does not answer /health/live"
[ -n "$(started_by "$WORK/run")" ] || fail "no process found with RUN_DIR"
echo "ok - free port: running"
RUN_DIR=$WORK/run within 30 "$top_srcdir/scripts/stop.sh"
left=$(started_by "$WORK/run")
[ -z "$left" ] || fail "stop.sh left processes running: $left"
echo "ok - stop.sh stopped everything quickstart started"

# ---- a stale pid file names another process -----------------------------------
mkdir -p "$WORK/stale"
echo "$other_PID" >"$WORK/stale/gateway.pid"
RUN_DIR=$WORK/stale "$top_srcdir/scripts/stop.sh"
kill -0 "$other_PID" || fail "stop.sh killed a process quickstart did not start"
[ ! -f "$WORK/stale/gateway.pid" ] || fail "stop.sh kept the stale pid file"
echo "ok - a reused pid is left alone"
echo "PASS: $TEST_NAME"
