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
	s->have_status = 1;
	s->have_err_kind = 1;
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

/* ---- issue 12: throughput, latency, isolation, not judged ---- */

START_TEST(test_sample_servers)
{
	static const char text[] =
	    "memcache_operations_total{op=\"get\",status=\"success\"} 10\n"
	    "memcache_circuit_breaker_open_timeout_seconds{server=\"memcache1\"} 5\n"
	    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache1\",le=\"0.001\"} 3\n"
	    "memcache_operation_duration_seconds_bucket{op=\"set\",server=\"memcache1\",le=\"0.001\"} 4\n"
	    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache1\",le=\"+Inf\"} 5\n"
	    "memcache_operation_duration_seconds_bucket{op=\"set\",server=\"memcache1\",le=\"+Inf\"} 6\n"
	    "memcache_operation_duration_seconds_bucket{op=\"get\",server=\"memcache2\",le=\"0.01\"} 9\n"
	    "memcache_operation_errors_total{op=\"get\",server=\"memcache1\",kind=\"timeout\"} 2\n"
	    "memcache_operation_errors_total{op=\"set\",server=\"memcache1\",kind=\"circuit_open\"} 7\n"
	    "memcache_operation_errors_total{op=\"set\",server=\"memcache2\",kind=\"bogus\"} 1\n"
	    "memcache_operation_errors_total{op=\"set\",server=\"memcache2\",kind=\"pool\"} -3\n";
	struct lg_sample *s = malloc(sizeof *s);
	struct sample_server *m1, *m2;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sample_from_text(text, strlen(text), s), 0);
	m1 = sample_server(s, "memcache1", 0);
	m2 = sample_server(s, "memcache2", 0);
	ck_assert_ptr_nonnull(m1);
	ck_assert_ptr_nonnull(m2);
	ck_assert_double_eq(m1->open_timeout_s, 5);
	ck_assert_double_eq(m2->open_timeout_s, -1);
	/* Per server, summed over op. */
	ck_assert_uint_eq(m1->nbuckets, 2);
	ck_assert_double_eq(m1->cum[0], 7);
	ck_assert_double_eq(m1->cum[1], 11);
	ck_assert_uint_eq(m2->nbuckets, 1);
	ck_assert_double_eq(m2->le[0], 0.01);
	ck_assert_double_eq(m1->err_kind[ERRK_TIMEOUT], 2);
	ck_assert_double_eq(m1->err_kind[ERRK_CIRCUIT_OPEN], 7);
	ck_assert_double_eq(m1->errors, 9);
	/* An unknown kind is "other"; a negative counter is ignored. */
	ck_assert_double_eq(m2->err_kind[ERRK_OTHER], 1);
	ck_assert_double_eq(m2->err_kind[ERRK_POOL], 0);
	ck_assert_double_eq(s->err_kind[ERRK_CIRCUIT_OPEN], 7);
	ck_assert_double_eq(s->err_kind[ERRK_OTHER], 1);
	ck_assert_str_eq(err_kind_text(ERRK_CIRCUIT_OPEN), "circuit_open");
	/* Servers and buckets are capped, not overrun. */
	{
		char big[SAMPLE_MAX_SERVERS * 2 * 120 + 200];
		size_t n = 0;
		n += (size_t)snprintf(big + n, sizeof big - n,
		    "memcache_operations_total 1\n");
		for (int i = 0; i < SAMPLE_MAX_SERVERS * 2; i++)
			n += (size_t)snprintf(big + n, sizeof big - n,
			    "memcache_operation_duration_seconds_bucket"
			    "{server=\"s%d\",le=\"%d\"} 1\n", i, i);
		ck_assert_int_eq(sample_from_text(big, n, s), 0);
		ck_assert_uint_eq(s->nservers, SAMPLE_MAX_SERVERS);
	}
	{
		char big[SAMPLE_SERVER_BUCKETS * 2 * 100 + 200];
		size_t n = 0;
		n += (size_t)snprintf(big + n, sizeof big - n,
		    "memcache_operations_total 1\n");
		for (int i = 0; i < SAMPLE_SERVER_BUCKETS * 2; i++)
			n += (size_t)snprintf(big + n, sizeof big - n,
			    "memcache_operation_duration_seconds_bucket"
			    "{server=\"s\",le=\"%d\"} 1\n", i);
		ck_assert_int_eq(sample_from_text(big, n, s), 0);
		ck_assert_uint_eq(s->servers[0].nbuckets,
		    SAMPLE_SERVER_BUCKETS);
	}
	free(s);
}
END_TEST

