# daemon/scenario: reliabd-scenario, the three-phase engine.

# The scenario-file parser alone (jansson only), so reliabd can link it.
noinst_LIBRARIES += daemon/scenario/libscenario_spec.a
daemon_scenario_libscenario_spec_a_SOURCES = \
	daemon/scenario/spec.c daemon/scenario/spec.h \
	daemon/scenario/catalogue.c \
	daemon/scenario/runargs.c daemon/scenario/runargs.h
daemon_scenario_libscenario_spec_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

sbin_PROGRAMS += reliabd-scenario
reliabd_scenario_SOURCES = \
	daemon/scenario/main.c \
	daemon/scenario/commands.c daemon/scenario/commands.h \
	daemon/scenario/engine.c daemon/scenario/engine.h \
	daemon/scenario/runner.c daemon/scenario/runner.h \
	daemon/scenario/flap.c daemon/scenario/flap.h \
	daemon/scenario/playlist.c daemon/scenario/playlist.h \
	daemon/scenario/faults.c daemon/scenario/faults.h \
	daemon/scenario/backend.c daemon/scenario/backend.h \
	daemon/scenario/publish.c daemon/scenario/publish.h \
	daemon/scenario/record.c daemon/scenario/record.h \
	daemon/scenario/verdict.c daemon/scenario/checks.c daemon/scenario/verdict.h \
	daemon/scenario/promtext.c daemon/scenario/promtext.h \
	daemon/scenario/sampler.c daemon/scenario/sampler.h \
	daemon/scenario/http.c daemon/scenario/http.h \
	daemon/scenario/toxiproxy.c daemon/scenario/toxiproxy.h \
	daemon/scenario/toxireply.c daemon/scenario/toxireply.h \
	daemon/scenario/faultmap.c daemon/scenario/faultmap.h \
	daemon/scenario/ledger.c daemon/scenario/ledger.h \
	daemon/scenario/journal.c daemon/scenario/journal.h \
	daemon/scenario/series.c daemon/scenario/series.h \
	daemon/scenario/series_prune.c daemon/scenario/series_prune.h \
	daemon/journal_scan.c
reliabd_scenario_CFLAGS = $(AM_CFLAGS) $(LIBCURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBEVENT_CFLAGS) \
	-I$(top_srcdir)/daemon/scenario
reliabd_scenario_LDADD = daemon/scenario/libscenario_spec.a $(REPORT_LIBS) \
	$(WORKER_LIBS) \
	$(LIBCURL_LIBS) $(JANSSON_LIBS)

# The built-in catalogue.
scenariosdir = $(pkgdatadir)/scenarios
dist_scenarios_DATA = \
	etc/scenarios/bandwidth-throttle.json \
	etc/scenarios/connection-limit.json \
	etc/scenarios/flapping.json \
	etc/scenarios/latency-100ms.json \
	etc/scenarios/latency-10s.json \
	etc/scenarios/latency-1s.json \
	etc/scenarios/latency-2m.json \
	etc/scenarios/latency-40s.json \
	etc/scenarios/latency-5s.json \
	etc/scenarios/loss-10.json \
	etc/scenarios/loss-100.json \
	etc/scenarios/loss-2.json \
	etc/scenarios/loss-20.json \
	etc/scenarios/loss-5.json \
	etc/scenarios/loss-50.json \
	etc/scenarios/node-down.json \
	etc/scenarios/node-restart.json \
	etc/scenarios/partition.json \
	etc/scenarios/reset-peer.json \
	etc/scenarios/slicer.json \
	etc/scenarios/slow-close.json \
	etc/scenarios/two-servers-down.json \
	etc/scenarios/two-servers-loss-latency.json

# Unit tests (Check).
SCENARIO_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/daemon/scenario
check_PROGRAMS += tests/unit/test_scenario_spec tests/unit/test_scenario_verdict \
	tests/unit/test_scenario_ledger tests/unit/test_scenario_runner
TESTS += tests/unit/test_scenario_spec tests/unit/test_scenario_verdict \
	tests/unit/test_scenario_ledger tests/unit/test_scenario_runner
