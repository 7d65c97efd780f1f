/* The scenario worker's core: runs jobs (scenarios, a list, N times or
 * forever) through the run state machine (runner.h), with fault
 * application (faults.h), the proxy backend (backend.h) and what is
 * published (publish.h). Single-threaded: driven by the worker's loop
 * (main.c), asked by the requests (commands.c). */
#ifndef RELIABD_SCENARIO_ENGINE_H
#define RELIABD_SCENARIO_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "runargs.h"
#include "spec.h"

struct backend_lab;
struct fault_backend;
struct metrics_registry;
struct sampler;

struct engine_options {
	const char *proxy_api;
	const char *state_dir;
	const char *catalogue_dir;
	const char *scenario_dir;
	const char *loadgen_metrics;   /* "" when not sampling */
	/* The clients sampled, each judged (--client; else the one
	 * "default" at loadgen_metrics); engine_new's samplers[] match. */
	struct run_client clients[RUN_CLIENTS_MAX];
	size_t nclients;
	const char *servers[SPEC_MAX_SERVERS];
	size_t nservers;
	/* Which API holds each server, and the proxies this worker creates
	 * (backend.h); NULL: every server on proxy_api, none created. */
	const struct backend_lab *lab;
	const char *nodes[SPEC_MAX_SERVERS];
	size_t nnodes;
	int have_channel;
	/* Sends a request to reliabd (node-restart); -1 when it cannot. */
	long long (*request)(const char *cmd, json_t *args, void *arg);
	void *request_arg;
	/* Phase lengths for requests that name none (0: as the file), so
	 * [scenario] in reliabd.conf can shorten a configured playlist. */
	uint64_t stabilization_ms, testing_ms, recovery_ms;
	/* The fuzz target and tests: faults go to this backend instead of
	 * the proxy API (NULL: backend.c on proxy_api), which says it is
	 * the built-in proxy or not. Nothing leaves the process. */
	const struct fault_backend *backend;
	int backend_builtin;
};

struct engine;

/* `samplers` (NULL: none) holds opt->nclients samplers, one a client. */
struct engine *engine_new(const struct engine_options *opt,
    struct metrics_registry *reg, struct sampler *const *samplers, char *err,
    size_t errlen);
void engine_free(struct engine *e);
const struct engine_options *engine_opts(const struct engine *e);

/* Removes every fault the ledger lists. 0 when the ledger is empty
 * afterwards. */
int engine_cleanup(struct engine *e);
/* Creates the proxies the lab declares where this worker creates them
 * (backend.h). 0, or -1 when an API refused (logged; a run tries again). */
int engine_populate(struct engine *e);

/* Starts a job; 0, or -1 with an error code (PROTO_E_UNKNOWN_SCENARIO,
 * _BAD_ARGUMENTS, _BUSY) and message. On success `result` (may be NULL)
 * gets the run's description (new reference). */
int engine_start(struct engine *e, const struct run_args *job,
    json_t **result, enum proto_err *code, char *msg, size_t msglen);
/* Aborts the current run (faults removed first, journaled aborted) and
 * the rest of the job. Returns whether something was running. */
int engine_stop(struct engine *e, const char *reason);
int engine_busy(const struct engine *e);
/* Advances phases; returns ms until the next deadline (or -1 = none). */
int engine_tick(struct engine *e);
/* reliabd's live metrics addresses of the clients (a port-0 client's
 * real port, a restarted one's new port) replace what the command line
 * said; a port still 0 (not known yet) changes nothing. */
void engine_clients_moved(struct engine *e, const struct run_client *cl,
    size_t n);
/* Feeds every client's queued samples to the current run. */
void engine_samples(struct engine *e);

/* What the list and status requests return (new references). */
json_t *engine_list_json(struct engine *e);
json_t *engine_status_json(struct engine *e);
/* Once reliabd has the ready event: tells it the notice, if any (an
 * unreadable ledger set aside), so its status shows it. */
void engine_announce(struct engine *e);
/* Reads the scenario files again. 0, or -1 on no memory. */
int engine_reload(struct engine *e);
size_t engine_catalogue_size(const struct engine *e);
size_t engine_catalogue_errors(const struct engine *e);
/* The bad files, [{"file", "error"}...] (new reference or NULL). */
json_t *engine_catalogue_bad(const struct engine *e);

/* Status of the last job: 0 every run succeeded, 1 otherwise. */
int engine_job_status(const struct engine *e);

#endif
