#!/bin/bash
# Issue 11, point 6: workers are cheap. With --workers=4096 (closed loop,
# every worker busy) the loadgen's peak RSS stays under 64 MiB, and its
# thread count is --threads plus a fixed few: the same as with 16 workers,
# and at most 4 more than --threads.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl memcached

THREADS=2
start_three

# run W: a closed-loop run of W workers for 2 s under load; sets THR (its
# most threads seen) and HWM (peak RSS, kB).
run() {
	rm -f "$T/loadgen.log"
	start_loadgen --workers="$1" --threads=$THREADS --connections=64 \
		--keys=10000 --workload=mixed
	wait_for 10 above memcache_operations_rate 100 || fail "$1 workers: no load"
	THR=0
	for _ in $(seq 10); do
		n=$(status_field "$LG_PID" Threads)
		[ "$n" -le "$THR" ] || THR=$n
		sleep 0.2
	done
	HWM=$(status_field "$LG_PID" VmHWM)
	stop_loadgen
}
run 16
thr16=$THR hwm16=$HWM
run 4096
echo "16 workers: $thr16 threads, peak RSS $((hwm16 / 1024)) MiB; 4096 workers: $THR threads, peak RSS $((HWM / 1024)) MiB"
[ "$HWM" -lt $((64 * 1024)) ] || fail "4096 workers: peak RSS $((HWM / 1024)) MiB (>= 64 MiB)"
[ "$THR" -le $((THREADS + 4)) ] || fail "4096 workers: $THR threads for --threads=$THREADS"
[ "$THR" = "$thr16" ] || fail "4096 workers: $THR threads, 16 workers: $thr16"
pass "4096 workers: peak RSS $((HWM / 1024)) MiB, $THR threads for --threads=$THREADS"
