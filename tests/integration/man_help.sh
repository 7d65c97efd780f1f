#!/bin/bash
# The manual pages against the programs, both ways: every option a
# program's --help prints is documented in its page and every option the
# page documents is in --help; reliabctl's commands (from its --help) and
# reliabctl(8) and the bash completion list the same ones; the config keys
# lib/config.c accepts and reliabd.conf(5) documents are the same; the
# fault types the scenario parser accepts and reliabd.scenario(5)
# documents are the same. `mandoc -Tlint -W warning` reports nothing on
# any page.
source "$top_srcdir/tests/lib/common.sh"
need mandoc

B=$top_builddir
M=$top_srcdir/man
PROGS="reliabd reliabctl reliabd-loadgen reliabd-proxy reliabd-scenario"
PAGES="reliabd.8 reliabctl.8 reliabd-loadgen.8 reliabd-proxy.8 reliabd-scenario.8 reliabd.conf.5 reliabd.scenario.5"

# same WHAT A B: fails, listing the differences, unless files A and B
# hold the same sorted lines.
same() {
	local what=$1 a=$2 b=$3
	[ -s "$a" ] || fail "$what: nothing found in $a"
	if ! diff -u "$a" "$b" >"$T/diff.txt"; then
		echo "--- $what: lines with - only in $(basename "$a"), + only in $(basename "$b")" >&2
		grep -vE '^(--- |\+\+\+ |@@| )' "$T/diff.txt" >&2 || true
		fail "$what differ"
	fi
}

# Options in --help: every -x or --long-name after the usage line, where
# an option can start (line start, blank, comma, bracket, bar).
help_opts() {
	"$B/$1" --help >"$T/$1.help" || fail "$1 --help exited $?"
	tail -n +2 "$T/$1.help" |
		grep -oE '(^|[[:space:],[|])--?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^[^-]*//' | sort -u
}

# Options a page documents: each "Fl x" on its .It lines (and inside an
# .It Xo ... .Xc block).
man_opts() {
	awk '/^\.It Xo/ { xo = 1 } xo || /^\.It / { print } /^\.Xc/ { xo = 0 }' "$1" |
		grep -oE 'Fl -?[A-Za-z][A-Za-z0-9-]*' | sed 's/^Fl /-/' | sort -u
}

# 1. mandoc -Tlint is silent on every page, and every program has one.
for p in $PAGES; do
	[ -f "$M/$p" ] || fail "missing man/$p"
	out=$(mandoc -Tlint -W warning "$M/$p" 2>&1) || fail "mandoc -Tlint $p: $out"
	[ -z "$out" ] || fail "mandoc -Tlint $p: $out"
	name=${p%.*}
	grep -q "^\.Nm $name\$" "$M/$p" || fail "$p: .Nm is not $name"
done
pass "mandoc -Tlint -W warning: clean on $(echo $PAGES | wc -w) pages"

# 2. --help and the page, both ways, for each program.
for prog in $PROGS; do
	help_opts "$prog" >"$T/$prog.help-opts"
	man_opts "$M/$prog.8" >"$T/$prog.man-opts"
	same "$prog: options in --help vs $prog(8)" "$T/$prog.help-opts" "$T/$prog.man-opts"
	pass "$prog: $(wc -l <"$T/$prog.help-opts") options, --help = $prog(8)"
done

# 3. reliabctl's commands: --help vs reliabctl(8) vs the completion.
awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }' "$T/reliabctl.help" |
	sort >"$T/cmds.help"
[ "$(wc -l <"$T/cmds.help")" -ge 10 ] || fail "reliabctl --help lists too few commands: $(cat "$T/cmds.help")"
# Commands: ".It Cm NAME", or ".Cm NAME" right after ".It Xo".
awk '/^\.Sh COMMANDS/ { f = 1; next } /^\.Sh / { f = 0 }
	f && /^\.It Cm / { print $3 } f && p ~ /^\.It Xo/ && /^\.Cm / { print $2 } { p = $0 }' \
	"$M/reliabctl.8" | sort -u >"$T/cmds.man"
same "reliabctl commands: --help vs reliabctl(8)" "$T/cmds.help" "$T/cmds.man"
sed -n "s/^[[:space:]]*local commands='\(.*\)'$/\1/p" "$top_srcdir/etc/bash-completion/reliabctl" |
	tr ' ' '\n' | sort >"$T/cmds.completion"
same "reliabctl commands: --help vs bash completion" "$T/cmds.help" "$T/cmds.completion"
pass "reliabctl: $(wc -l <"$T/cmds.help") commands, --help = reliabctl(8) = completion"

# The completion offers start-scenario's options exactly as --help has them.
grep '^  start-scenario ' "$T/reliabctl.help" | grep -oE -- '--[a-z-]+' | sort -u >"$T/start.help"
grep -A8 '^	start-scenario)' "$top_srcdir/etc/bash-completion/reliabctl" |
	grep -oE "compgen -W '--[^']*'" | grep -oE -- '--[a-z-]+' | sort -u >"$T/start.completion"
same "start-scenario options: --help vs completion" "$T/start.help" "$T/start.completion"
pass "completion: start-scenario options match --help"

# 4. Config keys: lib/config.c's tables vs reliabd.conf(5).
awk '/^static const struct key_spec [a-z]+_keys\[\]/ { f = 1; next } f && /^};/ { f = 0 }
	f && match($0, /\{ "[a-z_]+"/) { print substr($0, RSTART + 3, RLENGTH - 4) }' \
	"$top_srcdir/lib/config.c" | sort -u >"$T/keys.code"
awk '/^\.Sh DESCRIPTION/ { f = 1 } /^\.Sh FILES/ { f = 0 } f && /^\.It Cm / { print $3 }' \
	"$M/reliabd.conf.5" | sort -u >"$T/keys.man"
same "config keys: lib/config.c vs reliabd.conf(5)" "$T/keys.code" "$T/keys.man"
pass "reliabd.conf(5): $(wc -l <"$T/keys.code") keys, as lib/config.c accepts"

# 5. Fault types: the scenario parser vs reliabd.scenario(5).
sed -n 's/^[[:space:]]*\[FAULT_[A-Z_]*\] = "\([a-z_]*\)",$/\1/p' \
	"$top_srcdir/daemon/scenario/spec.c" | sort -u >"$T/faults.code"
awk '/^\.Ss Fault types/ { f = 1; next } /^\.S[hs] / { f = 0 } f && /^\.It Li / { print $3 }' \
	"$M/reliabd.scenario.5" | sort -u >"$T/faults.man"
same "fault types: spec.c vs reliabd.scenario(5)" "$T/faults.code" "$T/faults.man"
pass "reliabd.scenario(5): $(wc -l <"$T/faults.code") fault types, as spec.c accepts"
