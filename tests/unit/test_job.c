/* job.c: the scenario job reliabd forwarded, and a run its dead worker
 * could not journal. The worker's events, its replies and its death are
 * fed in by hand; cmd_forward_start and the watchers are captured. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reliabd.h"

static struct reliabd d;
static struct child c;
static json_t *events;   /* what watchers were sent */
static json_t *sent;     /* the args of the last start-scenario sent */
static int refuse;       /* cmd_forward_start answers an error now */
static char dir[64];

json_t *
cmd_forward_start(struct cmd_ctx *ctx, const json_t *args)
{
	json_decref(sent);
	sent = json_deep_copy(args);
	if (refuse)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "the scenario worker is starting");
	return NULL;
}

static void
capture(struct reliabd *dd, const json_t *ev)
{
	(void)dd;
	json_array_append_new(events, json_deep_copy(ev));
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_job.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s", dir);
	d.state = DAEMON_RUNNING;
	d.broadcast = capture;
	c.d = &d;
	c.kind = KIND_SCENARIO;
	c.state = CHILD_BACKOFF;
	c.want_up = 1;
	c.last_status = 9; /* as waitpid says "killed by signal 9" */
	events = json_array();
	sent = NULL;
	refuse = 0;
}

static void
teardown(void)
{
	char path[128];

	job_free(&d);
	json_decref(events);
	json_decref(sent);
	json_decref(c.last_phase);
	c.last_phase = NULL;
	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	unlink(path);
	rmdir(dir);
}

/* The worker took the job `args` as `batch`. */
static void
took(const char *args, const char *batch)
{
	struct proto_msg m = { .kind = PROTO_MSG_REPLY, .ok = 1 };
	json_t *a = json_loads(args, 0, NULL);

	ck_assert_ptr_nonnull(a);
	m.result = json_pack("{s:s}", "run", batch);
	job_forwarded(&c, "start-scenario", a, &m);
	json_decref(m.result);
	json_decref(a);
}

static void
phase(const char *run, const char *name, double started, int ms, int loop)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i, s:i}", "event",
	    "phase", "run", run, "scenario", "quick", "phase", name,
	    "started", started, "duration_ms", ms, "loop", loop);

	job_event(&d, "phase", ev);
	json_decref(ev);
}

/* Runs 1..n of batch B started; each but the last journaled by the
 * worker. */
static void
runs_started(const char *batch, int n, int per_pass)
{
	char id[64];

	for (int i = 1; i <= n; i++) {
		json_t *ev;

		snprintf(id, sizeof(id), "%s-%d", batch, i);
		phase(id, "stabilization", 100 + i, 1000,
		    (i - 1) / per_pass + 1);
		if (i == n)
			break;
		ev = json_pack("{s:s, s:s, s:s}", "id", id, "batch", batch,
		    "status", "success");
		job_event(&d, "run", ev);
		json_decref(ev);
	}
}

static json_t *
journal(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/journal.jsonl", dir);
	return json_load_file(path, JSON_DISABLE_EOF_CHECK, NULL);
}

START_TEST(killed_run_journaled_and_job_resent)
{
	json_t *rec, *fault, *ev, *st;

	took("{\"names\":[\"quick\"],\"forever\":true,\"testing\":\"3s\","
	     "\"wait\":true}", "B");
	phase("B-1", "stabilization", 100.0, 1000, 1);
	phase("B-1", "testing", 101.0, 3000, 1);
	fault = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "action", "apply",
	    "run", "B-1", "server", "memcache1", "type", "latency", "toxic",
	    "t1", "toxicity", 1.0);
	job_event(&d, "fault", fault);
	json_decref(fault);
	c.last_phase = json_pack("{s:s}", "phase", "testing");

	job_worker_died(&d, &c);
	ck_assert_ptr_null(c.last_phase);
	rec = journal();
	ck_assert_ptr_nonnull(rec);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "id")), "B-1");
	ck_assert_str_eq(json_string_value(json_object_get(rec, "batch")), "B");
	ck_assert_str_eq(json_string_value(json_object_get(rec, "status")),
	    "aborted");
	ck_assert_str_eq(json_string_value(json_object_get(rec, "reason")),
	    "scenario worker died (signal 9)");
	ck_assert(json_real_value(json_object_get(json_object_get(
	    json_object_get(rec, "phases"), "stabilization"), "end")) == 101.0);
	ck_assert(json_is_null(json_object_get(json_object_get(
	    json_object_get(rec, "phases"), "recovery"), "start")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(rec, "faults"), 0), "applied_count")), 1);
	json_decref(rec);

	/* Watchers: the run, then the job's end (what --wait ends on). */
	ck_assert_uint_eq(json_array_size(events), 2);
	ev = json_array_get(events, 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "run");
	ev = json_array_get(events, 1);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")),
	    "done");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "run")), "B");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "status")),
	    "aborted");

	ck_assert_int_eq(d.job.state, JOB_RESUMING);
	st = job_status_json(&d);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(st,
	    "why")), "goes on"));
	json_decref(st);
	ck_assert_int_eq(job_worker_ready(&d), 1);
	ck_assert_int_eq(d.job.state, JOB_RESENT);
	/* The same job, its overrides kept, without reliabctl's "wait". */
	ck_assert(json_is_true(json_object_get(sent, "forever")));
	ck_assert_str_eq(json_string_value(json_object_get(sent, "testing")),
	    "3s");
	ck_assert_ptr_null(json_object_get(sent, "wait"));
	took("{\"names\":[\"quick\"],\"forever\":true}", "C");
	ck_assert_int_eq(d.job.state, JOB_RUNNING);
	ck_assert_str_eq(d.job.batch, "C");
}
END_TEST

