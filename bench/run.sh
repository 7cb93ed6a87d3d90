#!/usr/bin/env bash
# The CryptoPulse benchmark (issue 8): starts Redis, the mock feeder and the
# gateway on free loopback ports, runs the standard scenarios with
# cryptopulse-load, runs the same load against nginx + nchan fed the same
# ticks, and writes a markdown table.
#
#   bench/run.sh [--build DIR] [--out FILE] [--only LIST] [--sustain SEC] [--rounds N] [--no-nchan]
#                [--no-floor] [--processes N] [--divide D]
#
# Scenarios (--only takes their names): ws-1k ws-10k ws-50k ws-100k
# ws-10k-one sse-10k deflate-10k sio-1k sio-10k node-sio-1k node-sio-10k
# burst fast-10k fast-10k-one storm-10k storm-100k storm-100k-worker.  The ws-* and fast-*
# scenarios also run the floor, bench/cryptopulse-floor (a minimal epoll
# server: the machine's limit), with one process per 19,000 clients or
# --processes N.  fast-*: the feeder ticks every 100 ms (UPDATE_INTERVAL_MS)
# instead of 1.5 s.  storm-*: N clients subscribed, the gateway killed and
# started again on the same port, every client reconnecting with the
# dashboard's backoff and resuming by tick id (cryptopulse-load --storm);
# storm-100k-worker: one of the gateway's workers killed (SIGKILL) instead.
# storm-10k and storm-100k also restart nchan and the floor the same way
# (their clients subscribe to nothing and are back at their handshake).
# --no-floor leaves the floor out.  --divide D (1-1000) divides every
# scenario's clients by D (names unchanged; burst keeps its 1,000), to try
# the harness on a small machine.
# Those above one process's MAX_CONNECTIONS need gateway workers
# (--workers, detected from --help); without them they are listed as not
# run.  sio-*: Socket.IO clients on the gateway's /socket.io/; node-sio-*:
# the same clients on the original stack, Node.js Socket.IO 4 with the
# Redis adapter (bench/socketio-node, installed from its lock with npm ci;
# not run without node and npm).  --rounds N runs the chosen scenarios N
# times, interleaved (round 1 of each, then round 2 ...).  A full run writes
# bench/results.md (README's table) and bench/results.jsonl; a run with
# --only writes ./bench-results.md and .jsonl unless --out says where.
# --build DIR: an out-of-tree build (default: the source tree).  Every
# process started here is stopped by pid on exit, also when the script is
# interrupted.  Exit status: 0 when every scenario gave a result, 1 when one
# did not, 2 for a usage or set-up error.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=$src
out=
all="ws-1k ws-10k ws-50k ws-100k ws-10k-one sse-10k deflate-10k sio-1k sio-10k node-sio-1k node-sio-10k burst fast-10k fast-10k-one storm-10k storm-100k storm-100k-worker"
only=$all
sustain=20
rounds=1
nchan=1
floor=1
floor_procs=0
divide=1
usage() { echo "bench/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --build | --out | --only | --sustain | --rounds | --processes | --divide) [ $# -ge 2 ] || usage "$1 needs a value" ;;
    esac
    case $1 in
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    --sustain) sustain=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --no-nchan) nchan=0 ;;
    --no-floor) floor=0 ;;
    --processes) floor_procs=$2; shift ;;
    --divide) divide=$2; shift ;;
    -h|--help) sed -n '2,/^set -eu/{/^set -eu/!p}' "$0"; exit 0 ;;
    *) usage "unknown argument $1 (see --help)" ;;
    esac
    shift
done
for name in $only; do
    case " $all " in *" $name "*) ;; *) usage "unknown scenario '$name' (scenarios: $all)" ;; esac
