#!/bin/bash
# 10 000 connections opened and closed through reliabd-proxy while toxics
# are added and removed, under valgrind (or ASan/UBSan in the sanitizer
# build) (issue 4, point 5): no error, no leak, every request answered,
# and the file-descriptor count back where it started.
source "$top_srcdir/tests/integration/proxy_lib.sh"

# valgrind cannot run an ASan binary: the sanitizer build checks itself.
# (SAN_BUILD may be empty when configure does not substitute it.)
if [ "${SAN_BUILD:-no}" = yes ] || grep -qa __asan_init "$PROXY_BIN"; then
	PROXY_WRAPPER=
	how="ASan/UBSan"
else
	need valgrind
	PROXY_WRAPPER="${BACKGROUND[*]} valgrind -q --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect"
	how=valgrind
fi
N=${PROXY_CHURN_N:-10000}
CONNS='toxiproxy_connections{proxy="mc"}'
nfds() { ls "/proc/$PROXY_PID/fd" | wc -l; }
fds_are() { [ "$(nfds)" = "$1" ]; }

read -r MC PL <<<"$(free_ports 2)"
start_memcached "$MC"
start_proxy --seed=3 --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC
"$PROBE" set "$MC" churn 100

# Warm up every lazily opened descriptor, then count.
"$CHURN" churn "$PL" 5 5 >/dev/null
curl -fsS "$METRICS" >/dev/null
expect 200 GET /proxies
wait_for 20 metric_is "$METRICS" "$CONNS" 0 ||
	fail "warm-up connections did not close: $(metric_value "$METRICS" "$CONNS")"
# The least of a few counts: the server side of the last HTTP request
# (the metrics poll's) may not be closed yet.
fds0=$(for _ in 1 2 3 4 5; do nfds; sleep 0.1; done | sort -n | head -n 1)

"$CHURN" churn "$PL" "$N" 20 >"$T/churn.out" &
churn=$!
# Toxics that slow or reshape traffic but let every request through.
toxics=('{"name":"lat","type":"latency","attributes":{"latency":1,"jitter":1}}'
	'{"name":"bw","type":"bandwidth","stream":"upstream","attributes":{"rate":10000}}'
	'{"name":"sl","type":"slicer","attributes":{"average_size":8,"size_variation":4,"delay":10}}'
	'{"name":"sc","type":"slow_close","attributes":{"delay":1}}'
	'{"name":"half","type":"latency","toxicity":0.5,"attributes":{"latency":2}}')
rounds=0
for _ in $(seq 2000); do
	kill -0 "$churn" 2>/dev/null || break
	for t in "${toxics[@]}"; do
		expect 200 POST /proxies/mc/toxics "$t"
	done
	expect 200 PATCH /proxies/mc/toxics/lat '{"attributes":{"latency":2}}'
	for n in lat bw sl sc half; do
		expect 204 DELETE "/proxies/mc/toxics/$n"
	done
	rounds=$((rounds + 1))
done
wait "$churn"
out=$(cat "$T/churn.out")
[ "$out" = "ok=$N fail=0" ] || fail "churn: $out"
[ "$rounds" -ge 3 ] || fail "only $rounds toxic rounds ran during the churn"
pass "$N connections ($out) while $rounds rounds of 5 toxics came and went"

# Toxics that cut connections, on a few hundred more.
for t in '{"name":"rp","type":"reset_peer","toxicity":0.3,"attributes":{"timeout":0}}' \
	'{"name":"ld","type":"limit_data","toxicity":0.3,"attributes":{"bytes":10}}' \
	'{"name":"to","type":"timeout","toxicity":0.3,"attributes":{"timeout":20}}'; do
	expect 200 POST /proxies/mc/toxics "$t"
done
out=$("$CHURN" churn "$PL" 300 30)
ok=$(field ok "$out")
bad=$(field fail "$out")
[ $((ok + bad)) = 300 ] && [ "$ok" -gt 30 ] && [ "$bad" -gt 30 ] ||
	fail "cutting toxics: $out"
expect 204 POST /reset
pass "300 connections under reset_peer/limit_data/timeout: $out"

wait_for 30 metric_is "$METRICS" "$CONNS" 0 ||
	fail "connections left open: $(metric_value "$METRICS" "$CONNS")"
wait_for 10 fds_are "$fds0" || fail "fds: $(nfds), were $fds0"
total=$(metric_value "$METRICS" 'toxiproxy_connections_total{proxy="mc"}')
[ "${total%.*}" -ge $((N + 300)) ] || fail "connections_total $total"
pass "fd count back to $fds0 after $total connections"

stop_proxy
[ "$PROXY_RC" = 0 ] || fail "exit status $PROXY_RC under $how (see $T/proxy.log)"
if grep -E 'ERROR SUMMARY: [1-9]|definitely lost|runtime error|AddressSanitizer' "$T/proxy.log"; then
	fail "$how reported errors"
fi
pass "clean exit under $how, no error, no leak"
