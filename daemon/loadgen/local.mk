# daemon/loadgen: reliabd-loadgen, its unit and integration tests, its fuzz
# target and its benchmark.
sbin_PROGRAMS += reliabd-loadgen
LOADGEN_CORE = \
	daemon/loadgen/breaker.c daemon/loadgen/breaker.h \
	daemon/loadgen/pool.c daemon/loadgen/pool.h \
	daemon/loadgen/ketama.c daemon/loadgen/ketama.h \
	daemon/loadgen/integrity.c daemon/loadgen/integrity.h \
	daemon/loadgen/options.c daemon/loadgen/options.h \
	daemon/loadgen/workload.c daemon/loadgen/workload.h
reliabd_loadgen_SOURCES = $(LOADGEN_CORE) \
	daemon/loadgen/mcproto.c daemon/loadgen/mcproto.h \
	daemon/loadgen/client.c daemon/loadgen/client.h \
	daemon/loadgen/engine.c daemon/loadgen/engine.h \
	daemon/loadgen/engine_int.h daemon/loadgen/workers.c \
	daemon/loadgen/conn.c \
	daemon/loadgen/libmc.c daemon/loadgen/libmc.h \
	daemon/loadgen/libmc_conf.c \
	daemon/loadgen/main.c
reliabd_loadgen_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBMEMCACHED_CFLAGS)
reliabd_loadgen_LDADD = $(WORKER_LIBS) $(HASHKIT_LIBS) $(LIBMEMCACHED_LIBS) -lm

# Unit tests (Check).
LOADGEN_UNIT = tests/unit/test_breaker tests/unit/test_pool \
	tests/unit/test_integrity tests/unit/test_ketama \
	tests/unit/test_loadgen_options tests/unit/test_mcproto \
	tests/unit/test_libmc
check_PROGRAMS += $(LOADGEN_UNIT)
TESTS += $(LOADGEN_UNIT)
LOADGEN_UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/daemon/loadgen
LOADGEN_UNIT_LIBS = $(RELIAB_LIBS) $(CHECK_LIBS)
tests_unit_test_breaker_SOURCES = tests/unit/test_breaker.c \
	daemon/loadgen/breaker.c
tests_unit_test_breaker_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_breaker_LDADD = $(LOADGEN_UNIT_LIBS)
tests_unit_test_pool_SOURCES = tests/unit/test_pool.c daemon/loadgen/pool.c
tests_unit_test_pool_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_pool_LDADD = $(LOADGEN_UNIT_LIBS)
tests_unit_test_integrity_SOURCES = tests/unit/test_integrity.c \
	daemon/loadgen/integrity.c
tests_unit_test_integrity_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_integrity_LDADD = $(LOADGEN_UNIT_LIBS)
tests_unit_test_ketama_SOURCES = tests/unit/test_ketama.c \
	daemon/loadgen/ketama.c
tests_unit_test_ketama_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_ketama_LDADD = $(LOADGEN_UNIT_LIBS) $(HASHKIT_LIBS)
tests_unit_test_loadgen_options_SOURCES = tests/unit/test_loadgen_options.c \
	daemon/loadgen/options.c
tests_unit_test_loadgen_options_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_loadgen_options_LDADD = $(LOADGEN_UNIT_LIBS)
tests_unit_test_mcproto_SOURCES = tests/unit/test_mcproto.c \
	daemon/loadgen/mcproto.c
tests_unit_test_mcproto_CFLAGS = $(LOADGEN_UNIT_CFLAGS)
tests_unit_test_mcproto_LDADD = $(LOADGEN_UNIT_LIBS)
# The libmemcached kind's setup against the resilient kind's key map, its
# return-code map, and the workload helpers both kinds share.
tests_unit_test_libmc_SOURCES = tests/unit/test_libmc.c \
	daemon/loadgen/libmc_conf.c daemon/loadgen/ketama.c \
	daemon/loadgen/options.c daemon/loadgen/workload.c \
	daemon/loadgen/integrity.c
tests_unit_test_libmc_CFLAGS = $(LOADGEN_UNIT_CFLAGS) $(LIBMEMCACHED_CFLAGS)
tests_unit_test_libmc_LDADD = $(LOADGEN_UNIT_LIBS) $(LIBMEMCACHED_LIBS) \
	$(HASHKIT_LIBS)

# Integration tests.
LOADGEN_IT = tests/integration/loadgen_metrics.sh \
	tests/integration/loadgen_openloop.sh \
	tests/integration/loadgen_options.sh \
	tests/integration/loadgen_libmc.sh \
	tests/integration/loadgen_libmc_integrity.sh
