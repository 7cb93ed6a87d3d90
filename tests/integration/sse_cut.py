"""An SSE client cut between two events of one tick resumes without loss.

Usage: sse_cut.py URL REDIS_PORT [REDIS_PREFIX]
URL is an /events stream of two or more symbols (?symbols=BTC,ETH), directly
or through a proxy.  The client parses the stream as a browser does (WHATWG
HTML "event stream interpretation": an id field sets the last event id when
the block is dispatched, even a block without data), waits for two whole
live ticks, then drops the connection right after the FIRST event of the next
tick, as a network cut would.  It reconnects with the Last-Event-ID a browser
would now hold and reads three more ticks.  Checked against the history
stream in Redis: the resumed stream is exactly the ticks after that id (the
cut tick whole, then the ones after it), in order, none twice, so that
before and after the cut together hold every event of every tick.
Every wait has an overall deadline: the script fails, never hangs.
"""
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

DEADLINE_S = 40  # for the whole run: two ticks, the cut, three more ticks


class Stream:
    """One connection's events: (event type, data JSON) per dispatch."""

    def __init__(self, url, last_event_id, deadline):
        req = urllib.request.Request(url)
        if last_event_id:
            req.add_header("Last-Event-ID", last_event_id)
        self.deadline = deadline
        self.resp = urllib.request.urlopen(req, timeout=5)
        ctype = self.resp.headers["Content-Type"]
        assert ctype.startswith("text/event-stream"), ctype
        self.last_event_id = last_event_id or ""
        self.id_changes = 0

    def events(self):
        """Yield (type, data) per dispatched event, after updating
        self.last_event_id as a browser does (WHATWG steps 1-2)."""
        etype, data, id_buf = "", [], self.last_event_id
        while True:
            if time.monotonic() > self.deadline:
                raise TimeoutError("overall deadline passed while reading the stream")
            line = self.resp.readline()
            if not line:
                raise EOFError("the stream ended")
            line = line.decode().rstrip("\r\n")
            if line == "":
                if id_buf != self.last_event_id:
                    self.id_changes += 1
                self.last_event_id = id_buf
                if data:
                    yield etype or "message", json.loads("\n".join(data))
                etype, data = "", []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                etype = value
            elif field == "id" and "\0" not in value:
                id_buf = value

    def close(self):
        self.resp.close()


def pairs_of(etype, data):
    assert etype == "price-update", f"unexpected {etype} event: {data}"
    return [(data["id"], data["symbol"])]


def stream_after(redis_port, prefix, after, symbols):
    out = subprocess.run(["redis-cli", "-p", redis_port, "--json", "XRANGE",
                          prefix + "history", "(" + after, "+"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    want = []
    for _, fields in json.loads(out):
        tick = json.loads(dict(zip(fields[::2], fields[1::2]))["tick"])
        want += [(tick["id"], p["symbol"]) for p in tick["prices"] if p["symbol"] in symbols]
    return want


def main():
    url, redis_port = sys.argv[1], sys.argv[2]
    prefix = sys.argv[3] if len(sys.argv) > 3 else "cryptopulse:"
    symbols = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["symbols"][0].split(",")
    assert len(symbols) >= 2, "needs a stream of two or more symbols"
    deadline = time.monotonic() + DEADLINE_S
    socket.setdefaulttimeout(5)

    # Before the cut: skip the snapshot, see two whole ticks, then stop right
    # after the first event of the third.
    s = Stream(url, None, deadline)
    before, cut_tick = [], None
    for etype, data in s.events():
        if s.id_changes < 2:  # the snapshot's id, then the first whole tick
            continue
        if before and data["id"] != before[-1][0] and s.id_changes >= 3:
            cut_tick = data["id"]
            before += pairs_of(etype, data)
            break
        before += pairs_of(etype, data)
    held = s.last_event_id
    s.close()
    assert held and held != cut_tick, (
        f"after the first event of tick {cut_tick} the browser's last event id is {held!r}: "
        "an event that is not the last of its tick carried the id")

    # Resume as the browser would, and read three more whole ticks.
    r = Stream(url, held, deadline)
    after = []
    for etype, data in r.events():
        assert etype != "snapshot", f"resume from {held} got a snapshot: {data}"
        after += pairs_of(etype, data)
        if r.id_changes >= 3:
            break
    r.close()

    want = stream_after(redis_port, prefix, held, symbols)[:len(after)]
    assert after == want, f"resumed from {held}: got {after[:6]}..., the stream has {want[:6]}..."
    assert len(set(after)) == len(after), f"an event came twice: {after}"
    missed = [(cut_tick, sym) for sym in symbols if (cut_tick, sym) not in before]
    lost = [p for p in missed if p not in after]
    assert missed and not lost, f"cut tick {cut_tick}: events {lost} never arrived"
    print(f"cut after {before[-1]}; resumed from {held}: {len(after)} events, "
          f"the cut tick's {missed} among them, none lost or repeated")


if __name__ == "__main__":
    main()
