#!/bin/bash
# Issue 11, point 4: a rogue server. m3 is mc_rogue, which answers
# properly, then in turn sends a value for another key, another key's
# value under the right key, a corrupted value, a value cut short, a reply
# cut off mid-value, an absurd length, and garbage. Each is counted as a
# `corrupt` value or a `server` error (never as a timeout or a connection
# failure: the server did answer), the connection it came on is replaced,
# the loadgen keeps running, and m1 and m2 go on untouched. Breakers are
# off so every call to m3 meets the rogue.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl memcached

start_two_and_rogue
start_loadgen --rate=2000 --workers=256 --keys=1000 --workload=mixed \
	--op-timeout=500ms --breaker-consecutive-failures=0 --breaker-failure-ratio=0
wait_for 10 above memcache_operations_rate 100 || fail "no load"
sleep 2 # the rogue's store fills with the loadgen's values; the pool grows

created() { delta "$1" "$2" 'memcache_pool_created_total{server="m3"}'; }
# closed A B: m3's connections closed between snaps: those made less the
# pool's growth (a pool grows on demand, which replaces nothing).
closed() {
	awk -v c="$(created "$1" "$2")" -v t="$(delta "$1" "$2" 'memcache_pool_connections{server="m3",state="total"}')" 'BEGIN { print c - t }'
}
corrupt() { delta "$1" "$2" 'memcache_data_integrity_errors_total{kind="corrupt"}'; }
bad() { awk -v a="$(corrupt "$1" "$2")" -v b="$(errors "$1" "$2" m3 server)" 'BEGIN { print a + b }'; }
# others_ok A B WHAT: m1 and m2 worked, without an error, between snaps.
others_ok() {
	local s n e
	for s in m1 m2; do
		n=$(completed "$1" "$2" $s)
		e=$(errors "$1" "$2" $s)
		fcmp "$n" '>' 0 || fail "$3: no operation on $s"
		[ "$e" = 0 ] || fail "$3: $e errors on $s"
	done
}

# The good server: nothing counted, no connection replaced.
snap g0
sleep 1
snap g1
[ "$(bad g0 g1)" = 0 ] || fail "good: $(bad g0 g1) errors counted against a correct server"
[ "$(errors g0 g1 m3)" = 0 ] || fail "good: $(errors g0 g1 m3) errors on m3"
[ "$(closed g0 g1)" = 0 ] || fail "good: $(closed g0 g1) connections to a correct server closed in 1 s"
fcmp "$(completed g0 g1 m3)" '>' 0 || fail "good: no operation on m3"
pass "good: m3 answers, nothing counted, no connection replaced"

# enough A B: at least 5 bad replies counted and a connection replaced
# (one closed, one made).
# One awk for the three, as this is polled.
enough() {
	snap "$2"
	awk '
		FNR == 1 { f++ }
		/^memcache_data_integrity_errors_total\{kind="corrupt"\} / ||
		/^memcache_operation_errors_total\{.*server="m3".*kind="server"/ { bad[f] += $2 }
		/^memcache_pool_created_total\{server="m3"\} / { made[f] += $2 }
		/^memcache_pool_connections\{server="m3",state="total"\} / { tot[f] += $2 }
		END {
			m = made[2] - made[1]; closed = m - (tot[2] - tot[1])
			exit !(bad[2] - bad[1] >= 5 && closed >= 1 && m >= 1)
		}' "$T/$1.prom" "$T/$2.prom"
}
for mode in wrongkey swapped corrupt short truncated absurd garbage; do
	set_mode $mode
	snap "$mode-0"
	wait_for 4 enough "$mode-0" "$mode-1" ||
		fail "$mode: $(bad "$mode-0" "$mode-1") corrupt or server errors, $(closed "$mode-0" "$mode-1") connections closed and $(created "$mode-0" "$mode-1") made, in 4 s; m3 errors: $(errors_now)"
	kill -0 "$LG_PID" 2>/dev/null || fail "$mode: the loadgen died"
	t=$(errors "$mode-0" "$mode-1" m3 timeout)
	c=$(errors "$mode-0" "$mode-1" m3 connection)
	[ "$t" = 0 ] && [ "$c" = 0 ] ||
		fail "$mode: counted as $t timeouts and $c connection failures, not as corrupt or server"
	others_ok "$mode-0" "$mode-1" "$mode"
	pass "$mode: $(corrupt "$mode-0" "$mode-1") corrupt, $(errors "$mode-0" "$mode-1" m3 server) server errors, $(created "$mode-0" "$mode-1") connections replaced; m1 and m2 untouched"
done

# Good again: m3 works again on fresh connections.
set_mode good
sleep 0.5
snap e0
sleep 1
snap e1
[ "$(errors e0 e1 m3)" = 0 ] || fail "good again: $(errors e0 e1 m3) errors on m3"
fcmp "$(completed e0 e1 m3)" '>' 0 || fail "good again: no operation on m3"
pass "good again: m3 answered without an error"
stop_loadgen
