#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 11, point 7: no busy loop. With every server down (connections
# refused; closed loop; every breaker open) the loadgen uses no more CPU,
# read from /proc, than a healthy run with the same workers: a failed call
# costs its worker the fallback time (an application going to its
# database), not a spin.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl memcached

W=16
# cpu_over SECS: the loadgen's CPU over SECS, in % of one core.
cpu_over() {
	local c0 c1 t0 t1 hz
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "$LG_PID") t0=$(now_ns)
	sleep "$1"
	c1=$(cpu_ticks "$LG_PID") t1=$(now_ns)
	awk -v c=$((c1 - c0)) -v hz="$hz" -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", 100 * c / hz / (t / 1e9) }'
}

# Healthy.
start_three
start_loadgen --workers=$W --keys=10000 --workload=mixed
wait_for 10 above memcache_operations_rate 100 || fail "healthy: no load"
sleep 1
healthy=$(cpu_over 3)
rate=$(lgval memcache_operations_rate)
stop_loadgen
rm -f "$T/loadgen.log"

# Every server down: ports nothing listens on.
read -r -a dead <<<"$(free_ports 3)"
SERVER_ARGS=(--server=m1=127.0.0.1:${dead[0]} --server=m2=127.0.0.1:${dead[1]} --server=m3=127.0.0.1:${dead[2]})
start_loadgen --workers=$W --keys=10000 --workload=mixed
all_open() {
	local f="$T/open.prom" s
	scrape "$f"
	for s in m1 m2 m3; do
		[ "$(val "$f" "memcache_circuit_breaker_state{server=\"$s\"}")" = 2 ] || return 1
	done
}
wait_for 5 all_open || fail "down: the breakers did not all open"
down=$(cpu_over 3)
drate=$(lgval memcache_operations_rate)
stop_loadgen
echo "CPU: healthy $healthy % of a core ($rate ops/s), every server down $down % ($drate ops/s)"
fcmp "$down" '<=' "$healthy" || fail "every server down: $down % of a core, healthy: $healthy %"
pass "every server down: $down % of a core, no more than healthy ($healthy %)"
