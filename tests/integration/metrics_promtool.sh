#!/bin/bash
# lib/metrics + lib/httpd as Prometheus sees them: promtool accepts the
# exposition, the Content-Type is right, HEAD works, other paths are 404
# and other methods 405.
source "$top_srcdir/tests/lib/common.sh"
need curl promtool

bg demo "$top_builddir/tests/tools/metrics_demo"
demo=$BG_PID
wait_for 10 grep -q '^[0-9][0-9]*$' "$T/demo.log" || fail "metrics_demo printed no port"
port=$(head -n 1 "$T/demo.log")
[ "$port" -gt 0 ] || fail "bad port '$port'"
url="http://127.0.0.1:$port"

curl -fsS --max-time 5 -D "$T/headers" -o "$T/metrics.txt" "$url/metrics" ||
	fail "GET /metrics failed"
tr -d '\r' <"$T/headers" | grep -qix 'content-type: text/plain; version=0.0.4; charset=utf-8' ||
	fail "wrong Content-Type: $(grep -i content-type "$T/headers")"

# promtool prints problems (lint included) and exits non-zero on errors;
# any output at all counts as a failure.
if ! promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 ||
	[ -s "$T/promtool.log" ]; then
	cat "$T/promtool.log" >&2
	fail "promtool check metrics found problems"
fi

grep -q '^demo_events_total{kind="with \\"quotes\\"",shard="0"} 2$' "$T/metrics.txt" ||
	fail "escaped double quotes missing"
grep -q '^demo_events_total{kind="new\\nline",shard="0"} 4$' "$T/metrics.txt" ||
	fail "escaped newline missing"
grep -q '^demo_events_total{kind="back\\\\slash",shard="1"} 0.5$' "$T/metrics.txt" ||
	fail "escaped backslash missing"
grep -q '^demo_request_duration_seconds_bucket{path="plain",le="+Inf"} 20$' "$T/metrics.txt" ||
	fail "+Inf bucket missing"
grep -q '^demo_request_duration_seconds_count{path="plain"} 20$' "$T/metrics.txt" ||
	fail "_count missing"
grep -q '^# TYPE demo_unused gauge$' "$T/metrics.txt" || fail "empty family not declared"
grep -q 'hidden' "$T/metrics.txt" && fail "hidden series shown"
grep -q '^process_open_fds [0-9]' "$T/metrics.txt" || fail "process metrics missing"
pass "promtool accepts the exposition"

code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -I "$url/metrics")
[ "$code" = 200 ] || fail "HEAD /metrics gave $code"
[ -z "$(curl -sS --max-time 5 -I "$url/metrics" | tr -d '\r' | sed -n '/^$/,$p' | tr -d '\n')" ] ||
	fail "HEAD sent a body"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$url/other")
[ "$code" = 404 ] || fail "GET /other gave $code"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data x=1 "$url/metrics")
[ "$code" = 405 ] || fail "POST /metrics gave $code"
pass "HEAD 200, /other 404, POST 405"

# Still serving after all that, then a clean exit on SIGTERM.
curl -fsS --max-time 5 -o /dev/null "$url/metrics" || fail "server stopped answering"
kill -TERM "$demo"
for _ in $(seq 50); do kill -0 "$demo" 2>/dev/null || break; sleep 0.1; done
kill -0 "$demo" 2>/dev/null && fail "metrics_demo ignored SIGTERM"
rc=0
wait "$demo" || rc=$?
[ "$rc" -eq 0 ] || fail "metrics_demo exited with $rc"
pass "metrics_demo stopped cleanly"