/* A run of 2 s + 3 s + 4 s sampled every 100 ms: memcache1 is faulted,
 * memcache2 not. Each phase gives the ops per sample, the share of
 * memcache1's ops that fail, and each server's latency bucket (index
 * into the bounds below). */
static const double lat_le[] = {0.001, 0.01, 0.1, 1, INFINITY};

struct phase_load {
	double ops;        /* per 100 ms, the whole client */
	double fail1;      /* failed share of memcache1's half */
	int lat1, lat2;    /* bucket index of each server's ops */
};

struct sim {
	struct phase_load ph[4];
	int breaker_open_at;  /* ms into testing; < 0 never */
	int settle_at;        /* ms into recovery the load is back */
	struct phase_load settle; /* recovery before settle_at */
	double open_timeout_s;
	uint64_t rec_ms;      /* recovery length */
};

/* A client that exports memcache_operations_total without its status
 * label, or no memcache_operation_errors_total (an external client). */
static int no_status, no_errors;

static void
sim_sample(struct lg_sample *s, uint64_t t, const double *tot,
    const double srv[2][3 + 5], double b1, double open_to)
{
	sample_init(s);
	s->mono_ms = t;
	s->wall = 1000 + (double)t / 1000;
	s->ops_total = tot[0];
	s->failed_total = tot[1];
	s->have_status = !no_status;
	s->have_err_kind = !no_errors;
	s->nbuckets = 5;
	for (int i = 0; i < 5; i++) {
		s->le[i] = lat_le[i];
		s->cum[i] = srv[0][3 + i] + srv[1][3 + i];
	}
	for (int k = 0; k < 2; k++) {
		struct sample_server *sv = sample_server(s,
		    k ? "memcache2" : "memcache1", 1);
		sv->breaker = k ? 0 : b1;
		sv->open_timeout_s = k ? -1 : open_to;
		sv->ops = srv[k][0];
		sv->errors = srv[k][1];
		sv->err_kind[ERRK_TIMEOUT] = srv[k][1];
		sv->nbuckets = 5;
		for (int i = 0; i < 5; i++) {
			sv->le[i] = lat_le[i];
			sv->cum[i] = srv[k][3 + i];
		}
	}
	s->err_kind[ERRK_TIMEOUT] = srv[0][1] + srv[1][1];
}

static enum run_status
sim_run(const struct scenario_spec *spec, const struct sim *m,
    struct verdict *v, char *reason, size_t len)
{
	struct lg_sample *s = malloc(sizeof *s);
	double tot[2] = {0, 0};
	double srv[2][3 + 5];
	uint64_t t_test = 2000, t_rec = 5000, t_end = 5000 + m->rec_ms;

