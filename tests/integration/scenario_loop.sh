#!/bin/bash
# --loop 3 makes three journal entries; a continuous loop of 50 shortened
# runs keeps the worker's open fds and resident memory flat.
source "$top_srcdir/tests/integration/scenario_lib.sh"
lab_start

"$SCEN" "${SCEN_OPTS[@]}" --run=latency-100ms --loop=3 --stabilization=300ms \
	--testing=300ms --recovery=300ms 2>"$T/loop3.log" || true
[ "$(journal_lines)" = 3 ] || fail "--loop 3 gave $(journal_lines) journal entries"
jq -s -e 'map(.loop) == [1, 2, 3] and (map(.id) | unique | length) == 3 and (map(.batch) | unique | length) == 1' \
	"$T/state/journal.jsonl" >/dev/null || fail "loop entries: $(jq -c '[.id, .loop]' "$T/state/journal.jsonl")"
pass "--loop 3: three journal entries"

# Flapping: on 400 ms, off 400 ms through a 2 s testing phase is three
# applications, and nothing left on afterwards.
cat >"$T/user/flap-fast.json" <<'JSON'
{"name": "flap-fast", "description": "fast flapping for the test",
 "faults": [{"servers": ["memcache2"], "type": "latency",
             "attributes": {"latency": 300}}],
 "pattern": {"on": "400ms", "off": "400ms"}}
JSON
"$SCEN" "${SCEN_OPTS[@]}" --run=flap-fast --stabilization=200ms \
	--testing=2s --recovery=200ms 2>"$T/flap.log" || fail "flap-fast failed: $(tail -n 3 "$T/flap.log")"
tail -n 1 "$T/state/journal.jsonl" | jq -e '.scenario == "flap-fast" and .faults[0].applied_count == 3 and .source == "user"' >/dev/null ||
	fail "flapping: $(tail -n 1 "$T/state/journal.jsonl" | jq -c .faults)"
[ "$(grep -c 'applied latency on memcache2' "$T/flap.log")" = 3 ] || fail "flapping applied $(grep -c 'applied latency' "$T/flap.log") times"
[ "$(grep -c 'removed latency on memcache2' "$T/flap.log")" = 3 ] || fail "flapping removed $(grep -c 'removed latency' "$T/flap.log") times"
no_toxics || fail "flapping left a toxic"
pass "pattern: applied and removed 3 times in 2 s"

# 50 runs, 100 ms phases, a fault applied and removed each time.
rm -f "$T/state/journal.jsonl"
# Under ASan, freed memory waits in a quarantine that would look like
# growth: keep it small (LeakSanitizer still checks at exit).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
	bg loop50 "$SCEN" "${SCEN_OPTS[@]}" --run=latency-100ms --loop=50 \
	--stabilization=100ms --testing=100ms --recovery=100ms
SPID=$BG_PID
# fds and RSS (kB) of the worker; the least of three looks, so a transient
# connection does not count.
fds() {
	local best=100000 n
	for _ in 1 2 3; do
		n=$(ls "/proc/$SPID/fd" 2>/dev/null | wc -l)
		[ "$n" -gt 0 ] && [ "$n" -lt "$best" ] && best=$n
		sleep 0.05
	done
	echo "$best"
}
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SPID/status"; }
wait_for 60 bash -c "[ \$(wc -l <'$T/state/journal.jsonl' 2>/dev/null || echo 0) -ge 10 ]" ||
	fail "10 runs did not finish in 60 s"
fd10=$(fds); rss10=$(rss)
wait_for 120 bash -c "[ \$(wc -l <'$T/state/journal.jsonl') -ge 45 ]" ||
	fail "45 runs did not finish in 120 s"
fd45=$(fds); rss45=$(rss)
wait "$SPID" && rc=0 || rc=$?
# 0 or 1 (a verdict may fail with 100 ms phases); anything else is a
# crash or a sanitizer report.
[ "$rc" -le 1 ] || fail "worker exit $rc"
echo "after 10 runs: $fd10 fds, $rss10 kB; after 45 runs: $fd45 fds, $rss45 kB"
[ "$(journal_lines)" = 50 ] || fail "$(journal_lines) journal entries, want 50"
[ "$fd45" -le "$fd10" ] || fail "fds grew from $fd10 to $fd45"
# 35 runs: a leak of even 30 kB a run would show.
[ $((rss45 - rss10)) -lt 1024 ] || fail "RSS grew by $((rss45 - rss10)) kB over 35 runs"
[ "$(jq -s 'map(select(.faults[0].applied != null and .faults[0].removed != null)) | length' "$T/state/journal.jsonl")" = 50 ] ||
	fail "not every run applied and removed its fault"
ledger_empty || fail "ledger not empty"
no_toxics || fail "toxics left"
pass "50 runs: fds $fd10 -> $fd45, RSS $rss10 -> $rss45 kB"
