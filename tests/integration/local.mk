# Integration tests of reliabd and reliabctl (the workers' own tests
# live with their local.mk).
TESTS += tests/integration/daemon.sh tests/integration/control_input.sh
if !SANITIZERS
# valgrind and ASan do not mix: the sanitizer build has its own checks.
TESTS += tests/integration/daemon_valgrind.sh
endif
EXTRA_DIST += tests/integration/daemon.sh tests/integration/control_input.sh \
	tests/integration/daemon_valgrind.sh