done
[ -n "$only" ] || usage "--only needs at least one scenario (scenarios: $all)"
# Whole numbers without leading zeros (bash would read "010" as octal and
# "00" would pass a test for 0).
whole() { case $1 in [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) return 0 ;; *) return 1 ;; esac; }
whole "$sustain" || usage "--sustain must be a whole number of seconds from 1 to 9999, not '$sustain'"
whole "$rounds" || usage "--rounds must be a whole number from 1 to 9999, not '$rounds'"
# The smallest scenarios have 1,000 clients: at least one must be left.
{ whole "$divide" && [ "$divide" -le 1000 ]; } || usage "--divide must be a whole number from 1 to 1000, not '$divide'"
[ "$floor_procs" = 0 ] || { whole "$floor_procs" && [ "$floor_procs" -le 64 ]; } ||
    usage "--processes must be a whole number from 1 to 64 (0: one per 19,000 clients), not '$floor_procs'"
if [ -z "$out" ]; then
    if [ "$only" = "$all" ]; then out=$here/results.md; else out=$PWD/bench-results.md; fi
fi
LOAD=$build/load/cryptopulse-load
GATEWAY=$build/gateway/cryptopulse-gateway
FEEDER=$build/feeder/cryptopulse-feeder
FLOOR=$build/bench/cryptopulse-floor
for b in "$LOAD" "$GATEWAY" "$FEEDER"; do
    [ -x "$b" ] || { echo "bench/run.sh: $b not built (make first)" >&2; exit 2; }
done
if [ "$floor" = 1 ] && [ ! -x "$FLOOR" ]; then
    echo "bench/run.sh: $FLOOR not built; floor rows skipped" >&2
    floor=0
fi
command -v redis-server >/dev/null || { echo "bench/run.sh: redis-server missing" >&2; exit 2; }
if [ "$nchan" = 1 ] && ! { command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; }; then
    echo "bench/run.sh: nginx with nchan missing (apt-get install $(grep -v '^#' "$here/deps.txt" | tr '\n' ' ')); comparison skipped" >&2
    nchan=0
fi

WORK=$(mktemp -d /tmp/cp-bench.XXXXXX)
PIDS=()
status=0
# stop PID: SIGTERM, and SIGKILL if it is still there 30 s later (a server
# that ignores SIGTERM must not hold the script), then reap it.
stop() {
    local t=0
    kill "$1" 2>/dev/null || true
    while kill -0 "$1" 2>/dev/null && [ "$t" -lt 300 ]; do sleep 0.1; t=$(( t + 1 )); done
    if kill -0 "$1" 2>/dev/null; then
        echo "bench/run.sh: pid $1 still running 30 s after SIGTERM: killed" >&2
        kill -KILL "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop "$pid"; done
    # The logs are kept only when something went wrong.
    if [ "$status" = 0 ]; then rm -rf "$WORK"; else echo "bench/run.sh: logs in $WORK" >&2; fi
}
trap cleanup EXIT
trap 'status=130; exit 130' INT TERM
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { local name=$1; shift; "$@" >>"$WORK/$name.log" 2>&1 & PIDS+=("$!"); eval "${name}_PID=$!"; }
wait_for() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.2; done
}
# A process and its children, comma-separated, for --pid.
pids_of() { local p; p=$(pgrep -d, -P "$1" || true); echo "$1${p:+,$p}"; }

per_process=$("$GATEWAY" --help | sed -n 's/.*MAX_CONNECTIONS, default: \([0-9]*\).*/\1/p')
per_process=${per_process:-20000}
has_workers=0
"$GATEWAY" --help | grep -q -- '--workers' && has_workers=1

REDIS_PORT=$(free_port)
start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --client-output-buffer-limit 'pubsub 0 0 0' --maxclients 1000
wait_for 10 redis-cli -p "$REDIS_PORT" ping || { echo "bench/run.sh: redis did not start" >&2; status=2; exit 2; }
FEED_INTERVAL=1500
start feeder "$FEEDER" --redis-port "$REDIS_PORT" --mock
feeder_interval() { # MS: restart the feeder when its tick interval differs
    [ "$1" = "$FEED_INTERVAL" ] && return 0
    stop "$feeder_PID"
    FEED_INTERVAL=$1
    start feeder "$FEEDER" --redis-port "$REDIS_PORT" --mock --interval "$1"
    sleep 1
}

