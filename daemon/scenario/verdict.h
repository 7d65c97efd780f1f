/* Verdicts: a run's figures computed from loadgen samples, checked
 * against the scenario's `expect`. Pure: no I/O, times given by the
 * caller. */
#ifndef RELIABD_SCENARIO_VERDICT_H
#define RELIABD_SCENARIO_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "promtext.h"
#include "runargs.h"
#include "sampler.h"
#include "spec.h"

/* "Recovered" means the error rate is back under max(baseline, this)
 * unless the scenario names its own floor. */
#define VERDICT_RECOVER_FLOOR 0.01
/* Throughput "now" is measured over this much of the latest samples. */
#define VERDICT_RATE_WINDOW_MS 1000
/* Recent (time, ops) points kept for that window: 200 ms samples. */
#define VERDICT_RATE_POINTS 16
#define VERDICT_MAX_CHECKS 96
#define VERDICT_WHY_MAX 200
/* A run's (or one client's) reason, as the record keeps it. */
#define VERDICT_REASON_MAX 1024

enum run_status {
	RUN_SUCCESS,
	RUN_FAILED,
	RUN_ABORTED,
};
const char *run_status_text(enum run_status s);

enum check_result {
	CHECK_PASSED,
	CHECK_FAILED,
	CHECK_NOT_JUDGED,
};
const char *check_result_text(enum check_result r);

enum check_unit {
	UNIT_RATIO,
	UNIT_MS,
	UNIT_S,
};
const char *check_unit_text(enum check_unit u);

/* One check of the steady-state hypothesis, as the record shows it. */
struct check {
	const char *name;            /* the expect key (static) */
	enum phase phase;            /* PHASE_IDLE: the whole run */
	char server[SPEC_NAME_MAX];  /* "": the whole client */
	double expected;
	double measured;
	int have_measured;
	enum check_unit unit;
	enum check_result result;
	char why[VERDICT_WHY_MAX];   /* "" when passed */
};

/* One server's figures over a phase; negative: unknown. */
struct server_stats {
	char name[SPEC_NAME_MAX];
	double ops, ops_rate, error_rate, p50_ms, p99_ms;
};

struct phase_stats {
	double start_wall, end_wall;   /* 0 when the phase never ran */
	uint64_t start_mono, end_mono;
	int have_base, have_last;
	size_t nsamples;
	struct lg_sample base, last;
	/* Computed by verdict_finish. */
	double ops, error_rate, p99_ms; /* p99_ms < 0: unknown */
	double ops_rate, p50_ms;        /* < 0: unknown */
	double errors[ERRK__COUNT];     /* failed operations by kind */
	struct server_stats servers[SAMPLE_MAX_SERVERS];
	size_t nservers;
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
	/* Throughput: the stabilization's ops/s (< 0 unknown), and the
	 * recent points the recovery's "now" is measured over. */
	double baseline_ops_rate;
	uint64_t rate_mono[VERDICT_RATE_POINTS];
	double rate_ops[VERDICT_RATE_POINTS];
	size_t rate_n, rate_head;
	/* The sample recovery was seen at, and why not yet at the last. */
	uint64_t recovered_mono;
	double recovered_ops;
	char not_recovered[VERDICT_WHY_MAX];
	double open_timeout_s;       /* the affected breakers'; < 0 unknown */
	/* Computed by verdict_finish. */
	double throughput_ratio;            /* < 0 unknown */
	double recovered_throughput_ratio;  /* < 0 unknown */
	struct check checks[VERDICT_MAX_CHECKS];
	size_t nchecks;
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

/* One run's status from its clients' verdicts (`n` >= 1): aborted if
 * any is; else, with `compare`, success (the run completed: the
 * verdicts are informative); else success only when every client's is. */
enum run_status verdict_combine(const enum run_status *st, size_t n,
    int compare);
/* The run's reason from its clients': one client, its reason unchanged;
 * several, "NAME: reason" for each that did not pass; compared,
 * "compared: a success, b failed". */
void verdict_combine_reason(const char (*names)[RUN_CLIENT_NAME_MAX],
    const enum run_status *st, const char (*reasons)[VERDICT_REASON_MAX],
    size_t n, int compare, char *out, size_t len);

/* The q-quantile (0..1) of the histogram difference last - base, in the
 * histogram's unit, interpolated like Prometheus' histogram_quantile; -1
 * when there were no observations. */
double hist_quantile(const struct lg_sample *base, const struct lg_sample *last,
    double q);
/* The same over one server's buckets (base may be NULL). */
double server_quantile(const struct sample_server *base,
    const struct sample_server *last, double q);

/* Whether `server` is one a fault touches. */
int verdict_is_affected(const struct verdict *v, const char *server);
/* Fills v->checks from the figures (checks.c); verdict_finish calls it. */
void verdict_judge(struct verdict *v);

/* Whether a recovery phase of `recovery_ms` can see recovery when the
 * breakers stay open `open_timeout_ms` (< 0 unknown): 1, or 0 with the
 * sentence saying why not in `why`. */
int verdict_recovery_observable(uint64_t recovery_ms, double open_timeout_ms,
    char *why, size_t len);
/* The sampling window recovery is measured over, in ms. */
#define VERDICT_SAMPLING_WINDOW_MS (VERDICT_RATE_WINDOW_MS + \
	SAMPLER_INTERVAL_MS)

#endif
