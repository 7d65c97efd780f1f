/* The run state machine (runner.c) and flapping (flap.c), driven with a
 * fake clock and a fake fault backend that counts what reaches the
 * "proxy": every transition, a stop in each phase, a flapping pattern,
 * the cleanup retry of a proxy that would not let go. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults.h"
#include "flap.h"
#include "journal.h"
#include "journal_scan.h"
#include "log.h"
#include "playlist.h"
#include "record.h"
#include "runner.h"

/* ---- the fakes ---- */

static uint64_t fake_mono;
static double fake_wall;

static uint64_t
fake_mono_ms(void *arg)
{
	(void)arg;
	return fake_mono;
}

static double
fake_wall_s(void *arg)
{
	(void)arg;
	return fake_wall;
}

static const struct run_clock fake_clock = { fake_mono_ms, fake_wall_s,
	NULL };

struct proxy {
	int applies, undos, restarts, resets;
	int fail_undo;     /* the proxy refuses removals */
	int fail_reset;    /* the proxy refuses POST /reset */
	int on;            /* faults on the proxy now */
	char log[512];     /* "+" apply, "-" undo, "n" node restart */
};
static struct proxy px;

static void
note(const char *c)
{
	strncat(px.log, c, sizeof px.log - strlen(px.log) - 1);
}

static enum toxi_result
fake_apply(void *arg, const struct fault_unit *u, char *err, size_t errlen)
{
	(void)arg;
	(void)u;
	(void)err;
	(void)errlen;
	px.applies++;
	px.on++;
	note("+");
	return TOXI_OK;
}

static enum toxi_result
fake_undo(void *arg, const struct ledger_entry *le, char *err, size_t errlen)
{
	(void)arg;
	(void)le;
	if (px.fail_undo) {
		snprintf(err, errlen, "proxy busy");
		return TOXI_ERROR;
	}
	px.undos++;
	if (px.on > 0)
		px.on--;
	note("-");
	return TOXI_OK;
}

static enum toxi_result
fake_reset(void *arg, char *err, size_t errlen)
{
	(void)arg;
	if (px.fail_reset) {
		snprintf(err, errlen, "proxy busy");
		return TOXI_ERROR;
	}
	px.resets++;
	px.on = 0;
	note("r");
	return TOXI_OK;
}

static int
fake_restart(void *arg, const char *node, uint64_t down_ms, char *err,
    size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	ck_assert_str_eq(node, "memcache1");
	ck_assert_uint_eq(down_ms, 800);
	px.restarts++;
	note("n");
	return 0;
}

struct seen {
	char phases[256];   /* first letter of each phase published */
	int finished, aborted, done, done_aborted, sampling;
	enum run_status last;
};
static struct seen seen;
static json_t *seen_record;

static void
obs_phase(void *arg, const struct run *r)
{
	char c[2] = { phase_text(r->phase)[0], 0 };

	(void)arg;
	strncat(seen.phases, c, sizeof seen.phases - strlen(seen.phases) - 1);
}

static void
obs_finished(void *arg, const struct run *r, enum run_status st,
    const char *reason, const struct playlist *pl)
{
	(void)arg;
	(void)r;
	(void)reason;
	(void)pl;
	seen.finished++;
	seen.last = st;
	if (st == RUN_ABORTED)
		seen.aborted++;
	/* The record as the journal gets it (test_clients_record). */
	json_decref(seen_record);
	seen_record = run_record(r, pl->batch, st, reason, 1.7e9);
}

static void
obs_done(void *arg, const struct playlist *pl, int aborted)
{
	(void)arg;
	(void)pl;
	seen.done++;
	seen.done_aborted += aborted;
}

static void
obs_sampling(void *arg, int on)
{
	(void)arg;
	seen.sampling = on;
}

static const struct runner_observer observer = { obs_phase, obs_finished,
	obs_done, obs_sampling, NULL, NULL };

/* ---- a lab ---- */

static char dir[] = "/tmp/test_runner.XXXXXX";
static struct faults faults;
static struct runner rn;

