/* lib/metrics.c: rendering (exact text), escaping, histograms, hidden
 * series, name checks, concurrent updates. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

static char *
render(struct metrics_registry *reg)
{
	size_t len = 0;
	char *s = metrics_render(reg, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	return s;
}

#define ck_render_eq(reg, want)                                                \
	do {                                                                   \
		char *got_ = render(reg);                                      \
		ck_assert_str_eq(got_, want);                                  \
		free(got_);                                                    \
	} while (0)

START_TEST(counter_gauge_text)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metric_family *ops, *rate, *none;
	struct metric *m;

	ops = metrics_counter(reg, "memcache_operations_total",
	    "Operations done.", "op,status");
	rate = metrics_gauge(reg, "memcache_operations_rate",
	    "Operations per second.", "");
	none = metrics_gauge(reg, "empty_gauge", "Never set.", "server");
	ck_assert_ptr_nonnull(ops);
	ck_assert_ptr_nonnull(rate);
	ck_assert_ptr_nonnull(none);
	m = metric_get(ops, "get", "success");
	metric_inc(m);
	metric_inc(m);
	metric_add(m, 3);
	ck_assert(metric_value(m) == 5);
	/* A counter never goes down. */
	metric_add(m, -1);
	ck_assert(metric_value(m) == 5);
	metric_add(metric_get(ops, "set", "failed"), 0.5);
	metric_set(metric_get(rate), 1234.25);
	ck_render_eq(reg,
	    "# HELP memcache_operations_total Operations done.\n"
	    "# TYPE memcache_operations_total counter\n"
	    "memcache_operations_total{op=\"get\",status=\"success\"} 5\n"
	    "memcache_operations_total{op=\"set\",status=\"failed\"} 0.5\n"
	    "# HELP memcache_operations_rate Operations per second.\n"
	    "# TYPE memcache_operations_rate gauge\n"
	    "memcache_operations_rate 1234.25\n"
	    "# HELP empty_gauge Never set.\n"
	    "# TYPE empty_gauge gauge\n");
	/* The same label values give the same series. */
	ck_assert_ptr_eq(metric_get(ops, "get", "success"), m);
	metrics_registry_free(reg);
}
END_TEST

START_TEST(escaping)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metric_family *f;

	f = metrics_gauge(reg, "esc", "Help with \\ and\nnewline \"quoted\".",
	    "v");
	ck_assert_ptr_nonnull(f);
	metric_set(metric_get(f, "a\"b\\c\nd"), 1);
	metric_set(metric_get(f, "gr\xc3\xbc\xc3\x9f\x65"), 2);
	/* Invalid UTF-8 is replaced, never passed through. */
	metric_set(metric_get(f, "bad\xff"), 3);
	ck_render_eq(reg,
	    "# HELP esc Help with \\\\ and\\nnewline \"quoted\".\n"
	    "# TYPE esc gauge\n"
	    "esc{v=\"a\\\"b\\\\c\\nd\"} 1\n"
	    "esc{v=\"gr\xc3\xbc\xc3\x9f\x65\"} 2\n"
	    "esc{v=\"bad\xef\xbf\xbd\"} 3\n");
	metrics_registry_free(reg);
}
END_TEST

START_TEST(histogram_text)
{
	struct metrics_registry *reg = metrics_registry_new();
	const double bounds[] = { 0.005, 0.01, 0.1 };
	struct metric_family *h, *h0;
	struct metric *m;

	h = metrics_histogram(reg, "op_duration_seconds", "Latency.",
	    "op", bounds, 3);
	h0 = metrics_histogram(reg, "plain_seconds", "No labels.", NULL,
	    bounds, 1);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(h0);
	m = metric_get(h, "get");
	metric_observe(m, 0.001);
	metric_observe(m, 0.005); /* le: a value on the bound counts in it */
	metric_observe(m, 0.05);
	metric_observe(m, 7);
	metric_observe(m, NAN); /* dropped */
	ck_assert_uint_eq(metric_hist_count(m), 4);
	ck_assert(fabs(metric_hist_sum(m) - 7.056) < 1e-12);
	metric_observe(metric_get(h0), 2);
	ck_render_eq(reg,
	    "# HELP op_duration_seconds Latency.\n"
	    "# TYPE op_duration_seconds histogram\n"
	    "op_duration_seconds_bucket{op=\"get\",le=\"0.005\"} 2\n"
	    "op_duration_seconds_bucket{op=\"get\",le=\"0.01\"} 2\n"
	    "op_duration_seconds_bucket{op=\"get\",le=\"0.1\"} 3\n"
	    "op_duration_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
	    "op_duration_seconds_sum{op=\"get\"} 7.056\n"
	    "op_duration_seconds_count{op=\"get\"} 4\n"
	    "# HELP plain_seconds No labels.\n"
	    "# TYPE plain_seconds histogram\n"
	    "plain_seconds_bucket{le=\"0.005\"} 0\n"
	    "plain_seconds_bucket{le=\"+Inf\"} 1\n"
	    "plain_seconds_sum 2\n"
	    "plain_seconds_count 1\n");
	metrics_registry_free(reg);
}
END_TEST

