#!/bin/bash
# Lints the Grafana dashboards without a Grafana: valid JSON, unique uids
# and panel ids, every datasource reference resolving to the provisioned
# datasource, the template variables and defaults the lab promises, every
# query parsing as PromQL (promtool), and every metric a query names being
# a documented metric (docs/METRICS.md) or a recording rule. Every client
# exports the same names (issue 14), so every recording rule and every
# query of a loadgen metric keeps the `client` label apart: a query
# filters on the `client` variable and draws a series per client.
source "$top_srcdir/tests/lib/common.sh"
need jq promtool awk

dash_dir=$top_srcdir/grafana/dashboards
ds_file=$top_srcdir/grafana/provisioning/datasources/reliabd.yml
prov_file=$top_srcdir/grafana/provisioning/dashboards/reliabd.yml
metrics_doc=$top_srcdir/docs/METRICS.md
rules_file=$top_srcdir/compose/rules/reliabd.rules.yml

dashboards=("$dash_dir"/*.json)
[ "${#dashboards[@]}" -eq 2 ] || fail "expected 2 dashboards in $dash_dir, found ${#dashboards[@]}"

# --- the provisioned datasource and dashboards provider -------------------
ds_uid=$(awk '$1 == "uid:" {print $2; exit}' "$ds_file")
ds_type=$(awk '$1 == "type:" {print $2; exit}' "$ds_file")
[ -n "$ds_uid" ] || fail "$ds_file: no datasource uid"
[ "$ds_type" = prometheus ] || fail "$ds_file: datasource type is '$ds_type', not prometheus"
[ "$(awk '/^[a-zA-Z]/ {sec = $1} sec == "datasources:" && /^  - name:/' "$ds_file" | wc -l)" -eq 1 ] || fail "$ds_file: expected exactly one datasource"
grep -q '^ *type: file$' "$prov_file" || fail "$prov_file: no file provider"
grep -q '^ *path: /' "$prov_file" || fail "$prov_file: provider has no absolute path"
pass "provisioning: datasource uid $ds_uid ($ds_type), file provider"

# --- known metric names ---------------------------------------------------
# First column of docs/METRICS.md's tables; histograms get their series.
known=$T/known-metrics
awk -F'|' '/^\| `[a-z_:]+`/ {
	name = $2; gsub(/[` ]/, "", name); print name
	if ($3 ~ /histogram/) { print name "_bucket"; print name "_sum"; print name "_count" }
}' "$metrics_doc" | sort -u >"$known"
n_known=$(wc -l <"$known")
[ "$n_known" -ge 30 ] || fail "$metrics_doc: only $n_known metric names found"
rules=$T/rule-names
awk '$1 == "-" && $2 == "record:" {print $3}' "$rules_file" | sort -u >"$rules"
[ -s "$rules" ] || fail "$rules_file: no recording rules found"
[ "$(awk '$1 == "-" && $2 == "record:"' "$rules_file" | wc -l)" -eq "$(wc -l <"$rules")" ] ||
	fail "$rules_file: a recording rule name is used twice"

# metric_names: reads PromQL expressions (one per line) on stdin, prints
# the metric names they select. Strings, label matchers, ranges, grouping
# clauses and numbers are removed; an identifier followed by "(" is a
# function or aggregation; what is left that is not a keyword is a metric.
metric_names() {
	sed -E \
		-e 's/"([^"\\]|\\.)*"//g' \
		-e 's/\{[^}]*\}//g' \
		-e 's/\[[^]]*\]//g' \
		-e 's/(^|[^a-zA-Z0-9_:])(by|without|on|ignoring|group_left|group_right)[[:space:]]*\([^)]*\)/\1/g' \
		-e 's/(^|[^a-zA-Z0-9_:])offset[[:space:]]+[0-9a-z]+/\1/g' \
		-e 's/(^|[^a-zA-Z0-9_:.])[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/\1/g' |
		grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*[[:space:]]*\(?' |
		grep -v '($' | sed -E 's/[[:space:]]+$//' |
		grep -viE '^(and|or|unless|bool|by|without|on|ignoring|group_left|group_right|offset|inf|nan)$' || true
}

# Self-test of the extractor on expressions whose answer is known.
got=$(printf '%s\n' \
	'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="b{c}"}[5m])))' \
	'sum(b == bool 2) / on(job) group_left(x) c_total offset 5m' \
	'count(d) or vector(1e3)' | metric_names | sort -u | tr '\n' ' ')
[ "$got" = "a_bucket b c_total d " ] || fail "metric-name extractor is wrong: got '$got'"

# Every metric a recording rule reads is documented too.
awk '/^ *(- )?[a-z_]+:( |$)|^ *#/ {inexpr = 0} /^ *expr:/ {inexpr = 1; sub(/^ *expr: *>? */, "")} inexpr {print}' \
	"$rules_file" | metric_names | sort -u >"$T/rule-inputs"
