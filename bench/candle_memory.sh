#!/bin/bash
# candle_memory.sh: the Redis memory one symbol's candles take at the default
# retention (README "Redis layout").  A generated Binance-layout file of
# BTCUSDT — a random walk near 100,000 USDT with quote volumes to 0.001 —
# has a row every minute for the last 7 days, every 5 minutes back to 30
# days, every hour back to 400 days and every day back to 1,826 days; it is
# written with `cryptopulse-feeder --backfill` (the real members and the
# real retention) into a scratch redis-server, and MEMORY USAGE of each key
# is printed as a table.
#
#   bench/candle_memory.sh [BUILD_DIR]     (default: the source tree)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/..}
feeder=$build/feeder/cryptopulse-feeder
[ -x "$feeder" ] || { echo "build first: $feeder is missing" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server not installed" >&2; exit 2; }
PY=/usr/bin/python3

work=$(mktemp -d /tmp/cp-candle-memory.XXXXXX)
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

csv=$work/BTCUSDT-1m-bench.csv
"$PY" - "$csv" <<'EOF'
import random, sys, time
random.seed(18)
MIN, DAY = 60000, 86400000
end = int(time.time() * 1000) // DAY * DAY  # midnight UTC today: every candle closed
times = set()
for step, days in ((DAY, 1826), (3600000, 400), (300000, 30), (MIN, 7)):
    times.update(range(end - days * DAY, end, step))
price = 100000.0
with open(sys.argv[1], "w") as f:
    for t in sorted(times):
        o = price
        price *= 1 + random.gauss(0, 0.001)
        c = price
        h = max(o, c) * (1 + abs(random.gauss(0, 0.0005)))
        l = min(o, c) * (1 - abs(random.gauss(0, 0.0005)))
        qv = random.uniform(2e5, 5e6)
        f.write("%d,%.2f,%.2f,%.2f,%.2f,%.5f,%d,%.3f,%d,0,0,0\n"
                % (t, o, h, l, c, qv / c, t + MIN - 1, qv, random.randint(100, 5000)))
EOF

t0=$(date +%s%3N)
"$feeder" --backfill "$csv" --redis-port "$port" --redis-prefix bench: --log-level warn
t1=$(date +%s%3N)

version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
echo
echo "redis-server $version, one symbol (BTC) at the default retention; backfill $((t1 - t0)) ms"
echo
echo "| interval | retention | candles | MEMORY USAGE, bytes | bytes per candle | member, bytes (mean) |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
total=0
for iv in 1m:7 5m:30 1h:400 1d:1826; do
    name=${iv%%:*} days=${iv##*:}
    key=bench:candles:BTC:$name
    n=$(redis-cli -p "$port" ZCARD "$key")
    bytes=$(redis-cli -p "$port" MEMORY USAGE "$key" SAMPLES 0)
    mean=$(redis-cli -p "$port" --raw ZRANGE "$key" 0 -1 | awk '{ s += length($0) } END { printf "%.1f", s / NR }')
    total=$((total + bytes))
    printf '| %s | %s days | %s | %s | %s | %s |\n' "$name" "$days" "$n" "$bytes" \
        "$((bytes / n))" "$mean"
done
printf '| all four | | | %s | | |\n' "$total"
echo
echo "used_memory of the whole server: $(redis-cli -p "$port" INFO memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"
