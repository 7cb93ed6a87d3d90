#!/usr/bin/env bash
# Quick start: install what is missing, build, and start a private
# redis-server, the feeder and the gateway from this source tree.
#   scripts/quickstart.sh            mock prices (a random walk)
#   scripts/quickstart.sh --replay   the real market data in ../shared/data/market
#   scripts/quickstart.sh --live     live prices from Binance, Coinbase and Kraken
#                                    (needs outbound HTTPS to them: README "Live prices")
# Stop everything with scripts/stop.sh.  PORT (default 3000) picks the
# gateway's port; Redis gets a free one.  Logs and pid files go to RUN_DIR
# (default run/).  QUICKSTART_NO_SETUP=1 skips installing and building.
#
# It says "running" only once every process it started is alive and the
# gateway answers GET /health/live on PORT from its own pid (within
# QUICKSTART_WAIT_S seconds, default 10); otherwise it stops what it
# started, shows the failing process's log and exits 1.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run=${RUN_DIR:-$top/run}
PORT=${PORT:-3000}
wait_s=${QUICKSTART_WAIT_S:-10}

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

if [ "${QUICKSTART_NO_SETUP:-0}" != 1 ]; then
    scripts/install-deps.sh
    scripts/build.sh
fi
RUN_DIR=$run scripts/stop.sh --quiet

# give_up NAME WHY: stop everything started here (by the pids recorded in
# $run), show NAME's log and exit 1.
give_up() {
    echo "quickstart: $2" >&2
    if [ -f "$run/$1.log" ]; then
        echo "--- last lines of $run/$1.log:" >&2
        tail -n 10 "$run/$1.log" >&2
    fi
    RUN_DIR=$run scripts/stop.sh --quiet || true
    exit 1
}
alive() { kill -0 "$(cat "$run/$1.pid" 2>/dev/null)" 2>/dev/null; }

mkdir -p "$run"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$run" \
    --daemonize yes --pidfile "$run/redis.pid" --logfile "$run/redis.log" ||
    give_up redis "redis-server did not start"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" ping >/dev/null 2>&1 || give_up redis "redis-server does not answer on $redis_port"

export REDIS_PORT=$redis_port
nohup feeder/cryptopulse-feeder "${mode[@]}" >"$run/feeder.log" 2>&1 &
echo $! >"$run/feeder.pid"
nohup gateway/cryptopulse-gateway --port "$PORT" --www-root "$top/www" >"$run/gateway.log" 2>&1 &
echo $! >"$run/gateway.pid"

# Our gateway is the one listening on PORT: its pid owns the socket (ss,
# where it can tell), so another server on PORT never passes for it.
ours_listening() {
    command -v ss >/dev/null || return 0
    ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$(cat "$run/gateway.pid")," ||
        ! ss -Hltnp 2>/dev/null | grep -q 'pid=' # ss cannot show pids here
}
live() {
    curl -s -m 2 "http://127.0.0.1:$PORT/health/live" 2>/dev/null | grep -q '"status":"live"'
}
end=$((SECONDS + wait_s))
until alive gateway && live && ours_listening; do
    alive gateway || give_up gateway "the gateway exited at start (is port $PORT taken? PORT=... picks another)"
    alive feeder || give_up feeder "the feeder exited at start"
    [ "$SECONDS" -lt "$end" ] ||
        give_up gateway "the gateway does not answer http://127.0.0.1:$PORT/health/live after ${wait_s} s"
    sleep 0.1
done
sleep 0.3 # a feeder that cannot start exits at once
alive feeder || give_up feeder "the feeder exited at start"
alive gateway || give_up gateway "the gateway exited at start"

cat <<MSG
CryptoPulse is running (${mode[0]#--} prices; Redis on 127.0.0.1:$redis_port, logs in $run/).
  Dashboard:   http://127.0.0.1:$PORT/
  SSE stream:  curl -N 'http://127.0.0.1:$PORT/events?symbols=BTC'
  WebSocket:   ws://127.0.0.1:$PORT/ws
Stop: ${RUN_DIR:+RUN_DIR=$run }scripts/stop.sh
MSG
[ "${mode[0]}" = --mock ] && echo "Replay the real market data instead: scripts/quickstart.sh --replay"
[ "${mode[0]}" = --live ] && echo "Exchanges' state: curl -s http://127.0.0.1:$PORT/health (\"sources\")"
exit 0
