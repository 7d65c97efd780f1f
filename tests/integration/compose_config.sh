#!/bin/bash
# The compose lab: Debian's docker-compose accepts the file (no engine
# needed), every service is there, Grafana is provisioned with anonymous
# viewing and an admin password from the environment, and the pieces
# agree with each other: reliabd.conf's servers are Toxiproxy's proxies,
# their upstreams the memcached services, Prometheus scrapes the ports
# reliabd.conf opens, Grafana mounts what its provisioning names.
source "$top_srcdir/tests/lib/common.sh"
need docker-compose jq awk

c=$top_srcdir/compose
dc() { docker-compose --project-directory "$c" -f "$c/docker-compose.yml" "$@"; }
# No stray setting from the caller's environment.
unset GRAFANA_ADMIN_PASSWORD RELIABD_BIND

dc config -q 2>"$T/config.err" || { cat "$T/config.err"; fail "docker-compose config -q"; }
[ ! -s "$T/config.err" ] || { cat "$T/config.err"; fail "docker-compose config -q warned"; }
pass "docker-compose config -q"

services=$(dc config --services | sort | tr '\n' ' ')
[ "$services" = "grafana memcache1 memcache2 memcache3 prometheus reliabd toxiproxy " ] ||
	fail "services are '$services'"
pass "services: $services"

dc config >"$T/resolved.yml"
grep -q 'image: ghcr.io/shopify/toxiproxy:' "$T/resolved.yml" || fail "toxiproxy is not the real Toxiproxy image"
grep -q 'dockerfile: compose/Dockerfile' "$T/resolved.yml" || fail "reliabd is not built from compose/Dockerfile"
grep -q 'GF_AUTH_ANONYMOUS_ENABLED: "true"' "$T/resolved.yml" || fail "Grafana anonymous access is off"
grep -q 'GF_AUTH_ANONYMOUS_ORG_ROLE: Viewer' "$T/resolved.yml" || fail "anonymous users are not viewers"
grep -q 'GF_SECURITY_ADMIN_PASSWORD: admin$' "$T/resolved.yml" || fail "no default admin password"
GRAFANA_ADMIN_PASSWORD=s3cret-Pw dc config >"$T/resolved-pw.yml"
grep -q 'GF_SECURITY_ADMIN_PASSWORD: s3cret-Pw$' "$T/resolved-pw.yml" ||
	fail "the admin password does not come from GRAFANA_ADMIN_PASSWORD"
pass "Grafana: anonymous viewer, admin password from GRAFANA_ADMIN_PASSWORD"

# Grafana's mounts are what its provisioning expects.
top=$(cd "$top_srcdir" && pwd)
dash_path=$(awk '$1 == "path:" {print $2}' "$top_srcdir/grafana/provisioning/dashboards/reliabd.yml")
for m in "$top/grafana/dashboards:$dash_path" \
	"$top/grafana/provisioning/datasources:/etc/grafana/provisioning/datasources" \
	"$top/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards"; do
	grep -qF -- "- $m:ro" "$T/resolved.yml" || fail "Grafana does not mount $m"
done
home=$(sed -n 's/.*GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: //p' "$T/resolved.yml")
[ -f "$top/grafana/dashboards/${home#"$dash_path"/}" ] || fail "home dashboard $home is not a mounted dashboard"
pass "Grafana mounts: dashboards at $dash_path, home $home"

