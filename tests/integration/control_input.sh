#!/bin/bash
# Bad input on the control socket: each gets a clear error or is
# dropped, and reliabd keeps serving the next client.
source "$top_srcdir/tests/lib/common.sh"
need jq

B=$top_builddir
read -r PM <<<"$(free_ports 1)"
SOCK=$T/ctl.sock
# A 5 s idle timeout (the default is 30 s), so the idle clients below
# are dropped within seconds.
{
conf_daemon "$SOCK" "$PM"
echo "control_idle_timeout = 5s"
cat <<EOF
[proxy]
mode = external
[loadgen]
enabled = no
[scenario]
enabled = no
EOF
} >"$T/reliabd.conf"
# A small ASan quarantine, so the memory bound below measures reliabd
# rather than the sanitizer's freed-memory cache (ignored without ASan).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 10 "$B/reliabctl" -s "$SOCK" hello || fail "reliabd did not start"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK")"

poke() { "$top_builddir/tests/tools/ctlpoke" "$SOCK" "$@"; }
alive() { kill -0 "$RPID" && "$B/reliabctl" -s "$SOCK" hello >/dev/null || fail "reliabd stopped serving after: $1"; }
code_of() { jq -r 'select(.ok==false) | .error.code' | head -1; }

# A client that connects and never writes: others are served meanwhile,
# and it is dropped after the idle timeout.
poke idle 8 >"$T/idle.out" &
IDLE=$!
# One that sends a byte every second and never completes a request:
# idle time counts from the last complete request, so it is dropped too.
"$top_builddir/tests/tools/ctlhold" "$SOCK" 1 8 1000 >"$T/drip.out" &
DRIP=$!

expect_code() { # $1 want, $2 what, stdin the request(s)
	local got
	got=$(poke send | code_of)
	[ "$got" = "$1" ] || fail "$2: expected $1, got '$got'"
	alive "$2"
	pass "$2 -> $1"
}
printf '{"id":1,"cmd":\n' | expect_code bad-json "invalid JSON"
printf 'hello\n' | expect_code bad-json "bare word"
printf '[1,2]\n' | expect_code bad-request "not an object"
printf '{"id":"x","cmd":"hello"}\n' | expect_code bad-request "string id"
printf '{"id":1}\n' | expect_code bad-request "no cmd"
printf '{"id":1,"cmd":42}\n' | expect_code bad-request "numeric cmd"
printf '{"id":1,"cmd":"launch-missiles"}\n' | expect_code unknown-command "unknown command"
printf '{"id":1,"cmd":"hello","args":[1]}\n' | expect_code bad-arguments "args not an object"
printf '{"id":1,"cmd":"runs","args":{"last":"ten"}}\n' | expect_code bad-arguments "wrong argument type"
printf '{"id":1,"cmd":"runs","args":{"last":-5}}\n' | expect_code bad-arguments "negative argument"
printf '{"id":1,"cmd":"hello","args":{"x":1}}\n' | expect_code bad-arguments "unknown argument"
printf '{"id":1,"cmd":"load","args":{"action":"explode"}}\n' | expect_code bad-arguments "bad action"
printf '{"id":1,"cmd":"start-scenario","args":{"names":"x"}}\n' | expect_code bad-arguments "names not a list"
printf '{"id":1,"cmd":"hello","id":2}\n' | expect_code bad-json "duplicate key"
printf '%s\n' "$(printf '[%.0s' $(seq 100))" | expect_code bad-json "deep nesting"
printf '{"id":1,"cmd":"hello"}\0garbage\n' | expect_code bad-json "NUL in a line"

# Errors keep the connection: a good request after a bad one is answered.
out=$(printf 'nonsense\n{"id":9,"cmd":"hello"}\n' | poke send)
echo "$out" | jq -e 'select(.id==9) | .ok' >/dev/null || fail "no answer after a bad line: $out"
pass "connection survives a bad line"

# A 1 MiB line: refused with line-too-long and the connection closed.
got=$(poke big 1048576 | code_of)
[ "$got" = line-too-long ] || fail "1 MiB line: got '$got'"
alive "1 MiB line"
pass "1 MiB line refused"

# Half a request, then the client stops writing: dropped, nothing else.
poke half >"$T/half.out"
alive "half-closed client"
pass "half-closed client dropped"

# 200 clients at once, all answered.
n=$(poke flood 200)
[ "$n" = 200 ] || fail "only $n of 200 clients answered"
alive "200 clients"
pass "200 clients at once"

