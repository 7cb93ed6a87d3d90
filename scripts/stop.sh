#!/usr/bin/env bash
# Stop what scripts/quickstart.sh started, by the pids it recorded.
set -eu
cd "$(dirname "$0")/.."
quiet=${1:-}
for name in gateway feeder redis; do
    f=run/$name.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        [ "$quiet" = --quiet ] || echo "stopped $name (pid $pid)"
    fi
    rm -f "$f"
done
