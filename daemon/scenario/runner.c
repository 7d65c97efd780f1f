/* The run state machine (see runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static uint64_t
sys_mono_ms(void *arg)
{
	(void)arg;
	return now_mono_ms();
}

static double
sys_wall(void *arg)
{
	(void)arg;
	return now_wall();
}

const struct run_clock run_clock_system = { sys_mono_ms, sys_wall, NULL };

const char *
runner_state_text(enum runner_state s)
{
	switch (s) {
	case RUNNER_IDLE:
		return "idle";
	case RUNNER_CLEANING:
		return "cleaning";
	case RUNNER_STABILIZATION:
		return "stabilization";
	case RUNNER_TESTING:
		return "testing";
	case RUNNER_RECOVERY:
		return "recovery";
	}
	return "unknown";
}

enum phase
runner_state_phase(enum runner_state s)
{
	switch (s) {
	case RUNNER_STABILIZATION:
		return PHASE_STABILIZATION;
	case RUNNER_TESTING:
		return PHASE_TESTING;
	case RUNNER_RECOVERY:
		return PHASE_RECOVERY;
	case RUNNER_IDLE:
	case RUNNER_CLEANING:
		break;
	}
	return PHASE_IDLE;
}

static uint64_t
mono(const struct runner *rn)
{
	return rn->clock.mono_ms(rn->clock.arg);
}

static double
wall(const struct runner *rn)
{
	return rn->clock.wall(rn->clock.arg);
}

void
runner_init(struct runner *rn, const struct run_clock *clock,
    struct faults *faults, const struct runner_observer *obs)
{
	memset(rn, 0, sizeof *rn);
	rn->clock = *clock;
	rn->faults = faults;
	rn->obs = *obs;
	rn->state = faults_pending(faults) ? RUNNER_CLEANING : RUNNER_IDLE;
}

static void
free_run(struct run *r)
{
	if (!r)
		return;
	fault_set_free(&r->faults);
	for (size_t i = 1; i < r->nclients; i++)
		free(r->verdicts[i]);
	free(r);
}

void
runner_free(struct runner *rn)
{
	free_run(rn->run);
	rn->run = NULL;
	playlist_free(&rn->pl);
}

int
runner_busy(const struct runner *rn)
{
	return rn->state != RUNNER_IDLE && rn->state != RUNNER_CLEANING;
}

/* Idle, or cleaning while the ledger lists faults. */
static enum runner_state
rest_state(const struct runner *rn)
{
	return faults_pending(rn->faults) ? RUNNER_CLEANING : RUNNER_IDLE;
}

void
runner_set_state(struct runner *rn, enum runner_state to)
{
	if (rn->state == to)
		return;
	log_debug("%s -> %s", runner_state_text(rn->state),
	    runner_state_text(to));
	rn->state = to;
	if (rn->run)
		rn->run->phase = runner_state_phase(to);
	if (to == RUNNER_CLEANING)
		rn->next_cleanup = mono(rn) + RUNNER_CLEANUP_RETRY_MS;
}

/* A run phase begins: faults change before anything is published, since
 * the proxy is what the timing promise is about. */
static void
enter_phase(struct runner *rn, enum runner_state to)
{
	struct run *r = rn->run;
	uint64_t now = mono(rn);
	double w = wall(rn);
	enum phase p = runner_state_phase(to);

	for (size_t i = 0; i < r->nclients; i++)
		verdict_phase_end(r->verdicts[i], now, w);
	runner_set_state(rn, to);
	r->phase_start_mono = now;
	r->phase_start_wall = w;
	r->phase_end_mono = now + r->dur[p];
	for (size_t i = 0; i < r->nclients; i++)
		verdict_phase_start(r->verdicts[i], p, now, w);
	if (to == RUNNER_TESTING) {
		if (faults_apply(rn->faults, &r->faults, w) == 0)
			for (size_t i = 0; i < r->nclients; i++)
				verdict_fault_applied(r->verdicts[i], now);
		flap_start(&r->flap, r->spec.pattern_on_ms,
		    r->spec.pattern_off_ms, now);
	} else if (to == RUNNER_RECOVERY) {
		flap_stop(&r->flap);
		faults_remove(rn->faults, &r->faults, w);
		for (size_t i = 0; i < r->nclients; i++)
			verdict_fault_removed(r->verdicts[i], now);
	}
	if (rn->obs.phase)
		rn->obs.phase(rn->obs.arg, r);
}

