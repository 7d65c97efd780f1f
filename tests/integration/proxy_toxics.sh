#!/bin/bash
# Each toxic's effect, measured through reliabd-proxy on real memcached
# traffic (issue 4, point 1). Margins hold on a busy 2-core machine yet
# each check fails if the toxic does nothing (or too much).
source "$top_srcdir/tests/integration/proxy_lib.sh"

read -r MC PL <<<"$(free_ports 2)"
start_memcached "$MC"
start_proxy --seed=7 --proxy=mc=127.0.0.1:$PL,127.0.0.1:$MC
"$PROBE" set "$MC" big 400000
"$PROBE" set "$MC" mid 1000

add() { expect 200 POST /proxies/mc/toxics "$1"; }
del() { expect 204 DELETE "/proxies/mc/toxics/$1"; }

# Baseline.
base=$("$PROBE" rtt "$PL" 20 | median)
fcmp "$base < 20" || fail "baseline round trip ${base} ms"
pass "baseline median round trip ${base} ms"

# Adding a toxic acts at once on a connection already open.
"$PROBE" rtt "$PL" 30 20 >"$T/rtt-add" &
rpid=$!
sleep 0.3
add '{"type":"latency","attributes":{"latency":50}}'
wait "$rpid"
firstrtt=$(head -n 1 "$T/rtt-add")
lastrtt=$(tail -n 1 "$T/rtt-add")
fcmp "$firstrtt < 20 && $lastrtt >= 50" ||
	fail "latency added on an open connection: first ${firstrtt}, last ${lastrtt} ms"
del latency_downstream
pass "latency added while a connection was open: ${firstrtt} ms, then ${lastrtt} ms"

# latency: + the configured delay (within 10 ms).
add '{"type":"latency","attributes":{"latency":100,"jitter":0}}'
lat=$("$PROBE" rtt "$PL" 10 | median)
fcmp "$lat - $base >= 90 && $lat - $base <= 110" ||
	fail "latency 100 ms: median ${lat} ms (baseline ${base})"
pass "latency 100 ms: median round trip ${lat} ms"
# Removing it acts at once on a connection waiting behind it.
expect 200 PATCH /proxies/mc/toxics/latency_downstream \
	'{"attributes":{"latency":5000}}'
"$PROBE" watch "$PL" 8 "get mid" >"$T/w-lat" &
wpid=$!
sleep 0.5
del latency_downstream
wait "$wpid"
w=$(cat "$T/w-lat")
first=$(field first_ms "$w")
fcmp "$first >= 300 && $first < 2000" ||
	fail "removing latency did not release the reply at once: $w"
after=$("$PROBE" rtt "$PL" 10 | median)
fcmp "$after < $base + 20" || fail "after removal: ${after} ms"
pass "removing latency released a held reply after ${first} ms; then ${after} ms"

# bandwidth: 200 KB/s caps a 400 kB transfer (within 10 %).
add '{"type":"bandwidth","attributes":{"rate":200}}'
w=$("$PROBE" watch "$PL" 10 "get big|quit")
bytes=$(field bytes "$w")
ms=$(field end_ms "$w")
[ "$bytes" -ge 400000 ] || fail "bandwidth: short transfer: $w"
rate=$(awk -v b="$bytes" -v m="$ms" 'BEGIN {printf "%.1f", b / m}')
fcmp "$rate >= 180 && $rate <= 220" || fail "bandwidth 200 KB/s: ${rate} KB/s ($w)"
del bandwidth_downstream
pass "bandwidth 200 KB/s: measured ${rate} KB/s"

# timeout: no data, closed after the timeout.
add '{"type":"timeout","attributes":{"timeout":500}}'
w=$("$PROBE" watch "$PL" 5 "get mid")
[ "$(field bytes "$w")" = 0 ] || fail "timeout let data through: $w"
[ "$(field end "$w")" = eof ] || fail "timeout did not close: $w"
ms=$(field end_ms "$w")
fcmp "$ms >= 450 && $ms < 1500" || fail "timeout 500 ms closed at ${ms} ms"
del timeout_downstream
pass "timeout 500 ms: no data, closed at ${ms} ms"

# timeout 0: data stops, the connection stays.
add '{"type":"timeout","attributes":{"timeout":0}}'
w=$("$PROBE" watch "$PL" 1.5 "get mid")
[ "$(field bytes "$w")" = 0 ] && [ "$(field end "$w")" = timeout ] ||
	fail "timeout 0: $w"
del timeout_downstream
pass "timeout 0: no data, connection kept"

# reset_peer: the client sees a reset after the timeout.
add '{"type":"reset_peer","stream":"upstream","attributes":{"timeout":200}}'
w=$("$PROBE" watch "$PL" 5 "get mid")
[ "$(field end "$w")" = reset ] || fail "reset_peer: $w"
ms=$(field end_ms "$w")
fcmp "$ms >= 180 && $ms < 1500" || fail "reset_peer 200 ms reset at ${ms} ms"
del reset_peer_upstream
pass "reset_peer 200 ms: connection reset at ${ms} ms"

