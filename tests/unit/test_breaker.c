/* daemon/loadgen/breaker.c driven by a fake clock through every
 * transition: closed->open by consecutive failures and by failure ratio,
 * open->half_open after the timeout, half_open->closed after the probes
 * succeed, half_open->open on a probe failure, window reset on interval. */
#include <check.h>
#include <stdlib.h>

#include "breaker.h"
#include "log.h"

static uint64_t fake_now;
static unsigned ntrans;
static enum breaker_state last_from, last_to;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void
on_trans(void *arg, enum breaker_state from, enum breaker_state to)
{
	(void)arg;
	ntrans++;
	last_from = from;
	last_to = to;
}

static struct breaker_settings
settings(void)
{
	struct breaker_settings s = {
		.consecutive_failures = 3,
		.failure_ratio = 0,
		.min_requests = 0,
		.open_timeout_ms = 1000,
		.half_open_probes = 2,
		.interval_ms = 0,
	};
	return s;
}

static void
setup_breaker(struct breaker *b, const struct breaker_settings *s)
{
	fake_now = 100000;
	ntrans = 0;
	ck_assert_int_eq(breaker_init(b, s, fake_clock, NULL), 0);
	breaker_set_callback(b, on_trans, NULL);
}

static void
call(struct breaker *b, bool success)
{
	struct breaker_ticket t;

	ck_assert(breaker_allow(b, &t));
	breaker_done(b, &t, success);
}

START_TEST(consecutive_failures_open)
{
	struct breaker_settings s = settings();
	struct breaker b;

	setup_breaker(&b, &s);
	call(&b, false);
	call(&b, false);
	call(&b, true); /* a success (or a miss) breaks the run */
	call(&b, false);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_CLOSED);
	ck_assert_uint_eq(ntrans, 0);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	ck_assert_uint_eq(ntrans, 1);
	ck_assert_int_eq(last_from, BREAKER_CLOSED);
	ck_assert_int_eq(last_to, BREAKER_OPEN);
	/* Open fails fast. */
	struct breaker_ticket t;
	ck_assert(!breaker_allow(&b, &t));
	breaker_destroy(&b);
}
END_TEST

START_TEST(ratio_open_needs_min_requests)
{
	struct breaker_settings s = settings();
	struct breaker b;

	s.consecutive_failures = 0;
	s.failure_ratio = 0.5;
	s.min_requests = 10;
	setup_breaker(&b, &s);
	/* Alternate: 50 % failures but never two in a row. */
	for (int i = 0; i < 9; i++)
		call(&b, i % 2 == 0); /* 5 successes, 4 failures */
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_CLOSED);
	call(&b, false);          /* 10 requests, 5 failures: 0.5 */
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	ck_assert_int_eq(last_from, BREAKER_CLOSED);
	breaker_destroy(&b);
}
END_TEST

START_TEST(ratio_below_threshold_stays_closed)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_counts c;

	s.consecutive_failures = 0;
	s.failure_ratio = 0.5;
	s.min_requests = 10;
	setup_breaker(&b, &s);
	for (int i = 0; i < 30; i++)
		call(&b, i % 3 != 0); /* a third fail */
	ck_assert_int_eq(breaker_state(&b, &c), BREAKER_CLOSED);
	ck_assert_uint_eq(c.requests, 30);
	ck_assert_uint_eq(c.failures, 10);
	breaker_destroy(&b);
}
END_TEST

START_TEST(open_to_half_open_after_timeout)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t;

	setup_breaker(&b, &s);
	for (int i = 0; i < 3; i++)
		call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	fake_now += 999;
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	ck_assert(!breaker_allow(&b, &t));
	fake_now += 1;
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_HALF_OPEN);
	ck_assert_int_eq(last_from, BREAKER_OPEN);
	ck_assert_int_eq(last_to, BREAKER_HALF_OPEN);
	breaker_destroy(&b);
}
END_TEST

START_TEST(half_open_probes_close)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t1, t2, t3;

	setup_breaker(&b, &s);
	for (int i = 0; i < 3; i++)
		call(&b, false);
	fake_now += 1000;
	/* Exactly half_open_probes calls pass; the rest fail fast. */
	ck_assert(breaker_allow(&b, &t1));
	ck_assert(breaker_allow(&b, &t2));
	ck_assert(!breaker_allow(&b, &t3));
	breaker_done(&b, &t1, true);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_HALF_OPEN);
	breaker_done(&b, &t2, true);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_CLOSED);
	ck_assert_int_eq(last_from, BREAKER_HALF_OPEN);
	ck_assert_int_eq(last_to, BREAKER_CLOSED);
	ck_assert_uint_eq(ntrans, 3);
	/* Closed again, with fresh counts. */
	call(&b, false);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_CLOSED);
	breaker_destroy(&b);
}
END_TEST

