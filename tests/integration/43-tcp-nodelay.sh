#!/usr/bin/env bash
# Every accepted client socket gets TCP_NODELAY: a tick is one small write,
# and with Nagle on it waits for the ACK of the previous one, which the
# client delays by up to 40 ms (seen as 40-44 ms latency outliers before).
# The gateway sets it, and TCP_NOTSENT_LOWAT, once on its listening socket,
# which every accepted socket inherits (check_gateway reads them back from
# an accepted socket).  The gateway runs under strace, which records its
# setsockopt(2) and accept(2) calls: each accepted socket must come from a
# listener that had both set before it (hiredis sets TCP_NODELAY on its own
# Redis sockets: only sockets the gateway accepted count).
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
# Each accepted fd must come from a listener with TCP_NODELAY on and a
# TCP_NOTSENT_LOWAT (OUTPUT_HIGH_WATER_BYTES, 65536 by default).
"$PY" - "$WORK/strace.txt" <<'PYEOF' || fail "TCP_NODELAY missing: $(cat "$WORK/strace.txt")"
import re, sys
nodelay, lowat, good, bad = set(), set(), 0, []
for line in open(sys.argv[1]):
    m = re.search(r"setsockopt\((\d+), (?:SOL_TCP|IPPROTO_TCP), TCP_NODELAY, \[1\]", line)
    if m:
        nodelay.add(m.group(1))
    m = re.search(r"setsockopt\((\d+), (?:SOL_TCP|IPPROTO_TCP), TCP_NOTSENT_LOWAT, \[65536\]", line)
    if m:
        lowat.add(m.group(1))
    m = re.search(r"accept4?\((\d+), .*\) = (\d+)$", line)
    if m:
        if m.group(1) in nodelay and m.group(1) in lowat:
            good += 1
        else:
            bad.append(m.group(2))
assert good >= 2 and not bad, f"{good} accepted sockets with TCP_NODELAY, without: fds {bad}"
print(f"{good} accepted sockets, all from a listener with TCP_NODELAY and TCP_NOTSENT_LOWAT")
PYEOF
echo "PASS: $TEST_NAME"
