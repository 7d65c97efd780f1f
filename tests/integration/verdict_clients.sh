#!/bin/bash
# timing: runs alone (tests/lib/run-test.sh)
# Issue 14, verdicts per client: three clients through the same built-in
# proxy meet one shortened partition. Client a has a breaker (it opens,
# its errors are circuit_open); client b has none and no metrics port of
# its own (port 0: the worker learns its real port from reliabd), so its
# errors are timeouts at about its op timeout; client c is libmemcached
# with auto-eject, which never ejects a server that accepts connections
# (its calls time out, its keys stay). The journal holds each
# client's figures, checks and verdict; the run fails because b did;
# with --compare the same run succeeds (it completed) and the clients'
# verdicts stay as they were. `show` prints them side by side, and so
# does the run's report page, loaded in headless Chromium.
source "$top_srcdir/tests/integration/verdict_lib.sh"
need python3 chromium

{
	verdict_lab_conf
	cat <<CONF
[loadgen a]
metrics = 127.0.0.1:$PL
workers = 16
rate = 500
op_timeout = 200ms
breaker_open_timeout = 500ms

[loadgen b]
workers = 4
rate = 200
op_timeout = 1s
breaker_consecutive_failures = 0
breaker_failure_ratio = 0

[loadgen c]
kind = libmemcached
workers = 4
rate = 200
op_timeout = 200ms
server_failure_limit = 2
retry_timeout = 1s
remove_failed_servers = yes
dead_timeout = 4s
CONF
} >"$T/reliabd.conf"

metrics_of() { ctl --json status | jq -r --arg n "$1" '.clients[] | select(.name==$n) | .metrics'; }
b_metrics() { metrics_of b; }
clients_up() {
	for c in proxy scenario memcache1 memcache2 memcache3 loadgen:a loadgen:b loadgen:c; do
		child_running "$c" || return 1
	done
	curl -fsS "http://$(b_metrics)/metrics" | grep -q '^memcache_operations_total' &&
		curl -fsS "http://$(metrics_of c)/metrics" | grep -q '^memcache_operations_total'
}
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 clients_up || fail "the lab did not come up: $(ctl status 2>&1)"
BM=$(b_metrics)
case $BM in *:0|"") fail "b has no live metrics port: $BM" ;; esac
sleep 1
wait_for 10 loadgen_clean "127.0.0.1:$PL" || fail "client a keeps failing"
wait_for 10 loadgen_clean "$BM" || fail "client b keeps failing"
wait_for 10 loadgen_clean "$(metrics_of c)" || fail "client c keeps failing"
# b's real port reached the worker when b came up, before any run (a
# playlist started at boot runs on without a start-scenario).
learned() { grep -q "client b: metrics at $BM\$" "$T/reliabd.log"; }
wait_for 5 learned || fail "the worker was not told b's port: $(grep 'client b' "$T/reliabd.log")"
pass "the scenario worker learned b's live metrics port ($BM) when b came up"

# run STAB TEST REC [--compare]: a shortened partition, its record
# printed.
run() {
	RUN_LINE=$(($(journal_lines) + 1))
	ctl --json start-scenario partition --stabilization "$1" --testing "$2" \
		--recovery "$3" "${@:4}" >"$T/start.json" || fail "start-scenario: $(cat "$T/start.json")"
	wait_record
}
plain=$(run 2s 3s 4s)
# Compared, only the outcome is looked at: shorter.
compared=$(run 1s 2s 1s --compare)
ctl show "$(jq -r .id <<<"$plain")" >"$T/show.txt" || fail "show failed"
ctl --json show "$(jq -r .id <<<"$plain")" >"$T/show.json" || fail "show --json failed"
ctl report "$(jq -r .id <<<"$plain")" -o "$T/report.html" >/dev/null || fail "report failed"
lab_stop

