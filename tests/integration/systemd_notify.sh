#!/bin/bash
# reliabd under a real NOTIFY_SOCKET (tests/tools/notify_listen in the
# place of systemd): READY=1 only once the control socket answers and
# every worker is running, STATUS= lines, WATCHDOG=1 at half of
# WATCHDOG_USEC, RELOADING=1 then READY=1 around SIGHUP, a bad config on
# SIGHUP refused with the old one kept, STOPPING=1 on SIGTERM; children
# never inherit NOTIFY_SOCKET, the watchdog or the activation variables.
source "$top_srcdir/tests/lib/common.sh"
need memcached jq

B=$top_builddir
read -r P1 PM PL <<<"$(free_ports 3)"
SOCK=$T/ctl.sock
NSOCK=$T/notify.sock
NLOG=$T/notify.log

# The loadgen is reached through a wrapper that waits before it execs the
# real one, so "every worker running" comes well after the control socket
# is up and the two moments can be told apart.
DELAY=2.5
mkdir -p "$T/workers"
cat >"$T/workers/reliabd-loadgen" <<EOF
#!/bin/bash
sleep $DELAY
exec "$B/reliabd-loadgen" "\$@"
EOF
chmod +x "$T/workers/reliabd-loadgen"

write_conf() { # $1: the loadgen's workers
	{
	conf_daemon "$SOCK" "$PM" "$T/workers"
	conf_node memcache1 "$P1"
	cat <<EOF
[proxy]
mode = external

[loadgen]
metrics = 127.0.0.1:$PL
workers = $1
rate    = 50

[scenario]
enabled = no
EOF
	} >"$T/reliabd.conf"
}

ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_field() { ctl --json status | jq -r ".children[] | select(.name==\"$1\") | .$2"; }
now() { date +%s.%N; }
# notify_lines PREFIX: the listener's lines starting with PREFIX, in order.
notify_lines() { grep -E "^[0-9.]+ $1" "$NLOG" || true; }
count() { notify_lines "$1" | wc -l; }
notify_has() { [ "$(count "$1")" -ge "${2:-1}" ]; }
# after N KEY: is there a KEY line after line N of the log?
after() { tail -n "+$(($1 + 1))" "$NLOG" | has "^[0-9.]* $2"; }

write_conf 1
"$B/reliabd" -c "$T/reliabd.conf" -t >/dev/null || fail "config check"

bg notify "$B/tests/tools/notify_listen" "$NSOCK"
wait_for 5 test -S "$NSOCK" || fail "notify listener did not start"

# exec keeps the pid, so WATCHDOG_PID names reliabd itself.
T0=$(now)
bg reliabd env NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=2000000 \
	LISTEN_FDNAMES=stale \
	bash -c 'export WATCHDOG_PID=$$; exec "$0" -c "$1"' \
	"$B/reliabd" "$T/reliabd.conf"
RPID=$BG_PID

# 1. The control socket answers while the loadgen is still starting, and
# READY=1 has not been sent yet.
wait_for 5 ctl hello || fail "control socket never answered"
T_SOCK=$(now)
notify_has READY=1 && fail "READY=1 before the loadgen was running: $(cat "$NLOG")"
[ "$(child_field loadgen state)" = starting ] ||
	fail "loadgen should still be starting, is $(child_field loadgen state)"
pass "control socket answers before READY=1 (loadgen starting)"

# 2. READY=1 comes once the loadgen runs, and the status says so.
wait_for 15 notify_has READY=1 || fail "no READY=1: $(cat "$NLOG")"
T_READY=$(notify_lines READY=1 | head -n1 | cut -d' ' -f1)
[ "$(child_field loadgen state)" = running ] || fail "READY=1 but loadgen not running"
[ "$(child_field memcache1 state)" = running ] || fail "READY=1 but memcache1 not running"
awk -v a="$T_SOCK" -v r="$T_READY" -v s="$T0" -v d="$DELAY" \
	'BEGIN { exit !(r > a && r - s >= d - 0.1) }' ||
	fail "READY=1 at $T_READY: socket answered at $T_SOCK, start $T0, delay $DELAY"
pass "READY=1 $(awk -v r="$T_READY" -v s="$T0" 'BEGIN{printf "%.2f", r - s}') s after start, after the socket answered"

# 3. STATUS= lines: one line, counting the children.
notify_has STATUS= || fail "no STATUS= line"
notify_lines STATUS= | has 'STATUS=.*2/2 children up' ||
	fail "no STATUS with 2/2 children up: $(notify_lines STATUS=)"
notify_lines STATUS= | has 'STATUS=.*ops/s' || wait_for 5 eval \
	'notify_lines STATUS= | has "ops/s"' || fail "STATUS never shows the load: $(notify_lines STATUS=)"
pass "STATUS: $(notify_lines STATUS= | tail -n1 | cut -d' ' -f2-)"

