#!/usr/bin/env bash
# 15-exchange-sim: the exchange simulator that 14-feeder-live and
# bench/live_soak.sh rely on speaks each exchange's format over ws:// and
# wss:// and obeys every /control/ action (exchange_sim_selftest.py), so a
# live-feed test that passes is not passing against a broken simulator.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl not installed (scripts/install-deps.sh)"
"$PY" -c 'import websockets' 2>/dev/null || skip "python3-websockets not installed for $PY"
within 120 "$PY" "$top_srcdir/tests/integration/exchange_sim_selftest.py" -q >"$WORK/selftest.txt" 2>&1 ||
    fail "exchange_sim self-test: $(tail -n 5 "$WORK/selftest.txt")"
tail -n 3 "$WORK/selftest.txt"
echo "PASS: $TEST_NAME"
