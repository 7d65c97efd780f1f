#!/bin/bash
# Runs every libFuzzer target for a short while from its seed corpus.
# Any crash, leak or sanitizer report fails the test.
source "$top_srcdir/tests/lib/common.sh"
secs=${FUZZ_SECONDS:-8}
n=0
for t in $FUZZ_TARGETS; do
	name=${t##*/fuzz_}
	corpus_seed="$top_srcdir/tests/fuzz/corpus/$name"
	work="$T/corpus-$name"
	mkdir -p "$work"
	[ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work"/
	echo "fuzzing $name for ${secs}s"
	if ! "${BACKGROUND[@]}" "$top_builddir/$t" -max_total_time="$secs" -rss_limit_mb=1024 \
		-max_len=70000 -timeout=10 -artifact_prefix="$T/" "$work" \
		>"$T/fuzz-$name.log" 2>&1; then
		tail -n 50 "$T/fuzz-$name.log"
		fail "fuzz target $name found a problem"
	fi
	grep -E '^(#[0-9]+|Done)' "$T/fuzz-$name.log" | tail -n 1
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "expected at least 2 fuzz targets, ran $n"
pass "$n fuzz targets ran for ${secs}s each"
