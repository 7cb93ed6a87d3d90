#!/usr/bin/env bash
# bench/run.sh end to end at a small N (issue 20): ws-1k, fast-10k and
# storm-10k with every N divided by 50 (20, 200 and 200 clients), the floor
# beside the gateway, nchan left out (the suite does not install nginx).  The
# table it writes is the one README's Performance section quotes: a row per
# server, the floor ratios, the connection set-up table (connect time and
# server CPU per connection), the fast-tick table (CPU per delivery) and the
# storm rows with every client back and no ticks missed: all of them after a
# restart, about half (one worker of two killed) after the worker is killed;
# the floor's restart storm beside the gateway's, with the ratios to it.  The raw results
# must carry the figures the tables are computed from.
. "$(dirname "$0")/lib.sh"

[ -x "$top_builddir/bench/cryptopulse-floor" ] || fail "bench/cryptopulse-floor not built"
command -v redis-cli >/dev/null || skip "redis-cli not installed"
within 500 "$top_srcdir/bench/run.sh" --build "$top_builddir" --only "ws-1k fast-10k storm-10k storm-100k-worker" \
    --divide 50 --sustain 4 --no-nchan --out "$WORK/bench.md" >"$WORK/run.out" 2>&1 ||
    { cat "$WORK/run.out"; fail "bench/run.sh failed"; }
cat "$WORK/bench.md"
md=$WORK/bench.md
row() { grep -E "^\| $1 \| $2 \|" "$md" | head -n 1; }
row ws-1k cryptopulse | grep -q '| 20 / 20 (100.00 %) |' || fail "no ws-1k row with 20 of 20 clients on the gateway"
row ws-1k floor | grep -q '| 20 / 20 (100.00 %) |' || fail "no ws-1k row with 20 of 20 clients on the floor"
# (latencies of 1,000 ms or more are written with a comma: a loaded CI machine once gave the floor a 1,499 ms p99)
grep -q '^| ws-1k | 20 | – | – | [0-9,]* B vs [0-9,]* B (.*) | [0-9.,]* ms vs [0-9.,]* ms ([0-9.]*) |$' "$md" ||
    fail "no ratio row of ws-1k against the floor"
grep -A3 '^Connection set-up' "$md" | grep -q 'server CPU per connection' || fail "no connection set-up table"
grep -qE '^\| ws-1k \| cryptopulse \| 20 \| [0-9.]+ / [0-9.]+ \| [0-9,]+ \| – \| – \| [0-9.–]+ \| [0-9.]+ \|$' "$md" ||
    fail "the set-up table has no gateway row with a connect-time ratio to the floor"
grep -qE '^\| fast-10k \| cryptopulse \| 200 \| [0-9,]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.–]+ \| [0-9.]+ \|$' "$md" ||
    fail "no fast-10k row for the gateway with its p99 ratio to the floor"
grep -qE '^\| storm-10k \| cryptopulse \| 200 / 200 \| [0-9,]+ / [0-9,]+ \| 0 \| .* \| – \| – \| [0-9.–]+ \| [0-9.]+ \| pass \|$' "$md" ||
    fail "the storm row does not show 200 of 200 back, 0 ticks missed, ratios to the floor and a pass"
grep -qE '^\| storm-10k \| floor \| 200 / 200 \| [0-9,]+ / [0-9,]+ \| no resume \| .* \| pass \|$' "$md" ||
    fail "no storm row for the floor with 200 of 200 back at their handshake"
grep -qE '^\| storm-100k-worker \| cryptopulse \| ([0-9,]+) / \1 \| [0-9,]+ / [0-9,]+ \| 0 \| .* \| pass \|$' "$md" ||
    fail "the worker-kill storm row does not show every dropped client back, 0 ticks missed and a pass"
"$PY" - "$WORK/bench.jsonl" <<'PYEOF' || fail "the raw results lack figures (see above)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
seen = {(r["scenario"], r["server"]) for r in rows if "result" in r}
want = {("ws-1k", "cryptopulse"), ("ws-1k", "floor"), ("fast-10k", "cryptopulse"),
        ("fast-10k", "floor"), ("storm-10k", "cryptopulse"), ("storm-10k", "floor"),
        ("storm-100k-worker", "cryptopulse")}
assert want <= seen, f"missing results: {want - seen}"
for r in rows:
    j = r["result"]
    if r["scenario"] == "storm-10k":
        # The gateway's clients resume; the floor's have nothing to resume.
        assert j["storm"]["ticks_missed"] == (0 if r["server"] == "cryptopulse" else None), r
        assert r["restarted_peak_rss_kb"] > 0 and r["restarted_cpu_s"] >= 0, r
        continue
    if r["scenario"] == "storm-100k-worker":
        # One of two workers killed: some of the 2,000, not all, dropped.
        st = j["storm"]
        assert 0 < st["drops"] < 2000 and st["back"] == st["drops"] and st["ticks_missed"] == 0, st
        continue
    srv = j["server"]
    for k in ("cpu_s_setup", "cpu_s_sustain", "rss_per_conn_bytes"):
        assert k in srv and srv[k] >= 0, (r["scenario"], r["server"], k, srv)
    assert j["connect_ms"]["p50"] > 0, j["connect_ms"]
    # fast-10k: a tick every 100 ms, so about 10 messages per client per second.
    if r["scenario"] == "fast-10k":
        assert j["messages_per_s"] > 200 * 10 * 0.8, j["messages_per_s"]
print("ok - raw results carry set-up CPU, sustain CPU, RSS and connect times")
PYEOF
echo "PASS: $TEST_NAME"
