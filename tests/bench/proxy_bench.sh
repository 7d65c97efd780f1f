#!/bin/bash
# Benchmark of reliabd-proxy with no toxic (issue 4, point 4): memcached
# throughput through the proxy as a ratio to a direct connection at 16
# connections (target >= 0.7), and the latency one proxy hop adds
# (median and p99, one connection, unloaded). Measures and reports; never
# fails on a slow machine. Run: make bench-proxy
source "$top_srcdir/tests/integration/proxy_lib.sh"
BENCH=$top_builddir/tests/bench/mcbench
SECS=${BENCH_SECS:-3}

read -r MC PL <<<"$(free_ports 2)"
start_memcached "$MC"
start_proxy --log-level=warn --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC

run() { "$BENCH" "$1" "$2" "$SECS"; }
echo "memcached direct on $MC, through reliabd-proxy on $PL; ${SECS}s per run"
# Direct and proxied runs alternate, so load from elsewhere on the machine
# weighs on both alike; the ratio is of the sums.
dsum=0
psum=0
for r in 1 2 3; do
	d16=$(run "$MC" 16); echo "round $r direct  16 conns: $d16"
	p16=$(run "$PL" 16); echo "round $r proxied 16 conns: $p16"
	dsum=$((dsum + $(field ops "$d16")))
	psum=$((psum + $(field ops "$p16")))
done
d1=$(run "$MC" 1); echo "direct   1 conn:  $d1"
p1=$(run "$PL" 1); echo "proxied  1 conn:  $p1"

ratio=$(awk -v p="$psum" -v d="$dsum" 'BEGIN {printf "%.2f", p / d}')
add50=$(awk -v p="$(field p50_us "$p1")" -v d="$(field p50_us "$d1")" \
	'BEGIN {printf "%.1f", p - d}')
add99=$(awk -v p="$(field p99_us "$p1")" -v d="$(field p99_us "$d1")" \
	'BEGIN {printf "%.1f", p - d}')
echo "throughput ratio proxied/direct at 16 connections: $ratio (target >= 0.7)"
echo "added latency per hop (1 connection): median ${add50} us, p99 ${add99} us"
stop_proxy