	memset(srv, 0, sizeof srv);
	verdict_init(v, spec);
	for (uint64_t t = 0; t <= t_end; t += 100) {
		const struct phase_load *pl;
		double b1 = 0;

		if (t == 0)
			verdict_phase_start(v, PHASE_STABILIZATION, t, 1);
		if (t == t_test) {
			verdict_phase_start(v, PHASE_TESTING, t, 2);
			verdict_fault_applied(v, t);
		}
		if (t == t_rec) {
			verdict_phase_start(v, PHASE_RECOVERY, t, 3);
			verdict_fault_removed(v, t);
		}
		if (t < t_test)
			pl = &m->ph[PHASE_STABILIZATION];
		else if (t < t_rec) {
			pl = &m->ph[PHASE_TESTING];
			if (m->breaker_open_at >= 0 &&
			    t >= t_test + (uint64_t)m->breaker_open_at)
				b1 = 2;
		} else if (t < t_rec + (uint64_t)m->settle_at) {
			pl = &m->settle;
			b1 = 1;
		} else
			pl = &m->ph[PHASE_RECOVERY];
		if (t > 0) {
			double half = pl->ops / 2;
			tot[0] += pl->ops;
			tot[1] += half * pl->fail1;
			srv[0][0] += half;
			srv[0][1] += half * pl->fail1;
			srv[1][0] += half;
			for (int i = pl->lat1; i < 5; i++)
				srv[0][3 + i] += half;
			for (int i = pl->lat2; i < 5; i++)
				srv[1][3 + i] += half;
		}
		sim_sample(s, t, tot, (const double (*)[8])srv, b1,
		    m->open_timeout_s);
		/* The error rate gauge is left to the verdict's windows. */
		verdict_add_sample(v, s);
	}
	verdict_phase_end(v, t_end, 4);
	free(s);
	return verdict_finish(v, reason, len);
}

static void
spec_none(struct scenario_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	strcpy(spec->name, "t");
	spec->nfaults = 1;
	spec->faults[0].nservers = 1;
	strcpy(spec->faults[0].servers[0], "memcache1");
	spec->expect.breaker_opens_within_ms = -1;
	spec->expect.recovers_within_ms = -1;
	spec->expect.baseline_error_rate_max = -1;
	spec->expect.testing_error_rate_min = -1;
	spec->expect.other_error_rate_max = -1;
	spec->expect.recover_error_rate = -1;
}

/* A healthy run: 100 ops per 100 ms throughout, fast, breaker opens
 * after 300 ms, back 1.5 s after the fault is removed. */
static void
sim_good(struct sim *m)
{
	memset(m, 0, sizeof *m);
	for (int p = 1; p <= 3; p++)
		m->ph[p] = (struct phase_load){100, 0, 0, 0};
	m->ph[PHASE_TESTING].fail1 = 1;
	m->breaker_open_at = 300;
	m->settle_at = 1500;
	m->settle = (struct phase_load){100, 0, 0, 0};
	m->open_timeout_s = 0.5;
	m->rec_ms = 4000;
}

static const struct check *
find_check(const struct verdict *v, const char *name, const char *server)
{
	for (size_t i = 0; i < v->nchecks; i++)
		if (strcmp(v->checks[i].name, name) == 0 &&
		    strcmp(v->checks[i].server, server ? server : "") == 0)
			return &v->checks[i];
	return NULL;
}

START_TEST(test_verdict_throughput)
{
	struct scenario_spec spec;
	struct verdict *v = malloc(sizeof *v);
	const struct check *c;
	struct sim m;
	char reason[1024];

	spec_none(&spec);
	spec.expect.throughput_min_ratio = 0.5;
	sim_good(&m);
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);
	c = find_check(v, "throughput_min_ratio", NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->result, CHECK_PASSED);
	ck_assert_int_eq(c->phase, PHASE_TESTING);
	ck_assert_int_eq(c->have_measured, 1);
	ck_assert_double_eq_tol(c->measured, 1.0, 1e-9);
	ck_assert_double_eq_tol(v->phases[PHASE_STABILIZATION].ops_rate, 1000,
	    1e-6);
	ck_assert_str_eq(c->why, "");

	/* The client's throughput collapses to 2 %: failed, named. */
	m.ph[PHASE_TESTING].ops = 2;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	c = find_check(v, "throughput_min_ratio", NULL);
	ck_assert_int_eq(c->result, CHECK_FAILED);
	ck_assert_double_eq_tol(c->measured, 0.02, 1e-9);
	ck_assert_double_eq_tol(v->throughput_ratio, 0.02, 1e-9);
	ck_assert_ptr_nonnull(strstr(reason, "throughput_min_ratio: "
	    "throughput fell to 0.02 of the baseline (expected at least "
	    "0.50)"));
	/* Errors by kind are kept per phase. */
	ck_assert_double_eq(v->phases[PHASE_TESTING].errors[ERRK_TIMEOUT],
	    30 * 1);
	free(v);
}
END_TEST