GW_PORT=
ROUND=1
gateway_for() { # N [MIN_WORKERS]: start the gateway with enough workers for N clients
    local n=$1 workers=1
    [ "$n" -gt $((per_process - 200)) ] && workers=$(( (n + per_process - 501) / (per_process - 500) ))
    [ "$workers" -lt "${2:-1}" ] && workers=$2
    if [ "$workers" -gt 1 ] && [ "$has_workers" = 0 ]; then return 1; fi
    # A fresh gateway per scenario: freed memory that malloc keeps would
    # otherwise hide the next scenario's RSS growth.
    [ -n "$GW_PORT" ] && stop "$gateway_PID"
    GW_PORT=$(free_port) GW_WORKERS=$workers
    local extra=()
    [ "$workers" -gt 1 ] && extra=(--cluster true --workers "$workers")
    start gateway "$GATEWAY" --port "$GW_PORT" --redis-port "$REDIS_PORT" --www-root '' \
        --max-connections "$per_process" "${extra[@]}"
    wait_for 15 curl -sf "http://127.0.0.1:$GW_PORT/health" || { echo "gateway did not start" >&2; exit 1; }
}

NX_PORT=
nchan_start() { # WORKERS
    NX_PORT=$(free_port)
    mkdir -p "$WORK/nginx"
    local user=""
    [ "$(id -u)" = 0 ] && user="user root;"
    sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NX_PORT|g" -e "s|@WORKERS@|$1|g" \
        -e "s|@USER@|$user|g" "$here/nchan.conf.in" >"$WORK/nginx/nginx.conf"
    start nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
    wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$NX_PORT/pub" || { echo "nginx did not start" >&2; exit 1; }
    # The bridge: redis-cli subscribed to the ticks, piped into the publisher.
    ( redis-cli -p "$REDIS_PORT" --raw SUBSCRIBE cryptopulse:ticks | "$here/nchan_bridge.py" "$NX_PORT" ) \
        >>"$WORK/bridge.log" 2>&1 &
    BRIDGE_PID=$!
    PIDS+=("$BRIDGE_PID")
}
nchan_stop() {
    stop "$nginx_PID"
    pkill -P "$BRIDGE_PID" 2>/dev/null || true
    stop "$BRIDGE_PID"
    NX_PORT=
}

FL_PORT=
floor_start() { # N: the floor with one process per 19,000 clients (or --processes)
    FL_PROCS=$floor_procs
    [ "$FL_PROCS" = 0 ] && FL_PROCS=$(( ($1 + 18999) / 19000 ))
    FL_PORT=$(free_port)
    start floor "$FLOOR" --port "$FL_PORT" --redis-port "$REDIS_PORT" --processes "$FL_PROCS"
    wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$FL_PORT" ||
        { echo "the floor did not start" >&2; exit 1; }
    sleep 0.3 # its children, when several, bind the same port
}
floor_stop() { stop "$floor_PID"; FL_PORT=; }

