# Prometheus configs and recording rules (installed under
# $(pkgdatadir)/prometheus, with prometheus-native.sh that starts Debian's
# Prometheus for a native lab) and the compose lab (under
# $(pkgdatadir)/compose; it builds from a source tree, see its header).
prometheusdir = $(pkgdatadir)/prometheus
dist_prometheus_DATA = compose/prometheus.yml compose/prometheus-native.yml
dist_prometheus_SCRIPTS = compose/prometheus-native.sh
prometheusrulesdir = $(pkgdatadir)/prometheus/rules
dist_prometheusrules_DATA = \
	compose/rules/reliabd.rules.yml \
	compose/rules/reliabd.rules.test.yml
composedir = $(pkgdatadir)/compose
dist_compose_DATA = \
	compose/docker-compose.yml \
	compose/Dockerfile \
	compose/reliabd.conf \
	compose/toxiproxy.json

# It checks files, not C code: the sanitizer pass would add nothing.
if !SANITIZERS
TESTS += \
	tests/integration/prometheus_config.sh \
	tests/integration/compose_config.sh
endif
EXTRA_DIST += \
	tests/integration/prometheus_config.sh \
	tests/integration/compose_config.sh
