#!/usr/bin/env bash
# The optional TLS listener: wss:// and https:// SSE with a CA and a server
# certificate made at test time; curl and python3-websockets verify them.
# TLS settings that do not fit together stop start-up with a clear message.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl command not installed"
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=Test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key \
    -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile ext.cnf -out server.pem 2>/dev/null
cd - >/dev/null

# TLS settings that do not fit together stop start-up (status 2) with a
# message naming them, before anything listens.
tls_refused() { # tls_refused WANT ARGS...
    local want=$1 rc=0; shift
    within 10 "$top_builddir/gateway/cryptopulse-gateway" "$@" 2>"$WORK/refused.txt" || rc=$?
    [ "$rc" = 2 ] && grep -qF "$want" "$WORK/refused.txt" ||
        fail "$* gave status $rc, want 2 and \"$want\": $(cat "$WORK/refused.txt")"
}
p=$(free_port)
tls_refused "cryptopulse-gateway: TLS_PORT $p needs TLS_CERT_FILE and TLS_KEY_FILE: set \
--tls-cert-file and --tls-key-file" --port "$(free_port)" --tls-port "$p"
tls_refused "TLS_PORT $p needs TLS_KEY_FILE: set --tls-key-file" --port "$(free_port)" \
    --tls-port "$p" --tls-cert-file "$WORK/server.pem"
tls_refused "TLS_CERT_FILE is set but TLS_PORT is 0 (off)" --tls-cert-file "$WORK/server.pem" \
    --tls-key-file "$WORK/server.key"
TLS_KEY_FILE=$WORK/server.key tls_refused "TLS_KEY_FILE is set but TLS_PORT is 0 (off)"
tls_refused "TLS_PORT and PORT are both $p: TLS needs a port of its own" --port "$p" \
    --tls-port "$p" --tls-cert-file "$WORK/server.pem" --tls-key-file "$WORK/server.key"

# A bad key stops start-up, naming the file.
tls_port=$(free_port)
set +e
within 10 "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" --tls-port "$tls_port" \
    --tls-cert-file "$WORK/server.pem" --tls-key-file "$WORK/ca.key" 2>"$WORK/badkey.txt"
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q "TLS_KEY_FILE $WORK/ca.key" "$WORK/badkey.txt" \
    || fail "a key that does not match the certificate was accepted: $(cat "$WORK/badkey.txt")"

# A missing certificate stops start-up, naming the file and why.
set +e
within 10 "$top_builddir/gateway/cryptopulse-gateway" --port "$(free_port)" --tls-port "$(free_port)" \
    --tls-cert-file "$WORK/missing.pem" --tls-key-file "$WORK/server.key" 2>"$WORK/nocert.txt"
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] &&
    grep -q "TLS_CERT_FILE $WORK/missing.pem: No such file or directory" "$WORK/nocert.txt" \
    || fail "a missing certificate was not named with its reason: $(cat "$WORK/nocert.txt")"

start_redis
start feeder "$top_builddir/feeder/cryptopulse-feeder" --redis-port "$REDIS_PORT" --interval 200
start_gateway --redis-port "$REDIS_PORT" --tls-port "$tls_port" \
    --tls-cert-file "$WORK/server.pem" --tls-key-file "$WORK/server.key"

curl -sN --max-time 2 --cacert "$WORK/ca.pem" "https://127.0.0.1:$tls_port/events?symbols=BTC" \
    >"$WORK/sse.txt" || true
grep -q '^event: price-update$' "$WORK/sse.txt" || fail "no SSE events over https: $(head -c 300 "$WORK/sse.txt")"
curl -sf --cacert "$WORK/ca.pem" "https://127.0.0.1:$tls_port/health" | grep -q '"status"' \
    || fail "/health over https failed"
status=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$tls_port/health" || true)
[ "$status" = 000 ] || fail "a client that does not trust the CA got $status"

within 30 "$PY" - "$tls_port" "$WORK/ca.pem" <<'PYEOF' || fail "wss:// client failed"
import asyncio, json, ssl, sys, websockets
async def main():
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    async with websockets.connect(f"wss://127.0.0.1:{sys.argv[1]}/ws", ssl=ctx) as ws:
        assert json.loads(await ws.recv())["event"] == "welcome"
        await ws.send(json.dumps({"event": "subscribe", "data": {"symbols": ["ETH"]}}))
        got = 0
        while got < 3:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            got += m["event"] == "price-update" and m["data"]["symbol"] == "ETH"
    print("wss: 3 ETH price updates")
asyncio.run(main())
PYEOF
# The plain port still serves.
curl -sf "http://127.0.0.1:$GATEWAY_PORT/health" >/dev/null || fail "plain port stopped serving"
echo "PASS: $TEST_NAME"
