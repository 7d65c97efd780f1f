#!/bin/bash
# The automake harness runs every integration test through this. Under
# `make -j2 check` two tests share the two cores; a test whose bounds are
# timing bounds (a recovery within 3 s, a timer within 20 ms, a p99 beside
# a baseline) holds a line "# timing: runs alone" and takes the suite's
# lock exclusively, while every other test shares it: it then runs with no
# neighbour, as the machine it measures would.
t=$1
shift
lock=${top_builddir:-.}/tests/.suite.lock
mkdir -p "${lock%/*}"
mode=-s
grep -q '^# timing: runs alone' "$t" && mode=-x
# The time each test took, waiting for the lock apart, ends its log: the
# suite must stay under 15 minutes, and this shows where it goes.
start=$(date +%s%N)
rc=0
# A unit test (a program, not a script) shares the lock too: beside a
# test that runs alone it would be a neighbour.
run=/bin/bash
case $t in *.sh) ;; *) run= ;; esac
flock "$mode" "$lock" /bin/bash -c 'echo "lock after $(( ($(date +%s%N) - $1) / 1000000 )) ms" >&2; shift; exec $0 "$@"' \
	"$run" "$start" "$t" "$@" || rc=$?
echo "test took $(( ($(date +%s%N) - start) / 1000000 )) ms (lock wait included)" >&2
exit "$rc"