static void
lab_up(void)
{
	struct fault_backend be = { fake_apply, fake_undo, fake_restart,
		NULL, fake_reset, NULL };
	char err[256];

	memset(&px, 0, sizeof px);
	memset(&seen, 0, sizeof seen);
	fake_mono = 1000000;
	fake_wall = 1.7e9;
	strcpy(dir, "/tmp/test_runner.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(faults_open(&faults, dir, &be, NULL, err,
	    sizeof err), 0);
	runner_init(&rn, &fake_clock, &faults, &observer);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
}

static void
lab_down(void)
{
	char path[64];

	runner_free(&rn);
	snprintf(path, sizeof path, "%s/ledger.json", dir);
	unlink(path);
	rmdir(dir);
}

/* start()'s job is a --compare one. */
static int start_compare;

/* A job of `doc` (a scenario: 1 s, 5 s, 2 s unless it says), `loop`
 * times. */
static void
start(const char *doc, unsigned loop)
{
	struct playlist pl;
	char err[256];

	memset(&pl, 0, sizeof pl);
	pl.specs = calloc(1, sizeof *pl.specs);
	ck_assert_ptr_nonnull(pl.specs);
	ck_assert_int_eq(spec_parse(doc, strlen(doc), "t.json", NULL,
	    pl.specs, err, sizeof err), 0);
	pl.n = 1;
	run_args_init(&pl.args);
	pl.args.loop = loop;
	pl.args.compare = start_compare;
	strcpy(pl.batch, "test");
	ck_assert_int_eq(runner_start(&rn, &pl), 0);
	ck_assert_ptr_null(pl.specs);
}

static const char *const latency =
    "{\"name\":\"lat\",\"phases\":{\"stabilization\":\"1s\","
    "\"testing\":\"5s\",\"recovery\":\"2s\"},"
    "\"faults\":[{\"servers\":[\"memcache1\",\"memcache2\"],"
    "\"type\":\"latency\",\"attributes\":{\"latency\":100}}]}";

static const char *const flapping =
    "{\"name\":\"flap\",\"phases\":{\"stabilization\":\"1s\","
    "\"testing\":\"5s\",\"recovery\":\"2s\"},"
    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"latency\","
    "\"attributes\":{\"latency\":100}}],"
    "\"pattern\":{\"on\":\"1s\",\"off\":\"1s\"}}";

/* Moves the clock by ms and ticks; returns the tick's wait. */
static int
advance(uint64_t ms)
{
	fake_mono += ms;
	fake_wall += (double)ms / 1000.0;
	return runner_tick(&rn);
}

/* ---- the tests ---- */

START_TEST(test_texts)
{
	ck_assert_str_eq(runner_state_text(RUNNER_IDLE), "idle");
	ck_assert_str_eq(runner_state_text(RUNNER_CLEANING), "cleaning");
	ck_assert_str_eq(runner_state_text(RUNNER_STABILIZATION),
	    "stabilization");
	ck_assert_str_eq(runner_state_text(RUNNER_TESTING), "testing");
	ck_assert_str_eq(runner_state_text(RUNNER_RECOVERY), "recovery");
	ck_assert_int_eq(runner_state_phase(RUNNER_CLEANING), PHASE_IDLE);
	ck_assert_int_eq(runner_state_phase(RUNNER_TESTING), PHASE_TESTING);
	ck_assert_str_eq(flap_state_text(FLAP_STEADY), "steady");
	ck_assert_str_eq(flap_state_text(FLAP_ON), "on");
	ck_assert_str_eq(flap_state_text(FLAP_OFF), "off");
	ck_assert_str_eq(flap_action_text(FLAP_REMOVE), "remove");
}
END_TEST

