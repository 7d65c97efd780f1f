# Sourced by the scenario_*.sh tests: a small lab on loopback (three
# memcached, reliabd-proxy in front of them, reliabd-loadgen through it)
# and the options reliabd-scenario needs to drive it.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached

B=$top_builddir
SCEN=$B/reliabd-scenario
for p in reliabd-proxy reliabd-loadgen reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built (make $p)"
done

# lab_start [LOADGEN_OPTION...]: sets M1..M3 (memcached), L1..L3 (proxy
# listeners), API, LG (loadgen metrics), SM (scenario metrics), SCEN_OPTS.
lab_start() {
	read -r M1 M2 M3 L1 L2 L3 API LG SM <<<"$(free_ports 9)"
	start_memcached "$M1" 16
	start_memcached "$M2" 16
	start_memcached "$M3" 16
	bg proxy "$B/reliabd-proxy" --api="127.0.0.1:$API" \
		--metrics=127.0.0.1:0 \
		--proxy="memcache1=127.0.0.1:$L1,127.0.0.1:$M1" \
		--proxy="memcache2=127.0.0.1:$L2,127.0.0.1:$M2" \
		--proxy="memcache3=127.0.0.1:$L3,127.0.0.1:$M3"
	PROXY_PID=$BG_PID
	wait_for 10 curl -fsS "http://127.0.0.1:$API/version" ||
		fail "the proxy API did not come up"
	# Short op timeout and open timeout: breakers react within a
	# shortened phase.
	bg loadgen "$B/reliabd-loadgen" --metrics="127.0.0.1:$LG" \
		--server="memcache1=127.0.0.1:$L1" \
		--server="memcache2=127.0.0.1:$L2" \
		--server="memcache3=127.0.0.1:$L3" \
		--workers=6 --rate=1500 --op-timeout=200ms \
		--breaker-open-timeout=500ms "$@"
	LOADGEN_PID=$BG_PID
	wait_for 10 curl -fsS "http://127.0.0.1:$LG/metrics" ||
		fail "the loadgen did not come up"
	mkdir -p "$T/state" "$T/user"
	SCEN_OPTS=(--metrics="127.0.0.1:$SM" --proxy-api="127.0.0.1:$API"
		--state-dir="$T/state" --catalogue-dir="$top_srcdir/etc/scenarios"
		--scenario-dir="$T/user" --loadgen-metrics="127.0.0.1:$LG"
		--server=memcache1 --server=memcache2 --server=memcache3)
}

# toxic_count PROXY: how many toxics the proxy has on it now.
toxic_count() {
	curl -fsS --max-time 2 "http://127.0.0.1:$API/proxies/$1/toxics" | jq length
}
proxy_enabled() {
	curl -fsS --max-time 2 "http://127.0.0.1:$API/proxies/$1" | jq -r .enabled
}
no_toxics() {
	[ "$(toxic_count memcache1)" = 0 ] && [ "$(toxic_count memcache2)" = 0 ] &&
		[ "$(toxic_count memcache3)" = 0 ]
}
has_toxic() { [ "$(toxic_count "$1")" -gt 0 ]; }
journal_lines() {
	if [ -f "$T/state/journal.jsonl" ]; then wc -l <"$T/state/journal.jsonl"; else echo 0; fi
}
ledger_empty() {
	[ ! -f "$T/state/ledger.json" ] || [ "$(jq '.faults | length' "$T/state/ledger.json")" = 0 ]
}
