#!/bin/bash
# Bad scenario files are reported, not skipped silently: --check exits
# non-zero and names the file and the field; under reliabd, `reliabctl
# list` and `reliabctl reload` show each bad file with its reason (and
# --json carries them); a clean catalogue reads as before.
source "$top_srcdir/tests/lib/common.sh"
need jq
B=$top_builddir
S=$B/reliabd-scenario
for p in reliabd reliabctl reliabd-scenario; do
	[ -x "$B/$p" ] || fail "$p is not built"
done
read -r S1 S2 S3 PA PL PSC PM <<<"$(free_ports 7)"
SOCK=$T/ctl.sock
U=$T/scenarios.d
mkdir -p "$U" "$T/state"
CAT=(--catalogue-dir="$top_srcdir/etc/scenarios" --scenario-dir="$U"
	--server=memcache1 --server=memcache2 --server=memcache3)
ok='"faults":[{"servers":["memcache1"],"type":"latency","attributes":{"latency":100}}]'
echo '{"name":"my-good","description":"a user scenario",'"$ok"'}' >"$U/good.json"

# 1. --check: a clean catalogue passes; a bad file fails it, by name and field.
"$S" --check "${CAT[@]}" >"$T/check.out" 2>"$T/check.err" ||
	fail "--check of a clean catalogue: exit $?: $(cat "$T/check.err")"
grep -q " 0 bad files" "$T/check.out" || fail "--check: $(cat "$T/check.out")"
echo '{"name":"bad-type","faults":[{"servers":["memcache1"],"type":"foo"}]}' >"$U/bad.json"
rc=0
"$S" --check "${CAT[@]}" >"$T/check.out" 2>"$T/check.err" || rc=$?
[ "$rc" != 0 ] || fail "--check with a bad file exited 0: $(cat "$T/check.out")"
grep -q 'bad.json: faults\[0\]\.type: unknown fault type "foo"' "$T/check.err" ||
	fail "--check does not name the file and the field: $(cat "$T/check.err")"
grep -q " 1 bad files" "$T/check.out" || fail "--check summary: $(cat "$T/check.out")"
pass "--check: exit $rc, names bad.json and faults[0].type"

# 2. Under reliabd: list and reload carry the bad files.
{
	conf_daemon "$SOCK" "$PM"
	for i in 1 2 3; do
		eval "port=\$S$i"
		printf '[server memcache%s]\naddress = 127.0.0.1:%s\n\n' "$i" "$port"
	done
	cat <<EOF
[loadgen]
metrics = 127.0.0.1:$PL
# Open loop: a closed one burnt a core; no check here needs load.
rate = 200

[proxy]
mode = external
api  = 127.0.0.1:$PA

[scenario]
metrics       = 127.0.0.1:$PSC
scenario_dir  = $U
catalogue_dir = $top_srcdir/etc/scenarios
EOF
} >"$T/reliabd.conf"
ctl() { "$B/reliabctl" -s "$SOCK" "$@"; }
scenario_up() { ctl --json status | jq -e '.children[] | select(.kind=="scenario") | .state == "running"'; }
bg reliabd "$B/reliabd" -c "$T/reliabd.conf"
wait_for 20 scenario_up || fail "the scenario worker did not come up: $(ctl status 2>&1)"

ctl --json list >"$T/list.json" || fail "list refused"
jq -e '.errors == 1 and (.bad | length) == 1 and (.bad[0].file | endswith("/bad.json")) and
	(.bad[0].error | contains("faults[0].type: unknown fault type \"foo\""))' "$T/list.json" >/dev/null ||
	fail "list --json: $(jq -c '{errors, bad}' "$T/list.json")"
jq -e '[.scenarios[].name] | index("my-good") != null' "$T/list.json" >/dev/null ||
	fail "the good user file is not listed"
ctl list >"$T/list.txt" || fail "list refused"
grep -q '^1 bad scenario file, not loaded:' "$T/list.txt" &&
	grep -q 'bad.json: faults\[0\]\.type: unknown fault type "foo"' "$T/list.txt" ||
	fail "reliabctl list does not show the bad file: $(tail -3 "$T/list.txt")"
pass "list: the bad file with its reason, in text and --json"

echo '{"name":"bad-neg","phases":{"testing":"-10s"},'"$ok"'}' >"$U/neg.json"
ctl --json reload >"$T/reload.json" || fail "reload refused: $(cat "$T/reload.json")"
jq -e '.errors == 2 and ([.bad[].file | split("/") | last] | sort) == ["bad.json", "neg.json"] and
	([.bad[].error] | any(contains("phases.testing: negative duration")))' "$T/reload.json" >/dev/null ||
	fail "reload --json: $(cat "$T/reload.json")"
ctl reload >"$T/reload.txt" || fail "reload refused"
grep -q '^2 bad scenario files, not loaded:' "$T/reload.txt" &&
	grep -q 'neg.json: phases.testing: negative duration' "$T/reload.txt" ||
	fail "reliabctl reload does not print the bad files: $(cat "$T/reload.txt")"
pass "reload: the bad files with their reasons, in text and --json"

# 3. A clean catalogue again: no bad files anywhere, the good one listed.
rm "$U/bad.json" "$U/neg.json"
ctl --json reload | jq -e '.errors == 0 and (.bad | length) == 0' >/dev/null ||
	fail "reload after the fix: $(ctl --json reload)"
ctl list >"$T/list2.txt"
! grep -q 'bad scenario file' "$T/list2.txt" || fail "a clean catalogue shows bad files"
grep -q '^my-good ' "$T/list2.txt" || fail "my-good not listed"
[ "$(wc -l <"$T/list2.txt")" = "$(($(jq '.scenarios | length' "$T/list.json") + 1))" ] ||
	fail "a clean list has other lines than a header and the scenarios"
pass "a clean catalogue: no bad files, the list as before"
