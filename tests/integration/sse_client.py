"""An independent SSE client (Python's urllib, WHATWG event-stream parsing).

Usage: sse_client.py URL SECONDS [LAST_EVENT_ID]
Reads the stream for SECONDS and prints one JSON line per event:
{"id":..,"event":..,"data":<parsed JSON>} and {"comment": text} for comment
lines.  LAST_EVENT_ID, if given, is sent as the Last-Event-ID header.
A read still waiting at the end gets up to SECONDS more (as its socket
timeout); the whole run ends after 2 * SECONDS + 1 s whatever arrives, so
bytes that trickle without a newline cannot hold it.
"""
import json
import signal
import socket
import sys
import time
import urllib.request


class HardStop(Exception):
    """The run's hard deadline: the normal end once the stream is open."""


def hard_stop(signum, frame):
    raise HardStop("sse_client.py: hard deadline (2 * SECONDS + 1 s) passed")


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    req = urllib.request.Request(url)
    if len(sys.argv) > 3:
        req.add_header("Last-Event-ID", sys.argv[3])
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGALRM, hard_stop)
    signal.setitimer(signal.ITIMER_REAL, 2 * seconds + 1)
    with urllib.request.urlopen(req, timeout=seconds) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream"), resp.headers
        try:
            read_events(resp, deadline)
        except HardStop:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


def read_events(resp, deadline):
    event = {}
    data = []
    while time.monotonic() < deadline:
        try:
            line = resp.readline()
        except (socket.timeout, TimeoutError):
            break
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line == "":
            if data:
                event["data"] = json.loads("\n".join(data))
                print(json.dumps(event), flush=True)
            event, data = {}, []
        elif line.startswith(":"):
            print(json.dumps({"comment": line[1:].strip()}), flush=True)
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field in ("id", "event", "retry"):
                event[field] = value

if __name__ == "__main__":
    main()