START_TEST(special_values)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metric_family *g = metrics_gauge(reg, "g", "Specials.", "k");

	metric_set(metric_get(g, "inf"), INFINITY);
	metric_set(metric_get(g, "ninf"), -INFINITY);
	metric_set(metric_get(g, "nan"), NAN);
	metric_set(metric_get(g, "big"), 9007199254740992.0); /* 2^53 */
	metric_set(metric_get(g, "huge"), 1152921504606846976.0); /* 2^60 */
	metric_set(metric_get(g, "neg"), -3);
	metric_set(metric_get(g, "tenth"), 0.1);
	metric_set(metric_get(g, "third"), 1.0 / 3);
	metric_set(metric_get(g, "negzero"), -0.0);
	ck_render_eq(reg,
	    "# HELP g Specials.\n"
	    "# TYPE g gauge\n"
	    "g{k=\"inf\"} +Inf\n"
	    "g{k=\"ninf\"} -Inf\n"
	    "g{k=\"nan\"} NaN\n"
	    "g{k=\"big\"} 9007199254740992\n"
	    "g{k=\"huge\"} 1.152921504606847e+18\n"
	    "g{k=\"neg\"} -3\n"
	    "g{k=\"tenth\"} 0.1\n"
	    "g{k=\"third\"} 0.3333333333333333\n"
	    "g{k=\"negzero\"} 0\n");
	metrics_registry_free(reg);
}
END_TEST

START_TEST(hidden_series)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metric_family *g = metrics_gauge(reg, "state", "S.", "server");
	struct metric *a = metric_get(g, "a"), *b = metric_get(g, "b");

	metric_set(a, 1);
	metric_set(b, 2);
	metric_hide(g, "a");
	metric_hide(g, "nonexistent"); /* not created by hiding */
	ck_render_eq(reg, "# HELP state S.\n# TYPE state gauge\n"
	    "state{server=\"b\"} 2\n");
	metric_family_hide_all(g);
	ck_render_eq(reg, "# HELP state S.\n# TYPE state gauge\n");
	/* Handles stay valid while hidden; a lookup shows the series again. */
	metric_set(a, 5);
	ck_assert_ptr_eq(metric_get(g, "a"), a);
	ck_render_eq(reg, "# HELP state S.\n# TYPE state gauge\n"
	    "state{server=\"a\"} 5\n");
	metrics_registry_free(reg);
}
END_TEST

START_TEST(name_validation)
{
	struct metrics_registry *reg = metrics_registry_new();
	const double b[] = { 1, 2 }, bad[] = { 2, 1 };

	/* The refusals are logged; keep the test output short. */
	log_set_level(LOG_LVL_ERROR);
	ck_assert_ptr_null(metrics_gauge(reg, "", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "1abc", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "a-b", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "a b", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "1x"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "__reserved"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "a:b"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "a,,b"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "a,a"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "h", "a,b,c,d,e,f,g"));
	ck_assert_ptr_null(metrics_gauge(reg, "ok", "", NULL));
	ck_assert_ptr_null(metrics_counter(reg, "no_suffix", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "gauge_total", "h", NULL));
	ck_assert_ptr_null(metrics_histogram(reg, "h1", "h", "le", b, 2));
	ck_assert_ptr_null(metrics_histogram(reg, "h2", "h", NULL, bad, 2));
	ck_assert_ptr_nonnull(metrics_gauge(reg, "ns:ok_1", "h", "a,b_2"));
	ck_assert_ptr_nonnull(metrics_histogram(reg, "lat", "h", NULL, b, 2));
	/* Twice, or clashing with a histogram's own series. */
	ck_assert_ptr_null(metrics_gauge(reg, "ns:ok_1", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "lat_count", "h", NULL));
	ck_assert_ptr_null(metrics_gauge(reg, "lat_bucket", "h", NULL));
	ck_assert_ptr_nonnull(metrics_gauge(reg, "x_sum", "h", NULL));
	ck_assert_ptr_null(metrics_histogram(reg, "x", "h", NULL, b, 2));
	log_set_level(LOG_LVL_INFO);
	metrics_registry_free(reg);
}
END_TEST

