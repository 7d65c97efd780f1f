/* Verdicts from loadgen samples. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "verdict.h"

const char *
check_result_text(enum check_result r)
{
	switch (r) {
	case CHECK_PASSED:
		return "passed";
	case CHECK_FAILED:
		return "failed";
	case CHECK_NOT_JUDGED:
		return "not_judged";
	}
	return "unknown";
}

const char *
check_unit_text(enum check_unit u)
{
	switch (u) {
	case UNIT_RATIO:
		return "ratio";
	case UNIT_MS:
		return "ms";
	case UNIT_S:
		return "s";
	}
	return "unknown";
}

const char *
run_status_text(enum run_status s)
{
	switch (s) {
	case RUN_SUCCESS:
		return "success";
	case RUN_FAILED:
		return "failed";
	case RUN_ABORTED:
		return "aborted";
	}
	return "unknown";
}

void
verdict_init(struct verdict *v, const struct scenario_spec *spec)
{
	memset(v, 0, sizeof *v);
	v->spec = spec;
	v->phase = PHASE_IDLE;
	v->time_to_recover_ms = -1;
	v->baseline_error_rate = -1;
	v->other_error_rate = -1;
	v->recover_threshold = VERDICT_RECOVER_FLOOR;
	v->baseline_ops_rate = -1;
	v->open_timeout_s = -1;
	v->throughput_ratio = -1;
	v->recovered_throughput_ratio = -1;
	for (size_t i = 0; i < spec->nfaults; i++) {
		const struct fault_spec *f = &spec->faults[i];
		for (size_t j = 0; j < f->nservers; j++) {
			size_t k;
			for (k = 0; k < v->naffected; k++)
				if (strcmp(v->affected[k], f->servers[j]) == 0)
					break;
			if (k == v->naffected)
				strlcpy_r(v->affected[v->naffected++],
				    f->servers[j], SPEC_NAME_MAX);
		}
	}
	for (size_t k = 0; k < NELEM(v->time_to_open_ms); k++)
		v->time_to_open_ms[k] = -1;
}

static int
is_affected(const struct verdict *v, const char *server)
{
	for (size_t k = 0; k < v->naffected; k++)
		if (strcmp(v->affected[k], server) == 0)
			return 1;
	return 0;
}

/* The error rate over a window of two samples. */
static double
window_error_rate(const struct lg_sample *a, const struct lg_sample *b)
{
	double ops = b->ops_total - a->ops_total;
	double failed = b->failed_total - a->failed_total;

	if (ops <= 0)
		return 0;
	if (failed < 0)
		failed = 0;
	return failed > ops ? 1.0 : failed / ops;
}

/* Operations per second between two samples; < 0 unknown. */
static double
window_ops_rate(const struct lg_sample *a, const struct lg_sample *b)
{
	double ops = b->ops_total - a->ops_total;

	if (b->mono_ms <= a->mono_ms)
		return -1;
	if (ops < 0)
		ops = 0;
	return ops * 1000.0 / (double)(b->mono_ms - a->mono_ms);
}

void
verdict_phase_start(struct verdict *v, enum phase p, uint64_t mono,
    double wall)
{
	struct phase_stats *ps;

	if (p == PHASE_IDLE || p > PHASE_RECOVERY)
		return;
	ps = &v->phases[p];
	ps->start_mono = mono;
	ps->start_wall = wall;
	/* The window begins with the last sample before the phase. */
	if (v->have_prev) {
		ps->base = v->prev;
		ps->have_base = 1;
	}
	if (p == PHASE_RECOVERY || p == PHASE_TESTING) {
		struct phase_stats *st = &v->phases[PHASE_STABILIZATION];
		if (v->baseline_error_rate < 0 && st->have_base &&
		    st->have_last)
			v->baseline_error_rate =
			    window_error_rate(&st->base, &st->last);
		if (v->baseline_ops_rate < 0 && st->have_base &&
		    st->have_last)
			v->baseline_ops_rate =
			    window_ops_rate(&st->base, &st->last);
		if (v->spec->expect.recover_error_rate >= 0)
			v->recover_threshold =
			    v->spec->expect.recover_error_rate;
		else
			v->recover_threshold = VERDICT_RECOVER_FLOOR;
		if (v->baseline_error_rate > v->recover_threshold)
			v->recover_threshold = v->baseline_error_rate;
	}
	v->phase = p;
}

void
verdict_phase_end(struct verdict *v, uint64_t mono, double wall)
{
	if (v->phase == PHASE_IDLE)
		return;
	v->phases[v->phase].end_mono = mono;
	v->phases[v->phase].end_wall = wall;
}

