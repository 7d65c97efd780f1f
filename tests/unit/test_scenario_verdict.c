/* The /metrics text parser and the verdicts computed from samples. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "promtext.h"
#include "verdict.h"

static const char *const scrape_text =
    "# HELP memcache_operations_total Operations.\n"
    "# TYPE memcache_operations_total counter\n"
    "memcache_operations_total{op=\"get\",status=\"success\"} 900\n"
    "memcache_operations_total{op=\"get\",status=\"failed\"} 60\n"
    "memcache_operations_total{op=\"set\",status=\"success\"} 30\n"
    "memcache_operations_total{op=\"set\",status=\"failed\"} 10 1700000000000\n"
    "memcache_error_rate 0.25\n"
    "memcache_operations_rate 1234.5\n"
    "memcache_circuit_breaker_state{server=\"memcache1\"} 2\n"
    "memcache_circuit_breaker_state{server=\"memcache2\"} 0\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache1\",le=\"0.001\"} 10\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache1\",le=\"0.01\"} 20\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache1\",le=\"+Inf\"} 20\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache2\",le=\"0.001\"} 70\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache2\",le=\"0.01\"} 80\n"
    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache2\",le=\"+Inf\"} 80\n"
    "memcache_operation_duration_seconds_count{op=\"get\",server=\"memcache2\"} 80\n"
    "memcache_operation_errors_total{op=\"get\",server=\"memcache2\",kind=\"timeout\"} 4\n"
    "weird{a=\"x\\\"y\\\\z\\n\"} NaN\n"
    "garbage line here\n"
    "nolabels{ 1\n";

static int nseries;
static char weird_value[64];

static void
count(const struct prom_series *s, void *arg)
{
	(void)arg;
	nseries++;
	if (strcmp(s->name, "weird") == 0)
		snprintf(weird_value, sizeof weird_value, "%s",
		    prom_label(s, "a"));
}

START_TEST(test_prom_parse)
{
	int bad;

	nseries = 0;
	bad = prom_parse(scrape_text, strlen(scrape_text), count, NULL);
	ck_assert_int_eq(bad, 2);
	ck_assert_int_eq(nseries, 17);
	ck_assert_str_eq(weird_value, "x\"y\\z\n");
	ck_assert_int_eq(prom_parse("", 0, count, NULL), 0);
	ck_assert_int_eq(prom_parse("x", PROM_INPUT_MAX + 1, count, NULL), -1);
}
END_TEST

START_TEST(test_sample)
{
	struct lg_sample s;
	struct sample_server *sv;

	sample_init(&s);
	ck_assert_int_eq(sample_from_text(scrape_text, strlen(scrape_text), &s),
	    0);
	ck_assert_double_eq(s.ops_total, 1000);
	ck_assert_double_eq(s.failed_total, 70);
	ck_assert_double_eq(s.error_rate, 0.25);
	ck_assert_int_eq(s.have_error_rate, 1);
	ck_assert_double_eq(s.ops_rate, 1234.5);
	ck_assert_uint_eq(s.nbuckets, 3);
	ck_assert_double_eq(s.le[0], 0.001);
	ck_assert_double_eq(s.cum[0], 80);
	ck_assert_double_eq(s.cum[1], 100);
	ck_assert(isinf(s.le[2]));
	sv = sample_server(&s, "memcache1", 0);
	ck_assert_ptr_nonnull(sv);
	ck_assert_double_eq(sv->breaker, 2);
	sv = sample_server(&s, "memcache2", 0);
	ck_assert_double_eq(sv->breaker, 0);
	ck_assert_double_eq(sv->ops, 80);
	ck_assert_double_eq(sv->errors, 4);
	ck_assert_int_eq(sample_from_text("up 1\n", 5, &s), -1);
}
END_TEST

START_TEST(test_quantile)
{
	struct lg_sample base, last;

	sample_init(&base);
	sample_init(&last);
	last.nbuckets = 3;
	last.le[0] = 0.001;
	last.le[1] = 0.01;
	last.le[2] = INFINITY;
	last.cum[0] = 50;
	last.cum[1] = 100;
	last.cum[2] = 100;
	/* Rank 99 of 100 lies in (0.001, 0.01]: 0.001 + 0.009 * 49/50. */
	ck_assert_double_eq_tol(hist_quantile(NULL, &last, 0.99),
	    0.001 + 0.009 * 49.0 / 50.0, 1e-12);
	ck_assert_double_eq_tol(hist_quantile(NULL, &last, 0.5), 0.001, 1e-12);
	/* A window: only what happened between the two samples. */
	base = last;
	last.cum[0] = 50;
	last.cum[1] = 100;
	last.cum[2] = 200;
	ck_assert_double_eq_tol(hist_quantile(&base, &last, 0.99), 0.01,
	    1e-12);
	ck_assert_double_eq(hist_quantile(&last, &last, 0.99), -1);
}
END_TEST

/* A synthetic run: samples every 100 ms; the breaker of memcache1 opens
 * 800 ms after the fault and the error rate settles 1.5 s after it is
 * removed. */
static void
mk(struct lg_sample *s, uint64_t t, double ops, double failed, double rate,
    double b1, double other_ops, double other_err)
{
	struct sample_server *sv;

	sample_init(s);
	s->mono_ms = t;
	s->wall = 1000 + (double)t / 1000;
	s->ops_total = ops;
	s->failed_total = failed;
	s->error_rate = rate;
	s->have_error_rate = 1;
	s->nbuckets = 2;
	s->le[0] = 0.001;
	s->le[1] = INFINITY;
	s->cum[0] = ops;
	s->cum[1] = ops;
	sv = sample_server(s, "memcache1", 1);
	sv->breaker = b1;
	sv = sample_server(s, "memcache2", 1);
	sv->breaker = 0;
	sv->ops = other_ops;
	sv->errors = other_err;
}

