#!/usr/bin/env bash
# Every accepted client socket gets TCP_NODELAY: a tick is one small write,
# and with Nagle on it waits for the ACK of the previous one, which the
# client delays by up to 40 ms (seen as 40-44 ms latency outliers before).
# The gateway runs under strace, which records its accept(2) and
# setsockopt(2) calls (hiredis sets TCP_NODELAY on its own Redis sockets:
# only sockets the gateway accepted count).
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "strace not installed (apt-get install strace)"
start_redis
GATEWAY_WRAPPER="strace -f -qq -e trace=accept,accept4,setsockopt -o $WORK/strace.txt" \
    start_gateway --redis-port "$REDIS_PORT"
# strace detaches when it is killed: stop the gateway itself too.
PIDS+=("$(pgrep -P "$gateway_PID")")
# start_gateway's own /stats probes are accepted connections too; add a
# WebSocket client to be sure a subscriber's socket is among them.
"$PY" - "$GATEWAY_PORT" <<'PYEOF' || fail "WebSocket client failed"
import asyncio, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/ws") as ws:
        await ws.send('{"event":"subscribe","data":{"symbols":["*"]}}')
        await asyncio.wait_for(ws.recv(), 5)
asyncio.run(main())
PYEOF
# Each accepted fd must get TCP_NODELAY before the next accept returns.
"$PY" - "$WORK/strace.txt" <<'PYEOF' || fail "TCP_NODELAY missing: $(cat "$WORK/strace.txt")"
import re, sys
waiting, good = set(), 0
for line in open(sys.argv[1]):
    m = re.search(r"accept4?\(.*\) = (\d+)$", line)
    if m:
        waiting.add(m.group(1))
        continue
    m = re.search(r"setsockopt\((\d+), (?:SOL_TCP|IPPROTO_TCP), TCP_NODELAY, \[1\]", line)
    if m and m.group(1) in waiting:
        waiting.discard(m.group(1))
        good += 1
assert good >= 2 and not waiting, f"{good} accepted sockets with TCP_NODELAY, without: fds {waiting}"
print(f"{good} accepted sockets, all with TCP_NODELAY")
PYEOF
echo "PASS: $TEST_NAME"
