# Integration tests of reliabd and reliabctl (the workers' own tests
# live with their local.mk).
# (daemon.sh, daemon_clients, report_page and web_input, among the
# longest, are listed early in Makefile.am. control_input, the heaviest
# under ASan with web_input, is not: listed early, the two ran beside
# each other and took 74 s and 57 s, against 20 s and 25 s apart. Listed
# here, last, web_input ended each pass alone: 20 s of one core idle.)
TESTS += tests/integration/control_input.sh
# Several clients ([loadgen NAME], issue 14): status, load, file_sd, reload
# (34 s under ASan: the plain pass only; test_lib_config_clients runs the
# parsing under ASan).
EXTRA_DIST += tests/integration/daemon_clients.sh
TESTS += tests/integration/control_emfile.sh tests/integration/journal_torn.sh
# The report pages against bad paths, 500 connections, slow clients.
EXTRA_DIST += tests/integration/web_input.sh
# (A shortened partition's report, live over HTTP then in headless
# Chromium, ~30 s, Chromium taking seconds to start: plain pass only.)
EXTRA_DIST += tests/integration/report_page.sh
# ./run-lab and reliabd -t (issue 12): a busy port, a misspelled playlist,
# Ctrl-C (the whole lab up and down, ~20 s: the plain pass only).
TESTS += tests/integration/runlab_busy_port.sh \
	tests/integration/playlist_misspelled.sh
if !SANITIZERS
TESTS += tests/integration/runlab_sigint.sh
endif
EXTRA_DIST += tests/integration/runlab_busy_port.sh \
	tests/integration/playlist_misspelled.sh \
	tests/integration/runlab_sigint.sh
# The layout rules: no circle of calls, the 700-line rule, one definition.
# It checks files, not C code: the sanitizer pass would add nothing.
if !SANITIZERS
TESTS += tests/integration/layout_lint.sh
endif
EXTRA_DIST += tests/integration/layout_lint.sh
if !SANITIZERS
# valgrind and ASan do not mix: the sanitizer build has its own checks.
TESTS += tests/integration/daemon_valgrind.sh
endif
# Long tests, in the plain pass only, listed in Makefile.am (the verdict
# tests and control_starve run alone; the longest shared ones start
# first): control_starve.sh (~25 s of hostile clients),
# scenario_killed.sh (20 kills of the scenario worker),
# ctl_history_live.sh (11 real shortened runs and a reload),
# verdict_loss_latency.sh and verdict_partition.sh (issue 12's verdicts
# end to end, two labs each).
EXTRA_DIST += tests/integration/verdict_lib.sh \
	tests/integration/verdict_loss_latency.sh \
	tests/integration/verdict_partition.sh \
	tests/integration/verdict_clients.sh \
	tests/integration/verdict_external.sh
EXTRA_DIST += tests/integration/scenario_killed.sh tests/integration/ctl_history_live.sh
EXTRA_DIST += tests/integration/daemon.sh tests/integration/control_input.sh \
	tests/integration/daemon_valgrind.sh \
	tests/integration/control_emfile.sh tests/integration/control_starve.sh \
	tests/integration/journal_torn.sh
