#!/bin/bash
# The libmemcached kind (issue 14): three memcached behind reliabd-proxy,
# m1's proxy then disabled (connections refused: the node is down).
#   1. With auto-eject, a failure limit of 2 and a dead timeout longer
#      than the test: past the limit m1 gets no
#      operation at all, and its keys go to m2 and m3, whose per-server
#      operation counts rise by m1's share. No integrity error.
#   2. With auto-eject off: the errors on m1 go on, second after second.
# Every assertion reads the loadgen's /metrics, which has the resilient
# kind's names and no breaker or pool metric. (A partition, a `timeout`
# toxic or SIGSTOP, never ejects a server: connects still succeed, which
# resets libmemcached's failure count; docs/CLIENTS.md.)
source "$top_srcdir/tests/integration/proxy_lib.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"

KEYS=300
start_three_proxied
LIBMC=(--kind=libmemcached --keys=$KEYS --workers=6 --rate=1500
	--op-timeout=200ms --server-failure-limit=2 --retry-timeout=1s)

# m1's operations between two snaps: reached it, or refused without a try.
m1_ops() {
	awk -v a="$(completed "$1" "$2" m1)" -v b="$(errors "$1" "$2" m1 circuit_open)" \
		'BEGIN { print a + b }'
}
# m2 and m3's operations per second between two snaps.
others_rate() {
	awk -v a="$(completed "$1" "$2" m2)" -v b="$(completed "$1" "$2" m3)" \
		-v s="$(secs_between "$1" "$2")" 'BEGIN { printf "%.1f", (a + b) / s }'
}
m1_on() { expect 200 POST /proxies/m1 "{\"enabled\":$1}"; }
m1_quiet() { snap q0; sleep 1; snap q1; [ "$(m1_ops q0 q1)" = 0 ]; }

# 1. Auto-eject.
# A dead timeout longer than the test: with 0, libmemcached puts an
# ejected server back on the ring after the retry timeout, and every call
# for its keys then fails at once (docs/CLIENTS.md).
start_loadgen "${LIBMC[@]}" --remove-failed-servers=yes --dead-timeout=30s
wait_for 10 above memcache_operations_rate 500 || fail "no load"
scrape "$T/names.prom"
! grep -q '^memcache_circuit_breaker\|^memcache_pool_' "$T/names.prom" ||
	fail "breaker or pool metrics exported by the libmemcached kind"
for s in m1 m2 m3; do
	grep -q "^memcache_operation_duration_seconds_count{op=\"get\",server=\"$s\"}" "$T/names.prom" ||
		fail "no per-server histogram for $s"
done
snap b0; sleep 1; snap b1
base_m1=$(m1_ops b0 b1)
base_others=$(others_rate b0 b1)
fcmp "$base_m1" '>' 100 || fail "m1 got $base_m1 operations before the fault"
echo "before: m1 $base_m1 operations in $(secs_between b0 b1) s, m2+m3 $base_others/s"

m1_on false
t0=$(date +%s%3N)
snap f0
# At most 8 one-second windows (wait_for would poll 80 times).
quiet=no
for _ in $(seq 8); do
	if m1_quiet; then quiet=yes; break; fi
done
[ $quiet = yes ] || fail "m1 still gets operations 8 s after it went down: $(errors_now)"
echo "m1 ejected by every worker within $(($(date +%s%3N) - t0)) ms"
snap f1
fails=$(errors f0 f1 m1)
fcmp "$fails" '>=' 2 || fail "m1 was ejected after $fails failures (limit 2)"
snap e0; sleep 1.5; snap e1
n=$(m1_ops e0 e1)
[ "$n" = 0 ] || fail "m1 got $n operations after its ejection"
after_others=$(others_rate e0 e1)
# m1's keys (a third of them) now go to m2 and m3: their rate rises to
# about 1.5 times; at least 1.25 times.
fcmp "$after_others" '>=' "$(awk -v b="$base_others" 'BEGIN { print b * 1.25 }')" ||
	fail "m2+m3 $after_others/s after the ejection, $base_others/s before: m1's keys did not move"
pass "auto-eject: $fails failures on m1, then none in $(secs_between e0 e1) s; m2+m3 from $base_others/s to $after_others/s"
scrape "$T/end1.prom"
for k in corrupt stale; do
	[ "$(val "$T/end1.prom" "memcache_data_integrity_errors_total{kind=\"$k\"}")" = 0 ] ||
		fail "$k values with auto-eject"
done
stop_loadgen
m1_on true

# 2. No auto-eject: the failures on m1 go on.
start_loadgen "${LIBMC[@]}"
wait_for 10 above memcache_operations_rate 500 || fail "no load (2)"
m1_on false
sleep 2
snap n0; sleep 1; snap n1; sleep 1; snap n2
for w in "n0 n1" "n1 n2"; do
	read -r a b <<<"$w"
	n=$(errors "$a" "$b" m1)
	fcmp "$n" '>' 0 || fail "no error on m1 between $a and $b without auto-eject"
	echo "without auto-eject, $a..$b: m1 errors $n ($(errors "$a" "$b" m1 circuit_open) refused without a try)"
done
others=$(others_rate n0 n2)
fcmp "$others" '<' "$(awk -v b="$base_others" 'BEGIN { print b * 1.25 }')" ||
	fail "m2+m3 at $others/s without auto-eject (before: $base_others/s): keys moved"
pass "no auto-eject: m1's errors go on, its keys stay (m2+m3 $others/s)"
stop_loadgen
