#!/bin/bash
# Open loop: against three healthy memcached the loadgen holds the
# requested rate within 2 %; when one server is stopped, that server's
# latency histogram shows the stall (latency counts from each operation's
# scheduled start, so nothing hides it).
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
need curl

RATE=3000
start_three

# 1. Healthy: the rate over a fixed run, from the final counts.
bg loadgen1 "$LOADGEN" "${SERVER_ARGS[@]}" --metrics=127.0.0.1:0 \
	--rate=$RATE --workers=16 --duration=4s --workload=mixed
pid=$BG_PID
wait_for 20 grep -q 'done: ' "$T/loadgen1.log" || fail "timed run did not finish"
wait "$pid" || fail "timed run exited $?"
line=$(grep 'done: ' "$T/loadgen1.log")
ops=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' <<<"$line")
secs=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' <<<"$line")
failed=$(sed -n 's/.* failed=\([0-9]*\) .*/\1/p' <<<"$line")
[ "$failed" = 0 ] || fail "$failed operations failed"
got=$(awk -v o="$ops" -v s="$secs" 'BEGIN { printf "%.1f", o / s }')
awk -v g="$got" -v r=$RATE 'BEGIN { d = g - r; if (d < 0) d = -d; exit !(d <= 0.02 * r) }' ||
	fail "rate $got ops/s, asked $RATE (more than 2 % off)"
pass "open loop held $got ops/s for $RATE asked"

# 2. A stall: SIGSTOP m2 for 1.5 s. Its histogram must show operations at
# or beyond the op timeout; before the stall none were that slow.
# The breaker is kept from opening (it would turn the slow calls into
# fast failures), so every get to m2 during the stall is timed.
start_loadgen --rate=$RATE --workers=16 --op-timeout=300ms \
	--breaker-consecutive-failures=0 --breaker-failure-ratio=0 \
	--workload=get-heavy
wait_for 10 above 'memcache_operation_duration_seconds_count{op="get",server="m2"}' 100 ||
	fail "no gets on m2"
slow() { # count of gets on $1 slower than 250 ms
	local f="$T/h.prom" le c
	scrape "$f"
	le=$(val "$f" "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"$1\",le=\"0.25\"}")
	c=$(val "$f" "memcache_operation_duration_seconds_count{op=\"get\",server=\"$1\"}")
	awk -v a="$c" -v b="$le" 'BEGIN { print a - b }'
}
# The live gauge agrees: the median of five samples of the rate over the
# last second is within 2 % too.
samples=()
for _ in 1 2 3 4 5; do samples+=("$(lgval memcache_operations_rate)"); sleep 0.3; done
med=$(printf '%s\n' "${samples[@]}" | sort -g | sed -n 3p)
awk -v g="$med" -v r=$RATE 'BEGIN { d = g - r; if (d < 0) d = -d; exit !(d <= 0.02 * r) }' ||
	fail "memcache_operations_rate ${samples[*]}: median $med, asked $RATE"
pass "memcache_operations_rate median $med for $RATE asked"
before=$(slow m2)
[ "$before" = 0 ] || echo "note: $before slow gets on m2 before the stall (busy machine)"
kill -STOP "${MC_PIDS[2]}"
sleep 1.5
kill -CONT "${MC_PIDS[2]}"
sleep 0.5
after=$(slow m2)
fcmp "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" '>=' 10 || fail "m2 histogram shows no stall ($before -> $after slow gets)"
pass "m2's histogram shows the stall: $before -> $after gets slower than 250 ms"
stop_loadgen
