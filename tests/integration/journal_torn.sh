#!/bin/bash
# The journal survives what a crash leaves in it: a torn line, a 4 KiB
# block of NULs (ext4 after a power cut) and garbage. Every run before
# and after still shows in `runs` and `show`, the damage is counted, new
# runs land on lines of their own, and `show` also finds a run in the
# rotated file.
source "$top_srcdir/tests/integration/scenario_lib.sh"
lab_start
J=$T/state/journal.jsonl

# run_some N: N short runs by the scenario worker, each journaled.
run_some() {
	"$SCEN" "${SCEN_OPTS[@]}" --run=latency-100ms --loop="$1" \
		--stabilization=200ms --testing=200ms --recovery=200ms \
		2>>"$T/scenario.log" || true
}
run_some 2
mapfile -t before < <(jq -r .id "$J")
[ "${#before[@]}" = 2 ] || fail "expected 2 runs before the damage, got ${#before[@]}"

# The damage: a record cut short, NULs, garbage without a newline.
printf '{"id":"torn-run","scenario":"latency-100ms","sta' >>"$J"
head -c 4096 /dev/zero >>"$J"
printf 'garbage \001\377 {"id":' >>"$J"
size=$(stat -c %s "$J")

run_some 2
# What the worker wrote: a newline ending the garbage, then two whole
# records, each on its own line.
tail -c +"$((size + 1))" "$J" >"$T/new.bytes"
[ "$(head -c 1 "$T/new.bytes" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "the next run was appended onto the torn line"
tail -c +2 "$T/new.bytes" >"$T/new.jsonl"
[ "$(wc -l <"$T/new.jsonl")" = 2 ] || fail "new runs: $(wc -l <"$T/new.jsonl") lines, want 2"
mapfile -t after < <(jq -r .id "$T/new.jsonl") || fail "a new run's line is not JSON: $(cat -v "$T/new.jsonl")"
[ "${#after[@]}" = 2 ] || fail "expected 2 runs after the damage, got ${#after[@]}"
pass "new runs land on lines of their own after a torn line, NULs and garbage"

# reliabd reads it.
read -r PM <<<"$(free_ports 1)"
SOCK=$T/ctl.sock
conf_alone "$SOCK" "$PM" >"$T/reliabd.conf"
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 10 "$B/reliabctl" -s "$SOCK" hello || fail "reliabd did not start"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }

ctl --json runs --last 10 >"$T/runs.json" || fail "runs"
want="${before[*]} ${after[*]}"
got=$(jq -r '[.runs[].id] | join(" ")' "$T/runs.json")
[ "$got" = "$want" ] || fail "runs lists '$got', want '$want'"
# The torn record, the NUL block and the garbage line.
jq -e '.skipped == 3' "$T/runs.json" >/dev/null ||
	fail "damage counted as $(jq .skipped "$T/runs.json"), want 3"
ctl runs --last 10 | has 'damaged lines of the journal skipped' ||
	fail "runs does not say lines were skipped"
for id in "${before[@]}" "${after[@]}"; do
	ctl --json show "$id" | jq -e --arg id "$id" '.run.id == $id' >/dev/null ||
		fail "show $id"
done
has 'skipped 2 damaged lines and 1 runs of NUL' <"$T/reliabd.log" ||
	fail "reliabd did not log the damage"
pass "runs and show find all 4 runs around the damage; 3 skipped"

# Rotation: the file becomes journal.jsonl.1, one more run starts a new
# one; show finds runs in both, runs lists them in order.
mv "$J" "$J.1"
run_some 1
last=$(jq -r .id "$J")
for id in "${before[0]}" "${after[1]}" "$last"; do
	ctl --json show "$id" | jq -e --arg id "$id" '.run.id == $id' >/dev/null ||
		fail "show $id after rotation"
done
got=$(ctl --json runs --last 10 | jq -r '[.runs[].id] | join(" ")')
[ "$got" = "$want $last" ] || fail "runs after rotation lists '$got'"
pass "show and runs read the rotated file too"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