# run NAME SERVER URL N PIDS [load options]: one measured run; appends its JSON.
run() {
    local name=$1 server=$2 url=$3 n=$4 pids=$5; shift 5
    local ramp=$(( n / 2000 + 3 )) workers=()
    # One load process reads 10,000 clients' ticks more slowly than the
    # server writes them, which would show as server latency: from 5,000
    # clients use at least one load worker per core.
    [ "$n" -ge 5000 ] && [ "$n" -lt 38000 ] && workers=(--workers "$(nproc)")
    echo "== $name on $server: $n clients, ramp ${ramp}s, sustain ${sustain}s" >&2
    # In the background, so that an interrupted script stops it too (bash
    # runs the INT/TERM trap only once a foreground child has finished).
    "$LOAD" --url "$url" --clients "$n" --ramp "$ramp" --sustain "$sustain" --pid "$pids" "${workers[@]}" \
        --connect-timeout 30000 --no-progress "$@" >"$WORK/$name-$server.out" 2>&1 &
    local load=$!
    PIDS+=("$load")
    wait "$load" || true
    local json
    json=$(tail -n 1 "$WORK/$name-$server.out")
    case $json in
    '{'*) printf '{"scenario":"%s","server":"%s","round":%d,"result":%s}\n' "$name" "$server" "$ROUND" "$json" >>"$WORK/results.jsonl" ;;
    *) printf '{"scenario":"%s","server":"%s","round":%d,"error":"no result"}\n' "$name" "$server" "$ROUND" >>"$WORK/results.jsonl"
       status=1
       tail -n 5 "$WORK/$name-$server.out" >&2 ;;
    esac
}

skipped() { # NAME REASON [SERVER]
    printf '{"scenario":"%s","server":"%s","round":%d,"skipped":"%s"}\n' "$1" "${3:-cryptopulse}" "$ROUND" "$2" >>"$WORK/results.jsonl"
}

scenario() { # NAME N PATH [load options]
    local name=$1 n=$(( $2 / divide )) path=$3; shift 3
    case " $only " in *" $name "*) ;; *) return 0 ;; esac
    if ! gateway_for "$n"; then
        skipped "$name" "needs gateway worker processes (more than $per_process connections)"
        return 0
    fi
    local scheme=ws
    [ "$path" = /events ] && scheme=http
    run "$name" cryptopulse "$scheme://127.0.0.1:$GW_PORT$path" "$n" "$(pids_of "$gateway_PID")" "$@"
    # The peer at the same N, one nginx worker per 19,000 clients (no per-symbol
    # channels or deflate in this nchan setup, so those two are ours alone).
    if [ "$nchan" = 1 ] && case $name in *one*|deflate*) false ;; *) true ;; esac; then
        nchan_start $(( (n + 18999) / 19000 ))
        run "$name" nchan "$scheme://127.0.0.1:$NX_PORT$path" "$n" "$(pids_of "$nginx_PID")" --subscribe none
        nchan_stop
    fi
    # The floor: WebSocket only, every tick whole to every client (no
    # subscriptions, so on *-one it sends more than the gateway does).
    if [ "$floor" = 1 ]; then
        case $name in
        sse* | deflate*) skipped "$name" "the floor speaks plain WebSocket only" floor ;;
        *) floor_start "$n"
           run "$name" floor "ws://127.0.0.1:$FL_PORT/ws" "$n" "$(pids_of "$floor_PID")" \
               --subscribe none --no-snapshot
           floor_stop ;;
        esac
    fi
}

# fast_scenario NAME N [load options]: scenario() with a tick every 100 ms.
fast_scenario() {
    case " $only " in *" $1 "*) ;; *) return 0 ;; esac
    feeder_interval 100
    scenario "$@"
    feeder_interval 1500
}

