/* The scenario worker's core: wires the catalogue, the playlist, the run
 * state machine (runner.c), fault application (faults.c) on the proxy
 * backend (backend.c), and what is published (publish.c); answers what
 * the requests (commands.c) ask. Single-threaded: the worker's loop. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "faults.h"
#include "log.h"
#include "playlist.h"
#include "publish.h"
#include "runner.h"
#include "sampler.h"
#include "util.h"

struct engine {
	struct engine_options opt;
	/* One a client, in opt.clients' order; the first is the one whose
	 * live figures are published (the series has every client's). */
	struct sampler *samplers[RUN_CLIENTS_MAX];
	size_t nsamplers;
	struct proxy_backend backend;
	struct faults faults;
	struct publisher pub;
	struct runner runner;
	struct catalogue cat;
	double ops_rate, error_rate;  /* the first client's, last sample */
	uint64_t sampled_mono;
	struct lg_sample samples[SAMPLER_QUEUE];
};

/* ---- the observers: the machines tell, the publisher shows ---- */

static void
on_fault(void *arg, const struct fault_set *s, const struct fault_unit *u,
    const char *action, const char *error)
{
	struct engine *e = arg;

	publish_fault(&e->pub, s, u, action, error);
}

static void
on_phase(void *arg, const struct run *r)
{
	struct engine *e = arg;

	publish_phase(&e->pub, r);
}

static void
on_finished(void *arg, const struct run *r, enum run_status st,
    const char *reason, const struct playlist *pl)
{
	struct engine *e = arg;

	publish_run(&e->pub, r, st, reason, pl->batch, now_wall());
}

static void
on_done(void *arg, const struct playlist *pl, int aborted)
{
	struct engine *e = arg;

	publish_done(&e->pub, pl, aborted);
}

static void
on_sampling(void *arg, int on)
{
	struct engine *e = arg;

	for (size_t i = 0; i < e->nsamplers; i++)
		sampler_set_active(e->samplers[i], on);
}

static void
on_notice(void *arg, const char *notice)
{
	struct engine *e = arg;

	publish_notice(&e->pub, notice);
}

static int
on_probe(void *arg, int *builtin, char *version, size_t vlen, char *err,
    size_t errlen)
{
	struct engine *e = arg;

	if (e->opt.backend) {
		*builtin = e->opt.backend_builtin;
		strlcpy_r(version, "injected", vlen);
		return 0;
	}
	return proxy_backend_probe(&e->backend, builtin, version, vlen, err,
	    errlen);
}

static int
load_catalogue(struct engine *e)
{
	struct spec_names names = {e->opt.servers, e->opt.nservers, NULL, 0};

	catalogue_free(&e->cat);
	if (catalogue_load(&e->cat, e->opt.catalogue_dir, e->opt.scenario_dir,
	    &names, NULL, NULL) != 0)
		return -1;
	publish_catalogue(&e->pub, &e->cat);
	return 0;
}

struct engine *
engine_new(const struct engine_options *opt, struct metrics_registry *reg,
    struct sampler *const *samplers, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof *e);
	struct fault_backend be;
	struct fault_observer fobs;
	struct runner_observer robs = { on_phase, on_finished, on_done,
		on_sampling, on_probe, NULL };

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const char *names[RUN_CLIENTS_MAX];

	e->opt = *opt;
	if (samplers)
		for (size_t i = 0; i < opt->nclients && i < RUN_CLIENTS_MAX;
		    i++) {
			e->samplers[e->nsamplers] = samplers[i];
			names[e->nsamplers++] = e->opt.clients[i].name;
		}
	robs.arg = e;
	fobs.changed = on_fault;
	fobs.arg = e;
	fobs.noticed = on_notice;
	if (opt->backend)
		be = *opt->backend;
	else if (proxy_backend_init(&e->backend, opt->proxy_api, opt->lab,
	    opt->have_channel ? opt->request : NULL, opt->request_arg, err,
	    errlen) != 0) {
		free(e);
		return NULL;
	} else
		be = proxy_backend_ops(&e->backend);
	if (faults_open(&e->faults, opt->state_dir, &be, &fobs, err,
	    errlen) != 0) {
		proxy_backend_free(&e->backend);
		free(e);
		return NULL;
	}
	runner_init(&e->runner, &run_clock_system, &e->faults, &robs);
	runner_set_clients(&e->runner, names, e->nsamplers);
	if (publisher_init(&e->pub, reg, opt->state_dir, err, errlen) != 0) {
		engine_free(e);
		return NULL;
	}
	e->pub.notice = e->faults.notice[0] ? e->faults.notice : NULL;
	publish_servers(&e->pub, e->opt.servers, e->opt.nservers);
	if (load_catalogue(e) != 0) {
		snprintf(err, errlen, "out of memory");
		engine_free(e);
		return NULL;
	}
	return e;
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	runner_free(&e->runner);
	catalogue_free(&e->cat);
	proxy_backend_free(&e->backend);
	publisher_free(&e->pub);
	free(e);
}