wait "$IDLE" || fail "an idle client was not dropped: $(cat "$T/idle.out")"
alive "idle client"
pass "idle client dropped"
wait "$DRIP" || fail "ctlhold: $(cat "$T/drip.out")"
has 'refused [1-9]' <"$T/drip.out" || fail "a client sending a byte every second was never dropped: $(cat "$T/drip.out")"
pass "a client that never completes a request is dropped though it sends"

# reliabctl: unknown command, prefix, unreachable daemon.
"$B/reliabctl" -s "$SOCK" frobnicate 2>"$T/ctl.err" && fail "unknown command accepted"
[ $? -eq 2 ] || true
grep -q 'expected one of' "$T/ctl.err" || fail "reliabctl does not say what was expected"
"$B/reliabctl" -s "$SOCK" hel >/dev/null || fail "unique prefix refused"
set +e
"$B/reliabctl" -s "$SOCK" st >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "ambiguous prefix: exit $rc"
"$B/reliabctl" -s "$T/nonexistent.sock" status 2>"$T/unreach.err"; rc=$?
[ $rc -eq 3 ] || fail "unreachable daemon: exit $rc"
grep -q 'cannot reach reliabd' "$T/unreach.err" || fail "unreachable message"
"$B/reliabctl" -s "$SOCK" show no-such-run 2>"$T/refused.err"; rc=$?
[ $rc -eq 1 ] || fail "refused request: exit $rc"
set -e
pass "reliabctl exit codes 0/1/2/3"

# The journal: the last runs come from its tail, a long file is read only
# as far as needed, a torn or foreign line is skipped.
mkdir -p "$T/state"
awk 'BEGIN { pad = sprintf("%200s", ""); gsub(/ /, "x", pad);
	for (i = 1; i <= 30000; i++)
		printf "{\"id\":\"run-%05d\",\"scenario\":\"s\",\"status\":\"success\",\"started\":%d,\"pad\":\"%s\"}\n", i, 1700000000 + i, pad }' \
	>"$T/state/journal.jsonl"
printf 'not json\n{"no":"id"}\n{"id":"run-last","scenario":"t","status":"failed"}\n' >>"$T/state/journal.jsonl"
"$B/reliabctl" -s "$SOCK" --json runs --last 3 >"$T/runs.json" || fail "runs"
[ "$(jq -r '[.runs[].id] | join(" ")' "$T/runs.json")" = "run-29999 run-30000 run-last" ] ||
	fail "runs --last 3: $(jq -c '[.runs[].id]' "$T/runs.json")"
"$B/reliabctl" -s "$SOCK" --json runs --last 10000 >"$T/many.json" || fail "runs --last 10000"
jq -e '.truncated == true and (.runs | length) > 100 and .runs[-1].id == "run-last"' "$T/many.json" >/dev/null ||
	fail "runs --last 10000: $(jq -c '{truncated, n: (.runs | length)}' "$T/many.json")"
"$B/reliabctl" -s "$SOCK" --json show run-29000 | jq -e '.run.id == "run-29000"' >/dev/null ||
	fail "show of a recent run"
"$B/reliabctl" -s "$SOCK" --json show run-last | jq -e '.run.status == "failed"' >/dev/null ||
	fail "show run-last"
"$B/reliabctl" -s "$SOCK" show run-2999 2>/dev/null && fail "ambiguous prefix run-2999 accepted"
# show finds any run still in the journal (issue 16), not only the tail.
"$B/reliabctl" -s "$SOCK" --json show run-00001 | jq -e '.run.id == "run-00001"' >/dev/null ||
	fail "a run beyond the 4 MiB tail was not found"
"$B/reliabctl" -s "$SOCK" show run-99999 2>"$T/old.err" && fail "a run not in the journal was found"
has 'no run' <"$T/old.err" || fail "missing run: $(cat "$T/old.err")"
pass "journal: runs --last, show by id and prefix, bounded tail"

# A client that sends requests and never reads the replies: reliabd stops
# reading it once the replies pile up, so its memory stays bounded, and
# it keeps serving others meanwhile.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$RPID/status"; }
rss0=$(rss)
sent=$(printf '{"id":1,"cmd":"runs","args":{"last":60}}\n' | poke noread 20000)
rss1=$(rss)
alive "a client that never reads"
[ "$sent" -lt 20000 ] || fail "reliabd took all 20000 requests ($((20000 * 20)) KB of replies) from a client that reads none"
[ $((rss1 - rss0)) -lt 40000 ] || fail "reliabd grew by $((rss1 - rss0)) KB for a client that never reads"
pass "a client that never reads: paused after $sent requests, RSS +$((rss1 - rss0)) KB"

kill -TERM "$RPID"
wait "$RPID" || fail "reliabd exit status $?"
