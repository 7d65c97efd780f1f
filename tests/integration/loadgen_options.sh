#!/bin/bash
# reliabd-loadgen's command line and config: bad options and bad config
# values get one line naming the option and what is allowed, and exit 2;
# --help lists every option; --check validates; -c reads reliabd.conf.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"

S=--server=m1=127.0.0.1:11211

# expect_bad WANT_PREFIX ARGS...: exit 2, exactly one line on stderr,
# starting "reliabd-loadgen: WANT_PREFIX".
expect_bad() {
	local want=$1 rc=0; shift
	"$LOADGEN" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "$*: exit $rc, want 2"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: not one line: $(cat "$T/err")"
	grep -q "^reliabd-loadgen: $want" "$T/err" || fail "$*: got '$(cat "$T/err")', want '$want...'"
	[ ! -s "$T/out" ] || fail "$*: wrote to stdout"
}

expect_bad '--workers: an integer from 1 to 4096' $S --workers=0
expect_bad '--workers: ' $S --workers=lots
expect_bad '--workload: mixed, get-heavy, set-heavy' $S --workload=random
expect_bad '--value-size: ' $S --value-size=9-3
expect_bad '--value-size: at least ' $S --value-size=20
expect_bad '--rate: ' $S --rate=-5
expect_bad '--op-timeout: a duration from 1ms to 60s' $S --op-timeout=5m
expect_bad '--breaker-failure-ratio: a ratio from 0 (off) to 1' $S --breaker-failure-ratio=2
expect_bad '--breaker-half-open-probes: ' $S --breaker-half-open-probes=0
expect_bad '--breaker-open-timeout: ' $S --breaker-open-timeout=never
expect_bad '--ttl: ' $S --ttl=1.5s
expect_bad '--log-level: error, warn, info or debug' $S --log-level=chatty
expect_bad '--server: NAME=HOST:PORT' --server=nohost
expect_bad '--server: at least one' --workers=2
expect_bad '--metrics: HOST:PORT' $S --metrics=localhost
expect_bad '--nope: unknown option' $S --nope=1
expect_bad '-x: unknown option' $S -x
expect_bad '--keys: needs a value' $S --keys
expect_bad 'stray: unexpected argument' $S stray
expect_bad '--check: takes no value' $S --check=yes
pass "bad options: one line, exit 2"

# Bad values from the config file are reported the same way.
cat >"$T/bad.conf" <<CONF
[server m1]
address = 127.0.0.1:11211

[loadgen]
workers = 0
CONF
expect_bad '--workers: an integer from 1 to 4096' -c "$T/bad.conf"
cat >"$T/bad2.conf" <<CONF
[server m1]
address = 127.0.0.1:11211

[loadgen]
breaker_open_timeout = forever
CONF
expect_bad '--breaker-open-timeout: ' -c "$T/bad2.conf"
cat >"$T/bad3.conf" <<CONF
[loadgen]
colour = blue
CONF
expect_bad '--colour: unknown option' -c "$T/bad3.conf"
expect_bad '-c: ' -c "$T/missing.conf"
pass "bad config values: one line, exit 2"

# A good config: [server] sections become --server, [loadgen] keys become
# options (underscores to dashes); the command line wins.
cat >"$T/good.conf" <<CONF
[server memcache1]
address = 127.0.0.1:21211
[server memcache2]
address = 127.0.0.1:21212
[server memcache3]
address = 127.0.0.1:21213

[loadgen]
workers = 5
breaker_half_open_probes = 4
CONF
out=$("$LOADGEN" -c "$T/good.conf" --check) || fail "--check of a good config failed"
grep -q '3 servers, 5 workers' <<<"$out" || fail "--check said: $out"
out=$("$LOADGEN" -c "$T/good.conf" --workers=7 --check) || fail "--check failed"
grep -q '3 servers, 7 workers' <<<"$out" || fail "command line did not win: $out"
pass "-c FILE and --check"

# --help: every option the parser knows is documented.
"$LOADGEN" --help >"$T/help" || fail "--help failed"
for o in server metrics workers threads workload keys key-prefix value-size \
	ttl rate connections op-timeout pool-acquire-timeout \
	breaker-consecutive-failures breaker-failure-ratio breaker-min-requests \
	breaker-open-timeout breaker-half-open-probes breaker-interval duration \
	seed log-level check help; do
	grep -q -- "--$o\\b" "$T/help" || fail "--help does not list --$o"
	# And the parser knows it (a bad value, not an unknown option).
	"$LOADGEN" $S "--$o=" >/dev/null 2>"$T/e" || true
	grep -q 'unknown option' "$T/e" && fail "--$o listed but unknown"
done
# The other way round: every long option in the source is in --help.
for o in $(grep -o '{ "[a-z-]*", [a-z_]*argument' "$top_srcdir/daemon/loadgen/options.c" | cut -d'"' -f2); do
	grep -q -- "--$o\\b" "$T/help" || fail "--$o is not in --help"
done
pass "--help lists every option"

# SIGTERM with no server reachable: still a clean exit 0.
read -r port mport <<<"$(free_ports 2)"
SERVER_ARGS=("--server=gone=127.0.0.1:$port")
start_loadgen --workers=2 --op-timeout=50ms
sleep 1
v=$(lgval 'memcache_circuit_breaker_state{server="gone"}')
[ "$v" = 2 ] || [ "$v" = 1 ] || fail "breaker of an absent server is '$v', want open"
stop_loadgen
pass "SIGTERM: exit 0"
