# Sourced by the verdict_*.sh tests (issue 12): a whole lab under reliabd
# (three managed memcached, the built-in proxy, one loadgen, the scenario
# worker) with the loadgen configured well (open loop, breakers on) or
# badly (closed loop, few workers, long op timeout, breakers off), and
# runs judged through the journal.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
for p in reliabd reliabctl reliabd-proxy reliabd-loadgen reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built"
done
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM <<<"$(free_ports 11)"
SOCK=$T/ctl.sock
J=$T/state/journal.jsonl
mkdir -p "$T/scenarios.d"

# verdict_lab_conf: the lab's reliabd.conf but its clients: three nodes
# through the built-in proxy, and the scenario worker.
verdict_lab_conf() {
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$N1" "$S1"
	conf_node memcache2 "$N2" "$S2"
	conf_node memcache3 "$N3" "$S3"
	cat <<CONF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $T/scenarios.d
catalogue_dir = $top_srcdir/etc/scenarios

CONF
}

# verdict_conf good|bad
verdict_conf() {
	{
	verdict_lab_conf
	printf '[loadgen]\nmetrics = 127.0.0.1:%s\n' "$PL"
	if [ "$1" = good ]; then
		# Independent callers at a steady rate; a breaker per server.
		printf 'workers = 16\nrate = 1000\nop_timeout = 200ms\n'
		printf 'breaker_open_timeout = 500ms\n'
	else
		# Four callers that each wait for the slow server, no breaker.
		printf 'workers = 4\nop_timeout = 2s\n'
		printf 'breaker_consecutive_failures = 0\n'
		printf 'breaker_failure_ratio = 0\n'
	fi
	} >"$T/reliabd.conf"
}

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_running() {
	[ "$(ctl --json status | jq -r ".children[] | select(.name==\"$1\") | .state")" = running ]
}
lab_up() {
	for c in proxy loadgen scenario memcache1 memcache2 memcache3; do
		child_running "$c" || return 1
	done
	curl -fsS "http://127.0.0.1:$PL/metrics" | grep -q '^memcache_operations_total'
}

# lab_start good|bad: reliabd with that loadgen, up and warm.
lab_start() {
	verdict_conf "$1"
	bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
	RPID=$BG_PID
	wait_for 20 lab_up || fail "the lab did not come up: $(ctl status 2>&1)"
	# The loadgen warms its pools: a baseline starts once it serves
	# without errors.
	sleep 1
	wait_for 10 loadgen_clean "127.0.0.1:$PL" || fail "the loadgen keeps failing: $(curl -fsS "http://127.0.0.1:$PL/metrics" | grep '^memcache_error_rate')"
}

lab_stop() {
	kill -TERM "$RPID"
	wait "$RPID" || true
}

journal_lines() { if [ -f "$J" ]; then wc -l <"$J"; else echo 0; fi; }
journal_has() { [ "$(journal_lines)" -ge "$1" ]; }

# start_scenario NAME STAB TEST REC: starts it (the reply in
# $T/start-NAME.json); wait_record prints its record once journaled.
start_scenario() {
	RUN_LINE=$(($(journal_lines) + 1))
	ctl --json start-scenario "$1" --stabilization "$2" --testing "$3" \
		--recovery "$4" >"$T/start-$1.json" ||
		fail "start-scenario $1: $(cat "$T/start-$1.json")"
}
wait_record() {
	wait_for 40 journal_has "$RUN_LINE" || fail "no record in the journal"
	sed -n "${RUN_LINE}p" "$J"
}
run_scenario() {
	start_scenario "$@"
	wait_record
}

# Each check is complete: expected always, measured unless not judged,
# and a reason unless passed.
checks_complete() {
	jq -e '(.checks | length) > 0 and all(.checks[];
		(.expected | type) == "number" and
		(.result != "passed" or (.measured | type) == "number") and
		(.result == "passed") == (.why == "") and
		(.unit == "ratio" or .unit == "ms" or .unit == "s"))' >/dev/null
}
