/* Verdicts: a run's figures computed from loadgen samples, checked
 * against the scenario's `expect`. Pure: no I/O, times given by the
 * caller. */
#ifndef RELIABD_SCENARIO_VERDICT_H
#define RELIABD_SCENARIO_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "promtext.h"
#include "spec.h"

/* "Recovered" means the error rate is back under max(baseline, this)
 * unless the scenario names its own floor. */
#define VERDICT_RECOVER_FLOOR 0.01

enum run_status {
	RUN_SUCCESS,
	RUN_FAILED,
	RUN_ABORTED,
};
const char *run_status_text(enum run_status s);

struct phase_stats {
	double start_wall, end_wall;   /* 0 when the phase never ran */
	uint64_t start_mono, end_mono;
	int have_base, have_last;
	size_t nsamples;
	struct lg_sample base, last;
	/* Computed by verdict_finish. */
	double ops, error_rate, p99_ms; /* p99_ms < 0: unknown */
};

struct verdict {
	const struct scenario_spec *spec;
	enum phase phase;
	struct phase_stats phases[4]; /* indexed by enum phase; 0 unused */
	char affected[SPEC_MAX_SERVERS * SPEC_MAX_FAULTS][SPEC_NAME_MAX];
	size_t naffected;
	int64_t time_to_open_ms[SPEC_MAX_SERVERS * SPEC_MAX_FAULTS];
	uint64_t applied_mono, removed_mono;
	int applied, removed;
	int64_t time_to_recover_ms;
	double baseline_error_rate;  /* < 0 unknown */
	double recover_threshold;
	double peak_error_rate;
	size_t nsamples;
	struct lg_sample prev;
	int have_prev;
	double other_error_rate;     /* testing; < 0 unknown */
};

void verdict_init(struct verdict *v, const struct scenario_spec *spec);
void verdict_phase_start(struct verdict *v, enum phase p, uint64_t mono,
    double wall);
void verdict_phase_end(struct verdict *v, uint64_t mono, double wall);
void verdict_fault_applied(struct verdict *v, uint64_t mono);
void verdict_fault_removed(struct verdict *v, uint64_t mono);
void verdict_add_sample(struct verdict *v, const struct lg_sample *s);
/* Computes the figures and checks `expect`: RUN_SUCCESS or RUN_FAILED
 * with the reason(s) in `reason`. */
enum run_status verdict_finish(struct verdict *v, char *reason,
    size_t len);

/* The q-quantile (0..1) of the histogram difference last - base, in the
 * histogram's unit, interpolated like Prometheus' histogram_quantile; -1
 * when there were no observations. */
double hist_quantile(const struct lg_sample *base, const struct lg_sample *last,
    double q);

#endif
