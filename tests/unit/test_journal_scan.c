/* The journal reader's scan: what a crash leaves in the journal is
 * skipped and counted, and every run around it is found. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "journal_scan.h"

static int
collect(json_t *run, void *arg)
{
	json_array_append(arg, json_object_get(run, "id"));
	json_decref(run);
	return 0;
}

/* The ids found in buf[0..n), fed `step` bytes at a time, joined by
 * spaces into out. */
static void
scan(const char *buf, size_t n, size_t step, int skip_first,
    const char *filter, char *out, size_t outlen,
    struct journal_damage *dmg)
{
	struct journal_scan s;
	json_t *ids = json_array(), *v;
	size_t i;

	journal_scan_init(&s, collect, ids);
	s.skip_first = skip_first;
	s.filter = filter;
	for (size_t off = 0; off < n; off += step)
		ck_assert_int_eq(journal_scan_feed(&s, buf + off,
				     n - off < step ? n - off : step), 0);
	ck_assert_int_eq(journal_scan_end(&s), 0);
	*dmg = s.dmg;
	journal_scan_free(&s);
	out[0] = '\0';
	json_array_foreach(ids, i, v) {
		if (i > 0)
			strncat(out, " ", outlen - strlen(out) - 1);
		strncat(out, json_string_value(v), outlen - strlen(out) - 1);
	}
	json_decref(ids);
}

START_TEST(damage_skipped_and_counted)
{
	/* A run, a torn record, 4 KiB of NULs, garbage ended by the
	 * writer's fresh line, two runs, one after NULs, the last without
	 * its newline. */
	static const char head[] = "{\"id\":\"a\"}\n{\"id\":\"torn\",\"sta";
	static const char tail[] = "garbage \x01\xff {\"id\":\n{\"id\":\"b\"}\n"
				   "\0\0{\"id\":\"c\"}";
	size_t n = sizeof(head) - 1 + 4096 + sizeof(tail) - 1;
	char *buf = calloc(1, n), out[256];
	struct journal_damage d;

	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + sizeof(head) - 1 + 4096, tail, sizeof(tail) - 1);
	for (size_t step = 1; step <= n; step = step * 3 + 1) {
		scan(buf, n, step, 0, NULL, out, sizeof(out), &d);
		ck_assert_str_eq(out, "a b c");
		ck_assert_uint_eq(d.bad_lines, 2);
		ck_assert_uint_eq(d.nul_runs, 2);
	}
	free(buf);
}
END_TEST

START_TEST(foreign_lines)
{
	static const char buf[] = "not json\n{\"no\":\"id\"}\n[1]\n{\"id\":\"\"}\n"
				  "{\"id\":7}\n{\"id\":\"x\",\"id\":\"y\"}\n"
				  "\n\n{\"id\":\"ok\"} \n";
	char out[64];
	struct journal_damage d;

	scan(buf, sizeof(buf) - 1, 7, 0, NULL, out, sizeof(out), &d);
	ck_assert_str_eq(out, "ok");
	ck_assert_uint_eq(d.bad_lines, 6);
	ck_assert_uint_eq(d.nul_runs, 0);
}
END_TEST

START_TEST(window_drops_partial_first_line)
{
	static const char buf[] = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n";
	char out[64];
	struct journal_damage d;

	/* From inside "a": that line is partial, dropped, not counted. */
	scan(buf + 3, sizeof(buf) - 4, 5, 1, NULL, out, sizeof(out), &d);
	ck_assert_str_eq(out, "b c");
	ck_assert_uint_eq(d.bad_lines, 0);
	/* From the newline before "b": "b" is whole and kept. */
	scan(buf + 10, sizeof(buf) - 11, 5, 1, NULL, out, sizeof(out), &d);
	ck_assert_str_eq(out, "b c");
}
END_TEST

START_TEST(long_line_skipped)
{
	size_t n = JOURNAL_LINE_MAX + 100;
	char *buf = malloc(n + 32), out[64];
	struct journal_damage d;

	memset(buf, 'x', n);
	buf[n - 1] = '\n';
	strcpy(buf + n, "{\"id\":\"after\"}\n");
	scan(buf, strlen(buf + n) + n, 65536, 0, NULL, out, sizeof(out), &d);
	ck_assert_str_eq(out, "after");
	ck_assert_uint_eq(d.bad_lines, 1);
	free(buf);
}
END_TEST

START_TEST(filter_parses_only_matches)
{
	static const char buf[] = "{\"id\":\"run-1\"}\nbroken\n{\"id\":\"run-2\"}\n";
	char out[64];
	struct journal_damage d;

	scan(buf, sizeof(buf) - 1, 4, 0, "run-2", out, sizeof(out), &d);
	ck_assert_str_eq(out, "run-2");
	ck_assert_uint_eq(d.bad_lines, 0); /* "broken" was never parsed */
}
END_TEST

static int
stop_at_b(json_t *run, void *arg)
{
	int stop = strcmp(json_string_value(json_object_get(run, "id")),
	    "b") == 0;

	(void)arg;
	json_decref(run);
	return stop;
}

START_TEST(callback_stops)
{
	static const char buf[] = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n";
	struct journal_scan s;

	journal_scan_init(&s, stop_at_b, NULL);
	ck_assert_int_eq(journal_scan_feed(&s, buf, sizeof(buf) - 1), 1);
	ck_assert_int_eq(journal_scan_feed(&s, buf, 3), 1);
	ck_assert_int_eq(journal_scan_end(&s), 1);
	journal_scan_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("journal_scan");
	TCase *tc = tcase_create("scan");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, damage_skipped_and_counted);
	tcase_add_test(tc, foreign_lines);
	tcase_add_test(tc, window_drops_partial_first_line);
	tcase_add_test(tc, long_line_skipped);
	tcase_add_test(tc, filter_parses_only_matches);
	tcase_add_test(tc, callback_stops);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
