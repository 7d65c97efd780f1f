#!/bin/bash
# `reliabctl runs`: "no runs yet" on an empty journal; each run's key
# figures (verdict, throughput ratio, time to open, time to recover);
# `runs --scenario NAME --last N`: that scenario's runs alone, and its
# history (median, IQR, range) with the latest run flagged when it falls
# outside, here one made to regress (its recovery five times longer, as
# a longer breaker open timeout makes it), and not flagged when it is
# like the others. Records written by the test to the record contract.
source "$top_srcdir/tests/integration/ctl_lib.sh"
ctl_start

out=$(ctl runs) || fail "runs on an empty journal exited $?"
[ "$out" = "no runs yet" ] || fail "runs on an empty journal printed: $out"
[ "$(ctl runs --scenario partition)" = "no runs of partition yet" ] || fail "runs --scenario on an empty journal"
ctl --json runs | jq -e '.runs == []' >/dev/null || fail "runs --json on an empty journal"
pass "an empty journal: no runs yet"

# 12 partition runs, figures spread a little, a loss-5 run between each.
t=1764600000
ttrs=(5.1 4.8 5.3 5.0 4.9 5.2 5.4 4.7 5.0 5.1 5.2 4.9)
ttos=(1.8 1.9 1.7 1.8 2.0 1.8 1.9 1.7 1.8 1.9 1.8 1.8)
thrs=(0.95 0.97 0.94 0.96 0.95 0.96 0.93 0.95 0.97 0.96 0.94 0.95)
for i in "${!ttrs[@]}"; do
	record "part-$i" partition $((t + i * 400)) success "${ttos[i]}" "${ttrs[i]}" "${thrs[i]}" >>"$J"
	record "loss-$i" loss-5 $((t + i * 400 + 200)) failed 1.2 null 0.02 >>"$J"
done

ctl runs --last 3 >"$T/runs.txt" || fail "runs --last 3"
head -n 1 "$T/runs.txt" | has '^ID  *SCENARIO  *STARTED  *STATUS  *THRUPUT  *OPEN  *RECOVER  *REASON' ||
	fail "runs header: $(head -n 1 "$T/runs.txt")"
[ "$(awk 'NR > 1 { print $1 }' "$T/runs.txt" | paste -sd' ')" = "loss-10 part-11 loss-11" ] || fail "runs --last 3: $(cat "$T/runs.txt")"
awk '$1 == "part-11"' "$T/runs.txt" | has 'part-11  *partition  *[-0-9]* [0-9:]*  *success  *0.95  *1.8s  *4.9s *$' ||
	fail "part-11's figures: $(awk '$1 == "part-11"' "$T/runs.txt")"
awk '$1 == "loss-11"' "$T/runs.txt" | has 'failed  *0.02  *1.2s  *-  *throughput_min_ratio: throughput fell' ||
	fail "loss-11's figures: $(awk '$1 == "loss-11"' "$T/runs.txt")"
pass "runs: verdict, throughput ratio, time to open, time to recover, reason"

# The history: like the others, the latest is inside.
ctl runs --scenario partition --last 12 >"$T/hist.txt" || fail "runs --scenario"
[ "$(awk 'NR > 1 && $2 == "partition"' "$T/hist.txt" | wc -l)" = 12 ] || fail "runs --scenario lists: $(cat "$T/hist.txt")"
! grep -q loss-5 "$T/hist.txt" || fail "runs --scenario partition lists loss-5 runs"
grep -q '^history of partition: the 11 runs before the latest (part-11)$' "$T/hist.txt" || fail "history head: $(cat "$T/hist.txt")"
# Median of the 11 before: time to recover 5.1, to open 1.8, ratio 0.95.
grep -E '^  time to recover +11 +5.1s .* 4.9s +inside$' "$T/hist.txt" >/dev/null || fail "recover line: $(grep 'time to recover' "$T/hist.txt")"
grep -E '^  time to open +11 +1.8s .* inside$' "$T/hist.txt" >/dev/null || fail "open line: $(grep 'time to open' "$T/hist.txt")"
grep -E '^  throughput ratio +11 +0.95 .* inside$' "$T/hist.txt" >/dev/null || fail "ratio line: $(grep 'throughput ratio' "$T/hist.txt")"
! grep -q 'regression' "$T/hist.txt" || fail "a run like the others was flagged"
pass "runs --scenario: 12 runs, medians over the 11 before the latest, the latest inside"

# A regressed run: recovery five times longer, throughput lower.
record part-bad partition $((t + 12 * 400)) success 1.8 25.3 0.62 >>"$J"
ctl runs --scenario partition --last 12 >"$T/hist.txt" || fail "runs --scenario after the regression"
grep -q '^history of partition: the 11 runs before the latest (part-bad)$' "$T/hist.txt" || fail "history head: $(cat "$T/hist.txt")"
grep -E '^  time to recover +11 .* 25.3s +ABOVE the history$' "$T/hist.txt" >/dev/null || fail "regressed recovery not flagged: $(cat "$T/hist.txt")"
grep -E '^  throughput ratio +11 .* 0.62 +BELOW the history$' "$T/hist.txt" >/dev/null || fail "regressed throughput not flagged"
grep -E '^  time to open +11 .* 1.8s +inside$' "$T/hist.txt" >/dev/null || fail "time to open flagged"
grep -q '^latest run part-bad: 2 figures outside the history: a regression?$' "$T/hist.txt" || fail "no regression line"
ctl --json runs --scenario partition --last 12 |
	jq -e '.scenario == "partition" and (.runs | length) == 12 and .runs[-1].id == "part-bad" and ([.runs[].scenario] | unique) == ["partition"]' >/dev/null ||
	fail "runs --scenario --json"
pass "the regressed run is flagged: recovery above, throughput below the history"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
