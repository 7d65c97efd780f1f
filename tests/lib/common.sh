# Sourced by every integration test. Gives a private temp dir, free ports,
# managed background processes that are always reaped, and waits that
# stop by themselves.
set -euo pipefail

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

T=$(mktemp -d "${TMPDIR:-/tmp}/reliabd-test.XXXXXX")
BG_PIDS=()

cleanup() {
	local rc=$?
	set +e
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$rc" -ne 0 ]; then
		echo "--- test failed (rc=$rc); logs in $T:" >&2
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "=== $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# free_ports N -> N distinct free ports, space separated.
free_ports() { "$top_builddir/tests/tools/freeport" "${1:-1}" | tr '\n' ' '; }

# bg NAME CMD... : runs CMD in the background, output in $T/NAME.log;
# sets BG_PID.
bg() {
	local name=$1; shift
	"$@" >"$T/$name.log" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_for SECONDS CMD... : polls CMD until it succeeds, for SECONDS at
# most: every 0.1 s for the first 2 s, every 0.25 s up to 10 s, then every
# 0.5 s. A poll runs reliabctl, jq or curl (25 ms of CPU each), the suite
# is CPU-bound on 2 cores, and a poll costs more the slower the machine;
# what a test times to the tenth of a second ends within 2 s.
# Under ASan a poll skips LeakSanitizer's exit scan (35 of a reliabctl's
# 55 ms): a poll repeats a command its test has run, leaks checked, and
# the daemons it queries are not started by it.
wait_for() {
	local secs=$1; shift
	local fast=$((secs * 10 < 20 ? secs * 10 : 20))
	local mid=$((secs > 10 ? 32 : (secs > 2 ? (secs - 2) * 4 : 0)))
	local slow=$((secs > 10 ? (secs - 10) * 2 : 0))
	local n asan=${ASAN_OPTIONS:-}
	asan=${asan/detect_leaks=1/detect_leaks=0}
	for n in $(seq "$((fast + mid + slow))"); do
		if ASAN_OPTIONS=$asan "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$n" -le "$fast" ]; then sleep 0.1
		elif [ "$n" -le "$((fast + mid))" ]; then sleep 0.25
		else sleep 0.5
		fi
	done
	return 1
}

# loadgen_clean HOST:PORT: the loadgen serving metrics there has an error
# rate under 0.1 %. A lab's baseline starts once it holds: the loadgen
# opens its pools' connections with its first calls, and on a busy machine
# some of those calls time out.
loadgen_clean() {
	curl -fsS "http://$1/metrics" |
		awk '$1 == "memcache_error_rate" { ok = ($2 < 0.001) } END { exit !ok }'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_memcached PORT [MEMORY]: a private memcached on 127.0.0.1.
start_memcached() {
	local port=$1 mem=${2:-64}
	bg "memcached-$port" memcached -l 127.0.0.1 -p "$port" -U 0 -m "$mem" -t 2 -c 4096 -u root
	wait_for 10 port_open "$port" || fail "memcached on $port did not start"
}

# BACKGROUND CMD...: for what burns CPU for a long while (valgrind, the
# fuzzers). The suite runs two tests at once on two cores, and a test
# whose limits are in milliseconds (a breaker's recovery, a phase
# boundary) must not be measuring valgrind's appetite: niced, these yield
# the CPU when they overlap such a test, and lose nothing when they do not.
BACKGROUND=(nice -n 15)

# The parts of a test's reliabd.conf that every test writes alike.
# conf_daemon SOCKET METRICS_PORT [WORKER_DIR]: the [daemon] section,
# state in $T/state, workers from the build tree.
conf_daemon() {
	cat <<EOF
[daemon]
control_socket = $1
state_dir      = $T/state
metrics        = 127.0.0.1:$2
worker_dir     = ${3:-$top_builddir}
stop_grace     = 3s

EOF
}

# conf_alone SOCKET METRICS_PORT: a reliabd.conf that runs no worker
# (an external proxy, no loadgen, no scenario worker): the control socket
# and the journal alone.
conf_alone() {
	conf_daemon "$1" "$2"
	printf '[proxy]\nmode = external\n[loadgen]\nenabled = no\n[scenario]\nenabled = no\n'
}

# conf_node NAME PORT [PROXY_PORT]: a managed memcached on PORT and the
# [server] the loadgen reaches it by: directly, or through the proxy
# listening on PROXY_PORT.
conf_node() {
	printf '[node %s]\nlisten = 127.0.0.1:%s\nmemory = 16\n\n' "$1" "$2"
	printf '[server %s]\naddress  = 127.0.0.1:%s\n' "$1" "${3:-$2}"
	[ -z "${3:-}" ] || printf 'upstream = 127.0.0.1:%s\n' "$2"
	echo
}

# mc_stat PORT NAME: one value from memcached's stats.
mc_stat() {
	exec 5<>"/dev/tcp/127.0.0.1/$1"
	printf 'stats\r\nquit\r\n' >&5
	local v
	v=$(tr -d '\r' <&5 | awk -v k="$2" '$1=="STAT" && $2==k {print $3}')
	exec 5<&-
	echo "$v"
}

# metric_value URL NAME_WITH_LABELS: the value of one series ('' if none).
metric_value() {
	curl -fsS --max-time 5 "$1" | awk -v k="$2" 'index($0, k" ")==1 {print $2; exit}'
}

# metric_is URL SERIES VALUE: the series reads VALUE now. For wait_for,
# which gets its arguments expanded once: `wait_for 10 test "$(...)" = 0`
# would compare the same first reading a hundred times.
metric_is() { [ "$(metric_value "$1" "$2")" = "$3" ]; }

need() {
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || fail "missing tool: $c (run ./run-tests, which installs it)"; done
}

# CMD | has [GREP-FLAGS] PATTERN: like grep -q, but reads all of its
# input first, so the writer never dies of SIGPIPE under pipefail.
has() {
	local input
	input=$(cat)
	grep -q "$@" <<<"$input"
}
