#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# One memcached of three stops: first SIGSTOP (connections hang: timeouts),
# then SIGKILL (connections refused). Each time its breaker opens within
# 2 s while operations on the other two keep succeeding; once the server
# is back, the breaker closes and the error rate is 0 again within the
# breaker's open time plus 2 s. No data-integrity error throughout.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
need curl

OPEN_MS=1000
start_three
# Open loop at a steady rate: a closed loop would take every spare cycle
# of a 2-core machine, and this script's own polls would then measure the
# CPU queue rather than the breaker.
start_loadgen --workers=12 --workload=mixed --keys=3000 --op-timeout=200ms \
	--rate=3000 \
	--breaker-consecutive-failures=3 --breaker-open-timeout=${OPEN_MS}ms \
	--breaker-half-open-probes=2 --breaker-interval=5s
wait_for 10 above memcache_operations_rate 100 || fail "no load"

state() { lgval "memcache_circuit_breaker_state{server=\"m2\"}"; }
ok_total() {
	local f="$T/ok.prom" s=0 op v
	curl -fsS --max-time 5 -o "$f" "$LG_URL" || { echo 0; return; }
	for op in get set delete; do
		v=$(val "$f" "memcache_operations_total{op=\"$op\",status=\"success\"}")
		s=$(awk -v a="$s" -v b="${v:-0}" 'BEGIN { print a + b }')
	done
	echo "$s"
}
# Errors on m1 and m3 (every op, every kind): must stay 0.
others_errors() {
	local f="$T/err.prom"
	curl -fsS --max-time 5 -o "$f" "$LG_URL" || { echo x; return; }
	awk '/^memcache_operation_errors_total\{/ && !/server="m2"/ { s += $2 } END { print s + 0 }' "$f"
}
now_ms() { date +%s%3N; }
# elapsed_until LIMIT_S CMD...: polls CMD; prints the ms it took or fails.
elapsed_until() {
	local limit=$1 t0; shift
	t0=$(now_ms)
	wait_for "$limit" "$@" || return 1
	echo $(($(now_ms) - t0))
}
is_open() { [ "$(state)" = 2 ]; }
# m2_errors KIND: m2's errors of that kind, summed over get, set, delete
# (which op meets the fault first is the schedule's choice).
m2_errors() {
	local f="$T/m2.prom"
	curl -fsS --max-time 5 -o "$f" "$LG_URL" || { echo 0; return; }
	awk -v k="kind=\"$1\"" '/^memcache_operation_errors_total\{/ &&
		/server="m2"/ && index($0, k) { s += $2 } END { print s + 0 }' "$f"
}
# One scrape for both readings.
recovered() {
	local f="$T/rec.prom"
	curl -fsS --max-time 5 -o "$f" "$LG_URL" 2>/dev/null &&
		[ "$(val "$f" 'memcache_circuit_breaker_state{server="m2"}')" = 0 ] &&
		[ "$(val "$f" memcache_error_rate)" = 0 ]
}

check_fault() {
	local how=$1 kind=$2 t ok0 ok1 n v

	# The breaker must open within 2 s of the fault (polled to 3 s so a
	# late open is measured, not just missed).
	t=$(elapsed_until 3 is_open) || fail "$how: m2 breaker did not open"
	[ "$t" -le 2000 ] || fail "$how: m2 breaker opened after $t ms (> 2000)"
	echo "$how: breaker open after $t ms"

	# The others keep succeeding while m2 is down.
	ok0=$(ok_total)
	sleep 1
	ok1=$(ok_total)
	n=$(awk -v a="$ok1" -v b="$ok0" 'BEGIN { print a - b }')
	fcmp "$n" '>' 200 || fail "$how: only $n successes in 1 s on m1/m3"
	echo "$how: $n successes in 1 s while m2 is down"
	[ "$(others_errors)" = 0 ] || fail "$how: errors on m1/m3: $(others_errors)"
	v=$(m2_errors "$kind")
	fcmp "${v:-0}" '>' 0 || fail "$how: no $kind errors counted for m2: $(errors_now)"
	v=$(m2_errors circuit_open)
	fcmp "${v:-0}" '>' 0 || fail "$how: open breaker did not fail fast: $(errors_now)"
}

# errors_now: every non-zero error counter, for a failure message.
errors_now() {
	curl -fsS --max-time 5 "$LG_URL" | awk '/^memcache_operation_errors_total\{/ && $2 > 0' | tr '\n' ' '
}
check_recovery() {
	local how=$1 t limit=$((OPEN_MS + 2000))
	t=$(elapsed_until 6 recovered) || fail "$how: no recovery (state $(state), error rate $(lgval memcache_error_rate)): $(errors_now)"
	[ "$t" -le "$limit" ] || fail "$how: recovered after $t ms (> $limit): $(errors_now)"
	echo "$how: closed, error rate 0 after $t ms"
}

closed_before() { [ "$(state)" = 0 ] || fail "m2 breaker not closed before the $1"; }

# 1. SIGSTOP: connections hang, calls time out.
closed_before SIGSTOP
kill -STOP "${MC_PIDS[2]}"
check_fault SIGSTOP timeout
kill -CONT "${MC_PIDS[2]}"
check_recovery SIGCONT
pass "SIGSTOP: breaker opened and closed"

# 2. SIGKILL: connections refused. Then a fresh memcached on that port.
closed_before SIGKILL
kill -KILL "${MC_PIDS[2]}"
check_fault SIGKILL connection
start_memcached "${MC_PORTS[1]}"
check_recovery restart
pass "SIGKILL: breaker opened and closed"

scrape "$T/end.txt"
n=$(val "$T/end.txt" 'memcache_circuit_breaker_transitions_total{server="m2",from="closed",to="open"}')
fcmp "$n" '>=' 2 || fail "closed->open counted $n times"
n=$(val "$T/end.txt" 'memcache_circuit_breaker_transitions_total{server="m2",from="half_open",to="closed"}')
fcmp "$n" '>=' 2 || fail "half_open->closed counted $n times"
for s in m1 m3; do
	n=$(val "$T/end.txt" "memcache_circuit_breaker_transitions_total{server=\"$s\",from=\"closed\",to=\"open\"}")
	[ "$n" = 0 ] || fail "$s breaker opened"
done
[ "$(val "$T/end.txt" 'memcache_data_integrity_errors_total{kind="corrupt"}')" = 0 ] || fail "corrupt values"
[ "$(val "$T/end.txt" 'memcache_data_integrity_errors_total{kind="stale"}')" = 0 ] || fail "stale values"
stop_loadgen
pass "no data-integrity error"
