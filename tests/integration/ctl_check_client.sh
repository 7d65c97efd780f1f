#!/bin/bash
# `reliabctl check-client URL` (issue 14), with no daemon: against a
# running reliabd-loadgen (a client, every memcache_* metric listed with
# its servers, every check judged); a body with memcache_operations_total
# but no breaker and no histogram (a client; the checks that need those
# not judged, each saying what it needs); a /metrics with no memcache_*
# metric (not a client, exit 1); and URLs that cannot be fetched (exit 3)
# or are malformed (exit 2), each with a clear message. Its table of
# checks is checks.c's, its metrics docs/METRICS.md's.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
need curl jq memcached python3

B=$top_builddir
# No daemon: a socket nobody serves.
export RELIABD_SOCKET=$T/nobody.sock
cc() { "$B/reliabctl" check-client "$@"; }
# run OUT CMD...: CMD's stdout in $T/OUT.out, stderr in $T/OUT.err; its
# exit status in $rc.
run() {
	local out=$1
	shift
	rc=0
	"$@" >"$T/$out.out" 2>"$T/$out.err" || rc=$?
}
# line OUT CHECK: the text line of one check.
line() { grep "^$2 " "$T/$1.out" | sed 's/  */ /g'; }

read -r PM PH PN <<<"$(free_ports 3)"

# 1. A running loadgen, one server.
start_memcached "$PM"
SERVER_ARGS=("--server=memcache1=127.0.0.1:$PM")
start_loadgen --workers=2 --rate=200
wait_for 10 above 'memcache_operation_duration_seconds_count{op="get",server="memcache1"}' 5 ||
	fail "the loadgen did no get"
run lg cc "$LG_URL"
[ "$rc" = 0 ] || fail "loadgen: exit $rc: $(cat "$T/lg.out" "$T/lg.err")"
head -n 1 "$T/lg.out" | has "^$LG_URL: a memcache client: 15 memcache_\* metrics, 9 of 9 checks can be judged\$" ||
	fail "loadgen: $(head -n 1 "$T/lg.out")"
grep -q '^memcache_operations_total  *counter  *6  *-$' "$T/lg.out" ||
	fail "loadgen: no memcache_operations_total line: $(cat "$T/lg.out")"
for m in memcache_circuit_breaker_state memcache_circuit_breaker_transitions_total \
	memcache_circuit_breaker_requests memcache_circuit_breaker_failures \
	memcache_circuit_breaker_open_timeout_seconds; do
	grep -qE "^$m +(gauge|counter) +[0-9]+ +memcache1\$" "$T/lg.out" ||
		fail "loadgen: no $m line for memcache1: $(cat "$T/lg.out")"
done
grep -qE '^memcache_operation_duration_seconds +histogram +3 +memcache1$' "$T/lg.out" ||
	fail "loadgen: the histogram is not 3 series (get, set, delete): $(cat "$T/lg.out")"
[ "$(grep -cE '^[a-z0-9_]+ +judged$' "$T/lg.out")" = 9 ] && ! grep -q 'not judged' "$T/lg.out" &&
	! grep -q 'not exported' "$T/lg.out" ||
	fail "loadgen: not every check judged: $(cat "$T/lg.out")"
