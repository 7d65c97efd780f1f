#!/bin/bash
# `reliabctl show RUN` prints a report, not JSON, and every figure in it
# is the journal record's, rounded: the faults and their times, a table
# per phase (whole client and each server), times to open and to
# recover, the throughput ratios, each check (expected, measured,
# result, why) and the verdict. `show --json` is the record as is, and an
# older record (no checks, no per-server figures) still renders, its
# missing figures as "-". The records are the test's own, written to the
# record contract (issue 12) into the journal reliabd reads.
source "$top_srcdir/tests/integration/ctl_lib.sh"

t0=1764611059.5
record run-new loss-5 "$t0" failed 1.834 null 0.0153 >"$J"
old_record run-old 1764611000 >>"$J"
ctl_start

ctl show run-new >"$T/show.txt" || fail "show exited $?"
ctl --json show run-new | jq -c .run >"$T/rec.json" || fail "show --json"
sed -n 1p "$J" >"$T/line.json"
jq -en --slurpfile a "$T/line.json" --slurpfile b "$T/rec.json" '$a == $b' >/dev/null ||
	fail "show --json is not the journal's record"
# No JSON in the report.
! grep -qE '^[[:space:]]*[{}\[]|"[a-z_]+":' "$T/show.txt" || fail "show printed JSON: $(head -5 "$T/show.txt")"
pass "show prints a report, --json the record as is"

# close SHOWN RECORDED: the shown figure is the recorded one, rounded as
# reliabctl rounds (three significant digits, whole from 100 up); "-"
# stands for null.
close() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "null") exit !(a == "-" && b == "null")
		sub(/(ms|s|%)$/, "", a); sub(/^(<=|>=)/, "", a)
		if (a !~ /^-?[0-9.]+$/) exit 1
		d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
		tol = m >= 100 ? 0.5 : 0.006 * m; if (tol < 1e-6) tol = 1e-6
		exit !(d <= tol) }'
}
R=$T/rec.json
q() { jq -r "$@" "$R"; }
# section NAME: the report's lines from "NAME" to the next blank line.
section() { awk -v s="$1" 'index($0, s) == 1 { f = 1; next } f && /^$/ { exit } f' "$T/show.txt"; }
# clock T: T as the report writes a wall time (local, tenths truncated).
clock() { printf '%s.%s' "$(date -d "@${1%.*}" +%H:%M:%S)" "$(awk -v t="$1" 'BEGIN { printf "%d", int((t - int(t)) * 10) }')"; }

# The head and the verdict.
head -n 1 "$T/show.txt" | has "^run run-new: scenario loss-5 (builtin), loop 1$" || fail "head: $(head -n 1 "$T/show.txt")"
sed -n 2p "$T/show.txt" | has "^started $(date -d "@${t0%.*}" '+%Y-%m-%d %H:%M:%S')" || fail "start time: $(sed -n 2p "$T/show.txt")"
[ "$(tail -n 1 "$T/show.txt")" = "verdict: $(q .status): $(q .reason)" ] || fail "verdict line: $(tail -n 1 "$T/show.txt")"

