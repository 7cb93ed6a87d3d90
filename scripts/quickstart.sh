#!/usr/bin/env bash
# Quick start: install what is missing, build, and start a private
# redis-server, the feeder and the gateway from this source tree.
#   scripts/quickstart.sh            mock prices (a random walk)
#   scripts/quickstart.sh --replay   the real market data in ../shared/data/market
#   scripts/quickstart.sh --live     live prices from Binance, Coinbase and Kraken
#                                    (needs outbound HTTPS to them: README "Live prices")
# Stop everything with scripts/stop.sh.  PORT (default 3000) picks the port.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run=$top/run
PORT=${PORT:-3000}

mode=(--mock)
if [ "${1:-}" = --replay ]; then
    data=$(ls "${CRYPTOPULSE_SHARED:-$top/../shared}"/data/market/*.csv 2>/dev/null | head -n1)
    [ -n "$data" ] || { echo "no market data under ../shared/data/market" >&2; exit 1; }
    mode=(--replay "$data" --loop)
elif [ "${1:-}" = --live ]; then
    mode=(--live)
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--replay | --live]" >&2
    exit 2
fi

scripts/install-deps.sh
scripts/build.sh
scripts/stop.sh --quiet

mkdir -p "$run"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$run" \
    --daemonize yes --pidfile "$run/redis.pid" --logfile "$run/redis.log"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export REDIS_PORT=$redis_port
nohup feeder/cryptopulse-feeder "${mode[@]}" >"$run/feeder.log" 2>&1 &
echo $! >"$run/feeder.pid"
nohup gateway/cryptopulse-gateway --port "$PORT" --www-root "$top/www" >"$run/gateway.log" 2>&1 &
echo $! >"$run/gateway.pid"

for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/stats" && break
    sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/stats" || {
    echo "the gateway did not start; see $run/gateway.log:" >&2
    tail -n 5 "$run/gateway.log" >&2
    exit 1
}
cat <<MSG
CryptoPulse is running (${mode[0]#--} prices; Redis on 127.0.0.1:$redis_port, logs in run/).
  Dashboard:   http://127.0.0.1:$PORT/
  SSE stream:  curl -N 'http://127.0.0.1:$PORT/events?symbols=BTC'
  WebSocket:   ws://127.0.0.1:$PORT/ws
Stop: scripts/stop.sh
MSG
[ "${mode[0]}" = --mock ] && echo "Replay the real market data instead: scripts/quickstart.sh --replay"
[ "${mode[0]}" = --live ] && echo "Exchanges' state: curl -s http://127.0.0.1:$PORT/health (\"sources\")"
exit 0
