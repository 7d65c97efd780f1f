# Grafana: file provisioning (the Prometheus datasource, a dashboards
# provider) and the two dashboards, installed under $(pkgdatadir)/grafana;
# the dashboard tests; the metric list they check queries against.
grafanadashboardsdir = $(pkgdatadir)/grafana/dashboards
dist_grafanadashboards_DATA = \
	grafana/dashboards/client-performance.json \
	grafana/dashboards/advanced-analysis.json
grafanadatasourcesdir = $(pkgdatadir)/grafana/provisioning/datasources
dist_grafanadatasources_DATA = grafana/provisioning/datasources/reliabd.yml
grafanaprovidersdir = $(pkgdatadir)/grafana/provisioning/dashboards
dist_grafanaproviders_DATA = grafana/provisioning/dashboards/reliabd.yml

dist_doc_DATA += docs/METRICS.md docs/INTERPRETING_RESULTS.md

# The dashboards: their files, and every panel's query against a live lab
# (the lab's daemons run under ASan in the scenario tests already).
if !SANITIZERS
TESTS += tests/integration/dashboards_lint.sh
endif
# (dashboards_live, one of the longest, is listed early in Makefile.am.)
EXTRA_DIST += \
	tests/integration/dashboards_lint.sh \
	tests/integration/dashboards_live.sh
