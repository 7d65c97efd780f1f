#!/bin/bash
# Runs every libFuzzer target from its seed corpus. Any crash, leak or
# sanitizer report fails.
#   run.sh          in the suite: each target for FUZZ_SECONDS (default 4)
#   run.sh --long   `make fuzz-long`: each target until FUZZ_RUNS
#                   executions (default 10^7, at most FUZZ_LONG_SECONDS
#                   each, default 4 h), then a table: target,
#                   executions, time, result
#   FUZZ_TIMEOUT    libFuzzer's per-input timeout, s (10; 60 with --long)
source "$top_srcdir/tests/lib/common.sh"
long=0
[ "${1:-}" = --long ] && long=1
secs=${FUZZ_SECONDS:-4}
runs=${FUZZ_RUNS:-10000000}
long_secs=${FUZZ_LONG_SECONDS:-14400}
n=0 failed=0
table=$T/table.txt
: >"$table"
for t in $FUZZ_TARGETS; do
	name=${t##*/fuzz_}
	corpus_seed="$top_srcdir/tests/fuzz/corpus/$name"
	work="$T/corpus-$name"
	mkdir -p "$work"
	[ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work"/
	if [ "$long" = 1 ]; then
		echo "fuzzing $name for $runs executions"
		limit=(-runs="$runs" -max_total_time="$long_secs")
		# ASan's default 256 MB quarantine of freed memory made page
		# faults half of a long run's time on a 2-vCPU VM; 16 MB still
		# catches a use right after free.
		export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
		# libFuzzer's per-input timeout is wall time: a niced run
		# beside a busy suite was once held off the CPU for 13 s on an
		# input that takes 0.23 s of CPU.
		unit_timeout=${FUZZ_TIMEOUT:-60}
	else
		echo "fuzzing $name for ${secs}s"
		limit=(-max_total_time="$secs")
	fi
	: "${unit_timeout:=${FUZZ_TIMEOUT:-10}}"
	t0=$SECONDS
	rc=0
	"${BACKGROUND[@]}" "$top_builddir/$t" "${limit[@]}" -rss_limit_mb=1024 \
		-max_len=70000 -timeout="$unit_timeout" -artifact_prefix="$T/" "$work" \
		>"$T/fuzz-$name.log" 2>&1 || rc=$?
	elapsed=$((SECONDS - t0))
	last=$(grep -E '^(#[0-9]+|Done)' "$T/fuzz-$name.log" | tail -n 1 || true)
	echo "$last"
	# "Done N runs in S second(s)" at the end, else the last "#N" status.
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$T/fuzz-$name.log" | tail -n 1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$T/fuzz-$name.log" | tail -n 1 | tr -d '#')
	if [ "$rc" != 0 ]; then
		result="FAILED (exit $rc)"
		tail -n 50 "$T/fuzz-$name.log"
		failed=$((failed + 1))
	elif [ "$long" = 1 ] && [ "${execs:-0}" -lt "$runs" ]; then
		result="time limit"
	else
		result="ok"
	fi
	printf '%-22s %12s %8ss  %s\n' "$name" "${execs:-?}" "$elapsed" "$result" >>"$table"
	[ "$long" = 1 ] || [ "$rc" = 0 ] || fail "fuzz target $name found a problem"
	n=$((n + 1))
done
if [ "$long" = 1 ]; then
	printf '%-22s %12s %9s  %s\n' TARGET EXECUTIONS TIME RESULT
	cat "$table"
	[ "$failed" = 0 ] || fail "$failed fuzz targets found a problem (logs in $T)"
	pass "$n fuzz targets, $runs executions each"
	exit 0
fi
[ "$n" -ge 2 ] || fail "expected at least 2 fuzz targets, ran $n"
pass "$n fuzz targets ran for ${secs}s each"
