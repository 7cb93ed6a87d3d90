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

# The client and its locked ws dependency, installed in the build tree.
npm_install node ws ws_node_client.js
dir=$NPM_DIR

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
