#!/bin/bash
# reliabd-scenario by hand: options, --help, --list, --check, and bad
# scenario files (each error names the file and the field; the others
# still load); unknown scenario names get close matches.
source "$top_srcdir/tests/lib/common.sh"
S=$top_builddir/reliabd-scenario
[ -x "$S" ] || fail "reliabd-scenario is not built"
CAT=(--catalogue-dir="$top_srcdir/etc/scenarios" --scenario-dir="$T/user"
	--server=memcache1 --server=memcache2 --server=memcache3)
mkdir -p "$T/user"

# --help names every option.
"$S" --help >"$T/help.txt"
for o in metrics proxy-api state-dir scenario-dir catalogue-dir \
	loadgen-metrics control-socket server node run playlist loop forever \
	stabilization testing recovery cleanup list check log-level help; do
	grep -q -- "--$o" "$T/help.txt" || fail "--help does not mention --$o"
done

# A bad option or value: one line naming it, exit 2.
bad_opt() {
	local want=$1; shift
	set +e
	"$S" "$@" >"$T/out.txt" 2>"$T/err.txt"
	local rc=$?
	set -e
	[ "$rc" = 2 ] || fail "$*: exit $rc, want 2"
	[ "$(wc -l <"$T/err.txt")" = 1 ] || fail "$*: not one line: $(cat "$T/err.txt")"
	grep -q -- "$want" "$T/err.txt" || fail "$*: $(cat "$T/err.txt") lacks $want"
}
bad_opt "--bogus" --bogus
bad_opt "--metrics" --metrics=nowhere
bad_opt "--proxy-api" --proxy-api=1.2.3.4:99999
bad_opt "--loop" --loop=0
bad_opt "--testing" --testing=-5s
bad_opt "--recovery" --recovery=48h
bad_opt "--log-level" --log-level=loud
bad_opt "unexpected" stray
pass "bad options exit 2 with one line"

# The catalogue: at least 20 scenarios, every DESIGN.md one.
"$S" --list "${CAT[@]}" >"$T/list.txt"
n=$(wc -l <"$T/list.txt")
[ "$n" -ge 20 ] || fail "only $n scenarios listed"
for s in loss-2 loss-5 loss-10 loss-20 loss-50 loss-100 latency-100ms \
	latency-1s latency-5s latency-10s latency-40s latency-2m \
	bandwidth-throttle connection-limit flapping partition node-down \
	reset-peer slow-close two-servers-loss-latency node-restart; do
	grep -q "^$s " "$T/list.txt" || fail "catalogue lacks $s"
done
"$S" --check "${CAT[@]}" 2>"$T/check.err" >"$T/check.out"
grep -q "0 bad files" "$T/check.out" || fail "catalogue not clean: $(cat "$T/check.err")"
pass "$n scenarios in the catalogue, all valid"

# Bad files: each error names the file and the offending field.
ok='"faults":[{"servers":["memcache1"],"type":"latency","attributes":{"latency":100}}]'
echo '{"name":"bad-json", "faults": [' >"$T/user/bad-json.json"
echo '{"name":"bad-type","faults":[{"servers":["memcache1"],"type":"earthquake"}]}' >"$T/user/bad-type.json"
echo '{"name":"bad-server","faults":[{"servers":["memcache7"],"type":"down"}]}' >"$T/user/bad-server.json"
echo '{"name":"bad-neg","phases":{"testing":"-10s"},'"$ok"'}' >"$T/user/bad-neg.json"
echo '{"name":"bad-absurd","phases":{"recovery":"9999h"},'"$ok"'}' >"$T/user/bad-absurd.json"
echo '{"name":"bad-tox","faults":[{"servers":["memcache1"],"type":"latency","toxicity":1.2,"attributes":{"latency":100}}]}' >"$T/user/bad-tox.json"
echo '{"name":"my-good","description":"a user scenario",'"$ok"'}' >"$T/user/good.json"
# A FIFO (no writer) must be refused, not waited on.
mkfifo "$T/user/fifo.json"
timeout 10 "$S" --check "${CAT[@]}" 2>"$T/check.err" >"$T/check.out" ||
	[ $? != 124 ] || fail "--check hung on a FIFO in the scenario directory"
grep -q "7 bad files" "$T/check.out" || fail "want 7 bad files: $(cat "$T/check.out")"
expect_err() {
	grep -q -- "$1" "$T/check.err" || { cat "$T/check.err"; fail "no error like: $1"; }
}
expect_err "user/bad-json.json: invalid JSON"
expect_err "user/bad-type.json: faults\[0\].type: unknown fault type \"earthquake\""
expect_err "user/bad-server.json: faults\[0\].servers\[0\]: unknown server \"memcache7\""
expect_err "user/bad-neg.json: phases.testing: negative duration"
expect_err "user/bad-absurd.json: phases.recovery: duration \"9999h\" is absurd"
expect_err "user/bad-tox.json: faults\[0\].toxicity: 1.2 is outside 0..1"
expect_err "user/fifo.json: cannot open: not a regular file"
"$S" --list "${CAT[@]}" >"$T/list2.txt" 2>/dev/null
grep -q "^my-good .* user " "$T/list2.txt" || fail "the good user file was not loaded"
[ "$(wc -l <"$T/list2.txt")" = $((n + 1)) ] || fail "bad files changed the rest"
pass "bad scenario files reported by file and field, the rest loaded"

# Unknown names: close matches.
set +e
"$S" "${CAT[@]}" --state-dir="$T/state" --metrics=127.0.0.1:0 \
	--loadgen-metrics= --run=latncy-1s >"$T/out.txt" 2>"$T/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown scenario: exit $rc"
grep -q 'unknown scenario "latncy-1s"; close matches: latency-1s' "$T/err.txt" ||
	fail "no close matches: $(cat "$T/err.txt")"
set +e
"$S" "${CAT[@]}" --state-dir="$T/state" --metrics=127.0.0.1:0 \
	--loadgen-metrics= --run=node-restart >"$T/out.txt" 2>"$T/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "runs under reliabd only" "$T/err.txt" ||
	fail "node-restart by hand: exit $rc: $(cat "$T/err.txt")"
pass "unknown names get close matches; node-restart needs reliabd"