START_TEST(exponential_bounds)
{
	double out[32];
	size_t n;

	n = metrics_exponential_bounds(0.001, 2, 0.064, out, 32);
	ck_assert_uint_eq(n, 7);
	ck_assert(out[0] == 0.001);
	ck_assert(fabs(out[6] - 0.064) < 1e-12);
	n = metrics_exponential_bounds(1, 10, 1e6, out, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(metrics_exponential_bounds(0, 2, 10, out, 32), 0);
	ck_assert_uint_eq(metrics_exponential_bounds(1, 1, 10, out, 32), 0);
	ck_assert_uint_eq(metrics_exponential_bounds(1, 2, 0.5, out, 32), 0);
}
END_TEST

static int collect_calls;

static void
collect(void *arg)
{
	collect_calls++;
	metric_set(arg, collect_calls);
}

START_TEST(collectors_and_process)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct metric_family *g = metrics_gauge(reg, "pulled", "P.", NULL);
	char *s;

	ck_assert_int_eq(metrics_on_collect(reg, collect, metric_get(g)), 0);
	ck_assert_int_eq(metrics_register_process(reg), 0);
	s = render(reg);
	ck_assert_int_eq(collect_calls, 1);
	ck_assert_ptr_nonnull(strstr(s, "\npulled 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE process_cpu_seconds_total counter\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nprocess_open_fds "));
	ck_assert_ptr_nonnull(strstr(s, "\nprocess_max_fds "));
	ck_assert_ptr_nonnull(strstr(s, "\nprocess_resident_memory_bytes "));
	ck_assert_ptr_nonnull(strstr(s, "\nprocess_virtual_memory_bytes "));
	ck_assert_ptr_nonnull(strstr(s, "\nprocess_start_time_seconds "));
	{
		/* The start time is a plausible recent unix time. */
		const char *p = strstr(s, "\nprocess_start_time_seconds ");
		double t = strtod(p + 28, NULL);

		ck_assert(t > 1.6e9 && t < 4e9);
		p = strstr(s, "\nprocess_resident_memory_bytes ");
		ck_assert(strtod(p + 31, NULL) > 4096);
	}
	free(s);
	s = render(reg);
	ck_assert_int_eq(collect_calls, 2);
	free(s);
	metrics_registry_free(reg);
}
END_TEST

#define NTHREADS 8
#define NITER 200000

struct worker_arg {
	struct metric_family *c, *g, *h;
};

static void *
hammer(void *p)
{
	struct worker_arg *a = p;
	struct metric *c = metric_get(a->c, "x");
	struct metric *cf = metric_get(a->c, "frac");
	struct metric *g = metric_get(a->g);
	struct metric *h = metric_get(a->h);

	for (int i = 0; i < NITER; i++) {
		metric_inc(c);
		metric_add(cf, 0.5);
		metric_add(g, 1);
		metric_add(g, -0.25);
		metric_observe(h, (i % 4) * 0.5);
		/* Lookups race with the updates and with each other. */
		if (i % 10000 == 0) {
			char v[16];

			snprintf(v, sizeof(v), "k%d", i);
			metric_inc(metric_get(a->c, v));
		}
	}
	return NULL;
}

START_TEST(concurrent_updates)
{
	struct metrics_registry *reg = metrics_registry_new();
	const double b[] = { 0.5, 1 };
	struct worker_arg a;
	pthread_t t[NTHREADS];
	char *s;

	a.c = metrics_counter(reg, "c_total", "C.", "k");
	a.g = metrics_gauge(reg, "g", "G.", NULL);
	a.h = metrics_histogram(reg, "h", "H.", NULL, b, 2);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &a), 0);
	/* Render while they run: must not crash or tear. */
	for (int i = 0; i < 20; i++) {
		s = render(reg);
		free(s);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert(metric_value(metric_get(a.c, "x")) == NTHREADS * NITER);
	ck_assert(metric_value(metric_get(a.c, "frac")) ==
	    NTHREADS * NITER * 0.5);
	ck_assert(metric_value(metric_get(a.c, "k0")) == NTHREADS);
	ck_assert(metric_value(metric_get(a.g)) == NTHREADS * NITER * 0.75);
	ck_assert_uint_eq(metric_hist_count(metric_get(a.h)),
	    NTHREADS * NITER);
	ck_assert(metric_hist_sum(metric_get(a.h)) ==
	    NTHREADS * (NITER / 4) * 3.0);
	s = render(reg);
	ck_assert_ptr_nonnull(strstr(s, "c_total{k=\"x\"} 1600000\n"));
	ck_assert_ptr_nonnull(strstr(s, "h_bucket{le=\"0.5\"} 800000\n"));
	ck_assert_ptr_nonnull(strstr(s, "h_bucket{le=\"1\"} 1200000\n"));
	ck_assert_ptr_nonnull(strstr(s, "h_bucket{le=\"+Inf\"} 1600000\n"));
	ck_assert_ptr_nonnull(strstr(s, "h_count 1600000\n"));
	free(s);
	metrics_registry_free(reg);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, counter_gauge_text);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, histogram_text);
	tcase_add_test(tc, special_values);
	tcase_add_test(tc, hidden_series);
	tcase_add_test(tc, name_validation);
	tcase_add_test(tc, exponential_bounds);
	tcase_add_test(tc, collectors_and_process);
	tcase_add_test(tc, concurrent_updates);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