START_TEST(test_whole_run)
{
	lab_up();
	ck_assert_int_eq(runner_tick(&rn), -1);
	start(latency, 1);
	ck_assert_int_eq(rn.state, RUNNER_STABILIZATION);
	ck_assert_int_eq(seen.sampling, 1);
	ck_assert_int_eq(runner_tick(&rn), 1000);
	ck_assert_int_eq(advance(999), 1);
	ck_assert_int_eq(px.applies, 0);
	/* Testing: both servers' faults on, in the ledger. */
	ck_assert_int_eq(advance(1), 5000);
	ck_assert_int_eq(rn.state, RUNNER_TESTING);
	ck_assert_int_eq(px.applies, 2);
	ck_assert_uint_eq(faults_pending(&faults), 2);
	ck_assert_int_eq(rn.run->verdict.applied, 1);
	/* A second start is refused while the job runs. */
	{
		struct playlist pl;
		memset(&pl, 0, sizeof pl);
		ck_assert_int_eq(runner_start(&rn, &pl), -1);
	}
	ck_assert_int_eq(advance(4000), 1000);
	ck_assert_int_eq(advance(1000), 2000);
	ck_assert_int_eq(rn.state, RUNNER_RECOVERY);
	ck_assert_int_eq(px.undos, 2);
	ck_assert_int_eq(px.on, 0);
	ck_assert_uint_eq(faults_pending(&faults), 0);
	ck_assert_int_eq(rn.run->verdict.removed, 1);
	/* Recovery over: judged (no samples: not a success), idle, done. */
	ck_assert_int_eq(advance(2000), -1);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	ck_assert_ptr_null(rn.run);
	ck_assert_int_eq(seen.finished, 1);
	ck_assert_int_eq(seen.aborted, 0);
	ck_assert_int_eq(seen.done, 1);
	ck_assert_int_eq(seen.done_aborted, 0);
	ck_assert_int_eq(seen.sampling, 0);
	ck_assert_str_eq(seen.phases, "stri");
	ck_assert_str_eq(px.log, "++--");
	ck_assert_int_eq(runner_stop(&rn, "nothing"), 0);
	lab_down();
}
END_TEST

START_TEST(test_loop)
{
	lab_up();
	start(latency, 2);
	advance(1000);
	advance(5000);
	advance(2000);
	/* The first run is published idle, the second begins. */
	ck_assert_int_eq(rn.state, RUNNER_STABILIZATION);
	ck_assert_int_eq(rn.run->loop, 2);
	ck_assert_str_eq(rn.run->id, "test-2");
	ck_assert_int_eq(seen.done, 0);
	advance(1000);
	advance(5000);
	advance(2000);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	ck_assert_str_eq(seen.phases, "stristri");
	ck_assert_int_eq(seen.finished, 2);
	ck_assert_int_eq(seen.done, 1);
	ck_assert_uint_eq(rn.pl.runs, 2);
	ck_assert_str_eq(px.log, "++--++--");
	lab_down();
}
END_TEST

/* A stop in phase `_i` (0 stabilization, 1 testing, 2 recovery): the run
 * ends aborted, the job with it, nothing stays on the proxy. */
START_TEST(test_stop_in_each_phase)
{
	static const enum runner_state in[] = { RUNNER_STABILIZATION,
		RUNNER_TESTING, RUNNER_RECOVERY };
	static const char *const phases[] = { "si", "sti", "stri" };

	lab_up();
	start(latency, 3);
	if (_i >= 1)
		advance(1000);
	if (_i >= 2)
		advance(5000);
	ck_assert_int_eq(rn.state, in[_i]);
	advance(100);
	ck_assert_int_eq(runner_stop(&rn, "stopped on request"), 1);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	ck_assert_ptr_null(rn.run);
	ck_assert_int_eq(seen.aborted, 1);
	ck_assert_int_eq(seen.last, RUN_ABORTED);
	ck_assert_int_eq(seen.done, 1);
	ck_assert_int_eq(seen.done_aborted, 1);
	ck_assert_int_eq(seen.sampling, 0);
	ck_assert_int_eq(px.on, 0);
	ck_assert_int_eq(px.applies, _i >= 1 ? 2 : 0);
	ck_assert_int_eq(px.undos, px.applies);
	ck_assert_uint_eq(faults_pending(&faults), 0);
	ck_assert_str_eq(seen.phases, phases[_i]);
	/* Nothing runs on: the rest of the loop is gone. */
	ck_assert_int_eq(advance(60000), -1);
	ck_assert_int_eq(seen.finished, 1);
	lab_down();
}
END_TEST

