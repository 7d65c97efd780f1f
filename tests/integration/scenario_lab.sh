#!/bin/bash
# The whole lab under reliabd, driven by reliabctl: shortened latency and
# loss scenarios end to end with their verdicts in `runs` and `show`;
# kill -9 of the scenario worker during testing (restarted, no toxic left
# within 2 s); `stop` during testing (no toxic left within 1 s, run
# aborted); kill -9 of reliabd during testing with an external proxy
# (starting reliabd again removes the toxics before anything else).
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
for p in reliabd reliabctl reliabd-proxy reliabd-loadgen reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built"
done
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM <<<"$(free_ports 11)"
SOCK=$T/ctl.sock

write_conf() { # $1: builtin or external
	{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$N1" "$S1"
	conf_node memcache2 "$N2" "$S2"
	conf_node memcache3 "$N3" "$S3"
	cat <<EOF
[proxy]
mode    = $1
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics              = 127.0.0.1:$PL
# Enough callers for m1's hung calls (600/s x 1/3 x 500 ms = 100) to
# leave the others free: the verdict judges throughput now, and 6
# callers made a client that collapses under latency-1s. The op timeout
# is 500 ms: this test shares the machine, and beside a test under
# valgrind a 200 ms one timed out calls before any fault (a baseline
# error rate of 10 to 38 %).
workers              = 256
rate                 = 600
op_timeout           = 500ms
breaker_open_timeout = 500ms

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $T/scenarios.d
catalogue_dir = $top_srcdir/etc/scenarios
EOF
	} >"$T/reliabd.conf"
}

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_field() { ctl --json status | jq -r ".children[] | select(.name==\"$1\") | .$2"; }
child_running() { [ "$(child_field "$1" state)" = running ]; }
toxic_count() { curl -fsS --max-time 2 "http://127.0.0.1:$PA/proxies/$1/toxics" | jq length; }
has_toxic() { [ "$(toxic_count memcache1)" -gt 0 ]; }
no_toxic() { [ "$(toxic_count memcache1)" = 0 ]; }
scenario_ready() { child_running scenario && curl -fsS "http://127.0.0.1:$PSC/metrics" >/dev/null; }
all_up() {
	for c in proxy loadgen scenario memcache1 memcache2 memcache3; do
		child_running "$c" || return 1
	done
	curl -fsS "http://127.0.0.1:$PL/metrics" | grep -q '^memcache_operations_total'
}

write_conf builtin
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 all_up || fail "the lab did not come up: $(ctl status 2>&1)"
sleep 1 # the loadgen warms its pools
wait_for 10 loadgen_clean "127.0.0.1:$PL" || fail "the loadgen keeps failing"
pass "lab up under reliabd"

# 1. Shortened latency and loss runs, verdicts from reliabctl.
for s in latency-1s loss-100; do
	ctl start-scenario "$s" --stabilization 2s --testing 3s --recovery 5s \
		--wait >"$T/wait-$s.txt" 2>&1 && rc=0 || rc=$?
	[ "$rc" = 0 ] || fail "$s --wait exit $rc: $(cat "$T/wait-$s.txt")"
done
ctl --json runs --last 2 >"$T/runs.json"
jq -e '[.runs[] | .status] == ["success", "success"] and ([.runs[] | .scenario] | sort) == ["latency-1s", "loss-100"]' \
	"$T/runs.json" >/dev/null || fail "runs: $(jq -c '[.runs[] | {scenario, status, reason}]' "$T/runs.json")"
id=$(jq -r '.runs[0].id' "$T/runs.json")
ctl --json show "$id" >"$T/show.json" || fail "show $id"
jq -e '.run | .figures.time_to_open_s.memcache1 > 0 and .figures.time_to_recover_s != null and .phases.testing.error_rate > 0' \
	"$T/show.json" >/dev/null || fail "show: $(cat "$T/show.json")"
pass "latency-1s and loss-100 succeeded; runs and show have the figures"

# 2. kill -9 of the worker during testing: restarted, toxic gone in 2 s.
ctl start-scenario latency-1s --stabilization 300ms --testing 60s >/dev/null
wait_for 10 has_toxic || fail "fault not applied"
spid=$(child_field scenario pid)
kill -KILL "$spid"
t0=$EPOCHREALTIME
wait_for 2 no_toxic || fail "a toxic left 2 s after kill -9 of the worker"
t1=$EPOCHREALTIME
wait_for 20 scenario_ready || fail "the worker was not restarted"
[ "$(child_field scenario pid)" != "$spid" ] || fail "same pid"
pass "kill -9 of the worker: no toxic after $(echo "$t1 - $t0" | bc -l | cut -c1-5) s, worker restarted"

# 3. stop during testing: toxic gone within 1 s, run aborted.
ctl start-scenario latency-1s --stabilization 300ms --testing 60s >/dev/null
wait_for 10 has_toxic || fail "fault not applied"
t0=$EPOCHREALTIME
ctl stop >/dev/null || fail "stop failed"
wait_for 1 no_toxic || fail "a toxic left 1 s after stop"
t1=$EPOCHREALTIME
ctl --json runs --last 1 | jq -e '.runs[0].status == "aborted"' >/dev/null || fail "not aborted"
pass "stop: no toxic after $(echo "$t1 - $t0" | bc -l | cut -c1-5) s, run aborted"

# 4. An external proxy (not reliabd's child), kill -9 of reliabd in
# testing: starting reliabd again removes the toxics before anything else.
kill -TERM "$RPID"
wait_for 20 eval '! kill -0 '"$RPID"' 2>/dev/null' || fail "reliabd did not stop"
wait "$RPID" 2>/dev/null || true
write_conf external
bg proxy "$B/reliabd-proxy" --api="127.0.0.1:$PA" --metrics=127.0.0.1:0 \
	--proxy="memcache1=127.0.0.1:$S1,127.0.0.1:$N1" \
	--proxy="memcache2=127.0.0.1:$S2,127.0.0.1:$N2" \
	--proxy="memcache3=127.0.0.1:$S3,127.0.0.1:$N3"
wait_for 10 curl -fsS "http://127.0.0.1:$PA/version" || fail "external proxy"
bg reliabd2 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 scenario_ready || fail "reliabd with an external proxy"
ctl start-scenario latency-1s --stabilization 300ms --testing 60s >/dev/null
wait_for 10 has_toxic || fail "fault not applied"
kill -KILL "$RPID"
wait "$RPID" 2>/dev/null || true
# Its children go with it; whether the worker had time to clean up or
# not, the ledger is what the next start trusts.
bg reliabd3 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 10 ctl status >/dev/null || fail "reliabd did not come back"
no_toxic || fail "a toxic left once reliabd answers again"
jq -e '.faults | length == 0' "$T/state/ledger.json" >/dev/null || fail "ledger not empty"
pass "kill -9 of reliabd with an external proxy: clean when it answers again"
