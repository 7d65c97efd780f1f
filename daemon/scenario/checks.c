/* The checks of the steady-state hypothesis: one per `expect` key (per
 * server where it applies), each passed, failed or not judged with its
 * figures and a sentence, from the figures verdict.c computed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "verdict.h"

/* An error rate from a client that does not tell failed calls apart
 * would read 0 and pass a check nobody observed. */
#define NO_STATUS "the client's memcache_operations_total has no status " \
	"label (success, failed): its failed calls cannot be counted"

int
verdict_is_affected(const struct verdict *v, const char *server)
{
	for (size_t k = 0; k < v->naffected; k++)
		if (strcmp(v->affected[k], server) == 0)
			return 1;
	return 0;
}

static struct check *
add_check(struct verdict *v, const char *name, enum phase p,
    const char *server, double expected, enum check_unit unit)
{
	struct check *c;

	if (v->nchecks == VERDICT_MAX_CHECKS)
		FATAL_BUG("more than %d checks", VERDICT_MAX_CHECKS);
	c = &v->checks[v->nchecks++];
	memset(c, 0, sizeof *c);
	c->name = name;
	c->phase = p;
	if (server)
		strlcpy_r(c->server, server, sizeof c->server);
	c->expected = expected;
	c->unit = unit;
	c->result = CHECK_PASSED;
	return c;
}

static void
measured(struct check *c, double m)
{
	c->measured = m;
	c->have_measured = 1;
}