void
verdict_fault_applied(struct verdict *v, uint64_t mono)
{
	if (!v->applied) {
		v->applied = 1;
		v->applied_mono = mono;
	}
}

void
verdict_fault_removed(struct verdict *v, uint64_t mono)
{
	v->removed = 1;
	v->removed_mono = mono;
}

/* Every affected server's breaker is closed (or not reported); else
 * the index of one that is not. */
static int
breakers_closed(const struct verdict *v, const struct lg_sample *s,
    size_t *open)
{
	for (size_t k = 0; k < v->naffected; k++) {
		const struct sample_server *sv = NULL;
		for (size_t i = 0; i < s->nservers; i++)
			if (strcmp(s->servers[i].name, v->affected[k]) == 0)
				sv = &s->servers[i];
		if (sv && sv->breaker > 0) {
			*open = k;
			return 0;
		}
	}
	return 1;
}

/* The client's ops/s over the last VERDICT_RATE_WINDOW_MS up to `s`;
 * < 0 while the points do not reach that far back. */
static double
recent_ops_rate(const struct verdict *v, const struct lg_sample *s)
{
	for (size_t i = 0; i < v->rate_n; i++) {
		size_t k = (v->rate_head + VERDICT_RATE_POINTS - 1 - i) %
		    VERDICT_RATE_POINTS;
		if (v->rate_mono[k] + VERDICT_RATE_WINDOW_MS <= s->mono_ms) {
			double ops = s->ops_total - v->rate_ops[k];
			return (ops < 0 ? 0 : ops) * 1000.0 /
			    (double)(s->mono_ms - v->rate_mono[k]);
		}
	}
	return -1;
}

static void
remember_rate_point(struct verdict *v, const struct lg_sample *s)
{
	v->rate_mono[v->rate_head] = s->mono_ms;
	v->rate_ops[v->rate_head] = s->ops_total;
	v->rate_head = (v->rate_head + 1) % VERDICT_RATE_POINTS;
	if (v->rate_n < VERDICT_RATE_POINTS)
		v->rate_n++;
}

/* Recovered at `s`: error rate, breakers and throughput all back. If
 * not, says which is not in v->not_recovered. */
static int
recovered_at(struct verdict *v, const struct lg_sample *s, double rate)
{
	double need = v->spec->expect.recover_throughput_ratio;
	size_t open = 0;

	if (rate > v->recover_threshold) {
		snprintf(v->not_recovered, sizeof v->not_recovered,
		    "error rate %.4f over %.4f", rate, v->recover_threshold);
		return 0;
	}
	if (!breakers_closed(v, s, &open)) {
		snprintf(v->not_recovered, sizeof v->not_recovered,
		    "breaker of %s not closed", v->affected[open]);
		return 0;
	}
	if (need > 0 && v->baseline_ops_rate > 0) {
		double now = recent_ops_rate(v, s);
		if (now < 0) {
			snprintf(v->not_recovered, sizeof v->not_recovered,
			    "throughput not yet measured");
			return 0;
		}
		if (now < need * v->baseline_ops_rate) {
			snprintf(v->not_recovered, sizeof v->not_recovered,
			    "throughput %.2f of the baseline, under %.2f",
			    now / v->baseline_ops_rate, need);
			return 0;
		}
	}
	return 1;
}

void
verdict_add_sample(struct verdict *v, const struct lg_sample *s)
{
	struct phase_stats *ps;
	double rate;

	rate = s->have_error_rate ? s->error_rate :
	    (v->have_prev ? window_error_rate(&v->prev, s) : 0);
	if (v->phase != PHASE_IDLE) {
		ps = &v->phases[v->phase];
		if (!ps->have_base) {
			ps->base = *s;
			ps->have_base = 1;
		}
		ps->last = *s;
		ps->have_last = 1;
		ps->nsamples++;
		v->nsamples++;
		if (v->phase != PHASE_STABILIZATION &&
		    rate > v->peak_error_rate)
			v->peak_error_rate = rate;
	}
	if (v->phase == PHASE_TESTING && v->applied &&
	    s->mono_ms >= v->applied_mono) {
		for (size_t k = 0; k < v->naffected; k++) {
			if (v->time_to_open_ms[k] >= 0)
				continue;
			for (size_t i = 0; i < s->nservers; i++)
				if (strcmp(s->servers[i].name,
				    v->affected[k]) == 0 &&
				    s->servers[i].breaker >= 2)
					v->time_to_open_ms[k] = (int64_t)(
					    s->mono_ms - v->applied_mono);
		}
	}
	for (size_t k = 0; k < v->naffected; k++) {
		const struct sample_server *sv = NULL;
		for (size_t i = 0; i < s->nservers; i++)
			if (strcmp(s->servers[i].name, v->affected[k]) == 0)
				sv = &s->servers[i];
		if (sv && sv->open_timeout_s > v->open_timeout_s)
			v->open_timeout_s = sv->open_timeout_s;
	}
	if (v->phase == PHASE_RECOVERY && v->removed &&
	    v->time_to_recover_ms < 0 && s->mono_ms >= v->removed_mono &&
	    recovered_at(v, s, rate)) {
		v->time_to_recover_ms = (int64_t)(s->mono_ms - v->removed_mono);
		v->recovered_mono = s->mono_ms;
		v->recovered_ops = s->ops_total;
	}
	remember_rate_point(v, s);
	v->prev = *s;
	v->have_prev = 1;
}

