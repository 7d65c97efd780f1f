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

/* ---- the figures of each phase (checks.c judges them) ---- */

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
		if (verdict_is_affected(v, a->name))
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

	verdict_judge(v);
	if (v->nsamples == 0 && v->nchecks) {
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

/* ---- several clients: one run's status ---- */

enum run_status
verdict_combine(const enum run_status *st, size_t n, int compare)
{
	enum run_status all = RUN_SUCCESS;

	for (size_t i = 0; i < n; i++) {
		if (st[i] == RUN_ABORTED)
			return RUN_ABORTED;
		if (st[i] != RUN_SUCCESS)
			all = RUN_FAILED;
	}
	/* Compared, the clients' verdicts inform: the run completed. */
	return compare ? RUN_SUCCESS : all;
}

void
verdict_combine_reason(const char (*names)[RUN_CLIENT_NAME_MAX],
    const enum run_status *st, const char (*reasons)[VERDICT_REASON_MAX],
    size_t n, int compare, char *out, size_t len)
{
	if (len == 0)
		return;
	out[0] = '\0';
	/* One client: its reason as it always read. */
	if (n == 1 && !compare) {
		snprintf(out, len, "%s", reasons[0]);
		return;
	}
	if (compare)
		snprintf(out, len, "compared:");
	for (size_t i = 0; i < n; i++) {
		size_t used = strnlen(out, len);

		if (compare)
			snprintf(out + used, len - used, "%s %s %s",
			    i ? "," : "", names[i][0] ? names[i] : "-",
			    run_status_text(st[i]));
		else if (st[i] != RUN_SUCCESS)
			add_reason(out, len, "%s: %s", names[i][0] ? names[i] :
			    "-", reasons[i]);
	}
}
