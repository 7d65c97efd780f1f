# ctl/: reliabctl.
bin_PROGRAMS += reliabctl
reliabctl_SOURCES = ctl/reliabctl.c ctl/reliabctl.h ctl/parser.c \
	ctl/client.c ctl/output.c ctl/wait.c ctl/help.c ctl/fmt.c \
	ctl/report.c ctl/history.c ctl/stats.c ctl/stats.h
reliabctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
reliabctl_LDADD = $(RELIAB_LIBS) $(PROTO_LIBS) -lm
