#!/bin/bash
# A run is recorded whoever dies (issue 16): kill -9 of reliabd-scenario
# during testing, 20 times under a --forever job. Each killed run is in
# the journal as aborted with the reason, `status` drops the dead run
# within 2 s, and the job goes on in the restarted worker with its phase
# overrides; a --wait on the job ends with the aborted verdict (exit 5).
# Then a --loop 2 job killed in its first run runs its second and ends.
source "$top_srcdir/tests/lib/common.sh"
need jq memcached

B=$top_builddir
read -r PN PS PA PL PSC PPM PM <<<"$(free_ports 7)"
SOCK=$T/ctl.sock
mkdir -p "$T/scenarios.d"
# The file's phases are long: only the job's overrides (1s/3s/1s) bring
# a run to testing within the test's waits.
cat >"$T/scenarios.d/quick.json" <<'EOF'
{"name": "quick-latency",
 "description": "50 ms of latency on memcache1",
 "phases": {"stabilization": "60s", "testing": "60s", "recovery": "60s"},
 "faults": [{"servers": ["memcache1"], "type": "latency",
             "attributes": {"latency": 50, "jitter": 0}}]}
EOF
{
conf_daemon "$SOCK" "$PM"
# Killed after a second or more up, the worker is restarted after the
# shortest back-off, never left down as fatal.
echo "restart_stable = 1s"
echo
conf_node memcache1 "$PN" "$PS"
cat <<EOF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics = 127.0.0.1:$PL
workers = 2
rate    = 100

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $T/scenarios.d
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
# status_line: "PHASE RUN WORKER_PID" from one status call.
status_line() {
	ctl --json status | jq -r '[(.scenario.phase // "none"),
	    (.scenario.run // "-"),
	    ((.children[] | select(.kind == "scenario") | .pid) // "-")] | join(" ")'
}
# in_testing NOT_RUN: a run other than NOT_RUN is in testing; sets RUN
# and WPID.
in_testing() {
	local ph
	read -r ph RUN WPID <<<"$(status_line)"
	[ "$ph" = testing ] && [ "$RUN" != "$1" ] && [ "$WPID" != - ]
}
# shows_run RUN: status still shows RUN as the run in progress.
shows_run() { [ "$(ctl --json status | jq -r '.scenario.run // "-"')" = "$1" ]; }
worker_running() {
	ctl --json status | jq -e '.children[] | select(.kind == "scenario") | .state == "running"' >/dev/null
}
toxics() { curl -fsS --max-time 3 "http://127.0.0.1:$PA/proxies/memcache1/toxics" | jq length; }

bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 30 worker_running || fail "the scenario worker did not come up"

# --wait on the job, from its start: it must end with the aborted
# verdict when the worker dies.
bg wait "$B/reliabctl" -s "$SOCK" start-scenario quick-latency --forever \
	--stabilization 1s --testing 3s --recovery 1s --wait
WAITPID=$BG_PID

t0=$SECONDS
killed=()
RUN=-
for i in $(seq 20); do
	wait_for 15 in_testing "$RUN" ||
		fail "kill $i: no new run reached testing (status: $(status_line)); the job did not go on"
	kill -9 "$WPID"
	killed+=("$RUN")
	tk=$(date +%s%N)
	wait_for 2 eval '! shows_run "$RUN"' ||
		fail "kill $i: status still shows the dead run $RUN 2 s later"
	echo "kill $i: run $RUN (worker $WPID) gone from status after $((($(date +%s%N) - tk) / 1000000)) ms"
	if [ "$i" = 1 ]; then
		wait_for 10 eval '! kill -0 '"$WAITPID"' 2>/dev/null' ||
			fail "--wait did not end when the worker died"
		wait "$WAITPID" && rc=0 || rc=$?
		[ "$rc" = 5 ] || fail "--wait exit $rc, want 5 (aborted): $(cat "$T/wait.log")"
		grep -q "${killed[0]}: quick-latency aborted: scenario worker died (signal 9)" "$T/wait.log" ||
			fail "--wait did not print the aborted run: $(cat "$T/wait.log")"
		pass "--wait on the job ends with the aborted run, exit 5"
	fi
done
pass "20 kills in $((SECONDS - t0)) s: the --forever job went on after each"

# Every killed run is in the journal, aborted with the reason and the
# phases it reached.
J=$T/state/journal.jsonl
for r in "${killed[@]}"; do
	jq -s -e --arg r "$r" 'map(select(.id == $r)) | length == 1 and
	    (.[0] | .status == "aborted" and
	    .reason == "scenario worker died (signal 9)" and
	    .phases.stabilization.start != null and
	    .phases.testing.start != null and .phases.recovery.start == null and
	    .phases.testing.duration_ms == 3000 and
	    .scenario == "quick-latency")' "$J" >/dev/null ||
		fail "run $r not journaled as aborted: $(jq -c --arg r "$r" 'select(.id == $r)' "$J")"
done
n=$(jq -s '[.[] | select(.reason == "scenario worker died (signal 9)")] | length' "$J")
[ "$n" = 20 ] || fail "$n aborted runs in the journal, want 20"
ctl --json runs --last 50 | jq -e --arg r "${killed[19]}" \
	'[.runs[] | select(.id == $r and .status == "aborted")] | length == 1' >/dev/null ||
	fail "reliabctl runs does not list the last killed run"
pass "the 20 killed runs are journaled as aborted, with the reason and their phases"

# A --loop 2 job killed in its first run: the second runs, then it ends.
ctl stop >/dev/null || fail "stop"
wait_for 10 eval '[ "$(toxics)" = 0 ]' || fail "faults left after stop"
ctl start-scenario quick-latency --loop 2 --stabilization 1s --testing 1s \
	--recovery 1s >/dev/null || fail "start --loop 2"
RUN=-
wait_for 15 in_testing "$RUN" || fail "the --loop 2 job never reached testing"
kill -9 "$WPID"
first=$RUN
# After the killed run (journaled), one more that ran to its verdict.
done_after() {
	jq -s -e --arg r "$first" '(map(select(.id == $r)) | length == 1) and
	    ((map(select(.id == $r))[0].started) as $t |
	     map(select(.started > $t and .status != "aborted")) | length == 1)' "$J" >/dev/null
}
wait_for 20 done_after || fail "the --loop 2 job did not run its second run after the kill"
sleep 4
ph=$(ctl --json status | jq -r '.scenario.phase // "none"')
[ "$ph" = idle ] || [ "$ph" = none ] || fail "a third run started: the job had 2 ($ph)"
ctl --json status | jq -e '.job == null' >/dev/null || fail "status still holds a job: $(ctl --json status | jq -c .job)"
pass "a --loop 2 job killed in run 1 runs the one left, then ends"

kill -TERM "$RPID"
wait_for 20 eval '! kill -0 '"$RPID"' 2>/dev/null' || fail "reliabd did not stop"
wait "$RPID" || fail "reliabd exited $?"