/* The quantile of the difference of two bucket lists (see verdict.h). */
static double
buckets_quantile(const double *ble, const double *bcum, size_t bn,
    const double *le, const double *lcum, size_t n, double q)
{
	double cum[SAMPLE_MAX_BUCKETS];
	double total, rank, lo = 0, prev = 0;

	if (n == 0 || n > SAMPLE_MAX_BUCKETS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double b = 0;
		for (size_t j = 0; j < bn; j++)
			if (ble[j] == le[i])
				b = bcum[j];
		cum[i] = lcum[i] - b;
		if (cum[i] < 0)
			cum[i] = 0;
		/* Cumulative counts never go down; a reset would. */
		if (i && cum[i] < cum[i - 1])
			cum[i] = cum[i - 1];
	}
	total = cum[n - 1];
	if (total <= 0)
		return -1;
	rank = q * total;
	for (size_t i = 0; i < n; i++) {
		if (cum[i] >= rank) {
			double hi = le[i];
			if (isinf(hi))
				return i ? le[i - 1] : 0;
			if (cum[i] == prev)
				return hi;
			return lo + (hi - lo) * (rank - prev) / (cum[i] - prev);
		}
		lo = le[i];
		prev = cum[i];
	}
	return lo;
}

double
hist_quantile(const struct lg_sample *base, const struct lg_sample *last,
    double q)
{
	return buckets_quantile(base ? base->le : NULL, base ? base->cum : NULL,
	    base ? base->nbuckets : 0, last->le, last->cum, last->nbuckets, q);
}

