/* The restart back-off policy. */
#include <check.h>
#include <stdlib.h>

#include "backoff.h"

START_TEST(doubling_then_fatal)
{
	struct backoff_policy p;
	unsigned failures = 0;
	uint64_t delay = 0;
	static const uint64_t want[] = { 500, 1000, 2000, 4000, 8000 };

	backoff_default(&p);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(backoff_next(&p, 100, &failures, &delay),
		    BACKOFF_RESTART);
		ck_assert_uint_eq(delay, want[i]);
	}
	ck_assert_int_eq(backoff_next(&p, 100, &failures, &delay),
	    BACKOFF_FATAL);
	ck_assert_str_eq(backoff_verdict_text(BACKOFF_FATAL), "fatal");
}
END_TEST

START_TEST(stable_run_resets)
{
	struct backoff_policy p;
	unsigned failures = 0;
	uint64_t delay;

	backoff_default(&p);
	for (int i = 0; i < 4; i++)
		backoff_next(&p, 10, &failures, &delay);
	ck_assert_uint_eq(delay, 4000);
	/* It stayed up long enough: healthy again, back to the first delay. */
	ck_assert_int_eq(backoff_next(&p, p.stable_ms, &failures, &delay),
	    BACKOFF_RESTART);
	ck_assert_uint_eq(delay, 500);
	ck_assert_uint_eq(failures, 1);
}
END_TEST

START_TEST(capped)
{
	struct backoff_policy p = { .base_ms = 1000, .max_ms = 5000,
		.stable_ms = 60000, .max_failures = 50 };
	unsigned failures = 0;
	uint64_t delay;

	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(backoff_next(&p, 0, &failures, &delay),
		    BACKOFF_RESTART);
		ck_assert_uint_le(delay, 5000);
	}
	ck_assert_uint_eq(delay, 5000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("policy");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, doubling_then_fatal);
	tcase_add_test(tc, stable_run_resets);
	tcase_add_test(tc, capped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