bad=$(comm -23 "$T/rule-inputs" <(sort -u "$known" "$rules") | tr '\n' ' ')
[ -z "$bad" ] || fail "$rules_file: rules read undocumented metrics: $bad"
promtool check rules "$rules_file" >"$T/promtool-rules.log" 2>&1 || {
	cat "$T/promtool-rules.log"; fail "promtool check rules $rules_file"; }

# Loadgen metrics are the memcache_* names (and the rules over them): the
# loadgen's table in docs/METRICS.md holds those and no other.
awk '/^## / {sec = $0} sec ~ /reliabd-loadgen/ && /^\| `[a-z_:]+`/ {n = $2; gsub(/[` |]/, "", n); print n}' \
	"$metrics_doc" >"$T/loadgen-metrics"
[ "$(wc -l <"$T/loadgen-metrics")" -ge 10 ] || fail "$metrics_doc: the loadgen's table has too few metrics"
! grep -v '^memcache_' "$T/loadgen-metrics" || fail "$metrics_doc: a loadgen metric not named memcache_*"
is_loadgen() { grep -qE '(^|[^a-zA-Z0-9_])([a-z_]+:)?memcache_'; }

# lost_client: reads PromQL expressions (one per line) on stdin, prints
# every aggregation that drops the client label: one without a by (...)
# naming client, or a without (...) naming it.
lost_client() {
	local in
	in=$(cat)
	grep -oE '(^|[^a-zA-Z0-9_:])(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)[[:space:]]*((by|without)[[:space:]]*\([^)]*\)[[:space:]]*)?\(' <<<"$in" |
		sed -E 's/^[^a-z]//' |
		grep -vE '[[:space:]]by[[:space:]]*\([^)]*\bclient\b' |
		grep -vE '[[:space:]]without[[:space:]]*\(' || true
	grep -oE 'without[[:space:]]*\([^)]*\bclient\b[^)]*\)' <<<"$in" || true
}
got=$(printf '%s\n' 'sum by (client, le) (x)' 'x / max by (server) (y)' 'sum(z)' \
	'count without (op) (w)' 'avg without (client) (v)' 'rate(sum_total[1m])' | lost_client | tr '\n' ';')
[ "$got" = "max by (server) (;sum(;without (client);" ] ||
	fail "the client-label checker is wrong: got '$got'"

# Every recording rule keeps client: two clients are never summed.
awk '/^ *(- )?[a-z_]+:( |$)|^ *#/ {inexpr = 0} /^ *expr:/ {inexpr = 1; sub(/^ *expr: *>? */, "")} inexpr {print}' \
	"$rules_file" >"$T/rule-exprs"
bad=$(lost_client <"$T/rule-exprs" | tr '\n' ';')
[ -z "$bad" ] || fail "$rules_file: aggregations drop the client label: $bad"
awk '$1 == "-" && $2 == "record:" {print $3}' "$rules_file" | grep -v '^client[_:]' &&
	fail "$rules_file: a rule's level does not name client first"

allowed=$T/allowed
sort -u "$known" "$rules" >"$allowed"

