# Shared by the tests of issue 11 (the loadgen as independent callers):
# sourced after loadgen_lib.sh (and proxy_lib.sh when the proxy is used).
# Everything is measured as an application would see it: per-server
# latency from the loadgen's histograms (the delta between two scrapes),
# operation counts from its counters, CPU, memory and threads from /proc.

ROGUE="$top_builddir/tests/tools/mc_rogue"

# cont_on_exit PID...: whatever the test's end, a process it may have
# SIGSTOPped is continued, then the usual cleanup runs with the test's
# status (errexit off first: a failing `(exit N)` would end the trap).
cont_on_exit() {
	CONT_PIDS=("$@")
	trap 'rc=$?; set +e; kill -CONT "${CONT_PIDS[@]}" 2>/dev/null; (exit $rc); cleanup' EXIT
}

# The shell's own clock (µs): no `date` to start, whose start can lag.
now_ns() { echo "${EPOCHREALTIME/[.,]/}000"; }

# snap NAME: a scrape into $T/NAME.prom, its time in $T/NAME.t (ns). The
# time is the file's mtime, curl's last write of the body: a clock read
# after curl exits once came 0.73 s late (the shell slow to start `date`),
# and the window's rate came out 17 % high.
snap() {
	local f="$T/$1.prom"
	scrape "$f"
	stat -c %.9Y "$f" | tr -d . >"$T/$1.t"
}

