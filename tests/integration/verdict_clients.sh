#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 14, verdicts per client: two clients through the same built-in
# proxy meet one shortened partition. Client a has a breaker (it opens,
# its errors are circuit_open); client b has none and no metrics port of
# its own (port 0: the worker learns its real port from reliabd), so its
# errors are timeouts at about its op timeout. The journal holds each
# client's figures, checks and verdict; the run fails because b did;
# with --compare the same run succeeds (it completed) and the clients'
# verdicts stay as they were. `show` prints them side by side.
source "$top_srcdir/tests/integration/verdict_lib.sh"

{
	verdict_lab_conf
	cat <<CONF
[loadgen a]
metrics = 127.0.0.1:$PL
workers = 16
rate = 500
op_timeout = 200ms
breaker_open_timeout = 500ms

[loadgen b]
workers = 4
rate = 200
op_timeout = 1s
breaker_consecutive_failures = 0
breaker_failure_ratio = 0
CONF
} >"$T/reliabd.conf"

b_metrics() { ctl --json status | jq -r '.clients[] | select(.name=="b") | .metrics'; }
clients_up() {
	for c in proxy scenario memcache1 memcache2 memcache3 loadgen:a loadgen:b; do
		child_running "$c" || return 1
	done
	curl -fsS "http://$(b_metrics)/metrics" | grep -q '^memcache_operations_total'
}
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 clients_up || fail "the lab did not come up: $(ctl status 2>&1)"
BM=$(b_metrics)
case $BM in *:0|"") fail "b has no live metrics port: $BM" ;; esac
sleep 1
wait_for 10 loadgen_clean "127.0.0.1:$PL" || fail "client a keeps failing"
wait_for 10 loadgen_clean "$BM" || fail "client b keeps failing"
# b's real port reached the worker when b came up, before any run (a
# playlist started at boot runs on without a start-scenario).
learned() { grep -q "client b: metrics at $BM\$" "$T/reliabd.log"; }
wait_for 5 learned || fail "the worker was not told b's port: $(grep 'client b' "$T/reliabd.log")"
pass "the scenario worker learned b's live metrics port ($BM) when b came up"

# run STAB TEST REC [--compare]: a shortened partition, its record
# printed.
run() {
	RUN_LINE=$(($(journal_lines) + 1))
	ctl --json start-scenario partition --stabilization "$1" --testing "$2" \
		--recovery "$3" "${@:4}" >"$T/start.json" || fail "start-scenario: $(cat "$T/start.json")"
	wait_record
}
plain=$(run 2s 3s 4s)
# Compared, only the outcome is looked at: shorter.
compared=$(run 1s 2s 1s --compare)
ctl show "$(jq -r .id <<<"$plain")" >"$T/show.txt" || fail "show failed"
ctl --json show "$(jq -r .id <<<"$plain")" >"$T/show.json" || fail "show --json failed"
lab_stop

