# man/: the manual pages (mdoc), the user docs, and the test that keeps
# the pages, the programs' --help and reliabctl's commands in step.
dist_man_MANS += \
	man/reliabd.8 \
	man/reliabctl.8 \
	man/reliabd-loadgen.8 \
	man/reliabd-proxy.8 \
	man/reliabd-scenario.8 \
	man/reliabd.conf.5 \
	man/reliabd.scenario.5

dist_doc_DATA += \
	docs/GETTING_STARTED.md \
	docs/SCENARIO_GUIDE.md \
	docs/ADDING_SCENARIOS.md

# It checks files, not C code: the sanitizer pass would add nothing.
if !SANITIZERS
TESTS += tests/integration/man_help.sh
endif
EXTRA_DIST += tests/integration/man_help.sh