START_TEST(half_open_failure_reopens)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t1, t2;

	setup_breaker(&b, &s);
	for (int i = 0; i < 3; i++)
		call(&b, false);
	fake_now += 1000;
	ck_assert(breaker_allow(&b, &t1));
	ck_assert(breaker_allow(&b, &t2));
	breaker_done(&b, &t1, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	ck_assert_int_eq(last_from, BREAKER_HALF_OPEN);
	ck_assert_int_eq(last_to, BREAKER_OPEN);
	/* The late probe's result belongs to an older generation. */
	breaker_done(&b, &t2, true);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	/* And the open timeout starts again from the reopening. */
	fake_now += 999;
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	fake_now += 1;
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_HALF_OPEN);
	breaker_destroy(&b);
}
END_TEST

START_TEST(interval_resets_counts)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_counts c;

	s.interval_ms = 500;
	setup_breaker(&b, &s);
	call(&b, false);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, &c), BREAKER_CLOSED);
	ck_assert_uint_eq(c.consecutive_failures, 2);
	ck_assert_uint_eq(c.requests, 2);
	fake_now += 500;
	ck_assert_int_eq(breaker_state(&b, &c), BREAKER_CLOSED);
	ck_assert_uint_eq(c.requests, 0);
	ck_assert_uint_eq(c.failures, 0);
	ck_assert_uint_eq(c.consecutive_failures, 0);
	/* Two more failures do not trip: the earlier two were forgotten. */
	call(&b, false);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_CLOSED);
	call(&b, false);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	breaker_destroy(&b);
}
END_TEST

START_TEST(no_interval_never_resets)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_counts c;

	setup_breaker(&b, &s);
	call(&b, false);
	call(&b, false);
	fake_now += 3600 * 1000;
	ck_assert_int_eq(breaker_state(&b, &c), BREAKER_CLOSED);
	ck_assert_uint_eq(c.consecutive_failures, 2);
	breaker_destroy(&b);
}
END_TEST

START_TEST(cancel_gives_back_probe)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t1, t2, t3;

	setup_breaker(&b, &s);
	for (int i = 0; i < 3; i++)
		call(&b, false);
	fake_now += 1000;
	ck_assert(breaker_allow(&b, &t1));
	ck_assert(breaker_allow(&b, &t2));
	ck_assert(!breaker_allow(&b, &t3));
	/* A probe that never reached the server frees its place. */
	breaker_cancel(&b, &t1);
	ck_assert(breaker_allow(&b, &t3));
	breaker_destroy(&b);
}
END_TEST

START_TEST(done_many)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t[4];
	bool ok[4] = { true, false, false, false };

	setup_breaker(&b, &s);
	for (int i = 0; i < 4; i++)
		ck_assert(breaker_allow(&b, &t[i]));
	/* One lock for a batch: the three failures in a row trip it. */
	breaker_done_many(&b, t, ok, 4);
	ck_assert_int_eq(breaker_state(&b, NULL), BREAKER_OPEN);
	ck_assert_uint_eq(ntrans, 1);
	breaker_destroy(&b);
}
END_TEST

START_TEST(done_many_stale_generation)
{
	struct breaker_settings s = settings();
	struct breaker b;
	struct breaker_ticket t[3];
	bool ok[3] = { false, false, false };
	struct breaker_counts c;

	s.interval_ms = 100;
	setup_breaker(&b, &s);
	for (int i = 0; i < 3; i++)
		ck_assert(breaker_allow(&b, &t[i]));
	/* The window ended meanwhile: the old calls count for nothing. */
	fake_now += 100;
	breaker_done_many(&b, t, ok, 3);
	ck_assert_int_eq(breaker_state(&b, &c), BREAKER_CLOSED);
	ck_assert_uint_eq(c.failures, 0);
	breaker_destroy(&b);
}
END_TEST

START_TEST(state_text)
{
	ck_assert_str_eq(breaker_state_text(BREAKER_CLOSED), "closed");
	ck_assert_str_eq(breaker_state_text(BREAKER_HALF_OPEN), "half_open");
	ck_assert_str_eq(breaker_state_text(BREAKER_OPEN), "open");
}
END_TEST

START_TEST(bad_settings)
{
	struct breaker_settings s = settings();
	struct breaker b;

	s.half_open_probes = 0;
	ck_assert_int_eq(breaker_init(&b, &s, fake_clock, NULL), -1);
	s = settings();
	s.failure_ratio = 1.5;
	ck_assert_int_eq(breaker_init(&b, &s, fake_clock, NULL), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("breaker");
	TCase *tc = tcase_create("transitions");
	SRunner *sr;
	int failed;

	log_init("test_breaker", LOG_LVL_ERROR);
	tcase_add_test(tc, consecutive_failures_open);
	tcase_add_test(tc, ratio_open_needs_min_requests);
	tcase_add_test(tc, ratio_below_threshold_stays_closed);
	tcase_add_test(tc, open_to_half_open_after_timeout);
	tcase_add_test(tc, half_open_probes_close);
	tcase_add_test(tc, half_open_failure_reopens);
	tcase_add_test(tc, interval_resets_counts);
	tcase_add_test(tc, no_interval_never_resets);
	tcase_add_test(tc, cancel_gives_back_probe);
	tcase_add_test(tc, done_many);
	tcase_add_test(tc, done_many_stale_generation);
	tcase_add_test(tc, state_text);
	tcase_add_test(tc, bad_settings);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
