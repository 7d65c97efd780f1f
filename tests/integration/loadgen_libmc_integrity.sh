#!/bin/bash
# The libmemcached kind checks what it reads back as the resilient kind
# does (workload.c, integrity.c): against a rogue memcached, a value with
# a byte flipped and another key's value under the asked key are each
# counted as `corrupt`; a good server gives none; the client runs on.
source "$top_srcdir/tests/lib/common.sh"
source "$top_srcdir/tests/integration/loadgen_lib.sh"
source "$top_srcdir/tests/integration/loadgen_iso_lib.sh"
need curl

read -r P <<<"$(free_ports 1)"
start_rogue "$P" good
SERVER_ARGS=(--server=m1=127.0.0.1:$P)
start_loadgen --kind=libmemcached --workers=2 --rate=400 --keys=50 \
	--op-timeout=200ms
corrupt() { lgval 'memcache_data_integrity_errors_total{kind="corrupt"}'; }
gets_ok() { lgval 'memcache_operations_total{op="get",status="success"}'; }
wait_for 10 above 'memcache_operations_total{op="get",status="success"}' 200 ||
	fail "no successful gets from the good server"
[ "$(corrupt)" = 0 ] || fail "corrupt values from a good server: $(corrupt)"
[ "$(lgval 'memcache_data_integrity_errors_total{kind="stale"}')" = 0 ] ||
	fail "stale values from a good server"
pass "good server: $(gets_ok) gets, no integrity error"

before=0
for mode in corrupt swapped; do
	set_mode "$mode"
	wait_for 10 above 'memcache_data_integrity_errors_total{kind="corrupt"}' "$before" ||
		fail "$mode: no corrupt value counted"
	before=$(corrupt)
	pass "$mode: counted as corrupt ($before in all)"
done
set_mode good
g=$(gets_ok)
wait_for 10 above 'memcache_operations_total{op="get",status="success"}' "$((${g%.*} + 100))" ||
	fail "the client did not run on after the rogue modes"
stop_loadgen
pass "the client ran on"
