# lib/: what several programs share.
noinst_LIBRARIES += lib/libreliab.a
lib_libreliab_a_SOURCES = \
	lib/log.c lib/log.h \
	lib/util.c lib/util.h \
	lib/addr.c lib/addr.h \
	lib/duration.c lib/duration.h \
	lib/metrics.c lib/metrics.h \
	lib/metrics_process.c \
	lib/httpd.c lib/httpd.h \
	lib/config.c lib/config.h \
	lib/config_argv.c \
	lib/channel.c lib/channel.h \
	lib/rng.h lib/queue.h
lib_libreliab_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS)
# What a program linking lib/libreliab.a also needs.
RELIAB_LIBS = lib/libreliab.a $(MHD_LIBS) $(INIH_LIBS) $(JANSSON_LIBS)
