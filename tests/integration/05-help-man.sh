#!/usr/bin/env bash
# Every installed program: --help on stdout with exit 0, --version, a usage
# error with exit 2, and every long option of --help documented in its man page.
. "$(dirname "$0")/lib.sh"

for prog in gateway/cryptopulse-gateway feeder/cryptopulse-feeder fcgi/cryptopulse-fcgi \
    load/cryptopulse-load; do
    bin=$top_builddir/$prog
    name=$(basename "$prog")
    man=$top_srcdir/man/$name.1
    # within: a program that took an option for a server's start would run on.
    within 10 "$bin" --help >"$WORK/help.txt" || fail "$name --help exited non-zero"
    grep -q "^Usage: $name" "$WORK/help.txt" || fail "$name --help has no usage line"
    within 10 "$bin" --version | grep -qE "^$name [0-9]+\.[0-9]+" || fail "$name --version"
    set +e
    within 10 "$bin" --no-such-option >/dev/null 2>"$WORK/usage.txt"
    rc=$?
    set -e
    [ "$rc" = 2 ] || fail "$name: unknown option exited $rc, not 2"
    grep -q -- "--no-such-option" "$WORK/usage.txt" || fail "$name: usage error does not name the option"
    [ -f "$man" ] || fail "no man page $man"
    # Man pages escape '-' as '\-'.
    sed 's/\\-/-/g' "$man" >"$WORK/man.txt"
    for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$WORK/help.txt" | sort -u); do
        grep -q -- "$opt" "$WORK/man.txt" || fail "$name: $opt is in --help but not in $man"
    done
    for var in $(grep -oE '\[[A-Z_]+[],]' "$WORK/help.txt" | tr -d '[],' | sort -u); do
        grep -q "$var" "$WORK/man.txt" || fail "$name: $var is in --help but not in $man"
    done
done
echo "PASS: $TEST_NAME"
