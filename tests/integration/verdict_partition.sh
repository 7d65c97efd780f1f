#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 12, point 2: a shortened partition with two client
# configurations: breakers on (the well-configured client) and breakers
# off (--breaker-consecutive-failures=0 --breaker-failure-ratio=0, four
# callers, a long op timeout). The two verdicts differ, and the failing
# one names its check in the reason and in its checks.
source "$top_srcdir/tests/integration/verdict_lib.sh"

lab_start good
start_scenario partition 2s 3s 3s
# A mistyped name is reported with its close match while the run is on;
# the right name is refused as busy.
ctl --json start-scenario partiton >"$T/typo.txt" 2>&1 && fail "a mistyped name was accepted"
grep -q 'partition' "$T/typo.txt" && ! grep -q 'going on' "$T/typo.txt" ||
	fail "mistyped name during a run: $(cat "$T/typo.txt")"
ctl --json start-scenario partition >"$T/busy.txt" 2>&1 && fail "a second run started"
grep -q 'going on' "$T/busy.txt" || fail "busy: $(cat "$T/busy.txt")"
pass "during a run: a mistyped name gets its close match, the right one 'busy'"
good=$(wait_record)
lab_stop
lab_start bad
bad=$(run_scenario partition 2s 3s 3s)
# Its breakers stay open 5 s: a 3 s recovery cannot show recovery, and
# start-scenario said so before it began.
grep -q 'recovers_within: recovery phase 3 s is shorter than breaker open time 5 s' \
	"$T/start-partition.json" || fail "no warning: $(cat "$T/start-partition.json")"
lab_stop
for v in "$good" "$bad"; do
	echo "  $(jq -c '{status, reason, checks: [.checks[] | [.check, .server, .measured, .result]]}' <<<"$v")"
	checks_complete <<<"$v" || fail "a check lacks a figure: $(jq -c .checks <<<"$v")"
done
[ "$(jq -r .status <<<"$good")" = success ] ||
	fail "partition, breakers on: $(jq -r '.status + ": " + .reason' <<<"$good")"
[ "$(jq -r .status <<<"$bad")" = failed ] ||
	fail "partition, breakers off: $(jq -r .status <<<"$bad")"
# The failing run names each failed check in its reason.
jq -e '(.reason) as $r | [.checks[] | select(.result == "failed") | .check] |
		length > 0 and all(.[]; . as $c | $r | contains($c + ": "))' <<<"$bad" >/dev/null ||
	fail "the failed checks are not named: $(jq -c '{reason, checks}' <<<"$bad")"
jq -e '.checks[] | select(.check == "breaker_opens_within") | .server == "memcache1" and .result == "failed"' \
	<<<"$bad" >/dev/null || fail "breakers off: breaker_opens_within did not fail"
jq -e '.checks[] | select(.check == "breaker_opens_within") | .result == "passed" and .measured <= 10' \
	<<<"$good" >/dev/null || fail "breakers on: breaker_opens_within did not pass"
pass "partition: breakers on $(jq -r .status <<<"$good"), breakers off $(jq -r .status <<<"$bad"): $(jq -r .reason <<<"$bad" | cut -c1-120)"
