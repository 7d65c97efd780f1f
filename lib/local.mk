# lib/: what several programs share.
noinst_LIBRARIES += lib/libreliab.a
lib_libreliab_a_SOURCES = \
	lib/log.c lib/log.h \
	lib/util.c lib/util.h \
	lib/addr.c lib/addr.h \
	lib/scrape_url.c lib/scrape_url.h \
	lib/duration.c lib/duration.h \
	lib/metrics.c lib/metrics.h lib/metrics_int.h lib/metrics_render.c \
	lib/metrics_series.c \
	lib/metrics_process.c \
	lib/httpd.c lib/httpd.h \
	lib/config.c lib/config.h \
	lib/config_argv.c \
	lib/channel.c lib/channel.h \
	lib/worker.c lib/worker.h \
	lib/suggest.c lib/suggest.h \
	lib/rng.h lib/queue.h
lib_libreliab_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBEVENT_CFLAGS)
# What a program linking lib/libreliab.a also needs.
# channel.c and worker.c speak proto/.
RELIAB_LIBS = lib/libreliab.a proto/libproto.a $(MHD_LIBS) $(INIH_LIBS) \
	$(JANSSON_LIBS)
# A worker (lib/worker.h) also needs libevent.
WORKER_LIBS = $(RELIAB_LIBS) $(LIBEVENT_LIBS)
