#!/usr/bin/env bash
# "systemctl reload" as the shipped units do it, without systemd: take the
# ExecStart= and ExecReload= lines of each generated unit (systemd/*.service),
# with the settings file at a temporary path, the programs from the build
# tree and the unit's specifiers filled in; run ExecStart, edit the file, run
# ExecReload exactly as written with $MAINPID the started pid, and check that
# the new value is in force.  Also: no unit passes settings by environment
# (EnvironmentFile=), which a reload could never change.
. "$(dirname "$0")/lib.sh"
command -v cgi-fcgi >/dev/null || skip "cgi-fcgi not installed (Debian: libfcgi-bin)"

start_redis
units=$top_builddir/systemd
conf=$WORK/cryptopulse.env

# unit_line UNIT KEY: the value of KEY= in the generated UNIT (one line).
unit_line() {
    local v
    v=$(sed -n "s/^$2=//p" "$units/$1")
    [ "$(echo "$v" | wc -l)" = 1 ] && [ -n "$v" ] || fail "$1: want one $2= line, got: $v"
    echo "$v"
}
# argv UNIT KEY PID: that line as words, one a line, the way systemd splits
# it (the units use no quotes): the settings file path, the programs and
# 127.0.0.1:9000 replaced by ours, %i, %H and $MAINPID filled in.
argv() {
    local line word bindir sysconf
    line=$(unit_line "$1" "$2")
    bindir=$(dirname "$(unit_line "$1" ExecStart | cut -d' ' -f1)")
    sysconf=$(unit_line "$1" ExecStart | grep -o -- '--config [^ ]*' | cut -d' ' -f2)
    [ -n "$sysconf" ] || fail "$1: ExecStart does not pass --config FILE"
    for word in $line; do
        case $word in
        "$sysconf") word=$conf ;;
        "$bindir"/cryptopulse-gateway) word=$top_builddir/gateway/cryptopulse-gateway ;;
        "$bindir"/cryptopulse-feeder) word=$top_builddir/feeder/cryptopulse-feeder ;;
        "$bindir"/cryptopulse-fcgi) word=$top_builddir/fcgi/cryptopulse-fcgi ;;
        127.0.0.1:9000) word=127.0.0.1:$FPORT ;;
        esac
        word=${word//%i/$GPORT}
        word=${word//%H/$(hostname)}
        word=${word//\$MAINPID/$3}
        echo "$word"
    done
}
# run_unit NAME UNIT: start NAME from the unit's ExecStart (sets NAME_PID).
run_unit() {
    local words
    mapfile -t words < <(argv "$2" ExecStart 0)
    start "$1" "${words[@]}"
}
# reload_unit UNIT PID: run the unit's ExecReload as written.
reload_unit() {
    local words
    mapfile -t words < <(argv "$1" ExecReload "$2")
    [ "${words[0]}" = /bin/kill ] || [ -x "${words[0]}" ] || fail "$1: ExecReload runs ${words[0]}"
    within 10 "${words[@]}" || fail "$1: ExecReload failed"
}

for u in cryptopulse-gateway@.service cryptopulse-feeder.service cryptopulse-fcgi.service; do
    [ -f "$units/$u" ] || fail "$u not generated"
    ! grep -q '^EnvironmentFile=' "$units/$u" || fail "$u passes settings by EnvironmentFile="
done

GPORT=$(free_port)
FPORT=$(free_port)
printf 'REDIS_PORT=%s\nLOG_LEVEL=info\nMAX_MESSAGES_PER_SECOND=100\nPRICE_TTL_SECONDS=3\n' \
    "$REDIS_PORT" >"$conf"
run_unit gateway cryptopulse-gateway@.service
run_unit feeder cryptopulse-feeder.service
run_unit fcgi cryptopulse-fcgi.service
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$GPORT/stats" || fail "gateway did not start"
wait_for 10 grep -q 'serving FastCGI' "$WORK/fcgi.log" || fail "fcgi did not start"

welcome_rate() {
    within 10 "$PY" - "$GPORT" <<'PYEOF'
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        w = json.loads(await ws.recv())
        print(w.get("data", w).get("max_messages_per_second"))
asyncio.run(main())
PYEOF
}
ttl_above() { test "$(redis-cli -p "$REDIS_PORT" TTL cryptopulse:price:BTC)" -gt "$1"; }
[ "$(welcome_rate)" = 100 ] || fail "gateway started with MAX_MESSAGES_PER_SECOND $(welcome_rate)"
wait_for 10 ttl_above 0 || fail "feeder wrote no price"
! ttl_above 3 || fail "feeder started with a TTL above 3 s"

# The operator edits the file and runs "systemctl reload" for each unit.
printf 'REDIS_PORT=%s\nLOG_LEVEL=debug\nMAX_MESSAGES_PER_SECOND=9\nPRICE_TTL_SECONDS=90\n' \
    "$REDIS_PORT" >"$conf"
reload_unit cryptopulse-gateway@.service "$gateway_PID"
reload_unit cryptopulse-feeder.service "$feeder_PID"
reload_unit cryptopulse-fcgi.service "$fcgi_PID"
rate_is_9() { test "$(welcome_rate)" = 9; }
wait_for 10 rate_is_9 || fail "gateway: MAX_MESSAGES_PER_SECOND not reloaded ($(welcome_rate))"
wait_for 10 ttl_above 3 || fail "feeder: PRICE_TTL_SECONDS not reloaded"
wait_for 10 grep -q 'reload: LOG_LEVEL info -> debug' "$WORK/fcgi.log" || fail "fcgi: not reloaded"
for p in gateway feeder fcgi; do
    pid=${p}_PID
    kill -0 "${!pid}" || fail "$p died on reload"
    grep -q 'reload: LOG_LEVEL info -> debug' "$WORK/$p.log" || fail "$p: LOG_LEVEL not reloaded"
done
echo "PASS: $TEST_NAME"
