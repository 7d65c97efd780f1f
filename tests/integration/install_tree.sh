#!/bin/bash
# `make install DESTDIR=...` puts every piece where it belongs, nothing
# installed refers to the build tree, and the installed reliabd, run from
# that tree with the installed config (moved to temp paths and free
# ports) and run as the unit runs it (no root, no capabilities), runs the
# whole lab and answers the installed reliabctl. The
# installed units pass `systemd-analyze verify`, the sysusers.d and
# tmpfiles.d files work with systemd-sysusers/systemd-tmpfiles --root,
# the bash completion completes from the running daemon, a reinstall
# keeps an edited config and uninstall removes exactly what install put.
source "$top_srcdir/tests/lib/common.sh"
need jq memcached systemd-analyze systemd-sysusers systemd-tmpfiles

B=$top_builddir
R=$T/root
# The automake harness's jobserver is not ours.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" "$@"; }
# The build's own value of a make variable (prefix, sbindir, ...).
# (A file, not <(...): make re-reads its makefiles if it remakes one.)
printf 'print-%%:\n\t@echo $(%s)\n' '$*' >"$T/print.mk"
mkvar() { mk -f Makefile -f "$T/print.mk" "print-$1"; }

for v in prefix bindir sbindir sysconfdir datadir pkgdatadir mandir docdir systemdsystemunitdir; do
	val=$(mkvar "$v")
	[ -n "$val" ] || fail "cannot read $v from the build"
	printf -v "$v" '%s' "$val"
done

mk install DESTDIR="$R" >"$T/install.log" 2>&1 || fail "make install: $(tail -n 20 "$T/install.log")"
pass "make install DESTDIR (prefix $prefix)"

# 1. Everything where it belongs.
for f in "$sbindir"/reliabd "$sbindir"/reliabd-loadgen "$sbindir"/reliabd-proxy \
	"$sbindir"/reliabd-scenario "$bindir"/reliabctl \
	"$docdir"/examples/pymemcache_client.py; do
	[ -x "$R$f" ] || fail "not installed: $f"
done
for f in "$sysconfdir"/reliabd/reliabd.conf "$docdir"/examples/reliabd.conf \
	"$systemdsystemunitdir"/reliabd.service "$systemdsystemunitdir"/reliabd.socket \
	"$prefix"/lib/sysusers.d/reliabd.conf "$prefix"/lib/tmpfiles.d/reliabd.conf \
	"$datadir"/bash-completion/completions/reliabctl \
	"$docdir"/GETTING_STARTED.md "$docdir"/SCENARIO_GUIDE.md "$docdir"/ADDING_SCENARIOS.md \
	"$mandir"/man8/reliabd.8 "$mandir"/man8/reliabctl.8 "$mandir"/man8/reliabd-loadgen.8 \
	"$mandir"/man8/reliabd-proxy.8 "$mandir"/man8/reliabd-scenario.8 \
	"$mandir"/man5/reliabd.conf.5 "$mandir"/man5/reliabd.scenario.5; do
	[ -f "$R$f" ] || fail "not installed: $f"
done
[ -d "$R$sysconfdir/reliabd/scenarios.d" ] || fail "no scenarios.d"
NCAT=$(find "$R$pkgdatadir/scenarios" -name '*.json' | wc -l)
[ "$NCAT" -ge 20 ] || fail "only $NCAT scenarios installed"
# Installed text names no build or source path (make distcheck's prefix
# lies inside its source tree: installed paths are taken out first).
grep -rIl "" "$R" | while read -r f; do
	if sed "s|$prefix||g" "$f" | has -F -e "$B" -e "$top_srcdir"; then
		echo "$f"
	fi
done >"$T/leaks.txt"
[ ! -s "$T/leaks.txt" ] || fail "installed files refer to the build tree: $(cat "$T/leaks.txt")"
grep -qx "worker_dir *= *$sbindir" "$R$sysconfdir/reliabd/reliabd.conf" ||
	fail "installed config's worker_dir is not $sbindir"
grep -q "^ExecStart=$sbindir/reliabd -c $sysconfdir/reliabd/reliabd.conf\$" \
	"$R$systemdsystemunitdir/reliabd.service" || fail "ExecStart paths"
pass "binaries, config, $NCAT scenarios, units, sysusers, tmpfiles, man, docs, completion; no build paths"

