#!/bin/bash
# Toxiproxy API conformance over HTTP (issue 4, point 2): every endpoint,
# its JSON shape and status, every error with its {"error","status"} body,
# and after each rejected request the state is unchanged.
source "$top_srcdir/tests/integration/proxy_lib.sh"

read -r MC PL P2 P3 <<<"$(free_ports 4)"
start_memcached "$MC"
start_proxy --seed=1 --proxy=pre=127.0.0.1:$PL,127.0.0.1:$MC

snapshot() { curl -fsS "$API/proxies" | jq -S . ; }
# rejected STATUS METHOD PATH [BODY]: the status, the error body, and no
# change to the state.
rejected() {
	local before after
	before=$(snapshot)
	expect "$@"
	jq -e --argjson s "$1" '(.error | type == "string") and .status == $s' \
		<<<"$BODY" >/dev/null || fail "$2 $3: bad error body: $BODY"
	after=$(snapshot)
	[ "$before" = "$after" ] || fail "$2 $3 (rejected) changed the state"
}

# GET /version
expect 200 GET /version
jq -e '.version | type == "string"' <<<"$BODY" >/dev/null || fail "version: $BODY"

# The proxy from the command line exists from the start.
expect 200 GET /proxies
jq -e --arg l "127.0.0.1:$PL" --arg u "127.0.0.1:$MC" \
	'.pre == {name: "pre", listen: $l, upstream: $u, enabled: true, toxics: []}' \
	<<<"$BODY" >/dev/null || fail "GET /proxies: $BODY"
pass "GET /version, GET /proxies"

# POST /proxies
expect 201 POST /proxies "{\"name\":\"p2\",\"listen\":\"127.0.0.1:$P2\",\"upstream\":\"127.0.0.1:$MC\"}"
jq -e --arg l "127.0.0.1:$P2" '.name == "p2" and .listen == $l and .enabled == true and .toxics == []' \
	<<<"$BODY" >/dev/null || fail "POST /proxies: $BODY"
expect 201 POST /proxies "{\"name\":\"p0\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$MC\",\"enabled\":false}"
jq -e '.enabled == false' <<<"$BODY" >/dev/null || fail "disabled create: $BODY"
rejected 409 POST /proxies "{\"name\":\"p2\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$MC\"}"
jq -e '.error == "proxy already exists"' <<<"$BODY" >/dev/null || fail "409 text: $BODY"
rejected 400 POST /proxies '{"name":"x"}'
jq -e '.error == "missing required field: upstream"' <<<"$BODY" >/dev/null || fail "400 text: $BODY"
rejected 400 POST /proxies "{\"upstream\":\"127.0.0.1:$MC\"}"
rejected 400 POST /proxies '{"name":"x","upstream":'
rejected 400 POST /proxies '{"name":"x","upstream":"no-port"}'
rejected 400 POST /proxies '{"name":"x","upstream":"127.0.0.1:1","enabled":"yes"}'
rejected 400 POST /proxies '{"name":"a/b","upstream":"127.0.0.1:1"}'
rejected 500 POST /proxies "{\"name\":\"busy\",\"listen\":\"127.0.0.1:$P2\",\"upstream\":\"127.0.0.1:$MC\"}"
pass "POST /proxies: 201, 409, 400 (bad bodies), 500 (address in use)"

# GET|POST|PATCH|DELETE /proxies/{name}
expect 200 GET /proxies/p2
jq -e '.name == "p2"' <<<"$BODY" >/dev/null || fail "GET proxy: $BODY"
rejected 404 GET /proxies/nope
jq -e '.error == "proxy not found"' <<<"$BODY" >/dev/null || fail "404 text: $BODY"
rejected 404 POST /proxies/nope '{"enabled":false}'
rejected 404 PATCH /proxies/nope '{"enabled":false}'
rejected 404 DELETE /proxies/nope
rejected 400 PATCH /proxies/p2 '{"enabled":'
rejected 400 PATCH /proxies/p2 '{"upstream":"bad"}'
expect 200 PATCH /proxies/p2 '{"enabled":false}'
jq -e '.enabled == false' <<<"$BODY" >/dev/null || fail "PATCH proxy: $BODY"
[ "$("$PROBE" connect "$P2")" = refused ] || fail "disabled p2 accepts"
expect 200 POST /proxies/p2 '{"enabled":true}'
jq -e '.enabled == true' <<<"$BODY" >/dev/null || fail "POST proxy: $BODY"
[ "$("$PROBE" connect "$P2")" = ok ] || fail "enabled p2 refuses"
expect 200 PATCH /proxies/p2 "{\"listen\":\"127.0.0.1:$P3\"}"
[ "$("$PROBE" connect "$P3")" = ok ] && [ "$("$PROBE" connect "$P2")" = refused ] ||
	fail "listen change"
expect 204 DELETE /proxies/p0
[ -z "$BODY" ] || fail "204 with a body"
rejected 404 GET /proxies/p0
pass "GET|POST|PATCH|DELETE /proxies/{name}"

# Toxics.
expect 200 GET /proxies/pre/toxics
[ "$BODY" = "[]" ] || fail "empty toxics: $BODY"
expect 200 POST /proxies/pre/toxics '{"type":"latency","attributes":{"latency":10,"jitter":1}}'
jq -e '. == {name: "latency_downstream", type: "latency", stream: "downstream", toxicity: 1, attributes: {latency: 10, jitter: 1}}' \
	<<<"$BODY" >/dev/null || fail "toxic create: $BODY"
