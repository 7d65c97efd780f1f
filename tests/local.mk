# Test tools and the shell library the integration tests share.
check_PROGRAMS += tests/tools/freeport
tests_tools_freeport_SOURCES = tests/tools/freeport.c
EXTRA_DIST += tests/lib/common.sh
check_PROGRAMS += tests/tools/ctlpoke
tests_tools_ctlpoke_SOURCES = tests/tools/ctlpoke.c
check_PROGRAMS += tests/tools/ctlhold
tests_tools_ctlhold_SOURCES = tests/tools/ctlhold.c