START_TEST(test_flapping)
{
	lab_up();
	start(flapping, 1);
	ck_assert_int_eq(advance(1000), 1000);  /* testing; off in 1 s */
	ck_assert_int_eq(rn.run->flap.state, FLAP_ON);
	ck_assert_str_eq(px.log, "+");
	ck_assert_int_eq(advance(1000), 1000);
	ck_assert_int_eq(rn.run->flap.state, FLAP_OFF);
	ck_assert_int_eq(px.on, 0);
	ck_assert_uint_eq(faults_pending(&faults), 0);
	ck_assert_int_eq(advance(1000), 1000);
	ck_assert_int_eq(rn.run->flap.state, FLAP_ON);
	ck_assert_int_eq(px.on, 1);
	ck_assert_uint_eq(faults_pending(&faults), 1);
	advance(1000);
	advance(1000);
	ck_assert_str_eq(px.log, "+-+-+");
	ck_assert_int_eq(rn.state, RUNNER_TESTING);
	/* The last toggle would fall on the end of testing: recovery
	 * removes the fault instead, and nothing flaps after. */
	ck_assert_int_eq(advance(1000), 2000);
	ck_assert_int_eq(rn.state, RUNNER_RECOVERY);
	ck_assert_int_eq(rn.run->flap.state, FLAP_STEADY);
	ck_assert_str_eq(px.log, "+-+-+-");
	ck_assert_int_eq(advance(1000), 1000);
	ck_assert_str_eq(px.log, "+-+-+-");
	/* Three applications; the first is the one the verdict times. */
	ck_assert_uint_eq(rn.run->faults.units[0].napplied, 3);
	advance(1000);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	lab_down();
}
END_TEST

START_TEST(test_stop_while_flapped_off)
{
	lab_up();
	start(flapping, 1);
	advance(1000);
	advance(1000);
	ck_assert_int_eq(rn.run->flap.state, FLAP_OFF);
	ck_assert_int_eq(runner_stop(&rn, "stop"), 1);
	/* Nothing was on: nothing more to remove. */
	ck_assert_str_eq(px.log, "+-");
	ck_assert_int_eq(seen.aborted, 1);
	lab_down();
}
END_TEST

START_TEST(test_cleaning)
{
	lab_up();
	start(latency, 1);
	advance(1000);
	ck_assert_int_eq(px.on, 2);
	/* The proxy will not let go: the faults stay in the ledger. */
	px.fail_undo = 1;
	advance(5000);
	ck_assert_int_eq(px.on, 2);
	ck_assert_uint_eq(faults_pending(&faults), 2);
	ck_assert_int_eq(advance(2000), RUNNER_CLEANUP_RETRY_MS);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	ck_assert_int_eq(runner_busy(&rn), 0);
	ck_assert_int_eq(seen.done, 1);
	/* Retried every second while it fails... */
	ck_assert_int_eq(advance(RUNNER_CLEANUP_RETRY_MS),
	    RUNNER_CLEANUP_RETRY_MS);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	/* ...until it works. */
	px.fail_undo = 0;
	ck_assert_int_eq(advance(RUNNER_CLEANUP_RETRY_MS), -1);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	ck_assert_int_eq(px.on, 0);
	ck_assert_uint_eq(faults_pending(&faults), 0);
	lab_down();
}
END_TEST

START_TEST(test_start_while_cleaning)
{
	lab_up();
	start(latency, 1);
	advance(1000);
	px.fail_undo = 1;
	ck_assert_int_eq(runner_stop(&rn, "stop"), 1);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	/* A new job first retries what is left, then runs. */
	px.fail_undo = 0;
	start(latency, 1);
	ck_assert_int_eq(rn.state, RUNNER_STABILIZATION);
	ck_assert_int_eq(px.on, 0);
	ck_assert_uint_eq(faults_pending(&faults), 0);
	lab_down();
}
END_TEST

