# etc/: the default config, the systemd units, sysusers.d and tmpfiles.d
# files and the bash completion; the tests of running under systemd and
# of the installed tree.

# Files with installation paths are made at build time, so that
# `make prefix=...` and `make install DESTDIR=...` see the right ones.
etc_edit = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@docdir[@]|$(docdir)|g'
etc_edit_rule = $(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(etc_edit) $< >$@.tmp && mv $@.tmp $@

etc/reliabd.conf: $(srcdir)/etc/reliabd.conf.in Makefile
	$(etc_edit_rule)
etc/systemd/reliabd.service: $(srcdir)/etc/systemd/reliabd.service.in Makefile
	$(etc_edit_rule)
# sysusers.d and tmpfiles.d want NAME.conf; automake installs by basename.
etc/sysusers.d/reliabd.conf: $(srcdir)/etc/systemd/reliabd.sysusers
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp $< $@
etc/tmpfiles.d/reliabd.conf: $(srcdir)/etc/systemd/reliabd.tmpfiles
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp $< $@

systemdsystemunitdir = @systemdsystemunitdir@
nodist_systemdsystemunit_DATA = etc/systemd/reliabd.service
dist_systemdsystemunit_DATA = etc/systemd/reliabd.socket
sysusersdir = $(prefix)/lib/sysusers.d
nodist_sysusers_DATA = etc/sysusers.d/reliabd.conf
tmpfilesdir = $(prefix)/lib/tmpfiles.d
nodist_tmpfiles_DATA = etc/tmpfiles.d/reliabd.conf
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = etc/bash-completion/reliabctl
# The shipped default config, kept for comparing with an edited one.
reliabdexampledir = $(docdir)/examples
nodist_reliabdexample_DATA = etc/reliabd.conf

EXTRA_DIST += etc/reliabd.conf.in etc/systemd/reliabd.service.in \
	etc/systemd/reliabd.sysusers etc/systemd/reliabd.tmpfiles
CLEANFILES += etc/reliabd.conf etc/systemd/reliabd.service \
	etc/sysusers.d/reliabd.conf etc/tmpfiles.d/reliabd.conf

# $(sysconfdir)/reliabd/reliabd.conf is installed only when there is none:
# an operator's edited config survives a reinstall. Uninstall removes it
# only while it is still the shipped one, and scenarios.d only if empty.
reliabdconfdir = $(sysconfdir)/reliabd
install-data-hook: install-reliabd-conf
uninstall-hook: uninstall-reliabd-conf
.PHONY: install-reliabd-conf uninstall-reliabd-conf
install-reliabd-conf: etc/reliabd.conf
	$(MKDIR_P) '$(DESTDIR)$(reliabdconfdir)/scenarios.d'
	@if test -f '$(DESTDIR)$(reliabdconfdir)/reliabd.conf'; then \
	  echo "keeping the existing $(DESTDIR)$(reliabdconfdir)/reliabd.conf"; \
	else \
	  echo " $(INSTALL_DATA) etc/reliabd.conf '$(DESTDIR)$(reliabdconfdir)/reliabd.conf'"; \
	  $(INSTALL_DATA) etc/reliabd.conf '$(DESTDIR)$(reliabdconfdir)/reliabd.conf'; \
	fi
uninstall-reliabd-conf: etc/reliabd.conf
	@f='$(DESTDIR)$(reliabdconfdir)/reliabd.conf'; \
	if test -f "$$f" && cmp -s etc/reliabd.conf "$$f"; then \
	  echo " rm -f '$$f'"; rm -f "$$f"; \
	elif test -f "$$f"; then \
	  echo "keeping the edited $$f"; \
	fi
	@rmdir '$(DESTDIR)$(reliabdconfdir)/scenarios.d' '$(DESTDIR)$(reliabdconfdir)' 2>/dev/null || :

check_PROGRAMS += tests/tools/notify_listen
tests_tools_notify_listen_SOURCES = tests/tools/notify_listen.c

ETC_TESTS = \
	tests/integration/systemd_notify.sh \
	tests/integration/socket_activation.sh \
	tests/integration/playlist.sh
TESTS += tests/integration/socket_activation.sh
# 16 and 27 s under ASan, and no input of their own the other ASan tests
# do not feed: the plain pass only.
if !SANITIZERS
TESTS += tests/integration/systemd_notify.sh tests/integration/playlist.sh
endif
EXTRA_DIST += $(ETC_TESTS) tests/integration/install_tree.sh
# It checks the installed files, not C code: the sanitizer pass would add
# nothing (distcheck runs it on the tarball's tree too).
if !SANITIZERS
TESTS += tests/integration/install_tree.sh
endif