# reliabd.conf drives Toxiproxy in external mode.
conf=$c/reliabd.conf
ini() { # ini SECTION KEY
	awk -v s="[$1]" -v k="$2" '
		/^\[/ {cur = $0; next}
		cur == s && $1 == k && $2 == "=" {v = $3} END {print v}' "$conf"
}
[ "$(ini proxy mode)" = external ] || fail "reliabd.conf: proxy mode is not external"
[ "$(ini proxy api)" = toxiproxy:8474 ] || fail "reliabd.conf: proxy api is not toxiproxy:8474"
grep -q -- '-host=0.0.0.0' "$T/resolved.yml" || fail "Toxiproxy API does not listen on the compose network"

# reliabd itself accepts the file (workers looked up in the build tree
# instead of the image's /usr/sbin).
sed "/^\[daemon\]/a worker_dir = $top_builddir" "$conf" >"$T/reliabd.conf"
"$top_builddir/reliabd" -t -c "$T/reliabd.conf" >"$T/reliabd-t.log" 2>&1 || {
	cat "$T/reliabd-t.log"; fail "reliabd -t rejects compose/reliabd.conf"; }
pass "reliabd -t: compose/reliabd.conf OK, proxy mode external, api toxiproxy:8474"

# Each [server] is a Toxiproxy proxy: same name, listening on the port
# the client connects to, forwarding to the same upstream.
tox=$c/toxiproxy.json
jq -e 'type == "array" and length == 3' "$tox" >/dev/null || fail "toxiproxy.json: not 3 proxies"
servers=$(awk '/^\[server / {n = $2; sub(/\]$/, "", n); print n}' "$conf" | sort | tr '\n' ' ')
[ "$servers" = "memcache1 memcache2 memcache3 " ] || fail "reliabd.conf servers are '$servers'"
for s in $servers; do
	addr=$(ini "server $s" address)
	up=$(ini "server $s" upstream)
	[ "${addr%:*}" = toxiproxy ] || fail "server $s: address $addr is not the toxiproxy container"
	jq -e --arg n "$s" --arg p "${addr##*:}" --arg u "$up" \
		'[.[] | select(.name == $n and (.listen | endswith(":" + $p)) and .upstream == $u and .enabled)] | length == 1' \
		"$tox" >/dev/null || fail "toxiproxy.json: no enabled proxy $s on :${addr##*:} to $up"
	svc=${up%:*}
	[[ " $services" == *" $svc "* ]] || fail "server $s: upstream $up is not a compose service"
done
pass "reliabd.conf servers = toxiproxy.json proxies: $servers"

# Prometheus scrapes each port reliabd.conf opens, on the reliabd service.
for pair in "daemon:reliabd" "loadgen:loadgen" "scenario:scenario"; do
	sec=${pair%%:*} worker=${pair#*:}
	m=$(ini "$sec" metrics)
	[ "${m%:*}" = 0.0.0.0 ] || fail "reliabd.conf [$sec] metrics $m is not reachable from Prometheus"
	grep -qF "targets: [\"reliabd:${m##*:}\"]" "$c/prometheus.yml" ||
		fail "prometheus.yml does not scrape reliabd:${m##*:} ([$sec])"
	awk -v t="reliabd:${m##*:}" -v w="$worker" 'index($0, t) {getline; if (index($0, "worker: " w)) ok = 1} END {exit !ok}' \
		"$c/prometheus.yml" || fail "prometheus.yml: reliabd:${m##*:} is not labelled worker $worker"
done
grep -q -- '- ./rules:/etc/prometheus/rules' "$c/docker-compose.yml" || fail "Prometheus does not get the rules"
# One client, [loadgen], which is "default": its target carries the
# client label reliabd's file_sd would give it, as the dashboards need.
clients=$(awk '/^\[loadgen( [^]]*)?\]/ {n = $2; sub(/\]$/, "", n); print (n == "" ? "default" : n)}' "$conf" | tr '\n' ' ')
[ "$clients" = "default " ] || fail "reliabd.conf clients are '$clients', not the one client default"
m=$(ini loadgen metrics)
awk -v t="reliabd:${m##*:}" 'index($0, t) {getline; if (index($0, "client: default")) ok = 1} END {exit !ok}' \
	"$c/prometheus.yml" || fail "prometheus.yml: reliabd:${m##*:} is not labelled client default"
pass "Prometheus scrapes reliabd:9093,9090,9091 with worker labels, the loadgen as client default"

# The image: Debian 12, the project's own build and install.
grep -q '^FROM debian:12' "$c/Dockerfile" || fail "Dockerfile is not Debian 12"
grep -q 'make install' "$c/Dockerfile" || fail "Dockerfile does not make install"
pass "Dockerfile: Debian 12, configure && make install"