START_TEST(a_run_the_worker_journaled_is_not_recorded_again)
{
	json_t *ev;

	took("{\"names\":[\"quick\"]}", "B");
	phase("B-1", "stabilization", 100.0, 1000, 1);
	ev = json_pack("{s:s, s:s, s:s}", "id", "B-1", "batch", "B", "status",
	    "aborted");
	job_event(&d, "run", ev);
	json_decref(ev);
	ev = json_pack("{s:s, s:s}", "run", "B", "status", "aborted");
	job_event(&d, "done", ev);
	json_decref(ev);
	job_worker_died(&d, &c);
	ck_assert_ptr_null(journal());
	ck_assert_uint_eq(json_array_size(events), 0);
	ck_assert_int_eq(d.job.state, JOB_NONE);
	ck_assert_int_eq(job_worker_ready(&d), 0);
}
END_TEST

/* names [a,b,c] x2, killed in run k: what is sent again. */
static json_t *
loop_left(int k)
{
	took("{\"names\":[\"a\",\"b\",\"c\"],\"loop\":2}", "B");
	runs_started("B", k, 3);
	job_worker_died(&d, &c);
	if (!job_worker_ready(&d))
		return NULL;
	return json_incref(sent);
}

START_TEST(loop_goes_on_with_what_is_left)
{
	json_t *a;
	char *s;

	a = loop_left(5); /* b of pass 2: c is left */
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(s, "{\"loop\":1,\"names\":[\"c\"]}");
	free(s);
	json_decref(a);
}
END_TEST

START_TEST(loop_after_a_whole_pass)
{
	json_t *a = loop_left(3); /* c of pass 1: one whole pass left */
	char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);

	ck_assert_str_eq(s, "{\"loop\":1,\"names\":[\"a\",\"b\",\"c\"]}");
	free(s);
	json_decref(a);
}
END_TEST

START_TEST(loop_killed_in_its_last_run_ends)
{
	ck_assert_ptr_null(loop_left(6));
	ck_assert_int_eq(d.job.state, JOB_NONE);
	/* Its watchers still learn it ended. */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    events, 1), "event")), "done");
}
END_TEST

START_TEST(forever_goes_on_after_the_killed_one)
{
	char *s;

	took("{\"names\":[\"a\",\"b\",\"c\"],\"forever\":true}", "B");
	runs_started("B", 2, 3);
	job_worker_died(&d, &c);
	ck_assert_int_eq(job_worker_ready(&d), 1);
	s = json_dumps(sent, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(s,
	    "{\"forever\":true,\"names\":[\"c\",\"a\",\"b\"]}");
	free(s);
}
END_TEST

START_TEST(fatal_worker_status_says_why)
{
	json_t *st;

	took("{\"names\":[\"a\"],\"forever\":true}", "B");
	runs_started("B", 1, 1);
	c.state = CHILD_FATAL;
	job_worker_died(&d, &c);
	ck_assert_int_eq(d.job.state, JOB_LOST);
	st = job_status_json(&d);
	ck_assert_str_eq(json_string_value(json_object_get(st, "state")),
	    "lost");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(st,
	    "why")), "fatal"));
	json_decref(st);
	ck_assert_int_eq(job_worker_ready(&d), 0);
}
END_TEST

START_TEST(refused_resend_is_lost)
{
	took("{\"names\":[\"a\"],\"forever\":true}", "B");
	job_worker_died(&d, &c); /* before any run: sent again whole */
	ck_assert_ptr_null(journal());
	refuse = 1;
	ck_assert_int_eq(job_worker_ready(&d), 1);
	ck_assert_int_eq(d.job.state, JOB_LOST);
	ck_assert_ptr_nonnull(strstr(d.job.why, "starting"));
}
END_TEST

START_TEST(stop_drops_a_job_waiting_for_its_worker)
{
	took("{\"names\":[\"a\"],\"forever\":true}", "B");
	runs_started("B", 1, 1);
	job_worker_died(&d, &c);
	ck_assert_int_eq(d.job.state, JOB_RESUMING);
	job_stop(&d);
	ck_assert_int_eq(d.job.state, JOB_NONE);
	ck_assert_int_eq(job_worker_ready(&d), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("job");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, killed_run_journaled_and_job_resent);
	tcase_add_test(tc, a_run_the_worker_journaled_is_not_recorded_again);
	tcase_add_test(tc, loop_goes_on_with_what_is_left);
	tcase_add_test(tc, loop_after_a_whole_pass);
	tcase_add_test(tc, loop_killed_in_its_last_run_ends);
	tcase_add_test(tc, forever_goes_on_after_the_killed_one);
	tcase_add_test(tc, fatal_worker_status_says_why);
	tcase_add_test(tc, refused_resend_is_lost);
	tcase_add_test(tc, stop_drops_a_job_waiting_for_its_worker);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
