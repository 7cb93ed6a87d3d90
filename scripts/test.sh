#!/usr/bin/env bash
# The whole test suite: install what is missing, build, then run the Check
# unit tests and the integration tests against real servers (make check),
# then the same suite under ASan+UBSan and the unit tests and the gateway
# under valgrind (scripts/check-memory.sh; CP_SKIP_MEMORY=1 skips that part).
# The output ends with Check's summary of the unit tests.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [ -d ../shared ]; then
    CRYPTOPULSE_SHARED=$(cd ../shared && pwd)
    export CRYPTOPULSE_SHARED
fi
status=0
make -j"$(nproc)" --no-print-directory check || status=$?
echo
echo "Integration tests:"
for trs in tests/integration/*.trs; do
    [ -f "$trs" ] || continue
    result=$(sed -n 's/^:test-result: //p' "$trs")
    reason=
    [ "$result" = SKIP ] && reason=" ($(grep -m1 '^SKIP: ' "${trs%.trs}.log" | cut -c7-))"
    echo "  $result: $(basename "$trs" .sh.trs)$reason"
done
[ $status -eq 0 ] || { echo "FAILED: see tests/*/*.log and test-suite.log"; exit $status; }
if [ "${CP_SKIP_MEMORY:-0}" != 1 ]; then
    echo
    echo "Memory checks (ASan+UBSan, valgrind):"
    mem=$(mktemp -d /tmp/cp-memory.XXXXXX)
    scripts/check-memory.sh all "$mem" || { echo "FAILED: memory checks, see $mem"; exit 1; }
    rm -rf "$mem"
fi
echo "Unit tests (Check):"
total=0
for log in tests/unit/check_*.log; do
    line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
    echo "  $(basename "$log" .log): $line"
    total=$(( total + $(echo "$line" | sed 's/.*Checks: \([0-9]*\).*/\1/') ))
done
echo "100%: Checks: $total, Failures: 0, Errors: 0"