/* The run ends: judged, told, published idle, freed. */
static void
finish_run(struct runner *rn, int aborted, const char *abort_reason)
{
	struct run *r = rn->run;
	enum run_status st;
	char reason[VERDICT_REASON_MAX] = "";

	flap_stop(&r->flap);
	faults_remove(rn->faults, &r->faults, wall(rn));
	for (size_t i = 0; i < r->nclients; i++)
		verdict_phase_end(r->verdicts[i], mono(rn), wall(rn));
	if (rn->obs.sampling)
		rn->obs.sampling(rn->obs.arg, 0);
	for (size_t i = 0; i < r->nclients; i++) {
		/* An aborted run's figures are still computed and kept. */
		r->client_status[i] = verdict_finish(r->verdicts[i],
		    r->client_reason[i], aborted ? 0 :
		    sizeof r->client_reason[i]);
		if (aborted)
			r->client_status[i] = RUN_ABORTED;
	}
	if (aborted) {
		st = RUN_ABORTED;
		snprintf(reason, sizeof reason, "%s", abort_reason);
	} else {
		st = verdict_combine(r->client_status, r->nclients,
		    r->compare);
		verdict_combine_reason(r->clients, r->client_status,
		    r->client_reason, r->nclients, r->compare, reason,
		    sizeof reason);
		if (r->faults.apply_error[0]) {
			st = RUN_FAILED;
			snprintf(reason, sizeof reason, "%s",
			    r->faults.apply_error);
		}
	}
	playlist_count(&rn->pl, st == RUN_SUCCESS);
	if (rn->obs.finished)
		rn->obs.finished(rn->obs.arg, r, st, reason, &rn->pl);
	log_info("%s %s: %s%s%s", r->id, r->spec.name, run_status_text(st),
	    reason[0] ? ": " : "", reason);
	/* Idle after the verdict: a watcher that sees idle has the run. */
	runner_set_state(rn, rest_state(rn));
	r->phase_start_wall = wall(rn);
	if (rn->obs.phase)
		rn->obs.phase(rn->obs.arg, r);
	free_run(r);
	rn->run = NULL;
}

/* The job is over: reliabctl's --wait learns the outcome from this. */
static void
job_done(struct runner *rn, int aborted)
{
	runner_set_state(rn, rest_state(rn));
	if (rn->obs.done)
		rn->obs.done(rn->obs.arg, &rn->pl, aborted);
	log_info("%s: done, %u runs, %u not successful", rn->pl.batch,
	    rn->pl.runs, rn->pl.bad);
}

static void
start_run(struct runner *rn)
{
	const struct scenario_spec *spec = playlist_current(&rn->pl);
	struct run *r;
	char err[256];

	/* A removal that failed earlier (a busy proxy) is retried before
	 * every run: a looping job never rests, where the retry lives. */
	if (faults_pending(rn->faults) && faults_cleanup(rn->faults) != 0)
		log_warn("%zu fault(s) from an earlier run could not be "
		    "removed; this run starts with them applied",
		    faults_pending(rn->faults));
	r = calloc(1, sizeof *r);
	if (!r || !spec)
		goto nomem;
	r->spec = *spec;
	r->dur[PHASE_STABILIZATION] = rn->pl.args.stabilization_ms ?
	    rn->pl.args.stabilization_ms : r->spec.stabilization_ms;
	r->dur[PHASE_TESTING] = rn->pl.args.testing_ms ?
	    rn->pl.args.testing_ms : r->spec.testing_ms;
	r->dur[PHASE_RECOVERY] = rn->pl.args.recovery_ms ?
	    rn->pl.args.recovery_ms : r->spec.recovery_ms;
	r->loop = rn->pl.iteration + 1;
	snprintf(r->id, sizeof r->id, "%s-%u", rn->pl.batch, ++rn->pl.seq);
	r->started_wall = wall(rn);
	/* Which proxy this is decides how `loss` is expressed. */
	r->proxy_builtin = 1;
	strlcpy_r(r->proxy_version, "unknown", sizeof r->proxy_version);
	if (rn->obs.probe && rn->obs.probe(rn->obs.arg, &r->proxy_builtin,
	    r->proxy_version, sizeof r->proxy_version, err,
	    sizeof err) != 0) {
		log_warn("%s: proxy API: %s", r->id, err);
		r->proxy_builtin = 1;
		strlcpy_r(r->proxy_version, "unknown",
		    sizeof r->proxy_version);
	}
	if (fault_set_build(&r->faults, &r->spec, r->id,
	    r->dur[PHASE_TESTING], r->proxy_builtin) != 0)
		goto nomem;
	r->verdicts[0] = &r->verdict;
	r->nclients = rn->nclients ? rn->nclients : 1;
	for (size_t i = 1; i < r->nclients; i++)
		if (!(r->verdicts[i] = malloc(sizeof *r->verdicts[i]))) {
			r->nclients = i;
			free_run(r);
			r = NULL;
			goto nomem;
		}
	for (size_t i = 0; i < r->nclients; i++) {
		verdict_init(r->verdicts[i], &r->spec);
		/* The verdict points into the run, on the heap: stable. */
		r->verdicts[i]->spec = &r->spec;
		strlcpy_r(r->clients[i], rn->nclients ? rn->clients[i] : "",
		    sizeof r->clients[i]);
	}
	r->compare = rn->pl.args.compare;
	rn->run = r;
	if (rn->obs.sampling)
		rn->obs.sampling(rn->obs.arg, 1);
	enter_phase(rn, RUNNER_STABILIZATION);
	return;
nomem:
	log_error("out of memory: job %s stopped", rn->pl.batch);
	free(r);
	rn->pl.failed = 1;
	runner_set_state(rn, rest_state(rn));
}

