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

# The report pages (helper R): report/html.c writes them; glue.js (the
# charts' glue to dygraphs) and report.css are compiled in as strings,
# report/assets.c made from them here.
report_libreport_a_SOURCES += report/html.c report/html.h \
	report/html_clients.c report/html_int.h report/escape.c \
	report/escape.h
nodist_report_libreport_a_SOURCES = report/assets.c
CLEANFILES += report/assets.c
EXTRA_DIST += report/glue.js report/report.css
REPORT_TO_C = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/'
report/assets.c: $(srcdir)/report/glue.js $(srcdir)/report/report.css
	$(AM_V_GEN)mkdir -p report && { \
	echo '/* Made from report/glue.js and report.css by report/local.mk. */'; \
	echo 'const char report_glue_js[] ='; \
	$(REPORT_TO_C) $(srcdir)/report/glue.js; echo ';'; \
	echo 'const char report_css[] ='; \
	$(REPORT_TO_C) $(srcdir)/report/report.css; echo ';'; \
	} > $@.tmp && mv $@.tmp $@
