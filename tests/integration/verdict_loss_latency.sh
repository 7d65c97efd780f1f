#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 12, point 1: shortened loss-5 and latency-1s end to end through
# reliabd. Each run's journal record holds every check of the scenario's
# expect with expected and measured values, and the phase figures
# (ops/s, p50/p99, errors by kind, per server). A client whose
# throughput collapses under loss-5 (four callers that wait for the slow
# server, no breaker) is failed, and the reason names throughput.
source "$top_srcdir/tests/integration/verdict_lib.sh"

lab_start good
pass "lab up with a well-configured client"
for s in loss-5 latency-1s; do
	r=$(run_scenario "$s" 1500ms 2500ms 2500ms)
	echo "  $s: $(jq -c '{status, reason, checks: [.checks[] | [.check, .server, .expected, .measured, .result]]}' <<<"$r")"
	checks_complete <<<"$r" || fail "$s: a check lacks a figure: $(jq -c .checks <<<"$r")"
	# Every key of the scenario's expect is a check (recover_throughput_ratio
	# comes with recovers_within, by default).
	want=$(jq -c '[.expect | keys[]] + (if .expect.recovers_within then ["recover_throughput_ratio"] else [] end) | sort | unique' \
		"$top_srcdir/etc/scenarios/$s.json")
	got=$(jq -c '[.checks[].check] | sort | unique' <<<"$r")
	[ "$want" = "$got" ] || fail "$s: checks $got, expect has $want"
	jq -e '.checks[] | select(.check == "throughput_min_ratio") | .phase == "testing" and .result == "passed" and .measured >= 0.5' \
		<<<"$r" >/dev/null || fail "$s: a well-configured client lost its throughput"
	jq -e '.figures.throughput_ratio > 0 and .phases.stabilization.ops_rate > 0 and .phases.testing.p50_ms != null and
		(.phases.testing.servers | keys) == ["memcache1", "memcache2", "memcache3"] and
		.phases.testing.servers.memcache2.ops > 0 and .phases.testing.servers.memcache2.p99_ms != null' \
		<<<"$r" >/dev/null || fail "$s: phase figures missing: $(jq -c .phases <<<"$r")"
done
jq -e 'select(.scenario == "latency-1s") | .phases.testing.errors | (.timeout // 0) + (.circuit_open // 0) > 0' "$J" >/dev/null ||
	fail "latency-1s: no errors by kind in testing"
pass "loss-5 and latency-1s: every check recorded with expected and measured values"
lab_stop

lab_start bad
r=$(run_scenario loss-5 1500ms 2500ms 2500ms)
echo "  loss-5, bad client: $(jq -c '{status, reason}' <<<"$r")"
checks_complete <<<"$r" || fail "loss-5 (bad client): a check lacks a figure: $(jq -c .checks <<<"$r")"
jq -e '.status == "failed" and (.reason | test("^throughput_min_ratio: throughput fell to [0-9.]+ of the baseline")) and
	(.checks[] | select(.check == "throughput_min_ratio") | .result == "failed" and .measured < 0.5)' <<<"$r" >/dev/null ||
	fail "loss-5 with a collapsing client: $(jq -c '{status, reason}' <<<"$r")"
pass "loss-5 with a client whose throughput collapses: failed, naming throughput"
lab_stop
