#!/bin/bash
# The layout rules of docs/HACKING.md that a machine can check:
#  1. no circle of calls among the files of one program in daemon/: from
#     each object's defined and undefined symbols (nm), an edge "A calls
#     B" for every symbol A uses and B defines; tsort finds any loop;
#  2. no file in daemon/ or lib/ over 700 lines unless its opening
#     comment says why it is one job ("one job" in its first lines);
#  3. one definition each of TAILQ_FOREACH_SAFE, rng_next, the
#     "[host]:port" format, the journal file name and the start-scenario
#     limits;
#  4. the scenario worker's files never include each other in a circle.
. "$top_srcdir/tests/lib/common.sh"

failed=0
bad() {
	echo "FAIL: $*" >&2
	failed=1
}

# --- 1. calls among files, one program at a time ----------------------
# $1: a label; the rest: the program's objects from daemon/. Prints the
# edges "caller callee", one a line.
edges() {
	local label=$1
	shift
	# nm -A: "path/file.o:ADDR T SYMBOL" for what a file defines,
	# "path/file.o:  U SYMBOL" for what it uses.
	{ nm -A --defined-only -g "$@"; nm -A -u "$@" | sed 's/^/?/'; } | awk '
		{
			used = sub(/^\?/, "")
			f = $1; sub(/:.*/, "", f); sub(/.*\//, "", f)
			sub(/\.o$/, "", f)
		}
		!used && $(NF - 1) ~ /^[TDRBCGV]$/ { def[$NF] = f; next }
		used { use[NR] = f " " $NF }
		END {
			for (i in use) {
				split(use[i], u, " ")
				if ((u[2] in def) && def[u[2]] != u[1])
					print u[1], def[u[2]]
			}
		}' | sort -u
}

check_program() {
	local label=$1 loop
	shift
	[ -e "$1" ] || { bad "$label: no objects in the build tree ($1)"; return; }
	edges "$label" "$@" > "$T/edges.$label"
	[ -s "$T/edges.$label" ] || { bad "$label: no calls found"; return; }
	loop=$(tsort "$T/edges.$label" 2>&1 >/dev/null || true)
	if [ -n "$loop" ]; then
		bad "$label: files call each other in a circle:"
		echo "$loop" >&2
	else
		echo "ok: $label: $(wc -l < "$T/edges.$label") calls between files, no circle"
	fi
}

shopt -s nullglob
check_program reliabd "$top_builddir"/daemon/reliabd-*.o
check_program reliabd-proxy "$top_builddir"/daemon/proxy/reliabd_proxy-*.o
check_program reliabd-scenario "$top_builddir"/daemon/scenario/reliabd_scenario-*.o \
    "$top_builddir"/daemon/scenario/libscenario_spec_a-*.o
check_program reliabd-loadgen "$top_builddir"/daemon/loadgen/reliabd_loadgen-*.o

# The scenario worker's files never include each other in a circle: an
# edge "A includes B" for each #include "B" found beside A.
sdir="$top_srcdir/daemon/scenario"
for f in "$sdir"/*.[ch]; do
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
	while read -r h; do
		if [ -e "$sdir/$h" ] && [ "$h" != "$(basename "$f")" ]; then
			echo "$(basename "$f") $h"
		fi
	done
done | sort -u > "$T/includes.scenario"
loop=$(tsort "$T/includes.scenario" 2>&1 >/dev/null || true)
if [ -n "$loop" ]; then
	bad "daemon/scenario: files include each other in a circle:"
	echo "$loop" >&2
else
	echo "ok: daemon/scenario: $(wc -l < "$T/includes.scenario") includes, no circle"
fi

# The check must see a circle when there is one: two objects that call
# each other.
if command -v cc > /dev/null; then
	printf 'int b(int);\nint a(int x) { return x ? b(x - 1) : 0; }\n' \
	    > "$T/a.c"
	printf 'int a(int);\nint b(int x) { return x ? a(x - 1) : 1; }\n' \
	    > "$T/b.c"
	if cc -c -o "$T/a.o" "$T/a.c" && cc -c -o "$T/b.o" "$T/b.c"; then
		edges selftest "$T/a.o" "$T/b.o" > "$T/edges.self"
		tsort "$T/edges.self" > /dev/null 2>&1 &&
		    bad "the circle check missed a circle (a <-> b)"
	fi
fi

# --- 2. the 700-line rule ---------------------------------------------
find "$top_srcdir/daemon" "$top_srcdir/lib" -name '*.[ch]' -print0 | sort -z |
    xargs -0 awk -v top="$top_srcdir/" '
	FNR == 1 { if (NR > 1) report(); name = FILENAME; why = 0 }
	FNR <= 20 && tolower($0) ~ /one job/ { why = 1 }
	{ lines = FNR }
	END { report() }
	function report(  f) {
		f = substr(name, length(top) + 1)
		if (lines <= 700)
			return
		if (why)
			printf "ok: %s: %d lines, one job (says why)\n", f, lines
		else
			printf "FAIL: %s: %d lines, and its opening comment " \
			    "does not say why it is one job\n", f, lines
	}' > "$T/long"
cat "$T/long"
grep -q '^FAIL' "$T/long" && failed=1

# --- 3. single definitions --------------------------------------------
src() {
	find "$top_srcdir/daemon" "$top_srcdir/lib" "$top_srcdir/proto" \
	    "$top_srcdir/ctl" -name '*.[ch]' -print0
}
# $1: what, $2: an extended regexp matching a definition.
once() {
	local n
	n=$(src | { xargs -0 grep -Ec -- "$2" || true; } |
	    awk -F: '{ s += $NF } END { print s + 0 }')
	if [ "$n" -eq 1 ]; then
		echo "ok: one definition of $1"
	else
		bad "$n definitions of $1 (want 1):"
		src | xargs -0 grep -En -- "$2" >&2 || true
	fi
}
once TAILQ_FOREACH_SAFE '^#[[:space:]]*define[[:space:]]+TAILQ_FOREACH_SAFE'
once rng_next '^rng_next\('
once '"[host]:port"' '"\[%s\]:%'
once JOURNAL_FILE '^#[[:space:]]*define[[:space:]]+JOURNAL_FILE'
# The start-scenario limits: daemon/scenario/runargs.h.
once 'the start-scenario name limit' '^#[[:space:]]*define[[:space:]]+RUN_NAME_MAX'
once 'the start-scenario names limit' '^#[[:space:]]*define[[:space:]]+RUN_NAMES_MAX'
once 'the start-scenario loop limit' '^#[[:space:]]*define[[:space:]]+RUN_LOOP_MAX'

exit $failed
