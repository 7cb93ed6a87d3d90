"""Wire formatting for exchange_sim.py: each exchange's way of writing
numbers and times, the instrument names of a base asset, and the JSON HTTP
answers of the control API and of refused handshakes."""

import http
import json
import re
import time
from decimal import ROUND_HALF_EVEN, Decimal

ONE_DAY_MS = 86_400_000
DEFAULT_PRICES = {"BTC": Decimal("95000.12"), "ETH": Decimal("3200.5"), "SOL": Decimal("150.25")}
OTHER_PRICE = Decimal("100")
BASE_RE = re.compile(r"^[A-Z0-9]{2,12}$")
BINANCE_STREAM_RE = re.compile(r"^([a-z0-9]{2,12})usdt@ticker$")
E8 = Decimal("1e-8")


# ---------------------------------------------------------------- formatting

def q8(d):
    return d.quantize(E8, rounding=ROUND_HALF_EVEN)


def dec8(d):
    """Binance style: always 8 decimals ("95000.12000000")."""
    return format(q8(d), "f")


def dec_min(d, places=8):
    """Coinbase style: no trailing zeros ("95000.12", "126296")."""
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN).normalize()
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def num(d, places=8):
    """Kraken v2 style: a JSON number."""
    return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def rfc3339_ns(t_ns):
    s, ns = divmod(t_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ns:09d}Z"


def rfc3339_us(t=None):
    t_ns = time.time_ns() if t is None else int(t * 1e9)
    s, ns = divmod(t_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ns // 1000:06d}Z"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# ------------------------------------------------------------------- symbols

def instrument(exchange, base):
    return {"binance": base + "USDT", "coinbase": base + "-USD", "kraken": base + "/USD"}[exchange]


def base_of(exchange, inst):
    """The base asset of an exchange's instrument name, or None when the name
    is not one of that exchange's USD(T) pairs."""
    if not isinstance(inst, str):
        return None
    if exchange == "binance":
        base = inst[:-4] if inst.endswith("USDT") else None
    else:
        sep = "-" if exchange == "coinbase" else "/"
        parts = inst.split(sep)
        base = parts[0] if len(parts) == 2 and parts[1] == "USD" else None
    return base if base and BASE_RE.match(base) else None


def control_symbol(s):
    """"BTC", "btc", "BTCUSDT", "BTC-USD", "BTC/USD" -> "BTC"."""
    s = (s or "").strip().upper()
    for sep in ("-", "/"):
        if sep in s:
            s = s.split(sep)[0]
    if s.endswith("USDT") and len(s) > 4:
        s = s[:-4]
    return s if BASE_RE.match(s) else None


# ---------------------------------------------------------------- HTTP

def json_response(status, body):
    """A process_request answer: (status, headers, JSON body)."""
    data = (json.dumps(body, indent=None) + "\n").encode()
    return (http.HTTPStatus(status), [("Content-Type", "application/json"),
                                      ("Cache-Control", "no-store")], data)
