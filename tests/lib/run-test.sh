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
# A flock waiting for the exclusive lock does not stop new shared holders:
# beside a steady stream of shared tests, a test that runs alone waited
# minutes with its make slot held (control_starve: 328 s). So a test that
# runs alone holds `pending` (shared among such tests) from the moment it
# starts, and a shared test first waits until no such test is pending or
# running. A shared test already running still delays one that runs alone,
# by its own length at most.
pending=${top_builddir:-.}/tests/.suite.pending
mkdir -p "${lock%/*}"
alone=0
grep -q '^# timing: runs alone' "$t" && alone=1
# The time each test took, waiting for the lock apart, ends its log: the
# suite must stay under 15 minutes, and this shows where it goes.
start=$(date +%s%N)
rc=0
# A unit test (a program, not a script) shares the lock too: beside a
# test that runs alone it would be a neighbour.
run=/bin/bash
case $t in *.sh) ;; *) run= ;; esac
say_lock='echo "lock after $(( ($(date +%s%N) - $1) / 1000000 )) ms" >&2; shift; exec $0 "$@"'
if [ "$alone" = 1 ]; then
	flock -s "$pending" flock -x "$lock" /bin/bash -c "$say_lock" \
		"$run" "$start" "$t" "$@" || rc=$?
else
	flock -x "$pending" true
	flock -s "$lock" /bin/bash -c "$say_lock" \
		"$run" "$start" "$t" "$@" || rc=$?
fi
echo "test took $(( ($(date +%s%N) - start) / 1000000 )) ms (lock wait included)" >&2
exit "$rc"
