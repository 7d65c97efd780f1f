#!/bin/bash
# Several clients (issue 14): two [loadgen NAME] sections, each a loadgen
# of its own, in status (JSON and text), in the file_sd targets with a
# client label, stopped and started one at a time or all at once, a
# misspelled name refused with a did-you-mean, and a reload that adds,
# removes and restarts clients while the unchanged one keeps running.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached

B=$top_builddir
read -r P1 PM PA PG <<<"$(free_ports 4)"
SOCK=$T/ctl.sock

# $1: beta's workers; $2: the third section ("gamma" or "alpha").
write_conf() {
	{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$P1"
	printf '[proxy]\nmode = external\n\n[scenario]\nenabled = no\n\n'
	# beta has no metrics key: a free port, told in status and file_sd.
	# Each client an open loop of 200 ops/s: three closed loops burnt the
	# cores the tests beside this one need, and only "some load" is checked.
	printf '[loadgen beta]\nworkers = %s\nkeys = 100\nrate = 200\n\n' "$1"
	case $2 in
	alpha) printf '[loadgen alpha]\nmetrics = 127.0.0.1:%s\nworkers = 2\nrate = 200\n' "$PA" ;;
	gamma) printf '[loadgen gamma]\nmetrics = 127.0.0.1:%s\nworkers = 1\nrate = 200\n' "$PG" ;;
	esac
	} >"$T/reliabd.conf"
}

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
status() { ctl --json status; }
client() { status | jq -r ".clients[] | select(.name==\"$1\") | .$2"; }
client_is() { [ "$(client "$1" "$2")" = "$3" ]; }
client_loaded() { status | jq -e ".clients[] | select(.name==\"$1\") | .load.ops_rate > 0" >/dev/null; }
child_pid() { status | jq -r ".children[] | select(.name==\"$1\") | .pid"; }
names() { status | jq -r '[.clients[].name] | join(" ")'; }
names_are() { [ "$(names)" = "$1" ]; }
targets() { jq -c '[.[] | select(.labels.client) | [.labels.client, .labels.worker]] | sort' "$T/state/targets.json"; }
targets_are() { [ "$(targets)" = "$1" ]; }

write_conf 2 alpha
"$B/reliabd" -c "$T/reliabd.conf" -t >/dev/null || fail "config check"
# systemd's STATUS= line, through a real NOTIFY_SOCKET.
NSOCK=$T/notify.sock
bg notify "$B/tests/tools/notify_listen" "$NSOCK"
wait_for 5 test -S "$NSOCK" || fail "notify listener did not start"
bg reliabd env NOTIFY_SOCKET="$NSOCK" "$B/reliabd" -c "$T/reliabd.conf"
wait_for 15 client_is beta state running || fail "beta never ran: $(status | jq -c .clients)"
wait_for 15 client_is alpha state running || fail "alpha never ran"
names_are "beta alpha" || fail "clients: $(names)"
# No [loadgen]: no client "default", no child "loadgen".
[ "$(status | jq '[.children[] | select(.kind=="loadgen") | .name] | sort')" = \
	"$(jq -n '["loadgen:alpha", "loadgen:beta"]')" ] ||
	fail "loadgen children: $(status | jq -c '[.children[].name]')"
wait_for 10 client_loaded alpha || fail "alpha shows no load"
wait_for 10 client_loaded beta || fail "beta shows no load"
# The load line of old is the first client's (the one the scenario
# worker samples when there is no default).
status | jq -e '.load.ops_rate > 0' >/dev/null || fail "status .load is empty"
ctl status >"$T/status.txt"
grep -Eq '^CLIENT +STATE +OPS/S +ERRORS +METRICS' "$T/status.txt" || fail "text status: no client table: $(cat "$T/status.txt")"
grep -Eq "^alpha +running +[0-9]+ +[0-9.]+% +127.0.0.1:$PA\$" "$T/status.txt" || fail "text status: alpha: $(cat "$T/status.txt")"
grep -Eq '^beta +running +[0-9]+ +[0-9.]+% +127.0.0.1:[1-9][0-9]*$' "$T/status.txt" || fail "text status: beta: $(cat "$T/status.txt")"
# STATUS= names each client's load, not the first one's alone.
both_in_status() { grep -Eq 'STATUS=beta [0-9]+ ops/s, [0-9.]+% errors; alpha [0-9]+ ops/s, [0-9.]+% errors; [0-9]+/[0-9]+ children up' "$T/notify.log"; }
wait_for 10 both_in_status || fail "STATUS lacks a client: $(grep STATUS= "$T/notify.log" | tail -n 2)"
pass "STATUS= shows each client's load: $(grep STATUS= "$T/notify.log" | tail -n 1 | cut -d' ' -f2-)"
pass "two [loadgen NAME] clients run; status lists each with its load"

# file_sd: a target per client, labelled client="NAME"; the port-0 client
# is listed at the port it chose, and serves the same metric names.
wait_for 5 targets_are '[["alpha","loadgen:alpha"],["beta","loadgen:beta"]]' ||
	fail "file_sd client targets: $(cat "$T/state/targets.json")"
BETA=$(jq -r '.[] | select(.labels.client=="beta") | .targets[0]' "$T/state/targets.json")
[ "$BETA" = "$(client beta metrics)" ] || fail "beta's target $BETA is not its status address $(client beta metrics)"
[ "${BETA##*:}" != 0 ] || fail "beta listed at port 0"
for a in "$BETA" "127.0.0.1:$PA"; do
	curl -fsS "http://$a/metrics" | has '^memcache_operations_total{' || fail "$a: no memcache_operations_total"
