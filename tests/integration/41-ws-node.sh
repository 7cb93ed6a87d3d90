#!/usr/bin/env bash
# A third-party WebSocket client: Node.js with the npm package `ws`, with and
# without permessage-deflate, walks through the WebSocket protocol against
# the real stack (Redis, the mock feeder, the gateway): welcome, subscribe and
# snapshot, live prices of the subscribed symbols only, application and
# protocol pings, unsubscribe, the error codes, history and a clean close.
# `ws` is installed with `npm ci` from the committed package-lock.json into
# the build tree (the source tree may be read-only, as in make distcheck).
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null || skip "node not installed (Node.js is needed for the ws client)"
command -v npm >/dev/null || skip "npm not installed (needed to install the ws package)"

# Copy the client to the build tree (unless building in the source tree) and
# install its locked dependencies there once; reinstall when the lock changes.
src=$top_srcdir/tests/integration/node
dir=$top_builddir/tests/integration/node
mkdir -p "$dir"
if [ "$(cd "$src" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
    for f in package.json package-lock.json ws_node_client.js; do
        install -m 644 "$src/$f" "$dir/$f"
    done
fi
stamp=$dir/node_modules/.cryptopulse-package-lock.json
if ! cmp -s "$src/package-lock.json" "$stamp" || [ ! -f "$dir/node_modules/ws/package.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --fetch-retries 1 --fetch-timeout 30000) >"$WORK/npm.log" 2>&1 || {
        cat "$WORK/npm.log"
        if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network' "$WORK/npm.log"; then
            skip "npm ci could not reach the npm registry to install ws"
        fi
        fail "npm ci failed in $dir"
    }
    cp "$src/package-lock.json" "$stamp"
fi
(cd "$dir" && node -e 'require("ws")') || fail "the ws package does not load from $dir/node_modules"

start_redis
start_gateway --redis-port "$REDIS_PORT" --interval 200
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
# Wait for a few ticks in the history stream, so that the snapshot and the
# history event have something to show.
wait_for 10 sh -c 'curl -sf "$0" | grep -q "\"points\":\[\[.*\],\[.*\],\[.*\],\[.*\],\[.*\]\]"' \
    "http://127.0.0.1:$GATEWAY_PORT/history?symbol=ETH&limit=5" \
    || fail "no five ETH ticks from the feeder in the gateway's history"

for mode in deflate plain; do
    node "$dir/ws_node_client.js" "ws://127.0.0.1:$GATEWAY_PORT/ws" "$mode" \
        >>"$WORK/node_client.log" 2>&1 || fail "Node ws client ($mode)"
done
cat "$WORK/node_client.log"
curl -sf "http://127.0.0.1:$GATEWAY_PORT/stats" >/dev/null || fail "gateway stopped answering"
echo "PASS: $TEST_NAME"