echo "  record: $(wc -c <<<"$plain") bytes (two clients, three servers)"
cl() { jq -c ".clients[] | select(.name == \"$2\") | $3" <<<"$1"; }
for r in "$plain"; do
	echo "  $(jq -c '{status, reason, compare, clients: [.clients[] | {name, status,
		errors: .phases.testing.errors, m1: .phases.testing.servers.memcache1}]}' <<<"$r")"
	[ "$(jq -r '[.clients[].name] | join(" ")' <<<"$r")" = "a b c" ] ||
		fail "clients: $(jq -c '[.clients[].name]' <<<"$r")"
	# Each client has its own figures and a complete hypothesis table
	# (c, without breakers, has its breaker checks not judged).
	for c in a b c; do
		jq -c ".clients[] | select(.name == \"$c\")" <<<"$r" | checks_complete ||
			fail "$c: a check lacks a figure: $(cl "$r" "$c" .checks)"
	done
	# What each client met, from its metrics: a's breaker failed its
	# calls fast, b's calls waited for its 1 s op timeout.
	[ "$(cl "$r" a '(.phases.testing.errors.circuit_open // 0) > 0')" = true ] ||
		fail "a: no circuit_open errors: $(cl "$r" a .phases.testing.errors)"
	[ "$(cl "$r" b '(.phases.testing.errors.timeout // 0) > 0')" = true ] ||
		fail "b: no timeout errors: $(cl "$r" b .phases.testing.errors)"
	[ "$(cl "$r" b '.phases.testing.errors.circuit_open // 0')" = 0 ] ||
		fail "b (no breaker) has circuit_open errors"
	[ "$(cl "$r" b '.phases.testing.servers.memcache1.p99_ms >= 900')" = true ] ||
		fail "b: memcache1 p99 under its op timeout: $(cl "$r" b .phases.testing.servers.memcache1)"
	[ "$(jq '(.clients[0].phases.testing.servers.memcache1.p99_ms) <
		(.clients[1].phases.testing.servers.memcache1.p99_ms)' <<<"$r")" = true ] ||
		fail "a's memcache1 p99 is not below b's"
	# Each client is judged apart: a passed, b's breaker never opened.
	[ "$(cl "$r" a .status)" = '"success"' ] ||
		fail "a: $(cl "$r" a '.status + ": " + .reason')"
	[ "$(cl "$r" b .status)" = '"failed"' ] || fail "b: $(cl "$r" b .status)"
	[ "$(cl "$r" b '[.checks[] | select(.check == "breaker_opens_within") | .result] | .[0]')" = '"failed"' ] ||
		fail "b: breaker_opens_within did not fail"
	# c, libmemcached with auto-eject: its calls on memcache1 time out
	# at about its 200 ms op timeout, and it never refuses one: it
	# never ejects memcache1 (a partitioned server accepts connections,
	# and libmemcached 1.1.4 counts only failed connects toward its
	# failure limit; docs/CLIENTS.md), so memcache1's keys stay there,
	# failing, for the whole fault.
	[ "$(cl "$r" c '(.phases.testing.errors.timeout // 0) > 0 and (.phases.testing.errors.circuit_open // 0) == 0')" = true ] ||
		fail "c: errors $(cl "$r" c .phases.testing.errors)"
	[ "$(cl "$r" c '.phases.testing.servers.memcache1 | .p99_ms >= 190 and .ops > 0 and .error_rate >= 0.5')" = true ] ||
		fail "c: memcache1 in testing: $(cl "$r" c .phases.testing.servers.memcache1)"
	[ "$(cl "$r" c '[.checks[] | select(.check == "breaker_opens_within") | .result] | .[0]')" = '"not_judged"' ] ||
		fail "c: breaker_opens_within judged without breaker metrics"
	# The top level is the first client's, as older readers read it.
	[ "$(jq -c '[.checks, .figures, .phases]' <<<"$r")" = "$(cl "$r" a '[.checks, .figures, .phases]')" ] ||
		fail "the top level is not client a's"
done
pass "each client has its own figures and verdict: a circuit_open and success, b timeouts and failed, c (libmemcached) timeouts and memcache1 never ejected"

# The run's verdict combines them: b failed, so the run failed, and the
# reason names b; compared, the run completed, so it succeeded.
[ "$(jq -r '.status + " " + (.compare | tostring)' <<<"$plain")" = "failed false" ] ||
	fail "plain run: $(jq -c '{status, compare}' <<<"$plain")"
jq -e '.reason | startswith("b: ")' <<<"$plain" >/dev/null || fail "plain reason: $(jq .reason <<<"$plain")"
echo "  $(jq -c '{status, reason, compare, clients: [.clients[] | {name, status}]}' <<<"$compared")"
[ "$(jq -r '.status + " " + (.compare | tostring)' <<<"$compared")" = "success true" ] ||
	fail "compared run: $(jq -c '{status, reason, compare}' <<<"$compared")"
[ "$(cl "$compared" b .status)" = '"failed"' ] || fail "compared: b: $(cl "$compared" b .status)"
[ "$(jq -r .reason <<<"$compared")" = "compared: a $(cl "$compared" a .status | tr -d '"'), b failed, c $(cl "$compared" c .status | tr -d '"')" ] ||
	fail "compared reason: $(jq .reason <<<"$compared")"
pass "the run fails when a client fails; --compare: success, the verdicts informative"

# show: the clients side by side, and the record as is with --json.
sed 's/^/    /' "$T/show.txt"
grep -q '^clients side by side$' "$T/show.txt" || fail "show: $(cat "$T/show.txt")"
grep -Eq '^  CLIENT +a +b +c *$' "$T/show.txt" || fail "show: no client columns: $(cat "$T/show.txt")"
grep -Eq "^  verdict +success +failed +$(cl "$plain" c .status | tr -d '"') *\$" "$T/show.txt" || fail "show: no verdicts row: $(cat "$T/show.txt")"
grep -Eq '^  testing by kind +circuit_open [0-9]+.* +timeout [0-9]+' "$T/show.txt" ||
	fail "show: no errors by kind side by side: $(grep 'by kind' "$T/show.txt")"
jq -e '.run.clients | length == 3' "$T/show.json" >/dev/null || fail "show --json: $(head -c 300 "$T/show.json")"
pass "show prints the clients side by side"

# The report page: each client's verdict and figures a row, each check a
# row with each client's measured value and result as the record has
# them, and a chart a client in every panel, drawn from that client's
# own samples (the lab is stopped: the page needs nothing from it).
timeout 120 chromium --headless --no-sandbox --disable-gpu \
	--disable-background-networking --user-data-dir="$T/chromium" \
	--enable-logging=stderr --v=0 --virtual-time-budget=5000 \
	--dump-dom "file://$T/report.html" >"$T/dom.html" \
	2>"$T/chromium.log" || fail "chromium failed: $(tail -5 "$T/chromium.log")"
if grep -E ':CONSOLE' "$T/chromium.log" >"$T/console.txt"; then
	fail "console messages: $(cat "$T/console.txt")"
fi
printf '%s\n' "$plain" >"$T/plain.json"
python3 - "$T/plain.json" "$T/report.html" "$T/dom.html" <<'EOF' || fail "the report page does not show the clients side by side"
import json, re, sys
from html.parser import HTMLParser
rec = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1))
errs = []
names = [c["name"] for c in rec["clients"]]
# The series holds every client's samples.
got = {}
for s in data["series"]["samples"]:
    got.setdefault(s.get("client"), []).append(s)