static enum run_status
simulate(struct scenario_spec *spec, struct verdict *v, char *reason,
    size_t len, int open_at, int settle_at, double stab_failed)
{
	struct lg_sample s;
	double ops = 0, failed = 0;

	verdict_init(v, spec);
	for (uint64_t t = 0; t <= 9000; t += 100) {
		int testing = t >= 2000 && t < 5000;
		double rate;
		double b1;

		if (t == 2000) {
			verdict_phase_start(v, PHASE_TESTING, t, 0);
			verdict_fault_applied(v, t);
		} else if (t == 5000) {
			verdict_phase_start(v, PHASE_RECOVERY, t, 0);
			verdict_fault_removed(v, t);
		} else if (t == 0) {
			verdict_phase_start(v, PHASE_STABILIZATION, t, 0);
		}
		ops += 100;
		if (testing)
			failed += 30;
		else if (t < 2000)
			failed += stab_failed;
		else if ((int)t < 5000 + settle_at)
			failed += 5;
		rate = testing ? 0.3 : ((int)t < 5000 + settle_at && t >= 5000 ?
		    0.05 : stab_failed / 100);
		b1 = testing && (int)t >= 2000 + open_at ? 2 :
		    ((int)t < 5000 + settle_at && t >= 5000 ? 1 : 0);
		mk(&s, t, ops, failed, rate, b1, ops / 2, 0);
		verdict_add_sample(v, &s);
	}
	verdict_phase_end(v, 9000, 0);
	return verdict_finish(v, reason, len);
}

START_TEST(test_verdict_success)
{
	struct scenario_spec spec;
	struct verdict *v = malloc(sizeof *v);
	char reason[512];

	memset(&spec, 0, sizeof spec);
	strcpy(spec.name, "t");
	spec.nfaults = 1;
	spec.faults[0].nservers = 1;
	strcpy(spec.faults[0].servers[0], "memcache1");
	spec.expect.breaker_opens_within_ms = 1000;
	spec.expect.recovers_within_ms = 2000;
	spec.expect.baseline_error_rate_max = 0.001;
	spec.expect.testing_error_rate_min = 0.1;
	spec.expect.other_error_rate_max = 0.01;
	spec.expect.recover_error_rate = -1;

	ck_assert_int_eq(simulate(&spec, v, reason, sizeof reason, 800, 1500,
	    0), RUN_SUCCESS);
	ck_assert_str_eq(reason, "");
	ck_assert_int_eq(v->time_to_open_ms[0], 800);
	ck_assert_int_eq(v->time_to_recover_ms, 1500);
	ck_assert_double_eq(v->baseline_error_rate, 0);
	ck_assert_double_eq_tol(v->phases[PHASE_TESTING].error_rate, 0.3, 1e-9);
	ck_assert_double_eq(v->phases[PHASE_TESTING].ops, 3000);
	ck_assert_double_eq(v->phases[PHASE_STABILIZATION].ops, 1900);
	ck_assert_double_eq(v->other_error_rate, 0);
	ck_assert_double_eq(v->peak_error_rate, 0.3);

	/* Too slow to open and to recover. */
	ck_assert_int_eq(simulate(&spec, v, reason, sizeof reason, 1500, 2500,
	    0), RUN_FAILED);
	ck_assert_ptr_nonnull(strstr(reason, "breaker of memcache1 opened "
	    "after 1.5s (expected within 1.0s)"));
	ck_assert_ptr_nonnull(strstr(reason, "recovered after 2.5s"));

	/* Never opens, never recovers, noisy baseline. */
	ck_assert_int_eq(simulate(&spec, v, reason, sizeof reason, 99999,
	    99999, 2), RUN_FAILED);
	ck_assert_ptr_nonnull(strstr(reason, "baseline error rate 0.0200 "
	    "above 0.0010"));
	ck_assert_ptr_nonnull(strstr(reason, "breaker of memcache1 did not "
	    "open"));
	ck_assert_ptr_nonnull(strstr(reason, "did not recover"));
	free(v);
}
END_TEST

START_TEST(test_verdict_no_samples)
{
	struct scenario_spec spec;
	struct verdict v;
	char reason[256];

	memset(&spec, 0, sizeof spec);
	spec.expect.breaker_opens_within_ms = -1;
	spec.expect.recovers_within_ms = -1;
	spec.expect.baseline_error_rate_max = -1;
	spec.expect.testing_error_rate_min = -1;
	spec.expect.other_error_rate_max = -1;
	spec.expect.recover_error_rate = -1;
	verdict_init(&v, &spec);
	ck_assert_int_eq(verdict_finish(&v, reason, sizeof reason),
	    RUN_SUCCESS);
	spec.expect.recovers_within_ms = 1000;
	verdict_init(&v, &spec);
	ck_assert_int_eq(verdict_finish(&v, reason, sizeof reason), RUN_FAILED);
	ck_assert_ptr_nonnull(strstr(reason, "no samples"));
	ck_assert_str_eq(run_status_text(RUN_ABORTED), "aborted");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scenario_verdict");
	TCase *tc = tcase_create("verdict");
	SRunner *sr;
	int failed;

	log_init("test_scenario_verdict", LOG_LVL_ERROR);
	tcase_add_test(tc, test_prom_parse);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_quantile);
	tcase_add_test(tc, test_verdict_success);
	tcase_add_test(tc, test_verdict_no_samples);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
