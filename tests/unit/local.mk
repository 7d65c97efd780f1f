# Unit tests of lib/ (Check), one program per module group, plus the
# promtool check of the metrics exposition.
LIB_UNIT_TESTS = \
	tests/unit/test_lib_metrics \
	tests/unit/test_lib_parse \
	tests/unit/test_lib_suggest \
	tests/unit/test_lib_config \
	tests/unit/test_lib_config_clients \
	tests/unit/test_lib_httpd \
	tests/unit/test_lib_channel \
	tests/unit/test_lib_worker
check_PROGRAMS += $(LIB_UNIT_TESTS) tests/tools/metrics_demo
TESTS += $(LIB_UNIT_TESTS) tests/integration/metrics_promtool.sh
EXTRA_DIST += tests/integration/metrics_promtool.sh

LIB_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
LIB_TEST_LDADD = $(RELIAB_LIBS) $(CHECK_LIBS)

tests_unit_test_lib_metrics_SOURCES = tests/unit/test_lib_metrics.c
tests_unit_test_lib_metrics_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_metrics_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_parse_SOURCES = tests/unit/test_lib_parse.c
tests_unit_test_lib_parse_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_parse_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_suggest_SOURCES = tests/unit/test_lib_suggest.c
tests_unit_test_lib_suggest_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_suggest_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_config_SOURCES = tests/unit/test_lib_config.c
tests_unit_test_lib_config_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_config_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_config_clients_SOURCES = \
	tests/unit/test_lib_config_clients.c
tests_unit_test_lib_config_clients_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_config_clients_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_httpd_SOURCES = tests/unit/test_lib_httpd.c
tests_unit_test_lib_httpd_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_httpd_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_channel_SOURCES = tests/unit/test_lib_channel.c
tests_unit_test_lib_channel_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_lib_channel_LDADD = $(LIB_TEST_LDADD)

tests_unit_test_lib_worker_SOURCES = tests/unit/test_lib_worker.c
tests_unit_test_lib_worker_CFLAGS = $(LIB_TEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_lib_worker_LDADD = $(WORKER_LIBS) $(CHECK_LIBS)

tests_tools_metrics_demo_SOURCES = tests/tools/metrics_demo.c
tests_tools_metrics_demo_LDADD = $(RELIAB_LIBS)

# The journal reader's scan (daemon/journal_scan.c): damage skipped.
check_PROGRAMS += tests/unit/test_journal_scan
TESTS += tests/unit/test_journal_scan
tests_unit_test_journal_scan_SOURCES = tests/unit/test_journal_scan.c \
	daemon/journal_scan.c daemon/journal_scan.h
tests_unit_test_journal_scan_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_journal_scan_CFLAGS = $(LIB_TEST_CFLAGS)
tests_unit_test_journal_scan_LDADD = $(JANSSON_LIBS) $(CHECK_LIBS)

# The report pages: escaping, missing data, the hypothesis table, the
# live page, the runs list, inlined assets; reliabd's request paths.
check_PROGRAMS += tests/unit/test_report_page
TESTS += tests/unit/test_report_page
tests_unit_test_report_page_SOURCES = tests/unit/test_report_page.c \
	daemon/web_path.c
tests_unit_test_report_page_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_unit_test_report_page_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CHECK_CFLAGS)
tests_unit_test_report_page_LDADD = $(REPORT_LIBS) lib/libreliab.a \
	$(CHECK_LIBS)
