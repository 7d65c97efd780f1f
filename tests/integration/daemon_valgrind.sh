#!/bin/bash
# reliabd's whole lifetime under valgrind: start, serve clients (good and
# bad), supervise a node through a kill and a node-restart, reload, stop.
# No leak, no error.
source "$top_srcdir/tests/lib/common.sh"
need valgrind jq memcached

B=$top_builddir
read -r P1 PM <<<"$(free_ports 2)"
SOCK=$T/ctl.sock
{
conf_daemon "$SOCK" "$PM"
conf_node memcache1 "$P1"
cat <<EOF
[proxy]
mode = external
[loadgen]
enabled = no
[scenario]
enabled = no
EOF
} >"$T/reliabd.conf"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
node_state() { ctl --json status | jq -r '.children[0].state'; }

bg reliabd "${BACKGROUND[@]}" valgrind --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--track-fds=no --log-file="$T/valgrind.txt" "$B/reliabd" -c "$T/reliabd.conf"
RPID=$BG_PID
wait_for 60 ctl hello || fail "reliabd under valgrind did not answer"
wait_for 30 bash -c "[ \"\$($B/reliabctl -s $SOCK --json status | jq -r '.children[0].state')\" = running ]" ||
	fail "node not running"
ctl status >/dev/null
ctl runs >/dev/null
printf 'junk\n{"id":1,"cmd":"nope"}\n' | "$B/tests/tools/ctlpoke" "$SOCK" send >/dev/null
"$B/tests/tools/ctlpoke" "$SOCK" big 200000 >/dev/null
"$B/tests/tools/ctlpoke" "$SOCK" flood 20 >/dev/null
curl -fsS "http://127.0.0.1:$PM/metrics" >/dev/null
ctl node-restart memcache1 --down 300ms >/dev/null || fail "node-restart refused"
wait_for 30 bash -c "[ \"\$($B/reliabctl -s $SOCK --json status | jq -r '.children[0].restarts')\" = 1 ]" ||
	fail "node-restart not counted"
wait_for 30 port_open "$P1" || fail "node not back after node-restart"
ctl reload >/dev/null || fail "reload refused"
kill -TERM "$RPID"
set +e
wait "$RPID"; rc=$?
set -e
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$T/valgrind.txt" || true
[ "$rc" -eq 0 ] || fail "reliabd under valgrind exited $rc (99 = valgrind found errors)"
grep -q "ERROR SUMMARY: 0 errors" "$T/valgrind.txt" || fail "valgrind errors: $(tail -30 "$T/valgrind.txt")"
pass "no leak, no error in reliabd's lifetime"
