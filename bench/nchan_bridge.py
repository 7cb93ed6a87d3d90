#!/usr/bin/python3
"""Feed nginx+nchan the gateway's ticks: read `redis-cli --raw SUBSCRIBE
<channel>` on stdin and POST each tick to the nchan publisher, wrapped as the
gateway's price-update-bulk message, so both servers send the same bytes.
Usage: redis-cli -p P --raw SUBSCRIBE cryptopulse:ticks | nchan_bridge.py PORT"""
import http.client
import sys

conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
lines = iter(sys.stdin.readline, "")
for line in lines:
    if line.strip() != "message":
        continue
    next(lines)  # channel
    tick = next(lines).rstrip("\n")
    body = '{"event":"price-update-bulk","data":' + tick + "}"
    try:
        conn.request("POST", "/pub", body, {"Content-Type": "application/json"})
        conn.getresponse().read()
    except (OSError, http.client.HTTPException) as e:
        print(f"nchan_bridge: {e}", file=sys.stderr)
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