# storm_scenario NAME N [worker]: N clients on *, the gateway stopped
# (SIGTERM, as a restart) once they are all in, started again on the same
# port with the same options, and the load tool's --storm clients coming
# back.  The peak RSS and CPU are those of the new gateway, read from /proc
# before it stops.  With "worker": one of (at least two) worker processes is
# killed instead (SIGKILL, as a crash), the master starts another, and its
# clients come back to whichever worker the kernel gives them (SO_REUSEPORT);
# the CPU is then all the gateway's processes' after the kill.  A restart
# storm runs on nchan and the floor too, each stopped and started again on
# its port in the same way; their clients subscribe to nothing (their
# subscription is the URL) and are back at their handshake, with no resume.
# The gateway's clients put theirs in the URL too (?symbols=*&since=), as
# the dashboard does, and are back at their "subscribed".
storm_scenario() {
    local name=$1 n=$(( $2 / divide )) mode=${3:-restart}
    case " $only " in *" $name "*) ;; *) return 0 ;; esac
    local min_workers=1
    [ "$mode" = worker ] && min_workers=2
    gateway_for "$n" "$min_workers" || { skipped "$name" "needs gateway worker processes"; return 0; }
    # As the dashboard (www/cryptopulse-connection.js): the subscription and
    # the resume point in the URL.
    storm_run "$name" cryptopulse "ws://127.0.0.1:$GW_PORT/ws" "$n" gateway "$mode" --url-subscribe
    [ "$mode" = restart ] || return 0
    if [ "$nchan" = 1 ]; then
        nchan_start $(( (n + 18999) / 19000 ))
        storm_run "$name" nchan "ws://127.0.0.1:$NX_PORT/ws" "$n" nginx restart --subscribe none
        nchan_stop
    fi
    if [ "$floor" = 1 ]; then
        floor_start "$n"
        storm_run "$name" floor "ws://127.0.0.1:$FL_PORT/ws" "$n" floor restart --subscribe none --no-snapshot
        floor_stop
    fi
}

restart() { # NAME: stop the server NAME (gateway, nginx or floor) and start it again on its port
    case $1 in
    gateway)
        stop "$gateway_PID"
        local extra=()
        [ "$GW_WORKERS" -gt 1 ] && extra=(--cluster true --workers "$GW_WORKERS")
        start gateway "$GATEWAY" --port "$GW_PORT" --redis-port "$REDIS_PORT" --www-root '' \
            --max-connections "$per_process" "${extra[@]}" ;;
    nginx)
        stop "$nginx_PID"
        start nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" ;;
    floor)
        stop "$floor_PID"
        start floor "$FLOOR" --port "$FL_PORT" --redis-port "$REDIS_PORT" --processes "$FL_PROCS" ;;
    esac
}

# storm_run NAME SERVER URL N PROC MODE [load options]: one storm on the
# server whose pid is ${PROC}_PID; appends its JSON with the restarted
# server's peak RSS and CPU.
storm_run() {
    local name=$1 server=$2 url=$3 n=$4 proc=$5 mode=$6; shift 6
    local pid_var=${proc}_PID
    local ramp=$(( n / 2000 + 3 )) storm_sustain=$(( sustain > 30 ? sustain : 30 )) workers=()
    [ "$n" -ge 5000 ] && [ "$n" -lt 38000 ] && workers=(--workers "$(nproc)")
    echo "== $name on $server: $n clients, ramp ${ramp}s, the $mode 5 s later, ${storm_sustain}s in all" >&2
    "$LOAD" --url "$url" --clients "$n" --ramp "$ramp" --sustain "$storm_sustain" \
        --storm "${workers[@]}" --connect-timeout 30000 --no-progress --max-avg-latency 1000000000 \
        --max-errors 100 --pid "$(pids_of "${!pid_var}")" "$@" >"$WORK/$name-$server.out" 2>&1 &
    local load=$!
    PIDS+=("$load")
    sleep $(( ramp + 5 ))
    local t_kill; t_kill=$(date +%s%3N)
    local cpu0=0 hz p v; hz=$(getconf CLK_TCK)
    if [ "$mode" = worker ]; then
        local victim; victim=$(pgrep -P "${!pid_var}" | head -n 1)
        [ -n "$victim" ] || { echo "bench/run.sh: $name: no gateway worker to kill" >&2; status=1; }
        kill -KILL "$victim" 2>/dev/null || true
        sleep 0.1
        for p in $(pids_of "${!pid_var}" | tr , ' '); do
            v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true)
            cpu0=$(( cpu0 + ${v:-0} ))
        done
    else
        restart "$proc"
    fi
    local hwm=0 cpu=0
    # Peak RSS (VmHWM) and CPU of the new server, sampled until the load ends.
    while kill -0 "$load" 2>/dev/null; do
        local h=0 c=0 v
        for p in $(pids_of "${!pid_var}" | tr , ' '); do
            # A process that exits meanwhile reads as nothing, not 0.
            v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
            h=$(( h + ${v:-0} ))
            v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true)
            c=$(( c + ${v:-0} ))
        done
        [ "$h" -gt "$hwm" ] && hwm=$h
        [ "$c" -gt "$cpu" ] && cpu=$c
        sleep 0.5
    done
    wait "$load" || true
    local json
    json=$(tail -n 1 "$WORK/$name-$server.out")
    case $json in
    '{'*) printf '{"scenario":"%s","server":"%s","round":%d,"kill_ms":%s,"restarted_peak_rss_kb":%d,"restarted_cpu_s":%s,"result":%s}\n' \
              "$name" "$server" "$ROUND" "$t_kill" "$hwm" "$(awk -v c="$cpu" -v c0="$cpu0" -v h="$hz" 'BEGIN {print (c - c0) / h}')" "$json" >>"$WORK/results.jsonl" ;;
    *) printf '{"scenario":"%s","server":"%s","round":%d,"error":"no result"}\n' "$name" "$server" "$ROUND" >>"$WORK/results.jsonl"
       status=1
       tail -n 5 "$WORK/$name-$server.out" >&2 ;;
    esac
}

