#!/bin/sh
# make check: feed every seed input and every regression of each fuzz
# target to its harness linked with a plain main (replay-<target>), so that a
# crash once found by the fuzzers stays fixed in every build; under
# scripts/check-memory.sh this runs with ASan and UBSan.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-.}
status=0
for t in http ws sse proto tick candle eio; do
    dirs=$src/fuzz/corpus/$t
    [ -d "$src/fuzz/regressions/$t" ] && dirs="$dirs $src/fuzz/regressions/$t"
    # shellcheck disable=SC2086 # dirs is a list of paths without spaces
    "$build/fuzz/replay-$t" $dirs || { echo "FAIL: fuzz/replay-$t"; status=1; }
done
exit $status
