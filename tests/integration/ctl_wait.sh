#!/bin/bash
# start-scenario --wait on the real lab: it ends with the run's report,
# the same lines `show` prints from the journal's record; the report's
# verdict and its checks are the record's. Ctrl-C during --wait says the
# run goes on and how to stop it, exits 130, and the run does go on
# until `reliabctl stop`.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached
B=$top_builddir
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM <<<"$(free_ports 11)"
SOCK=$T/ctl.sock
{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$N1" "$S1"
	conf_node memcache2 "$N2" "$S2"
	conf_node memcache3 "$N3" "$S3"
	cat <<EOF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics              = 127.0.0.1:$PL
workers              = 6
rate                 = 1500
op_timeout           = 200ms
breaker_open_timeout = 500ms

[scenario]
metrics       = 127.0.0.1:$PSC
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_running() { [ "$(ctl --json status | jq -r --arg n "$1" '.children[] | select(.name == $n) | .state')" = running ]; }
all_up() {
	for c in proxy loadgen scenario memcache1 memcache2 memcache3; do
		child_running "$c" || return 1
	done
	curl -fsS "http://127.0.0.1:$PL/metrics" | grep -q '^memcache_operations_total'
}
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 all_up || fail "the lab did not come up: $(ctl status 2>&1)"
sleep 1 # the loadgen warms its pools

# 1. --wait ends with the report; show prints the same from the journal.
ctl start-scenario latency-1s --stabilization 2s --testing 3s --recovery 5s \
	--wait >"$T/wait.txt" 2>"$T/wait.err" && rc=0 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 4 ] || fail "--wait exit $rc: $(cat "$T/wait.txt" "$T/wait.err")"
id=$(ctl --json runs --last 1 | jq -r '.runs[0].id')
ctl --json show "$id" | jq .run >"$T/rec.json" || fail "show --json $id"
ctl show "$id" >"$T/show.txt" || fail "show $id"
# The report in --wait's output: from "run ID:" to the verdict.
awk -v id="$id" 'index($0, "run " id ":") == 1 { f = 1 } f { print } f && /^verdict:/ { exit }' \
	"$T/wait.txt" >"$T/wait-report.txt"
[ -s "$T/wait-report.txt" ] || fail "--wait printed no report: $(cat "$T/wait.txt")"
diff -u "$T/show.txt" "$T/wait-report.txt" >&2 || fail "--wait's report differs from show's"
! grep -qE '^[[:space:]]*[{}]|"[a-z_]+":' "$T/wait.txt" || fail "--wait printed JSON"
[ "$(tail -n 1 "$T/show.txt")" = "verdict: $(jq -r '.status + (if .reason == "" then "" else ": " + .reason end)' "$T/rec.json")" ] ||
	fail "verdict line '$(tail -n 1 "$T/show.txt")', record $(jq -c '{status, reason}' "$T/rec.json")"
[ "$rc" = "$(jq -r 'if .status == "success" then 0 else 4 end' "$T/rec.json")" ] || fail "exit $rc for $(jq -r .status "$T/rec.json")"
n=$(jq '.checks | length' "$T/rec.json")
[ "$n" -ge 1 ] || fail "the record has no checks: $(jq -c . "$T/rec.json")"
rows=$(awk '/^hypothesis$/ { f = 1; getline; next } f && /^$/ { exit } f && /^  [a-z]/' "$T/show.txt" | wc -l)
[ "$rows" = "$n" ] || fail "$rows check rows for $n checks: $(cat "$T/show.txt")"
for c in $(jq -r '.checks[] | "\(.check):\(.result)"' "$T/rec.json"); do
	want=${c#*:}; want=${want/failed/FAILED}; want=${want/not_judged/not judged}
	grep -qE "^  ${c%%:*} .* $want\$" "$T/show.txt" || fail "check ${c%%:*} ($want) not in the report"
done
pass "--wait ends with the report show prints; $n checks, verdict $(jq -r .status "$T/rec.json") as recorded"

# 2. Ctrl-C during --wait: the run goes on, reliabctl says how to stop it.
bg ctrlc "$B/reliabctl" -s "$SOCK" start-scenario latency-1s --stabilization 1s \
	--testing 60s --recovery 1s --wait
WPID=$BG_PID
in_testing() { ctl --json status | jq -e '.scenario.phase == "testing"' >/dev/null; }
wait_for 10 in_testing || fail "the run did not reach testing"
kill -INT "$WPID"
wait "$WPID" && rc=0 || rc=$?
[ "$rc" = 130 ] || fail "--wait after Ctrl-C exit $rc, want 130"
has 'the run .* goes on in reliabd' <"$T/ctrlc.log" || fail "no 'goes on': $(cat "$T/ctrlc.log")"
has 'stop it: *reliabctl stop' <"$T/ctrlc.log" || fail "no 'reliabctl stop': $(cat "$T/ctrlc.log")"
sleep 1
in_testing || fail "the run did not go on after Ctrl-C: $(ctl status)"
ctl stop >/dev/null || fail "stop"
ctl --json runs --last 1 | jq -e '.runs[0].status == "aborted"' >/dev/null || fail "the run was not stopped"
pass "Ctrl-C during --wait: exit 130, the run goes on until reliabctl stop"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