static void
judge(struct check *c, enum check_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
judge(struct check *c, enum check_result r, const char *fmt, ...)
{
	va_list ap;

	c->result = r;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

static int
phase_sampled(const struct phase_stats *ps)
{
	return ps->have_base && ps->have_last && ps->nsamples > 0;
}

static const struct server_stats *
find_server(const struct phase_stats *ps, const char *name)
{
	for (size_t i = 0; i < ps->nservers; i++)
		if (strcmp(ps->servers[i].name, name) == 0)
			return &ps->servers[i];
	return NULL;
}

static void
check_baseline(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *st = &v->phases[PHASE_STABILIZATION];
	struct check *c;

	if (e->baseline_error_rate_max < 0)
		return;
	c = add_check(v, "baseline_error_rate_max", PHASE_STABILIZATION, NULL,
	    e->baseline_error_rate_max, UNIT_RATIO);
	if (!phase_sampled(st) || st->ops <= 0) {
		judge(c, CHECK_NOT_JUDGED,
		    "no operations during stabilization");
		return;
	}
	if (!st->last.have_status) {
		judge(c, CHECK_NOT_JUDGED, NO_STATUS);
		return;
	}
	measured(c, v->baseline_error_rate);
	if (v->baseline_error_rate > e->baseline_error_rate_max)
		judge(c, CHECK_FAILED, "baseline error rate %.4f above %.4f",
		    v->baseline_error_rate, e->baseline_error_rate_max);
}

static void
check_open(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	double want = (double)e->breaker_opens_within_ms / 1000.0;

	if (e->breaker_opens_within_ms < 0)
		return;
	for (size_t k = 0; k < v->naffected; k++) {
		struct check *c = add_check(v, "breaker_opens_within",
		    PHASE_TESTING, v->affected[k], want, UNIT_S);
		const struct sample_server *sv = NULL;

		for (size_t i = 0; i < t->last.nservers; i++)
			if (strcmp(t->last.servers[i].name,
			    v->affected[k]) == 0)
				sv = &t->last.servers[i];
		if (v->time_to_open_ms[k] >= 0)
			measured(c, (double)v->time_to_open_ms[k] / 1000.0);
		if (v->time_to_open_ms[k] < 0 && !phase_sampled(t))
			judge(c, CHECK_NOT_JUDGED, "no samples during testing");
		else if (v->time_to_open_ms[k] < 0 && (!sv ||
		    sv->breaker < 0))
			judge(c, CHECK_NOT_JUDGED, "the client reports no "
			    "breaker state for %s", v->affected[k]);
		else if (v->time_to_open_ms[k] < 0)
			judge(c, CHECK_FAILED, "breaker of %s did not open",
			    v->affected[k]);
		else if (v->time_to_open_ms[k] > e->breaker_opens_within_ms)
			judge(c, CHECK_FAILED, "breaker of %s opened after "
			    "%.1fs (expected within %.1fs)", v->affected[k],
			    (double)v->time_to_open_ms[k] / 1000.0, want);
	}
}

static void
check_testing_errors(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	struct check *c;

	if (e->testing_error_rate_min >= 0) {
		c = add_check(v, "testing_error_rate_min", PHASE_TESTING, NULL,
		    e->testing_error_rate_min, UNIT_RATIO);
		if (!phase_sampled(t) || t->ops <= 0)
			judge(c, CHECK_NOT_JUDGED,
			    "no operation completed during testing");
		else if (!t->last.have_status)
			judge(c, CHECK_NOT_JUDGED, NO_STATUS);
		else {
			measured(c, t->error_rate);
			if (t->error_rate < e->testing_error_rate_min)
				judge(c, CHECK_FAILED, "testing error rate "
				    "%.4f below %.4f: the fault did not show",
				    t->error_rate, e->testing_error_rate_min);
		}
	}
	if (e->other_error_rate_max >= 0) {
		c = add_check(v, "other_error_rate_max", PHASE_TESTING, NULL,
		    e->other_error_rate_max, UNIT_RATIO);
		if (phase_sampled(t) && !t->last.have_err_kind)
			judge(c, CHECK_NOT_JUDGED, "the client exports no "
			    "memcache_operation_errors_total: its errors by "
			    "server cannot be counted");
		else if (v->other_error_rate < 0)
			judge(c, CHECK_NOT_JUDGED, "no operation on a server "
			    "the fault does not touch during testing");
		else {
			measured(c, v->other_error_rate);
			if (v->other_error_rate > e->other_error_rate_max)
				judge(c, CHECK_FAILED, "error rate of the "
				    "unaffected servers %.4f above %.4f",
				    v->other_error_rate,
				    e->other_error_rate_max);
		}
	}
}

static void
check_throughput(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	struct check *c;

	if (e->throughput_min_ratio > 0) {
		c = add_check(v, "throughput_min_ratio", PHASE_TESTING, NULL,
		    e->throughput_min_ratio, UNIT_RATIO);
		if (v->baseline_ops_rate <= 0)
			judge(c, CHECK_NOT_JUDGED, "no baseline throughput "
			    "(no operations sampled during stabilization)");
		else if (v->throughput_ratio < 0)
			judge(c, CHECK_NOT_JUDGED, "no samples during testing");
		else {
			measured(c, v->throughput_ratio);
			if (v->throughput_ratio < e->throughput_min_ratio)
				judge(c, CHECK_FAILED, "throughput fell to "
				    "%.2f of the baseline (expected at least "
				    "%.2f)", v->throughput_ratio,
				    e->throughput_min_ratio);
		}
	}
	if (e->p99_max_ms > 0) {
		c = add_check(v, "p99_max", PHASE_TESTING, NULL,
		    (double)e->p99_max_ms, UNIT_MS);
		if (!phase_sampled(t) || t->p99_ms < 0)
			judge(c, CHECK_NOT_JUDGED, "no latency observed during "
			    "testing");
		else {
			measured(c, t->p99_ms);
			if (t->p99_ms > (double)e->p99_max_ms)
				judge(c, CHECK_FAILED, "p99 latency %.1f ms "
				    "above %.1f ms", t->p99_ms,
				    (double)e->p99_max_ms);
		}
	}
}

/* Isolation: each server no fault touches keeps its latency. */
static void
check_isolation(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *st = &v->phases[PHASE_STABILIZATION];
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	size_t before = v->nchecks;

	if (e->others_p99_max_ratio <= 0)
		return;
	for (size_t i = 0; i < t->nservers; i++) {
		const struct server_stats *ts = &t->servers[i];
		const struct server_stats *ss = find_server(st, ts->name);
		struct check *c;

		if (verdict_is_affected(v, ts->name))
			continue;
		c = add_check(v, "others_p99_max_ratio", PHASE_TESTING,
		    ts->name, e->others_p99_max_ratio, UNIT_RATIO);
		if (!ss || ss->p99_ms <= 0)
			judge(c, CHECK_NOT_JUDGED, "no latency of %s observed "
			    "during stabilization", ts->name);
		else if (ts->p99_ms < 0)
			judge(c, CHECK_NOT_JUDGED, "no latency of %s observed "
			    "during testing", ts->name);
		else {
			double r = ts->p99_ms / ss->p99_ms;
			measured(c, r);
			if (r > e->others_p99_max_ratio)
				judge(c, CHECK_FAILED, "p99 of %s rose %.1f "
				    "times (%.2f ms against %.2f ms in "
				    "stabilization; expected at most %.1f)",
				    ts->name, r, ts->p99_ms, ss->p99_ms,
				    e->others_p99_max_ratio);
		}
	}
	if (v->nchecks == before)
		judge(add_check(v, "others_p99_max_ratio", PHASE_TESTING, NULL,
		    e->others_p99_max_ratio, UNIT_RATIO), CHECK_NOT_JUDGED,
		    "no sampled server the fault does not touch");
}

static void
check_recovery(struct verdict *v, const struct expect_spec *e)
{
	const struct phase_stats *rc = &v->phases[PHASE_RECOVERY];
	double want = (double)e->recovers_within_ms / 1000.0;
	uint64_t len = rc->end_mono > rc->start_mono ?
	    rc->end_mono - rc->start_mono : 0;
	char why[VERDICT_WHY_MAX];
	int observable;
	struct check *c;

	if (e->recovers_within_ms < 0)
		return;
	observable = verdict_recovery_observable(len,
	    v->open_timeout_s >= 0 ? v->open_timeout_s * 1000.0 : -1, why,
	    sizeof why);
	c = add_check(v, "recovers_within", PHASE_RECOVERY, NULL, want, UNIT_S);
	/* Recovery is the error rate back under the baseline's, which
	 * failed_total measures. */
	if (phase_sampled(rc) && !rc->last.have_status)
		judge(c, CHECK_NOT_JUDGED, NO_STATUS);
	else if (v->time_to_recover_ms >= 0) {
		measured(c, (double)v->time_to_recover_ms / 1000.0);
		if (v->time_to_recover_ms > e->recovers_within_ms)
			judge(c, CHECK_FAILED, "recovered after %.1fs "
			    "(expected within %.1fs)",
			    (double)v->time_to_recover_ms / 1000.0, want);
	} else if (!phase_sampled(rc))
		judge(c, CHECK_NOT_JUDGED, "no samples during recovery");
	else if (!observable)
		judge(c, CHECK_NOT_JUDGED, "%s", why);
	else
		judge(c, CHECK_FAILED, "did not recover during the recovery "
		    "phase (%s)", v->not_recovered[0] ? v->not_recovered :
		    "no sample after the fault was removed");
	if (e->recover_throughput_ratio <= 0)
		return;
	c = add_check(v, "recover_throughput_ratio", PHASE_RECOVERY, NULL,
	    e->recover_throughput_ratio, UNIT_RATIO);
	if (v->baseline_ops_rate <= 0)
		judge(c, CHECK_NOT_JUDGED, "no baseline throughput (no "
		    "operations sampled during stabilization)");
	else if (v->time_to_recover_ms < 0)
		judge(c, CHECK_NOT_JUDGED, "the client did not recover: no "
		    "throughput after recovery to measure");
	else if (v->recovered_throughput_ratio < 0)
		judge(c, CHECK_NOT_JUDGED, "recovered at the end of the phase: "
		    "no throughput after recovery to measure");
	else {
		measured(c, v->recovered_throughput_ratio);
		if (v->recovered_throughput_ratio < e->recover_throughput_ratio)
			judge(c, CHECK_FAILED, "throughput after recovery "
			    "%.2f of the baseline (expected at least %.2f)",
			    v->recovered_throughput_ratio,
			    e->recover_throughput_ratio);
	}
}

int
verdict_recovery_observable(uint64_t recovery_ms, double open_timeout_ms,
    char *why, size_t len)
{
	double need = (double)VERDICT_SAMPLING_WINDOW_MS;

	if (open_timeout_ms > 0)
		need += open_timeout_ms;
	if ((double)recovery_ms >= need)
		return 1;
	if (open_timeout_ms > 0)
		snprintf(why, len, "recovery phase %g s is shorter than "
		    "breaker open time %g s + %g s sampling window: recovery "
		    "cannot be observed", (double)recovery_ms / 1000.0,
		    open_timeout_ms / 1000.0,
		    VERDICT_SAMPLING_WINDOW_MS / 1000.0);
	else
		snprintf(why, len, "recovery phase %g s is shorter than the "
		    "%g s sampling window: recovery cannot be observed",
		    (double)recovery_ms / 1000.0,
		    VERDICT_SAMPLING_WINDOW_MS / 1000.0);
	return 0;
}

void
verdict_judge(struct verdict *v)
{
	const struct expect_spec *e = &v->spec->expect;

	v->nchecks = 0;
	check_baseline(v, e);
	check_open(v, e);
	check_testing_errors(v, e);
	check_throughput(v, e);
	check_isolation(v, e);
	check_recovery(v, e);
	if (v->nsamples == 0) {
		/* Nothing was observed: no check says anything else. */
		for (size_t i = 0; i < v->nchecks; i++) {
			v->checks[i].have_measured = 0;
			judge(&v->checks[i], CHECK_NOT_JUDGED,
			    "no samples from the loadgen");
		}
	}
}