# 2. systemd-analyze verify: silent on the installed units. ExecStart
# must exist, so a copy points into the DESTDIR tree; MANPATH lets it
# check the Documentation= pages against the installed ones.
mkdir -p "$T/units"
cp "$R$systemdsystemunitdir"/reliabd.service "$R$systemdsystemunitdir"/reliabd.socket "$T/units/"
sed -i "s|$sbindir/|$R$sbindir/|g; s|$sysconfdir/|$R$sysconfdir/|g" "$T/units/reliabd.service"
out=$(cd "$T/units" && MANPATH=$R$mandir systemd-analyze verify ./reliabd.socket ./reliabd.service 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
for key in Type=notify WatchdogSec= Restart=on-failure User=reliabd RuntimeDirectory=reliabd \
	StateDirectory=reliabd ProtectSystem=strict NoNewPrivileges=yes KillMode=; do
	grep -q "^$key" "$T/units/reliabd.service" || fail "reliabd.service lacks $key"
done
grep -q '^ListenStream=/run/reliabd/control.sock$' "$T/units/reliabd.socket" || fail "socket path"
pass "systemd-analyze verify: silent on reliabd.service and reliabd.socket"

# 3. sysusers.d and tmpfiles.d do what they say, in a scratch root.
S=$T/sysroot
mkdir -p "$S/etc"
systemd-sysusers --root="$S" "$R$prefix/lib/sysusers.d/reliabd.conf" >"$T/sysusers.log" 2>&1 ||
	fail "systemd-sysusers: $(cat "$T/sysusers.log")"
RUID=$(awk -F: '$1 == "reliabd" { print $3 }' "$S/etc/passwd")
[ -n "$RUID" ] && grep -q '^reliabd:' "$S/etc/group" || fail "sysusers made no reliabd user/group"
systemd-tmpfiles --root="$S" --create "$R$prefix/lib/tmpfiles.d/reliabd.conf" >"$T/tmpfiles.log" 2>&1 ||
	fail "systemd-tmpfiles: $(cat "$T/tmpfiles.log")"
for d in run/reliabd var/lib/reliabd; do
	[ "$(stat -c '%u %a' "$S/$d")" = "$RUID 750" ] || fail "$d: $(stat -c '%u %a' "$S/$d"), not $RUID 750"
done
pass "sysusers.d makes reliabd (uid $RUID); tmpfiles.d makes its directories 0750"

# 4. The installed reliabd from the DESTDIR tree, with the installed config
# moved to temp paths and free ports, run as the unit runs it: an
# unprivileged user (nobody here), no capabilities, no new privileges.
read -r -a P <<<"$(free_ports 10)"
NOBODY=65534
chmod 755 "$T"
mkdir -p "$T/run" "$T/state"
chown "$NOBODY:$NOBODY" "$T/run" "$T/state"
SOCK=$T/run/control.sock
sed -e "s|^control_socket .*|control_socket = $SOCK|" \
	-e "s|^state_dir .*|state_dir      = $T/state|" \
	-e "s|^worker_dir .*|worker_dir     = $R$sbindir|" \
	-e "s|^scenario_dir .*|scenario_dir = $R$sysconfdir/reliabd/scenarios.d\\ncatalogue_dir = $R$pkgdatadir/scenarios|" \
	-e "s|^workers  = 16|workers  = 2\\nrate     = 200|" \
	-e "s|:11211\$|:${P[0]}|; s|:11212\$|:${P[1]}|; s|:11213\$|:${P[2]}|" \
	-e "s|:21211\$|:${P[3]}|; s|:21212\$|:${P[4]}|; s|:21213\$|:${P[5]}|" \
	-e "s|:8474\$|:${P[6]}|; s|:9090\$|:${P[7]}|; s|:9091\$|:${P[8]}|; s|:9092\$|:${P[9]}|" \
	-e "s|:9093\$|:0|" \
	"$R$sysconfdir/reliabd/reliabd.conf" >"$T/reliabd.conf"
if grep -vE '^[[:space:]]*[#;]' "$T/reliabd.conf" |
	grep -E ':(1121[1-3]|2121[1-3]|8474|909[0-3])$|/run/reliabd|/var/lib'; then
	fail "config still has installed-system ports or paths"
fi
"$R$sbindir/reliabd" -t -c "$T/reliabd.conf" >/dev/null || fail "installed reliabd -t"
chmod 644 "$T/reliabd.conf"
need setpriv
bg reliabd setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all "$R$sbindir/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
ctl() { "$R$bindir/reliabctl" -s "$SOCK" "$@"; }
all_running() {
	ctl --json status >"$T/status.json" &&
		[ "$(jq '[.children[] | select(.state == "running")] | length' "$T/status.json")" = 6 ]
}
wait_for 30 all_running || fail "not every child running: $(jq -c '[.children[] | {name, state}]' "$T/status.json")"
for k in loadgen proxy scenario; do
	pid=$(jq -r ".children[] | select(.kind == \"$k\") | .pid" "$T/status.json")
	exe=$(readlink "/proc/$pid/exe")
	[ "$exe" = "$R$sbindir/reliabd-$k" ] || fail "$k runs $exe, not the installed one"
done
for pid in $RPID $(jq -r '.children[].pid' "$T/status.json"); do
	[ "$(stat -c %u "/proc/$pid")" = $NOBODY ] || fail "pid $pid does not run as uid $NOBODY"
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$pid/status" || fail "pid $pid has capabilities"
done
pass "installed reliabd runs 3 nodes, proxy, loadgen, scenario from $R$sbindir, as uid $NOBODY without capabilities"

# The load flows through the installed proxy to the installed nodes.
load_ok() { ctl --json status | jq -e '.load.ops_rate > 50 and .load.error_rate < 0.05' >/dev/null; }
wait_for 15 load_ok || fail "no healthy load: $(ctl --json status | jq -c .load)"
ctl --json list >"$T/list.json" || fail "list"
NL=$(jq '[.scenarios[] | select(.source == "builtin")] | length' "$T/list.json")
[ "$NL" = "$NCAT" ] || fail "list shows $NL built-in scenarios, $NCAT installed"
pass "load healthy through the proxy; reliabctl list shows the $NL installed scenarios"

# 5. The bash completion, installed, asks the running daemon.
comp() { # WORDS...: what completing the last word offers
	PATH="$R$bindir:$PATH" bash -c '
		source "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_reliabctl reliabctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' \
		"$R$datadir/bash-completion/completions/reliabctl" "$@" | sort
}
[ "$(comp reliabctl st | tr '\n' ' ')" = "start-scenario status stop " ] ||
	fail "completing 'st': $(comp reliabctl st | tr '\n' ' ')"
comp reliabctl -s "$SOCK" start-scenario latency- >"$T/comp.txt"
grep -qx latency-1s "$T/comp.txt" && grep -qx latency-100ms "$T/comp.txt" ||
	fail "completing scenario names: $(tr '\n' ' ' <"$T/comp.txt")"
[ "$(comp reliabctl -s "$SOCK" node-restart memc | tr '\n' ' ')" = "memcache1 memcache2 memcache3 " ] ||
	fail "completing node names: $(comp reliabctl -s "$SOCK" node-restart memc | tr '\n' ' ')"
pass "bash completion: commands, scenario names and nodes from the running daemon"

kill -TERM "$RPID"
wait_for 20 eval '! kill -0 '"$RPID"' 2>/dev/null' || fail "installed reliabd did not stop"

# 6. A reinstall keeps an edited config; uninstall removes what install
# put and nothing else.
CONF=$R$sysconfdir/reliabd/reliabd.conf
echo '# edited by the operator' >>"$CONF"
mk install DESTDIR="$R" >"$T/install2.log" 2>&1 || fail "second make install"
tail -n 1 "$CONF" | has 'edited by the operator' || fail "reinstall overwrote an edited config"
mk uninstall DESTDIR="$R" >"$T/uninstall.log" 2>&1 || fail "make uninstall: $(tail "$T/uninstall.log")"
find "$R" -type f >"$T/left.txt"
[ "$(cat "$T/left.txt")" = "$CONF" ] || fail "after uninstall: $(cat "$T/left.txt")"
rm -f "$CONF"
mk install DESTDIR="$R" >"$T/install3.log" 2>&1 || fail "third make install"
mk uninstall DESTDIR="$R" >"$T/uninstall2.log" 2>&1 || fail "second make uninstall"
[ -z "$(find "$R" -type f)" ] || fail "after uninstall of a pristine install: $(find "$R" -type f)"
pass "reinstall keeps an edited config; uninstall leaves only it, or nothing"
