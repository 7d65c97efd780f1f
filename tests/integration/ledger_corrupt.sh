#!/bin/bash
# A ledger that cannot be read (garbage, truncated, a directory, over
# 1 MiB) must not wedge the lab: the scenario worker moves it aside as
# ledger.json.corrupt.N and starts, the proxy's toxics (planted here
# beforehand, as a lost ledger would have listed them) are reset, and
# `reliabctl status` and the log say so. The proxy is external (started
# here), so the toxics are on it before reliabd starts.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
for p in reliabd reliabctl reliabd-proxy reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built"
done
read -r M1 L1 PA PL PSC PM <<<"$(free_ports 6)"
SOCK=$T/ctl.sock
STATE=$T/state
mkdir -p "$STATE" "$T/scenarios.d"

start_memcached "$M1" 16
bg proxy "$B/reliabd-proxy" --api="127.0.0.1:$PA" --metrics=127.0.0.1:0 \
	--proxy="memcache1=127.0.0.1:$L1,127.0.0.1:$M1"
wait_for 10 curl -fsS "http://127.0.0.1:$PA/version" ||
	fail "the proxy API did not come up"

{
	conf_daemon "$SOCK" "$PM"
	printf '[server memcache1]\naddress = 127.0.0.1:%s\n\n' "$L1"
	cat <<EOF
[loadgen]
metrics = 127.0.0.1:$PL
# Open loop: a closed one burnt a core; no check here needs load.
rate = 200

[proxy]
mode = external
api  = 127.0.0.1:$PA

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $T/scenarios.d
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
toxic_count() { curl -fsS --max-time 2 "http://127.0.0.1:$PA/proxies/memcache1/toxics" | jq length; }
enabled() { curl -fsS --max-time 2 "http://127.0.0.1:$PA/proxies/memcache1" | jq -r .enabled; }
scenario_state() { ctl --json status | jq -r '.children[] | select(.kind=="scenario") | .state'; }
lab_running() {
	[ "$(ctl --json status | jq -r .state)" = running ] &&
		[ "$(scenario_state)" = running ]
}
no_toxic() { [ "$(toxic_count)" = 0 ] && [ "$(enabled)" = true ]; }
notice() { ctl --json status | jq -r '.scenario.notice // empty'; }
has_notice() { notice | has "ledger unreadable.*moved to ledger.json.corrupt.$1.*toxics reset"; }

plant() {
	curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"name":"left-over-latency","type":"latency","stream":"downstream","attributes":{"latency":1000}}' \
		"http://127.0.0.1:$PA/proxies/memcache1/toxics" || fail "cannot plant a toxic"
	curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"name":"left-over-timeout","type":"timeout","stream":"upstream","attributes":{"timeout":0}}' \
		"http://127.0.0.1:$PA/proxies/memcache1/toxics" || fail "cannot plant a toxic"
	curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"enabled":false}' "http://127.0.0.1:$PA/proxies/memcache1" ||
		fail "cannot disable the proxy"
	[ "$(toxic_count)" = 2 ] && [ "$(enabled)" = false ] || fail "planting did not take"
}

corrupt() { # KIND: writes an unreadable ledger of that kind
	rm -rf "$STATE/ledger.json"
	case $1 in
	garbage) printf 'this is not a ledger \001\002\n' >"$STATE/ledger.json" ;;
	truncated) printf '{"faults":[{"kind":"toxic","server":"memc' >"$STATE/ledger.json" ;;
	directory) mkdir "$STATE/ledger.json" ;;
	huge) # valid JSON, but over the 1 MiB a ledger may be
		{ printf '{"faults":[]'; head -c $((1024 * 1024 + 16)) /dev/zero | tr '\0' ' '; printf '}\n'; } \
			>"$STATE/ledger.json" ;;
	esac
}

n=0
for kind in garbage truncated directory huge; do
	n=$((n + 1))
	plant
	corrupt "$kind"
	cp -r "$STATE/ledger.json" "$T/expected-$kind"
	bg "reliabd-$kind" "$B/reliabd" -c "$T/reliabd.conf"
	RPID=$BG_PID
	t0=$(date +%s%N)
	wait_for 5 lab_running ||
		fail "$kind: the lab is not running within 5 s: $(ctl status 2>&1); $(cat "$T/reliabd-$kind.log" | tail -5)"
	echo "$kind: running after $((($(date +%s%N) - t0) / 1000000)) ms"
	wait_for 3 no_toxic || fail "$kind: the planted toxics are still there ($(toxic_count), enabled $(enabled))"
	[ -e "$STATE/ledger.json.corrupt.$n" ] || fail "$kind: ledger.json.corrupt.$n is missing: $(ls "$STATE")"
	diff -r "$T/expected-$kind" "$STATE/ledger.json.corrupt.$n" >/dev/null ||
		fail "$kind: ledger.json.corrupt.$n is not the corrupt ledger"
	[ ! -e "$STATE/ledger.json.corrupt.$((n + 1))" ] || fail "$kind: set aside twice"
	wait_for 3 has_notice "$n" || fail "$kind: status has no notice: $(ctl --json status | jq -c .scenario)"
	ctl status | has "notice: ledger unreadable" || fail "$kind: reliabctl status does not print the notice"
	grep -q "ledger unreadable" "$T/reliabd-$kind.log" || fail "$kind: the log does not say it"
	# The lab is usable: a fresh ledger is written by the next fault.
	kill -TERM "$RPID"
	wait_for 10 bash -c "! kill -0 $RPID 2>/dev/null" || fail "$kind: reliabd did not stop"
	pass "$kind: lab up, toxics reset, ledger kept as ledger.json.corrupt.$n, status says so"
done
