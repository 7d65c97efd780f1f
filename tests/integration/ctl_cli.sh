#!/bin/bash
# reliabctl as people type it: --json/-j before or after the command,
# printing one JSON line as reliabctl(8) says; `help` and `help COMMAND`
# with no daemon; a mistyped command gets "did you mean"; `watch` prints
# one line of words per event (JSON with --json), and sees the load
# stopped and started, a node restarted, and a child restarted after it
# died.
source "$top_srcdir/tests/lib/common.sh"
need jq memcached

B=$top_builddir
read -r P1 PM PL <<<"$(free_ports 3)"
SOCK=$T/ctl.sock
{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$P1"
	printf '[proxy]\nmode = external\n\n[loadgen]\nmetrics = 127.0.0.1:%s\nworkers = 2\n\n[scenario]\nenabled = no\n' "$PL"
} >"$T/reliabd.conf"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }

# help, with no daemon at all.
ctl help >"$T/help.txt" || fail "help exited $?"
for c in hello status list start-scenario stop runs show reload load node-restart watch help; do
	grep -qE "^  $c " "$T/help.txt" || fail "help does not list $c"
done
ctl help show >"$T/help-show.txt" || fail "help show exited $?"
head -n 1 "$T/help-show.txt" | has '^usage: reliabctl show RUN$' || fail "help show: $(cat "$T/help-show.txt")"
has -i 'check' <"$T/help-show.txt" || fail "help show does not say what show prints"
ctl help sho | has '^usage: reliabctl show RUN$' || fail "help with a prefix"
set +e
ctl help shwo 2>"$T/err.txt"; rc=$?
set -e
[ $rc = 2 ] && has 'did you mean "show"' <"$T/err.txt" || fail "help shwo: exit $rc, $(cat "$T/err.txt")"
pass "help and help COMMAND, with no daemon"

# A mistyped command: did you mean, exit 2, before any daemon is asked.
set +e
ctl stauts >"$T/out.txt" 2>"$T/err.txt"; rc=$?
set -e
[ $rc = 2 ] || fail "stauts: exit $rc"
has 'unknown command "stauts"; did you mean "status"?' <"$T/err.txt" || fail "stauts: $(cat "$T/err.txt")"
pass "reliabctl stauts: did you mean \"status\""

bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
child_state() { ctl --json status | jq -r --arg n "$1" '.children[] | select(.name == $n) | .state'; }
state_is() { [ "$(child_state "$1")" = "$2" ]; }
wait_for 15 state_is loadgen running || fail "the loadgen never ran"
wait_for 10 state_is memcache1 running || fail "memcache1 never ran"

# --json after the command, and -j before it: one line of JSON each.
for form in "status --json" "--json status" "status -j" "-j status"; do
	# shellcheck disable=SC2086
	ctl $form >"$T/st.json" || fail "reliabctl $form exited $?"
	[ "$(wc -l <"$T/st.json")" = 1 ] || fail "reliabctl $form: $(wc -l <"$T/st.json") lines, want one"
	jq -e '.children | length == 2' "$T/st.json" >/dev/null || fail "reliabctl $form: $(cat "$T/st.json")"
done
ctl runs --last 5 --json | jq -e '.runs == []' >/dev/null || fail "runs --last 5 --json"
pass "--json and -j before or after the command: one JSON line"

# watch: human lines and JSON lines, during load stop/start, a node
# restart and a child killed.
bg watch "$B/reliabctl" -s "$SOCK" watch
bg watchjson "$B/reliabctl" -s "$SOCK" watch --json
sleep 0.5 # both connected and watching before the events
ctl load stop >/dev/null || fail "load stop"
wait_for 10 state_is loadgen stopped || fail "load stop did not stop the loadgen"
ctl load start >/dev/null || fail "load start"
wait_for 15 state_is loadgen running || fail "load start did not start it"
ctl node-restart memcache1 --down 300ms >/dev/null || fail "node-restart"
seen() { grep -qE "$2" "$T/$1.log"; }
wait_for 10 seen watch 'memcache1 \(node\) started again after a requested stop' ||
	fail "watch: no restart line for memcache1: $(cat "$T/watch.log")"
kill -KILL "$(ctl --json status | jq -r '.children[] | select(.name == "loadgen") | .pid')"
wait_for 10 seen watch 'loadgen \(loadgen\) started again after it died' ||
	fail "watch: no restart line for the killed loadgen: $(cat "$T/watch.log")"

# One human line per event, no JSON in them.
seen watch '^[0-9-]+ [0-9:]+ reliabd +load +load stop: loadgen is (stopping|stopped)$' || fail "watch: load stop: $(cat "$T/watch.log")"
seen watch '^[0-9-]+ [0-9:]+ reliabd +load +load start: loadgen is ' || fail "watch: load start"
seen watch 'node-restart +node memcache1 killed, back in 0.3s$' || fail "watch: node-restart"
seen watch 'child-restart +loadgen \(loadgen\) started again after it died, restart 1$' || fail "watch: child-restart"
seen watch 'child-exit +loadgen died \(signal 9.*\), restart 1 in ' || fail "watch: child-exit: $(cat "$T/watch.log")"
! grep -q '[{}]' "$T/watch.log" || fail "watch printed JSON: $(cat "$T/watch.log")"
# The same events as JSON, one object a line.
wait_for 5 seen watchjson '"event":"child-restart".*"name":"loadgen"' || fail "watch --json: $(cat "$T/watchjson.log")"
jq -e -s '[.[] | select(.event == "load") | .action] == ["stop", "start"]' "$T/watchjson.log" >/dev/null ||
	fail "watch --json: load events $(jq -c -s '[.[] | select(.event == "load")]' "$T/watchjson.log")"
jq -e -s 'any(.[]; .event == "node-restart" and .name == "memcache1" and .down_ms == 300)' "$T/watchjson.log" >/dev/null ||
	fail "watch --json: node-restart"
jq -e -s 'any(.[]; .event == "child-restart" and .name == "memcache1" and .after == "hold")' "$T/watchjson.log" >/dev/null ||
	fail "watch --json: memcache1's child-restart"
pass "watch: a line per event (load stop/start, node restart, child died and restarted), JSON with --json"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
