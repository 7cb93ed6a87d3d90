#!/usr/bin/env bash
# Cluster reload: SIGHUP makes the supervisor read and check the settings
# itself (one log line per change), then the workers take them; a worker
# started after a crash runs with the reloaded settings, not the start-up
# ones; a bad value reaches no worker; SIGHUPs that arrive while a worker is
# starting never kill it.
. "$(dirname "$0")/lib.sh"

start_redis
printf 'MAX_MESSAGES_PER_SECOND=100\n' >"$WORK/gw.env"
start_gateway --redis-port "$REDIS_PORT" --workers 2 --config "$WORK/gw.env"

# rates N: N WebSocket clients; prints each welcome's max_messages_per_second.
rates() {
    within 20 "$PY" - "$GATEWAY_PORT" "$1" <<'PYEOF'
import asyncio, json, sys, websockets
async def one():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        w = json.loads(await ws.recv())
        return w.get("data", w).get("max_messages_per_second")
async def main():
    print(" ".join(str(r) for r in await asyncio.gather(*[one() for _ in range(int(sys.argv[2]))])))
asyncio.run(main())
PYEOF
}
all_are() { # all_are VALUE: 12 clients, every one told VALUE
    local r
    r=$(rates 12) && [ -z "$(echo "$r" | tr ' ' '\n' | grep -v -x "$1")" ]
}
workers() { pgrep -P "$gateway_PID" | sort; }
two_workers() { test "$(workers | wc -l)" = 2; }
wait_for 10 two_workers || fail "no 2 workers"
all_are 100 || fail "before reload: $(rates 12)"

printf 'MAX_MESSAGES_PER_SECOND=2\n' >"$WORK/gw.env"
kill -HUP "$gateway_PID"
wait_for 10 all_are 2 || fail "the workers did not take the reload: $(rates 12)"
[ "$(grep -c -F 'reload: MAX_MESSAGES_PER_SECOND 100 -> 2' "$WORK/gateway.log")" = 1 ] ||
    fail "want one reload line from the supervisor: $(grep reload: "$WORK/gateway.log")"

# Both workers crash; their replacements fork from the supervisor's memory.
old=$(workers)
for pid in $old; do kill -9 "$pid"; done
replaced() { two_workers && [ -z "$(comm -12 <(echo "$old") <(workers))" ]; }
wait_for 10 replaced || fail "the killed workers were not replaced"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/stats" || fail "not serving"
all_are 2 || fail "a worker restarted after the reload serves the old settings: $(rates 12)"

# A bad value: the supervisor says so once and keeps the settings, for the
# running workers and for the ones it starts later.
printf 'MAX_MESSAGES_PER_SECOND=lots\n' >"$WORK/gw.env"
kill -HUP "$gateway_PID"
wait_for 5 grep -q 'SIGHUP: .*MAX_MESSAGES_PER_SECOND.*keeping the running ones' "$WORK/gateway.log" ||
    fail "the bad reload is not logged"
sleep 0.5
[ "$(grep -c 'keeping the running ones' "$WORK/gateway.log")" = 1 ] ||
    fail "a bad reload reached the workers: $(grep 'keeping' "$WORK/gateway.log")"
all_are 2 || fail "a bad reload changed the settings: $(rates 12)"

# SIGHUPs as fast as the shell sends them for 1 s while a killed worker is
# started again (100 ms later): none may die of one that comes before its
# handler is in place.
printf 'MAX_MESSAGES_PER_SECOND=3\n' >"$WORK/gw.env"
old=$(workers)
kill -9 $(echo "$old" | head -n1)
end=$(( ${EPOCHREALTIME/./} + 1000000 ))
while (( ${EPOCHREALTIME/./} < end )); do kill -HUP "$gateway_PID"; done
wait_for 10 two_workers || fail "workers missing after the SIGHUPs"
sleep 0.5
! grep -q 'killed by signal 1;' "$WORK/gateway.log" || fail "a starting worker died of SIGHUP"
kill -0 "$gateway_PID" || fail "the supervisor died"
wait_for 10 all_are 3 || fail "after the SIGHUPs: $(rates 12)"
stop "$gateway_PID" || fail "gateway: exit status $? after SIGTERM"
echo "PASS: $TEST_NAME"