# limit_data: closed after the byte count.
add '{"type":"limit_data","attributes":{"bytes":100}}'
w=$("$PROBE" watch "$PL" 5 "get mid")
[ "$(field bytes "$w")" = 100 ] && [ "$(field end "$w")" = eof ] ||
	fail "limit_data 100: $w"
del limit_data_downstream
pass "limit_data 100: got 100 bytes then EOF"

# slicer: the reply comes in many small writes.
w0=$("$PROBE" watch "$PL" 5 "get mid|quit")
add '{"type":"slicer","attributes":{"average_size":50,"size_variation":10,"delay":3000}}'
w=$("$PROBE" watch "$PL" 5 "get mid|quit")
reads0=$(field reads "$w0")
reads=$(field reads "$w")
[ "$(field bytes "$w")" = "$(field bytes "$w0")" ] || fail "slicer lost data: $w"
[ "$reads0" -le 3 ] && [ "$reads" -ge 10 ] ||
	fail "slicer: $reads reads (without: $reads0)"
del slicer_downstream
pass "slicer: ${reads} reads instead of ${reads0}"

# slow_close: the close is delayed.
w0=$("$PROBE" watch "$PL" 5 "quit")
add '{"type":"slow_close","attributes":{"delay":1000}}'
w=$("$PROBE" watch "$PL" 5 "quit")
ms0=$(field end_ms "$w0")
ms=$(field end_ms "$w")
[ "$(field end "$w")" = eof ] || fail "slow_close: $w"
fcmp "$ms0 < 300 && $ms >= 950 && $ms < 2500" ||
	fail "slow_close 1000 ms: closed at ${ms} ms (without: ${ms0} ms)"
del slow_close_downstream
pass "slow_close 1000 ms: closed at ${ms} ms instead of ${ms0} ms"

# loss 100 %: nothing passes.
add '{"type":"loss","attributes":{"rate":1.0}}'
w=$("$PROBE" watch "$PL" 2 "get mid")
[ "$(field bytes "$w")" = 0 ] && [ "$(field end "$w")" = timeout ] ||
	fail "loss 1.0: $w"
# loss 20 %: about a fifth of the replies wait a retransmission timeout.
expect 200 PATCH /proxies/mc/toxics/loss_downstream '{"attributes":{"rate":0.2}}'
"$PROBE" rtt "$PL" 100 >"$T/loss-rtt"
slow=$(count_over 190 <"$T/loss-rtt")
fast=$(awk '$1 < 50' "$T/loss-rtt" | wc -l)
[ "$slow" -ge 8 ] && [ "$slow" -le 35 ] && [ $((slow + fast)) -ge 95 ] ||
	fail "loss 0.2: $slow of 100 delayed >= 190 ms, $fast fast"
del loss_downstream
pass "loss 0.2: $slow of 100 round trips waited >= 190 ms; loss 1.0 passed nothing"

# Toxicity 0: the toxic is there but affects no connection.
add '{"type":"latency","toxicity":0,"attributes":{"latency":1000}}'
t0=$("$PROBE" rtt "$PL" 5 | median)
fcmp "$t0 < 100" || fail "toxicity 0 still delayed: ${t0} ms"
del latency_downstream
pass "toxicity 0: ${t0} ms"

# Metrics while a toxic is active.
add '{"type":"latency","attributes":{"latency":1}}'
curl -fsS "$METRICS" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" || fail "promtool rejects /metrics"
[ "$(metric_value "$METRICS" 'toxiproxy_toxics_active{proxy="mc"}')" = 1 ] ||
	fail "toxics_active"
total=$(metric_value "$METRICS" 'toxiproxy_connections_total{proxy="mc"}')
down=$(metric_value "$METRICS" 'toxiproxy_bytes_total{proxy="mc",direction="downstream"}')
[ "${total%.*}" -ge 15 ] && [ "${down%.*}" -ge 400000 ] ||
	fail "metrics: connections_total=$total bytes downstream=$down"
pass "metrics: $total connections, $down bytes downstream"

# Disabling: existing connections closed, new ones refused.
"$PROBE" watch "$PL" 5 "get mid|get mid" >"$T/w-dis" &
wpid=$!
sleep 0.3
expect 200 POST /proxies/mc '{"enabled":false}'
[ "$("$PROBE" connect "$PL")" = refused ] || fail "disabled proxy accepts"
wait "$wpid"
w=$(cat "$T/w-dis")
fcmp "$(field end_ms "$w") < 3000" || fail "disable left a connection open: $w"
[ "$(metric_value "$METRICS" 'toxiproxy_connections{proxy="mc"}')" = 0 ] ||
	fail "connections gauge not 0 after disable"
expect 200 PATCH /proxies/mc '{"enabled":true}'
[ "$("$PROBE" connect "$PL")" = ok ] || fail "re-enabled proxy refuses"
pass "disabled: connection refused and open ones closed; enabled again"

stop_proxy
[ "$PROXY_RC" = 0 ] || fail "exit status $PROXY_RC on SIGTERM"
pass "clean exit"
