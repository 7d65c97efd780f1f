# Shared by the loadgen_*.sh tests (sourced after tests/lib/common.sh).

LOADGEN="$top_builddir/reliabd-loadgen"

# start_three: three private memcached; sets MC_PORTS (array) and
# SERVER_ARGS (the --server options, names m1..m3).
start_three() {
	read -r -a MC_PORTS <<<"$(free_ports 3)"
	[ "${#MC_PORTS[@]}" -eq 3 ] || fail "no free ports"
	SERVER_ARGS=()
	local i=1 p
	for p in "${MC_PORTS[@]}"; do
		start_memcached "$p"
		MC_PIDS[$i]=$BG_PID
		SERVER_ARGS+=("--server=m$i=127.0.0.1:$p")
		i=$((i + 1))
	done
}

# start_loadgen ARGS...: reliabd-loadgen in the background with /metrics on
# a free port; sets LG_PID and LG_URL once it serves. Its log is
# $T/loadgen.log, or $T/$LG_NAME.log when a test runs a second one.
start_loadgen() {
	local name=${LG_NAME:-loadgen}
	bg "$name" "$LOADGEN" "${SERVER_ARGS[@]}" --metrics=127.0.0.1:0 "$@"
	LG_PID=$BG_PID
	wait_for 10 grep -q 'serving /metrics on' "$T/$name.log" ||
		fail "$name did not start serving /metrics"
	LG_URL="http://$(sed -n 's/.*serving \/metrics on \([^ ]*\).*/\1/p' "$T/$name.log" | head -n 1)/metrics"
}

# scrape FILE: one /metrics exposition into FILE.
scrape() { curl -fsS --max-time 5 -o "$1" "$LG_URL" || fail "scrape of $LG_URL failed"; }

# val FILE SERIES: the value of one series in a scraped file ('' if none).
val() { awk -v k="$2" 'index($0, k" ")==1 {print $2; exit}' "$1"; }

# lgval SERIES: the value of one series now.
lgval() {
	local f="$T/now.prom"
	curl -fsS --max-time 5 -o "$f" "$LG_URL" 2>/dev/null || { echo ""; return; }
	val "$f" "$1"
}

# stop_loadgen: SIGTERM, and it must exit 0 within 10 s.
stop_loadgen() {
	kill -TERM "$LG_PID"
	local rc=0
	for _ in $(seq 100); do kill -0 "$LG_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$LG_PID" 2>/dev/null && fail "loadgen did not exit on SIGTERM"
	wait "$LG_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "loadgen exited $rc on SIGTERM"
}

# done_field NAME: a field of the loadgen's final "done:" log line.
done_field() {
	sed -n "s/.*done: .*[ ]$1=\\([^ ]*\\).*/\\1/p" "$T/loadgen.log" | tail -n 1
}

# Floating-point comparisons for the shell.
fcmp() { awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; }

# above SERIES N: the series' current value is > N (for wait_for).
above() { local v; v=$(lgval "$1"); [ -n "$v" ] && fcmp "$v" '>' "$2"; }
