/* The three-phase engine: runs scenarios (a list, N times or forever),
 * applies and removes faults, keeps the ledger, judges each run, writes
 * the journal, updates the scenario metrics. Single-threaded: driven by
 * main.c's poll loop. */
#ifndef RELIABD_SCENARIO_ENGINE_H
#define RELIABD_SCENARIO_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define ENGINE_MAX_NAMES 256

struct metrics_registry;
struct sampler;

struct engine_options {
	const char *proxy_api;
	const char *state_dir;
	const char *catalogue_dir;
	const char *scenario_dir;
	const char *loadgen_metrics;   /* "" when not sampling */
	const char *servers[SPEC_MAX_SERVERS];
	size_t nservers;
	const char *nodes[SPEC_MAX_SERVERS];
	size_t nnodes;
	int have_channel;
	/* Phase lengths for requests that name none (0: as the file), so
	 * [scenario] in reliabd.conf can shorten a configured playlist. */
	uint64_t stabilization_ms, testing_ms, recovery_ms;
};

/* What to run. */
struct engine_job {
	char names[ENGINE_MAX_NAMES][SPEC_NAME_MAX]; /* or one "all" */
	size_t nnames;
	unsigned loop;     /* >= 1 */
	int forever;
	uint64_t stabilization_ms, testing_ms, recovery_ms; /* 0: as the file */
};

struct engine;

struct engine *engine_new(const struct engine_options *opt,
    struct metrics_registry *reg, struct sampler *sampler, char *err,
    size_t errlen);
void engine_free(struct engine *e);

/* Removes every fault the ledger lists. 0 when the ledger is empty
 * afterwards. */
int engine_cleanup(struct engine *e);

/* Starts a job; 0, or -1 with an error code ("unknown-scenario",
 * "bad-arguments", "busy") and message. On success `result` (may be NULL)
 * gets the run's description (new reference). */
int engine_start(struct engine *e, const struct engine_job *job,
    json_t **result, const char **code, char *msg, size_t msglen);
/* Aborts the current run (faults removed first, journaled aborted) and
 * the rest of the job. Returns whether something was running. */
int engine_stop(struct engine *e, const char *reason);
int engine_busy(const struct engine *e);
/* Advances phases; returns ms until the next deadline (or -1 = none). */
int engine_tick(struct engine *e);
/* Feeds queued loadgen samples to the current run. */
void engine_samples(struct engine *e);

/* Channel requests from reliabd: returns the reply (new reference), or
 * NULL for a message that needs no reply (a reply to our own request). */
json_t *engine_request(struct engine *e, json_t *msg);

/* Status of the last job: 0 every run succeeded, 1 otherwise. */
int engine_job_status(const struct engine *e);

/* Parses "a,b,c" or "all" into a job. 0 or -1. */
int engine_job_parse_names(struct engine_job *job, const char *list);

#endif
