# daemon/proxy: reliabd-proxy, the built-in fault proxy (Toxiproxy API).
sbin_PROGRAMS += reliabd-proxy
reliabd_proxy_SOURCES = \
	daemon/proxy/main.c \
	daemon/proxy/api.c daemon/proxy/api.h daemon/proxy/routes.c \
	daemon/proxy/api_parse.c daemon/proxy/api_parse.h \
	daemon/proxy/names.c daemon/proxy/names.h \
	daemon/proxy/proxy.c daemon/proxy/proxy.h daemon/proxy/proxy_int.h \
	daemon/proxy/proxy_toxics.c \
	daemon/proxy/pxloop.c daemon/proxy/pxloop.h \
	daemon/proxy/conn.c \
	daemon/proxy/pipe.c daemon/proxy/pipe.h \
	daemon/proxy/toxic.c daemon/proxy/toxic.h
reliabd_proxy_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(MHD_CFLAGS) \
	$(JANSSON_CFLAGS)
reliabd_proxy_LDADD = $(RELIAB_LIBS) $(LIBEVENT_LIBS) $(MHD_LIBS) \
	$(JANSSON_LIBS) -lm

# Unit tests (Check).
PROXY_CORE = daemon/proxy/api_parse.c daemon/proxy/toxic.c daemon/proxy/pipe.c
check_PROGRAMS += tests/unit/test_proxy_parse tests/unit/test_proxy_pipe \
	tests/unit/test_proxy_api
TESTS += tests/unit/test_proxy_parse tests/unit/test_proxy_pipe \
	tests/unit/test_proxy_api
tests_unit_test_proxy_parse_SOURCES = tests/unit/test_proxy_parse.c \
	$(PROXY_CORE)
tests_unit_test_proxy_parse_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/daemon/proxy
tests_unit_test_proxy_parse_LDADD = $(RELIAB_LIBS) $(CHECK_LIBS) \
	$(JANSSON_LIBS) -lm
tests_unit_test_proxy_pipe_SOURCES = tests/unit/test_proxy_pipe.c \
	$(PROXY_CORE)
tests_unit_test_proxy_pipe_CFLAGS = $(tests_unit_test_proxy_parse_CFLAGS)
tests_unit_test_proxy_pipe_LDADD = $(tests_unit_test_proxy_parse_LDADD)
tests_unit_test_proxy_api_SOURCES = tests/unit/test_proxy_api.c \
	$(PROXY_CORE) daemon/proxy/proxy.c daemon/proxy/proxy_toxics.c \
	daemon/proxy/pxloop.c \
	daemon/proxy/conn.c \
	daemon/proxy/api.c daemon/proxy/routes.c daemon/proxy/names.c
tests_unit_test_proxy_api_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/daemon/proxy
tests_unit_test_proxy_api_LDADD = $(RELIAB_LIBS) $(CHECK_LIBS) \
	$(LIBEVENT_LIBS) $(MHD_LIBS) $(JANSSON_LIBS) -lm

# Test clients and integration tests.
check_PROGRAMS += tests/tools/proxy_churn tests/tools/proxy_mcprobe
tests_tools_proxy_churn_SOURCES = tests/tools/proxy_churn.c
tests_tools_proxy_mcprobe_SOURCES = tests/tools/proxy_mcprobe.c
tests_tools_proxy_mcprobe_LDADD = -lm
# A slow resolver for proxy_dns.sh, preloaded into reliabd-proxy: built
# without the sanitizers, which must not be preloaded a second time.
check_PROGRAMS += tests/tools/slowdns.so
tests_tools_slowdns_so_SOURCES = tests/tools/slowdns.c
tests_tools_slowdns_so_CFLAGS = -fPIC $(WARN_CFLAGS)
tests_tools_slowdns_so_LDFLAGS = -shared
tests_tools_slowdns_so_LDADD = -ldl
TESTS += tests/integration/proxy_api.sh tests/integration/proxy_toxics.sh \
	tests/integration/proxy_robust.sh tests/integration/proxy_churn.sh \
	tests/integration/proxy_dns.sh
EXTRA_DIST += tests/integration/proxy_dns.sh tests/integration/proxy_api.sh \
	tests/integration/proxy_toxics.sh tests/integration/proxy_robust.sh \
	tests/integration/proxy_churn.sh tests/integration/proxy_lib.sh

# Fuzzing the request bodies; tests/fuzz/local.mk adds
# $(PROXY_FUZZ_TARGETS) to FUZZ_TARGETS (tests/fuzz/run.sh).
PROXY_FUZZ_TARGETS = tests/fuzz/fuzz_proxy_api
CLEANFILES += $(PROXY_FUZZ_TARGETS)
fuzz_proxy_api_SRCS = tests/fuzz/fuzz_proxy_api.c daemon/proxy/api_parse.c \
	daemon/proxy/names.c \
	daemon/proxy/toxic.c lib/addr.c lib/util.c lib/log.c
tests/fuzz/fuzz_proxy_api: $(fuzz_proxy_api_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/proxy $(JANSSON_LIBS) -lm
EXTRA_DIST += $(fuzz_proxy_api_SRCS) tests/fuzz/corpus/proxy_api
# The URL router and handlers over a proxy set in memory: no sockets.
PROXY_FUZZ_TARGETS += tests/fuzz/fuzz_proxy_router
fuzz_proxy_router_SRCS = tests/fuzz/fuzz_proxy_router.c \
	daemon/proxy/routes.c daemon/proxy/api_parse.c daemon/proxy/toxic.c \
	lib/addr.c lib/util.c lib/log.c
tests/fuzz/fuzz_proxy_router: $(fuzz_proxy_router_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/proxy $(JANSSON_LIBS) -lm
EXTRA_DIST += tests/fuzz/fuzz_proxy_router.c tests/fuzz/corpus/proxy_router

# Benchmark (not part of make check): make bench-proxy
noinst_PROGRAMS += tests/bench/mcbench
tests_bench_mcbench_SOURCES = tests/bench/mcbench.c
tests_bench_mcbench_LDADD = -lm
EXTRA_DIST += tests/bench/proxy_bench.sh
bench-proxy: reliabd-proxy tests/bench/mcbench tests/tools/freeport
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(BASH) $(top_srcdir)/tests/bench/proxy_bench.sh
.PHONY: bench-proxy
