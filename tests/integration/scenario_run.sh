#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# End to end by hand: shortened latency-1s then loss-100 against real
# memcached behind reliabd-proxy, with reliabd-loadgen's breakers watched.
# - the affected server's breaker opens in testing and closes in recovery;
#   the other servers keep serving with closed breakers;
# - scenario_phase walks 1 -> 2 -> 3 -> 0 for each;
# - phase lengths from the phase-start metrics within 100 ms of the asked
#   ones; the toxic is on the proxy within 100 ms of testing's start and
#   gone within 100 ms of its end (checked by polling the proxy API);
# - the journal has both runs with their verdicts and figures.
source "$top_srcdir/tests/integration/scenario_lib.sh"
lab_start

STAB=2 TEST=3 REC=5
# A playlist (it loops), so the worker is still there to show loss-100
# back at phase 0; it is stopped once both runs are journaled.
bg scenario "$SCEN" "${SCEN_OPTS[@]}" --playlist=latency-1s,loss-100 \
	--stabilization=${STAB}s --testing=${TEST}s --recovery=${REC}s
SPID=$BG_PID

# Poll until the worker exits: the phase gauges, the proxy's toxics on
# memcache1, and the loadgen's breakers, each line stamped with the wall
# time before and after the call.
POLL=$T/poll.txt
: >"$POLL"
# One curl for the three reads and one awk to digest them, so a busy
# machine still gets several polls into each phase.
for _ in $(seq 1500); do
	kill -0 "$SPID" 2>/dev/null || break
	: >"$T/sm.txt"; : >"$T/tx.txt"; : >"$T/lg.txt"
	t0=$EPOCHREALTIME
	curl -sS --max-time 1 -o "$T/sm.txt" "http://127.0.0.1:$SM/metrics" \
		-o "$T/tx.txt" "http://127.0.0.1:$API/proxies/memcache1/toxics" \
		-o "$T/lg.txt" "http://127.0.0.1:$LG/metrics" 2>/dev/null || true
	t1=$EPOCHREALTIME
	line=$(awk -v t0="$t0" -v t1="$t1" '
	FILENAME ~ /sm.txt$/ && $1 == "scenario_phase{scenario=\"latency-1s\"}" { p1 = $2 }
	FILENAME ~ /sm.txt$/ && $1 == "scenario_phase{scenario=\"loss-100\"}" { p2 = $2 }
	FILENAME ~ /tx.txt$/ { tx = ($0 ~ /"name"/) ? 1 : (($0 ~ /^\[/) ? 0 : "err") }
	FILENAME ~ /lg.txt$/ && /^memcache_circuit_breaker_state\{/ {
		k = $1; sub(/.*server="/, "", k); sub(/".*/, "", k); lg = lg k "=" $2 " " }
	END { if (tx == "") tx = "err"; printf "%s %s %s %s %s %s", (p1 == "" ? "x" : p1), (p2 == "" ? "x" : p2), t0, tx, t1, lg }
	' "$T/sm.txt" "$T/tx.txt" "$T/lg.txt")
	echo "$line" >>"$POLL"
	read -r p1 p2 _ <<<"$line"
	# In recovery a scenario's three phase-start gauges belong to one run.
	[ "$p1" = 3 ] && cp "$T/sm.txt" "$T/sm-latency-1s.txt"
	[ "$p2" = 3 ] && cp "$T/sm.txt" "$T/sm-loss-100.txt"
	rm -f "$T/sm.txt" "$T/tx.txt" "$T/lg.txt"
	if [ "$(journal_lines)" -ge 2 ] && [ "$p2" = 0 ]; then
		kill -TERM "$SPID"
		break
	fi
	sleep 0.02
done
wait "$SPID" && rc=0 || rc=$?
echo "worker exit $rc; $(wc -l <"$POLL") polls"
[ "$rc" = 0 ] || fail "worker exit $rc on SIGTERM"

# scenario_phase walks 1 2 3 0 for each scenario.
walk() { awk -v c="$1" '$c != "x" && $c != last {printf "%s", $c; last=$c}' "$POLL"; }
w1=$(walk 1); w2=$(walk 2)
[[ $w1 == *1230* ]] || fail "latency-1s phases went $w1"
[[ $w2 == *1230* ]] || fail "loss-100 phases went $w2"
pass "scenario_phase walked $w1 and $w2"

# Phase lengths from the phase-start gauges (last scrape holds both runs).
pst() { awk -v k="scenario_phase_start_timestamp_seconds{scenario=\"$1\",phase=\"$2\"}" '$1==k {print $2}' "$T/sm-$1.txt"; }
# Lines 1 and 2: the two full runs (a third, cut short, may follow).
J=$T/journal2.jsonl
head -n 2 "$T/state/journal.jsonl" >"$J"
[ "$(wc -l <"$J")" = 2 ] || fail "journal has $(wc -l <"$J") lines, want 2"
check_len() { # name got want
	awk -v g="$2" -v w="$3" 'BEGIN {d = g - w; if (d < 0) d = -d; exit !(d <= 0.1)}' ||
		fail "$1 lasted $2 s, asked $3 s"
	echo "  $1: $2 s (asked $3 s)"
}
for s in latency-1s loss-100; do
	st=$(pst "$s" stabilization); te=$(pst "$s" testing); re=$(pst "$s" recovery)
	[ -n "$st" ] && [ -n "$te" ] && [ -n "$re" ] || fail "$s: phase-start gauges missing"
	check_len "$s stabilization" "$(echo "$te - $st" | bc -l)" $STAB
	check_len "$s testing" "$(echo "$re - $te" | bc -l)" $TEST
	rl=$(jq -r --arg s "$s" 'select(.scenario==$s) | .phases.recovery.end - .phases.recovery.start' "$J")
	check_len "$s recovery" "$rl" $REC
	js=$(jq -r --arg s "$s" 'select(.scenario==$s) | .phases.testing.start' "$J")
	awk -v a="$js" -v b="$te" 'BEGIN {d=a-b; if (d<0) d=-d; exit !(d < 0.002)}' ||
		fail "$s: journal and metrics disagree on the testing start"
done
pass "phase lengths within 100 ms"

# Fault timing seen from outside, on the proxy: absent in every poll that
# ended before testing began, present in every poll that began 100 ms
# after testing's start and ended before its end, absent in every poll
# that began 100 ms after testing's end.
for s in latency-1s loss-100; do
	te=$(pst "$s" testing); re=$(pst "$s" recovery); st=$(pst "$s" stabilization)
	col=1; [ "$s" = loss-100 ] && col=2
	awk -v st="$st" -v te="$te" -v re="$re" -v name="$s" '
	$4 == "err" { next }
	$3 >= st && $5 < te && $4 != 0 { print name ": toxic present before testing at " $3; bad=1 }
	$3 > te + 0.1 && $5 < re && $4 == 0 { print name ": toxic absent during testing at " $3 " (testing began " te ")"; bad=1 }
	$3 > te + 0.1 && $5 < re { inside++ }
	$3 > re + 0.1 && $3 < re + 2 && $4 != 0 { print name ": toxic present after testing at " $3 " (ended " re ")"; bad=1 }
	$3 > re + 0.1 && $3 < re + 2 { after++ }
	END { if (inside < 3 || after < 2) { print name ": too few polls (" inside ", " after ")"; bad=1 }; exit bad }
	' "$POLL" || fail "fault timing"
done
pass "faults on within 100 ms of testing start, off within 100 ms of its end"

# Breakers: memcache1 open during testing, closed again by the end of
# recovery; memcache2 and memcache3 never open.
for s in latency-1s loss-100; do
	te=$(pst "$s" testing); re=$(pst "$s" recovery)
	awk -v te="$te" -v re="$re" -v rend="$(echo "$re + $REC" | bc -l)" -v name="$s" '
	{ for (i = 6; i <= NF; i++) { split($i, kv, "="); b[kv[1]] = kv[2] } }
	$3 > te && $5 < re && b["memcache1"] == 2 { opened = 1 }
	$3 > re && $5 < rend { last1 = b["memcache1"] }
	b["memcache2"] == 2 || b["memcache3"] == 2 { other = 1 }
	END {
		if (!opened) { print name ": memcache1 breaker never open in testing"; exit 1 }
		if (last1 != 0) { print name ": memcache1 breaker " last1 " at the end of recovery"; exit 1 }
		if (other) { print name ": another server'"'"'s breaker opened"; exit 1 }
	}' "$POLL" || fail "breakers"
done
pass "memcache1's breaker opened in testing and closed in recovery; others stayed closed"

# The other servers kept serving during testing (the loadgen counted
# successful operations on them throughout).
ok2=$(curl -fsS "http://127.0.0.1:$LG/metrics" | awk '/^memcache_operation_duration_seconds_count\{.*server="memcache2"/ {s += $2} END {print s+0}')
[ "${ok2%.*}" -gt 100 ] || fail "memcache2 served only $ok2 operations"

# The journal: verdict and figures of each run.
for s in latency-1s loss-100; do
	r=$(jq -c --arg s "$s" 'select(.scenario==$s)' "$J")
	echo "  $s: $(jq -r '"\(.status) \(.reason) open=\(.figures.time_to_open_s.memcache1) recover=\(.figures.time_to_recover_s) baseline=\(.figures.baseline_error_rate) testing_err=\(.phases.testing.error_rate) p99=\(.phases.testing.p99_ms)ms"' <<<"$r")"
	jq -e '.id and .started and .ended and (.status == "success" or .status == "failed") and .phases.stabilization.ops > 0 and .phases.testing.error_rate > 0 and (.faults | length) > 0 and (.faults[0].applied != null) and (.faults[0].removed != null) and (.figures.time_to_open_s.memcache1 != null) and (.figures.baseline_error_rate != null) and (.loss_approximated == false)' <<<"$r" >/dev/null ||
		fail "$s: journal record incomplete: $r"
	[ "$(jq -r .status <<<"$r")" = success ] || fail "$s: verdict $(jq -r '.status + ": " + .reason' <<<"$r")"
done
ledger_empty || fail "ledger not empty: $(cat "$T/state/ledger.json")"
no_toxics || fail "toxics left on the proxy"
grep -q '^scenario_runs_total{scenario="latency-1s",status="success"} 1$' "$T/sm-loss-100.txt" ||
	fail "scenario_runs_total not counted"
# The run cut short by SIGTERM is journaled as aborted.
if [ "$(journal_lines)" -ge 3 ]; then
	jq -e 'select(.status == "aborted")' <(sed -n 3p "$T/state/journal.jsonl") >/dev/null ||
		fail "the interrupted run is not journaled as aborted"
fi
pass "journal holds both runs with verdict and figures; ledger empty"
