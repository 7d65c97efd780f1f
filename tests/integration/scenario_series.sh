#!/bin/bash
# Issue 13: every run records its time series. A shortened `partition`
# (3 s / 4 s / 3 s) against real memcached behind reliabd-proxy, the
# loadgen sampled; its series file, beside the journal, must be:
# - there while the run goes (live), growing, before the run is over;
# - named and headed by the journal record's run id;
# - samples with ops/s, error rate and errors by kind, and per server
#   p99, breaker state and pool connections; memcache1's breaker open
#   in testing and closed again in recovery;
# - the three phases and done, in order; the fault applied and removed
#   on memcache1 within testing's bounds; the end with the record's
#   status;
# - whole lines of valid JSON, under the stated bound.
source "$top_srcdir/tests/integration/scenario_lib.sh"
lab_start

bg scenario "$SCEN" "${SCEN_OPTS[@]}" --run=partition \
	--stabilization=3s --testing=4s --recovery=3s
SPID=$BG_PID
DIR=$T/state/series

# Live: the file is there and grows while the run is on.
series_file() { compgen -G "$DIR/*.jsonl" >/dev/null; }
wait_for 10 series_file || fail "no series file while the run is on"
F=$(compgen -G "$DIR/*.jsonl")
size() { stat -c %s "$F"; }
sleep 1
s1=$(size)
sleep 1
s2=$(size)
[ "$(journal_lines)" = 0 ] || fail "the run ended before the live checks"
[ "$s2" -gt "$s1" ] || fail "the series did not grow while the run was on ($s1, $s2)"
grep -q '"type":"end"' "$F" && fail "an end line before the run ended"
pass "the series grows while the run goes ($s1 then $s2 bytes)"

wait "$SPID" && rc=0 || rc=$?
[ "$rc" -le 1 ] || fail "the worker exited $rc"
[ "$(journal_lines)" = 1 ] || fail "want one journal record, have $(journal_lines)"
REC=$(head -n 1 "$T/state/journal.jsonl")
ID=$(jq -r .id <<<"$REC")
STATUS=$(jq -r .status <<<"$REC")
[ "$F" = "$DIR/$ID.jsonl" ] || fail "series file $F, run $ID"

# Whole lines of valid JSON, each ended.
[ "$(tail -c 1 "$F" | od -An -c | tr -d ' ')" = '\n' ] || fail "the last line is not ended"
jq -e . "$F" >/dev/null || fail "a line is not JSON"
bytes=$(size)
[ "$bytes" -le $((4 * 1024 * 1024)) ] || fail "$bytes bytes, over the 4 MiB bound"

# meta first, with the journal's id and the lab's servers.
head -n 1 "$F" | jq -e --arg id "$ID" '.type == "meta" and .v == 1 and
	.run == $id and .scenario == "partition" and .interval_ms == 200 and
	.servers == ["memcache1","memcache2","memcache3"]' >/dev/null ||
	fail "bad meta line: $(head -n 1 "$F")"

# Phases in order, then the end with the record's status.
phases=$(jq -r 'select(.type == "phase") | .phase' "$F" | tr '\n' ' ')
[ "$phases" = "stabilization testing recovery done " ] || fail "phases: $phases"
tail -n 1 "$F" | jq -e --arg st "$STATUS" '.type == "end" and .status == $st' \
	>/dev/null || fail "last line $(tail -n 1 "$F"), record status $STATUS"
pt() { jq -r "select(.type == \"phase\" and .phase == \"$1\") | .t" "$F"; }
TS=$(pt testing) RS=$(pt recovery)

# The fault applied on memcache1 at testing's start, removed at
# recovery's.
jq -s -e --argjson ts "$TS" --argjson rs "$RS" '
	[.[] | select(.type == "fault" and .target == "memcache1" and
		.fault == "timeout" and (has("error") | not))] as $f |
	($f | map(select(.action == "apply")) | length) > 0 and
	($f | map(select(.action == "remove")) | length) > 0 and
	all($f[] | select(.action == "apply"); .t >= $ts and .t < $ts + 1) and
	all($f[] | select(.action == "remove"); .t >= $rs and .t < $rs + 1)' \
	"$F" >/dev/null || fail "faults: $(grep '"fault"' "$F")"
pass "meta, phases ($phases), faults applied at $TS s and removed at $RS s, end $STATUS"

# Samples: all of them complete; the breaker open in testing, closed at
# the end of recovery; the others serving throughout.
n=$(jq -s '[.[] | select(.type == "sample")] | length' "$F")
[ "$n" -ge 30 ] || fail "only $n samples in a 10 s run"
jq -s -e '[.[] | select(.type == "sample")] | all(.[];
	(.ops | type) == "number" and (.err | type) == "number" and
	(.ek | keys) == ["circuit_open","connection","other","pool","server","timeout"] and
	(.integ | type) == "number" and
	all(.s[]; (.br | type) == "number" and (.pool | type) == "number" and
		(.active | type) == "number"))' "$F" >/dev/null ||
	fail "an incomplete sample: $(grep '"sample"' "$F" | head -n 3)"
jq -s -e '[.[] | select(.type == "sample") | .s.memcache2.p99] |
	map(select(type == "number")) | length > 20' "$F" >/dev/null ||
	fail "memcache2 has too few p99 figures"
jq -s -e --argjson ts "$TS" --argjson rs "$RS" '
	[.[] | select(.type == "sample")] as $s |
	($s | map(select(.t > $ts and .t < $rs) | .s.memcache1.br) | any(. == 2)) and
	($s | map(select(.t > $ts and .t < $rs) | .ek.circuit_open + .ek.timeout) | any(. > 0)) and
	($s | map(select(.t < $ts) | .err) | all(. < 0.05)) and
	($s | last | .s.memcache1.br) == 0 and
	($s | map(.s.memcache2.br) | all(. == 0))' "$F" >/dev/null ||
	fail "breakers: $(jq -c 'select(.type == "sample") | [.t, .s.memcache1.br, .err]' "$F" | tr '\n' ' ')"
pass "$n samples: per-server p99, breaker and pool; memcache1's breaker open in testing, closed at the end; $bytes bytes"
