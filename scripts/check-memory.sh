#!/usr/bin/env bash
# Memory and undefined-behaviour checks of the whole test suite, in two
# out-of-tree builds (the source tree must not be configured in place):
#   asan      configure --enable-sanitizers, then make check with leak
#             detection on and every sanitizer report fatal; the integration
#             tests run the sanitized servers, and lib.sh fails a test whose
#             server logged a report.
#   valgrind  a normal build; each Check unit test under valgrind memcheck
#             (CK_FORK=no), then the gateway under valgrind through the
#             integration tests in $VG_TESTS, stopped by SIGTERM: it must free
#             everything and exit 0.
# Usage: scripts/check-memory.sh [asan|valgrind|all] [BUILD_ROOT]
# BUILD_ROOT (default: a new /tmp/cp-memory.XXXXXX) gets asan/ and valgrind/,
# reused on a second run; the logs stay there.  Exit 0 when all is clean.
set -eu
what=${1:-all}
case $what in asan | valgrind | all) ;; *) echo "usage: $0 [asan|valgrind|all] [BUILD_ROOT]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
root=${2:-$(mktemp -d /tmp/cp-memory.XXXXXX)}
mkdir -p "$root" && root=$(cd "$root" && pwd)
VG_TESTS=${VG_TESTS:-"tests/integration/20-e2e-replay.sh tests/integration/40-ws-http-edges.sh tests/integration/48-gateway-signals.sh tests/integration/50-sse-resume.sh"}
if [ -z "${CRYPTOPULSE_SHARED:-}" ] && [ -d "$src/../shared" ]; then
    CRYPTOPULSE_SHARED=$(cd "$src/../shared" && pwd)
    export CRYPTOPULSE_SHARED
fi
jobs=$(nproc)
status=0

# A source tree configured in place (scripts/test.sh does that) cannot also
# build out of tree: then configure from a clean copy made with make distdir.
if [ -f "$src/config.status" ]; then
    make -C "$src" --no-print-directory distdir distdir="$root/src" >/dev/null
    src=$root/src
fi

# configure_in DIR ARGS...: configure the source tree into DIR (once) and build.
configure_in() {
    local dir=$1; shift
    [ -x "$src/configure" ] || (cd "$src" && autoreconf -fi)
    mkdir -p "$dir"
    [ -f "$dir/Makefile" ] || (cd "$dir" && "$src/configure" --quiet "$@")
    make -C "$dir" -j"$jobs" --no-print-directory >"$dir/build.log" 2>&1 \
        || { tail -n 40 "$dir/build.log"; echo "FAILED: build in $dir"; exit 1; }
}

# failed_logs DIR: each failed test's failed checks and the last 40 lines of
# its log, so that CI's output says why (the machine is gone afterwards).
failed_logs() {
    local trs
    for trs in "$1"/tests/*/*.trs; do
        grep -q '^:test-result: \(FAIL\|ERROR\)' "$trs" 2>/dev/null || continue
        echo "==== ${trs%.trs}.log: its failed checks, then its last 40 lines"
        grep -E '^(not ok|FAIL:)' "${trs%.trs}.log" || true
        tail -n 40 "${trs%.trs}.log"
    done
}

# elapsed START: seconds since START (from date +%s).
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

run_asan() {
    local dir=$root/asan t0
    t0=$(date +%s)
    echo "== AddressSanitizer + UndefinedBehaviorSanitizer in $dir"
    configure_in "$dir" --enable-sanitizers
    # allocator_may_return_null: an impossible size gives NULL, as without
    # ASan, so check_xalloc sees xalloc's own out-of-memory abort.
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make -C "$dir" -j"$jobs" --no-print-directory check >"$dir/check.log" 2>&1; then
        grep -E '^(FAIL|ERROR|XPASS):' "$dir/check.log" || tail -n 40 "$dir/check.log"
        failed_logs "$dir"
        echo "FAILED: sanitized make check: see $dir/test-suite.log and $dir/tests/*/*.log"
        status=1
    fi
    # Belt and braces: a report in any test log, even of a test that passed.
    if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$dir"/tests/*/*.log 2>/dev/null; then
        echo "FAILED: sanitizer reports in the logs above"
        status=1
    fi
    grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$dir/check.log" || true
    echo "asan: $(elapsed "$t0")"
}

run_valgrind() {
    local dir=$root/valgrind t0 units log
    t0=$(date +%s)
    echo "== valgrind memcheck in $dir"
    configure_in "$dir"
    make -C "$dir" -j"$jobs" --no-print-directory check TESTS= >>"$dir/build.log" 2>&1
    units=$(cd "$dir" && find tests/unit -maxdepth 1 -type f -perm -u+x -name 'check_*' ! -name '*.*' | sort | tr '\n' ' ')
    # Valgrind's report goes into each test's .log; --error-exitcode fails it.
    if ! CK_FORK=no make -C "$dir" --no-print-directory check TESTS="$units" \
        LOG_COMPILER=valgrind \
        LOG_FLAGS="-q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1" \
        >"$dir/check-unit.log" 2>&1; then
        grep -E '^(FAIL|ERROR):' "$dir/check-unit.log" || tail -n 40 "$dir/check-unit.log"
        failed_logs "$dir"
        echo "FAILED: unit tests under valgrind: see $dir/tests/unit/*.log"
        status=1
    fi
    grep -E '^# (TOTAL|PASS|FAIL|ERROR):' "$dir/check-unit.log" || true
    echo "valgrind, unit tests: $(elapsed "$t0")"

    t0=$(date +%s)
    rm -rf "$dir/vg-gateway" && mkdir -p "$dir/vg-gateway"
    if ! GATEWAY_WRAPPER="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1 --log-file=$dir/vg-gateway/gateway.%p.log" \
        make -C "$dir" --no-print-directory check TESTS="$VG_TESTS" >"$dir/check-gateway.log" 2>&1; then
        grep -E '^(FAIL|ERROR|SKIP):' "$dir/check-gateway.log" || tail -n 40 "$dir/check-gateway.log"
        failed_logs "$dir"
        echo "FAILED: integration tests with the gateway under valgrind"
        status=1
    fi
    grep -E '^(PASS|SKIP):' "$dir/check-gateway.log" || true
    # Each gateway must have exited by itself (SIGTERM handled) with no error.
    set -- "$dir"/vg-gateway/gateway.*.log
    [ -f "$1" ] || { echo "FAILED: no gateway ran under valgrind"; status=1; }
    for log in "$@"; do
        [ -f "$log" ] || continue
        if ! grep -q 'ERROR SUMMARY: 0 errors' "$log" \
            || grep -q 'Process terminating with default action' "$log"; then
            echo "FAILED: $log:"; grep -A 30 -E '^==[0-9]+== [A-Z][a-z]' "$log" | head -n 80
            status=1
        fi
    done
    echo "valgrind, gateway ($(echo "$@" | wc -w) runs): $(elapsed "$t0")"
}

case $what in asan) run_asan ;; valgrind) run_valgrind ;; all) run_asan; run_valgrind ;; esac
[ "$status" -eq 0 ] && echo "CLEAN: no memory or undefined-behaviour errors ($root)" \
    || echo "NOT CLEAN: logs in $root"
exit "$status"
