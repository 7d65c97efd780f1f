# Shared by the proxy_*.sh tests (sourced, not run): starting
# reliabd-proxy on free ports and calling its API.
source "$top_srcdir/tests/lib/common.sh"
need curl jq memcached

PROXY_BIN=$top_builddir/reliabd-proxy
PROBE=$top_builddir/tests/tools/proxy_mcprobe
CHURN=$top_builddir/tests/tools/proxy_churn

# start_proxy [OPTIONS...]: reliabd-proxy with the API and /metrics on
# free ports (port 0); sets PROXY_PID, API (base URL) and METRICS (URL).
# $PROXY_WRAPPER (e.g. valgrind ...) runs in front of it when set.
start_proxy() {
	bg proxy ${PROXY_WRAPPER:-} "$PROXY_BIN" --api=127.0.0.1:0 \
		--metrics=127.0.0.1:0 "$@"
	PROXY_PID=$BG_PID
	wait_for 60 grep -q 'reliabd-proxy: api=' "$T/proxy.log" ||
		fail "reliabd-proxy did not start"
	local line
	line=$(grep 'reliabd-proxy: api=' "$T/proxy.log" | head -n 1)
	API=http://$(sed 's/.*api=\([^ ]*\).*/\1/' <<<"$line")
	METRICS=http://$(sed 's/.*metrics=\([^ ]*\).*/\1/' <<<"$line")/metrics
}

# stop_proxy: SIGTERM, and its exit status in PROXY_RC.
stop_proxy() {
	kill -TERM "$PROXY_PID"
	set +e
	wait "$PROXY_PID"
	PROXY_RC=$?
	set -e
}

# call METHOD PATH [BODY]: sets STATUS and BODY.
call() {
	local out
	if [ $# -ge 3 ]; then
		out=$(curl -sS --max-time 20 -X "$1" -w '\n%{http_code}' \
			-H 'Content-Type: application/json' --data-binary "$3" \
			"$API$2")
	else
		out=$(curl -sS --max-time 20 -X "$1" -w '\n%{http_code}' "$API$2")
	fi
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
	[ "$BODY" != "$STATUS" ] || BODY=
}

# expect STATUS METHOD PATH [BODY]
expect() {
	local want=$1
	shift
	call "$@"
	[ "$STATUS" = "$want" ] || fail "$1 $2: status $STATUS, want $want: $BODY"
}

# median and count_over from numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
count_over() { awk -v t="$1" '$1 >= t {n++} END {print n+0}'; }
# field NAME from a "k=v k=v" line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
# float comparison: fcmp "1.5 < 2"
fcmp() { awk "BEGIN {exit !($1)}"; }