double
server_quantile(const struct sample_server *base,
    const struct sample_server *last, double q)
{
	return buckets_quantile(base ? base->le : NULL, base ? base->cum : NULL,
	    base ? base->nbuckets : 0, last->le, last->cum, last->nbuckets, q);
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

static void
add_reason(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_reason(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ---- judging: the figures, then one check per expectation ---- */

static void
server_stats(struct phase_stats *ps)
{
	double dt = ps->last.mono_ms > ps->base.mono_ms ?
	    (double)(ps->last.mono_ms - ps->base.mono_ms) / 1000.0 : 0;

	ps->nservers = 0;
	for (size_t i = 0; i < ps->last.nservers; i++) {
		const struct sample_server *a = &ps->last.servers[i];
		const struct sample_server *b = NULL;
		struct server_stats *st = &ps->servers[ps->nservers++];
		double err;

		for (size_t j = 0; j < ps->base.nservers; j++)
			if (strcmp(ps->base.servers[j].name, a->name) == 0)
				b = &ps->base.servers[j];
		strlcpy_r(st->name, a->name, sizeof st->name);
		st->ops = a->ops - (b ? b->ops : 0);
		if (st->ops < 0)
			st->ops = 0;
		err = a->errors - (b ? b->errors : 0);
		st->ops_rate = dt > 0 ? st->ops / dt : -1;
		st->error_rate = st->ops > 0 ? (err <= 0 ? 0 :
		    (err > st->ops ? 1.0 : err / st->ops)) : -1;
		st->p50_ms = server_quantile(b, a, 0.5);
		st->p99_ms = server_quantile(b, a, 0.99);
		if (st->p50_ms >= 0)
			st->p50_ms *= 1000.0;
		if (st->p99_ms >= 0)
			st->p99_ms *= 1000.0;
	}
}

static void
phase_figures(struct phase_stats *ps)
{
	ps->ops = 0;
	ps->error_rate = 0;
	ps->p99_ms = -1;
	ps->p50_ms = -1;
	ps->ops_rate = -1;
	ps->nservers = 0;
	memset(ps->errors, 0, sizeof ps->errors);
	if (!ps->have_base || !ps->have_last)
		return;
	ps->ops = ps->last.ops_total - ps->base.ops_total;
	if (ps->ops < 0)
		ps->ops = 0;
	ps->error_rate = window_error_rate(&ps->base, &ps->last);
	ps->ops_rate = window_ops_rate(&ps->base, &ps->last);
	ps->p99_ms = hist_quantile(&ps->base, &ps->last, 0.99);
	if (ps->p99_ms >= 0)
		ps->p99_ms *= 1000.0;
	ps->p50_ms = hist_quantile(&ps->base, &ps->last, 0.5);
	if (ps->p50_ms >= 0)
		ps->p50_ms *= 1000.0;
	for (int k = 0; k < ERRK__COUNT; k++) {
		ps->errors[k] = ps->last.err_kind[k] - ps->base.err_kind[k];
		if (ps->errors[k] < 0)
			ps->errors[k] = 0;
	}
	server_stats(ps);
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
		if (v->other_error_rate < 0)
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

		if (is_affected(v, ts->name))
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
	if (v->time_to_recover_ms >= 0) {
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

/* The servers the fault did not touch, during testing. */
static void
other_error_rate(struct verdict *v)
{
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	double ops = 0, err = 0;

	if (!t->have_base || !t->have_last)
		return;
	for (size_t i = 0; i < t->last.nservers; i++) {
		const struct sample_server *a = &t->last.servers[i];
		const struct sample_server *b = NULL;
		if (is_affected(v, a->name))
			continue;
		for (size_t j = 0; j < t->base.nservers; j++)
			if (strcmp(t->base.servers[j].name, a->name) == 0)
				b = &t->base.servers[j];
		ops += a->ops - (b ? b->ops : 0);
		err += a->errors - (b ? b->errors : 0);
	}
	if (ops > 0)
		v->other_error_rate = err <= 0 ? 0 :
		    (err > ops ? 1.0 : err / ops);
}

enum run_status
verdict_finish(struct verdict *v, char *reason, size_t len)
{
	const struct expect_spec *e = &v->spec->expect;
	const struct phase_stats *t = &v->phases[PHASE_TESTING];
	const struct phase_stats *rc = &v->phases[PHASE_RECOVERY];
	int bad = 0;

	if (len)
		reason[0] = '\0';
	for (int p = PHASE_STABILIZATION; p <= PHASE_RECOVERY; p++)
		phase_figures(&v->phases[p]);
	if (v->baseline_error_rate < 0 &&
	    v->phases[PHASE_STABILIZATION].have_last)
		v->baseline_error_rate =
		    v->phases[PHASE_STABILIZATION].error_rate;
	if (v->baseline_ops_rate < 0)
		v->baseline_ops_rate = v->phases[PHASE_STABILIZATION].ops_rate;
	other_error_rate(v);
	if (v->baseline_ops_rate > 0 && t->ops_rate >= 0)
		v->throughput_ratio = t->ops_rate / v->baseline_ops_rate;
	if (v->baseline_ops_rate > 0 && v->time_to_recover_ms >= 0 &&
	    rc->have_last && rc->last.mono_ms >= v->recovered_mono +
	    SAMPLER_INTERVAL_MS) {
		double ops = rc->last.ops_total - v->recovered_ops;
		v->recovered_throughput_ratio = (ops < 0 ? 0 : ops) * 1000.0 /
		    (double)(rc->last.mono_ms - v->recovered_mono) /
		    v->baseline_ops_rate;
	}

	v->nchecks = 0;
	check_baseline(v, e);
	check_open(v, e);
	check_testing_errors(v, e);
	check_throughput(v, e);
	check_isolation(v, e);
	check_recovery(v, e);
	if (v->nsamples == 0 && v->nchecks) {
		/* Nothing was observed: no check says anything else. */
		for (size_t i = 0; i < v->nchecks; i++) {
			v->checks[i].have_measured = 0;
			judge(&v->checks[i], CHECK_NOT_JUDGED,
			    "no samples from the loadgen");
		}
		add_reason(reason, len, "no samples from the loadgen: "
		    "expectations cannot be checked");
		return RUN_FAILED;
	}
	for (size_t i = 0; i < v->nchecks; i++) {
		const struct check *c = &v->checks[i];

		if (c->result == CHECK_FAILED)
			add_reason(reason, len, "%s: %s", c->name, c->why);
		else if (c->result == CHECK_NOT_JUDGED)
			add_reason(reason, len, "%s could not be judged: %s",
			    c->name, c->why);
		if (c->result != CHECK_PASSED)
			bad = 1;
	}
	return bad ? RUN_FAILED : RUN_SUCCESS;
}
