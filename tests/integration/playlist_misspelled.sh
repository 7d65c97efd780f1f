#!/bin/bash
# A playlist naming an unknown scenario is refused before anything runs,
# with its close matches: by reliabd -t, by reliabd's start (no worker
# crash loop, no loop that silently never runs) and by ./run-lab. A good
# playlist, blanks after commas included, still passes.
source "$top_srcdir/tests/lib/common.sh"
need memcached

B=$top_builddir
read -r PN PS PA PL PSC PPM PM <<<"$(free_ports 7)"
SOCK=$T/ctl.sock
# conf PLAYLIST: a one-server lab with the catalogue, and this playlist.
conf() {
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$PN" "$PS"
	cat <<CONF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics = 127.0.0.1:$PL
workers = 2
rate    = 100

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $T/scenarios.d
catalogue_dir = $top_srcdir/etc/scenarios
playlist      = $1
CONF
}
mkdir -p "$T/scenarios.d"

# 1. reliabd -t names the misspelled scenario and a close match.
conf "latency-1s, latncy-5s" >"$T/bad.conf"
rc=0
"$B/reliabd" -t -c "$T/bad.conf" >"$T/t.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "reliabd -t accepts an unknown scenario: $(cat "$T/t.log")"
grep -q 'unknown scenario "latncy-5s"; close matches: latency-5s' "$T/t.log" ||
	fail "reliabd -t does not name the scenario and a close match: $(cat "$T/t.log")"
grep -q 'configuration OK' "$T/t.log" && fail "reliabd -t says OK: $(cat "$T/t.log")"
pass "reliabd -t: $(grep -o 'unknown scenario.*' "$T/t.log" | head -n 1)"

conf "latency-1s, latency-5s" >"$T/good.conf"
"$B/reliabd" -t -c "$T/good.conf" >"$T/t-good.log" 2>&1 ||
	fail "reliabd -t refuses a good playlist: $(cat "$T/t-good.log")"
conf "all" >"$T/all.conf"
"$B/reliabd" -t -c "$T/all.conf" >"$T/t-all.log" 2>&1 ||
	fail "reliabd -t refuses playlist all: $(cat "$T/t-all.log")"
pass "reliabd -t accepts a good playlist and all"

# 2. reliabd refuses to start on it, at once, starting nothing.
start=$(date +%s)
rc=0
timeout 20 "$B/reliabd" -c "$T/bad.conf" >"$T/start.log" 2>&1 || rc=$?
took=$(($(date +%s) - start))
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
	fail "reliabd started with an unknown scenario (exit $rc): $(tail -n 5 "$T/start.log")"
[ "$took" -le 10 ] || fail "reliabd took ${took}s to refuse"
grep -q 'unknown scenario "latncy-5s"; close matches: latency-5s' "$T/start.log" ||
	fail "reliabd's refusal does not name the scenario: $(cat "$T/start.log")"
if grep -q 'child_start' "$T/start.log"; then fail "a child was started: $(cat "$T/start.log")"; fi
[ ! -S "$SOCK" ] || fail "the control socket was opened"
pass "reliabd refuses to start in ${took}s, no child started"

# 3. ./run-lab refuses likewise, before anything starts.
read -r -a P <<<"$(free_ports 12)"
rc=0
RUN_LAB_BUILD=$B RUN_LAB_RUN=$T/lab RUN_LAB_PORTS="${P[*]}" RUN_LAB_PROMETHEUS=no \
	timeout 30 "$top_srcdir/run-lab" latency-1s,los-5 >"$T/runlab.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "run-lab exited $rc with an unknown scenario: $(tail -n 5 "$T/runlab.log")"
grep -q 'unknown scenario "los-5"; close matches: loss-5' "$T/runlab.log" ||
	fail "run-lab does not name the scenario and a close match: $(cat "$T/runlab.log")"
if grep -q 'child_start\|lab starting' "$T/runlab.log"; then fail "run-lab started the lab: $(cat "$T/runlab.log")"; fi
[ ! -S "$T/lab/control.sock" ] || fail "run-lab's reliabd opened its socket"
pass "run-lab refuses: $(grep -o 'unknown scenario.*' "$T/runlab.log" | head -n 1)"
