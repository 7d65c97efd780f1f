#!/bin/bash
# Host names in API requests never hold up reliabd-proxy. With a resolver
# that takes 3 s for one name (tests/tools/slowdns.so, preloaded):
# - names that resolve (localhost) work for upstream and listen, and a
#   proxy listening on a name is disabled and enabled again by requests
#   that do not name it;
# - a request naming the slow host answers 400 once the lookup fails,
#   while other API requests and proxied traffic go on at once;
# - SIGTERM during such a lookup waits for it and exits cleanly.
source "$top_srcdir/tests/integration/proxy_lib.sh"
need curl jq memcached

SHIM=$top_builddir/tests/tools/slowdns.so
[ -f "$SHIM" ] || fail "build tests/tools/slowdns.so first"
read -r MC PL <<<"$(free_ports 2)"
start_memcached "$MC"
# The sanitizers' runtime is linked into the binary; the shim is plain C.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
PROXY_WRAPPER="env LD_PRELOAD=$SHIM SLOWDNS_HOST=slow.invalid SLOWDNS_MS=3000" \
	start_proxy --log-level=warn --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC

# mc_version PORT: memcached's version line through that port.
mc_version() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'version\r\n' >&3
	read -r -t 2 line <&3 || line=
	exec 3>&-
	[[ $line == VERSION* ]]
}
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# 1. Names that resolve.
expect 201 POST /proxies "{\"name\":\"byname\",\"listen\":\"localhost:0\",\"upstream\":\"localhost:$MC\"}"
port=$(jq -r '.listen | sub(".*:"; "")' <<<"$BODY")
mc_version "$port" || fail "no memcached through a proxy made by names"
expect 200 POST /proxies/byname '{"enabled":false}'
expect 200 POST /proxies/byname '{"enabled":true}'
wait_for 5 mc_version "$port" || fail "no memcached after enabling again"
expect 204 POST /reset
pass "names that resolve: upstream and listen by name, enabled again without them"

# 2. A slow name holds up its own request only.
t0=$(now_ms)
curl -sS --max-time 20 -o "$T/slow.out" -w '%{http_code}' -X POST \
	--data-binary '{"name":"slow","upstream":"slow.invalid:1"}' \
	"$API/proxies" >"$T/slow.code" &
slow=$!
sleep 0.3
t1=$(now_ms)
expect 200 GET /version
expect 200 GET /proxies
expect 200 POST /proxies/mc/toxics '{"type":"latency","attributes":{"latency":1}}'
expect 204 DELETE /proxies/mc/toxics/latency_downstream
mc_version "$PL" || fail "no memcached through the proxy during a slow lookup"
t2=$(now_ms)
[ $((t2 - t1)) -lt 1000 ] || fail "a slow lookup held the API up for $((t2 - t1)) ms"
wait "$slow" || fail "the slow request failed: $(cat "$T/slow.out")"
t3=$(now_ms)
[ "$(cat "$T/slow.code")" = 400 ] || fail "slow name: $(cat "$T/slow.code") $(cat "$T/slow.out")"
grep -q 'slow.invalid' "$T/slow.out" || fail "the error does not name the host: $(cat "$T/slow.out")"
# The lookup really took its 3 s, or this showed nothing.
[ $((t3 - t0)) -ge 2500 ] || fail "the slow lookup took only $((t3 - t0)) ms"
expect 404 GET /proxies/slow
pass "slow lookup: $((t3 - t0)) ms for its request, $((t2 - t1)) ms for four others and a proxied get"

# 3. SIGTERM while a lookup runs.
curl -sS --max-time 20 -o /dev/null -X POST \
	--data-binary '{"name":"slow2","upstream":"slow.invalid:1"}' \
	"$API/proxies" 2>/dev/null &
sleep 0.3
stop_proxy
[ "$PROXY_RC" = 0 ] || fail "exit status $PROXY_RC after SIGTERM during a lookup: $(tail -n 5 "$T/proxy.log")"
pass "SIGTERM during a lookup: clean exit"
