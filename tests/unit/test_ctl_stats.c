/* ctl/stats.c: the median, quartiles and range of a history, unknown
 * values left out, and where a latest run falls against it. */
#include <check.h>
#include <math.h>

#include "stats.h"

#define EPS 1e-9

START_TEST(quartiles)
{
	/* Sorted 1..9: type-7 quartiles are 3 and 7, the median 5. */
	const double v[] = { 9, 1, 8, 2, 7, 3, 6, 4, 5 };
	struct hist_stats s;

	ck_assert_int_eq(hist_stats(v, 9, &s), 0);
	ck_assert_uint_eq(s.n, 9);
	ck_assert_double_eq_tol(s.min, 1, EPS);
	ck_assert_double_eq_tol(s.q1, 3, EPS);
	ck_assert_double_eq_tol(s.median, 5, EPS);
	ck_assert_double_eq_tol(s.q3, 7, EPS);
	ck_assert_double_eq_tol(s.max, 9, EPS);
}
END_TEST

START_TEST(interpolated)
{
	/* An even count: the median between the middle two; quartiles
	 * interpolated (1, 2, 3, 4: q1 = 1.75, q3 = 3.25). */
	const double v[] = { 4, 2, 3, 1 };
	struct hist_stats s;

	ck_assert_int_eq(hist_stats(v, 4, &s), 0);
	ck_assert_double_eq_tol(s.median, 2.5, EPS);
	ck_assert_double_eq_tol(s.q1, 1.75, EPS);
	ck_assert_double_eq_tol(s.q3, 3.25, EPS);
}
END_TEST

START_TEST(unknown_left_out)
{
	const double v[] = { NAN, 2, NAN, 4, INFINITY };
	const double none[] = { NAN, NAN };
	struct hist_stats s;

	ck_assert_int_eq(hist_stats(v, 5, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_double_eq_tol(s.median, 3, EPS);
	ck_assert_int_eq(hist_stats(none, 2, &s), -1);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(hist_stats(v, 0, &s), -1);
	ck_assert_int_eq(hist_place(&s, 1), HIST_UNKNOWN);
}
END_TEST

START_TEST(place)
{
	/* Recovery times of 11 runs, about 5 s. */
	const double v[] = { 5.1, 4.8, 5.3, 5.0, 4.9, 5.2, 5.4, 4.7, 5.0,
		5.1, 5.2 };
	struct hist_stats s;
	double lo, hi;

	ck_assert_int_eq(hist_stats(v, 11, &s), 0);
	hist_fences(&s, &lo, &hi);
	ck_assert_double_eq_tol(s.q1, 4.95, EPS);
	ck_assert_double_eq_tol(s.q3, 5.2, EPS);
	/* 1.5 IQR = 0.375, over the 10 % of the median (0.51). */
	ck_assert_double_eq_tol(hi, 5.2 + 0.51, EPS);
	ck_assert_double_eq_tol(lo, 4.95 - 0.51, EPS);
	ck_assert_int_eq(hist_place(&s, 5.0), HIST_INSIDE);
	ck_assert_int_eq(hist_place(&s, 5.7), HIST_INSIDE);
	ck_assert_int_eq(hist_place(&s, 25.3), HIST_ABOVE);
	ck_assert_int_eq(hist_place(&s, 4.0), HIST_BELOW);
	ck_assert_int_eq(hist_place(&s, NAN), HIST_UNKNOWN);
	ck_assert_str_eq(hist_place_text(HIST_ABOVE), "above");
}
END_TEST

START_TEST(wide_spread)
{
	/* A wide IQR sets the fences, not the median's margin. */
	const double v[] = { 1, 2, 3, 10, 11, 12, 20, 21, 22 };
	struct hist_stats s;
	double lo, hi;

	ck_assert_int_eq(hist_stats(v, 9, &s), 0);
	hist_fences(&s, &lo, &hi);
	ck_assert_double_eq_tol(hi, 20 + 1.5 * 17, EPS);
	ck_assert_int_eq(hist_place(&s, 45), HIST_INSIDE);
	ck_assert_int_eq(hist_place(&s, 46), HIST_ABOVE);
}
END_TEST

START_TEST(too_short)
{
	/* Under HIST_MIN_RUNS earlier runs: nothing is judged. */
	const double v[] = { 5, 5, 5, 5 };
	struct hist_stats s;

	ck_assert_int_eq(hist_stats(v, 4, &s), 0);
	ck_assert_int_eq(hist_place(&s, 100), HIST_UNKNOWN);
	ck_assert_int_eq(hist_stats(v, 4, &s), 0);
	s.n = HIST_MIN_RUNS;
	ck_assert_int_eq(hist_place(&s, 100), HIST_ABOVE);
	/* An IQR of 0: the median's 10 % margin alone. */
	ck_assert_int_eq(hist_place(&s, 5.4), HIST_INSIDE);
	ck_assert_int_eq(hist_place(&s, 5.6), HIST_ABOVE);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ctl_stats");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, quartiles);
	tcase_add_test(tc, interpolated);
	tcase_add_test(tc, unknown_left_out);
	tcase_add_test(tc, place);
	tcase_add_test(tc, wide_spread);
	tcase_add_test(tc, too_short);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