# The original stack for node-sio-*: bench/socketio-node installed once per
# build tree from its lock (again when the lock changes).
NODE_DIR=$build/bench/socketio-node
node_ready=
node_install() {
    [ -n "$node_ready" ] && { [ "$node_ready" = 1 ]; return; }
    node_ready=0
    command -v node >/dev/null && command -v npm >/dev/null || { NODE_WHY="node and npm missing"; return 1; }
    mkdir -p "$NODE_DIR"
    local f stamp=$NODE_DIR/node_modules/.cryptopulse-package-lock.json
    if [ "$(cd "$here/socketio-node" && pwd -P)" != "$(cd "$NODE_DIR" && pwd -P)" ]; then
        for f in package.json package-lock.json server.js; do install -m 644 "$here/socketio-node/$f" "$NODE_DIR/$f"; done
    fi
    if ! cmp -s "$here/socketio-node/package-lock.json" "$stamp"; then
        (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >"$WORK/npm.log" 2>&1 ||
            { NODE_WHY="npm ci failed in $NODE_DIR (see its log)"; cat "$WORK/npm.log" >&2; return 1; }
        cp "$here/socketio-node/package-lock.json" "$stamp"
    fi
    node_ready=1
}

# sio_scenario NAME N: Socket.IO clients on the gateway's endpoint.
sio_scenario() {
    local name=$1 n=$(( $2 / divide ))
    case " $only " in *" $name "*) ;; *) return 0 ;; esac
    gateway_for "$n" || { skipped "$name" "needs gateway worker processes"; return 0; }
    run "$name" cryptopulse "socketio://127.0.0.1:$GW_PORT/socket.io/" "$n" "$(pids_of "$gateway_PID")"
}

# node_scenario NAME N: the same clients on Node.js Socket.IO 4 + the Redis
# adapter, the only server running (the gateway is stopped first).
node_scenario() {
    local name=$1 n=$(( $2 / divide )) port
    case " $only " in *" $name "*) ;; *) return 0 ;; esac
    node_install || { skipped "$name" "$NODE_WHY" node-socketio; return 0; }
    [ -n "$GW_PORT" ] && stop "$gateway_PID"
    GW_PORT=
    port=$(free_port)
    start node node "$NODE_DIR/server.js" "$port" "$REDIS_PORT" cryptopulse:ticks
    wait_for 15 curl -sf "http://127.0.0.1:$port/health" || { echo "the Node.js server did not start" >&2; exit 1; }
    run "$name" node-socketio "socketio://127.0.0.1:$port/socket.io/" "$n" "$(pids_of "$node_PID")"
    stop "$node_PID"
}