# Faults: each with its applied and removed times.
section faults | tail -n +2 >"$T/faults.txt"
[ "$(wc -l <"$T/faults.txt")" = "$(q '.faults | length')" ] || fail "fault rows: $(cat "$T/faults.txt")"
i=0
while read -r server type stream on off count tox settings; do
	[ "$server" = "$(q ".faults[$i].server")" ] && [ "$type" = "$(q ".faults[$i].type")" ] &&
		[ "$stream" = "$(q ".faults[$i].stream")" ] || fail "fault $i: $server $type $stream"
	[ "$on" = "$(clock "$(q ".faults[$i].applied")")" ] || fail "fault $i applied at $on, record $(q ".faults[$i].applied")"
	[ "$off" = "$(clock "$(q ".faults[$i].removed")")" ] || fail "fault $i removed at $off"
	[ "$count" = "$(q ".faults[$i].applied_count")" ] || fail "fault $i count $count"
	close "$tox" "$(q ".faults[$i].toxicity")" || fail "fault $i toxicity $tox"
	[ "$settings" = "$(q ".faults[$i].attributes | to_entries | map(\"\(.key)=\(.value)\") | join(\" \")")" ] || fail "fault $i settings $settings"
	i=$((i + 1))
done <"$T/faults.txt"
pass "faults: server, type, stream, applied and removed times, settings"

# Phases: the whole client's row, then each server's, every figure.
# row WHO OPS RATE ERR P50 P99 against a record object (jq path).
check_row() {
	local path=$1 who=$2 ops=$3 rate=$4 err=$5 p50=$6 p99=$7
	[ "$ops" = "$(q "$path.ops")" ] || fail "$path ops $ops, record $(q "$path.ops")"
	close "$rate" "$(q "$path.ops_rate")" || fail "$path ops/s $rate, record $(q "$path.ops_rate")"
	close "$err" "$(q "if $path.error_rate == null then null else $path.error_rate * 100 end")" ||
		fail "$path errors $err, record $(q "$path.error_rate")"
	close "$p50" "$(q "$path.p50_ms")" || fail "$path p50 $p50, record $(q "$path.p50_ms")"
	close "$p99" "$(q "$path.p99_ms")" || fail "$path p99 $p99, record $(q "$path.p99_ms")"
}
nrows=0
for ph in stabilization testing recovery; do
	section "$ph:" >"$T/ph.txt"
	head -n 1 "$T/ph.txt" | has "OPS/S" || fail "$ph: no table header"
	read -r who ops rate err p50 p99 kinds <<<"$(sed -n 2p "$T/ph.txt")"
	[ "$who" = all ] || fail "$ph: first row is $who"
	check_row ".phases.$ph" all "$ops" "$rate" "$err" "$p50" "$p99"
	for kv in $(q ".phases.$ph.errors | to_entries[] | \"\(.key):\(.value)\""); do
		echo "$kinds" | has -w "${kv%%:*} ${kv#*:}" || fail "$ph: errors by kind '$kinds' lacks $kv"
	done
	for s in $(q ".phases.$ph.servers | keys[]"); do
		read -r who ops rate err p50 p99 <<<"$(awk -v s="$s" '$1 == s' "$T/ph.txt")"
		[ "$who" = "$s" ] || fail "$ph: no row for $s"
		check_row ".phases.$ph.servers.$s" "$s" "$ops" "$rate" "$err" "$p50" "$p99"
		nrows=$((nrows + 1))
	done
done
[ "$nrows" = 9 ] || fail "$nrows server rows, want 9"
pass "phases: the client's and 9 server rows, every figure as recorded, rounded"

# Times to open and to recover, throughput ratios.
for s in $(q '.figures.time_to_open_s | keys[]'); do
	v=$(section "time to open" | awk -v s="$s" '$1 == s { print $2 }')
	close "$v" "$(q ".figures.time_to_open_s.$s")" || fail "time to open $s: $v"
done
grep -q '^time to recover: -$' "$T/show.txt" || fail "time to recover (null) not shown as -"
read -r _ _ _ _ _ thr _ _ rec <<<"$(grep '^throughput over the baseline' "$T/show.txt" | tr -d ,)"
close "$thr" "$(q .figures.throughput_ratio)" || fail "throughput ratio $thr"
close "$rec" "$(q .figures.recovered_throughput_ratio)" || fail "recovered throughput ratio $rec"
pass "times to open and to recover, throughput ratios"

# The hypothesis: one row per check, in the record's order, each figure
# as recorded, then its why under it.
section hypothesis | tail -n +2 >"$T/checks.txt"
n=$(q '.checks | length')
i=0
while [ "$i" -lt "$n" ]; do
	IFS= read -r line || fail "only $i check rows of $n"
	read -r name phase server exp meas result <<<"$line"
	[ "$name" = "$(q ".checks[$i].check")" ] || fail "check $i is $name"
	[ "$phase" = "$(q ".checks[$i].phase // \"-\"")" ] || fail "check $i phase $phase"
	[ "$server" = "$(q ".checks[$i].server // \"-\"")" ] || fail "check $i server $server"
	close "$exp" "$(q ".checks[$i].expected")" || fail "check $i expected $exp, record $(q ".checks[$i].expected")"
	close "$meas" "$(q ".checks[$i].measured")" || fail "check $i measured $meas, record $(q ".checks[$i].measured")"
	want=$(q ".checks[$i].result | if . == \"failed\" then \"FAILED\" elif . == \"not_judged\" then \"not judged\" else . end")
	[ "$result" = "$want" ] || fail "check $i result '$result', want '$want'"
	why=$(q ".checks[$i].why")
	if [ -n "$why" ]; then
		IFS= read -r line || fail "check $i: no why line"
		[ "$(echo "$line" | sed 's/^ *//')" = "$why" ] || fail "check $i why: $line"
	fi
	i=$((i + 1))
done <"$T/checks.txt"
pass "hypothesis: $n checks, expected, measured, result and why as recorded"

# An older record: it renders, "-" for what it lacks.
ctl show run-old >"$T/old.txt" || fail "show of an old record exited $?"
grep -q '^recovery: - to -, 5.0s$' "$T/old.txt" || fail "old record: recovery not reached"
grep -A1 '^hypothesis' "$T/old.txt" | has '(this record has no checks)' || fail "old record: checks"
grep -q '^throughput over the baseline: testing -, after recovery -$' "$T/old.txt" || fail "old record: throughput"
awk '/^stabilization:/ { getline; getline; print }' "$T/old.txt" | has '^  all  *1000  *-  *0%  *-  *1.5ms' ||
	fail "old record: stabilization row $(grep -A2 '^stabilization' "$T/old.txt")"
tail -n 1 "$T/old.txt" | has '^verdict: success$' || fail "old record: verdict"
pass "an older record renders, its missing figures as -"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
