#!/bin/bash
# Nothing a crash does may leave the lab degraded:
# - kill -9 of the worker during testing leaves the toxic, and the ledger
#   names it; `reliabd-scenario --cleanup` (what reliabd runs before
#   starting workers) removes it within 2 s; so does a plain restart of
#   the worker, before it serves anything;
# - a `down` fault (proxy disabled) is undone the same way;
# - SIGTERM during testing removes the faults and journals the run as
#   aborted;
# - a hung proxy API costs a run a few timeouts, not one per fault;
# - a ledger naming a proxy that is not running is cleared (nothing there
#   to undo).
source "$top_srcdir/tests/integration/scenario_lib.sh"
lab_start

# start_testing SCENARIO CHECK...: the worker in testing, CHECK true.
start_testing() {
	local name=$1; shift
	bg scenario "$SCEN" "${SCEN_OPTS[@]}" --run="$name" \
		--stabilization=300ms --testing=60s --recovery=1s
	SPID=$BG_PID
	wait_for 10 "$@" || fail "$name: the fault never appeared"
}
proxy_disabled() { [ "$(proxy_enabled "$1")" = false ]; }

# 1. kill -9, then --cleanup.
start_testing latency-1s has_toxic memcache1
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null || true
has_toxic memcache1 || fail "the toxic vanished by itself: the test shows nothing"
jq -e '.faults[0].server == "memcache1" and .faults[0].kind == "toxic"' \
	"$T/state/ledger.json" >/dev/null || fail "ledger: $(cat "$T/state/ledger.json")"
t0=$EPOCHREALTIME
"$SCEN" "${SCEN_OPTS[@]}" --cleanup 2>"$T/cleanup.log" || fail "--cleanup failed: $(cat "$T/cleanup.log")"
wait_for 2 no_toxics || fail "toxics left after --cleanup"
t1=$EPOCHREALTIME
ledger_empty || fail "ledger not emptied"
pass "kill -9 then --cleanup: no toxic after $(echo "$t1 - $t0" | bc -l | cut -c1-5) s"

# 2. kill -9, then the worker itself starts again (as reliabd restarts it).
start_testing latency-1s has_toxic memcache1
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null || true
has_toxic memcache1 || fail "the toxic vanished by itself"
bg scenario2 "$SCEN" "${SCEN_OPTS[@]}"
SPID=$BG_PID
wait_for 5 curl -fsS "http://127.0.0.1:$SM/metrics" || fail "restarted worker did not serve"
# Removal comes before /metrics is served.
no_toxics || fail "restarted worker serves with the toxic still on"
ledger_empty || fail "ledger not emptied by the restart"
kill -TERM "$SPID"; wait "$SPID" || fail "worker exit $? on SIGTERM"
pass "a restarted worker removes left-overs before serving"

# 3. `down`: the proxy disabled, then restored by --cleanup.
start_testing node-down proxy_disabled memcache1
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null || true
[ "$(proxy_enabled memcache1)" = false ] || fail "proxy re-enabled by itself"
"$SCEN" "${SCEN_OPTS[@]}" --cleanup 2>"$T/cleanup.log" || fail "--cleanup failed"
[ "$(proxy_enabled memcache1)" = true ] || fail "proxy still disabled"
pass "down fault undone by --cleanup"

# 4. SIGTERM during testing: faults off, run journaled aborted.
n0=$(journal_lines)
start_testing two-servers-loss-latency has_toxic memcache2
kill -TERM "$SPID"
t0=$EPOCHREALTIME
wait "$SPID" && rc=0 || rc=$?
no_toxics || fail "toxics left after SIGTERM"
t1=$EPOCHREALTIME
[ "$rc" = 1 ] || fail "--run aborted by SIGTERM: exit $rc, want 1"
[ "$(journal_lines)" = $((n0 + 1)) ] || fail "no journal entry for the aborted run"
tail -n 1 "$T/state/journal.jsonl" | jq -e '.status == "aborted" and .scenario == "two-servers-loss-latency" and (.faults | length) == 6 and all(.faults[]; .removed != null)' >/dev/null ||
	fail "aborted run journaled wrong: $(tail -n 1 "$T/state/journal.jsonl")"
ledger_empty || fail "ledger not empty after SIGTERM"
pass "SIGTERM in testing: faults removed, run aborted in the journal"

# 5. A hung proxy API: a SIGSTOPped memcached accepts connections and
# never answers. After one call times out the worker fails the others at
# once for a while, so a run of six faults costs a few timeouts, not one
# or two per fault (about 26 s), and its loop stays responsive.
read -r HUNG <<<"$(free_ports 1)"
start_memcached "$HUNG" 8
HUNG_PID=$BG_PID
kill -STOP "$HUNG_PID"
HUNG_OPTS=()
for o in "${SCEN_OPTS[@]}"; do
	case $o in --proxy-api=*) HUNG_OPTS+=(--proxy-api="127.0.0.1:$HUNG") ;; *) HUNG_OPTS+=("$o") ;; esac
done
n0=$(journal_lines)
t0=$EPOCHREALTIME
"$SCEN" "${HUNG_OPTS[@]}" --run=two-servers-loss-latency --stabilization=200ms \
	--testing=1s --recovery=200ms >"$T/hung.out" 2>"$T/hung.log" && rc=0 || rc=$?
t1=$EPOCHREALTIME
kill -CONT "$HUNG_PID"
secs=$(echo "$t1 - $t0" | bc -l | cut -c1-5)
[ "$rc" != 0 ] || fail "a run against a hung proxy API succeeded"
[ "$(journal_lines)" = $((n0 + 1)) ] || fail "no journal entry for the run against a hung API"
tail -n 1 "$T/state/journal.jsonl" | jq -e '.reason | test("Timeout|timed out|not tried")' >/dev/null ||
	fail "the run does not say the API timed out: $(tail -n 1 "$T/state/journal.jsonl")"
# The phases keep their lengths: 1 s of testing, not 1 s plus the stalls.
tail -n 1 "$T/state/journal.jsonl" | jq -e '.phases.testing.end - .phases.testing.start < 3' >/dev/null ||
	fail "testing stretched by the hung API: $(tail -n 1 "$T/state/journal.jsonl" | jq -c .phases.testing)"
awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "a hung proxy API held the run for $secs s: $(grep -c 'timed out' "$T/hung.log") timeouts"
grep -q "calls fail at once" "$T/hung.log" || fail "no word of the quiet window: $(tail -n 5 "$T/hung.log")"
# Its ledger entries (nothing was applied, nothing confirmed removed) go
# with the next cleanup against the real proxy.
"$SCEN" "${SCEN_OPTS[@]}" --cleanup 2>"$T/cleanup.log" || fail "--cleanup failed: $(cat "$T/cleanup.log")"
ledger_empty || fail "ledger not emptied after the hung-API run"
no_toxics || fail "toxics after the hung-API run"
pass "hung proxy API: the run ended in $secs s and said why"

# 6. A ledger whose proxy is not running: nothing to undo, cleared.
start_testing latency-1s has_toxic memcache1
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null || true
kill -TERM "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
"$SCEN" "${SCEN_OPTS[@]}" --cleanup 2>"$T/cleanup.log" || fail "--cleanup with no proxy failed: $(cat "$T/cleanup.log")"
ledger_empty || fail "ledger kept entries of a proxy that is not running"
grep -q "proxy not running" "$T/cleanup.log" || fail "cleanup did not say why"
pass "ledger of a stopped proxy cleared"
