#!/bin/bash
# reliabd started by systemd-socket-activate on a socket path (what
# reliabd.socket does): it uses the socket it was passed instead of
# binding the configured one, reliabctl drives it there, its children do
# not inherit LISTEN_*, and on SIGTERM it leaves the socket to its owner.
# A passed socket of the wrong kind (TCP) is refused and reliabd binds
# its own.
source "$top_srcdir/tests/lib/common.sh"
need memcached jq systemd-socket-activate

B=$top_builddir
read -r P1 PM PT <<<"$(free_ports 3)"
ASOCK=$T/activated.sock
CSOCK=$T/configured.sock

{
conf_daemon "$CSOCK" "$PM"
conf_node memcache1 "$P1"
cat <<EOF
[proxy]
mode = external

[loadgen]
enabled = no

[scenario]
enabled = no
EOF
} >"$T/reliabd.conf"

ctl() { "$B/reliabctl" -s "$ASOCK" "$@"; }
comm_of() { cat "/proc/$1/comm" 2>/dev/null; }

bg activate systemd-socket-activate -l "$ASOCK" "$B/reliabd" -c "$T/reliabd.conf"
APID=$BG_PID
wait_for 5 test -S "$ASOCK" || fail "systemd-socket-activate did not listen"

# Nothing runs until the first connection.
sleep 0.3
[ "$(comm_of "$APID")" = systemd-socket- ] || fail "reliabd started before any connection ($(comm_of "$APID"))"
pass "socket listening, reliabd not started yet"

# The first reliabctl starts it; the activator execs reliabd in place.
ctl --json hello >"$T/hello.json" || fail "hello over the activated socket"
[ "$(jq -r .pid "$T/hello.json")" = "$APID" ] || fail "hello pid $(jq -r .pid "$T/hello.json") != $APID"
[ "$(comm_of "$APID")" = reliabd ] || fail "pid $APID is $(comm_of "$APID"), not reliabd"
grep -q 'using the control socket passed by systemd' "$T/activate.log" ||
	fail "reliabd did not say it used the passed socket"
[ -e "$CSOCK" ] && fail "reliabd bound the configured socket as well"
pass "first connection started reliabd (pid $APID) on the passed socket"

wait_for 10 eval '[ "$(ctl --json status | jq -r ".children[0].state")" = running ]' ||
	fail "memcache1 not running"
ctl status | has '^memcache1 *node *running' || fail "text status"
RELIABD_SOCKET=$ASOCK "$B/reliabctl" --json status >/dev/null || fail "RELIABD_SOCKET"
ctl reload >/dev/null || fail "reload over the activated socket"
ctl --json status | jq -e '.state == "running"' >/dev/null || fail "state after reload"
pass "status, RELIABD_SOCKET and reload over the passed socket"

MPID=$(ctl --json status | jq -r '.children[0].pid')
tr '\0' '\n' <"/proc/$MPID/environ" | grep -E '^(LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES)=' &&
	fail "memcached inherited the activation variables"
pass "memcached has no LISTEN_* variables"

kill -TERM "$APID"
for _ in $(seq 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APID" 2>/dev/null && fail "reliabd still running 10 s after SIGTERM"
wait "$APID" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "reliabd exited $rc"
[ -S "$ASOCK" ] || fail "reliabd removed the socket that systemd owns"
kill -0 "$MPID" 2>/dev/null && fail "memcached survived"
pass "SIGTERM: exit 0, children gone, the passed socket left in place"

# A TCP socket is not a control socket: reliabd ignores it and binds the
# configured path.
rm -f "$CSOCK"
bg activate-tcp systemd-socket-activate -l "127.0.0.1:$PT" "$B/reliabd" -c "$T/reliabd.conf"
TPID=$BG_PID
wait_for 5 port_open "$PT" || fail "TCP activator did not listen"
wait_for 10 "$B/reliabctl" -s "$CSOCK" hello || fail "reliabd did not fall back to $CSOCK"
grep -q 'not a listening Unix stream socket' "$T/activate-tcp.log" || fail "no warning about the TCP socket"
kill -TERM "$TPID"
wait_for 10 eval '! kill -0 '"$TPID"' 2>/dev/null' || fail "reliabd (TCP case) did not stop"
pass "a passed TCP socket is refused; reliabd binds its configured socket"
