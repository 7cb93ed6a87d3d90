#!/usr/bin/env bash
# 09-logs: LOG_FORMAT=json makes every line each program writes to stderr one
# JSON object (parsed with Python's json module) with ts, level, program and
# msg; and the gateway warns about MAX_CONNECTIONS only when the operator set
# it above what the file limit allows (the default is fitted quietly).
. "$(dirname "$0")/lib.sh"

command -v cgi-fcgi >/dev/null || skip "cgi-fcgi not installed (apt-get install libfcgi-bin)"
start_redis
export LOG_FORMAT=json

# ---- every program, text it writes while working and while Redis is away --
FP=$(free_port)
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --log-connections true
start gateway_down "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
    --redis-port "$(free_port)" --www-root "$WORK/missing"
start cluster "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
    --redis-port "$REDIS_PORT" --workers 2 --www-root ""
start fcgi "$top_builddir/fcgi/cryptopulse-fcgi" --listen "127.0.0.1:$FP" --redis-port "$REDIS_PORT"
wait_for 5 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $FP))" ||
    fail "cryptopulse-fcgi did not listen"
sleep 1
curl -s -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/health"
curl -s -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/no%ffsuch\"path"
within 10 env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
    SCRIPT_NAME=/health REQUEST_URI=/health cgi-fcgi -bind -connect "127.0.0.1:$FP" \
    </dev/null >/dev/null || fail "FastCGI request failed"
# CGI: one process per request, its log on stderr.
within 10 env -i LOG_FORMAT=json LOG_LEVEL=debug REDIS_PORT="$REDIS_PORT" GATEWAY_INTERFACE=CGI/1.1 \
    SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET PATH_INFO=/health \
    "$top_builddir/fcgi/cryptopulse-fcgi" </dev/null >/dev/null 2>"$WORK/cgi.log" || true
for p in feeder gateway gateway_down cluster fcgi; do
    eval "pid=\$${p}_PID"
    stop "$pid" || true
done

"$PY" - "$WORK" <<'PYEOF' || fail "a log line is not a JSON object"
import json, os, re, sys
want = {"feeder": "cryptopulse-feeder", "gateway": "cryptopulse-gateway",
        "gateway_down": "cryptopulse-gateway", "cluster": "cryptopulse-gateway",
        "fcgi": "cryptopulse-fcgi", "cgi": "cryptopulse-fcgi"}
for name, program in want.items():
    path = os.path.join(sys.argv[1], name + ".log")
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines, f"{name}: no log lines"
    levels = set()
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError as e:
            sys.exit(f"{name}: not JSON ({e}): {line!r}")
        assert isinstance(o, dict), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["ts"]), line
        assert o["level"] in ("error", "warn", "info", "debug"), line
        assert o["program"].split("/")[0] == program, line
        assert isinstance(o["msg"], str) and o["msg"], line
        levels.add(o["level"])
    print(f"{name}: {len(lines)} JSON lines, levels {sorted(levels)}")
down = [json.loads(l) for l in open(os.path.join(sys.argv[1], "gateway_down.log"))]
assert any(o["level"] == "warn" and "unreachable" in o["msg"] for o in down), down
closed = [json.loads(l) for l in open(os.path.join(sys.argv[1], "gateway.log"))]
assert any(o["msg"] == "connection closed" and o["transport"] == "http" for o in closed), closed
workers = {json.loads(l)["program"] for l in open(os.path.join(sys.argv[1], "cluster.log"))}
assert {"cryptopulse-gateway/0", "cryptopulse-gateway/1"} <= workers, workers
PYEOF
unset LOG_FORMAT

