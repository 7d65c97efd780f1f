/* The run state machine: a job's runs through stabilization, testing
 * (faults on, flapping if the scenario has a pattern) and recovery, one
 * after another, then idle; and, while idle, the retry of faults the
 * ledger still lists. Driven by runner_tick() with an injected clock;
 * what the world sees (metrics, events, the journal) goes to an
 * observer. runner_set_state() is the one place the state changes.
 *
 *   IDLE/CLEANING --start--> STABILIZATION --end--> TESTING --end-->
 *   RECOVERY --end--> STABILIZATION (next run) | IDLE/CLEANING (done)
 *   STABILIZATION/TESTING/RECOVERY --stop--> IDLE/CLEANING
 *   CLEANING --ledger empty--> IDLE
 *
 * Between two runs the finished run is published idle, as the phase
 * gauge and watchers always saw it. */
#ifndef RELIABD_SCENARIO_RUNNER_H
#define RELIABD_SCENARIO_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "faults.h"
#include "flap.h"
#include "playlist.h"
#include "promtext.h"
#include "spec.h"
#include "verdict.h"

/* A faults retry, while idle, this often. */
#define RUNNER_CLEANUP_RETRY_MS 1000

enum runner_state {
	RUNNER_IDLE,           /* no job; nothing left on the proxy */
	RUNNER_CLEANING,       /* no job; the ledger lists faults that could
				* not be removed yet: retried */
	RUNNER_STABILIZATION,
	RUNNER_TESTING,
	RUNNER_RECOVERY,
};
const char *runner_state_text(enum runner_state s);
/* The phase a state shows (scenario_phase): idle for both idle states. */
enum phase runner_state_phase(enum runner_state s);

struct run_clock {
	uint64_t (*mono_ms)(void *arg);
	double (*wall)(void *arg);  /* unix seconds */
	void *arg;
};
/* The machine's clock. */
extern const struct run_clock run_clock_system;

/* One run of one scenario. */
struct run {
	char id[80];
	struct scenario_spec spec;
	uint64_t dur[4];            /* by enum phase; 0 unused */
	enum phase phase;
	uint64_t phase_start_mono, phase_end_mono;
	double phase_start_wall;
	double started_wall;
	unsigned loop;              /* 1-based */
	struct fault_set faults;
	struct flap flap;
	struct verdict verdict;     /* the first client's, or the only one */
	/* Every client's verdict, judged apart: verdicts[0] is &verdict,
	 * the others on the heap. nclients >= 1: one unnamed ("") when no
	 * client is named (a worker run by hand, the tests). */
	struct verdict *verdicts[RUN_CLIENTS_MAX];
	char clients[RUN_CLIENTS_MAX][RUN_CLIENT_NAME_MAX];
	size_t nclients;
	/* Set by finish_run: each client's own verdict and reason. */
	enum run_status client_status[RUN_CLIENTS_MAX];
	char client_reason[RUN_CLIENTS_MAX][VERDICT_REASON_MAX];
	int compare;                /* the job's --compare */
	char proxy_version[64];
	int proxy_builtin;
};

struct runner_observer {
	/* The run entered r->phase (idle: it is over). */
	void (*phase)(void *arg, const struct run *r);
	/* The run is judged; before it is published idle. */
	void (*finished)(void *arg, const struct run *r, enum run_status st,
	    const char *reason, const struct playlist *pl);
	/* The job is over. */
	void (*done)(void *arg, const struct playlist *pl, int aborted);
	/* Loadgen sampling is needed (a run is on) or not. */
	void (*sampling)(void *arg, int on);
	/* Which proxy this is (builtin or a real Toxiproxy), asked before
	 * each run; -1 when it does not answer. */
	int (*probe)(void *arg, int *builtin, char *version, size_t vlen,
	    char *err, size_t errlen);
	void *arg;
};

struct runner {
	enum runner_state state;
	struct run_clock clock;
	struct faults *faults;
	struct runner_observer obs;
	struct playlist pl;
	struct run *run;
	uint64_t next_cleanup;
	/* The clients each run judges, in the samplers' order. */
	char clients[RUN_CLIENTS_MAX][RUN_CLIENT_NAME_MAX];
	size_t nclients;
};

/* Idle, or cleaning when the ledger lists faults. */
void runner_init(struct runner *rn, const struct run_clock *clock,
    struct faults *faults, const struct runner_observer *obs);
void runner_free(struct runner *rn);
void runner_set_state(struct runner *rn, enum runner_state to);
int runner_busy(const struct runner *rn);

/* Starts the job `pl` (taken over: *pl is emptied) with its first run.
 * -1 when a job is on already. */
int runner_start(struct runner *rn, struct playlist *pl);
/* Removes what the ledger lists now. 0 when nothing is left. */
int runner_cleanup(struct runner *rn);
/* Aborts the run (faults removed first, journaled aborted) and the rest
 * of the job. Returns whether something was running. */
int runner_stop(struct runner *rn, const char *reason);
/* Advances the machine to now; returns ms until its next deadline, or
 * -1 for none. */
int runner_tick(struct runner *rn);
/* The clients runs judge from now on (at most RUN_CLIENTS_MAX; none:
 * one unnamed). */
void runner_set_clients(struct runner *rn, const char *const *names,
    size_t n);
/* Loadgen samples of client `client` (runner_set_clients' index) for the
 * current run's verdicts. */
void runner_samples(struct runner *rn, size_t client,
    const struct lg_sample *s, size_t n);

#endif
