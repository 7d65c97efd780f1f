/* Verdicts from loadgen samples. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verdict.h"

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

/* Every affected server's breaker is closed (or not reported). */
static int
breakers_closed(const struct verdict *v, const struct lg_sample *s)
{
	for (size_t k = 0; k < v->naffected; k++) {
		const struct sample_server *sv = NULL;
		for (size_t i = 0; i < s->nservers; i++)
			if (strcmp(s->servers[i].name, v->affected[k]) == 0)
				sv = &s->servers[i];
		if (sv && sv->breaker > 0)
			return 0;
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
	if (v->phase == PHASE_RECOVERY && v->removed &&
	    v->time_to_recover_ms < 0 && s->mono_ms >= v->removed_mono &&
	    rate <= v->recover_threshold && breakers_closed(v, s))
		v->time_to_recover_ms = (int64_t)(s->mono_ms - v->removed_mono);
	v->prev = *s;
	v->have_prev = 1;
}

double
hist_quantile(const struct lg_sample *base, const struct lg_sample *last,
    double q)
{
	double cum[SAMPLE_MAX_BUCKETS];
	double total, rank, lo = 0, prev = 0;
	size_t n = last->nbuckets;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double b = 0;
		if (base)
			for (size_t j = 0; j < base->nbuckets; j++)
				if (base->le[j] == last->le[i])
					b = base->cum[j];
		cum[i] = last->cum[i] - b;
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
			double hi = last->le[i];
			if (isinf(hi))
				return i ? last->le[i - 1] : 0;
			if (cum[i] == prev)
				return hi;
			return lo + (hi - lo) * (rank - prev) / (cum[i] - prev);
		}
		lo = last->le[i];
		prev = cum[i];
	}
	return lo;
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

enum run_status
verdict_finish(struct verdict *v, char *reason, size_t len)
{
	const struct expect_spec *e = &v->spec->expect;
	struct phase_stats *t = &v->phases[PHASE_TESTING];

	if (len)
		reason[0] = '\0';
	for (int p = PHASE_STABILIZATION; p <= PHASE_RECOVERY; p++) {
		struct phase_stats *ps = &v->phases[p];
		ps->ops = 0;
		ps->error_rate = 0;
		ps->p99_ms = -1;
		if (!ps->have_base || !ps->have_last)
			continue;
		ps->ops = ps->last.ops_total - ps->base.ops_total;
		if (ps->ops < 0)
			ps->ops = 0;
		ps->error_rate = window_error_rate(&ps->base, &ps->last);
		ps->p99_ms = hist_quantile(&ps->base, &ps->last, 0.99);
		if (ps->p99_ms >= 0)
			ps->p99_ms *= 1000.0;
	}
	if (v->baseline_error_rate < 0 &&
	    v->phases[PHASE_STABILIZATION].have_last)
		v->baseline_error_rate =
		    v->phases[PHASE_STABILIZATION].error_rate;
	/* The servers the fault did not touch, during testing. */
	if (t->have_base && t->have_last) {
		double ops = 0, err = 0;
		for (size_t i = 0; i < t->last.nservers; i++) {
			const struct sample_server *a = &t->last.servers[i];
			const struct sample_server *b = NULL;
			if (is_affected(v, a->name))
				continue;
			for (size_t j = 0; j < t->base.nservers; j++)
				if (strcmp(t->base.servers[j].name,
				    a->name) == 0)
					b = &t->base.servers[j];
			ops += a->ops - (b ? b->ops : 0);
			err += a->errors - (b ? b->errors : 0);
		}
		if (ops > 0)
			v->other_error_rate = err <= 0 ? 0 :
			    (err > ops ? 1.0 : err / ops);
	}

	if (v->nsamples == 0) {
		if (e->breaker_opens_within_ms >= 0 ||
		    e->recovers_within_ms >= 0 ||
		    e->baseline_error_rate_max >= 0 ||
		    e->testing_error_rate_min >= 0 ||
		    e->other_error_rate_max >= 0) {
			add_reason(reason, len,
			    "no samples from the loadgen: expectations "
			    "cannot be checked");
			return RUN_FAILED;
		}
		return RUN_SUCCESS;
	}
	if (e->baseline_error_rate_max >= 0) {
		if (v->phases[PHASE_STABILIZATION].ops <= 0)
			add_reason(reason, len,
			    "no operations during stabilization");
		else if (v->baseline_error_rate > e->baseline_error_rate_max)
			add_reason(reason, len,
			    "baseline error rate %.4f above %.4f",
			    v->baseline_error_rate,
			    e->baseline_error_rate_max);
	}
	if (e->breaker_opens_within_ms >= 0) {
		for (size_t k = 0; k < v->naffected; k++) {
			if (v->time_to_open_ms[k] < 0)
				add_reason(reason, len,
				    "breaker of %s did not open",
				    v->affected[k]);
			else if (v->time_to_open_ms[k] >
			    e->breaker_opens_within_ms)
				add_reason(reason, len,
				    "breaker of %s opened after %.1fs "
				    "(expected within %.1fs)", v->affected[k],
				    (double)v->time_to_open_ms[k] / 1000.0,
				    (double)e->breaker_opens_within_ms /
				    1000.0);
		}
	}
	if (e->recovers_within_ms >= 0) {
		if (v->time_to_recover_ms < 0)
			add_reason(reason, len,
			    "did not recover during the recovery phase "
			    "(error rate over %.4f or a breaker not closed)",
			    v->recover_threshold);
		else if (v->time_to_recover_ms > e->recovers_within_ms)
			add_reason(reason, len,
			    "recovered after %.1fs (expected within %.1fs)",
			    (double)v->time_to_recover_ms / 1000.0,
			    (double)e->recovers_within_ms / 1000.0);
	}
	if (e->testing_error_rate_min >= 0 &&
	    t->error_rate < e->testing_error_rate_min)
		add_reason(reason, len,
		    "testing error rate %.4f below %.4f: the fault did not "
		    "show", t->error_rate, e->testing_error_rate_min);
	if (e->other_error_rate_max >= 0 &&
	    v->other_error_rate > e->other_error_rate_max)
		add_reason(reason, len,
		    "error rate of the unaffected servers %.4f above %.4f",
		    v->other_error_rate, e->other_error_rate_max);
	return reason[0] ? RUN_FAILED : RUN_SUCCESS;
}
