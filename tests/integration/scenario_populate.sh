#!/bin/bash
# mode = external against a proxy API that holds no proxies, as a fresh
# Toxiproxy does (issue 14): the scenario worker creates the proxies the
# [server] sections describe (POST /populate) at start, so a shortened
# latency-1s run succeeds; a proxy deleted between runs is there again
# for the next run, and one deleted during a run is created again when
# its fault finds it missing (404), and the fault applied; a proxy the
# config does not declare is left as it was throughout.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
for p in reliabd reliabctl reliabd-proxy reliabd-loadgen reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built"
done
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM PX <<<"$(free_ports 12)"
SOCK=$T/ctl.sock
API=http://127.0.0.1:$PA
{
conf_daemon "$SOCK" "$PM"
conf_node memcache1 "$N1" "$S1"
conf_node memcache2 "$N2" "$S2"
conf_node memcache3 "$N3" "$S3"
cat <<EOF
[proxy]
mode    = external
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics              = 127.0.0.1:$PL
# As in scenario_lab: 100 hung calls at most (600/s x 1/3 x 500 ms), and
# an op timeout a busy neighbour does not reach before any fault.
workers              = 256
rate                 = 600
op_timeout           = 500ms
breaker_open_timeout = 500ms

[scenario]
metrics       = 127.0.0.1:$PSC
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
proxies() { curl -fsS --max-time 2 "$API/proxies"; }
# declared: the three proxies exist with the config's addresses.
declared() {
	proxies | jq -e --arg s1 "127.0.0.1:$S1" --arg s2 "127.0.0.1:$S2" \
		--arg s3 "127.0.0.1:$S3" --arg n1 "127.0.0.1:$N1" \
		--arg n2 "127.0.0.1:$N2" --arg n3 "127.0.0.1:$N3" '
	    .memcache1.listen == $s1 and .memcache1.upstream == $n1 and
	    .memcache2.listen == $s2 and .memcache2.upstream == $n2 and
	    .memcache3.listen == $s3 and .memcache3.upstream == $n3 and
	    ([.memcache1, .memcache2, .memcache3] | map(.enabled) | all)' >/dev/null
}
# bystander_intact: the undeclared proxy as the test made it.
bystander_intact() {
	proxies | jq -e --arg l "127.0.0.1:$PX" '.bystander.listen == $l and
	    .bystander.upstream == "127.0.0.1:9" and .bystander.enabled == false and
	    (.bystander.toxics | map(.name)) == ["mine"]' >/dev/null
}
has_toxic() { [ "$(curl -fsS --max-time 2 "$API/proxies/$1/toxics" | jq length)" -gt 0 ]; }
all_up() {
	for c in loadgen scenario memcache1 memcache2 memcache3; do
		ctl --json status | jq -e --arg c "$c" \
		    '.children[] | select(.name == $c) | .state == "running"' >/dev/null || return 1
	done
}

# A proxy API with no proxies but one of someone else's, disabled and
# with a toxic: nothing of it may change.
bg proxy "$B/reliabd-proxy" --api="127.0.0.1:$PA" --metrics=127.0.0.1:0
wait_for 10 curl -fsS "$API/version" || fail "the proxy API did not come up"
[ "$(proxies)" = "{}" ] || fail "the proxy starts with proxies: $(proxies)"
curl -fsS -X POST "$API/proxies" -d "{\"name\":\"bystander\",\"listen\":\"127.0.0.1:$PX\",\"upstream\":\"127.0.0.1:9\"}" >/dev/null ||
	fail "create bystander"
curl -fsS -X POST "$API/proxies/bystander/toxics" -d '{"name":"mine","type":"latency","attributes":{"latency":7}}' >/dev/null ||
	fail "bystander toxic"
curl -fsS -X POST "$API/proxies/bystander" -d '{"enabled":false}' >/dev/null || fail "disable bystander"
bystander_intact || fail "bystander setup: $(proxies)"

bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
wait_for 20 all_up || fail "the lab did not come up: $(ctl status 2>&1)"
wait_for 10 declared || fail "the worker did not create the proxies: $(proxies)"
pass "the proxies the config declares were created at start: $(proxies | jq -c 'keys')"
sleep 1 # the loadgen warms its pools through them

ctl start-scenario latency-1s --stabilization 2s --testing 3s --recovery 5s \
	--wait >"$T/wait1.txt" 2>&1 && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "latency-1s --wait exit $rc: $(cat "$T/wait1.txt")"
ctl --json runs --last 1 | jq -e '.runs[0] | .scenario == "latency-1s" and .status == "success"' >/dev/null ||
	fail "runs: $(ctl --json runs --last 1)"
declared || fail "after the run: $(proxies)"
bystander_intact || fail "the undeclared proxy was changed: $(proxies)"
pass "a shortened latency-1s run succeeded on the created proxies; the undeclared one untouched"

# Deleted between runs: there again when the next run starts.
curl -fsS --max-time 5 -X DELETE "$API/proxies/memcache3" || fail "delete memcache3"
ctl start-scenario latency-1s --stabilization 500ms --testing 1s --recovery 500ms \
	--wait >"$T/wait2.txt" 2>&1 || true
declared || fail "memcache3 not created again by the next run: $(proxies)"
pass "a proxy deleted between runs was created again by the next run"

# Deleted during stabilization (the run has declared its proxies): the
# fault finds it missing (404), creates it and is applied.
ctl start-scenario latency-1s --stabilization 6s --testing 30s >/dev/null || fail "start"
wait_for 5 eval '[ "$(ctl --json status | jq -r .scenario.phase)" = stabilization ]' ||
	fail "no stabilization phase: $(ctl --json status | jq -c .scenario)"
sleep 0.5
# Deleted after the run began and before its fault: had the fault come
# first, the toxic would have gone with the proxy.
curl -fsS --max-time 5 -X DELETE "$API/proxies/memcache1" || fail "delete memcache1"
wait_for 12 has_toxic memcache1 || fail "the fault was not applied on a re-created memcache1: $(proxies)"
proxies | jq -e --arg s1 "127.0.0.1:$S1" '.memcache1.listen == $s1' >/dev/null ||
	fail "memcache1 re-created with other addresses: $(proxies | jq -c .memcache1)"
ctl stop >/dev/null || fail "stop"
wait_for 2 eval '! has_toxic memcache1' || fail "toxic left after stop"
bystander_intact || fail "the undeclared proxy was changed: $(proxies)"
pass "a proxy missing when its fault came was created, the fault applied"