# ---- MAX_CONNECTIONS against a file limit of 1024 --------------------------
max_conn_log() { # max_conn_log NAME ARGS...: start a gateway under ulimit -n 1024, stop it
    local name=$1; shift
    start "$name" bash -c 'ulimit -n 1024 && exec "$@"' -- \
        "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
        --redis-port "$REDIS_PORT" --www-root "" "$@"
    eval "pid=\$${name}_PID"
    wait_for 5 grep -q "listening on" "$WORK/$name.log" || fail "$name: gateway did not start"
    stop "$pid" || true
}
max_conn_log mc_default
! grep -q "\[warn\].*MAX_CONNECTIONS" "$WORK/mc_default.log" ||
    fail "the default MAX_CONNECTIONS gave a warning: $(cat "$WORK/mc_default.log")"
grep -q "\[info\] MAX_CONNECTIONS is 960, what 1024 open files allow" "$WORK/mc_default.log" ||
    fail "the fitted MAX_CONNECTIONS was not logged at info: $(cat "$WORK/mc_default.log")"
max_conn_log mc_set --max-connections 5000
grep -q "\[warn\] MAX_CONNECTIONS lowered from 5000 to 960: this process may open 1024 files" \
    "$WORK/mc_set.log" || fail "an explicit MAX_CONNECTIONS above the limit was not warned about: \
$(cat "$WORK/mc_set.log")"
MAX_CONNECTIONS=500 max_conn_log mc_low
! grep -q "MAX_CONNECTIONS" "$WORK/mc_low.log" || fail "MAX_CONNECTIONS=500 fits, yet: \
$(cat "$WORK/mc_low.log")"

# ---- connections past MAX_CONNECTIONS: closed unanswered, said once in the
# log (at most every 10 s) and counted in /stats "refused" ------------------
full_port=$(free_port)
start full "$top_builddir/gateway/cryptopulse-gateway" --port "$full_port" \
    --redis-port "$REDIS_PORT" --www-root "" --max-connections 2
wait_for 5 grep -q "listening on" "$WORK/full.log" || fail "full: gateway did not start"
"$PY" - "$full_port" <<'PYEOF' || fail "connections past MAX_CONNECTIONS (see above)"
import json, socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.2)
for _ in range(3):  # each closed at once, with nothing written
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert s.recv(100) == b"", "a refused connection got bytes"
    s.close()
held[0].sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
got = b""
while (b := held[0].recv(65536)):
    got += b
stats = json.loads(got.split(b"\r\n\r\n", 1)[1])
assert stats["refused"] == 3, stats.get("refused")
PYEOF
stop "$full_PID" || true
[ "$(grep -c "\[warn\] MAX_CONNECTIONS (2) reached: new connections are closed unanswered (1 so far" \
    "$WORK/full.log")" = 1 ] || fail "three refused connections, not one warning: $(cat "$WORK/full.log")"

# ---- LOG_FORMAT changes on SIGHUP: the reload's own lines in the format it
# found (text), every line after it JSON -----------------------------------
printf 'LOG_FORMAT=text\n' >"$WORK/fmt.env"
start fmt "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" \
    --redis-port "$REDIS_PORT" --www-root "" --config "$WORK/fmt.env"
wait_for 5 grep -q "listening on" "$WORK/fmt.log" || fail "fmt: gateway did not start"
printf 'LOG_FORMAT=json\n' >"$WORK/fmt.env"
kill -HUP "$fmt_PID"
wait_for 5 grep -q "\[info\] reload: LOG_FORMAT text -> json" "$WORK/fmt.log" ||
    fail "the reload did not say, in text, that LOG_FORMAT changed: $(cat "$WORK/fmt.log")"
kill -HUP "$fmt_PID"
wait_for 5 grep -q '"msg":"reload: no setting changed"' "$WORK/fmt.log" ||
    fail "no JSON line after the reload: $(cat "$WORK/fmt.log")"
stop "$fmt_PID" || true
"$PY" - "$WORK/fmt.log" <<'PYEOF' || fail "LOG_FORMAT did not change on reload: $(cat "$WORK/fmt.log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
first_json = next(i for i, l in enumerate(lines) if l.startswith("{"))
assert "reload: LOG_FORMAT text -> json" in lines[first_json - 1], lines
for l in lines[first_json:]:
    json.loads(l)
PYEOF
echo "PASS: $TEST_NAME"
