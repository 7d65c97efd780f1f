/* lib/suggest.c: distances, the close matches and their order, and
 * bounds on hostile input. */
#include <check.h>
#include <string.h>

#include "suggest.h"

START_TEST(distance)
{
	ck_assert_uint_eq(suggest_distance("status", "status"), 0);
	ck_assert_uint_eq(suggest_distance("stauts", "status"), 1); /* swap */
	ck_assert_uint_eq(suggest_distance("statu", "status"), 1);
	ck_assert_uint_eq(suggest_distance("statuss", "status"), 1);
	ck_assert_uint_eq(suggest_distance("ststus", "status"), 1);
	ck_assert_uint_eq(suggest_distance("", "abc"), 3);
	ck_assert_uint_eq(suggest_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(suggest_distance("a", "zzzzzzzzzzzzzzzzzz"),
	    SUGGEST_FAR);
}
END_TEST

START_TEST(close_matches)
{
	static const char *const cmds[] = { "status", "stop", "start-scenario",
		"show", "runs", "reload", "watch", "list" };
	static const char *const scen[] = { "latency-1s", "latency-100ms",
		"loss-5", "loss-50", "partition", "reset-peer" };
	const char *out[4];
	char buf[200];
	size_t n;

	n = suggest("stauts", cmds, 8, out, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0], "status");
	n = suggest("sho", cmds, 8, out, 4);
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(out[0], "show");
	/* Closest first. */
	n = suggest("latency-1", scen, 6, out, 4);
	ck_assert_uint_ge(n, 2);
	ck_assert_str_eq(out[0], "latency-1s");
	ck_assert_str_eq(out[1], "latency-100ms");
	n = suggest("los-5", scen, 6, out, 4);
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(out[0], "loss-5");
	ck_assert_str_eq(suggest_join(out, n, buf, sizeof(buf)),
	    n == 1 ? "\"loss-5\"" : "\"loss-5\" or \"loss-50\"");
	/* Nothing close, the word itself, empty, too long, no room. */
	ck_assert_uint_eq(suggest("zzzzqqq", cmds, 8, out, 4), 0);
	ck_assert_uint_eq(suggest("status", cmds, 8, out, 4), 0);
	ck_assert_uint_eq(suggest("", cmds, 8, out, 4), 0);
	char lng[SUGGEST_MAX_LEN + 10];
	memset(lng, 's', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	ck_assert_uint_eq(suggest(lng, cmds, 8, out, 4), 0);
	ck_assert_uint_eq(suggest("stauts", cmds, 8, out, 0), 0);
	/* cap keeps the closest. */
	n = suggest("loss-", scen, 6, out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0], "loss-5");
}
END_TEST

START_TEST(join)
{
	const char *names[] = { "a", "b", "c" };
	char buf[64], small[5];

	ck_assert_str_eq(suggest_join(names, 0, buf, sizeof(buf)), "");
	ck_assert_str_eq(suggest_join(names, 2, buf, sizeof(buf)),
	    "\"a\" or \"b\"");
	ck_assert_str_eq(suggest_join(names, 3, buf, sizeof(buf)),
	    "\"a\", \"b\" or \"c\"");
	suggest_join(names, 3, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, distance);
	tcase_add_test(tc, close_matches);
	tcase_add_test(tc, join);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
