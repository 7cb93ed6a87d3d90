#!/bin/sh
# make fuzz: run each libFuzzer harness for SECONDS on a copy of its seed
# corpus and regressions (the committed files are never touched), one after
# the other.  A crash, leak, sanitizer report, timeout or out-of-memory
# fails the run; the reproducer is left in fuzz/run/<target>/ and belongs in
# fuzz/regressions/<target>/ once the bug is fixed.
# Usage: run.sh SRCDIR_FUZZ BUILDDIR_FUZZ SECONDS TARGET...
set -u
src=$1 bin=$2 seconds=$3
shift 3
status=0
for t in "$@"; do
    work=$bin/run/$t
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$src/corpus/$t"/* "$work/corpus/"
    [ -d "$src/regressions/$t" ] && cp "$src/regressions/$t"/* "$work/corpus/" 2>/dev/null
    start=$(date +%s)
    # -timeout: an input taking 10 s is a hang; -rss_limit_mb: a bound on
    # memory growth; leaks are findings (ASan's leak check after each input).
    if "$bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" \
        >"$work/log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
        echo "fuzz $t: $(($(date +%s) - start)) s, ${runs:-?} runs, $(ls "$work/corpus" | wc -l) inputs in the corpus: OK"
    else
        echo "fuzz $t: FAILED after $(($(date +%s) - start)) s; log: $work/log"
        grep -E 'ERROR|SUMMARY|invariant failed|runtime error' "$work/log" | head -n 10
        ls "$work/artifacts"/* 2>/dev/null | sed 's/^/  reproducer: /'
        status=1
    fi
done
exit $status
