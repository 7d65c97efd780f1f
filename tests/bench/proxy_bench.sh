#!/bin/bash
# Benchmark of reliabd-proxy with no toxic (issue 4, point 4): memcached
# throughput through the proxy as a ratio to a direct connection at 16
# connections (target >= 0.7), and the latency one proxy hop adds
# (median and p99, one connection, unloaded). Measures and reports; never
# fails on a slow machine. Run: make bench-proxy
#
# When haproxy is installed (it is not a dependency: apt-get install
# haproxy), the same runs go through it too, in TCP mode with a thread per
# CPU, as a reference for what a mature user-space proxy reaches on the
# same machine.
source "$top_srcdir/tests/integration/proxy_lib.sh"
BENCH=$top_builddir/tests/bench/mcbench
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}

read -r MC PL PH <<<"$(free_ports 3)"
start_memcached "$MC"
start_proxy --log-level=warn --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC
targets=("direct:$MC" "reliabd-proxy:$PL")
if has_haproxy=$(command -v haproxy); then
	cat >"$T/haproxy.cfg" <<-EOF
	global
	  nbthread $(nproc)
	defaults
	  mode tcp
	  timeout connect 5s
	  timeout client 60s
	  timeout server 60s
	listen mc
	  bind 127.0.0.1:$PH
	  server m 127.0.0.1:$MC
	EOF
	bg haproxy haproxy -f "$T/haproxy.cfg" -db
	wait_for 10 port_open "$PH" || fail "haproxy did not start"
	targets+=("haproxy:$PH")
else
	echo "haproxy not installed: no reference proxy measured"
fi

run() { "$BENCH" "$1" "$2" "$SECS"; }
echo "memcached on $MC; ${SECS}s per run, $ROUNDS rounds, 16 connections, one get in flight each"
# The targets alternate, so load from elsewhere on the machine weighs on
# all alike; the ratios are of the sums.
declare -A sum
for r in $(seq "$ROUNDS"); do
	for t in "${targets[@]}"; do
		out=$(run "${t#*:}" 16)
		printf 'round %s %-14s %s\n' "$r" "${t%%:*}" "$out"
		sum[${t%%:*}]=$(( ${sum[${t%%:*}]:-0} + $(field ops "$out") ))
	done
done
for t in "${targets[@]:1}"; do
	n=${t%%:*}
	echo "throughput ratio $n/direct at 16 connections: $(awk -v p="${sum[$n]}" \
		-v d="${sum[direct]}" 'BEGIN {printf "%.2f", p / d}')$([ "$n" = reliabd-proxy ] && echo " (target >= 0.7)")"
done

d1=$(run "$MC" 1); echo "direct   1 conn:  $d1"
p1=$(run "$PL" 1); echo "proxied  1 conn:  $p1"
add50=$(awk -v p="$(field p50_us "$p1")" -v d="$(field p50_us "$d1")" \
	'BEGIN {printf "%.1f", p - d}')
add99=$(awk -v p="$(field p99_us "$p1")" -v d="$(field p99_us "$d1")" \
	'BEGIN {printf "%.1f", p - d}')
echo "added latency per hop (1 connection): median ${add50} us, p99 ${add99} us"
stop_proxy
