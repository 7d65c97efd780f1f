#!/bin/bash
# A run's report page on the real lab (issue 13, points 1 and 2): a
# shortened partition; while it runs, / lists it and its live page,
# loaded twice, has more samples the second time and reloads itself;
# then `reliabctl report` writes the page, and headless Chromium opens it:
# no console message (a CSP violation or a script error would be one),
# no request leaves the file (the page without its CSP, under a net log),
# every chart drawn with data, and the hypothesis table's values are the
# journal record's. ~30 s: the plain pass only.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached python3 chromium
B=$top_builddir
read -r N1 N2 N3 S1 S2 S3 PA PPM PL PSC PM <<<"$(free_ports 11)"
SOCK=$T/ctl.sock
{
	conf_daemon "$SOCK" "$PM"
	conf_node memcache1 "$N1" "$S1"
	conf_node memcache2 "$N2" "$S2"
	conf_node memcache3 "$N3" "$S3"
	cat <<EOF
[proxy]
mode    = builtin
api     = 127.0.0.1:$PA
metrics = 127.0.0.1:$PPM

[loadgen]
metrics              = 127.0.0.1:$PL
workers              = 6
rate                 = 1500
op_timeout           = 200ms
breaker_open_timeout = 500ms

[scenario]
metrics       = 127.0.0.1:$PSC
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
child_running() { [ "$(ctl --json status | jq -r --arg n "$1" '.children[] | select(.name == $n) | .state')" = running ]; }
all_up() {
	for c in proxy loadgen scenario memcache1 memcache2 memcache3; do
		child_running "$c" || return 1
	done
	curl -fsS "http://127.0.0.1:$PL/metrics" | grep -q '^memcache_operations_total'
}
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 20 all_up || fail "the lab did not come up: $(ctl status 2>&1)"
sleep 1 # the loadgen warms its pools
U=http://127.0.0.1:$PM

# page FILE: what the page's data holds, one line: samples, phases,
# faults, and whether the page reloads itself.
page() {
	python3 - "$1" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
d = json.loads(m.group(1))
s = d["series"] or {}
print(len(s.get("samples", [])), len(s.get("phases", [])), len(s.get("faults", [])),
      1 if 'http-equiv="refresh"' in html else 0)
EOF
}

# 1. A run in progress: / lists it, its page grows and reloads itself.
ctl start-scenario partition --stabilization 3s --testing 6s --recovery 5s \
	>"$T/start.txt" || fail "start-scenario: $(cat "$T/start.txt")"
echo "started at $(date +%T.%N)"
live_id() { curl -fsS "$U/" | grep -A3 'id="live"' | grep -o 'href="/run/[^"]*"' | head -1 | sed 's|href="/run/||; s|"$||'; }
has_live() { [ -n "$(live_id)" ]; }
wait_for 10 has_live || fail "/ lists no run in progress: $(curl -sS "$U/")"
ID=$(live_id)
echo "listed at $(date +%T.%N)"
curl -fsS "$U/run/$ID" >"$T/live1.html" || fail "live page 1"
echo "page 1 at $(date +%T.%N)"
sleep 1
curl -fsS "$U/run/$ID" >"$T/live2.html" || fail "live page 2"
echo "page 2 at $(date +%T.%N)"
read -r n1 _ _ r1 <<<"$(page "$T/live1.html")"
read -r n2 p2 _ r2 <<<"$(page "$T/live2.html")"
[ "$r1" = 1 ] && [ "$r2" = 1 ] || fail "the live page does not reload itself"
[ "$n2" -gt "$n1" ] || fail "the live page did not grow: $n1 then $n2 samples"
[ "$p2" -ge 1 ] || fail "the live page has no phase"
pass "/ lists $ID in progress; its live page reloads itself and grew from $n1 to $n2 samples"

# 2. The run ends; reliabctl report writes the page (RUN.html by
# default, the path printed), the same as / links to.
journaled() { [ "$(ctl --json runs --last 1 | jq -r '.runs[0].id')" = "$ID" ]; }
wait_for 40 journaled || fail "the run did not end: $(ctl status)"
ctl --json show "$ID" | jq .run >"$T/rec.json" || fail "show $ID"
mkdir "$T/out"
(cd "$T/out" && "$B/reliabctl" -s "$SOCK" report "$ID") >"$T/report.out" || fail "report: $(cat "$T/report.out")"
[ "$(cat "$T/report.out")" = "$T/out/$ID.html" ] || fail "report printed '$(cat "$T/report.out")', not $T/out/$ID.html"
R=$T/out/$ID.html
read -r n p f r <<<"$(page "$R")"
[ "$r" = 0 ] || fail "a finished run's page reloads itself"
[ "$f" -ge 2 ] || fail "the page has $f fault events (apply and remove expected)"
curl -fsS "$U/" | grep -q "href=\"/run/$ID\"" || fail "/ does not link $ID"
ctl report "$ID" -o "$T/again.html" >/dev/null || fail "report -o"
cmp -s "$R" "$T/again.html" || fail "two reports of one finished run differ"
pass "reliabctl report wrote $R ($(wc -c <"$R") bytes): $n samples, $p phases, $f fault events"

# 3. Chromium, offline, once (it takes seconds to start): no console
# message (a blocked request is a CSP violation, which is one; so is a
# script error), and in its net log no request with the page's file://
# isolation key (what the CSP does not cover, a navigation, would be
# one). The lab is stopped first: the page needs nothing from it.
kill -TERM "$RPID"
wait "$RPID" 2>/dev/null || true
timeout 120 chromium --headless --no-sandbox --disable-gpu \
	--disable-background-networking --user-data-dir="$T/chromium" \
	--enable-logging=stderr --v=0 --virtual-time-budget=5000 \
	--log-net-log="$T/net.json" --dump-dom "file://$R" >"$T/dom.html" \
	2>"$T/chromium.log" || fail "chromium failed: $(tail -5 "$T/chromium.log")"
grep -q 'id="chart-ops"' "$T/dom.html" || fail "chromium gave no DOM"
if grep -E ':CONSOLE' "$T/chromium.log" >"$T/console.txt"; then
	fail "console messages: $(cat "$T/console.txt")"
fi
python3 - "$T/net.json" <<'EOF' || fail "the page made requests"
import json, sys
d = json.load(open(sys.argv[1]))
bad = set()
for e in d["events"]:
    p = e.get("params") or {}
    # The page's requests carry its file:// isolation key; the
    # browser's own (updates...) do not.
    if "url" in p and str(p.get("network_isolation_key", "")).startswith("file://"):
        bad.add(p["url"])
if bad:
    print("requests from the page:", sorted(bad), file=sys.stderr)
    sys.exit(1)
EOF
pass "Chromium: no console message, no request from the page"

# 4. The DOM: every chart drawn with data; the hypothesis as recorded.
python3 - "$T/dom.html" "$T/rec.json" <<'EOF' || fail "the DOM does not hold the report"
import json, sys
from html.parser import HTMLParser
rec = json.load(open(sys.argv[2]))
charts, rows, cur, cell = {}, [], None, None
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        global cur, cell
        a = dict(attrs)
        if tag == "div" and (a.get("id") or "").startswith("chart-"):
            charts[a["id"][6:]] = a
        if tag == "tr" and "data-check" in a:
            cur = []
            rows.append(cur)
        if tag == "td" and cur is not None:
            cell = []
    def handle_endtag(self, tag):
        global cur, cell
        if tag == "td" and cell is not None:
            cur.append("".join(cell))
            cell = None
        if tag == "tr":
            cur = None
    def handle_data(self, data):
        if cell is not None:
            cell.append(data)
P().feed(open(sys.argv[1]).read())
want = ["ops", "errkind", "latency", "breaker", "pool", "integrity", "history"]
errs = []
for c in want:
    a = charts.get(c)
    if a is None:
        errs.append("no chart " + c)
    elif int(a.get("data-points") or 0) <= 0:
        errs.append("chart %s not drawn with data: %s" % (c, a))
def fmt(v):
    return "-" if not isinstance(v, (int, float)) or isinstance(v, bool) else "%.6g" % v
checks = rec.get("checks") or []
if not checks:
    errs.append("the record has no checks")
if len(rows) != len(checks):
    errs.append("%d rows for %d checks" % (len(rows), len(checks)))
for row, c in zip(rows, checks):
    exp = [c["check"], c.get("phase") or "", c.get("server") or "all",
           fmt(c.get("expected")), fmt(c.get("measured")), c.get("unit") or "",
           c.get("result") or ""]
    if row[:7] != exp:
        errs.append("row %s, record %s" % (row[:7], exp))
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
print(len(rows), "checks;", ", ".join("%s %s" % (c, charts[c]["data-points"]) for c in want))
EOF
pass "every chart drawn with data, the hypothesis table equals the record's $(jq '.checks | length' "$T/rec.json") checks"
