#!/bin/bash
# The libmemcached kind (issue 14): two libmemcached clients side by side
# through the same reliabd-proxy in front of three memcached, both with a
# failure limit of 2; then m1's proxy is disabled (connections refused:
# the node is down), and both meet that at the same moment.
#   A, with auto-eject (and a dead timeout longer than the test): past
#      the limit m1 gets no operation at all, and its keys go to m2 and
#      m3, whose per-server operation counts rise by m1's share: they
#      complete every operation, against two thirds before. No
#      integrity error.
#   B, without: the errors on m1 go on, second after second, and its keys
#      stay where they were.
# Every assertion reads the clients' /metrics, which have the resilient
# kind's names and no breaker or pool metric. (A partition, a `timeout`
# toxic or SIGSTOP, never ejects a server: connects still succeed, which
# resets libmemcached's failure count; docs/CLIENTS.md.)
source "$top_srcdir/tests/integration/proxy_lib.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"

KEYS=300
start_three_proxied
LIBMC=(--kind=libmemcached --keys=$KEYS --workers=6 --rate=1000
	--op-timeout=200ms --server-failure-limit=2 --retry-timeout=1s)

# start_client NAME ARGS...: a loadgen whose log is $T/NAME.log; sets
# URL_NAME and PID_NAME.
start_client() {
	local name=$1
	shift
	bg "$name" "$LOADGEN" "${SERVER_ARGS[@]}" --metrics=127.0.0.1:0 "$@"
	printf -v "PID_$name" %s "$BG_PID"
	wait_for 10 grep -q 'serving /metrics on' "$T/$name.log" ||
		fail "client $name did not start serving /metrics"
	printf -v "URL_$name" 'http://%s/metrics' "$(sed -n 's/.*serving \/metrics on \([^ ]*\).*/\1/p' "$T/$name.log" | head -n 1)"
}
# A dead timeout longer than the test: with 0, libmemcached puts an
# ejected server back on the ring after the retry timeout, and every call
# for its keys then fails at once (docs/CLIENTS.md).
start_client A "${LIBMC[@]}" --remove-failed-servers=yes --dead-timeout=30s
start_client B "${LIBMC[@]}"
# snap2 NAME: a snap of each client, A_NAME and B_NAME.
snap2() { LG_URL=$URL_A snap "A_$1"; LG_URL=$URL_B snap "B_$1"; }

# m1's operations between two snaps: reached it, or refused without a try.
m1_ops() {
	awk -v a="$(completed "$1" "$2" m1)" -v b="$(errors "$1" "$2" m1 circuit_open)" \
		'BEGIN { print a + b }'
}
# m2 and m3's share of the client's operations between two snaps: a
# share, not a rate, so that an open loop catching up a backlog (a loaded
# machine, a sanitizer) reads the same.
others_share() {
	awk -v a="$(completed "$1" "$2" m2)" -v b="$(completed "$1" "$2" m3)" \
		-v t="$(all_ops "$1" "$2")" 'BEGIN { printf "%.3f", (t > 0 ? (a + b) / t : 0) }'
}

for c in A B; do
	LG_URL=$(eval echo "\$URL_$c")
	wait_for 10 above memcache_operations_rate 300 || fail "no load on $c"
	scrape "$T/names-$c.prom"
	! grep -q '^memcache_circuit_breaker\|^memcache_pool_' "$T/names-$c.prom" ||
		fail "breaker or pool metrics exported by the libmemcached kind ($c)"
	for s in m1 m2 m3; do
		grep -q "^memcache_operation_duration_seconds_count{op=\"get\",server=\"$s\"}" "$T/names-$c.prom" ||
			fail "no per-server histogram for $s ($c)"
	done
done
snap2 b0; sleep 1; snap2 b1
for c in A B; do
	n=$(m1_ops "${c}_b0" "${c}_b1")
	fcmp "$n" '>' 50 || fail "$c: m1 got $n operations before the fault"
done
baseA=$(others_share A_b0 A_b1)
baseB=$(others_share B_b0 B_b1)
echo "before: m2+m3's share of the operations: A $baseA, B $baseB"
# m1 holds about a third of the keys.
for v in "$baseA" "$baseB"; do
	fcmp "$v" '<' 0.85 || fail "m2+m3 had $v of the operations before the fault"
done

expect 200 POST /proxies/m1 '{"enabled":false}'
t0=$(date +%s%3N)
snap2 f0
# A: at most 8 one-second windows until m1 gets nothing (wait_for would
# poll 80 times).
quiet=no
for _ in $(seq 8); do
	snap2 q0; sleep 1; snap2 q1
	if [ "$(m1_ops A_q0 A_q1)" = 0 ]; then quiet=yes; break; fi
done
[ $quiet = yes ] || fail "A: m1 still gets operations 8 s after it went down"
echo "A: m1 ejected by every worker within $(($(date +%s%3N) - t0)) ms"
fails=$(errors A_f0 A_q0 m1)
fcmp "$fails" '>=' 2 || fail "A: m1 was ejected after $fails failures (limit 2)"
sleep 1; snap2 e1
n=$(m1_ops A_q0 A_e1)
[ "$n" = 0 ] || fail "A: m1 got $n operations after its ejection"
afterA=$(others_share A_q0 A_e1)
# m1's keys now go to m2 and m3, and succeed there: every operation.
fcmp "$afterA" '>=' 0.99 ||
	fail "A: m2+m3 completed $afterA of the operations after the ejection ($baseA before): m1's keys did not move"
pass "A, auto-eject: $fails failures on m1, then none in $(secs_between A_q0 A_e1) s; m2+m3's share from $baseA to $afterA"

# B, over the same two seconds: errors on m1 in each.
for w in "q0 q1" "q1 e1"; do
	read -r a b <<<"$w"
	n=$(errors "B_$a" "B_$b" m1)
	fcmp "$n" '>' 0 || fail "B: no error on m1 between $a and $b without auto-eject"
	echo "B, $a..$b: m1 errors $n ($(errors "B_$a" "B_$b" m1 circuit_open) refused without a try)"
done
afterB=$(others_share B_q0 B_e1)
fcmp "$afterB" '<' 0.85 ||
	fail "B: m2+m3 completed $afterB of the operations without auto-eject ($baseB before): keys moved"
pass "B, no auto-eject: m1's errors go on, its keys stay (m2+m3's share $afterB)"

# m1's errors before the cut: a client that failed on m1 then (timeouts
# on a busy machine) may have ejected it and written some of its keys to
# m2 or m3 meanwhile, so after the cut it can read back the older copy
# there: a stale value is then what auto-eject really does, and is
# reported. Without such errors, no stale value; never a corrupt one.
for c in A B; do
	LG_URL=$(eval echo "\$URL_$c")
	scrape "$T/end-$c.prom"
	pre=$(awk '/^memcache_operation_errors_total\{.*server="m1"/ { n += $2 } END { print n + 0 }' "$T/${c}_f0.prom")
	for k in corrupt stale; do
		n=$(val "$T/end-$c.prom" "memcache_data_integrity_errors_total{kind=\"$k\"}")
		[ "$n" = 0 ] && continue
		if [ $k = stale ] && [ $c = A ] && fcmp "$pre" '>' 0; then
			echo "A: $n stale values after $pre errors on m1 before the cut (keys re-mapped twice)"
			continue
		fi
		fail "$c: $n $k values ($pre errors on m1 before the cut)"
	done
	LG_PID=$(eval echo "\$PID_$c")
	stop_loadgen
done
pass "no corrupt value, no unexplained stale one; both clients stopped cleanly"
