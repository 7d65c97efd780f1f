#!/bin/bash
# A lab host's loop: with `playlist` in [scenario], reliabd starts the
# scenarios by itself and loops over them; restarted (a reboot, or
# systemd's Restart=), it resumes the loop without any reliabctl command.
# `reliabctl stop` ends the loop until the next start. The playlist is a
# user scenario with phases of a second or two, so a run takes ~4 s.
source "$top_srcdir/tests/lib/common.sh"
need jq memcached

B=$top_builddir
read -r PN PS PA PL PSC PPM PM <<<"$(free_ports 7)"
SOCK=$T/ctl.sock
mkdir -p "$T/scenarios.d"
cat >"$T/scenarios.d/quick.json" <<'EOF'
{"name": "quick-latency",
 "description": "50 ms of latency on memcache1, phases shortened for tests",
 "phases": {"stabilization": "1s", "testing": "2s", "recovery": "1s"},
 "faults": [{"servers": ["memcache1"], "type": "latency",
             "attributes": {"latency": 50, "jitter": 0}}]}
EOF
{
conf_daemon "$SOCK" "$PM"
conf_node memcache1 "$PN" "$PS"
cat <<EOF
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
playlist      = quick-latency
EOF
} >"$T/reliabd.conf"

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
# nruns [SINCE]: the playlist's runs in the journal (started after SINCE).
nruns() {
	ctl --json runs --last 1000 |
		jq --argjson t "${1:-0}" '[.runs[] | select(.scenario == "quick-latency" and .started > $t)] | length'
}
runs_at_least() { [ "$(nruns "${2:-0}")" -ge "$1" ]; }
phase() { ctl --json status | jq -r '.scenario.phase // "none"'; }
in_run() { case $(phase) in stabilization | testing | recovery) return 0 ;; esac; return 1; }
toxics() { curl -fsS --max-time 3 "http://127.0.0.1:$PA/proxies/memcache1/toxics" | jq length; }
# Under a notification socket, as systemd runs it: STATUS= shows the run.
start_reliabd() {
	bg "reliabd-$1" env NOTIFY_SOCKET="$T/notify.sock" "$B/reliabd" -c "$T/reliabd.conf"
	RPID=$BG_PID
}
stop_reliabd() {
	kill -TERM "$RPID"
	wait_for 20 eval '! kill -0 '"$RPID"' 2>/dev/null' || fail "reliabd did not stop"
	wait "$RPID" || fail "reliabd exited $?"
}

"$B/reliabd" -c "$T/reliabd.conf" -t >/dev/null || fail "config check"
bg notify "$B/tests/tools/notify_listen" "$T/notify.sock"
wait_for 5 test -S "$T/notify.sock" || fail "notify listener did not start"

# 1. First boot: the loop starts with no reliabctl command, and loops.
start_reliabd 1
wait_for 30 in_run || fail "no run started by itself (phase $(phase))"
ctl --json status | jq -e '.scenario.scenario == "quick-latency"' >/dev/null ||
	fail "the run is not the playlist's: $(ctl --json status | jq -c .scenario)"
pass "reliabd started the playlist by itself"
status_shows_run() {
	grep -qE ' STATUS=quick-latency (stabilization|testing|recovery) [0-9]+s left; [0-9]+ ops/s, [0-9.]+% errors; 4/4 children up$' \
		"$T/notify.log"
}
wait_for 10 status_shows_run || fail "STATUS= never showed the run: $(grep STATUS= "$T/notify.log" | tail -n 3)"
grep -q ' READY=1$' "$T/notify.log" || fail "no READY=1"
pass "STATUS: $(grep -E 'STATUS=quick-latency' "$T/notify.log" | tail -n 1 | cut -d' ' -f2-)"
wait_for 40 runs_at_least 2 || fail "the playlist did not loop: $(nruns) runs"
N1=$(nruns)
pass "the playlist loops: $N1 runs so far"

# 2. Restart (as after a reboot) in the middle of a run: the loop resumes
# by itself, and runs that started after the restart complete.
wait_for 10 eval '[ "$(phase)" = testing ]' || fail "never in testing"
stop_reliabd
T2=$(date +%s)
start_reliabd 2
wait_for 30 in_run || fail "the loop did not resume after a restart (phase $(phase))"
grep -q 'starting the playlist' "$T/reliabd-2.log" || fail "reliabd did not log the playlist start"
wait_for 40 runs_at_least 1 "$T2" || fail "no run completed after the restart: $(nruns "$T2")"
pass "after a restart the loop resumed: $(nruns "$T2") run(s) since, $(nruns) in all"

# 3. reliabctl stop ends the loop until the next start.
ctl stop >/dev/null || fail "stop"
wait_for 10 eval '! in_run' || fail "stop did not end the run"
[ "$(toxics)" = 0 ] || fail "faults left on the proxy after stop"
N2=$(nruns)
sleep 6
in_run && fail "the playlist started again after stop"
[ "$(nruns)" -le $((N2 + 1)) ] || fail "runs went on after stop: $N2 -> $(nruns)"
pass "stop ends the loop (no run for 6 s, longer than one run)"

# reliabd checks only a request's shape; the worker checks its meaning,
# and its error comes back whole: an over-long name, an out-of-range loop.
long=$(printf 'x%.0s' $(seq 200))
for args in "{\"names\":[\"$long\"]}" '{"names":["quick-latency"],"loop":0}'; do
	got=$(printf '{"id":5,"cmd":"start-scenario","args":%s}\n' "$args" |
	    "$top_builddir/tests/tools/ctlpoke" "$SOCK" send)
	echo "$got" | jq -e 'select(.id == 5) | .ok == false and
	    .error.code == "bad-arguments" and (.error.message | length) > 0' \
	    >/dev/null || fail "start-scenario $args: $got"
done
in_run && fail "a refused start-scenario started a run"
pass "an over-long name and loop 0 are refused by the worker, clearly"
stop_reliabd
start_reliabd 3
wait_for 30 in_run || fail "the loop did not come back at the next start"
pass "the next start resumes the loop"
stop_reliabd
