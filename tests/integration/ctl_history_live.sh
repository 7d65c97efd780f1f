#!/bin/bash
# Issue 12, point 4, on the real lab: ten looped shortened runs of one
# scenario give `runs --scenario` its history; then the client is made
# to regress (its breaker opens only after 400 failures in a row, not 5,
# through a reload), and the next run's time to open is flagged above
# the history while the ten before it were not.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM <<<"$(free_ports 11)"
SOCK=$T/ctl.sock
write_conf() {
	{
		conf_daemon "$SOCK" "$PM"
		conf_node memcache1 "$N1" "$S1"
		conf_node memcache2 "$N2" "$S2"
		conf_node memcache3 "$N3" "$S3"
		cat <<CONF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics                      = 127.0.0.1:$PL
workers                      = 256
rate                         = 1500
op_timeout                   = 200ms
breaker_open_timeout         = 500ms
breaker_consecutive_failures = $1

[scenario]
metrics       = 127.0.0.1:$PSC
catalogue_dir = $top_srcdir/etc/scenarios
CONF
	} >"$T/reliabd.conf"
}
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child() { ctl --json status | jq -r --arg n "$1" ".children[] | select(.name == \$n) | .$2"; }
all_up() {
	for c in proxy loadgen scenario memcache1 memcache2 memcache3; do
		[ "$(child "$c" state)" = running ] || return 1
	done
	curl -fsS "http://127.0.0.1:$PL/metrics" | grep -q '^memcache_operations_total'
}
nruns() { ctl --json runs --scenario latency-1s --last 50 | jq '.runs | length'; }
runs_at_least() { [ "$(nruns)" -ge "$1" ]; }
PHASES=(--stabilization 1s --testing 2s --recovery 2s)

write_conf 5
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
wait_for 20 all_up || fail "the lab did not come up: $(ctl status 2>&1)"
sleep 1 # the loadgen warms its pools

# 1. Ten looped runs: a history, and its latest run inside it.
ctl start-scenario latency-1s --loop 10 "${PHASES[@]}" >/dev/null ||
	fail "start-scenario --loop 10"
wait_for 120 runs_at_least 10 || fail "10 looped runs did not end: $(nruns) did"
wait_for 10 eval '[ "$(ctl --json status | jq -r .run)" = null ]' || true
ctl runs --scenario latency-1s >"$T/hist10.txt" || fail "runs --scenario"
cat "$T/hist10.txt"
grep -q '^history of latency-1s: the 9 runs before the latest' "$T/hist10.txt" ||
	fail "no history over the 10 runs"
grep -E '^  time to open +9 ' "$T/hist10.txt" >/dev/null || fail "no time to open in the history"
! grep -q 'outside the history' "$T/hist10.txt" || fail "a normal run was flagged"
pass "10 looped runs: a history, the latest inside it"

# 2. The client regresses: its breaker waits for 400 failures in a row.
old=$(child loadgen pid)
write_conf 400
ctl reload >/dev/null || fail "reload"
new_loadgen() { [ "$(child loadgen pid)" != "$old" ] && all_up; }
wait_for 20 new_loadgen || fail "the loadgen did not restart with its new options"
sleep 1
ctl start-scenario latency-1s "${PHASES[@]}" --wait >"$T/wait.txt" 2>&1 || true
wait_for 20 runs_at_least 11 || fail "the 11th run did not end"
ctl runs --scenario latency-1s >"$T/hist11.txt" || fail "runs --scenario"
cat "$T/hist11.txt"
grep -q '^history of latency-1s: the 10 runs before the latest' "$T/hist11.txt" ||
	fail "no history over the 11 runs"
grep -E '^  time to open +10 .* ABOVE the history$' "$T/hist11.txt" >/dev/null ||
	fail "the regressed run's time to open is not flagged"
grep -qE '^latest run .*: [0-9] figures? outside the history: a regression\?$' "$T/hist11.txt" ||
	fail "no regression line"
pass "the regressed client's run is flagged above the history"
