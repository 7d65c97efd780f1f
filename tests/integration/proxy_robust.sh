#!/bin/bash
# Bad input never hurts reliabd-proxy (issue 4, point 3): malformed JSON,
# 1 MiB bodies, slow and half-closed clients, 500 connections at once on
# the API and through a proxy. After each, the API answers and the state
# is what it was.
source "$top_srcdir/tests/integration/proxy_lib.sh"

read -r MC PL <<<"$(free_ports 2)"
start_memcached "$MC"
start_proxy --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC
APIPORT=${API##*:}
CONNS='toxiproxy_connections{proxy="mc"}'
expect 200 POST /proxies/mc/toxics '{"type":"latency","attributes":{"latency":1}}'
before=$(curl -fsS "$API/proxies")

alive() {
	expect 200 GET /proxies
	[ "$BODY" = "$before" ] || fail "state changed: $BODY"
	kill -0 "$PROXY_PID" || fail "reliabd-proxy died"
}

# Malformed JSON of many kinds, on every body-taking endpoint.
bodies=('{' '}' '[' 'null' '""' '0' '{"a":' '{"name":"x","upstream":"a:1",}'
	'{"type":"latency","attributes":{"latency":1e400}}'
	'{"type":"latency","attributes":{"latency":18446744073709551616}}'
	$'{"name":"\xff\xfe","upstream":"a:1"}'
	"$(printf '%.0s[' {1..5000})" "$(printf '%.0s{"a":' {1..200})1")
for b in "${bodies[@]}"; do
	for ep in "POST /proxies" "POST /populate" "PATCH /proxies/mc" \
		"POST /proxies/mc/toxics" "PATCH /proxies/mc/toxics/latency_downstream"; do
		call ${ep% *} "${ep#* }" "$b"
		[ "$STATUS" = 400 ] || fail "$ep with ${b:0:40}: $STATUS $BODY"
	done
done
expect 400 POST /proxies '{"name":"x\u0000y","upstream":"127.0.0.1:1"}'
alive
pass "${#bodies[@]} malformed bodies x 5 endpoints: all 400, state unchanged"

# 1 MiB bodies: 413, and the next request is served.
head -c 1048576 /dev/zero | tr '\0' ' ' >"$T/big"
for ep in /proxies /populate /proxies/mc/toxics; do
	code=$(curl -sS --max-time 30 -o "$T/big.out" -w '%{http_code}' \
		--data-binary @"$T/big" "$API$ep")
	[ "$code" = 413 ] || fail "1 MiB to $ep: $code"
	jq -e '.status == 413' "$T/big.out" >/dev/null || fail "413 body"
done
alive
pass "1 MiB bodies: 413"

# Slow clients (a byte every 50 ms) and half-closed ones do not block
# anyone else.
"$CHURN" slow "$APIPORT" 6 $'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n{"name":"slow"' >"$T/slow.out" &
slow=$!
for _ in $(seq 5); do
	"$CHURN" half "$APIPORT" 5 $'POST /proxies/mc/toxics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"type":' >>"$T/half.out"
done
"$CHURN" half "$APIPORT" 5 $'GET /proxies HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/half-get.out"
grep -q 'half first line: HTTP/1.1 200' "$T/half-get.out" ||
	fail "half-closed GET got no answer: $(cat "$T/half-get.out")"
t0=$(date +%s%N)
alive
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] || fail "API slow (${ms} ms) while a client trickles"
wait "$slow"
alive
pass "slow and half-closed clients: API answered in ${ms} ms meanwhile"

# 500 connections at once on the API port, held while it serves others.
"$CHURN" hold "$APIPORT" 500 3 >"$T/hold.out" &
hold=$!
wait_for 10 grep -q opened= "$T/hold.out" || fail "hold did not start"
grep -q 'opened=500' "$T/hold.out" || fail "API: $(cat "$T/hold.out")"
alive
wait "$hold"
pass "500 idle connections on the API: still answering"

# 500 connections at once through the proxy, each doing a request.
out=$("$CHURN" churn "$PL" 500 500)
[ "$out" = "ok=500 fail=0" ] || fail "500 at once through the proxy: $out"
alive
wait_for 10 metric_is "$METRICS" "$CONNS" 0 ||
	fail "connections gauge did not return to 0: $(metric_value "$METRICS" "$CONNS")"
pass "500 concurrent proxied connections: $out"

stop_proxy
[ "$PROXY_RC" = 0 ] || fail "exit status $PROXY_RC"
pass "clean exit"
