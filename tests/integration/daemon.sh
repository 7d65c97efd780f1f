#!/bin/bash
# reliabd supervising real workers and memcached nodes: status, restart
# after SIGKILL, back-off to fatal, SIGTERM leaves nothing behind, and a
# kill -9 of reliabd takes every child with it.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached promtool

B=$top_builddir
read -r P1 P2 PM PL <<<"$(free_ports 4)"
SOCK=$T/ctl.sock

write_conf() { # $1: an extra [loadgen] line
	{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$P1"
	conf_node memcache2 "$P2"
	cat <<EOF
[proxy]
mode = external

[loadgen]
metrics = 127.0.0.1:$PL
workers = 2
# A modest open loop: a closed loop here burnt a core the tests beside
# this one need, and nothing below measures throughput.
rate = 200
$1

[scenario]
enabled = no
EOF
	} >"$T/reliabd.conf"
}

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_field() { ctl --json status | jq -r ".children[] | select(.name==\"$1\") | .$2"; }
child_is() { [ "$(child_field "$1" "$2")" = "$3" ]; }
child_running() { child_is "$1" state running; }

write_conf ""
"$B/reliabd" -c "$T/reliabd.conf" -t >/dev/null || fail "config check"
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 15 child_running loadgen || fail "loadgen never ran"
wait_for 5 child_running memcache1 || fail "memcache1 never ran"
pass "reliabd up; status lists nodes and the loadgen"