burst() {
    case " $only " in *" burst "*) ;; *) return 0 ;; esac
    gateway_for 1000
    local pids cpu0 cpu1 m0 m1 t0 t1 sent
    pids=$(pids_of "$gateway_PID")
    "$LOAD" --url "ws://127.0.0.1:$GW_PORT/ws" --clients 1000 --ramp 2 --sustain 14 \
        --pid "$pids" --no-progress --max-avg-latency 1000000 >"$WORK/burst-load.out" 2>&1 &
    local load_pid=$!
    PIDS+=("$load_pid")
    sleep 4
    cpu_of() { local s=0 p; for p in ${1//,/ }; do s=$(( s + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo "$s"; }
    m0=$(curl -s "http://127.0.0.1:$GW_PORT/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_out"])')
    cpu0=$(cpu_of "$pids"); t0=$(date +%s%N)
    sent=$(/usr/bin/python3 "$here/burst.py" "$REDIS_PORT" 10)
    t1=$(date +%s%N); cpu1=$(cpu_of "$pids")
    sleep 1.5
    m1=$(curl -s "http://127.0.0.1:$GW_PORT/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_out"])')
    wait "$load_pid" || true
    local hz; hz=$(getconf CLK_TCK)
    /usr/bin/python3 - "$m0" "$m1" "$cpu0" "$cpu1" "$hz" "$t0" "$t1" "$sent" >>"$WORK/results.jsonl" <<'PYEOF'
import json, sys
m0, m1, c0, c1, hz, t0, t1, sent = map(int, sys.argv[1:])
cpu = (c1 - c0) / hz
wall = (t1 - t0) / 1e9
print(json.dumps({"scenario": "burst", "server": "cryptopulse", "burst": {
    "ticks_published": sent, "ticks_per_s": sent / wall, "frames": m1 - m0,
    "frames_per_s": (m1 - m0) / wall, "gateway_cpu_s": cpu,
    "frames_per_cpu_s": (m1 - m0) / cpu if cpu else 0}}))
PYEOF
}

date -u +"started %Y-%m-%dT%H:%M:%SZ" >&2
# The feeder's first tick writes the symbol list (EXISTS answers 0 or 1).
wait_for 10 sh -c '[ "$(redis-cli -p "$0" exists cryptopulse:symbols)" = 1 ]' "$REDIS_PORT" ||
    { echo "bench/run.sh: the feeder wrote no ticks" >&2; status=2; exit 2; }
for ROUND in $(seq 1 "$rounds"); do
    [ "$rounds" = 1 ] || echo "== round $ROUND of $rounds" >&2
    scenario ws-1k 1000 /ws
    scenario ws-10k 10000 /ws
    scenario ws-10k-one 10000 /ws --subscribe random:1
    scenario sse-10k 10000 /events
    scenario deflate-10k 10000 /ws --deflate
    sio_scenario sio-1k 1000
    node_scenario node-sio-1k 1000
    sio_scenario sio-10k 10000
    node_scenario node-sio-10k 10000
    scenario ws-50k 50000 /ws
    scenario ws-100k 100000 /ws
    burst
    fast_scenario fast-10k 10000 /ws
    fast_scenario fast-10k-one 10000 /ws --subscribe random:1
    storm_scenario storm-10k 10000
    storm_scenario storm-100k 100000
    storm_scenario storm-100k-worker 100000 worker
done

/usr/bin/python3 "$here/table.py" "$WORK/results.jsonl" "$sustain" >"$out"
cp "$WORK/results.jsonl" "${out%.md}.jsonl"
cat "$out"
echo "results: $out (raw: ${out%.md}.jsonl)" >&2
exit "$status"