const struct engine_options *
engine_opts(const struct engine *e)
{
	return &e->opt;
}

int
engine_busy(const struct engine *e)
{
	return runner_busy(&e->runner);
}

int
engine_job_status(const struct engine *e)
{
	return e->runner.pl.failed ? 1 : 0;
}

int
engine_cleanup(struct engine *e)
{
	return runner_cleanup(&e->runner);
}

int
engine_populate(struct engine *e)
{
	return e->opt.backend ? 0 : proxy_backend_populate(&e->backend);
}

int
engine_tick(struct engine *e)
{
	return runner_tick(&e->runner);
}

int
engine_stop(struct engine *e, const char *reason)
{
	return runner_stop(&e->runner, reason);
}

void
engine_samples(struct engine *e)
{
	for (size_t i = 0; i < e->nsamplers; i++) {
		size_t n = sampler_drain(e->samplers[i], e->samples,
		    SAMPLER_QUEUE);

		if (!e->runner.run)
			continue;
		runner_samples(&e->runner, i, e->samples, n);
		publish_samples(&e->pub, e->runner.run, i, e->samples, n);
		/* The live figures (status) are the first client's. */
		if (i > 0 || n == 0)
			continue;
		e->ops_rate = e->samples[n - 1].ops_rate;
		e->error_rate = e->samples[n - 1].error_rate;
		e->sampled_mono = e->samples[n - 1].mono_ms;
	}
}

/* What the verdicts of this job will not be able to judge, said before
 * it starts (new reference, an array; NULL on no memory). */
static json_t *
start_warnings(struct engine *e, const struct playlist *pl)
{
	json_t *w = json_array();
	char why[VERDICT_WHY_MAX];
	char line[VERDICT_WHY_MAX + SPEC_NAME_MAX + RUN_CLIENT_NAME_MAX + 64];

	if (!w)
		return NULL;
	for (size_t i = 0; i < pl->n; i++) {
		const struct scenario_spec *sp = &pl->specs[i];
		uint64_t rec = pl->args.recovery_ms ? pl->args.recovery_ms :
		    sp->recovery_ms;

		if (!e->nsamplers) {
			snprintf(line, sizeof line, "%s: no loadgen is "
			    "sampled: its checks cannot be judged", sp->name);
			log_warn("%s", line);
			json_array_append_new(w, json_string(line));
			continue;
		}
		if (sp->expect.recovers_within_ms < 0)
			continue;
		/* Each client's breakers have their own open time. */
		for (size_t c = 0; c < e->nsamplers; c++) {
			if (verdict_recovery_observable(rec,
			    sampler_open_timeout_ms(e->samplers[c]), why,
			    sizeof why))
				continue;
			if (e->nsamplers == 1)
				snprintf(line, sizeof line, "%s: recovers_"
				    "within: %s", sp->name, why);
			else
				snprintf(line, sizeof line, "%s: client %s: "
				    "recovers_within: %s", sp->name,
				    e->opt.clients[c].name, why);
			log_warn("%s", line);
			json_array_append_new(w, json_string(line));
		}
	}
	return w;
}

void
engine_clients_moved(struct engine *e, const struct run_client *cl,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *addr = cl[i].addr;
		size_t len = strlen(addr);

		/* Port 0: reliabd does not know it yet; keep what is known. */
		if (len >= 2 && strcmp(addr + len - 2, ":0") == 0)
			continue;
		for (size_t c = 0; c < e->nsamplers; c++)
			if (strcmp(cl[i].name, e->opt.clients[c].name) == 0 &&
			    strcmp(addr, e->opt.clients[c].addr) != 0) {
				log_info("client %s: metrics at %s",
				    e->opt.clients[c].name, addr);
				if (sampler_set_addr(e->samplers[c], addr) == 0)
					strlcpy_r(e->opt.clients[c].addr, addr,
					    sizeof e->opt.clients[c].addr);
			}
	}
}

int
engine_start(struct engine *e, const struct run_args *args, json_t **result,
    enum proto_err *code, char *msg, size_t msglen)
{
	struct playlist pl;
	struct playlist_lab lab = { e->opt.servers, e->opt.nservers,
		e->opt.nodes, e->opt.nnodes, e->opt.have_channel };
	json_t *names, *warnings;

