#!/bin/bash
# Benchmark: reliabd-loadgen against a bare libmemcached loop and against
# memaslap (memcaslap, from libmemcached-tools), in one go against the same
# three fresh memcached, at the same concurrency (4, 16, 64 operations in
# flight), 90 % get / 10 % set, 100-byte values. Prints the loadgen's
# throughput as a ratio to each. Runs are interleaved and repeated, and the
# median taken, because the machine is shared. It reports; it never fails
# on a slow machine.
#
#   make bench-loadgen        (or: top_srcdir=... top_builddir=... bash $0)
#   BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONCURRENCY="4 16 64"
source "$top_srcdir/tests/lib/common.sh"
need memcached memcaslap

SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
CONC=${BENCH_CONCURRENCY:-"4 16 64"}
# The loadgen's own default (--threads=0: half the CPUs, at least one);
# the bare loop gets the same number.
THREADS=${BENCH_THREADS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
KEYS=10000
LOADGEN="$top_builddir/reliabd-loadgen"
BARE="$top_builddir/tests/bench/mc_bare_loop"
[ -x "$LOADGEN" ] && [ -x "$BARE" ] || fail "build reliabd-loadgen and tests/bench/mc_bare_loop first"

read -r -a P <<<"$(free_ports 3)"
for p in "${P[@]}"; do start_memcached "$p" 256; done
HOSTS=("127.0.0.1:${P[0]}" "127.0.0.1:${P[1]}" "127.0.0.1:${P[2]}")
SERVERS=(--server=m1=${HOSTS[0]} --server=m2=${HOSTS[1]} --server=m3=${HOSTS[2]})
printf 'key\n16 16 1\nvalue\n100 100 1\ncmd\n0 0.1\n1 0.9\n' >"$T/memaslap.cfg"

run_loadgen() { # conc -> ops/s
	"$LOADGEN" "${SERVERS[@]}" --metrics=127.0.0.1:0 --workers="$1" \
		--workload=get=9,set=1 --value-size=100 --keys=$KEYS \
		--threads="$THREADS" --duration="${SECS}s" --log-level=info 2>&1 |
		sed -n 's/.* failed=0 .*ops_per_sec=\([0-9]*\).*/\1/p'
}
run_bare() { # mode conc -> ops/s
	"$BARE" "$1" "$THREADS" "$2" "$SECS" 100 $KEYS "${HOSTS[@]}" |
		sed -n 's/.*errors=0 .*ops_per_sec=\([0-9]*\).*/\1/p'
}
run_memaslap() { # conc -> ops/s; memaslap gets a thread per CPU
	local t
	t=$(nproc)
	[ "$1" -lt "$t" ] && t=$1
	memcaslap -s "$(IFS=,; echo "${HOSTS[*]}")" -F "$T/memaslap.cfg" \
		-c "$1" -T "$t" -t "${SECS}s" -X 100 2>&1 |
		sed -n 's/^Run time: .* TPS: \([0-9]*\) .*/\1/p' | tail -n 1
}
median() { tr ' ' '\n' | { grep . || true; } | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# memaslap wants keys of 16 bytes or more; ours are about 12.
# Warm the servers (the value space filled) so every run sees the same hit
# ratio.
run_bare batched 16 >/dev/null

echo "reliabd-loadgen benchmark: $(nproc) CPUs, loadgen and bare on $THREADS thread(s), memaslap on $(nproc), ${SECS}s runs, $ROUNDS rounds, median ops/s"
echo "host: $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %10s %10s %10s %10s  %8s %8s %8s\n' conc loadgen bare bare-sync memaslap lg/bare lg/memaslap sync/memaslap
for c in $CONC; do
	lg=() bare=() sync=() mas=()
	pair=()
	for r in $(seq "$ROUNDS"); do
		# Every other round in reverse order: what ran just before
		# (memaslap's writes, say) must not always favour one side.
		if [ $((r % 2)) -eq 1 ]; then
			lg+=("$(run_loadgen "$c")")
			bare+=("$(run_bare batched "$c")")
			sync+=("$(run_bare sync "$c")")
			mas+=("$(run_memaslap "$c")")
		else
			mas+=("$(run_memaslap "$c")")
			sync+=("$(run_bare sync "$c")")
			bare+=("$(run_bare batched "$c")")
			lg+=("$(run_loadgen "$c")")
		fi
		pair+=("$(ratio "${lg[-1]}" "${bare[-1]}")")
	done
	l=$(echo "${lg[*]}" | median); b=$(echo "${bare[*]}" | median)
	s=$(echo "${sync[*]}" | median); m=$(echo "${mas[*]}" | median)
	printf '%-5s %10s %10s %10s %10s  %8s %8s %8s\n' "$c" "$l" "$b" "$s" "$m" \
		"$(ratio "$l" "$b")" "$(ratio "$l" "$m")" "$(ratio "$s" "$m")"
	echo "      runs: loadgen ${lg[*]} | bare ${bare[*]} | sync ${sync[*]} | memaslap ${mas[*]}"
	echo "      lg/bare round by round: ${pair[*]} (median $(echo "${pair[*]}" | median))"
done
echo "bare = the same threads and batching as the loadgen, nothing else;"
echo "bare-sync = a thread per connection, blocking calls."
