"""An independent SSE client (Python's urllib, WHATWG event-stream parsing).

Usage: sse_client.py URL SECONDS [LAST_EVENT_ID]
Reads the stream for SECONDS and prints one JSON line per event:
{"id":..,"event":..,"data":<parsed JSON>} and {"comment": text} for comment
lines.  LAST_EVENT_ID, if given, is sent as the Last-Event-ID header.
"""
import json
import socket
import sys
import time
import urllib.request


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    req = urllib.request.Request(url)
    if len(sys.argv) > 3:
        req.add_header("Last-Event-ID", sys.argv[3])
    deadline = time.monotonic() + seconds
    event = {}
    data = []
    with urllib.request.urlopen(req, timeout=seconds) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream"), resp.headers
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
