# daemon/: reliabd, the supervisor.
sbin_PROGRAMS += reliabd
reliabd_SOURCES = \
	daemon/main.c daemon/reliabd.h \
	daemon/supervisor.c daemon/reload.c daemon/daemon.c \
	daemon/backoff.c daemon/backoff.h \
	daemon/child.c daemon/pending.c daemon/reply.c daemon/route.c \
	daemon/spawn.c daemon/workers.c \
	daemon/control.c daemon/cmd.c daemon/forward.c \
	daemon/cmd-hello.c daemon/cmd-status.c daemon/cmd-reload.c \
	daemon/cmd-watch.c daemon/cmd-load.c daemon/cmd-node-restart.c \
	daemon/cmd-list.c daemon/cmd-start-scenario.c daemon/cmd-stop.c \
	daemon/cmd-runs.c daemon/cmd-show.c \
	daemon/events.c daemon/journal.c daemon/dmetrics.c daemon/notify.c \
	daemon/journal_scan.c daemon/journal_scan.h \
	daemon/job.c daemon/scenario/journal.c \
	daemon/web.c daemon/web.h daemon/web_path.c
reliabd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBSYSTEMD_CFLAGS)
reliabd_LDADD = $(REPORT_LIBS) $(RELIAB_LIBS) $(PROTO_LIBS) $(LIBEVENT_LIBS) \
	$(LIBSYSTEMD_LIBS)

check_PROGRAMS += tests/unit/test_backoff
TESTS += tests/unit/test_backoff
tests_unit_test_backoff_SOURCES = tests/unit/test_backoff.c daemon/backoff.c
tests_unit_test_backoff_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_backoff_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_backoff_LDADD = $(CHECK_LIBS)

# The child state machine, with reload; real processes, the test reaps.
check_PROGRAMS += tests/unit/test_child
TESTS += tests/unit/test_child
tests_unit_test_child_SOURCES = tests/unit/test_child.c \
	daemon/child.c daemon/pending.c daemon/reply.c daemon/spawn.c \
	daemon/backoff.c daemon/daemon.c daemon/reload.c daemon/workers.c \
	daemon/notify.c daemon/dmetrics.c daemon/web.c daemon/web_path.c \
	daemon/journal.c daemon/journal_scan.c daemon/scenario/journal.c
tests_unit_test_child_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_child_CFLAGS = $(reliabd_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_child_LDADD = $(reliabd_LDADD) $(CHECK_LIBS)

# The job a dead scenario worker leaves: journaled, sent again.
check_PROGRAMS += tests/unit/test_job
TESTS += tests/unit/test_job
tests_unit_test_job_SOURCES = tests/unit/test_job.c daemon/job.c \
	daemon/scenario/journal.c
tests_unit_test_job_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_job_CFLAGS = $(reliabd_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_job_LDADD = $(reliabd_LDADD) $(CHECK_LIBS)

# libFuzzer: request lines through decode and cmd_dispatch, every
# cmd-*.c's argument handling, on a daemon with no children (nothing
# forks). tests/fuzz/local.mk runs it with the others.
FUZZ_TARGETS += tests/fuzz/fuzz_cmd_args
fuzz_cmd_args_SRCS = tests/fuzz/fuzz_cmd_args.c daemon/cmd.c \
	daemon/cmd-hello.c daemon/cmd-status.c daemon/cmd-reload.c \
	daemon/cmd-watch.c daemon/cmd-load.c daemon/cmd-node-restart.c \
	daemon/cmd-list.c daemon/cmd-start-scenario.c daemon/cmd-stop.c \
	daemon/cmd-runs.c daemon/cmd-show.c daemon/forward.c daemon/reply.c \
	daemon/job.c daemon/daemon.c daemon/journal.c daemon/journal_scan.c \
	daemon/scenario/journal.c proto/proto.c lib/config.c \
	lib/config_argv.c lib/duration.c lib/addr.c lib/scrape_url.c lib/util.c lib/log.c \
	lib/suggest.c
tests/fuzz/fuzz_cmd_args: $(fuzz_cmd_args_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon $(LIBEVENT_CFLAGS) \
	$(JANSSON_LIBS) $(INIH_LIBS) $(LIBEVENT_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_cmd_args.c tests/fuzz/corpus/cmd_args

# libFuzzer: reliabd's page paths (daemon/web_path.c) and the pages
# (report/html.c) of any record.
FUZZ_TARGETS += tests/fuzz/fuzz_report_page
fuzz_report_page_SRCS = tests/fuzz/fuzz_report_page.c daemon/web_path.c \
	report/html.c report/html_clients.c report/escape.c report/series.c \
	lib/util.c lib/log.c
tests/fuzz/fuzz_report_page: $(fuzz_report_page_SRCS) report/assets.c
	$(FUZZ_LINK) -I$(top_srcdir)/daemon $(JANSSON_LIBS) -lm
EXTRA_DIST += tests/fuzz/fuzz_report_page.c tests/fuzz/corpus/report_page
