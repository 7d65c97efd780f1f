#!/bin/bash
# reliabd-loadgen against three real memcached: /metrics carries every
# loadgen metric of DESIGN.md with its labels and passes promtool; the
# success counts agree with the servers' own stats within 0.5 %; no
# failures, no integrity errors; SIGTERM exits 0.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
need curl promtool

start_three
# An open loop: a closed one burnt a core beside the suite's other tests.
start_loadgen --workers=8 --rate=2000 --workload=mixed --keys=2000 --value-size=60-300
wait_for 10 above 'memcache_operations_total{op="delete",status="success"}' 50 ||
	fail "no deletes done"
sleep 1
scrape "$T/metrics.txt"

if ! promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
	[ -s "$T/promtool.log" ]; then
	cat "$T/promtool.log" >&2
	fail "promtool check metrics found problems"
fi

# Every family of the DESIGN table, with its type.
while read -r name type; do
	grep -q "^# TYPE $name $type\$" "$T/metrics.txt" || fail "no $type $name"
done <<'LIST'
memcache_operations_total counter
memcache_operations_rate gauge
memcache_error_rate gauge
memcache_circuit_breaker_state gauge
memcache_circuit_breaker_transitions_total counter
memcache_circuit_breaker_requests gauge
memcache_circuit_breaker_failures gauge
memcache_pool_connections gauge
memcache_pool_created_total counter
memcache_pool_acquire_errors_total counter
memcache_operation_duration_seconds histogram
memcache_operation_errors_total counter
memcache_data_integrity_errors_total counter
process_cpu_seconds_total counter
process_resident_memory_bytes gauge
process_open_fds gauge
process_start_time_seconds gauge
LIST

# And the series with their labels, for every server.
has() { grep -qF -- "$1" "$T/metrics.txt" || fail "missing series: $1"; }
for op in get set delete; do
	for st in success failed; do has "memcache_operations_total{op=\"$op\",status=\"$st\"} "; done
done
for s in m1 m2 m3; do
	has "memcache_circuit_breaker_state{server=\"$s\"} 0"
	has "memcache_circuit_breaker_transitions_total{server=\"$s\",from=\"closed\",to=\"open\"} 0"
	has "memcache_circuit_breaker_transitions_total{server=\"$s\",from=\"open\",to=\"half_open\"} 0"
	has "memcache_circuit_breaker_transitions_total{server=\"$s\",from=\"half_open\",to=\"closed\"} 0"
	has "memcache_circuit_breaker_transitions_total{server=\"$s\",from=\"half_open\",to=\"open\"} 0"
	has "memcache_circuit_breaker_requests{server=\"$s\"} "
	has "memcache_circuit_breaker_failures{server=\"$s\",type=\"total\"} 0"
	has "memcache_circuit_breaker_failures{server=\"$s\",type=\"consecutive\"} 0"
	for st in total active idle; do has "memcache_pool_connections{server=\"$s\",state=\"$st\"} "; done
	has "memcache_pool_created_total{server=\"$s\"} "
	has "memcache_pool_acquire_errors_total{server=\"$s\"} 0"
	for op in get set delete; do
		has "memcache_operation_duration_seconds_bucket{op=\"$op\",server=\"$s\",le=\"5e-05\"} "
		has "memcache_operation_duration_seconds_bucket{op=\"$op\",server=\"$s\",le=\"120\"} "
		has "memcache_operation_duration_seconds_bucket{op=\"$op\",server=\"$s\",le=\"+Inf\"} "
		has "memcache_operation_duration_seconds_count{op=\"$op\",server=\"$s\"} "
		for k in timeout connection server circuit_open pool; do
			has "memcache_operation_errors_total{op=\"$op\",server=\"$s\",kind=\"$k\"} 0"
		done
	done
	created=$(val "$T/metrics.txt" "memcache_pool_created_total{server=\"$s\"}")
	fcmp "$created" '>=' 1 || fail "$s: pool made no connection"
	fcmp "$created" '<=' 8 || fail "$s: pool made $created connections for 8 workers"
done
has 'memcache_data_integrity_errors_total{kind="corrupt"} 0'
has 'memcache_data_integrity_errors_total{kind="stale"} 0'
rate=$(val "$T/metrics.txt" memcache_operations_rate)
fcmp "$rate" '>' 100 || fail "memcache_operations_rate is $rate"
[ "$(val "$T/metrics.txt" memcache_error_rate)" = 0 ] || fail "error rate not 0"
pass "every loadgen metric present, promtool clean"

# Cross-check with the servers: stop the load first, so both sides count
# the same operations.
stop_loadgen
grep -q 'done: ' "$T/loadgen.log" || fail "no final counts"
get=$(done_field get); set=$(done_field set); del=$(done_field delete)
[ "$(done_field failed)" = 0 ] || fail "failed operations: $(done_field failed)"
[ "$(done_field corrupt)" = 0 ] || fail "corrupt values"
[ "$(done_field stale)" = 0 ] || fail "stale values"
sget=0; sset=0; sdel=0
for p in "${MC_PORTS[@]}"; do
	sget=$((sget + $(mc_stat "$p" cmd_get)))
	sset=$((sset + $(mc_stat "$p" cmd_set)))
	sdel=$((sdel + $(mc_stat "$p" delete_hits) + $(mc_stat "$p" delete_misses)))
done
check_close() {
	local what=$1 ours=${2%/*} theirs=$3
	fcmp "$ours" '>' 100 || fail "$what: only $ours operations"
	awk -v a="$ours" -v b="$theirs" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.005 * b) }' ||
		fail "$what: loadgen counted $ours, servers $theirs (> 0.5 % apart)"
	echo "$what: loadgen $ours, servers $theirs"
}
check_close get "$get" "$sget"
check_close set "$set" "$sset"
check_close delete "$del" "$sdel"
pass "success counts agree with memcached stats"