START_TEST(test_verdict_latency)
{
	struct scenario_spec spec;
	struct verdict *v = malloc(sizeof *v);
	const struct check *c;
	struct sim m;
	char reason[1024];

	spec_none(&spec);
	spec.expect.p99_max_ms = 50;
	spec.expect.others_p99_max_ratio = 4;
	sim_good(&m);
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);
	c = find_check(v, "others_p99_max_ratio", "memcache2");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->result, CHECK_PASSED);
	ck_assert_double_eq_tol(c->measured, 1.0, 1e-9);
	/* Only the servers the fault does not touch are checked. */
	ck_assert_ptr_null(find_check(v, "others_p99_max_ratio", "memcache1"));
	c = find_check(v, "p99_max", NULL);
	ck_assert_int_eq(c->unit, UNIT_MS);
	ck_assert(c->measured <= 1.0);
	ck_assert(v->phases[PHASE_TESTING].p50_ms >= 0);

	/* memcache1 slow (10..100 ms): the whole client's p99 is over 50 ms
	 * and memcache2 is not touched. */
	m.ph[PHASE_TESTING].lat1 = 2;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	c = find_check(v, "p99_max", NULL);
	ck_assert_int_eq(c->result, CHECK_FAILED);
	ck_assert(c->measured > 50 && c->measured <= 100);
	ck_assert_ptr_nonnull(strstr(reason, "p99_max: p99 latency "));
	ck_assert_int_eq(find_check(v, "others_p99_max_ratio",
	    "memcache2")->result, CHECK_PASSED);
	ck_assert(v->phases[PHASE_TESTING].servers[0].p99_ms > 10);

	/* memcache2 slowed down too: isolation broken, per server. */
	m.ph[PHASE_TESTING].lat1 = 0;
	m.ph[PHASE_TESTING].lat2 = 1;
	spec.expect.p99_max_ms = 0;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	c = find_check(v, "others_p99_max_ratio", "memcache2");
	ck_assert_int_eq(c->result, CHECK_FAILED);
	ck_assert(c->measured > 4);
	ck_assert_ptr_nonnull(strstr(reason, "others_p99_max_ratio: p99 of "
	    "memcache2 rose"));
	ck_assert_ptr_null(find_check(v, "p99_max", NULL));
	free(v);
}
END_TEST

