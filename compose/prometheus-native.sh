#!/bin/sh
# Starts Prometheus (Debian's package) for a reliabd lab on this host.
#
# Writes DATA_DIR/prometheus.yml from prometheus-native.yml with the real
# paths of reliabd's file_sd target file and of the recording rules, then
# execs prometheus with its database under DATA_DIR. Used by the lab
# command and by tests/integration/dashboards_live.sh, so both run the
# same configuration.
set -eu

prog=prometheus-native.sh
usage() {
	cat <<EOF
usage: $prog [OPTIONS] TARGETS_FILE DATA_DIR [-- PROMETHEUS_ARGS...]

Runs Prometheus scraping every reliabd worker listed in TARGETS_FILE
(reliabd's file_sd file: <state_dir>/targets.json, or [daemon] file_sd),
every 1 s, with the reliabd recording rules loaded.

  TARGETS_FILE        reliabd's file_sd target file (need not exist yet)
  DATA_DIR            where prometheus.yml and the database (tsdb/) go
  --listen=ADDR       Prometheus web/API address (default 127.0.0.1:9190)
  --retention=TIME    how long to keep samples (default 15d)
  --prometheus=BIN    the prometheus binary (default: prometheus in PATH)
  --config-only       write DATA_DIR/prometheus.yml, check it, and exit
  --help              this text
Arguments after -- go to prometheus unchanged.
EOF
}

die() { echo "$prog: $*" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
listen=127.0.0.1:9190
retention=15d
prometheus=prometheus
config_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--listen=*) listen=${1#*=} ;;
	--retention=*) retention=${1#*=} ;;
	--prometheus=*) prometheus=${1#*=} ;;
	--config-only) config_only=1 ;;
	--help) usage; exit 0 ;;
	--) break ;;
	-*) die "$1: unknown option (see --help)" ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 2 ] || die "TARGETS_FILE and DATA_DIR are required (see --help)"
targets=$1 data=$2
shift 2
if [ $# -gt 0 ]; then
	[ "$1" = -- ] || die "$1: unexpected argument (extra prometheus arguments go after --)"
	shift
fi
case $listen in
*:*) ;;
*) die "--listen=$listen: expected HOST:PORT" ;;
esac

template=$here/prometheus-native.yml
rules=$here/rules/reliabd.rules.yml
[ -r "$template" ] || die "$template: not readable"
[ -r "$rules" ] || die "$rules: not readable"

mkdir -p "$data"
# Absolute paths: Prometheus resolves relative ones against the config
# file's directory, which is now DATA_DIR.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}
targets=$(abspath "$targets")
rules=$(abspath "$rules")
data=$(cd "$data" && pwd)
for p in "$targets" "$rules"; do
	case $p in
	*\"* | *\\* | *"
"*) die "$p: paths with quotes, backslashes or newlines are not supported" ;;
	esac
done

# awk, not sed: the paths are data, never part of a pattern.
T_PATH=$targets R_PATH=$rules awk '
	$0 ~ /^  - rules\/reliabd\.rules\.yml$/ {
		print "  - \"" ENVIRON["R_PATH"] "\""; r++; next
	}
	$0 ~ /files: \[targets\.json\]/ {
		sub(/\[targets\.json\]/, "[\"" ENVIRON["T_PATH"] "\"]"); t++
	}
	{ print }
	END { if (r != 1 || t != 1) exit 1 }
' "$template" >"$data/prometheus.yml.tmp" ||
	die "$template: unexpected layout (rules or targets line not found)"
mv "$data/prometheus.yml.tmp" "$data/prometheus.yml"

if [ "$config_only" = 1 ]; then
	if command -v promtool >/dev/null 2>&1; then
		promtool check config "$data/prometheus.yml" >&2
	fi
	echo "$data/prometheus.yml"
	exit 0
fi

exec "$prometheus" \
	--config.file="$data/prometheus.yml" \
	--storage.tsdb.path="$data/tsdb" \
	--storage.tsdb.retention.time="$retention" \
	--web.listen-address="$listen" \
	"$@"