	memset(&pl, 0, sizeof pl);
	if (result)
		*result = NULL;
	/* The names are checked first, so a typo is reported (with close
	 * matches) even while a run is going on. A run holds copies of its
	 * specs: reading the files again does not touch it. */
	if (load_catalogue(e) != 0) {
		*code = PROTO_E_INTERNAL;
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if (playlist_resolve(&pl, args, &e->cat, &lab, code, msg,
	    msglen) != 0)
		return -1;
	if (runner_busy(&e->runner)) {
		*code = PROTO_E_BUSY;
		snprintf(msg, msglen, "run %s is going on; stop it first",
		    e->runner.run ? e->runner.run->id : e->runner.pl.batch);
		playlist_free(&pl);
		return -1;
	}
	engine_clients_moved(e, args->clients, args->nclients);
	warnings = start_warnings(e, &pl);
	if (result) {
		names = json_array();
		for (size_t i = 0; names && i < pl.n; i++)
			json_array_append_new(names,
			    json_string(pl.specs[i].name));
		*result = json_pack("{s:s,s:o,s:I,s:b,s:O*}", "run", pl.batch,
		    "scenarios", names ? names : json_array(), "loop",
		    (json_int_t)pl.args.loop, "forever", pl.args.forever,
		    "warnings", warnings);
	}
	json_decref(warnings);
	/* A notice of an unreadable ledger is over once the lab is used. */
	faults_clear_notice(&e->faults);
	runner_start(&e->runner, &pl);
	return 0;
}

/* ---- what requests read ---- */

json_t *
engine_list_json(struct engine *e)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (size_t i = 0; i < e->cat.n; i++) {
		const struct scenario_spec *s = &e->cat.specs[i];
		json_t *o = json_pack("{s:s,s:s,s:{s:I,s:I,s:I},s:s,s:b}",
		    "name", s->name, "description", s->description, "phases",
		    "stabilization", (json_int_t)s->stabilization_ms,
		    "testing", (json_int_t)s->testing_ms, "recovery",
		    (json_int_t)s->recovery_ms, "source",
		    spec_source_text(s->source), "needs_nodes",
		    spec_needs_nodes(s));
		if (o)
			json_array_append_new(arr, o);
	}
	return json_pack("{s:o,s:I,s:o*}", "scenarios", arr, "errors",
	    (json_int_t)e->cat.errors, "bad", catalogue_bad_json(&e->cat));
}

json_t *
engine_status_json(struct engine *e)
{
	const struct run *r = e->runner.run;
	const struct playlist *pl = &e->runner.pl;
	json_t *o;

	if (!r)
		o = json_pack("{s:s,s:s}", "state", "idle", "phase", "idle");
	else
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:I,s:i,s:i,s:b,"
		    "s:i,s:i,s:I}",
		    "state", "running", "run", r->id, "batch", pl->batch,
		    "scenario", r->spec.name, "phase", phase_text(r->phase),
		    "phase_started", r->phase_start_wall, "phase_ends",
		    r->phase_start_wall + (double)r->dur[r->phase] / 1000.0,
		    "duration_ms", (json_int_t)r->dur[r->phase], "loop",
		    (int)r->loop, "loops", (int)pl->args.loop, "forever",
		    pl->args.forever, "index", (int)pl->idx + 1, "count",
		    (int)pl->n, "ledger",
		    (json_int_t)faults_pending(&e->faults));
	if (o && e->faults.notice[0])
		json_object_set_new(o, "notice",
		    json_string(e->faults.notice));
	/* The loadgen as last sampled (within 2 s), for a live line. */
	if (o && r && e->sampled_mono &&
	    now_mono_ms() - e->sampled_mono < 2000) {
		json_object_set_new(o, "ops_rate", json_real(e->ops_rate));
		json_object_set_new(o, "error_rate", json_real(e->error_rate));
	}
	if (o && e->pub.last_run) {
		json_t *lr = json_pack("{s:O,s:O,s:O}", "id",
		    json_object_get(e->pub.last_run, "id"), "scenario",
		    json_object_get(e->pub.last_run, "scenario"), "status",
		    json_object_get(e->pub.last_run, "status"));
		if (lr)
			json_object_set_new(o, "last_run", lr);
	}
	return o;
}

void
engine_announce(struct engine *e)
{
	publish_notice(&e->pub, e->faults.notice);
}

int
engine_reload(struct engine *e)
{
	return load_catalogue(e);
}

json_t *
engine_catalogue_bad(const struct engine *e)
{
	return catalogue_bad_json(&e->cat);
}

size_t
engine_catalogue_errors(const struct engine *e)
{
	return e->cat.errors;
}

size_t
engine_catalogue_size(const struct engine *e)
{
	return e->cat.n;
}