# status --json has every documented field for every child.
ctl --json status >"$T/status.json"
for f in name kind state pid uptime_s restarts last_exit metrics; do
	[ "$(jq "[.children[] | has(\"$f\")] | all" "$T/status.json")" = true ] ||
		fail "status lacks $f"
done
[ "$(jq -r '.children | length' "$T/status.json")" = 3 ] || fail "expected 3 children"
ctl status | has '^memcache1 *node *running' || fail "text status table"
pass "status --json and text"

# The file_sd target file lists reliabd and the loadgen.
jq -e '([.[].labels.worker] | index("loadgen")) and ([.[].labels.worker] | index("reliabd"))' \
	"$T/state/targets.json" >/dev/null || fail "file_sd targets: $(cat "$T/state/targets.json")"
curl -fsS "http://127.0.0.1:$PM/metrics" >"$T/reliabd.prom"
promtool check metrics <"$T/reliabd.prom" || fail "promtool on reliabd metrics"
grep -q 'reliabd_child_up{child="loadgen",kind="loadgen"} 1' "$T/reliabd.prom" ||
	fail "reliabd_child_up for loadgen"
pass "file_sd and /metrics"

# SIGKILL a worker: restarted, restarts counted.
LPID=$(child_field loadgen pid)
kill -KILL "$LPID"
wait_for 10 child_is loadgen restarts 1 || fail "loadgen restart not counted"
wait_for 10 child_running loadgen || fail "loadgen not running again"
[ "$(child_field loadgen pid)" != "$LPID" ] || fail "same pid after restart"
child_is loadgen last_exit "signal 9 (Killed)" || fail "last_exit: $(child_field loadgen last_exit)"
pass "killed worker restarted (restarts=1, last_exit signal 9)"

# A node killed is restarted too.
NPID=$(child_field memcache1 pid)
kill -KILL "$NPID"
wait_for 10 child_is memcache1 restarts 1 || fail "node restart not counted"
wait_for 10 port_open "$P1" || fail "memcache1 not back"
pass "killed node restarted"

# load stop|start: a stopped loadgen stays stopped until started.
wait_for 10 bash -c "$B/reliabctl -s $SOCK --json status | jq -e '.load.ops_rate > 0'" ||
	fail "status shows no load: $(ctl --json status | jq -c .load)"
ctl status | has '^load: [0-9]* ops/s' || fail "text status lacks the load line"
ctl load stop >/dev/null || fail "load stop refused"
wait_for 10 child_is loadgen state stopped || fail "loadgen not stopped"
sleep 2
child_is loadgen state stopped || fail "a stopped loadgen was restarted"
[ "$(ctl --json status | jq -r .load)" = null ] || fail "status shows load of a stopped loadgen"
ctl load start >/dev/null || fail "load start refused"
wait_for 10 child_running loadgen || fail "loadgen not started again"
pass "load stop/start; status shows ops/s"

# node-restart: the node is killed, held down, and started again.
NPID=$(child_field memcache2 pid)
ctl node-restart memcache2 --down 3s >/dev/null || fail "node-restart refused"
wait_for 5 child_is memcache2 state held || fail "node not held: $(child_field memcache2 state)"
port_open "$P2" && fail "node still answering while held"
wait_for 10 child_running memcache2 || fail "node not back after node-restart"
wait_for 5 port_open "$P2" || fail "node port not back"
[ "$(child_field memcache2 pid)" != "$NPID" ] || fail "node-restart kept the old process"
ctl node-restart loadgen 2>/dev/null && fail "node-restart accepted a worker"
pass "node-restart"

# A second reliabd on the same socket refuses to start.
if "$B/reliabd" -c "$T/reliabd.conf" >"$T/second.log" 2>&1; then
	fail "a second reliabd started on a live socket"
fi
grep -q "another reliabd answers" "$T/second.log" || fail "second reliabd message: $(cat "$T/second.log")"
pass "second reliabd refused"

# SIGTERM: everything stops, nothing left behind.
PIDS=$(ctl --json status | jq -r '.children[].pid | select(. != null)')
kill -TERM "$RPID"
wait_for 15 bash -c "! kill -0 $RPID 2>/dev/null" || fail "reliabd did not exit on SIGTERM"
wait "$RPID" || fail "reliabd exit status $?"
for p in $PIDS; do kill -0 "$p" 2>/dev/null && fail "child $p left behind after SIGTERM"; done
[ ! -e "$SOCK" ] || fail "control socket left behind"
pass "SIGTERM stopped every child"
# In stages: the loadgen had exited before any node was asked to stop,
# so the load never saw its servers go away.
line_of() { # first line matching $1 after reliabd began to stop
	awk -v re="$1" '/daemon_stop: stopping/ { on = 1 } on && $0 ~ re { print NR; exit }' "$T/reliabd.log"
}
lg_gone=$(line_of "loadgen: stopped")
node_term=$(line_of "memcache[12]: stopping [(]SIGTERM")
[ -n "$lg_gone" ] && [ -n "$node_term" ] || fail "stop lines missing: $(tail -n 20 "$T/reliabd.log")"
[ "$lg_gone" -lt "$node_term" ] || fail "a node was stopped before the loadgen exited: $(tail -n 20 "$T/reliabd.log")"
pass "SIGTERM stops the loadgen before the nodes"

# kill -9 of reliabd: its children die with it; a new one starts cleanly.
bg reliabd2 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 15 child_running loadgen || fail "loadgen never ran (2)"
PIDS=$(ctl --json status | jq -r '.children[].pid | select(. != null)')
kill -KILL "$RPID"
for p in $PIDS; do
	wait_for 5 bash -c "! kill -0 $p 2>/dev/null" || fail "child $p survived kill -9 of reliabd"
done
[ -S "$SOCK" ] || fail "expected a stale socket after kill -9"
bg reliabd3 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 15 child_running loadgen || fail "new reliabd: loadgen did not start (ports busy?)"
wait_for 5 child_running memcache2 || fail "new reliabd: node did not start"
grep -q "replacing the stale control socket" "$T/reliabd3.log" || fail "stale socket not noticed"
pass "kill -9: no orphan, clean restart on the same socket and ports"
kill -TERM "$RPID"; wait "$RPID" || true

# A worker that exits at once is backed off, then marked fatal.
write_conf "no_such_option = 1"
bg reliabd4 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 40 child_is loadgen state fatal || fail "loadgen never marked fatal: $(ctl status)"
[ "$(grep -c 'loadgen: died .* restart [0-9]* in' "$T/reliabd4.log")" = 5 ] ||
	fail "expected 5 backed-off restarts: $(grep loadgen "$T/reliabd4.log")"
grep -q "giving up" "$T/reliabd4.log" || fail "no fatal message"
grep -q "no_such_option\|no-such-option" "$T/reliabd4.log" || fail "the worker's own error did not reach the log"
# The gaps between restarts double.
delays=$(grep -o 'restart [0-9]* in [0-9]* ms' "$T/reliabd4.log" | awk '{print $4}' | tr '\n' ' ')
[ "$delays" = "500 1000 2000 4000 8000 " ] || fail "back-off delays: $delays"
child_running memcache1 || fail "a fatal worker must not stop the others"
pass "exit-at-once worker backed off (500..8000 ms), then fatal"
kill -TERM "$RPID"; wait "$RPID" || true