if data["series"]["meta"].get("clients") != names:
    errs.append("series clients %s, record %s" % (data["series"]["meta"].get("clients"), names))
for n in names:
    if len(got.get(n, [])) < 10:
        errs.append("client %s: %d samples in the series" % (n, len(got.get(n, []))))

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.verdicts, self.checks = {}, [], []
        self.cur = self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and (a.get("id") or "").startswith("chart-"):
            self.charts[a["id"][6:]] = a
        if tag == "tr" and "data-client" in a:
            self.cur = []
            self.verdicts.append(self.cur)
        if tag == "tr" and "data-check" in a:
            self.cur = []
            self.checks.append(self.cur)
        if tag == "td" and self.cur is not None:
            self.cell = []
    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.cur.append("".join(self.cell))
            self.cell = None
        if tag == "tr":
            self.cur = None
    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)
p = P()
p.feed(open(sys.argv[3]).read())
def fmt(v):
    return "-" if not isinstance(v, (int, float)) or isinstance(v, bool) else "%.6g" % v
def key_of(k):
    return (k["check"], k.get("phase") or "", k.get("server") or "all")
want = [[c["name"], c["status"]] for c in rec["clients"]]
if [v[:2] for v in p.verdicts] != want:
    errs.append("verdict rows %s, record %s" % ([v[:2] for v in p.verdicts], want))
# Each check once, each client's figure in its own columns.
keys = []
for c in rec["clients"]:
    for k in c["checks"]:
        if key_of(k) not in keys:
            keys.append(key_of(k))
if len(p.checks) != len(keys):
    errs.append("%d check rows for %d checks" % (len(p.checks), len(keys)))
for row, key in zip(p.checks, keys):
    if tuple(row[:3]) != key:
        errs.append("row %s for check %s" % (row[:3], key))
        continue
    for i, c in enumerate(rec["clients"]):
        m = [k for k in c["checks"] if key_of(k) == key]
        exp = [fmt(m[0].get("measured")), m[0]["result"]] if m else ["-", "-"]
        if row[5 + 2 * i:7 + 2 * i] != exp:
            errs.append("check %s, client %s: %s, record %s" % (key, c["name"], row[5 + 2 * i:7 + 2 * i], exp))
# A chart a client, drawn: throughput, errors by kind, latency.
for i, n in enumerate(names):
    for c in ("ops", "errkind", "latency"):
        a = p.charts.get("%s-%d" % (c, i))
        if a is None or a.get("data-client") != n:
            errs.append("no chart %s for client %s: %s" % (c, n, a))
        elif int(a.get("data-points") or 0) <= 0:
            errs.append("chart %s of client %s not drawn: %s" % (c, n, a))
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
print("  page: %d check rows; samples %s; ops points %s" % (len(p.checks),
      {n: len(got[n]) for n in names},
      [p.charts["ops-%d" % i]["data-points"] for i in range(len(names))]))
EOF
pass "the report page shows the clients side by side: verdicts, checks, a chart each"
