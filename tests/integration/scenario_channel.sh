#!/bin/bash
# The worker under reliabd, with tests/tools/scenario_chan playing
# reliabd's end of the channel: ready event, list, start-scenario (close
# matches for unknown names, bad arguments, busy), status, stop (no toxic
# left within 1 s, run journaled aborted), events, the node-restart request
# to reliabd, a bad line, and exit when reliabd goes away.
source "$top_srcdir/tests/integration/scenario_lib.sh"
CHAN=$top_builddir/tests/tools/scenario_chan
[ -x "$CHAN" ] || fail "tests/tools/scenario_chan is not built"
lab_start

mkfifo "$T/in"
exec 7<>"$T/in"
# Not through `bg`: a background command's stdin would be /dev/null. fd 7
# stays ours alone, so closing it is what the worker sees as EOF. Reaped
# by common.sh's cleanup like every bg process.
"$CHAN" "$SCEN" "${SCEN_OPTS[@]}" --node=memcache1 <"$T/in" >"$T/chan.log" 2>&1 7>&- &
CPID=$!
BG_PIDS+=("$CPID")
OUT=$T/chan.log
send() { printf '%s\n' "$1" >&7; }
# reply ID: the worker's reply to request ID (waits for it).
reply() {
	wait_for 5 grep -q "^{\"id\":$1," "$OUT" || fail "no reply to request $1"
	grep "^{\"id\":$1," "$OUT" | head -n 1
}

wait_for 5 grep -q '"event":"ready"' "$OUT" || fail "no ready event"
grep '"event":"ready"' "$OUT" | jq -e --arg a "127.0.0.1:$SM" '.metrics == $a' >/dev/null ||
	fail "ready event: $(grep ready "$OUT")"

send '{"id":1,"cmd":"list"}'
reply 1 | jq -e '.ok and (.result.scenarios | length) >= 20 and (.result.scenarios[] | select(.name == "latency-1s") | .phases.testing == 60000 and .phases.stabilization == 30000 and .source == "builtin" and (.description | length) > 0)' >/dev/null ||
	fail "list: $(reply 1 | cut -c1-300)"
send '{"id":11,"cmd":"reload"}'
reply 11 | jq -e '.ok and .result.scenarios >= 20 and .result.errors == 0' >/dev/null || fail "reload: $(reply 11)"
pass "ready event, list, reload"

send '{"id":2,"cmd":"start-scenario","args":{"names":["latncy-1s"]}}'
reply 2 | jq -e '.ok == false and .error.code == "unknown-scenario" and (.error.message | contains("latency-1s"))' >/dev/null ||
	fail "unknown name: $(reply 2)"
send '{"id":3,"cmd":"start-scenario","args":{"names":["latency-1s"],"loop":0}}'
reply 3 | jq -e '.error.code == "bad-arguments"' >/dev/null || fail "loop 0: $(reply 3)"
send '{"id":4,"cmd":"start-scenario","args":{"names":["latency-1s"],"testing":"-1s"}}'
reply 4 | jq -e '.error.code == "bad-arguments"' >/dev/null || fail "testing -1s: $(reply 4)"
send 'this is not json'
wait_for 5 grep -q '"code":"bad-request"' "$OUT" || fail "no error for a bad line"
pass "unknown names (close matches), bad arguments, bad lines"

send '{"id":5,"cmd":"start-scenario","args":{"names":["latency-1s"],"stabilization":"300ms","testing":"30s","recovery":"1s"}}'
run=$(reply 5 | jq -r '.result.run')
[ -n "$run" ] && [ "$run" != null ] || fail "start: $(reply 5)"
send '{"id":6,"cmd":"start-scenario","args":{"names":["loss-5"]}}'
reply 6 | jq -e '.error.code == "busy"' >/dev/null || fail "second start: $(reply 6)"
wait_for 5 has_toxic memcache1 || fail "fault not applied"
send '{"id":7,"cmd":"status"}'
reply 7 | jq -e '.result.scenario == "latency-1s" and .result.phase == "testing" and .result.loop == 1 and .result.duration_ms == 30000 and .result.phase_ends > .result.phase_started and .result.ops_rate > 0' >/dev/null ||
	fail "status: $(reply 7)"
pass "start-scenario, busy, status in testing"

t0=$EPOCHREALTIME
send '{"id":8,"cmd":"stop"}'
wait_for 1 no_toxics || fail "toxic still there 1 s after stop"
t1=$EPOCHREALTIME
reply 8 | jq -e '.result.stopped == true' >/dev/null || fail "stop: $(reply 8)"
tail -n 1 "$T/state/journal.jsonl" | jq -e '.status == "aborted" and .scenario == "latency-1s"' >/dev/null ||
	fail "journal after stop: $(tail -n 1 "$T/state/journal.jsonl")"
grep '"event":"run"' "$OUT" | tail -n 1 | jq -e '.status == "aborted"' >/dev/null || fail "no run event"
grep '"event":"done"' "$OUT" | tail -n 1 | jq -e --arg r "$run" '.status == "aborted" and .run == $r and .runs == 1' >/dev/null ||
	fail "no done event: $(grep '"event":"done"' "$OUT")"
grep '"event":"fault"' "$OUT" | jq -r '.action' | tr '\n' ' ' | grep -q "apply remove" || fail "fault events"
grep '"event":"phase"' "$OUT" | jq -r '.phase' | tr '\n' ' ' | grep -q "stabilization testing idle" ||
	fail "phase events: $(grep '"event":"phase"' "$OUT" | jq -r .phase | tr '\n' ' ')"
send '{"id":9,"cmd":"status"}'
reply 9 | jq -e '.result.state == "idle" and .result.last_run.status == "aborted"' >/dev/null || fail "status after stop: $(reply 9)"
pass "stop: no toxic after $(echo "$t1 - $t0" | bc -l | cut -c1-5) s, run aborted, events sent"

# node-restart asks reliabd (us) to restart the node.
send '{"id":10,"cmd":"start-scenario","args":{"names":["node-restart"],"stabilization":"200ms","testing":"800ms","recovery":"200ms"}}'
reply 10 | jq -e '.ok' >/dev/null || fail "node-restart start: $(reply 10)"
wait_for 5 grep -q '"cmd":"node-restart"' "$OUT" || fail "no node-restart request"
req=$(grep '"cmd":"node-restart"' "$OUT" | head -n 1)
jq -e '.args.name == "memcache1" and .args.down_ms == 800 and (.id | type) == "number"' <<<"$req" >/dev/null ||
	fail "node-restart request: $req"
send "{\"id\":$(jq .id <<<"$req"),\"ok\":true,\"result\":{}}"
wait_for 5 grep -q 'request .* done' "$T/chan.log" || true
wait_for 5 bash -c "[ \$(grep -c '\"event\":\"run\"' '$OUT') -ge 2 ]" || fail "node-restart run did not end"
pass "node-restart request sent to reliabd"

# reliabd goes away: the worker exits cleanly.
exec 7>&-
wait "$CPID" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "worker exit $rc when the channel closed"
no_toxics || fail "toxics left"
pass "worker exits when reliabd goes away"
