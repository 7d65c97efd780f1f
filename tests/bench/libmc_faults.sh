#!/bin/bash
# What libmemcached does on each fault, measured with reliabd-loadgen
# --kind=libmemcached (docs/CLIENTS.md holds a run's figures). Three
# memcached behind reliabd-proxy; one fault at a time on m1, each in
# three phases: BASE s without it, FAULT s with it, AFTER s without it.
# Per phase, and per window of about a second during the fault (its
# length printed: scrapes take time on a loaded machine): m1's operations (reached it, or
# refused by libmemcached without a try), its errors by kind, m2 and m3's
# successes, and the p99 of m1 and of m2+m3. It measures; it never fails
# on a slow machine.
#
#   make bench-libmc      (or: top_srcdir=... top_builddir=... bash $0)
#   LIBMC_ARGS: the loadgen's options (default below); LIBMC_FAULTS: which
#   faults (default all); BASE, FAULT, AFTER: phase lengths in seconds.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/proxy_lib.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"

BASE=${BASE:-3}
FAULT=${FAULT:-8}
AFTER=${AFTER:-5}
KEYS=3000
read -r -a LIBMC_ARGS <<<"${LIBMC_ARGS:---workers=8 --rate=2000 --op-timeout=200ms --server-failure-limit=2 --retry-timeout=1s --remove-failed-servers=yes --dead-timeout=4s}"
FAULTS=${LIBMC_FAULTS:-down partition reset latency loss sigstop}

start_three_proxied

apply() {
	case $1 in
	down) expect 200 POST /proxies/m1 '{"enabled":false}' ;;
	partition) expect 200 POST /proxies/m1/toxics '{"name":"f","type":"timeout","attributes":{"timeout":0}}' ;;
	reset) expect 200 POST /proxies/m1/toxics '{"name":"f","type":"reset_peer","attributes":{"timeout":0}}' ;;
	latency) expect 200 POST /proxies/m1/toxics '{"name":"f","type":"latency","attributes":{"latency":1000}}' ;;
	loss) expect 200 POST /proxies/m1/toxics '{"name":"f","type":"loss","attributes":{"rate":0.2}}' ;;
	sigstop) kill -STOP "${MC_PIDS[1]}" ;;
	esac
}
lift() {
	case $1 in
	down) expect 200 POST /proxies/m1 '{"enabled":true}' ;;
	sigstop) kill -CONT "${MC_PIDS[1]}" ;;
	*) expect 204 DELETE /proxies/m1/toxics/f ;;
	esac
}

# m1's operations between two snaps: reached (histogram) + refused.
m1_ops() {
	awk -v a="$(completed "$1" "$2" m1)" -v b="$(errors "$1" "$2" m1 circuit_open)" \
		'BEGIN { print a + b }'
}
others_ok() {
	awk -v a="$(completed "$1" "$2" m2)" -v b="$(completed "$1" "$2" m3)" \
		-v e="$(errors "$1" "$2" m2)" -v f="$(errors "$1" "$2" m3)" \
		'BEGIN { print a + b - e - f }'
}
kinds() {
	local k out=""
	for k in timeout connection server circuit_open; do
		out="$out $k=$(errors "$1" "$2" m1 "$k")"
	done
	echo "${out# }"
}
p99() { ms "$(quantile "$1" "$2" 0.99 get "$3")"; }
phase() {
	printf '%-8s %-9s %5.1fs  m1 ops/s %7.1f  m2+m3 ok/s %7.1f  m1 p99 %8s ms  m2 p99 %6s ms  m1 errors: %s\n' \
		"$1" "$2" "$(secs_between "$3" "$4")" \
		"$(awk -v n="$(m1_ops "$3" "$4")" -v s="$(secs_between "$3" "$4")" 'BEGIN { print n / s }')" \
		"$(awk -v n="$(others_ok "$3" "$4")" -v s="$(secs_between "$3" "$4")" 'BEGIN { print n / s }')" \
		"$(p99 "$3" "$4" m1)" "$(p99 "$3" "$4" m2)" "$(kinds "$3" "$4")"
}

echo "loadgen: --kind=libmemcached ${LIBMC_ARGS[*]}; $(uptime)"
for f in $FAULTS; do
	start_loadgen --kind=libmemcached --keys=$KEYS "${LIBMC_ARGS[@]}"
	sleep 1
	snap b0; sleep "$BASE"; snap b1
	apply "$f"
	snap f0
	for i in $(seq "$FAULT"); do
		sleep 1; snap "f$i"
		printf '  %-9s window %s (%ss): m1 ops %6s  m2+m3 ok %6s  m1 errors: %s\n' \
			"$f" "$i" "$(secs_between "f$((i - 1))" "f$i")" \
			"$(m1_ops "f$((i - 1))" "f$i")" "$(others_ok "f$((i - 1))" "f$i")" \
			"$(kinds "f$((i - 1))" "f$i")"
	done
	lift "$f"
	snap a0; sleep "$AFTER"; snap a1
	phase "$f" base b0 b1
	phase "$f" fault f0 "f$FAULT"
	phase "$f" after a0 a1
	stop_loadgen
	cp "$T/loadgen.log" "$T/loadgen-$f.log"
done