[ ! -s "$T/lg.err" ] || fail "loadgen: stderr: $(cat "$T/lg.err")"
# HOST:PORT means its /metrics; --json before or after the command.
hp=${LG_URL#http://}
hp=${hp%/metrics}
run lgj "$B/reliabctl" --json check-client "$hp"
[ "$rc" = 0 ] || fail "loadgen --json: exit $rc: $(cat "$T/lgj.err")"
[ "$(jq -r '[.url, .client, ([.checks[] | select(.judged)] | length),
	(.missing | length), .unreadable_lines] | @tsv' "$T/lgj.out")" = \
	"$LG_URL	true	9	0	0" ] || fail "loadgen --json: $(cat "$T/lgj.out")"
[ "$(jq -c '.metrics[] | select(.name == "memcache_circuit_breaker_state") |
	[.type, .series, .servers]' "$T/lgj.out")" = '["gauge",1,["memcache1"]]' ] ||
	fail "loadgen --json: the breaker state: $(cat "$T/lgj.out")"
cc "$hp" -j | cmp -s - "$T/lgj.out" || fail "-j after the command prints otherwise"
pass "a loadgen: 15 memcache_* metrics with their servers, 9 of 9 checks judged (text and --json)"

# Its checks are checks.c's, in order; its metrics docs/METRICS.md's.
grep -o 'add_check(v, "[a-z0-9_]*"' "$top_srcdir/daemon/scenario/checks.c" |
	sed 's/.*"\(.*\)"/\1/' | uniq >"$T/checks.code"
jq -r '.checks[].name' "$T/lgj.out" >"$T/checks.ctl"
diff -u "$T/checks.code" "$T/checks.ctl" >&2 || fail "check-client's checks are not checks.c's"
awk '/^## reliabd-loadgen/ { f = 1; next } /^## / { f = 0 }
	f && /^\| `memcache_/ { split($0, a, "`"); print a[2] }' \
	"$top_srcdir/docs/METRICS.md" | sort >"$T/metrics.doc"
jq -r '.metrics[] | select(.documented_type != null) | .name' "$T/lgj.out" |
	sort >"$T/metrics.ctl"
diff -u "$T/metrics.doc" "$T/metrics.ctl" >&2 || fail "check-client's metrics are not docs/METRICS.md's"
pass "$(wc -l <"$T/checks.code") checks as checks.c has them; $(wc -l <"$T/metrics.doc") metrics as docs/METRICS.md"

# 2. Fixed bodies over plain HTTP.
mkdir "$T/www"
cat >"$T/www/metrics" <<'EOF'
# HELP memcache_operations_total Operations by op and status.
# TYPE memcache_operations_total counter
memcache_operations_total{op="get",status="success"} 1200
memcache_operations_total{op="get",status="failed"} 3
memcache_operations_total{op="set",status="success"} 400
# TYPE memcache_operations_rate gauge
memcache_operations_rate 160
# TYPE memcache_error_rate gauge
memcache_error_rate 0.002
# TYPE memcache_operation_errors_total counter
memcache_operation_errors_total{op="get",server="alpha",kind="timeout"} 2
memcache_operation_errors_total{op="get",server="beta",kind="timeout"} 1
this line is no sample
EOF
printf '# TYPE up gauge\nup 1\nprocess_open_fds 12\n' >"$T/www/plain"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$T/www/big"
bg http python3 -m http.server "$PH" --bind 127.0.0.1 --directory "$T/www"
wait_for 10 port_open "$PH" || fail "python3 -m http.server did not start"
U=http://127.0.0.1:$PH

run part cc "$U/metrics"
[ "$rc" = 0 ] || fail "no breaker: exit $rc: $(cat "$T/part.out" "$T/part.err")"
head -n 1 "$T/part.out" | has ': a memcache client: 4 memcache_\* metrics, 5 of 9 checks can be judged$' ||
	fail "no breaker: $(head -n 1 "$T/part.out")"
grep -qE '^memcache_operation_errors_total +counter +2 +alpha,beta$' "$T/part.out" ||
	fail "no breaker: the servers: $(cat "$T/part.out")"
for want in \
	"breaker_opens_within not judged: needs memcache_circuit_breaker_state{server}" \
	"p99_max not judged: needs memcache_operation_duration_seconds_bucket{le}" \
	"others_p99_max_ratio not judged: needs memcache_operation_duration_seconds_bucket{server,le}" \
	"other_error_rate_max not judged: needs memcache_operation_duration_seconds_count{server}" \
	"baseline_error_rate_max judged" "testing_error_rate_min judged" \
	"throughput_min_ratio judged" "recover_throughput_ratio judged"; do
	[ "$(line part "${want%% *}")" = "$want" ] ||
		fail "no breaker: '$(line part "${want%% *}")', not '$want'"
done
line part recovers_within | has '^recovers_within judged, on the error rate and throughput only' ||
	fail "no breaker: recovers_within: $(line part recovers_within)"
has -x '1 line not understood, skipped (the scenario worker skips them too)' <"$T/part.out" ||
	fail "no breaker: the unreadable line is not counted: $(cat "$T/part.out")"
has 'not exported: .*memcache_circuit_breaker_state' <"$T/part.out" ||
	fail "no breaker: the missing metrics: $(cat "$T/part.out")"
pass "memcache_operations_total without breaker or histogram: exit 0, 4 checks not judged, each with what it needs"

# 3. No memcache_* metric: no client.
run plain cc "$U/plain"
[ "$rc" = 1 ] || fail "no memcache_*: exit $rc: $(cat "$T/plain.out" "$T/plain.err")"
has -x "$U/plain: NOT a memcache client: no memcache_operations_total (0 memcache_\* metrics, 2 samples of others)" \
	<"$T/plain.out" || fail "no memcache_*: $(cat "$T/plain.out")"
has 'no check can be judged' <"$T/plain.out" || fail "no memcache_*: $(cat "$T/plain.out")"
run plainj cc "$U/plain" --json
[ "$rc" = 1 ] && [ "$(jq -r '[.client, ([.checks[] | select(.judged)] | length)] | @tsv' \
	"$T/plainj.out")" = "false	0" ] || fail "no memcache_* --json: exit $rc: $(cat "$T/plainj.out")"
pass "no memcache_* metric: not a client, exit 1"

# 4. What cannot be fetched: exit 3, a message naming the URL, nothing on
# stdout.
unfetched() { # NAME URL MESSAGE
	run "$1" cc "$2"
	[ "$rc" = 3 ] || fail "$1: exit $rc, not 3: $(cat "$T/$1.out" "$T/$1.err")"
	[ ! -s "$T/$1.out" ] || fail "$1: printed $(cat "$T/$1.out")"
	has "^reliabctl: check-client: $3" <"$T/$1.err" || fail "$1: $(cat "$T/$1.err")"
}
unfetched nobody "127.0.0.1:$PN" "http://127.0.0.1:$PN/metrics: .*onnect"
unfetched notfound "$U/nothing" "$U/nothing: HTTP 404, not 200"
unfetched big "$U/big" "$U/big: the body is over 4 MiB"
# Malformed: exit 2, before anything is fetched.
for bad in "ftp://127.0.0.1:$PH/metrics" "$U" "127.0.0.1" "127.0.0.1:0" \
	"http://127.0.0.1:$PH/a b" "http://[::1/metrics"; do
	run bad cc "$bad"
	[ "$rc" = 2 ] || fail "'$bad': exit $rc, not 2: $(cat "$T/bad.out" "$T/bad.err")"
	[ ! -s "$T/bad.out" ] && has '^reliabctl: check-client: bad URL: ' <"$T/bad.err" ||
		fail "'$bad': $(cat "$T/bad.err")"
done
run noarg "$B/reliabctl" check-client
[ "$rc" = 2 ] && has 'expected URL' <"$T/noarg.err" || fail "no URL: exit $rc: $(cat "$T/noarg.err")"
pass "unreachable, 404 and over 4 MiB: exit 3; malformed URLs and none: exit 2; each says why"

# help knows it.
"$B/reliabctl" help | has '^  check-client  *URL ' || fail "help does not list check-client"
"$B/reliabctl" help check-client | has 'not judged' || fail "help check-client"
pass "help and help check-client"
