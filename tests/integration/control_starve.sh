#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# No local user can lock the control socket: 600 clients of other uids
# that each send one byte every 5 s (a request never completed) do not
# keep reliabctl from the daemon's own uid out, and one uid alone gets at
# most its share of the slots.
source "$top_srcdir/tests/lib/common.sh"
need curl

B=$top_builddir
[ "$(id -u)" = 0 ] || fail "needs root to run clients as other uids (the suite runs as root)"
read -r PM <<<"$(free_ports 1)"
SOCK=$T/ctl.sock
conf_alone "$SOCK" "$PM" >"$T/reliabd.conf"
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 10 "$B/reliabctl" -s "$SOCK" hello || fail "reliabd did not start"
# Other uids reach the socket through its group, as the socket's group
# members would.
chmod 711 "$T"
M=http://127.0.0.1:$PM/metrics
conns() { metric_value "$M" reliabd_control_connections; }

# One uid alone: at most 64 of the 512 slots.
bg one "$B/tests/tools/ctlhold" "$SOCK" 100 30 0 61000
ONE=$BG_PID
conns_at() { [ "$(conns)" = "$1" ]; }
wait_for 5 conns_at 64 || fail "one uid with 100 clients holds $(conns) slots, expected 64"
sleep 1
conns_at 64 || fail "one uid with 100 clients: $(conns) slots a second later"
kill -TERM "$ONE"
wait_for 5 conns_at 0 || fail "$(conns) slots still held"
pass "one uid gets 64 slots of 512"

# 600 clients of 12 uids, a byte every 5 s each, reconnecting when cut.
uids=$(seq 61001 61012)
# shellcheck disable=SC2086
bg hostile "$B/tests/tools/ctlhold" "$SOCK" 600 60 5000 $uids
HOSTILE=$BG_PID
full() { [ "$(conns)" -ge 490 ]; }
wait_for 10 full || fail "the hostile clients hold only $(conns) slots"

# reliabctl status from our own uid: answered within 1 s, every time,
# for a little longer than the clients' byte interval (every one of them
# sends a byte meanwhile).
ticks() { awk '{ print $14 + $15 }' "/proc/$RPID/stat"; }
cpu0=$(ticks)
WINDOW=7
end=$((SECONDS + WINDOW))
n=0 worst=0
while [ "$SECONDS" -lt "$end" ]; do
	t0=${EPOCHREALTIME/./}
	timeout 5 "$B/reliabctl" -s "$SOCK" status >"$T/status.out" 2>&1 ||
		fail "status refused with $(conns) hostile clients: $(cat "$T/status.out")"
	ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	[ "$ms" -gt "$worst" ] && worst=$ms
	[ "$ms" -lt 1000 ] || fail "status took $ms ms with $(conns) hostile clients (reliabd used $(( $(ticks) - cpu0 )) CPU ticks so far; load: $(cut -d' ' -f1-3 /proc/loadavg))"
	n=$((n + 1))
	sleep 0.5
done
held=$(conns)
kill -0 "$HOSTILE" || fail "the hostile clients ended early: $(cat "$T/hostile.log")"
[ "$held" -ge 490 ] || fail "the hostile clients held only $held slots at the end"
pass "$n status requests among $held hostile connections, slowest $worst ms; reliabd used $(( $(ticks) - cpu0 )) CPU ticks in $WINDOW s"
kill -TERM "$HOSTILE"
wait "$HOSTILE" || true

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