echo "  record: $(wc -c <<<"$plain") bytes (two clients, three servers)"
cl() { jq -c ".clients[] | select(.name == \"$2\") | $3" <<<"$1"; }
for r in "$plain"; do
	echo "  $(jq -c '{status, reason, compare, clients: [.clients[] | {name, status,
		errors: .phases.testing.errors, p99: .phases.testing.servers.memcache1.p99_ms}]}' <<<"$r")"
	[ "$(jq -r '[.clients[].name] | join(" ")' <<<"$r")" = "a b" ] ||
		fail "clients: $(jq -c '[.clients[].name]' <<<"$r")"
	# Each client has its own figures and a complete hypothesis table.
	for c in a b; do
		jq -c ".clients[] | select(.name == \"$c\")" <<<"$r" | checks_complete ||
			fail "$c: a check lacks a figure: $(cl "$r" "$c" .checks)"
	done
	# What each client met, from its metrics: a's breaker failed its
	# calls fast, b's calls waited for its 1 s op timeout.
	[ "$(cl "$r" a '(.phases.testing.errors.circuit_open // 0) > 0')" = true ] ||
		fail "a: no circuit_open errors: $(cl "$r" a .phases.testing.errors)"
	[ "$(cl "$r" b '(.phases.testing.errors.timeout // 0) > 0')" = true ] ||
		fail "b: no timeout errors: $(cl "$r" b .phases.testing.errors)"
	[ "$(cl "$r" b '.phases.testing.errors.circuit_open // 0')" = 0 ] ||
		fail "b (no breaker) has circuit_open errors"
	[ "$(cl "$r" b '.phases.testing.servers.memcache1.p99_ms >= 900')" = true ] ||
		fail "b: memcache1 p99 under its op timeout: $(cl "$r" b .phases.testing.servers.memcache1)"
	[ "$(jq '(.clients[0].phases.testing.servers.memcache1.p99_ms) <
		(.clients[1].phases.testing.servers.memcache1.p99_ms)' <<<"$r")" = true ] ||
		fail "a's memcache1 p99 is not below b's"
	# Each client is judged apart: a passed, b's breaker never opened.
	[ "$(cl "$r" a .status)" = '"success"' ] ||
		fail "a: $(cl "$r" a '.status + ": " + .reason')"
	[ "$(cl "$r" b .status)" = '"failed"' ] || fail "b: $(cl "$r" b .status)"
	[ "$(cl "$r" b '[.checks[] | select(.check == "breaker_opens_within") | .result] | .[0]')" = '"failed"' ] ||
		fail "b: breaker_opens_within did not fail"
	# The top level is the first client's, as older readers read it.
	[ "$(jq -c '[.checks, .figures, .phases]' <<<"$r")" = "$(cl "$r" a '[.checks, .figures, .phases]')" ] ||
		fail "the top level is not client a's"
done
pass "each client has its own figures and verdict: a circuit_open and success, b timeouts and failed"

# The run's verdict combines them: b failed, so the run failed, and the
# reason names b; compared, the run completed, so it succeeded.
[ "$(jq -r '.status + " " + (.compare | tostring)' <<<"$plain")" = "failed false" ] ||
	fail "plain run: $(jq -c '{status, compare}' <<<"$plain")"
jq -e '.reason | startswith("b: ")' <<<"$plain" >/dev/null || fail "plain reason: $(jq .reason <<<"$plain")"
echo "  $(jq -c '{status, reason, compare, clients: [.clients[] | {name, status}]}' <<<"$compared")"
[ "$(jq -r '.status + " " + (.compare | tostring)' <<<"$compared")" = "success true" ] ||
	fail "compared run: $(jq -c '{status, reason, compare}' <<<"$compared")"
[ "$(cl "$compared" b .status)" = '"failed"' ] || fail "compared: b: $(cl "$compared" b .status)"
[ "$(jq -r .reason <<<"$compared")" = "compared: a $(cl "$compared" a .status | tr -d '"'), b failed" ] ||
	fail "compared reason: $(jq .reason <<<"$compared")"
pass "the run fails when a client fails; --compare: success, the verdicts informative"

# show: the clients side by side, and the record as is with --json.
sed 's/^/    /' "$T/show.txt"
grep -q '^clients side by side$' "$T/show.txt" || fail "show: $(cat "$T/show.txt")"
grep -Eq '^  CLIENT +a +b *$' "$T/show.txt" || fail "show: no client columns: $(cat "$T/show.txt")"
grep -Eq '^  verdict +success +failed *$' "$T/show.txt" || fail "show: no verdicts row: $(cat "$T/show.txt")"
grep -Eq '^  testing by kind +circuit_open [0-9]+.* +timeout [0-9]+' "$T/show.txt" ||
	fail "show: no errors by kind side by side: $(grep 'by kind' "$T/show.txt")"
jq -e '.run.clients | length == 2' "$T/show.json" >/dev/null || fail "show --json: $(head -c 300 "$T/show.json")"
pass "show prints the clients side by side"
