# report/: a run's report from its series file (the reader here; the
# writer is daemon/scenario/series.c). reliabd and reliabctl link it.
noinst_LIBRARIES += report/libreport.a
report_libreport_a_SOURCES = report/series.c report/series.h
report_libreport_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# What a program linking report/libreport.a also needs (before
# $(RELIAB_LIBS) on its LDADD line).
REPORT_LIBS = report/libreport.a $(JANSSON_LIBS) -lm

# libFuzzer: any bytes as a series file.
FUZZ_TARGETS += tests/fuzz/fuzz_series
fuzz_series_SRCS = tests/fuzz/fuzz_series.c report/series.c
tests/fuzz/fuzz_series: $(fuzz_series_SRCS)
	$(FUZZ_LINK) $(JANSSON_LIBS) -lm
EXTRA_DIST += $(fuzz_series_SRCS) tests/fuzz/corpus/series

