#!/usr/bin/env bash
# Stop what scripts/quickstart.sh started, by the pids it recorded in RUN_DIR
# (default run/).  A pid whose process is not the program recorded (the
# process ended and its number was reused) is left alone.
set -eu
cd "$(dirname "$0")/.."
run=${RUN_DIR:-run}
quiet=${1:-}
for name in gateway feeder redis; do
    f=$run/$name.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    case $name in
        redis) prog=redis-server ;;
        *) prog=cryptopulse-$name ;;
    esac
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "$prog" &&
        kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        [ "$quiet" = --quiet ] || echo "stopped $name (pid $pid)"
    fi
    rm -f "$f"
done
