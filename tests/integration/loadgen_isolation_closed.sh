#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 11, point 2: isolation in the closed loop, m1's memcached
# SIGSTOPped (three memcached through the built-in proxy).
# A. Breakers on: within 2 s of m1's breaker opening, the client's total
#    throughput (every operation, as a scenario's verdict counts it) is
#    back to at least 0.8 of its baseline.
# B. Every breaker off: a worker that meets m1 stays stuck there, as an
#    application thread would, while the others carry on with m2 and m3;
#    their operations stop only once every worker is stuck on m1. m2 and
#    m3 answer after 50 ms (a latency toxic), so that stage lasts long
#    enough to be seen: each worker does about (1 - share1) / share1 more
#    operations on them before it draws an m1 key.
source "$top_srcdir/tests/integration/proxy_lib.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"

KEYS=1000
start_three_proxied

state1() { lgval 'memcache_circuit_breaker_state{server="m1"}'; }
m1_open() { [ "$(state1)" = 2 ]; }
# sleep_until NS: sleeps until that wall-clock time (ns).
sleep_until() {
	local d
	d=$(awk -v t="$1" -v n="$(now_ns)" 'BEGIN { d = (t - n) / 1e9; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$d"
}

# A. Breakers on (the defaults: 5 failures in a row, 500 ms op timeout).
start_loadgen --workers=16 --keys=$KEYS --workload=mixed
wait_for 10 above memcache_operations_rate 100 || fail "no load"
sleep 1
snap a0
sleep 2
snap a1
base=$(awk -v n="$(all_ops a0 a1)" -v s="$(secs_between a0 a1)" 'BEGIN { printf "%.0f", n / s }')
echo "A: baseline $base ops/s"
kill -STOP "${MC_PIDS[1]}"
t_stop=$(now_ns)
wait_for 5 m1_open || fail "A: m1's breaker did not open within 5 s"
t_open=$(now_ns)
echo "A: m1's breaker open $(( (t_open - t_stop) / 1000000 )) ms after the stop"
sleep_until $((t_open + 1000000000))
snap w0
sleep_until $((t_open + 2000000000))
snap w1
kill -CONT "${MC_PIDS[1]}"
secs=$(secs_between w0 w1)
got=$(awk -v n="$(all_ops w0 w1)" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
okr=$(awk -v n="$(sum_delta w0 w1 '^memcache_operations_total\{.*status="success"')" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
echo "A: 1-2 s after the breaker opened: $got ops/s ($okr ops/s succeeded)"
fcmp "$got" '>=' "$(awk -v b="$base" 'BEGIN { print 0.8 * b }')" ||
	fail "A: $got ops/s 1-2 s after m1's breaker opened, under 0.8 of the baseline $base"
pass "A: throughput back to $(awk -v g="$got" -v b="$base" 'BEGIN { printf "%.2f", g / b }') of the baseline within 2 s of the breaker opening"
stop_loadgen
rm -f "$T/loadgen.log"

# B. Breakers off; m2 and m3 slow (50 ms); m1's calls time out only after
# 10 s, longer than this part watches (SIGCONT frees them at once).
W=64
for s in m2 m3; do
	expect 200 POST /proxies/$s/toxics '{"type":"latency","attributes":{"latency":50,"jitter":0}}'
done
start_loadgen --workers=$W --connections=$W --keys=$KEYS --workload=mixed \
	--op-timeout=10s --breaker-consecutive-failures=0 --breaker-failure-ratio=0
wait_for 10 above memcache_operations_rate 100 || fail "no load"
sleep 1
ok23() { awk -v a="$(completed "$1" "$2" m2)" -v b="$(completed "$1" "$2" m3)" 'BEGIN { print a + b }'; }
snap n0
kill -STOP "${MC_PIDS[1]}"
t_stop=$(now_ns)
# Poll until m2+m3 stop completing operations (two snaps alike), at most
# 5 s: still well before m1's calls time out.
prev=n0 stuck=
for i in $(seq 20); do
	sleep 0.25
	snap "p$i"
	if [ "$(ok23 "$prev" "p$i")" = 0 ]; then stuck=$prev; break; fi
	prev=p$i
done
[ -n "$stuck" ] || fail "B: m2 and m3 never stopped: not every worker got stuck on m1"
carried=$(ok23 n0 "$stuck")
want=$(awk -v w=$W -v p="$s1" 'BEGIN { printf "%.0f", w * (1 - p) / p }')
echo "B: after the stop, $carried operations on m2+m3 (about $want expected of independent workers), then none"
fcmp "$carried" '>=' "$(awk -v w="$want" 'BEGIN { print w / 2 }')" ||
	fail "B: only $carried operations on m2+m3 after m1 stopped; independent workers do about $want"
# Stuck: nothing more on m2+m3, and every worker holds an m1 connection.
snap z0
sleep 0.7
snap z1
n=$(ok23 z0 z1)
[ "$n" = 0 ] || fail "B: $n operations on m2+m3 while every worker should be stuck"
active=$(val "$T/z1.prom" 'memcache_pool_connections{server="m1",state="active"}')
[ "$active" = "$W" ] || fail "B: $active connections busy on m1, not all $W workers"
(( $(now_ns) - t_stop < 9500000000 )) || fail "B: the checks ran past m1's op timeout"
pass "B: m2 and m3 carried on ($carried operations) until all $W workers were stuck on m1"
# m1 back: everyone goes on.
kill -CONT "${MC_PIDS[1]}"
snap r0
moving() { snap r1; [ "$(ok23 r0 r1)" != 0 ]; }
wait_for 3 moving || fail "B: m2 and m3 did not resume after SIGCONT"
pass "B: operations resumed once m1 answered"
stop_loadgen