# secs_between A B: seconds between two snaps.
secs_between() {
	awk -v a="$(cat "$T/$1.t")" -v b="$(cat "$T/$2.t")" \
		'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# delta A B SERIES: the series' growth between two snaps (0 if absent).
delta() {
	local a b
	a=$(val "$T/$1.prom" "$3")
	b=$(val "$T/$2.prom" "$3")
	awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { print b - a }'
}

# sum_delta A B REGEX: the growth of every series matching REGEX, summed.
sum_delta() {
	awk -v re="$3" '
		FNR == 1 { f++ }
		$1 ~ re { if (f == 1) a += $2; else b += $2 }
		END { print b - a }' "$T/$1.prom" "$T/$2.prom"
}

# quantile A B Q OP SERVER: the Q quantile (seconds) of OP's latency on
# SERVER between two snaps, interpolated within the bucket as
# Prometheus's histogram_quantile does; "nan" without observations.
quantile() {
	awk -v q="$3" -v k="memcache_operation_duration_seconds_bucket{op=\"$4\",server=\"$5\",le=\"" '
		FNR == 1 { f++ }
		index($0, k) == 1 {
			le = substr($1, length(k) + 1); sub(/".*/, "", le)
			if (f == 1) a[le] = $2; else { b[le] = $2; order[n++] = le }
		}
		END {
			total = b["+Inf"] - a["+Inf"]
			if (total <= 0) { print "nan"; exit }
			rank = q * total; prev = 0; pc = 0
			for (i = 0; i < n; i++) {
				le = order[i]; c = b[le] - a[le]
				if (c >= rank) {
					if (le == "+Inf") { print prev; exit }
					printf "%.6f\n", prev + (le - prev) * (c == pc ? 1 : (rank - pc) / (c - pc))
					exit
				}
				if (le != "+Inf") prev = le
				pc = c
			}
			print prev
		}' "$T/$1.prom" "$T/$2.prom"
}

# count_in A B OP SERVER LO HI: OP's observations on SERVER in (LO, HI]
# seconds between two snaps (LO and HI are bucket bounds as printed).
count_in() {
	local lo hi
	lo=$(delta "$1" "$2" "memcache_operation_duration_seconds_bucket{op=\"$3\",server=\"$4\",le=\"$5\"}")
	hi=$(delta "$1" "$2" "memcache_operation_duration_seconds_bucket{op=\"$3\",server=\"$4\",le=\"$6\"}")
	awk -v a="$lo" -v b="$hi" 'BEGIN { print b - a }'
}

# completed A B SERVER: operations of every kind that reached SERVER and
# ended between two snaps (its histograms' counts).
completed() {
	sum_delta "$1" "$2" "^memcache_operation_duration_seconds_count\\{.*server=\"$3\""
}

# errors A B SERVER [KIND]: SERVER's errors (of KIND, or any) between snaps.
errors() {
	local re="^memcache_operation_errors_total\\{.*server=\"$3\""
	[ -z "${4:-}" ] || re="$re.*kind=\"$4\""
	sum_delta "$1" "$2" "$re"
}

# all_ops A B: every operation the client finished (success or failed).
all_ops() { sum_delta "$1" "$2" '^memcache_operations_total\{'; }

# within_p99 BASE FAULT: FAULT <= max(1.5 x BASE, BASE + 2 ms), the bound
# of issue 11 for a server no fault touches.
within_p99() {
	awk -v b="$1" -v f="$2" 'BEGIN {
		if (b == "nan" || f == "nan") exit 1
		lim = 1.5 * b; if (b + 0.002 > lim) lim = b + 0.002
		exit !(f <= lim) }'
}

# ms SECONDS: for messages.
ms() { awk -v s="$1" 'BEGIN { if (s == "nan") print "nan"; else printf "%.2f", s * 1000 }'; }

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# status_field PID NAME: a field of /proc/PID/status (first number).
status_field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"; }

# key_shares PORTS...: fills the key space with a set-only closed-loop
# run (every key written), then prints each memcached's share of the
# keys (its curr_items over the total), one per line. The key-to-server
# map is ketama's and fixed, so these are exactly the shares of the
# operations any later run sends each server (with the same --keys and
# names). Uses SERVER_ARGS; KEYS (at most a few thousand) must be set.
key_shares() {
	local p n total=0 counts=()
	"$LOADGEN" "${SERVER_ARGS[@]}" --metrics=127.0.0.1:0 --keys="$KEYS" \
		--workload=get=0,set=1,delete=0 --workers=32 --duration=2s \
		--log-level=warn >"$T/prefill.log" 2>&1 || fail "prefill run failed"
	for p in "$@"; do
		n=$(mc_stat "$p" curr_items)
		counts+=("$n")
		total=$((total + n))
	done
	# A key or two missed by the random choice changes no share.
	[ "$total" -ge $((KEYS * 99 / 100)) ] || fail "prefill wrote $total of $KEYS keys"
	for n in "${counts[@]}"; do
		awk -v a="$n" -v t="$total" 'BEGIN { printf "%.5f\n", a / t }'
	done
}

# start_rogue PORT MODE: mc_rogue on PORT; sets ROGUE_PID. set_mode MODE
# switches it (file, then SIGHUP) and waits until it says so. Its files
# are $T/rogue.*, or $T/$ROGUE_NAME.* for a second one (which set_mode
# does not switch).
start_rogue() {
	local name=${ROGUE_NAME:-rogue}
	echo "$2" >"$T/$name.mode"
	bg "$name" "$ROGUE" "$1" "$T/$name.mode"
	ROGUE_PID=$BG_PID
	wait_for 10 port_open "$1" || fail "$name (mc_rogue) did not start"
}
rogue_says() { [ "$(grep -c "mode=$1\$" "$T/rogue.log")" -ge "$2" ]; }
set_mode() {
	local n
	n=$(($(grep -c "mode=$1\$" "$T/rogue.log" || true) + 1))
	echo "$1" >"$T/rogue.mode"
	kill -HUP "$ROGUE_PID"
	wait_for 5 rogue_says "$1" "$n" || fail "mc_rogue did not switch to $1"
}

# errors_now: every non-zero error counter, for a failure message.
errors_now() {
	curl -fsS --max-time 5 "$LG_URL" | awk '/^memcache_(operation|data_integrity)_errors_total\{/ && $2 > 0' | tr '\n' ' '
}

# start_three_proxied: three memcached behind reliabd-proxy (start_proxy,
# from proxy_lib.sh), the loadgen's SERVER_ARGS naming the proxy's ports
# m1..m3; MC_PORTS, MC_PIDS; m1's memcached is continued whatever the
# end. Then the key shares (KEYS must be set) in s1 s2 s3.
start_three_proxied() {
	local i proxies=()
	read -r -a MC_PORTS <<<"$(free_ports 3)"
	read -r -a PX_PORTS <<<"$(free_ports 3)"
	SERVER_ARGS=()
	for i in 1 2 3; do
		start_memcached "${MC_PORTS[i - 1]}"
		MC_PIDS[i]=$BG_PID
		proxies+=("--proxy=m$i=127.0.0.1:${PX_PORTS[i - 1]},127.0.0.1:${MC_PORTS[i - 1]}")
		SERVER_ARGS+=("--server=m$i=127.0.0.1:${PX_PORTS[i - 1]}")
	done
	cont_on_exit "${MC_PIDS[1]}"
	start_proxy "${proxies[@]}"
	key_shares "${MC_PORTS[@]}" >"$T/shares"
	read -r s1 s2 s3 <<<"$(tr '\n' ' ' <"$T/shares")"
	echo "key shares: m1 $s1 m2 $s2 m3 $s3"
}

# start_two_and_rogue: m1 and m2 memcached, m3 mc_rogue (answering
# properly to begin with); sets SERVER_ARGS.
start_two_and_rogue() {
	local p1 p2 p3
	read -r p1 p2 p3 <<<"$(free_ports 3)"
	start_memcached "$p1"
	start_memcached "$p2"
	start_rogue "$p3" good
	SERVER_ARGS=(--server=m1=127.0.0.1:$p1 --server=m2=127.0.0.1:$p2 --server=m3=127.0.0.1:$p3)
}
