#!/bin/bash
# Issue 14, point 3: external clients. The example client in Python
# (examples/pymemcache_client.py, pymemcache from Debian) runs twice
# through the same built-in proxy: once supervised by reliabd from its
# command line ([loadgen py], kind = external), once started by hand and
# known to reliabd only by its URL ([loadgen far]). A shortened latency-1s
# judges both from their own /metrics: they have no breaker, so its check
# is not judged ("reports no breaker state"), and the rest is judged from
# what each one measured. reliabd lists both, gives Prometheus both
# targets, stops and starts the one it runs, and refuses to stop the
# other; `reliabctl check-client` says what each exports before the run.
source "$top_srcdir/tests/integration/verdict_lib.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import pymemcache' 2>/dev/null ||
	fail "Debian's python3-pymemcache is not installed (scripts/deps test)"
EX=$top_srcdir/examples/pymemcache_client.py
read -r PY1 PY2 <<<"$(free_ports 2)"
SERVERS="memcache1=127.0.0.1:$S1,memcache2=127.0.0.1:$S2,memcache3=127.0.0.1:$S3"

{
	verdict_lab_conf
	cat <<CONF
[loadgen py]
kind    = external
metrics = 127.0.0.1:$PY1
command = $PY $EX --servers={servers} --metrics={metrics} --workers=4 --op-timeout=0.5 --interval=0.004

[loadgen far]
kind = external
url  = http://127.0.0.1:$PY2/metrics
CONF
} >"$T/reliabd.conf"

# The one known by its URL alone, as a client on another host would be.
bg far $PY "$EX" --servers="$SERVERS" --metrics="127.0.0.1:$PY2" \
	--workers=4 --op-timeout=0.5 --interval=0.004
FAR=$BG_PID

up() {
	for c in proxy scenario memcache1 memcache2 memcache3 loadgen:py loadgen:far; do
		child_running "$c" || return 1
	done
	curl -fsS "http://127.0.0.1:$PY1/metrics" | grep -q '^memcache_operations_total'
}
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 up || fail "the lab did not come up: $(ctl status 2>&1)"
sleep 1
wait_for 10 loadgen_clean "127.0.0.1:$PY1" || fail "py keeps failing: $(tail -n 5 "$T/reliabd.log")"
wait_for 10 loadgen_clean "127.0.0.1:$PY2" || fail "far keeps failing: $(tail -n 5 "$T/far.log")"

# status lists both, with how reliabd knows them; file_sd has both.
st=$(ctl --json status | jq -c '[.clients[] | {name, external, metrics, state}]')
echo "  status: $st"
[ "$st" = "[{\"name\":\"py\",\"external\":\"command\",\"metrics\":\"127.0.0.1:$PY1\",\"state\":\"running\"},{\"name\":\"far\",\"external\":\"url\",\"metrics\":\"http://127.0.0.1:$PY2/metrics\",\"state\":\"running\"}]" ] ||
	fail "status: $st"
sd=$(jq -c '[.[] | select(.labels.client) | {t: .targets[0], c: .labels.client}]' "$T/state/targets.json")
[ "$sd" = "[{\"t\":\"127.0.0.1:$PY1\",\"c\":\"py\"},{\"t\":\"127.0.0.1:$PY2\",\"c\":\"far\"}]" ] ||
	fail "file_sd: $sd"
pass "status and file_sd list the supervised client and the scraped one"

# check-client, before any run: both are clients, and without a breaker
# that check cannot be judged.
for u in "127.0.0.1:$PY1" "http://127.0.0.1:$PY2/metrics"; do
	ctl check-client "$u" >"$T/check.txt" || fail "check-client $u: exit $?: $(cat "$T/check.txt")"
	echo "    $(head -n 1 "$T/check.txt")"
	grep -q ': a memcache client: .*, 8 of 9 checks can be judged$' "$T/check.txt" ||
		fail "check-client $u: $(head -n 1 "$T/check.txt")"
	grep -Eq '^memcache_operation_duration_seconds +histogram +[0-9]+ +memcache1,memcache2,memcache3' "$T/check.txt" ||
		fail "check-client $u: no histogram per server"
	grep -Eq '^breaker_opens_within +not judged: needs memcache_circuit_breaker_state' "$T/check.txt" ||
		fail "check-client $u: breaker check"
done
pass "check-client: both are clients, 8 of 9 checks judged, not the breaker's"

RUN_LINE=$(($(journal_lines) + 1))
ctl --json start-scenario latency-1s --stabilization 2s --testing 3s \
	--recovery 3s >"$T/start.json" || fail "start-scenario: $(cat "$T/start.json")"
r=$(wait_record)
echo "  $(jq -c '{status, reason, clients: [.clients[] | {name, status,
	testing: .phases.testing.errors, p99: .phases.testing.servers.memcache1.p99_ms}]}' <<<"$r")"
[ "$(jq -r '[.clients[].name] | join(" ")' <<<"$r")" = "py far" ] ||
	fail "clients: $(jq -c '[.clients[].name]' <<<"$r")"
cl() { jq -c ".clients[] | select(.name == \"$1\") | $2" <<<"$r"; }
chk() { cl "$1" "[.checks[] | select(.check == \"$2\")][0]"; }
for c in py far; do
	cl "$c" . | checks_complete || fail "$c: a check lacks a figure: $(cl "$c" .checks)"
	# No breaker: that check cannot be judged, and says why.
	[ "$(chk $c breaker_opens_within | jq -r '.result + ": " + .why')" = \
		"not_judged: the client reports no breaker state for memcache1" ] ||
		fail "$c: breaker_opens_within: $(chk $c breaker_opens_within)"
	# The rest is judged from the client's own figures: a clean
	# baseline, and the 1 s latency met as timeouts at its 0.5 s op
	# timeout on memcache1, nowhere else.
	[ "$(chk $c baseline_error_rate_max | jq -r .result)" = passed ] ||
		fail "$c: baseline: $(chk $c baseline_error_rate_max)"
	[ "$(cl $c '(.phases.testing.errors.timeout // 0) > 0')" = true ] ||
		fail "$c: no timeouts in testing: $(cl $c .phases.testing.errors)"
	[ "$(cl $c '.phases.testing.servers.memcache1.p99_ms >= 450')" = true ] ||
		fail "$c: memcache1 p99 under its op timeout: $(cl $c .phases.testing.servers.memcache1)"
	[ "$(chk $c throughput_min_ratio | jq -r '.result | . == "passed" or . == "failed"')" = true ] ||
		fail "$c: throughput not judged: $(chk $c throughput_min_ratio)"
done
pass "both external clients judged from their own metrics; the breaker check not judged, with the reason"

# reliabd runs py: it stops and starts it. far is not reliabd's to stop.
ctl load stop py >/dev/null || fail "load stop py"
gone() { ! curl -fsS "http://127.0.0.1:$PY1/metrics" >/dev/null 2>&1; }
wait_for 10 gone || fail "py still serves after load stop"
ctl load start py >/dev/null || fail "load start py"
wait_for 10 curl -fsS "http://127.0.0.1:$PY1/metrics" -o /dev/null || fail "py did not come back"
out=$(ctl load stop far 2>&1) && fail "load stop far succeeded: $out"
grep -q 'only scraped' <<<"$out" || fail "load stop far: $out"
kill -0 "$FAR" || fail "far died"
pass "load stop/start runs py's command again; far is refused: $out"
lab_stop
kill -TERM "$FAR"
wait "$FAR" || fail "far exited $?"
pass "the example client stops cleanly on SIGTERM"
