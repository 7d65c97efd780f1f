#!/bin/bash
# Every panel of both dashboards shows data from a real lab.
#
# Starts reliabd from the build tree (three managed memcached nodes, the
# built-in proxy, two clients: [loadgen] and [loadgen b], the scenario
# worker), a real Prometheus through compose/prometheus-native.sh (the
# lab's own way: file_sd from reliabd's target file, 1 s scrapes, the
# recording rules), runs a shortened latency-1s scenario, then runs every
# query of every panel, annotation and template variable, with the
# variables filled in as Grafana would (both clients selected), and
# requires data from each, and from each client where a query is per
# client. Prometheus's targets must show every worker up, found through
# the file_sd file, each client's loadgen with its client label.
source "$top_srcdir/tests/lib/common.sh"
need prometheus jq curl memcached

# Seconds since the start, in the log: where this long test spends them.
elapsed() { echo $((SECONDS - t0)); }
t0=$SECONDS

STAB=3 TEST=5 RECOV=6
SCENARIO=latency-1s

read -r m1 m2 m3 x1 x2 x3 api pm lm sm dm pp <<<"$(free_ports 12)"
mkdir -p "$T/state" "$T/scenarios"
{
conf_daemon "$T/control.sock" "$dm"
conf_node memcache1 "$m1" "$x1"
conf_node memcache2 "$m2" "$x2"
conf_node memcache3 "$m3" "$x3"
cat <<EOF
[proxy]
mode    = builtin
api     = 127.0.0.1:$api
metrics = 127.0.0.1:$pm

[loadgen]
metrics = 127.0.0.1:$lm
workers = 4
; Every panel needs data, not load: 400 and 150 ops/s, not 1000 and 300
; (the suite is CPU-bound).
rate    = 400
; Probes 1 s after opening, so the breaker closes well inside the short
; recovery phase and the run has a time to recover to show.
breaker_open_timeout = 1s

; A second client, at the same time through the same proxies, on a port
; of its own choosing: file_sd finds it, labelled client="b".
[loadgen b]
workers = 2
rate    = 150
breaker_open_timeout = 1s

[scenario]
metrics       = 127.0.0.1:$sm
scenario_dir  = $T/scenarios
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"

CTL=("$top_builddir/reliabctl" -s "$T/control.sock")
bg reliabd "$top_builddir/reliabd" -c "$T/reliabd.conf"

# reliabd's file_sd file lists all five metrics ports once every worker
# is serving, each client's with its client label.
WORKERS='["loadgen","loadgen:b","proxy","reliabd","scenario"]'
targets=$T/state/targets.json
all_listed() {
	jq -e --argjson w "$WORKERS" '([.[].labels.worker] | sort == $w)
		and ([.[] | select(.labels.client) | .labels.worker + "=" + .labels.client] | sort
		     == ["loadgen:b=b","loadgen=default"])' "$targets"
}
wait_for 30 all_listed || { cat "$targets" 2>/dev/null; fail "targets.json does not list every worker"; }
pass "reliabd wrote $targets: $(jq -c '[.[] | .labels.worker + "=" + .targets[0]]' "$targets")"

# Prometheus, as the lab starts it.
bg prometheus sh "$top_srcdir/compose/prometheus-native.sh" --listen="127.0.0.1:$pp" \
	"$targets" "$T/prom" -- --log.level=warn
PROM=http://127.0.0.1:$pp
wait_for 30 curl -fsS --max-time 2 "$PROM/-/ready" || fail "Prometheus did not become ready"

# Every worker up, discovered through the file_sd file.
targets_ok() {
	curl -fsS --max-time 5 "$PROM/api/v1/targets?state=active" >"$T/targets-api.json" &&
	jq -e --arg f "$targets" '
		[.data.activeTargets[] | select(.health == "up" and .labels.job == "reliabd"
		  and .discoveredLabels.__meta_filepath == $f) | .labels.worker + (.labels.client // "" | if . == "" then "" else "/" + . end)]
		| sort == ["loadgen/default","loadgen:b/b","proxy","reliabd","scenario"]' "$T/targets-api.json"
}
wait_for 30 targets_ok || { jq . "$T/targets-api.json" 2>/dev/null | head -60; fail "Prometheus targets: not every worker up via file_sd"; }
pass "Prometheus targets up via file_sd: $(jq -r '[.data.activeTargets[] | .labels.worker + "=" + .health] | sort | join(" ")' "$T/targets-api.json") [$(elapsed) s]"

# query EXPR [TIME]: instant query; prints the JSON answer.
query() {
	curl -fsS --max-time 10 "$PROM/api/v1/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"}
}
scalar() { query "$1" "${2:-}" | jq -r '.data.result[0].value[1] // empty'; }

# Both clients' traffic reaches Prometheus before the run starts, so the
# stabilization phase has a baseline on the graphs.
has_traffic() { [ "$(query 'count(memcache_operations_rate > 0)' | jq -r '.data.result[0].value[1] // 0')" = 2 ]; }
wait_for 20 has_traffic || fail "no traffic from both clients in Prometheus"

start=$(date +%s)
"${CTL[@]}" start-scenario "$SCENARIO" --stabilization "${STAB}s" --testing "${TEST}s" \
	--recovery "${RECOV}s" >"$T/start.log" 2>&1 || { cat "$T/start.log"; fail "reliabctl start-scenario"; }
pass "started $SCENARIO: ${STAB}s + ${TEST}s + ${RECOV}s [$(elapsed) s]"

# Finished when the scenario worker counts the run; bounded well above
# the run's own 13 s.
run_done() { v=$(scalar "sum(scenario_runs_total{scenario=\"$SCENARIO\"})"); [ -n "$v" ] && [ "${v%.*}" -ge 1 ]; }
wait_for $((STAB + TEST + RECOV + 30)) run_done || fail "the run did not finish"
echo "run counted [$(elapsed) s]"
# Two more scrapes and rule evaluations after the run's last change.
sleep 3
end=$(date +%s)
range=$((end - start + 1))

# Template variables as Grafana resolves them, from each dashboard's
# own definitions (the same in both: the lint test checks their names).
label_values() { # METRIC LABEL
	curl -fsS -G --max-time 10 "$PROM/api/v1/label/$2/values" \
		--data-urlencode "match[]=$1" --data-urlencode "start=$start" --data-urlencode "end=$end" |
		jq -r '.data | join("|")'
}
variable() { # NAME: the values of the first dashboard's variable NAME
	local def
	def=$(jq -r --arg n "$1" '.templating.list[] | select(.name == $n) | .definition' \
		"$top_srcdir/grafana/dashboards/client-performance.json")
	[[ $def =~ ^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\ *([a-z_]+)\)$ ]] || fail "variable $1: '$def'"
	label_values "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}
clients=$(variable client)
[ "$clients" = "b|default" ] || fail "variable client resolves to '$clients'"
servers=$(variable server)
[ "$servers" = "memcache1|memcache2|memcache3" ] || fail "variable server resolves to '$servers'"
scenarios=$(variable scenario)
[[ "|$scenarios|" == *"|$SCENARIO|"* ]] || fail "variable scenario resolves to '$scenarios', without $SCENARIO"
pass "variables: client=($clients) server=($servers) scenario=($scenarios) [$(elapsed) s]"

# fill EXPR SERVER SCENARIO [CLIENT]: sets $filled to the expression as
# Grafana sends it. A multi-value variable becomes a regex alternation.
fill() {
	local e=$1
	e=${e//\$__rate_interval/4s}
	e=${e//\$__interval/1s}
	e=${e//\$__range_s/$range}
	e=${e//\$__range/${range}s}
	e=${e//\$server/($2)}
	e=${e//\$scenario/($3)}
	filled=${e//\$client/(${4:-$clients})}
}

# queue_query WHAT EXPR INSTANT [CLIENTS]: a query to check: data with
# at least one number; with CLIENTS ("b|default"), series for each of
# those clients and no other. The queries go out together (run_queries):
# one jq writes a curl config, one curl sends them all, one jq checks
# the answers. A few processes each cost more than the run itself on a
# loaded machine (36 s for 76 queries at a load average of 9).
nq=0
mkdir -p "$T/q"
: >"$T/queries.tsv"
queue_query() {
	nq=$((nq + 1))
	printf '%s\t%s\t%s\t%s\n' "$1" "$3" "${4:-}" "$2" >>"$T/queries.tsv"
}
# run_queries: every queued query, each answer checked; fails naming
# every query that failed.
run_queries() {
	local i files=()
	# Each request a curl config block; a JSON string is a valid curl
	# config string for these (ASCII, no control characters).
	jq -R -r --arg prom "$PROM" --arg from "$start" --arg to "$end" --arg dir "$T/q" '
		split("\t") as [$what, $instant, $want, $expr]
		| (if input_line_number > 1 then "next\n" else "" end)
		  + "fail\nsilent\nshow-error\nmax-time = 20\n"
		  + (if $instant == "true" then
		       "url = \("\($prom)/api/v1/query" | @json)\ndata-urlencode = \("time=\($to)" | @json)\n"
		     else
		       "url = \("\($prom)/api/v1/query_range" | @json)\ndata-urlencode = \("start=\($from)" | @json)\n"
		       + "data-urlencode = \("end=\($to)" | @json)\ndata-urlencode = step=1\n"
		     end)
		  + "data-urlencode = \("query=\($expr)" | @json)\noutput = \("\($dir)/\(input_line_number).json" | @json)"' \
		"$T/queries.tsv" >"$T/queries.curl" || fail "jq could not write the curl config"
	curl --parallel --parallel-max 4 -K "$T/queries.curl" 2>"$T/curl.err" || true
	for ((i = 1; i <= nq; i++)); do
		[ -s "$T/q/$i.json" ] || { cat "$T/curl.err"; fail "query failed: $(sed -n "${i}p" "$T/queries.tsv")"; }
		files+=("$T/q/$i.json")
	done
	jq -n -r --rawfile m "$T/queries.tsv" '
		[$m | split("\n")[] | select(length > 0) | split("\t")] as $q
		| [inputs] as $a
		| if ($a | length) != ($q | length) then "answers: \($a | length), queries: \($q | length)" else
		  range(0; $q | length) | $q[.] as [$what, $instant, $want, $expr] | $a[.] as $r
		  | ([$r.data.result[] | if $instant == "true" then .value[1] else .values[][1] end
		      | select(. != "NaN")] | length) as $n
		  | ([$r.data.result[].metric.client] | unique | join("|")) as $got
		  | if $r.status != "success" or $n == 0 then "\($what): no data: \($expr)"
		    elif $want != "" and $got != $want then "\($what): series for clients \u0027\($got)\u0027, not \u0027\($want)\u0027: \($expr)"
		    else empty end
		  end' "${files[@]}" >"$T/query-failures" || fail "jq could not read the answers"
	[ ! -s "$T/query-failures" ] || { cat "$T/query-failures"; fail "$(wc -l <"$T/query-failures") of $nq queries failed"; }
}

for f in "$top_srcdir"/grafana/dashboards/*.json; do
	b=${f##*/}
	n0=$nq
	# Panels: with every server, and with the faulted server alone; a
	# loadgen panel (it filters on $client) shows both clients apart.
	while IFS=$'\t' read -r title instant expr; do
		per_client=
		[[ $expr == *'$client'* ]] && per_client=$clients
		fill "$expr" "$servers" "$SCENARIO"
		queue_query "$b: $title" "$filled" "$instant" "$per_client"
		if [[ $expr == *'$server'* ]]; then
			fill "$expr" memcache1 "$SCENARIO"
			queue_query "$b: $title [memcache1]" "$filled" "$instant" "$per_client"
		fi
	done < <(jq -r '.panels[] | select(.type != "row") | .title as $t | .targets[]
		| [$t, (.instant // false | tostring), .expr] | @tsv' "$f")
	# Annotations (the phase bands): range queries.
	while IFS=$'\t' read -r name expr; do
		fill "$expr" "$servers" "$SCENARIO"
		queue_query "$b: annotation $name" "$filled" false
	done < <(jq -r '.annotations.list[] | [.name, .expr] | @tsv' "$f")
	echo "$b: $((nq - n0)) queries [$(elapsed) s]"
done

# Selecting one client shows that client only: the operations-per-second
# panel, filled with b alone, draws b's series and none of default's.
ops=$(jq -r '.panels[] | select(.title == "Operations per second") | .targets[] | select(.refId == "A") | .expr' \
	"$top_srcdir/grafana/dashboards/client-performance.json")
[ -n "$ops" ] || fail "client performance: no Operations per second panel"
fill "$ops" "$servers" "$SCENARIO" b
queue_query "Operations per second [client b]" "$filled" false b

run_queries
pass "$nq queries, each returned data, per client where per client; operations per second filled with b shows b alone [$(elapsed) s]"

# The testing band covers the testing phase: as many 1 s points as the
# phase lasted, give or take scrape timing.
band=$(curl -fsS --max-time 10 "$PROM/api/v1/query_range" \
	--data-urlencode "query=max by (scenario) (scenario_phase{scenario=\"$SCENARIO\"}) == 2" \
	--data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=1" |
	jq '[.data.result[].values[]] | length')
[ "$band" -ge $((TEST - 1)) ] && [ "$band" -le $((TEST + 2)) ] ||
	fail "testing band spans $band s, the phase lasted ${TEST}s"
pass "testing-phase band: ${band}s for a ${TEST}s phase"

# What a person must see at a glance: the faulted server's breaker open
# on the breaker timeline, and the error rate rising, within the run,
# for each client: both met the same fault.
for cl in default b; do
	max_state=$(scalar "max_over_time(max by (server) (memcache_circuit_breaker_state{client=\"$cl\",server=\"memcache1\"})[${range}s:1s])" "$end")
	[ "${max_state%.*}" = 2 ] || fail "breaker timeline: client $cl's memcache1 never shows open (max state '${max_state}')"
	peak_err=$(scalar "max_over_time(max(memcache_error_rate{client=\"$cl\"})[${range}s:1s])" "$end")
	awk -v v="${peak_err:-0}" 'BEGIN {exit !(v > 0.01)}' ||
		fail "error-rate panel: client $cl's peak ${peak_err:-none} during a 1 s latency fault"
	peaks="${peaks:-}$cl $peak_err, "
done
base_ops=$(scalar "avg_over_time(sum(memcache_operations_rate{client=\"default\"})[${STAB}s:1s] offset $((end - start - STAB))s)" "$end")
tto=$(scalar "max(scenario_time_to_open_seconds{scenario=\"$SCENARIO\"})" "$end")
ttr=$(scalar "max(scenario_time_to_recover_seconds{scenario=\"$SCENARIO\"})" "$end")
pass "figures: default's baseline ${base_ops%.*} ops/s, peak error rate ${peaks}memcache1 breaker open in both, time to open ${tto} s, time to recover ${ttr} s"
pass "$nq dashboard queries returned data from a live lab [$(elapsed) s]"
