# ctl/: reliabctl.
bin_PROGRAMS += reliabctl
reliabctl_SOURCES = ctl/reliabctl.c ctl/reliabctl.h ctl/parser.c \
	ctl/client.c ctl/output.c ctl/wait.c ctl/help.c ctl/fmt.c \
	ctl/report.c ctl/report_clients.c ctl/history.c ctl/stats.c \
	ctl/stats.h ctl/page.c ctl/fetch.c ctl/check_client.c \
	ctl/scrape_check.c ctl/scrape_check.h ctl/scrape_print.c \
	daemon/scenario/promtext.c daemon/scenario/promtext.h
reliabctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBCURL_CFLAGS)
# libcurl's headers only: ctl/fetch.c loads the library when a command
# fetches (report, check-client). check-client reads a body with the
# scenario worker's own parser (daemon/scenario/promtext.c).
reliabctl_LDADD = $(REPORT_LIBS) $(RELIAB_LIBS) $(PROTO_LIBS) -lm

# reliabctl's tests: the history statistics (ctl/stats.c), and the CLI
# against a reliabd (records written by the tests, issue 12's contract).
check_PROGRAMS += tests/unit/test_ctl_stats
TESTS += tests/unit/test_ctl_stats
tests_unit_test_ctl_stats_SOURCES = tests/unit/test_ctl_stats.c \
	ctl/stats.c ctl/stats.h
tests_unit_test_ctl_stats_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ctl
tests_unit_test_ctl_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ctl_stats_LDADD = $(CHECK_LIBS) -lm
TESTS += tests/integration/ctl_cli.sh tests/integration/ctl_show.sh \
	tests/integration/ctl_runs.sh tests/integration/ctl_check_client.sh
EXTRA_DIST += tests/integration/ctl_cli.sh tests/integration/ctl_show.sh \
	tests/integration/ctl_runs.sh tests/integration/ctl_lib.sh \
	tests/integration/ctl_wait.sh tests/integration/ctl_check_client.sh
if LONG_TESTS
# The real lab, a shortened run and one interrupted: ~20 s, plain pass.
TESTS += tests/integration/ctl_wait.sh
endif

# The report of any run record, damaged ones too (tests/fuzz/).
FUZZ_TARGETS += tests/fuzz/fuzz_ctl_report
fuzz_ctl_report_SRCS = tests/fuzz/fuzz_ctl_report.c ctl/report.c \
	ctl/report_clients.c ctl/fmt.c
tests/fuzz/fuzz_ctl_report: $(fuzz_ctl_report_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/ctl $(JANSSON_LIBS) -lm
EXTRA_DIST += $(fuzz_ctl_report_SRCS) tests/fuzz/corpus/ctl_report