expect 200 POST /proxies/pre/toxics '{"name":"lim","type":"limit_data","stream":"upstream","toxicity":0.5,"attributes":{"bytes":10}}'
for t in bandwidth slow_close timeout reset_peer slicer loss; do
	expect 200 POST /proxies/pre/toxics "{\"type\":\"$t\",\"stream\":\"upstream\"}"
	jq -e --arg n "${t}_upstream" '.name == $n' <<<"$BODY" >/dev/null || fail "$t: $BODY"
done
expect 200 GET /proxies/pre/toxics
jq -e 'length == 8 and .[0].stream == "upstream" and .[-1].stream == "downstream"' \
	<<<"$BODY" >/dev/null || fail "toxic list: $BODY"
rejected 409 POST /proxies/pre/toxics '{"type":"latency"}'
jq -e '.error == "toxic already exists"' <<<"$BODY" >/dev/null || fail "409 toxic: $BODY"
rejected 400 POST /proxies/pre/toxics '{"type":"earthquake"}'
jq -e '.error == "invalid toxic type"' <<<"$BODY" >/dev/null || fail "type text: $BODY"
rejected 400 POST /proxies/pre/toxics '{"type":"latency","name":"x","stream":"sideways"}'
jq -e '.error | startswith("stream was invalid")' <<<"$BODY" >/dev/null || fail "stream text"
rejected 400 POST /proxies/pre/toxics '{"type":"latency","name":"x","attributes":{"latency":-1}}'
rejected 400 POST /proxies/pre/toxics '{"type":"latency","name":"x","toxicity":-0.5}'
rejected 400 POST /proxies/pre/toxics '{"type":"loss","name":"x","attributes":{"rate":2}}'
rejected 400 POST /proxies/pre/toxics '{"type":"bandwidth","name":"x","attributes":{"rate":1.5}}'
rejected 400 POST /proxies/pre/toxics 'not json'
rejected 404 POST /proxies/nope/toxics '{"type":"latency"}'
rejected 404 GET /proxies/nope/toxics
expect 200 GET /proxies/pre/toxics/lim
jq -e '.toxicity == 0.5 and .attributes.bytes == 10' <<<"$BODY" >/dev/null || fail "GET toxic: $BODY"
rejected 404 GET /proxies/pre/toxics/nope
jq -e '.error == "toxic not found"' <<<"$BODY" >/dev/null || fail "404 toxic text"
rejected 404 PATCH /proxies/pre/toxics/nope '{"attributes":{"bytes":1}}'
rejected 404 DELETE /proxies/pre/toxics/nope
rejected 400 PATCH /proxies/pre/toxics/lim '{"attributes":{"bytes":-1}}'
rejected 400 PATCH /proxies/pre/toxics/lim '{"toxicity":7}'
expect 200 PATCH /proxies/pre/toxics/lim '{"attributes":{"bytes":20}}'
jq -e '.attributes.bytes == 20 and .toxicity == 0.5' <<<"$BODY" >/dev/null || fail "PATCH toxic: $BODY"
expect 200 POST /proxies/pre/toxics/lim '{"toxicity":1}'
jq -e '.toxicity == 1' <<<"$BODY" >/dev/null || fail "POST toxic update: $BODY"
expect 204 DELETE /proxies/pre/toxics/lim
rejected 404 GET /proxies/pre/toxics/lim
expect 200 GET /proxies/pre
jq -e '.toxics | length == 7' <<<"$BODY" >/dev/null || fail "proxy toxics: $BODY"
pass "toxics: create (defaults), list, show, update, delete; 404, 409, 400"

# Routing errors.
rejected 405 PUT /proxies
rejected 404 GET /nowhere
rejected 404 GET /proxies/pre/toxics/lim/extra
pass "unknown paths 404, wrong methods 405"

# POST /reset: every proxy enabled, every toxic gone.
expect 200 PATCH /proxies/p2 '{"enabled":false}'
expect 204 POST /reset
expect 200 GET /proxies
jq -e '[.[] | .enabled] | all' <<<"$BODY" >/dev/null || fail "reset enabled: $BODY"
jq -e '[.[] | .toxics | length] | add == 0' <<<"$BODY" >/dev/null || fail "reset toxics: $BODY"
pass "POST /reset"

# POST /populate: create, keep, replace; all-or-nothing validation.
rejected 400 POST /populate '[{"name":"n1","upstream":"127.0.0.1:1"},{"name":"n2"}]'
jq -e '.error == "missing required field: upstream at proxy 2"' <<<"$BODY" >/dev/null ||
	fail "populate 400 text: $BODY"
rejected 400 POST /populate '{"name":"n1"}'
rejected 400 POST /populate '[{"name":"n1","upstream":"127.0.0.1:1"},{"name":"n1","upstream":"127.0.0.1:2"}]'
expect 201 POST /populate "[{\"name\":\"pre\",\"listen\":\"127.0.0.1:$PL\",\"upstream\":\"127.0.0.1:$MC\"},{\"name\":\"n1\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$MC\"},{\"name\":\"n2\",\"upstream\":\"127.0.0.1:$MC\",\"enabled\":false}]"
jq -e '.proxies | length == 3 and .[0].name == "pre" and .[2].enabled == false' \
	<<<"$BODY" >/dev/null || fail "populate: $BODY"
expect 200 GET /proxies
jq -e 'keys == ["n1","n2","p2","pre"]' <<<"$BODY" >/dev/null || fail "after populate: $BODY"
pass "POST /populate"

# Traffic still flows through the kept proxy.
"$PROBE" rtt "$PL" 3 >/dev/null || fail "no traffic through pre"

# Browsers are refused, as by Toxiproxy.
code=$(curl -s -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0' "$API/proxies")
[ "$code" = 403 ] || fail "browser user agent: $code"
pass "browser user agent 403"

stop_proxy
[ "$PROXY_RC" = 0 ] || fail "exit status $PROXY_RC"
pass "clean exit"
