#!/bin/bash
# ./run-lab stops everything it started and exits 0 on SIGINT, also when
# the signal reaches run-lab alone (before, /bin/sh held the trap until
# reliabd exited by itself: it never did). Prometheus too, where it is
# installed. Bounded: the whole stop within 25 s.
source "$top_srcdir/tests/lib/common.sh"
need memcached jq

B=$top_builddir
read -r -a P <<<"$(free_ports 12)"
SOCK=$T/run/control.sock
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
all_running() {
	ctl --json status >"$T/status.json" 2>/dev/null &&
		jq -e '.state == "running" and ([.children[] | select(.state != "running")] | length == 0)' \
			"$T/status.json" >/dev/null
}
alive() { kill -0 "$1" 2>/dev/null; }

# As a terminal's job: a session of its own, and SIGINT not ignored (a
# script's `&` ignores it, and /bin/sh cannot trap a signal ignored on
# entry). The SIGINT below goes to run-lab's pid only.
RUN_LAB_BUILD=$B RUN_LAB_RUN=$T/run RUN_LAB_PORTS="${P[*]}" \
	env --default-signal=INT setsid "$top_srcdir/run-lab" latency-1s \
	>"$T/runlab.log" 2>&1 &
LAB=$!
BG_PIDS+=("$LAB")
wait_for 30 all_running || fail "the lab did not come up: $(tail -n 20 "$T/runlab.log")"

# What it prints: every address of the README's table, and reliabctl on
# PATH for the shell.
for want in "127.0.0.1:${P[0]}, 127.0.0.1:${P[1]}, 127.0.0.1:${P[2]}" \
	"127.0.0.1:${P[3]}, 127.0.0.1:${P[4]}, 127.0.0.1:${P[5]}" \
	"http://127.0.0.1:${P[6]}" "http://127.0.0.1:${P[7]}/metrics" \
	"http://127.0.0.1:${P[8]}/metrics" "http://127.0.0.1:${P[9]}/metrics" \
	"http://127.0.0.1:${P[10]}/metrics" "$SOCK" "export PATH=\"$(cd "$B" && pwd):\$PATH\""; do
	grep -qF -- "$want" "$T/runlab.log" || fail "run-lab does not print $want"
done
if command -v prometheus >/dev/null 2>&1; then
	grep -qF "Prometheus                  http://127.0.0.1:${P[11]}" "$T/runlab.log" ||
		fail "run-lab does not print Prometheus's address"
fi
pass "run-lab prints every address and the PATH line"

# Everything it started: reliabd, its children, Prometheus if any.
pids="$(jq -r '.pid, (.children[].pid // empty)' "$T/status.json" | tr '\n' ' ')"
prom=$(pgrep -f -- "--storage.tsdb.path=$T/run/prometheus/tsdb" || :)
pids="$pids $prom"
[ "$(wc -w <<<"$pids")" -ge 7 ] || fail "expected reliabd and 6 children, got: $pids"
for p in $pids; do alive "$p" || fail "pid $p is not running before the stop"; done

start=$(date +%s)
kill -INT "$LAB"
gone() { ! alive "$LAB"; }
wait_for 25 gone || fail "run-lab still running 25 s after SIGINT: $(tail -n 5 "$T/runlab.log")"
rc=0
wait "$LAB" || rc=$?
took=$(($(date +%s) - start))
[ "$rc" -eq 0 ] || fail "run-lab exited $rc after SIGINT"
for p in $pids; do
	if alive "$p"; then fail "pid $p ($(ps -o comm= -p "$p")) left running"; fi
done
for p in "${P[@]}"; do
	if port_open "$p"; then fail "port $p still open after the stop"; fi
done
pass "SIGINT: exit 0 in ${took}s, reliabd, $(($(wc -w <<<"$pids") - 1)) others stopped, every port closed"
