#!/bin/bash
# Benchmark: reliabd-loadgen against memaslap (memcaslap, libmemcached-
# tools), direct to one fresh memcached, at 4, 16 and 64 operations in
# flight, the two interleaved in one run (each round: memaslap c=4, loadgen
# c=4, memaslap c=16, ...; every other round the other way round, so what
# ran just before favours neither). The loadgen runs with everything on:
# breakers, pools, integrity checking, /metrics served.
#
# The same work on both sides:
#   - in flight: memaslap -c N is N connections with one request each
#     (single gets, -d 1); the loadgen --workers=N --pipeline=1
#     --connections=N is N independent callers, one request each;
#   - 90 % get / 10 % set, no delete; 16-byte keys (the loadgen's prefix
#     makes most of its keys 16 bytes), 100-byte values;
#   - hits: memaslap only gets what it has set (its hit ratio is 1); the
#     loadgen's key space is written before the first round. Each run's
#     hit ratio, from memcached's own stats (get_hits / cmd_get), is
#     printed beside it;
#   - keys: the loadgen's 10000; memaslap's is its task window, 1k keys per
#     concurrency at the least (it refuses less), so 4096 to 65536: every
#     key is in memcached's memory either way.
# It measures and reports ratios; it never fails on a slow machine.
#
#   make bench-loadgen        (or: top_srcdir=... top_builddir=... bash $0)
#   BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONCURRENCY="4 16 64"
#   BENCH_THREADS (loadgen --threads, default its own: 0, a loop per 8
#   workers, at most one per CPU)
source "$top_srcdir/tests/lib/common.sh"
need memcached memcaslap

SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
CONC=${BENCH_CONCURRENCY:-"4 16 64"}
THREADS=${BENCH_THREADS:-0}
KEYS=10000
PREFIX=reliabd:b:k:   # 12 bytes + 4 digits for 9000 of the 10000 keys
VALUE=100
LOADGEN="$top_builddir/reliabd-loadgen"
[ -x "$LOADGEN" ] || fail "build reliabd-loadgen first"
# An engine from before --pipeline (one request per connection anyway)
# can still be measured.
PIPE=(--pipeline=1)
"$LOADGEN" --help | has -- --pipeline || PIPE=()

read -r P <<<"$(free_ports 1)"
start_memcached "$P" 256
HOST=127.0.0.1:$P
printf 'key\n16 16 1\nvalue\n%s %s 1\ncmd\n0 0.1\n1 0.9\n' $VALUE $VALUE >"$T/memaslap.cfg"

# Each prints ops/s (and nothing on a failure).
run_loadgen() {
	local out
	out=$("$LOADGEN" --server=m1=$HOST --metrics=127.0.0.1:0 \
		--workers="$1" "${PIPE[@]}" --connections="$1" \
		--threads="$THREADS" --workload=get=9,set=1,delete=0 \
		--value-size=$VALUE --keys=$KEYS --key-prefix=$PREFIX \
		--duration="${SECS}s" --log-level=info 2>&1)
	local failed
	failed=$(sed -n 's/.* done: .* failed=\([0-9]*\) .*/\1/p' <<<"$out")
	[ "${failed:-x}" = 0 ] || echo "note: loadgen c=$1: failed=${failed:-?}: $(tail -n 3 <<<"$out" | tr '\n' ' ')" >&2
	sed -n 's/.* done: .*ops_per_sec=\([0-9]*\).*/\1/p' <<<"$out"
}
run_memaslap() { # a thread per CPU, at most one per concurrency
	local t
	t=$(nproc)
	[ "$1" -lt "$t" ] && t=$1
	memcaslap -s $HOST -F "$T/memaslap.cfg" -c "$1" -T "$t" -d 1 -w 1k \
		-t "${SECS}s" 2>&1 |
		sed -n 's/^Run time: .* TPS: \([0-9]*\) .*/\1/p' | tail -n 1
}
stat2() { echo "$(mc_stat "$P" get_hits) $(mc_stat "$P" cmd_get)"; }
# measured VAR CONC CMD...: runs CMD CONC; appends its ops/s to VAR and the
# hit ratio memcached saw to VAR_hit.
measured() {
	local -n runs=$1 hit=${1}_hit
	local h0 g0 h1 g1 c=$2
	shift 2
	read -r h0 g0 <<<"$(stat2)"
	runs+=("$("$@" "$c")")
	read -r h1 g1 <<<"$(stat2)"
	hit+=("$(awk -v h=$((h1 - h0)) -v g=$((g1 - g0)) 'BEGIN { if (g) printf "%.3f", h / g; else print "n/a" }')")
}
median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Warm-up: the loadgen's key space written (sets only), memaslap once.
"$LOADGEN" --server=m1=$HOST --metrics=127.0.0.1:0 --workers=16 \
	--workload=get=0,set=1,delete=0 --value-size=$VALUE --keys=$KEYS \
	--key-prefix=$PREFIX --duration=4s --log-level=warn >/dev/null 2>&1 ||
	fail "warm-up run of the loadgen failed"
run_memaslap 16 >/dev/null

echo "reliabd-loadgen against memaslap: $(nproc) CPUs, ${SECS} s runs, $ROUNDS rounds, one memcached (-t 2)"
echo "host: $(uname -sr)"
echo "load before: $(uptime)"
echo "work: 90 % get / 10 % set, keys 16 bytes (loadgen: $PREFIX + index; memaslap: 16), values $VALUE bytes;"
echo "      keys: loadgen $KEYS, memaslap 1024 per concurrency; loadgen --threads=$THREADS (0: a loop per 8 workers, at most one per CPU), memaslap -T min(CPUs, c)"
declare -A LG MS LGH MSH
for r in $(seq "$ROUNDS"); do
	for c in $CONC; do
		lg=() mas=() lg_hit=() mas_hit=()
		if [ $((r % 2)) -eq 1 ]; then
			measured mas "$c" run_memaslap
			measured lg "$c" run_loadgen
		else
			measured lg "$c" run_loadgen
			measured mas "$c" run_memaslap
		fi
		LG[$c]+="${lg[0]} " MS[$c]+="${mas[0]} "
		LGH[$c]+="${lg_hit[0]} " MSH[$c]+="${mas_hit[0]} "
	done
done
echo "load after:  $(uptime)"
printf '%-5s %10s %10s %8s  %s\n' conc loadgen memaslap lg/mas "ratio by round (min-max)"
for c in $CONC; do
	l=$(echo "${LG[$c]}" | median) m=$(echo "${MS[$c]}" | median)
	read -r -a lgs <<<"${LG[$c]}"
	read -r -a mss <<<"${MS[$c]}"
	rs=()
	for i in "${!lgs[@]}"; do rs+=("$(ratio "${lgs[i]}" "${mss[i]:-0}")"); done
	spread=$(printf '%s\n' "${rs[@]}" | grep -v n/a | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi; else print "n/a" }')
	printf '%-5s %10s %10s %8s  %s (%s)\n' "$c" "$l" "$m" "$(ratio "$l" "$m")" "${rs[*]}" "$spread"
	echo "      runs: loadgen ${LG[$c]}| memaslap ${MS[$c]}"
	echo "      get hit ratio (memcached's stats): loadgen ${LGH[$c]}| memaslap ${MSH[$c]}"
done
echo "median ops/s over the rounds; lg/mas is the ratio of the medians."
