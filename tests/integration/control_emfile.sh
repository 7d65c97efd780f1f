#!/bin/bash
# Out of fds, reliabd does not spin on its control socket: with the fd
# limit at 64 and more clients than that trying to connect, it pauses
# accepting (under 5 % CPU), and serves reliabctl again once a slot frees.
source "$top_srcdir/tests/lib/common.sh"
need prlimit

B=$top_builddir
read -r PM <<<"$(free_ports 1)"
SOCK=$T/ctl.sock
conf_alone "$SOCK" "$PM" >"$T/reliabd.conf"
bg reliabd prlimit --nofile=64 "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 10 "$B/reliabctl" -s "$SOCK" hello || fail "reliabd did not start"

# 100 clients: more than the 64 fds reliabd has; the rest wait in the
# listen backlog, so the listener stays readable and accept fails.
bg hold "$B/tests/tools/ctlhold" "$SOCK" 100 60 0
HOLD=$BG_PID
at_limit() { [ "$(find "/proc/$RPID/fd" -mindepth 1 | wc -l)" -ge 63 ]; }
wait_for 10 at_limit || fail "reliabd never reached its fd limit"

# CPU ticks (user + system) of reliabd over 3 s.
ticks() { awk '{ print $14 + $15 }' "/proc/$RPID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep 3
t1=$(ticks)
used=$((t1 - t0))
pct=$((used * 100 / (3 * hz)))
echo "reliabd at its fd limit: $used ticks in 3 s ($pct % CPU)"
[ "$pct" -lt 5 ] || fail "reliabd spins at its fd limit: $pct % CPU over 3 s"
pass "at the fd limit, $pct % CPU"

# A slot frees: reliabctl is served again.
kill -TERM "$HOLD"
wait_for 5 "$B/reliabctl" -s "$SOCK" status || fail "status not served after the clients left"
has 'accepting control clients again' <"$T/reliabd.log" || fail "no resume in the log"
pass "status served once the clients left"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
