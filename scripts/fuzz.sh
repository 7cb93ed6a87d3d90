#!/usr/bin/env bash
# Fuzz every parser that meets untrusted bytes (fuzz/<target>.c) for SECONDS
# each (default 60): installs clang and libFuzzer if missing, configures the
# source tree out of tree with --enable-fuzzing CC=clang, builds, and runs
# make fuzz.  Exit 0 when no fuzzer crashed; otherwise the reproducers are in
# BUILD_DIR/fuzz/run/<target>/artifacts/ (copy each into
# fuzz/regressions/<target>/ once fixed, so make check replays it).
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]   (6 targets: ~6 x SECONDS + build)
set -eu
seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [BUILD_DIR]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-/tmp/cp-fuzz}

# Only for fuzzing, so not in scripts/install-deps.sh: clang, and the
# compiler-rt archives with libFuzzer and the sanitizer runtimes.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
"$src/scripts/install-deps.sh"
missing=()
for p in "${FUZZ_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages for fuzzing: ${missing[*]}"
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -x "$src/configure" ] || (cd "$src" && autoreconf -fi)
mkdir -p "$build"
# A source tree configured in place (scripts/test.sh, .ci/run) cannot also
# build out of tree: configure from a clean copy made with make distdir.
if [ -f "$src/config.status" ] && [ ! -f "$build/Makefile" ]; then
    rm -rf "$build/src"
    make -C "$src" --no-print-directory distdir distdir="$build/src" >/dev/null
    src=$build/src
fi
if [ ! -f "$build/Makefile" ]; then
    (cd "$build" && CC=clang "$src/configure" --quiet --enable-fuzzing)
fi
make -C "$build" -j"$(nproc)" --no-print-directory >"$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log"; echo "FAILED: fuzzing build in $build"; exit 1; }
t0=$(date +%s)
make -C "$build" --no-print-directory fuzz FUZZ_SECONDS="$seconds"
echo "fuzz: all targets clean in $(($(date +%s) - t0)) s"
