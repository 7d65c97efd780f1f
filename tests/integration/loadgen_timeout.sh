#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 11, point 5: a server that accepts and never answers (mc_rogue in
# mode silent, after a spell of answering properly). Each operation on it
# fails as `timeout` within --op-timeout + 20 ms, and the get p99 of the
# other servers stays what it was (within 1.5x, or +2 ms). The op timeout
# is 230 ms so that + 20 ms is a bucket bound of the latency histogram
# (0.25 s); the bucket below (0.1 s) bounds an early timeout. Open loop,
# breakers off: every call to m3 is made and timed.
#
# "What it was" is a control measured in the same window: a second
# loadgen doing the same work on the same m1 and m2, whose own m3 (a
# second mc_rogue) keeps answering. m3's silence costs the whole machine
# (a reconnect and a timeout per call), and on 2 vCPUs that alone once
# took m1's p99 from 0.49 to 4.70 ms in a fresh-clone suite; the control
# pays that too. What it does not see is its own process's coupling: a
# call to m1 waiting behind m3's timeouts or reconnects in the loadgen.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl memcached

# The control's m3 first: ROGUE_PID is then the one set_mode switches.
read -r CTL_ROGUE_PORT <<<"$(free_ports 1)"
ROGUE_NAME=rogue_ctl start_rogue "$CTL_ROGUE_PORT" good
start_two_and_rogue
# About 500 calls/s to m3, each held 230 ms: some 120 workers busy there.
# A modest rate: the test's own load must not be what delays the timers.
LG_ARGS=(--rate=1500 --workers=512 --keys=1000 --workload=mixed
	--op-timeout=230ms --breaker-consecutive-failures=0 --breaker-failure-ratio=0)
# Same server names, so the same keys go to each.
MAIN_SERVERS=("${SERVER_ARGS[@]}")
SERVER_ARGS=("${MAIN_SERVERS[@]:0:2}" "--server=m3=127.0.0.1:$CTL_ROGUE_PORT")
LG_NAME=control start_loadgen "${LG_ARGS[@]}"
CTL_PID=$LG_PID CTL_URL=$LG_URL
SERVER_ARGS=("${MAIN_SERVERS[@]}")
start_loadgen "${LG_ARGS[@]}"
wait_for 10 above memcache_operations_rate 100 || fail "no load"
sleep 1
# 5 s windows: some 1750 gets a server, so a p99 is the 18th slowest and
# one scheduling stall of this 2-vCPU machine does not make it (with 3 s
# windows, 2 fresh-clone suites in 19 failed by 0.03 and 0.9 ms over).
WINDOW=5
# both() NAME: a snap of the loadgen (NAME) and of the control (cNAME).
both() { snap "$1"; LG_URL=$CTL_URL snap "c$1"; }
both b0
sleep $WINDOW
both b1
[ "$(errors b0 b1 m3)" = 0 ] || fail "baseline: errors on m3 while it answered: $(errors_now)"

set_mode silent
sleep 0.5 # calls begun before the switch have ended
both s0
sleep $WINDOW
both s1
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
	c0=$(quantile cb0 cb1 0.99 get $s)
	c1=$(quantile cs0 cs1 0.99 get $s)
	echo "get p99 on $s: $(ms "$p0") ms, then $(ms "$p1") ms while m3 is silent; control $(ms "$c0") ms, then $(ms "$c1") ms"
	within_p99 "$c1" "$p1" ||
		fail "get p99 on $s $(ms "$p1") ms while m3 is silent, the control's $(ms "$c1") ms"
	e=$(errors s0 s1 $s)
	[ "$e" = 0 ] || fail "$e errors on $s"
	pass "get p99 on $s $(ms "$p1") ms while m3 is silent (the control's $(ms "$c1") ms)"
done
[ "$(errors cs0 cs1 m3)" = 0 ] || fail "the control's m3 failed calls"
stop_loadgen
LG_PID=$CTL_PID stop_loadgen