done
curl -fsS "http://127.0.0.1:$PM/metrics" | has 'reliabd_child_up{child="loadgen:beta",kind="loadgen"} 1' ||
	fail "reliabd_child_up for loadgen:beta"
pass "file_sd: client=\"alpha\" and client=\"beta\" targets at their live ports"

# load stop NAME: that client only; the other keeps its load.
ctl load stop beta >"$T/stop.txt" || fail "load stop beta refused"
grep -q '^load stop: beta is ' "$T/stop.txt" || fail "load stop text: $(cat "$T/stop.txt")"
wait_for 10 client_is beta state stopped || fail "beta not stopped"
sleep 1
client_is beta state stopped || fail "a stopped client was restarted"
client_is beta load null || fail "a stopped client shows load"
client_is alpha state running || fail "alpha stopped with beta"
client_loaded alpha || fail "alpha lost its load"
targets_are '[["alpha","loadgen:alpha"]]' || fail "file_sd keeps a stopped client: $(targets)"
ctl load start beta >/dev/null || fail "load start beta refused"
wait_for 10 client_is beta state running || fail "beta not started again"
pass "load stop/start beta: beta alone"

# A misspelled client: refused, with the names to choose from.
set +e
ctl load stop btea >"$T/bad.out" 2>"$T/bad.err"; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "load stop btea accepted"
grep -q 'no client named "btea" (did you mean "beta"?); clients: beta, alpha' "$T/bad.err" ||
	fail "unknown client message: $(cat "$T/bad.err")"
ctl --json load stop zzz >"$T/zzz.out" 2>&1 && fail "load stop zzz accepted"
grep -q 'not-found' "$T/zzz.out" && grep -q 'no client named \\\?"zzz\\\?"; clients: beta, alpha' "$T/zzz.out" ||
	fail "unknown client, --json: $(cat "$T/zzz.out")"
client_is alpha state running && client_is beta state running || fail "a refused load stop stopped something"
pass "load stop btea: did you mean \"beta\""

# The bash completion offers the running daemon's clients.
comp() { # WORDS...: what completing the last word offers
	PATH="$B:$PATH" bash -c '
		source "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_reliabctl reliabctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' \
		"$top_srcdir/etc/bash-completion/reliabctl" "$@" | sort
}
[ "$(comp reliabctl -s "$SOCK" load stop "" | tr '\n' ' ')" = "alpha beta " ] ||
	fail "completing clients: $(comp reliabctl -s "$SOCK" load stop "" | tr '\n' ' ')"
pass "bash completion: load stop offers alpha and beta"

# load stop / start with no name: every client.
ctl load stop >"$T/stopall.txt" || fail "load stop refused"
[ "$(grep -c '^load stop: ' "$T/stopall.txt")" = 2 ] || fail "load stop text: $(cat "$T/stopall.txt")"
wait_for 10 client_is alpha state stopped || fail "alpha not stopped"
wait_for 10 client_is beta state stopped || fail "beta not stopped"
ctl load start >/dev/null || fail "load start refused"
wait_for 10 client_is alpha state running || fail "alpha not started"
wait_for 10 client_is beta state running || fail "beta not started"
pass "load stop/start: every client"

# Reload: alpha goes, gamma comes, beta unchanged keeps its process.
BPID=$(child_pid loadgen:beta)
write_conf 2 gamma
ctl reload >/dev/null || fail "reload refused"
wait_for 10 names_are "beta gamma" || fail "clients after reload: $(names)"
wait_for 15 client_is gamma state running || fail "gamma never ran"
wait_for 5 bash -c "! $B/reliabctl -s $SOCK --json status | jq -e '.children[] | select(.name==\"loadgen:alpha\")'" ||
	fail "alpha's loadgen still listed"
port_open "$PA" && fail "alpha's metrics port still open"
[ "$(child_pid loadgen:beta)" = "$BPID" ] || fail "beta restarted though unchanged"
wait_for 5 targets_are '[["beta","loadgen:beta"],["gamma","loadgen:gamma"]]' ||
	fail "file_sd after reload: $(targets)"
pass "reload: alpha removed, gamma added, beta kept (pid $BPID)"

# Reload with beta's options changed: beta alone restarts.
GPID=$(child_pid loadgen:gamma)
write_conf 3 gamma
ctl reload >/dev/null || fail "reload refused"
wait_for 10 bash -c "[ \"\$($B/reliabctl -s $SOCK --json status | jq -r '.children[] | select(.name==\"loadgen:beta\") | .pid')\" != $BPID ]" ||
	fail "beta not restarted with new options"
wait_for 15 client_is beta state running || fail "beta not running after its restart"
[ "$(child_pid loadgen:gamma)" = "$GPID" ] || fail "gamma restarted though unchanged"
pass "reload: beta's options changed, beta alone restarted"

# Two clients on one metrics port: refused, the running config kept.
{ cat "$T/reliabd.conf"; printf '[loadgen delta]\nmetrics = 127.0.0.1:%s\n' "$PG"; } >"$T/clash.conf"
set +e
"$B/reliabd" -c "$T/clash.conf" -t >"$T/clash.out" 2>&1; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a metrics port clash was accepted"
grep -q "\[loadgen delta\] metrics: 127.0.0.1:$PG: the client \"gamma\" listens there too" "$T/clash.out" ||
	fail "clash message: $(cat "$T/clash.out")"
pass "two clients on one metrics port: refused"