# 4. WATCHDOG=1 every ~1 s (half of WATCHDOG_USEC=2 s): over a 4.5 s
# window expect 4 or 5 pings, intervals between 0.6 and 1.7 s (a 2 s or
# 0.5 s period fails).
N0=$(wc -l <"$NLOG")
sleep 4.5
tail -n "+$((N0 + 1))" "$NLOG" | grep ' WATCHDOG=1$' | cut -d' ' -f1 >"$T/wd.txt"
NW=$(wc -l <"$T/wd.txt")
[ "$NW" -ge 3 ] && [ "$NW" -le 7 ] || fail "$NW watchdog pings in 4.5 s: $(cat "$T/wd.txt")"
awk 'NR > 1 { d = $1 - p; if (d < 0.6 || d > 1.7) bad = bad " " d } { p = $1 }
	END { if (bad != "") { print "intervals:" bad; exit 1 } }' "$T/wd.txt" ||
	fail "watchdog period off"
pass "$NW WATCHDOG=1 pings in 4.5 s, intervals 0.6..1.7 s"

# 5. Children inherit none of the systemd variables.
for c in memcache1 loadgen; do
	pid=$(child_field "$c" pid)
	[ -r "/proc/$pid/environ" ] || fail "$c: no /proc/$pid/environ"
	tr '\0' '\n' <"/proc/$pid/environ" >"$T/env-$c.txt"
	if grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID|LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES)=' \
		"$T/env-$c.txt"; then
		fail "$c inherited systemd variables"
	fi
done
# The check above reads the right thing: reliabd itself has them.
tr '\0' '\n' <"/proc/$RPID/environ" | has "^NOTIFY_SOCKET=$NSOCK$" ||
	fail "reliabd's own environ lacks NOTIFY_SOCKET"
pass "memcached and the loadgen have no NOTIFY_SOCKET/WATCHDOG_*/LISTEN_*"

# 6. SIGHUP with a changed config: RELOADING=1, then READY=1; the change
# is applied (the loadgen restarts with 2 workers).
LG_PID=$(child_field loadgen pid)
N0=$(wc -l <"$NLOG")
write_conf 2
kill -HUP "$RPID"
wait_for 10 after "$N0" READY=1 || fail "no READY=1 after SIGHUP: $(tail -n +$((N0 + 1)) "$NLOG")"
tail -n "+$((N0 + 1))" "$NLOG" | grep -E ' (RELOADING|READY)=1$' | cut -d' ' -f2 >"$T/reload.txt"
[ "$(head -n1 "$T/reload.txt")" = RELOADING=1 ] && grep -qx READY=1 "$T/reload.txt" ||
	fail "expected RELOADING=1 then READY=1, got: $(cat "$T/reload.txt")"
tail -n "+$((N0 + 1))" "$NLOG" | has ' MONOTONIC_USEC=[0-9]*$' ||
	fail "RELOADING=1 without MONOTONIC_USEC"
wait_for 10 eval '[ "$(child_field loadgen pid)" != "$LG_PID" ]' ||
	fail "the loadgen was not restarted with the new options"
wait_for 10 eval '[ "$(child_field loadgen state)" = running ]' || fail "loadgen not back"
tr '\0' '\n' <"/proc/$(child_field loadgen pid)/environ" |
	has -E '^(NOTIFY_SOCKET|WATCHDOG_PID)=' && fail "restarted loadgen inherited NOTIFY_SOCKET"
pass "SIGHUP: RELOADING=1 then READY=1, new config applied"

# 7. SIGHUP with a broken config: refused, the running one stays.
MC_PID=$(child_field memcache1 pid)
LG_PID=$(child_field loadgen pid)
cp "$T/reliabd.conf" "$T/good.conf"
printf '[daemon]\nbogus_key = 1\n' >"$T/reliabd.conf"
N0=$(wc -l <"$NLOG")
kill -HUP "$RPID"
wait_for 10 after "$N0" READY=1 || fail "no READY=1 after a refused reload"
wait_for 5 grep -q 'reload refused' "$T/reliabd.log" || fail "log does not say the reload was refused"
grep 'reload refused' "$T/reliabd.log" | has bogus_key || fail "refusal does not name the bad key"
ctl status >/dev/null || fail "status after a refused reload"
[ "$(child_field memcache1 pid)" = "$MC_PID" ] && [ "$(child_field loadgen pid)" = "$LG_PID" ] ||
	fail "children changed after a refused reload"
[ "$(child_field loadgen state)" = running ] || fail "loadgen not running after refused reload"
kill -0 "$RPID" || fail "reliabd died on a bad config"
cp "$T/good.conf" "$T/reliabd.conf"
pass "bad config on SIGHUP refused; old config keeps running"

# 8. SIGTERM: STOPPING=1, every child gone, exit 0.
N0=$(wc -l <"$NLOG")
kill -TERM "$RPID"
for _ in $(seq 100); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RPID" 2>/dev/null && fail "reliabd still running 10 s after SIGTERM"
wait "$RPID" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "reliabd exited $rc after SIGTERM"
after "$N0" STOPPING=1 || fail "no STOPPING=1: $(tail -n +$((N0 + 1)) "$NLOG")"
for p in "$MC_PID" "$LG_PID"; do
	kill -0 "$p" 2>/dev/null && fail "child $p survived reliabd"
done
pass "SIGTERM: STOPPING=1, children gone, exit 0"