START_TEST(test_verdict_recovery_throughput)
{
	struct scenario_spec spec;
	struct verdict *v = malloc(sizeof *v);
	const struct check *c;
	struct sim m;
	char reason[1024];

	spec_none(&spec);
	spec.expect.recovers_within_ms = 3000;
	spec.expect.recover_throughput_ratio = 0.9;
	sim_good(&m);
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);
	ck_assert_int_eq(v->time_to_recover_ms, 1500);
	c = find_check(v, "recover_throughput_ratio", NULL);
	ck_assert_int_eq(c->result, CHECK_PASSED);
	ck_assert_double_eq_tol(c->measured, 1.0, 1e-9);
	ck_assert_double_eq_tol(v->recovered_throughput_ratio, 1.0, 1e-9);

	/* Errors gone and breaker closed at 1.5 s, but the throughput
	 * stays at 30 % for good: not recovered, and said why. */
	m.ph[PHASE_RECOVERY].ops = 30;
	m.settle.ops = 30;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	ck_assert_int_eq(v->time_to_recover_ms, -1);
	c = find_check(v, "recovers_within", NULL);
	ck_assert_int_eq(c->result, CHECK_FAILED);
	ck_assert_int_eq(c->phase, PHASE_RECOVERY);
	ck_assert_ptr_nonnull(strstr(c->why, "throughput 0.30 of the "
	    "baseline"));
	c = find_check(v, "recover_throughput_ratio", NULL);
	ck_assert_int_eq(c->result, CHECK_NOT_JUDGED);

	/* A client whose failed calls cannot be counted: every check on
	 * an error rate is not judged (a rate of 0 would pass them), and
	 * those on throughput and latency are judged. */
	spec_none(&spec);
	spec.expect.baseline_error_rate_max = 0.01;
	spec.expect.testing_error_rate_min = 0.1;
	spec.expect.other_error_rate_max = 0.01;
	spec.expect.recovers_within_ms = 3000;
	spec.expect.throughput_min_ratio = 0.5;
	sim_good(&m);
	no_status = 1;
	no_errors = 1;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	no_status = 0;
	no_errors = 0;
	for (size_t i = 0; i < 4; i++) {
		static const char *const names[] = { "baseline_error_rate_max",
			"testing_error_rate_min", "other_error_rate_max",
			"recovers_within" };

		c = find_check(v, names[i], NULL);
		ck_assert_ptr_nonnull(c);
		ck_assert_msg(c->result == CHECK_NOT_JUDGED, "%s: %s",
		    names[i], check_result_text(c->result));
	}
	ck_assert_str_eq(find_check(v, "baseline_error_rate_max", NULL)->why,
	    "the client's memcache_operations_total has no status label "
	    "(success, failed): its failed calls cannot be counted");
	ck_assert_ptr_nonnull(strstr(find_check(v, "other_error_rate_max",
	    NULL)->why, "exports no memcache_operation_errors_total"));
	ck_assert_int_eq(find_check(v, "throughput_min_ratio", NULL)->result,
	    CHECK_PASSED);
	/* The same client with its labels: all judged, and passed. */
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);

	/* The error rate alone (ratio 0): recovered at 1.5 s; the
	 * throughput check is not made. */
	spec.expect.recover_throughput_ratio = 0;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);
	ck_assert_int_eq(v->time_to_recover_ms, 1500);
	ck_assert_ptr_null(find_check(v, "recover_throughput_ratio", NULL));

	/* Back at 70 % of the baseline after recovery: recovers_within
	 * passes at ratio 0.6 and recover_throughput_ratio 0.9 fails. */
	m.ph[PHASE_RECOVERY].ops = 70;
	m.settle.ops = 70;
	spec.expect.recover_throughput_ratio = 0.6;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_SUCCESS);
	spec.expect.recover_throughput_ratio = 0.9;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	ck_assert_ptr_nonnull(strstr(reason, "did not recover"));
	free(v);
}
END_TEST

START_TEST(test_verdict_not_judged)
{
	struct scenario_spec spec;
	struct verdict *v = malloc(sizeof *v);
	const struct check *c;
	struct sim m;
	char reason[1024], why[256];

	/* A recovery phase of 1 s with a breaker open for 5 s: recovery
	 * cannot be seen, so the run is not a success. */
	spec_none(&spec);
	spec.expect.recovers_within_ms = 30000;
	spec.expect.recover_throughput_ratio = 0.9;
	sim_good(&m);
	m.open_timeout_s = 5;
	m.rec_ms = 1000;
	m.settle_at = 5000;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	c = find_check(v, "recovers_within", NULL);
	ck_assert_int_eq(c->result, CHECK_NOT_JUDGED);
	ck_assert_int_eq(c->have_measured, 0);
	ck_assert_str_eq(c->why, "recovery phase 1 s is shorter than breaker "
	    "open time 5 s + 1.2 s sampling window: recovery cannot be "
	    "observed");
	ck_assert_ptr_nonnull(strstr(reason, "recovers_within could not be "
	    "judged: recovery phase 1 s"));
	c = find_check(v, "recover_throughput_ratio", NULL);
	ck_assert_int_eq(c->result, CHECK_NOT_JUDGED);

	/* The same phase long enough: judged (and failed: not back). */
	m.rec_ms = 7000;
	m.settle_at = 8000;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	ck_assert_int_eq(find_check(v, "recovers_within", NULL)->result,
	    CHECK_FAILED);

	ck_assert_int_eq(verdict_recovery_observable(6200, 5000, why,
	    sizeof why), 1);
	ck_assert_int_eq(verdict_recovery_observable(6199, 5000, why,
	    sizeof why), 0);
	ck_assert_int_eq(verdict_recovery_observable(1000, -1, why,
	    sizeof why), 0);
	ck_assert_ptr_nonnull(strstr(why, "1.2 s sampling window"));

	/* No stabilization throughput: the ratio is not judged. */
	spec_none(&spec);
	spec.expect.throughput_min_ratio = 0.5;
	spec.expect.others_p99_max_ratio = 2;
	sim_good(&m);
	m.ph[PHASE_STABILIZATION].ops = 0;
	ck_assert_int_eq(sim_run(&spec, &m, v, reason, sizeof reason),
	    RUN_FAILED);
	ck_assert_int_eq(find_check(v, "throughput_min_ratio", NULL)->result,
	    CHECK_NOT_JUDGED);
	ck_assert_int_eq(find_check(v, "others_p99_max_ratio",
	    "memcache2")->result, CHECK_NOT_JUDGED);
	ck_assert_ptr_nonnull(strstr(reason, "throughput_min_ratio could not "
	    "be judged: no baseline throughput"));

	/* No samples at all: every check not judged, and failed. */
	spec.expect.p99_max_ms = 100;
	spec.expect.breaker_opens_within_ms = 1000;
	verdict_init(v, &spec);
	ck_assert_int_eq(verdict_finish(v, reason, sizeof reason), RUN_FAILED);
	ck_assert_uint_eq(v->nchecks, 4);
	for (size_t i = 0; i < v->nchecks; i++)
		ck_assert_int_eq(v->checks[i].result, CHECK_NOT_JUDGED);
	ck_assert_str_eq(check_result_text(CHECK_NOT_JUDGED), "not_judged");
	free(v);
}
END_TEST

