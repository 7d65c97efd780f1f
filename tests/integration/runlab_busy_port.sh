#!/bin/bash
# ./run-lab (a /bin/sh script) refuses to start when a port it needs is
# taken: quickly, exit 1, naming the port and what holds it, with nothing
# started (before, /bin/sh had no /dev/tcp, the busy port went unseen and
# the worker on it crash-looped on its bind).
source "$top_srcdir/tests/lib/common.sh"
need memcached ss

read -r -a P <<<"$(free_ports 12)"
# Taken: the load generator's /metrics port (the 8th), by a memcached.
busy=${P[7]}
start_memcached "$busy"

start=$(date +%s)
rc=0
RUN_LAB_BUILD=$top_builddir RUN_LAB_RUN=$T/run RUN_LAB_PORTS="${P[*]}" \
	RUN_LAB_PROMETHEUS=no timeout 30 "$top_srcdir/run-lab" latency-1s \
	>"$T/runlab.log" 2>&1 || rc=$?
took=$(($(date +%s) - start))
[ "$rc" -eq 1 ] || fail "run-lab exited $rc, not 1: $(cat "$T/runlab.log")"
[ "$took" -le 10 ] || fail "run-lab took ${took}s to refuse a busy port"
grep -q "port $busy is in use by memcached (pid [0-9]*)" "$T/runlab.log" ||
	fail "the busy port and its holder not named: $(cat "$T/runlab.log")"
pass "busy port $busy refused in ${took}s: $(grep "port $busy" "$T/runlab.log" | cut -c1-80)"

# Nothing was started: no config check passed on to reliabd, no worker
# (which would have died on the bind), the other ports still free.
[ ! -e "$T/run/reliabd.conf" ] || fail "run-lab wrote a config and went on"
if grep -v '^run-lab:' "$T/runlab.log" | grep -q 'reliabd'; then
	fail "reliabd ran: $(cat "$T/runlab.log")"
fi
for p in "${P[@]}"; do
	[ "$p" = "$busy" ] && continue
	if port_open "$p"; then fail "port $p is open after a refused start"; fi
done
pass "nothing started"
