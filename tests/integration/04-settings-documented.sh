#!/usr/bin/env bash
# 04-settings-documented: every setting a daemon's --help lists (its
# [NAME, default: ...]) is documented where operators look: a "#NAME=" line
# in etc/cryptopulse.env.sample, a row of README.md's Configuration table and
# docs/PROTOCOL.md's section 6.  (05-help-man.sh checks the man pages.)
. "$(dirname "$0")/lib.sh"

sample=$top_srcdir/etc/cryptopulse.env.sample
readme=$top_srcdir/README.md
protocol=$top_srcdir/docs/PROTOCOL.md
# README's table: the lines from "## Configuration" to the next heading.
sed -n '/^## Configuration$/,/^#/p' "$readme" | grep '^| `' >"$WORK/table.txt" ||
    fail "no Configuration table in README.md"
sed -n '/^## 6\. /,$p' "$protocol" >"$WORK/section6.txt"
[ -s "$WORK/section6.txt" ] || fail "no section 6 in docs/PROTOCOL.md"

missing=()
for prog in gateway/cryptopulse-gateway feeder/cryptopulse-feeder fcgi/cryptopulse-fcgi; do
    within 10 "$top_builddir/$prog" --help >"$WORK/help.txt" || fail "$prog --help"
    for var in $(grep -oE '\[[A-Z_]+, default' "$WORK/help.txt" | sed 's/^\[//; s/, default$//'); do
        grep -q "^#$var=" "$sample" || missing+=("$var: no #$var= line in etc/cryptopulse.env.sample")
        grep -q "\`$var\`" "$WORK/table.txt" || missing+=("$var: not in README.md's Configuration table")
        grep -q "\`$var\`" "$WORK/section6.txt" || missing+=("$var: not in docs/PROTOCOL.md section 6")
    done
done
[ "${#missing[@]}" = 0 ] || fail "$(printf '%s\n' "${missing[@]}" | sort -u)"
echo "PASS: $TEST_NAME"