# --- each dashboard -------------------------------------------------------
uids=()
titles=()
total_queries=0
for f in "${dashboards[@]}"; do
	b=${f##*/}
	jq empty "$f" 2>"$T/jq.err" || { cat "$T/jq.err"; fail "$b: not valid JSON"; }
	uid=$(jq -r '.uid // empty' "$f")
	[ -n "$uid" ] || fail "$b: no uid"
	[[ $uid =~ ^[a-zA-Z0-9_-]{1,40}$ ]] || fail "$b: uid '$uid' is not a valid Grafana uid"
	uids+=("$uid")
	titles+=("$(jq -r .title "$f")")

	# Defaults the lab promises: refresh 5 s, the last 15 minutes.
	[ "$(jq -r .refresh "$f")" = 5s ] || fail "$b: refresh is not 5s"
	[ "$(jq -r '.time.from + " " + .time.to' "$f")" = "now-15m now" ] || fail "$b: time range is not the last 15 minutes"

	# Panel ids (rows and panels nested in collapsed rows included).
	ids=$(jq -r '[.panels[], (.panels[].panels // [])[]] | .[].id' "$f")
	[ -n "$ids" ] || fail "$b: no panels"
	dup=$(sort <<<"$ids" | uniq -d | tr '\n' ' ')
	[ -z "$dup" ] || fail "$b: duplicate panel ids: $dup"
	jq -e '[.panels[], (.panels[].panels // [])[]] | all(.id | type == "number")' "$f" >/dev/null ||
		fail "$b: a panel id is not a number"
	jq -e '[.panels[] | .gridPos | select(.w < 1 or .w > 24 or .x + .w > 24 or .h < 1)] | length == 0' "$f" >/dev/null ||
		fail "$b: a panel does not fit the 24-column grid"

	# Every datasource reference, wherever it is, is the provisioned one.
	bad=$(jq -c --arg uid "$ds_uid" --arg type "$ds_type" \
		'[.. | objects | select(has("datasource")) | .datasource
		  | select(type != "object" or .uid != $uid or .type != $type)] | unique | .[]' "$f")
	[ -z "$bad" ] || fail "$b: datasource references not resolving to $ds_uid: $bad"
	nref=$(jq '[.. | objects | select(has("datasource"))] | length' "$f")
	[ "$nref" -gt 0 ] || fail "$b: no datasource references at all"

	# Template variables client, server and scenario, from Prometheus
	# labels; client from a metric every client kind exports, any number
	# of clients at once.
	vars=$(jq -r '[.templating.list[].name] | sort | join(",")' "$f")
	[ "$vars" = client,scenario,server ] || fail "$b: template variables are '$vars', not client,scenario,server"
	jq -e '.templating.list | all(.type == "query" and (.definition | test("^label_values\\(")))' "$f" >/dev/null ||
		fail "$b: a template variable is not a label_values() query"
	jq -e '.templating.list[] | select(.name == "client") | .multi and .includeAll
	        and (.definition | test("^label_values\\(memcache_operations_total, *client\\)$"))
	        and .query.query == .definition' "$f" >/dev/null ||
		fail "$b: the client variable is not a multi-value, All-including label_values(memcache_operations_total, client)"

	# Scenario phases are drawn on every time panel: dashboard-wide
	# annotations from scenario_phase naming the scenario.
	jq -e '[.annotations.list[] | select(.enable and (.expr | test("scenario_phase"))
	        and (.titleFormat | test("\\{\\{scenario\\}\\}")))] | length >= 1' "$f" >/dev/null ||
		fail "$b: no enabled scenario-phase annotation naming the scenario"

	# Every non-row panel has a title, a description and queries.
	jq -e '[.panels[] | select(.type != "row")] | all((.title | length > 0) and (.description | length > 0)
	        and (.targets | length > 0) and all(.targets[]; (.expr | length > 0)))' "$f" >/dev/null ||
		fail "$b: a panel lacks a title, a description or a query"
	jq -e '[.panels[] | select(.type != "row") | [.targets[].refId] | (length == (unique | length))] | all' "$f" >/dev/null ||
		fail "$b: duplicate refIds within a panel"

	# Every expression: panels, annotations, variables.
	jq -r '(.panels[] | select(.type != "row") | .targets[].expr), (.annotations.list[].expr)' "$f" >"$T/exprs"
	jq -r '.templating.list[].definition | capture("^label_values\\((?<m>[a-zA-Z_:][a-zA-Z0-9_:]*),") | .m' "$f" >"$T/var-metrics"
	[ "$(wc -l <"$T/var-metrics")" -eq 3 ] || fail "$b: a variable's label_values() names no metric"
	n=$(wc -l <"$T/exprs")
	total_queries=$((total_queries + n))

	# Variables used are the dashboard's own or Grafana's built-ins.
	badvars=$(grep -oE '\$\{?[a-zA-Z_]+' "$T/exprs" | tr -d '${' | sort -u |
		grep -vxE 'client|server|scenario|__rate_interval|__interval|__range|__range_s' | tr '\n' ' ' || true)
	[ -z "$badvars" ] || fail "$b: unknown variables in queries: $badvars"

	# Every query of a loadgen metric: filtered on $client, no
	# aggregation dropping client, and where it draws series (any panel
	# but a table) one per client, named in the legend.
	nload=0
	while IFS=$'\t' read -r ptype title legend e; do
		is_loadgen <<<"$e" || continue
		nload=$((nload + 1))
		[[ $e == *'client=~"$client"'* ]] || fail "$b: $title: no client=~\"\$client\" filter: $e"
		bad=$(lost_client <<<"$e" | tr '\n' ';')
		[ -z "$bad" ] || fail "$b: $title: aggregation drops client ($bad): $e"
		[ "$ptype" = table ] || [[ $legend == *'{{client}}'* ]] ||
			fail "$b: $title: legend '$legend' does not name {{client}}"
	done < <(jq -r '.panels[] | select(.type != "row") | .type as $p | .title as $t | .targets[]
		| [$p, $t, (.legendFormat // ""), .expr] | @tsv' "$f")
	[ "$nload" -gt 0 ] || fail "$b: no query of a loadgen metric"

	# Each query parses: promtool checks it as a recording rule, with the
	# variables filled in as Grafana would.
	{
		echo "groups:"
		echo "  - name: lint"
		echo "    rules:"
		i=0
		while IFS= read -r e; do
			i=$((i + 1))
			e=${e//\$__rate_interval/4s}
			e=${e//\$__interval/1s}
			e=${e//\$__range_s/900}
			e=${e//\$__range/15m}
			e=${e//\$server/memcache1|memcache2}
			e=${e//\$client/default|b}
			e=${e//\$scenario/latency-1s}
			echo "      - record: lint:query_$i"
			printf '        expr: %s\n' "$(jq -Rn --arg e "$e" '$e')"
		done <"$T/exprs"
	} >"$T/lint-rules.yml"
	promtool check rules "$T/lint-rules.yml" >"$T/promtool-lint.log" 2>&1 || {
		cat "$T/promtool-lint.log"; fail "$b: a query does not parse as PromQL"; }

	# Every metric named is documented (or a recording rule).
	{ metric_names <"$T/exprs"; cat "$T/var-metrics"; } | sort -u >"$T/used"
	bad=$(comm -23 "$T/used" "$allowed" | tr '\n' ' ')
	[ -z "$bad" ] || fail "$b: queries name metrics not in docs/METRICS.md nor the rules: $bad"
	pass "$b: uid $uid, $(wc -l <<<"$ids") panel ids, $nref datasource refs, $n queries ($nload per client), $(wc -l <"$T/used") metrics named"
	cp "$T/used" "$T/used-$uid"
done

dup=$(printf '%s\n' "${uids[@]}" | sort | uniq -d | tr '\n' ' ')
[ -z "$dup" ] || fail "duplicate dashboard uids: $dup"
dup=$(printf '%s\n' "${titles[@]}" | sort | uniq -d | tr '\n' ' ')
[ -z "$dup" ] || fail "duplicate dashboard titles: $dup"

# What each dashboard must show (issue 6): the metrics behind each item.
requires() {
	local uid=$1; shift
	local used="$T/used-$uid" m
	[ -f "$used" ] || fail "no dashboard with uid $uid"
	for m in "$@"; do
		grep -qx -- "$m" "$used" || fail "$uid: nothing shows $m"
	done
}
requires reliabd-client-performance memcache_operations_rate memcache_error_rate \
	client_status:memcache_operations:rate5s memcache_circuit_breaker_state \
	memcache_pool_connections client_server_le:memcache_operation_duration_seconds_bucket:rate5s \
	scenario_phase toxiproxy_toxic_active toxiproxy_toxic_config
requires reliabd-advanced-analysis client_server:memcache_operations:rate5s \
	client_server_kind:memcache_operation_errors:rate5s memcache_operation_duration_seconds_bucket \
	client_server_to:memcache_circuit_breaker_transitions:increase1m memcache_circuit_breaker_transitions_total \
	client_server:memcache_pool_created:rate5s client_server:memcache_pool_acquire_errors:rate5s \
	memcache_data_integrity_errors_total scenario_time_to_open_seconds \
	scenario_time_to_recover_seconds
client=$(grep -l '"uid": "reliabd-client-performance"' "${dashboards[@]}")
jq -e '[.panels[] | select(.type == "timeseries" and (.title | test("Latency")))
        | .targets[].expr | capture("histogram_quantile\\((?<q>[0-9.]+),").q] | sort == ["0.50","0.95","0.99"]' \
	"$client" >/dev/null || fail "client performance: no p50/p95/p99 latency panel"
jq -e '[.panels[] | select(.type == "state-timeline") | .targets[].expr | select(test("memcache_circuit_breaker_state"))] | length == 1' \
	"$client" >/dev/null || fail "client performance: breaker state is not a state timeline"
for st in total active idle; do
	jq -e --arg st "$st" '[.panels[].targets[]?.expr | select(test("memcache_pool_connections.*state=\"" + $st + "\""))] | length >= 1' \
		"$client" >/dev/null || fail "client performance: no pool connections ($st) query"
done
pass "both dashboards: $total_queries queries; every required view present; uids ${uids[*]}"
