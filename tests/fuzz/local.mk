# libFuzzer targets, built with clang (FUZZ_CC) and ASan+UBSan.
#
# A target is tests/fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput, with
# a seed corpus in tests/fuzz/corpus/NAME/. To add one (in your own
# local.mk):
#
#   FUZZ_TARGETS += tests/fuzz/fuzz_NAME
#   fuzz_NAME_SRCS = tests/fuzz/fuzz_NAME.c lib/x.c ...
#   tests/fuzz/fuzz_NAME: $(fuzz_NAME_SRCS)
#   	$(FUZZ_LINK) $(JANSSON_LIBS)
#   EXTRA_DIST += $(fuzz_NAME_SRCS) tests/fuzz/corpus/NAME
#
# tests/fuzz/run.sh runs each for FUZZ_SECONDS in the suite (1, set below: its seed
# corpus and a second of mutations; `make fuzz-long` is the real run).
FUZZ_TARGETS =
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -pthread \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(top_srcdir) -I$(top_srcdir)/lib -I$(top_srcdir)/proto -I$(top_builddir) \
	-DSYSCONFDIR='"$(sysconfdir)"' -DSBINDIR='"$(sbindir)"' \
	-DPKGDATADIR='"$(pkgdatadir)"' -DLOCALSTATEDIR='"$(localstatedir)"' \
	-DRUNSTATEDIR='"$(runstatedir)"' \
	$(JANSSON_CFLAGS) $(INIH_CFLAGS)
# A target's own tests/fuzz/ files (and any .c its rule lists beyond
# fuzz_NAME_SRCS) are compiled with the flags its rule adds; every other
# source of fuzz_NAME_SRCS is compiled once, into tests/fuzz/obj/, and
# shared by the targets that link it (lib/log.c went into nine of
# them, and the largest target was one clang process compiling 25 files
# in a row: the build was the first 45 s of the plain pass).
FUZZ_LINK = @mkdir -p tests/fuzz; \
	echo "  FUZZ     $@"; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ \
	$(foreach f,$(filter %.c,$^),$(if $(filter tests/fuzz/obj/$(patsubst \
	$(top_srcdir)/%,%,$(basename $(f))).o,$^),,$(f))) $(filter %.o,$^)
fuzz_objs = $(patsubst %.c,tests/fuzz/obj/%.o,$(filter %.c,$(filter-out \
	tests/fuzz/%,$(1))))
tests/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(LIBCURL_CFLAGS) \
	-I$(top_srcdir)/$(*D) -MMD -MP -c -o $@ $<
# Each shared object's headers: a changed struct rebuilds every object
# that uses it (a stale one crashed a fuzz target on a layout it did not
# know).
-include $(shell find tests/fuzz/obj -name '*.d' 2>/dev/null)

if !SANITIZERS
if LONG_TESTS
# The fuzz targets carry their own sanitizers; the sanitizer build of the
# suite does not run them twice. Their short run takes about a minute,
# and building them with clang another: a long test, so distcheck
# (--disable-long-tests) builds and runs none (`make fuzz-long` builds
# them in any tree).
check_DATA = $(FUZZ_TARGETS)
# (run.sh is listed early in Makefile.am, among the longest.)
endif
endif
CLEANFILES += $(FUZZ_TARGETS)
clean-local: clean-fuzz-obj
clean-fuzz-obj:
	-rm -rf tests/fuzz/obj
.PHONY: clean-fuzz-obj
EXTRA_DIST += tests/fuzz/run.sh

# The workers' targets are declared in their own local.mk files.
FUZZ_TARGETS += $(LOADGEN_FUZZ_TARGETS) $(PROXY_FUZZ_TARGETS) \
	$(SCENARIO_FUZZ_TARGETS)

AM_TESTS_ENVIRONMENT += FUZZ_TARGETS='$(FUZZ_TARGETS)'; export FUZZ_TARGETS;
# The suite's run is a smoke test, 2 s a target (make fuzz-long goes deep).
AM_TESTS_ENVIRONMENT += FUZZ_SECONDS=$${FUZZ_SECONDS:-1}; export FUZZ_SECONDS;

# make fuzz-long: every target until 10^7 executions (FUZZ_RUNS), then a
# table of executions and times. Hours on two cores: by hand, not in the
# suite; its figures go in docs/HACKING.md.
FUZZ_RUNS = 10000000
# (The targets are listed in the recipe: a prerequisite list would miss
# those added further down.)
fuzz-long:
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS)
	@FUZZ_TARGETS='$(FUZZ_TARGETS)' FUZZ_RUNS='$(FUZZ_RUNS)' \
	top_srcdir='$(top_srcdir)' top_builddir='$(top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/fuzz/run.sh --long
.PHONY: fuzz-long

FUZZ_TARGETS += tests/fuzz/fuzz_proto
fuzz_proto_SRCS = tests/fuzz/fuzz_proto.c proto/proto.c proto/frame.c
tests/fuzz/fuzz_proto: $(fuzz_proto_SRCS)
	$(FUZZ_LINK) $(JANSSON_LIBS)
EXTRA_DIST += $(fuzz_proto_SRCS) tests/fuzz/corpus/proto

FUZZ_TARGETS += tests/fuzz/fuzz_config
fuzz_config_SRCS = tests/fuzz/fuzz_config.c lib/config.c lib/config_argv.c \
	lib/duration.c lib/addr.c lib/scrape_url.c lib/util.c lib/log.c
tests/fuzz/fuzz_config: $(fuzz_config_SRCS)
	$(FUZZ_LINK) $(INIH_LIBS)
EXTRA_DIST += $(fuzz_config_SRCS) tests/fuzz/corpus/config

FUZZ_TARGETS += tests/fuzz/fuzz_journal
fuzz_journal_SRCS = tests/fuzz/fuzz_journal.c daemon/journal_scan.c \
	daemon/journal_scan.h
tests/fuzz/fuzz_journal: $(fuzz_journal_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/daemon $(JANSSON_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_journal.c tests/fuzz/corpus/journal

# reliabctl check-client's reading of any /metrics body (the scenario
# worker's parser under it), its JSON and its text.
FUZZ_TARGETS += tests/fuzz/fuzz_check_client
fuzz_check_client_SRCS = tests/fuzz/fuzz_check_client.c ctl/scrape_check.c \
	ctl/scrape_print.c ctl/fmt.c daemon/scenario/promtext.c lib/util.c
tests/fuzz/fuzz_check_client: $(fuzz_check_client_SRCS)
	$(FUZZ_LINK) -I$(top_srcdir)/ctl $(JANSSON_LIBS) -lm
EXTRA_DIST += $(fuzz_check_client_SRCS) tests/fuzz/corpus/check_client
