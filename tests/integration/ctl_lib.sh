# Sourced by the ctl_*.sh tests: a reliabd with no worker (the control
# socket and the journal alone), and run records written by the test
# into its journal, built to the record contract of issue 12 (the
# scenario worker's record.c writes the same fields).
source "$top_srcdir/tests/lib/common.sh"
need jq
B=$top_builddir
J=$T/state/journal.jsonl
mkdir -p "$T/state"

# ctl_start: reliabd on a private socket; sets SOCK, RPID.
ctl_start() {
	local pm
	read -r pm <<<"$(free_ports 1)"
	SOCK=$T/ctl.sock
	conf_alone "$SOCK" "$pm" >"$T/reliabd.conf"
	bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
	RPID=$BG_PID
	wait_for 10 "$B/reliabctl" -s "$SOCK" hello || fail "reliabd did not start"
}
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }

# record ID SCENARIO STARTED STATUS TTO TTR THROUGHPUT: one run record on
# stdout (one line), its figures as given ("null" for not known).
record() {
	jq -cn --arg id "$1" --arg sc "$2" --argjson t "$3" --arg st "$4" \
		--argjson tto "$5" --argjson ttr "$6" --argjson thr "$7" '
	def srv(ops; rate; er; p50; p99):
		{ops: ops, ops_rate: rate, error_rate: er, p50_ms: p50, p99_ms: p99};
	{id: $id, batch: $id, scenario: $sc, source: "builtin", loop: 1,
	 started: $t, ended: ($t + 150.25), status: $st,
	 reason: (if $st == "failed" then "throughput_min_ratio: throughput fell to 0.0153 of the baseline (expected at least 0.5)" else "" end),
	 phases: {
	  stabilization: {start: $t, end: ($t + 30.004), duration_ms: 30000,
	    ops: 123456, ops_rate: 4115.2, error_rate: 0.000012, p50_ms: 0.312, p99_ms: 1.234567,
	    errors: {timeout: 1},
	    servers: {memcache1: srv(41000; 1366.67; 0; 0.301; 1.1),
	              memcache2: srv(41200; 1373.3; 0.000024; 0.322; 1.27),
	              memcache3: srv(41256; 1375.2; 0; 0.313; 1.19)}},
	  testing: {start: ($t + 30.004), end: ($t + 90.01), duration_ms: 60000,
	    ops: 3780, ops_rate: 63.0, error_rate: 0.31234, p50_ms: 1000.7, p99_ms: 5012.3,
	    errors: {timeout: 1180, circuit_open: 3},
	    servers: {memcache1: srv(1200; 20.0; 0.98; 1200.5; 5012.3),
	              memcache2: srv(1290; 21.5; 0; 0.41; 2.05),
	              memcache3: srv(1290; 21.5; null; null; null)}},
	  recovery: {start: ($t + 90.01), end: ($t + 150.25), duration_ms: 60000,
	    ops: 240000, ops_rate: 3984.1, error_rate: 0, p50_ms: 0.33, p99_ms: 1.41,
	    errors: {},
	    servers: {memcache1: srv(80000; 1328; 0; 0.33; 1.4),
	              memcache2: srv(80000; 1328; 0; 0.33; 1.41),
	              memcache3: srv(80000; 1328; 0; 0.34; 1.43)}}},
	 faults: [{server: "memcache1", type: "loss", toxic: "reliabd_loss_memcache1",
	   stream: "downstream", toxicity: 1, attributes: {loss: 5},
	   applied_count: 1, applied: ($t + 30.0561), removed: ($t + 90.0123),
	   toxic_type: "loss"}],
	 figures: {time_to_open_s: {memcache1: $tto}, time_to_recover_s: $ttr,
	   baseline_error_rate: 0.000012, peak_error_rate: 0.51, other_error_rate: 0,
	   samples: 150, throughput_ratio: $thr, recovered_throughput_ratio: 0.968123},
	 checks: [
	  {check: "baseline_error_rate_max", phase: "stabilization", server: null,
	   expected: 0.001, measured: 0.000012, unit: "ratio", result: "passed", why: ""},
	  {check: "breaker_opens_within", phase: "testing", server: "memcache1",
	   expected: 10, measured: $tto, unit: "s",
	   result: (if $tto == null then "not_judged" else "passed" end),
	   why: (if $tto == null then "the breaker did not open" else "" end)},
	  {check: "throughput_min_ratio", phase: "testing", server: null,
	   expected: 0.5, measured: $thr, unit: "ratio",
	   result: (if $st == "failed" then "failed" else "passed" end),
	   why: (if $st == "failed" then "throughput fell to 0.0153 of the baseline (expected at least 0.5)" else "" end)},
	  {check: "p99_max", phase: "testing", server: null,
	   expected: 2000, measured: 5012.3, unit: "ms", result: "failed",
	   why: "p99 5012.3 ms over the testing phase (expected at most 2000 ms)"},
	  {check: "others_p99_max_ratio", phase: "testing", server: "memcache2",
	   expected: 3, measured: 1.614173, unit: "ratio", result: "passed", why: ""},
	  {check: "others_p99_max_ratio", phase: "testing", server: "memcache3",
	   expected: 3, measured: null, unit: "ratio", result: "not_judged",
	   why: "memcache3 had no sample in the testing phase"},
	  {check: "recovers_within", phase: "recovery", server: null,
	   expected: 30, measured: $ttr, unit: "s",
	   result: (if $ttr == null then "not_judged" else "passed" end),
	   why: (if $ttr == null then "recovery phase 5 s is shorter than breaker open time 10 s + 1.1 s sampling window: recovery cannot be observed" else "" end)}],
	 loss_approximated: false, proxy: {version: "builtin", builtin: true}}'
}

# old_record ID STARTED: a record as journals held it before issue 12.
old_record() {
	jq -cn --arg id "$1" --argjson t "$2" '
	{id: $id, batch: $id, scenario: "latency-1s", source: "builtin", loop: 1,
	 started: $t, ended: ($t + 20), status: "success", reason: "",
	 phases: {stabilization: {start: $t, end: ($t + 5), duration_ms: 5000,
	   ops: 1000, error_rate: 0, p99_ms: 1.5},
	  testing: {start: ($t + 5), end: ($t + 15), duration_ms: 10000,
	   ops: 900, error_rate: 0.1, p99_ms: null},
	  recovery: {start: null, end: null, duration_ms: 5000}},
	 faults: [{server: "memcache1", type: "latency", toxic: "x", stream: "downstream",
	   toxicity: 1, attributes: {latency: 1000, jitter: 0}, applied_count: 2,
	   applied: ($t + 5.5), removed: null}],
	 figures: {time_to_open_s: {memcache1: 1.5}, time_to_recover_s: null,
	   baseline_error_rate: 0, peak_error_rate: 0.4, other_error_rate: null,
	   samples: 20},
	 loss_approximated: false, proxy: {version: "2.5.0", builtin: false}}'
}