TESTS += $(LOADGEN_IT)
# loadgen_breaker.sh (a long test: its 3 s recovery bound is for the
# engine, not for ASan's slowdown) is listed in Makefile.am, with the
# other tests that run alone.
EXTRA_DIST += $(LOADGEN_IT) tests/integration/loadgen_lib.sh \
	tests/integration/loadgen_breaker.sh

# Fuzz targets: the value decoder reads what memcached hands back; the
# option parsers read the config and the command line. tests/fuzz/local.mk
# adds $(LOADGEN_FUZZ_TARGETS) to FUZZ_TARGETS (tests/fuzz/run.sh).
LOADGEN_FUZZ_TARGETS = tests/fuzz/fuzz_loadgen_value \
	tests/fuzz/fuzz_loadgen_options tests/fuzz/fuzz_loadgen_reply
fuzz_loadgen_value_SRCS = tests/fuzz/fuzz_loadgen_value.c \
	daemon/loadgen/integrity.c lib/log.c
tests/fuzz/fuzz_loadgen_value: $(fuzz_loadgen_value_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/loadgen
EXTRA_DIST += $(fuzz_loadgen_value_SRCS) tests/fuzz/corpus/loadgen_value
fuzz_loadgen_options_SRCS = tests/fuzz/fuzz_loadgen_options.c \
	daemon/loadgen/options.c lib/log.c lib/util.c lib/addr.c lib/duration.c
tests/fuzz/fuzz_loadgen_options: $(fuzz_loadgen_options_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/loadgen
EXTRA_DIST += $(fuzz_loadgen_options_SRCS) tests/fuzz/corpus/loadgen_options
fuzz_loadgen_reply_SRCS = tests/fuzz/fuzz_loadgen_reply.c \
	daemon/loadgen/mcproto.c
tests/fuzz/fuzz_loadgen_reply: $(fuzz_loadgen_reply_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon/loadgen
EXTRA_DIST += $(fuzz_loadgen_reply_SRCS) tests/fuzz/corpus/loadgen_reply

# Benchmark (by hand: make bench-loadgen); not part of make check.
noinst_PROGRAMS += tests/bench/mc_bare_loop
tests_bench_mc_bare_loop_SOURCES = tests/bench/mc_bare_loop.c
tests_bench_mc_bare_loop_CFLAGS = $(AM_CFLAGS) $(LIBMEMCACHED_CFLAGS)
tests_bench_mc_bare_loop_LDADD = $(LIBMEMCACHED_LIBS)
EXTRA_DIST += tests/bench/loadgen_bench.sh tests/bench/libmc_faults.sh
bench-loadgen: reliabd-loadgen tests/bench/mc_bare_loop tests/tools/freeport
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(BASH) $(top_srcdir)/tests/bench/loadgen_bench.sh
.PHONY: bench-loadgen
# What libmemcached does on each fault (docs/CLIENTS.md); by hand.
bench-libmc: reliabd-loadgen reliabd-proxy tests/tools/freeport
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(BASH) $(top_srcdir)/tests/bench/libmc_faults.sh
.PHONY: bench-libmc

# Issue 11's proofs: the loadgen's callers are independent (isolation in
# the open and the closed loop), bad replies are counted and their
# connections replaced (a rogue memcached), a server that never answers
# costs each call its timeout and no more, 4096 workers are cheap, and a
# client whose servers are all down does not spin.
check_PROGRAMS += tests/tools/mc_rogue
tests_tools_mc_rogue_SOURCES = tests/tools/mc_rogue.c
LOADGEN_ISO_IT = tests/integration/loadgen_isolation_closed.sh \
	tests/integration/loadgen_rogue.sh tests/integration/loadgen_busyloop.sh
# In the plain pass only: the open-loop isolation test takes about 25 s;
# the timeout test holds timers to 20 ms in an open loop, which ASan's
# slowdown (not the engine) misses; the memory test reads RSS, which
# ASan's shadow and quarantine inflate.
LOADGEN_ISO_PLAIN_IT = tests/integration/loadgen_isolation_open.sh \
	tests/integration/loadgen_timeout.sh tests/integration/loadgen_memory.sh
# 15 to 25 s each: long tests (configure --disable-long-tests), listed
# in Makefile.am with the other tests that run alone.
EXTRA_DIST += $(LOADGEN_ISO_IT) $(LOADGEN_ISO_PLAIN_IT) \
	tests/integration/loadgen_iso_lib.sh
# End of issue 11's proofs.