int
runner_start(struct runner *rn, struct playlist *pl)
{
	if (runner_busy(rn))
		return -1;
	playlist_free(&rn->pl);
	rn->pl = *pl;
	memset(pl, 0, sizeof *pl);
	start_run(rn);
	return 0;
}

int
runner_cleanup(struct runner *rn)
{
	int rc = faults_cleanup(rn->faults);

	if (!runner_busy(rn))
		runner_set_state(rn, rest_state(rn));
	return rc;
}

int
runner_stop(struct runner *rn, const char *reason)
{
	if (!runner_busy(rn))
		return 0;
	finish_run(rn, 1, reason);
	job_done(rn, 1);
	return 1;
}

/* The current phase's deadline passed. */
static void
phase_over(struct runner *rn, uint64_t now)
{
	struct run *r = rn->run;

	if (now - r->phase_end_mono > 50)
		log_warn("%s: %s ended %llu ms late (the machine is busy?)",
		    r->id, phase_text(r->phase),
		    (unsigned long long)(now - r->phase_end_mono));
	switch (rn->state) {
	case RUNNER_STABILIZATION:
		enter_phase(rn, RUNNER_TESTING);
		return;
	case RUNNER_TESTING:
		enter_phase(rn, RUNNER_RECOVERY);
		return;
	case RUNNER_RECOVERY:
		finish_run(rn, 0, NULL);
		if (playlist_advance(&rn->pl))
			start_run(rn);
		else
			job_done(rn, 0);
		return;
	case RUNNER_IDLE:
	case RUNNER_CLEANING:
		break;
	}
	FATAL_BUG("no run in state %s", runner_state_text(rn->state));
}

/* At rest: the ledger's faults are retried until none is left. */
static int
rest_tick(struct runner *rn, uint64_t now)
{
	if (rn->state == RUNNER_IDLE)
		return -1;
	if (now >= rn->next_cleanup) {
		faults_cleanup(rn->faults);
		rn->next_cleanup = now + RUNNER_CLEANUP_RETRY_MS;
	}
	if (!faults_pending(rn->faults)) {
		runner_set_state(rn, RUNNER_IDLE);
		return -1;
	}
	return (int)(rn->next_cleanup - now);
}

int
runner_tick(struct runner *rn)
{
	for (int guard = 0; guard < 16; guard++) {
		uint64_t now = mono(rn);
		struct run *r = rn->run;
		int64_t wait, fw;

		if (!runner_busy(rn))
			return rest_tick(rn, now);
		switch (flap_due(&r->flap, now, r->phase_end_mono)) {
		case FLAP_APPLY:
			if (faults_apply(rn->faults, &r->faults,
			    wall(rn)) == 0)
				for (size_t i = 0; i < r->nclients; i++)
					verdict_fault_applied(r->verdicts[i],
					    now);
			continue;
		case FLAP_REMOVE:
			faults_remove(rn->faults, &r->faults, wall(rn));
			continue;
		case FLAP_NOTHING:
			break;
		}
		if (now >= r->phase_end_mono) {
			phase_over(rn, now);
			continue;
		}
		wait = (int64_t)(r->phase_end_mono - now);
		fw = flap_wait(&r->flap, now);
		if (fw >= 0 && fw < wait)
			wait = fw;
		return (int)wait;
	}
	return 0;
}

void
runner_set_clients(struct runner *rn, const char *const *names, size_t n)
{
	rn->nclients = n < RUN_CLIENTS_MAX ? n : RUN_CLIENTS_MAX;
	for (size_t i = 0; i < rn->nclients; i++)
		strlcpy_r(rn->clients[i], names[i], sizeof rn->clients[i]);
}

void
runner_samples(struct runner *rn, size_t client, const struct lg_sample *s,
    size_t n)
{
	/* A run started before the clients changed has fewer. */
	if (!rn->run || client >= rn->run->nclients)
		return;
	for (size_t i = 0; i < n; i++)
		verdict_add_sample(rn->run->verdicts[client], &s[i]);
}