tests_unit_test_scenario_spec_SOURCES = tests/unit/test_scenario_spec.c
tests_unit_test_scenario_spec_CFLAGS = $(SCENARIO_TEST_CFLAGS)
tests_unit_test_scenario_spec_LDADD = daemon/scenario/libscenario_spec.a \
	$(RELIAB_LIBS) $(JANSSON_LIBS) $(CHECK_LIBS)
tests_unit_test_scenario_verdict_SOURCES = tests/unit/test_scenario_verdict.c \
	daemon/scenario/verdict.c daemon/scenario/checks.c daemon/scenario/promtext.c
tests_unit_test_scenario_verdict_CFLAGS = $(SCENARIO_TEST_CFLAGS)
tests_unit_test_scenario_verdict_LDADD = daemon/scenario/libscenario_spec.a \
	$(RELIAB_LIBS) $(JANSSON_LIBS) $(CHECK_LIBS) -lm
tests_unit_test_scenario_ledger_SOURCES = tests/unit/test_scenario_ledger.c \
	daemon/scenario/ledger.c daemon/scenario/journal.c \
	daemon/scenario/backend.c \
	daemon/scenario/toxiproxy.c daemon/scenario/toxireply.c \
	daemon/scenario/http.c daemon/scenario/faultmap.c
tests_unit_test_scenario_ledger_CFLAGS = $(SCENARIO_TEST_CFLAGS) $(LIBCURL_CFLAGS)
tests_unit_test_scenario_ledger_LDADD = daemon/scenario/libscenario_spec.a \
	$(RELIAB_LIBS) $(JANSSON_LIBS) $(LIBCURL_LIBS) $(CHECK_LIBS) -lm

# The run state machine with a fake clock and a fake fault backend.
tests_unit_test_scenario_runner_SOURCES = tests/unit/test_scenario_runner.c \
	daemon/scenario/runner.c daemon/scenario/flap.c \
	daemon/scenario/faults.c daemon/scenario/faultmap.c \
	daemon/scenario/playlist.c daemon/scenario/ledger.c \
	daemon/scenario/verdict.c daemon/scenario/checks.c daemon/scenario/promtext.c \
	daemon/scenario/record.c daemon/scenario/journal.c daemon/journal_scan.c
# The record of several clients, through the journal's writer and reader.
tests_unit_test_scenario_runner_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_scenario_runner_CFLAGS = $(SCENARIO_TEST_CFLAGS)
tests_unit_test_scenario_runner_LDADD = daemon/scenario/libscenario_spec.a \
	$(RELIAB_LIBS) $(JANSSON_LIBS) $(CHECK_LIBS) -lm

# A run's time series: the writer on a fake clock, the reader
# (report/series.c), the directory kept with the journal.
check_PROGRAMS += tests/unit/test_scenario_series
TESTS += tests/unit/test_scenario_series
tests_unit_test_scenario_series_SOURCES = tests/unit/test_scenario_series.c \
	daemon/scenario/series.c daemon/scenario/series_prune.c \
	daemon/scenario/journal.c daemon/journal_scan.c \
	daemon/scenario/verdict.c daemon/scenario/checks.c daemon/scenario/promtext.c
tests_unit_test_scenario_series_CFLAGS = $(SCENARIO_TEST_CFLAGS)
tests_unit_test_scenario_series_LDADD = daemon/scenario/libscenario_spec.a \
	$(REPORT_LIBS) $(RELIAB_LIBS) $(JANSSON_LIBS) $(CHECK_LIBS) -lm

# Integration tests (real memcached, reliabd-proxy, reliabd-loadgen).
# scenario_chan plays reliabd's end of the worker's channel.
check_PROGRAMS += tests/tools/scenario_chan
tests_tools_scenario_chan_SOURCES = tests/tools/scenario_chan.c
# scenario_run.sh is listed in Makefile.am (a test that runs alone).
# scenario_cleanup and scenario_loop (17 and 28 s under ASan) run in the
# plain pass only; scenario_lab and scenario_channel drive the same worker
# under ASan.
if !SANITIZERS
TESTS += tests/integration/scenario_cleanup.sh \
	tests/integration/scenario_loop.sh
