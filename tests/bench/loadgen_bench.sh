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

# get hits and misses summed over the three servers, from their own stats.
hits() {
	local h=0 m=0 p
	for p in "${P[@]}"; do
		h=$((h + $(mc_stat "$p" get_hits)))
		m=$((m + $(mc_stat "$p" get_misses)))
	done
	echo "$h $m"
}
# measured VAR CMD...: runs CMD (which prints ops/s), appends that to the
# array VAR and the get hit ratio the servers saw to VAR_hit. The clients
# must be compared at the same hit ratio: a miss costs memcached far less
# than a hit (no value to copy out).
measured() {
	local -n runs=$1 hit=${1}_hit
	local h0 m0 h1 m1
	shift
	read -r h0 m0 <<<"$(hits)"
	runs+=("$("$@")")
	read -r h1 m1 <<<"$(hits)"
	hit+=("$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) \
	    'BEGIN { if (h + m) printf "%.2f", h / (h + m); else print "n/a" }')")
}

# memaslap wants keys of 16 bytes or more; ours are about 12.
# Warm the servers: each client's key space filled (its own keys), so
# every run sees a steady hit ratio.
run_bare batched 16 >/dev/null
run_loadgen 16 >/dev/null
run_memaslap 16 >/dev/null

echo "reliabd-loadgen benchmark: $(nproc) CPUs, loadgen and bare on $THREADS thread(s), memaslap on $(nproc), ${SECS}s runs, $ROUNDS rounds, median ops/s"
echo "host: $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %10s %10s %10s %10s  %8s %8s %8s\n' conc loadgen bare bare-sync memaslap lg/bare lg/memaslap sync/memaslap
for c in $CONC; do
	lg=() bare=() sync=() mas=()
	lg_hit=() bare_hit=() sync_hit=() mas_hit=()
	pair=()
	for r in $(seq "$ROUNDS"); do
		# Every other round in reverse order: what ran just before
		# (memaslap's writes, say) must not always favour one side.
		if [ $((r % 2)) -eq 1 ]; then
			measured lg run_loadgen "$c"
			measured bare run_bare batched "$c"
			measured sync run_bare sync "$c"
			measured mas run_memaslap "$c"
		else
			measured mas run_memaslap "$c"
			measured sync run_bare sync "$c"
			measured bare run_bare batched "$c"
			measured lg run_loadgen "$c"
		fi
		pair+=("$(ratio "${lg[-1]}" "${bare[-1]}")")
	done
	l=$(echo "${lg[*]}" | median); b=$(echo "${bare[*]}" | median)
	s=$(echo "${sync[*]}" | median); m=$(echo "${mas[*]}" | median)
	printf '%-5s %10s %10s %10s %10s  %8s %8s %8s\n' "$c" "$l" "$b" "$s" "$m" \
		"$(ratio "$l" "$b")" "$(ratio "$l" "$m")" "$(ratio "$s" "$m")"
	echo "      runs: loadgen ${lg[*]} | bare ${bare[*]} | sync ${sync[*]} | memaslap ${mas[*]}"
	echo "      lg/bare round by round: ${pair[*]} (median $(echo "${pair[*]}" | median))"
	echo "      get hit ratio (median, from the servers' stats): loadgen $(echo "${lg_hit[*]}" | median) bare $(echo "${bare_hit[*]}" | median) bare-sync $(echo "${sync_hit[*]}" | median) memaslap $(echo "${mas_hit[*]}" | median)"
done
echo "bare = the same threads and batching as the loadgen, nothing else;"
echo "bare-sync = a thread per connection, blocking calls."
