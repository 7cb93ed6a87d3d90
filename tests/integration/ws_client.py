"""A real WebSocket client (python3-websockets) for the integration tests.

Usage: ws_client.py URL SYMBOLS COUNT TIMEOUT_S [deflate|deflate10|plain]
Connects, expects `welcome`, subscribes to SYMBOLS (comma list), expects
`subscribed`, then prints one line of JSON per price it receives (from
price-update and price-update-bulk) until COUNT prices or TIMEOUT_S seconds.
Exits 0 when COUNT prices arrived, 1 otherwise (saying what it waited for
when a deadline passed: SETUP_S for the handshake, welcome and subscribed,
TIMEOUT_S for the prices, CLOSE_S for the close).  With "deflate" (the
default) the client offers permessage-deflate (RFC 7692) and fails unless the
server accepted it; "deflate10" also asks for server_max_window_bits=10 and
client_max_window_bits; with "plain" it offers no extension.
"""
import asyncio
import json
import sys

import websockets

SETUP_S = 10  # connect and handshake, welcome, subscribed: each
CLOSE_S = 5  # the closing handshake (websockets may wait for it up to three times)


class Late(Exception):
    """A deadline passed; the message says what was awaited."""


async def recv(ws, what, seconds):
    try:
        return await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        raise Late(f"no {what} within {seconds:g} s") from None


async def run(url, symbols, count, timeout, mode):
    got = 0
    options = {"compression": None if mode == "plain" else "deflate"}
    if mode == "deflate10":
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        options = {"compression": None, "extensions": [ClientPerMessageDeflateFactory(
            server_max_window_bits=10, client_max_window_bits=True)]}
    options.update(open_timeout=SETUP_S, close_timeout=CLOSE_S)
    async with websockets.connect(url, **options) as ws:
        extensions = [type(e).__name__ for e in ws.extensions]
        want = [] if mode == "plain" else ["PerMessageDeflate"]
        assert extensions == want, f"negotiated {extensions}, expected {want}"
        welcome = json.loads(await recv(ws, "welcome", SETUP_S))
        assert welcome["event"] == "welcome", welcome
        assert welcome["data"]["server"].startswith("cryptopulse/"), welcome
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": symbols}}))
        subscribed = json.loads(await recv(ws, "subscribed", SETUP_S))
        assert subscribed["event"] == "subscribed", subscribed
        assert sorted(subscribed["data"]["symbols"]) == sorted(symbols), subscribed
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while got < count:
            left = deadline - loop.time()
            msg = json.loads(await recv(ws, f"price {got + 1} of {count}", max(left, 0)))
            if msg["event"] == "price-update":
                prices = [msg["data"]]
            elif msg["event"] == "price-update-bulk":
                prices = msg["data"]["prices"]
            else:
                continue
            for p in prices:
                print(json.dumps(p), flush=True)
                got += 1
    return got


def main():
    url, symbols, count, timeout = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), float(sys.argv[4])
    mode = sys.argv[5] if len(sys.argv) > 5 else "deflate"
    try:
        got = asyncio.run(run(url, symbols, count, timeout, mode))
    except Late as e:
        print(f"timed out: {e}", file=sys.stderr)
        return 1
    except asyncio.TimeoutError:
        print(f"timed out opening or closing the connection (limits {SETUP_S} s, {CLOSE_S} s)",
              file=sys.stderr)
        return 1
    return 0 if got >= count else 1


if __name__ == "__main__":
    sys.exit(main())
