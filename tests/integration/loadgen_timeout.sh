#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 11, point 5: a server that accepts and never answers (mc_rogue in
# mode silent, after a spell of answering properly). Each operation on it
# fails as `timeout` within --op-timeout + 20 ms, and the get p99 of the
# other servers stays what it was (within 1.5x, or +2 ms). The op timeout
# is 230 ms so that + 20 ms is a bucket bound of the latency histogram
# (0.25 s); the bucket below (0.1 s) bounds an early timeout. Open loop,
# breakers off: every call to m3 is made and timed.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl memcached

start_two_and_rogue
# About 500 calls/s to m3, each held 230 ms: some 120 workers busy there.
# A modest rate: the test's own load must not be what delays the timers.
start_loadgen --rate=1500 --workers=512 --keys=1000 --workload=mixed \
	--op-timeout=230ms --breaker-consecutive-failures=0 --breaker-failure-ratio=0
wait_for 10 above memcache_operations_rate 100 || fail "no load"
sleep 1
# 5 s windows: some 1750 gets a server, so a p99 is the 18th slowest and
# one scheduling stall of this 2-vCPU machine does not make it (with 3 s
# windows, 2 fresh-clone suites in 19 failed by 0.03 and 0.9 ms over).
WINDOW=5
snap b0
sleep $WINDOW
snap b1
[ "$(errors b0 b1 m3)" = 0 ] || fail "baseline: errors on m3 while it answered: $(errors_now)"

set_mode silent
sleep 0.5 # calls begun before the switch have ended
snap s0
sleep $WINDOW
snap s1
n=$(completed s0 s1 m3)
to=$(errors s0 s1 m3 timeout)
inb=0
for op in get set delete; do
	inb=$(awk -v a="$inb" -v b="$(count_in s0 s1 $op m3 0.1 0.25)" 'BEGIN { print a + b }')
done
echo "silent m3: $n calls ended, $to as timeouts, $inb of them in (100 ms, 250 ms]"
fcmp "$n" '>=' 500 || fail "only $n calls to m3 ended in $WINDOW s"
# Nothing but timeouts on m3. The counters and the histogram are read in
# one scrape, not one instant: a call or two ending while it was written
# may show in one and not yet in the other (SKEW).
SKEW=3
o=$(awk -v a="$(errors s0 s1 m3)" -v b="$to" 'BEGIN { print a - b }')
[ "$o" = 0 ] || fail "$o errors on m3 other than timeouts: $(errors_now)"
d=$(awk -v a="$n" -v b="$to" 'BEGIN { d = a - b; print (d < 0 ? -d : d) }')
[ "$d" -le $SKEW ] || fail "$n calls to m3 ended, $to as timeouts"
[ $((n - inb)) -le $SKEW ] || fail "$((n - inb)) of $n timeouts on m3 outside (100 ms, 250 ms]: not within --op-timeout + 20 ms; gets on m3 by bucket: $(for le in 0.1 0.25 0.5 1 2.5 +Inf; do printf '%s:%s ' "$le" "$(delta s0 s1 "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"m3\",le=\"$le\"}")"; done)"
pass "every call to the silent m3 failed as a timeout within 250 ms"
for s in m1 m2; do
	p0=$(quantile b0 b1 0.99 get $s)
	p1=$(quantile s0 s1 0.99 get $s)
	within_p99 "$p0" "$p1" ||
		fail "get p99 on $s $(ms "$p1") ms while m3 is silent, $(ms "$p0") ms before"
	e=$(errors s0 s1 $s)
	[ "$e" = 0 ] || fail "$e errors on $s"
	pass "get p99 on $s $(ms "$p1") ms while m3 is silent ($(ms "$p0") ms before)"
done
stop_loadgen
