# ctl/: reliabctl.
bin_PROGRAMS += reliabctl
reliabctl_SOURCES = ctl/reliabctl.c ctl/reliabctl.h ctl/parser.c \
	ctl/client.c ctl/output.c ctl/wait.c
reliabctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
reliabctl_LDADD = $(RELIAB_LIBS) $(PROTO_LIBS) -lm