START_TEST(test_ledger_at_start)
{
	struct fault_backend be = { fake_apply, fake_undo, fake_restart,
		NULL, fake_reset, NULL };
	char err[256];

	/* A ledger left by an earlier life: the machine starts cleaning. */
	lab_up();
	start(latency, 1);
	advance(1000);
	runner_free(&rn);   /* "crash": the faults are in the ledger */
	ck_assert_int_eq(faults_open(&faults, dir, &be, NULL, err,
	    sizeof err), 0);
	ck_assert_uint_eq(faults_pending(&faults), 2);
	runner_init(&rn, &fake_clock, &faults, &observer);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	ck_assert_int_eq(runner_cleanup(&rn), 0);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	lab_down();
}
END_TEST

/* An unreadable ledger (here garbage, then a directory) is set aside as
 * ledger.json.corrupt.N and the proxy is reset wholesale before the
 * machine is idle; a refused reset is retried. */
static void
unreadable_ledger(int as_dir, const char *aside)
{
	struct fault_backend be = { fake_apply, fake_undo, fake_restart,
		NULL, fake_reset, NULL };
	char err[256], path[128];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof path, "%s/ledger.json", dir);
	if (as_dir)
		ck_assert_int_eq(mkdir(path, 0755), 0);
	else {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs("{\"faults\":[{\"kind\":\"\x01\xff", f);
		fclose(f);
	}
	px.resets = 0;
	px.fail_reset = 1;
	ck_assert_int_eq(faults_open(&faults, dir, &be, NULL, err,
	    sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(faults.notice, "ledger unreadable"));
	ck_assert_ptr_nonnull(strstr(faults.notice, aside));
	/* It goes into JSON: printable, whatever the file held. */
	for (const char *c = faults.notice; *c; c++)
		ck_assert(*c >= 0x20 && *c < 0x7f);
	ck_assert_int_eq(lstat(path, &st), -1);
	snprintf(path, sizeof path, "%s/%s", dir, aside);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(S_ISDIR(st.st_mode), as_dir);
	ck_assert_uint_eq(faults_pending(&faults), 1);
	runner_init(&rn, &fake_clock, &faults, &observer);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	ck_assert_int_eq(runner_cleanup(&rn), -1);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	/* The next process (reliabd's --cleanup, then the worker) reads
	 * the notice and the reset still owed from ledger.notice. */
	runner_free(&rn);
	ck_assert_int_eq(faults_open(&faults, dir, &be, NULL, err,
	    sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(faults.notice, aside));
	ck_assert_uint_eq(faults_pending(&faults), 1);
	runner_init(&rn, &fake_clock, &faults, &observer);
	ck_assert_int_eq(rn.state, RUNNER_CLEANING);
	px.fail_reset = 0;
	advance(RUNNER_CLEANUP_RETRY_MS);
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	ck_assert_int_eq(px.resets, 1);
	ck_assert_ptr_nonnull(strstr(faults.notice, "toxics reset"));
	runner_free(&rn);
	/* Done: a later process still says what happened, owes nothing. */
	ck_assert_int_eq(faults_open(&faults, dir, &be, NULL, err,
	    sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(faults.notice, "toxics reset"));
	ck_assert_uint_eq(faults_pending(&faults), 0);
	/* A job starting forgets it. */
	faults_clear_notice(&faults);
	ck_assert_str_eq(faults.notice, "");
	snprintf(path, sizeof path, "%s/ledger.notice", dir);
	ck_assert_int_eq(lstat(path, &st), -1);
}

START_TEST(test_ledger_unreadable)
{
	char path[128];

	lab_up();
	runner_free(&rn);
	unreadable_ledger(0, "ledger.json.corrupt.1");
	unreadable_ledger(1, "ledger.json.corrupt.2");
	snprintf(path, sizeof path, "%s/ledger.json.corrupt.1", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/ledger.json.corrupt.2", dir);
	rmdir(path);
	rmdir(dir);
	/* A readable (here missing) ledger is not set aside: no reset. */
	lab_up();
	ck_assert_str_eq(faults.notice, "");
	ck_assert_int_eq(px.resets, 0);
	lab_down();
}
END_TEST

START_TEST(test_node_restart)
{
	static const char *const doc =
	    "{\"name\":\"nr\",\"phases\":{\"stabilization\":\"1s\","
	    "\"testing\":\"800ms\",\"recovery\":\"1s\"},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"node_restart\"}]}";

	lab_up();
	start(doc, 1);
	advance(1000);
	ck_assert_int_eq(px.restarts, 1);
	/* Asked of reliabd, not of the proxy: no ledger entry. */
	ck_assert_uint_eq(faults_pending(&faults), 0);
	advance(800);
	advance(1000);
	ck_assert_str_eq(px.log, "n");
	ck_assert_int_eq(rn.state, RUNNER_IDLE);
	lab_down();
}
END_TEST

START_TEST(test_flap_machine)
{
	struct flap f;

	flap_start(&f, 0, 0, 100);
	ck_assert_int_eq(f.state, FLAP_STEADY);
	ck_assert_int_eq(flap_wait(&f, 100), -1);
	ck_assert_int_eq(flap_due(&f, 10000, 20000), FLAP_NOTHING);
	flap_start(&f, 300, 200, 100);
	ck_assert_int_eq(flap_wait(&f, 100), 300);
	ck_assert_int_eq(flap_due(&f, 399, 2000), FLAP_NOTHING);
	ck_assert_int_eq(flap_due(&f, 400, 2000), FLAP_REMOVE);
	ck_assert_int_eq(flap_wait(&f, 400), 200);
	ck_assert_int_eq(flap_due(&f, 600, 2000), FLAP_APPLY);
	ck_assert_int_eq(f.state, FLAP_ON);
	/* None at or after the end of testing. */
	ck_assert_int_eq(flap_due(&f, 2000, 2000), FLAP_NOTHING);
	flap_stop(&f);
	ck_assert_int_eq(f.state, FLAP_STEADY);
}
END_TEST

/* ---- several clients: judged apart, one record, the journal ---- */

/* A clean sample of client `client` now: `ops` done, none failed. */
static void
feed(size_t client, double ops)
{
	struct lg_sample *s = malloc(sizeof *s);

	ck_assert_ptr_nonnull(s);
	sample_init(s);
	s->mono_ms = fake_mono;
	s->wall = fake_wall;
	s->ops_total = ops;
	s->have_status = 1;     /* its failed calls are counted: none */
	s->ops_rate = 100;
	s->have_error_rate = 1;
	runner_samples(&rn, client, s, 1);
	free(s);
}

static int
collect(json_t *run, void *arg)
{
	json_array_append_new(arg, run);
	return 0;
}

/* The journal's records (the reader reliabd runs), old line first. */
static json_t *
journal_read(const char *old)
{
	char path[64], buf[1 << 16];
	struct journal_scan js;
	json_t *runs = json_array();
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/" JOURNAL_FILE, dir);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	journal_scan_init(&js, collect, runs);
	ck_assert_int_eq(journal_scan_feed(&js, old, strlen(old)), 0);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		ck_assert_int_eq(journal_scan_feed(&js, buf, n), 0);
	ck_assert_int_eq(journal_scan_end(&js), 0);
	journal_scan_free(&js);
	fclose(f);
	unlink(path);
	ck_assert_uint_eq(js.dmg.bad_lines, 0);
	return runs;
}

START_TEST(test_clients_record)
{
	static const char *const names[] = { "a", "b" };
	static const char *const doc =
	    "{\"name\":\"two\",\"phases\":{\"stabilization\":\"1s\","
	    "\"testing\":\"1s\",\"recovery\":\"1s\"},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\",\"attributes\":{\"latency\":100}}],"
	    "\"expect\":{\"baseline_error_rate_max\":0.01}}";
	/* A record from before several clients: no "clients", no
	 * "compare"; the reader reads it as any run. */
	static const char *const old =
	    "{\"id\":\"old-1\",\"scenario\":\"two\",\"status\":"
	    "\"success\",\"reason\":\"\",\"checks\":[],\"figures\":{}}\n";

	lab_up();
	runner_set_clients(&rn, names, 2);
	for (start_compare = 0; start_compare < 2; start_compare++) {
		json_t *runs, *rec, *a, *b;

		/* Only a is sampled: b's checks cannot be judged. */
		start(doc, 1);
		for (int t = 0; t < 40 && rn.run; t++) {
			feed(0, t * 10.0);
			advance(100);
		}
		ck_assert_ptr_null(rn.run);
		ck_assert_ptr_nonnull(seen_record);
		ck_assert_int_eq(journal_append(dir, seen_record), 0);
		runs = journal_read(old);
		ck_assert_uint_eq(json_array_size(runs), 2);
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(runs, 0), "id")), "old-1");
		rec = json_array_get(runs, 1);
		a = json_array_get(json_object_get(rec, "clients"), 0);
		b = json_array_get(json_object_get(rec, "clients"), 1);
		ck_assert_uint_eq(json_array_size(json_object_get(rec,
		    "clients")), 2);
		ck_assert_str_eq(json_string_value(json_object_get(a, "name")),
		    "a");
		ck_assert_str_eq(json_string_value(json_object_get(b, "name")),
		    "b");
		/* Each its own figures and verdict. */
		ck_assert_int_gt(json_integer_value(json_object_get(
		    json_object_get(a, "figures"), "samples")), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(
		    json_object_get(b, "figures"), "samples")), 0);
		ck_assert_str_eq(json_string_value(json_object_get(a,
		    "status")), "success");
		ck_assert_str_eq(json_string_value(json_object_get(b,
		    "status")), "failed");
		ck_assert_ptr_nonnull(strstr(json_string_value(
		    json_object_get(b, "reason")), "no samples"));
		ck_assert_uint_eq(json_array_size(json_object_get(a,
		    "checks")), 1);
		/* The top level is a's, as a one-client record has it. */
		ck_assert(json_equal(json_object_get(rec, "checks"),
		    json_object_get(a, "checks")));
		ck_assert(json_equal(json_object_get(rec, "figures"),
		    json_object_get(a, "figures")));
		ck_assert(json_equal(json_object_get(rec, "phases"),
		    json_object_get(a, "phases")));
		ck_assert(json_is_boolean(json_object_get(rec, "compare")));
		ck_assert_int_eq(json_is_true(json_object_get(rec, "compare")),
		    start_compare);
		/* b failed: the run failed, naming b; compared, the run
		 * completed and succeeded. */
		if (!start_compare) {
			ck_assert_int_eq(seen.last, RUN_FAILED);
			ck_assert_str_eq(json_string_value(json_object_get(rec,
			    "status")), "failed");
			ck_assert(strncmp(json_string_value(json_object_get(
			    rec, "reason")), "b: ", 3) == 0);
		} else {
			ck_assert_int_eq(seen.last, RUN_SUCCESS);
			ck_assert_str_eq(json_string_value(json_object_get(rec,
			    "reason")), "compared: a success, b failed");
		}
		json_decref(runs);
	}
	start_compare = 0;
	json_decref(seen_record);
	seen_record = NULL;
	runner_set_clients(&rn, NULL, 0);
	lab_down();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scenario_runner");
	TCase *tc = tcase_create("runner");
	SRunner *sr;
	int failed;

	log_init("test_scenario_runner", LOG_LVL_ERROR);
	tcase_add_test(tc, test_texts);
	tcase_add_test(tc, test_whole_run);
	tcase_add_test(tc, test_loop);
	tcase_add_loop_test(tc, test_stop_in_each_phase, 0, 3);
	tcase_add_test(tc, test_flapping);
	tcase_add_test(tc, test_stop_while_flapped_off);
	tcase_add_test(tc, test_cleaning);
	tcase_add_test(tc, test_start_while_cleaning);
	tcase_add_test(tc, test_ledger_at_start);
	tcase_add_test(tc, test_ledger_unreadable);
	tcase_add_test(tc, test_node_restart);
	tcase_add_test(tc, test_flap_machine);
	tcase_add_test(tc, test_clients_record);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
