#!/bin/bash
# The Prometheus side: both configs pass `promtool check config`, the
# recording rules pass `promtool check rules` and their unit tests, and the
# native config, written by prometheus-native.sh, discovers every worker a
# reliabd file_sd file lists, with reliabd's labels (a loadgen's client
# among them).
source "$top_srcdir/tests/lib/common.sh"
need promtool jq

c=$top_srcdir/compose

for cfg in prometheus.yml prometheus-native.yml; do
	promtool check config "$c/$cfg" >"$T/check-$cfg.log" 2>&1 || {
		cat "$T/check-$cfg.log"; fail "promtool check config $cfg"; }
	grep -q 'SUCCESS: 1 rule files found' "$T/check-$cfg.log" || fail "$cfg: rule file not found by promtool"
	grep -Eq '^  scrape_interval: 1s$' "$c/$cfg" || fail "$cfg: scrape interval is not 1s"
done
pass "promtool check config: prometheus.yml, prometheus-native.yml"

promtool check rules "$c/rules/reliabd.rules.yml" >"$T/rules.log" 2>&1 || {
	cat "$T/rules.log"; fail "promtool check rules"; }
nrules=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p' "$T/rules.log")
promtool test rules "$c/rules/reliabd.rules.test.yml" >"$T/rules-test.log" 2>&1 || {
	cat "$T/rules-test.log"; fail "promtool test rules"; }
pass "promtool check rules: $nrules rules; promtool test rules: SUCCESS"

# The compose config scrapes the workers under the labels reliabd gives
# its file_sd entries, so the dashboards see the same series either way.
for w in reliabd loadgen scenario; do
	grep -Eq "labels: \{worker: $w[,}]" "$c/prometheus.yml" || fail "prometheus.yml: no target for worker $w"
done
# ...and the loadgen as the client reliabd.conf's one [loadgen] is.
grep -q 'labels: {worker: loadgen, client: default}' "$c/prometheus.yml" ||
	fail "prometheus.yml: the loadgen target is not labelled client default"

# The native config through the script the lab uses: a targets file as
# reliabd writes it, and service discovery run by promtool.
cat >"$T/targets.json" <<'EOF'
[
 {"targets": ["127.0.0.1:9093"], "labels": {"job": "reliabd", "worker": "reliabd"}},
 {"targets": ["127.0.0.1:9090"], "labels": {"job": "reliabd", "worker": "loadgen", "client": "default"}},
 {"targets": ["127.0.0.1:9094"], "labels": {"job": "reliabd", "worker": "loadgen:b", "client": "b"}},
 {"targets": ["127.0.0.1:9091"], "labels": {"job": "reliabd", "worker": "scenario"}},
 {"targets": ["127.0.0.1:9092"], "labels": {"job": "reliabd", "worker": "proxy"}}
]
EOF
sh "$c/prometheus-native.sh" --config-only "$T/targets.json" "$T/prom" >"$T/native.log" 2>&1 || {
	cat "$T/native.log"; fail "prometheus-native.sh --config-only"; }
[ -f "$T/prom/prometheus.yml" ] || fail "prometheus-native.sh wrote no config"
grep -q "\"$T/targets.json\"" "$T/prom/prometheus.yml" || fail "native config does not name the targets file"
promtool check config "$T/prom/prometheus.yml" >"$T/check-native.log" 2>&1 || {
	cat "$T/check-native.log"; fail "promtool check config (generated native config)"; }
grep -q WARNING "$T/check-native.log" && { cat "$T/check-native.log"; fail "generated config: promtool warns"; }

promtool check service-discovery --timeout=10s "$T/prom/prometheus.yml" reliabd >"$T/sd.json" 2>"$T/sd.err" || {
	cat "$T/sd.err"; fail "promtool check service-discovery"; }
found=$(jq -r '[.[] | .labels.worker + "=" + .labels.instance + "/" + .labels.job + (.labels.client // "" | if . == "" then "" else "/client=" + . end)] | sort | join(" ")' "$T/sd.json")
want="loadgen:b=127.0.0.1:9094/reliabd/client=b loadgen=127.0.0.1:9090/reliabd/client=default proxy=127.0.0.1:9092/reliabd reliabd=127.0.0.1:9093/reliabd scenario=127.0.0.1:9091/reliabd"
[ "$found" = "$want" ] || fail "service discovery found '$found', want '$want'"
pass "native config via file_sd: $found"

# Bad usage is refused with exit 2 and one line.
set +e
sh "$c/prometheus-native.sh" --no-such-option a b >/dev/null 2>"$T/bad.err"; rc=$?
set -e
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] || fail "prometheus-native.sh: bad option gave rc=$rc"
sh "$c/prometheus-native.sh" --help >"$T/help.txt" || fail "prometheus-native.sh --help failed"
grep -q -- '--listen=ADDR' "$T/help.txt" || fail "prometheus-native.sh --help lacks --listen"
pass "prometheus-native.sh: usage errors exit 2"