endif
TESTS += tests/integration/scenario_cli.sh \
	tests/integration/scenario_channel.sh \
	tests/integration/scenario_lab.sh \
	tests/integration/ledger_corrupt.sh \
	tests/integration/scenario_badfiles.sh \
	tests/integration/scenario_series.sh
EXTRA_DIST += tests/integration/scenario_cli.sh \
	tests/integration/scenario_series.sh \
	tests/integration/ledger_corrupt.sh \
	tests/integration/scenario_badfiles.sh \
	tests/integration/scenario_run.sh \
	tests/integration/scenario_cleanup.sh \
	tests/integration/scenario_loop.sh \
	tests/integration/scenario_channel.sh \
	tests/integration/scenario_lab.sh \
	tests/integration/scenario_lib.sh \
	tests/integration/scenario_populate.sh \
	tests/integration/scenario_two_apis.sh

# The fuzz target: scenario files, /metrics text, the ledger;
# tests/fuzz/local.mk adds $(SCENARIO_FUZZ_TARGETS) to FUZZ_TARGETS.
SCENARIO_FUZZ_TARGETS = tests/fuzz/fuzz_scenario
CLEANFILES += $(SCENARIO_FUZZ_TARGETS)
fuzz_scenario_SRCS = tests/fuzz/fuzz_scenario.c daemon/scenario/spec.c \
	daemon/scenario/catalogue.c daemon/scenario/runargs.c \
	daemon/scenario/promtext.c daemon/scenario/ledger.c \
	daemon/scenario/verdict.c daemon/scenario/checks.c \
	lib/duration.c lib/util.c lib/log.c lib/addr.c lib/scrape_url.c
tests/fuzz/fuzz_scenario: $(fuzz_scenario_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/scenario $(JANSSON_LIBS) -lm
EXTRA_DIST += $(fuzz_scenario_SRCS) tests/fuzz/corpus/scenario

# The Toxiproxy API's replies (/version, error bodies).
SCENARIO_FUZZ_TARGETS += tests/fuzz/fuzz_toxiproxy_reply
fuzz_toxiproxy_reply_SRCS = tests/fuzz/fuzz_toxiproxy_reply.c \
	daemon/scenario/toxireply.c
tests/fuzz/fuzz_toxiproxy_reply: $(fuzz_toxiproxy_reply_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/scenario $(JANSSON_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_toxiproxy_reply.c \
	tests/fuzz/corpus/toxiproxy_reply

# The worker's channel requests: every command of scenario_cmds[] on the
# real engine with an injected fault backend (nothing leaves the process).
SCENARIO_FUZZ_TARGETS += tests/fuzz/fuzz_scenario_channel
fuzz_scenario_channel_SRCS = tests/fuzz/fuzz_scenario_channel.c \
	daemon/scenario/commands.c daemon/scenario/engine.c \
	daemon/scenario/runner.c daemon/scenario/flap.c \
	daemon/scenario/playlist.c daemon/scenario/faults.c \
	daemon/scenario/backend.c daemon/scenario/toxiproxy.c \
	daemon/scenario/toxireply.c daemon/scenario/http.c \
	daemon/scenario/faultmap.c daemon/scenario/ledger.c \
	daemon/scenario/journal.c daemon/scenario/publish.c \
	daemon/scenario/record.c daemon/scenario/verdict.c daemon/scenario/checks.c \
	daemon/scenario/promtext.c daemon/scenario/sampler.c \
	daemon/scenario/spec.c daemon/scenario/catalogue.c \
	daemon/scenario/runargs.c \
	daemon/scenario/series.c daemon/scenario/series_prune.c \
	daemon/journal_scan.c report/series.c \
	lib/log.c lib/util.c lib/duration.c lib/addr.c lib/scrape_url.c \
	lib/channel.c \
	lib/metrics.c lib/metrics_render.c lib/metrics_series.c \
	lib/metrics_process.c proto/proto.c proto/frame.c
tests/fuzz/fuzz_scenario_channel: $(fuzz_scenario_channel_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/scenario $(LIBCURL_CFLAGS) \
	$(JANSSON_LIBS) $(LIBCURL_LIBS) -lm
EXTRA_DIST += tests/fuzz/fuzz_scenario_channel.c \
	tests/fuzz/corpus/scenario_channel