/* Several clients: the run's status and reason from theirs. */
START_TEST(test_verdict_combine)
{
	static const char names[3][RUN_CLIENT_NAME_MAX] = { "a", "b", "c" };
	static const char reasons[3][VERDICT_REASON_MAX] = { "",
		"p99_max: slow", "" };
	enum run_status ok[3] = { RUN_SUCCESS, RUN_SUCCESS, RUN_SUCCESS };
	enum run_status one_bad[3] = { RUN_SUCCESS, RUN_FAILED, RUN_SUCCESS };
	enum run_status aborted[3] = { RUN_SUCCESS, RUN_ABORTED, RUN_FAILED };
	char out[VERDICT_REASON_MAX];

	ck_assert_int_eq(verdict_combine(ok, 3, 0), RUN_SUCCESS);
	ck_assert_int_eq(verdict_combine(one_bad, 3, 0), RUN_FAILED);
	ck_assert_int_eq(verdict_combine(one_bad, 1, 0), RUN_SUCCESS);
	/* Compared: informative; the run completed. */
	ck_assert_int_eq(verdict_combine(one_bad, 3, 1), RUN_SUCCESS);
	ck_assert_int_eq(verdict_combine(aborted, 3, 0), RUN_ABORTED);
	ck_assert_int_eq(verdict_combine(aborted, 3, 1), RUN_ABORTED);
	verdict_combine_reason(names, one_bad, reasons, 3, 0, out,
	    sizeof out);
	ck_assert_str_eq(out, "b: p99_max: slow");
	verdict_combine_reason(names, one_bad, reasons, 3, 1, out,
	    sizeof out);
	ck_assert_str_eq(out, "compared: a success, b failed, c success");
	/* One client: its reason as it always read, no name. */
	verdict_combine_reason(names + 1, one_bad + 1, reasons + 1, 1, 0,
	    out, sizeof out);
	ck_assert_str_eq(out, "p99_max: slow");
	/* Bounded: a short buffer is cut, never overrun. */
	verdict_combine_reason(names, one_bad, reasons, 3, 1, out, 12);
	ck_assert_str_eq(out, "compared: a");
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
	tcase_add_test(tc, test_sample_servers);
	tcase_add_test(tc, test_verdict_throughput);
	tcase_add_test(tc, test_verdict_latency);
	tcase_add_test(tc, test_verdict_recovery_throughput);
	tcase_add_test(tc, test_verdict_not_judged);
	tcase_add_test(tc, test_verdict_combine);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
