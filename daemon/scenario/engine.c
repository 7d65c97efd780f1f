/* The three-phase engine. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "duration.h"
#include "engine.h"
#include "runargs.h"
#include "faultmap.h"
#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "sampler.h"
#include "toxiproxy.h"
#include "util.h"
#include "verdict.h"

#define CLEANUP_RETRY_MS 1000

struct unit {
	size_t fault;
	enum fault_type type;     /* the scenario's fault type */
	int is_node;
	struct ledger_entry le;   /* kind, server, toxic name, toxic type */
	char stream[16];
	double toxicity;
	json_t *attrs;
	uint64_t down_ms;
	int active;
	int ledger_new;           /* its entry was added by this batch */
	unsigned napplied;
	double applied_wall, removed_wall;
};

struct run {
	char id[80];
	struct scenario_spec spec;
	uint64_t dur[4];
	enum phase phase;
	uint64_t phase_start_mono, phase_end_mono;
	double phase_start_wall;
	double started_wall;
	unsigned loop;            /* 1-based */
	struct unit *units;
	size_t nunits;
	int faults_on;
	uint64_t next_toggle;     /* 0: no flapping */
	struct verdict verdict;
	char apply_error[512];
	int loss_approximated;
	char proxy_version[64];
	int proxy_builtin;
};

struct engine {
	struct engine_options opt;
	struct metrics_registry *reg;
	struct metric_family *f_phase, *f_pdur, *f_pstart, *f_runs;
	struct metric_family *f_active, *f_config, *f_tto, *f_ttr;
	struct sampler *sampler;
	struct toxi toxi;
	struct ledger ledger;
	struct catalogue cat;

	int busy;
	struct run_args job;
	char batch[48];
	struct scenario_spec *plist;
	size_t nplist, pidx;
	unsigned iteration;
	unsigned seq;
	struct run *run;
	int job_failed;
	uint64_t next_cleanup;
	json_t *last_run;
	unsigned job_runs, job_bad;
	double ops_rate, error_rate;  /* the loadgen's, last sample */
	uint64_t sampled_mono;
	struct lg_sample samples[SAMPLER_QUEUE];
};

static const char *const phase_names[] = {"stabilization", "testing",
    "recovery"};

static void set_phase_metric(struct engine *e, const char *scenario,
    enum phase p);

static int
load_catalogue(struct engine *e, spec_error_fn report, void *arg)
{
	struct spec_names names = {e->opt.servers, e->opt.nservers, NULL, 0};

	catalogue_free(&e->cat);
	if (catalogue_load(&e->cat, e->opt.catalogue_dir, e->opt.scenario_dir,
	    &names, report, arg) != 0)
		return -1;
	/* Every known scenario shows up in the metrics from the start. */
	if (e->reg) {
		for (size_t i = 0; i < e->cat.n; i++) {
			const char *n = e->cat.specs[i].name;
			struct metric *m;

			/* Created at 0; a running one keeps its value. */
			(void)metric_get(e->f_phase, n);
			for (int s = RUN_SUCCESS; s <= RUN_ABORTED; s++) {
				m = metric_get(e->f_runs, n,
				    run_status_text((enum run_status)s));
				if (m)
					metric_add(m, 0);
			}
		}
	}
	return 0;
}

struct engine *
engine_new(const struct engine_options *opt, struct metrics_registry *reg,
    struct sampler *sampler, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof *e);
	char lerr[512];

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->opt = *opt;
	e->reg = reg;
	e->sampler = sampler;
	if (toxi_init(&e->toxi, opt->proxy_api, err, errlen) != 0) {
		free(e);
		return NULL;
	}
	if (ledger_open(&e->ledger, opt->state_dir, lerr, sizeof lerr) != 0) {
		snprintf(err, errlen, "%s", lerr);
		toxi_free(&e->toxi);
		free(e);
		return NULL;
	}
	if (reg) {
		e->f_phase = metrics_gauge(reg, "scenario_phase",
		    "Current phase: 0 idle, 1 stabilization, 2 testing, "
		    "3 recovery", "scenario");
		e->f_pdur = metrics_gauge(reg,
		    "scenario_phase_duration_seconds",
		    "Configured length of the phase", "scenario,phase");
		e->f_pstart = metrics_gauge(reg,
		    "scenario_phase_start_timestamp_seconds",
		    "Unix time the phase began", "scenario,phase");
		e->f_runs = metrics_counter(reg, "scenario_runs_total",
		    "Finished runs by verdict", "scenario,status");
		e->f_active = metrics_gauge(reg, "toxiproxy_toxic_active",
		    "Whether the fault is applied on the server (0/1)",
		    "server,type");
		e->f_config = metrics_gauge(reg, "toxiproxy_toxic_config",
		    "Parameters of the applied fault", "server,type,param");
		e->f_tto = metrics_gauge(reg, "scenario_time_to_open_seconds",
		    "Seconds from fault applied to the server's breaker "
		    "opening, last run", "scenario,server");
		e->f_ttr = metrics_gauge(reg,
		    "scenario_time_to_recover_seconds",
		    "Seconds from fault removed to the error rate back under "
		    "the baseline, last run", "scenario");
		if (!e->f_phase || !e->f_pdur || !e->f_pstart || !e->f_runs ||
		    !e->f_active || !e->f_config || !e->f_tto || !e->f_ttr) {
			snprintf(err, errlen, "cannot declare the metrics");
			engine_free(e);
			return NULL;
		}
	}
	if (load_catalogue(e, NULL, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		engine_free(e);
		return NULL;
	}
	return e;
}

static void
free_run(struct run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nunits; i++)
		json_decref(r->units[i].attrs);
	free(r->units);
	free(r);
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	free_run(e->run);
	free(e->plist);
	catalogue_free(&e->cat);
	toxi_free(&e->toxi);
	json_decref(e->last_run);
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
	return e->busy;
}

int
engine_job_status(const struct engine *e)
{
	return e->job_failed ? 1 : 0;
}

/* Removes one ledger entry from the proxy. A proxy that does not answer
 * at all is not running, and so holds no toxics. */
static enum toxi_result
undo_entry(struct engine *e, const struct ledger_entry *le, char *err,
    size_t errlen)
{
	if (le->kind == LEDGER_DOWN)
		return toxi_set_enabled(&e->toxi, le->server, 1, err, errlen);
	return toxi_remove_toxic(&e->toxi, le->server, le->toxic, err,
	    errlen);
}

int
engine_cleanup(struct engine *e)
{
	size_t i = 0;
	int dropped = 0;

	while (i < e->ledger.n) {
		struct ledger_entry le = e->ledger.e[i];
		char err[512];
		enum toxi_result r = undo_entry(e, &le, err, sizeof err);

		if (r == TOXI_ERROR) {
			log_warn("cannot remove %s %s on %s: %s",
			    ledger_kind_text(le.kind), le.toxic, le.server, err);
			i++;
			continue;
		}
		log_info("removed left-over %s %s on %s%s",
		    ledger_kind_text(le.kind), le.toxic, le.server,
		    r == TOXI_UNREACHABLE ? " (proxy not running)" : "");
		dropped |= ledger_drop(&e->ledger, &le);
	}
	/* One write for the pass: a crash before it leaves entries for
	 * toxics already gone, which the next pass finds gone. */
	if (dropped && ledger_write(&e->ledger) != 0) {
		log_error("cannot write the ledger");
		return -1;
	}
	return e->ledger.n == 0 ? 0 : -1;
}

/* ---- metrics and events ---- */

static void
set_phase_metric(struct engine *e, const char *scenario, enum phase p)
{
	struct metric *m;

	if (e->reg && (m = metric_get(e->f_phase, scenario)))
		metric_set(m, (double)p);
}

static void
publish_phase(struct engine *e, struct run *r)
{
	json_t *ev;

	if (e->reg && r->phase != PHASE_IDLE) {
		const char *pn = phase_text(r->phase);
		struct metric *m;
		/* Durations first, so a scrape never sees the start of a
		 * phase with the previous run's length. */
		for (int p = PHASE_STABILIZATION; p <= PHASE_RECOVERY; p++)
			if ((m = metric_get(e->f_pdur, r->spec.name,
			    phase_names[p - 1])))
				metric_set(m, (double)r->dur[p] / 1000.0);
		if ((m = metric_get(e->f_pstart, r->spec.name, pn)))
			metric_set(m, r->phase_start_wall);
	}
	set_phase_metric(e, r->spec.name, r->phase);
	ev = json_pack("{s:s,s:s,s:s,s:f,s:I,s:i}", "run", r->id, "scenario",
	    r->spec.name, "phase", phase_text(r->phase), "started",
	    r->phase_start_wall, "duration_ms",
	    (json_int_t)(r->phase == PHASE_IDLE ? 0 : r->dur[r->phase]),
	    "loop", (int)r->loop);
	if (ev)
		channel_event("phase", ev);
	log_info("%s %s: %s", r->id, r->spec.name, phase_text(r->phase));
}

static void
fault_event(struct run *r, const struct unit *u, const char *action,
    const char *error)
{
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f}", "action",
	    action, "run", r->id, "scenario", r->spec.name, "server",
	    u->le.server, "type", fault_type_text(u->type), "toxic",
	    u->is_node ? "" : u->le.toxic, "toxicity", u->toxicity);

	if (!ev)
		return;
	if (u->attrs)
		json_object_set(ev, "attributes", u->attrs);
	if (error)
		json_object_set_new(ev, "error", json_string(error));
	channel_event("fault", ev);
}

static void
fault_metrics(struct engine *e, const struct unit *u, int on)
{
	const char *type = fault_type_text(u->type);
	const char *key;
	json_t *v;
	struct metric *m;

	if (!e->reg)
		return;
	if ((m = metric_get(e->f_active, u->le.server, type)))
		metric_set(m, on ? 1 : 0);
	if (on) {
		if ((m = metric_get(e->f_config, u->le.server, type,
		    "toxicity")))
			metric_set(m, u->toxicity);
	} else {
		metric_hide(e->f_config, u->le.server, type, "toxicity");
	}
	if (!u->attrs)
		return;
	json_object_foreach(u->attrs, key, v) {
		if (on) {
			if ((m = metric_get(e->f_config, u->le.server, type,
			    key)))
				metric_set(m, json_number_value(v));
		} else {
			metric_hide(e->f_config, u->le.server, type, key);
		}
	}
}

/* ---- faults ---- */

static int
node_restart(struct engine *e, const struct unit *u, char *err,
    size_t errlen)
{
	json_t *args;

	if (!e->opt.have_channel || !e->opt.request) {
		snprintf(err, errlen, "node restart of %s needs reliabd (no "
		    "channel: running by hand)", u->le.server);
		return -1;
	}
	args = json_pack("{s:s,s:I}", "name", u->le.server, "down_ms",
	    (json_int_t)u->down_ms);
	if (!args) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (e->opt.request("node-restart", args, e->opt.request_arg) < 0) {
		snprintf(err, errlen, "cannot send node-restart to reliabd");
		return -1;
	}
	return 0;
}

/* Every proxy fault of a batch is written down before the proxy
 * changes, so a crash in between leaves at worst entries for nothing; in
 * one write (two fsyncs), however many faults. -1 if it could not be
 * written: then the ledger is as it was. */
static int
ledger_note_all(struct engine *e, struct run *r)
{
	double now = now_wall();
	size_t i;
	int added = 0;

	for (i = 0; i < r->nunits; i++) {
		struct unit *u = &r->units[i];
		int k;

		u->ledger_new = 0;
		if (u->active || u->is_node)
			continue;
		u->le.applied = now;
		if ((k = ledger_put(&e->ledger, &u->le)) < 0)
			goto undo;
		u->ledger_new = k;
		added |= k;
	}
	if (!added || ledger_write(&e->ledger) == 0)
		return 0;
undo:
	for (size_t j = 0; j < r->nunits && j <= i; j++)
		if (r->units[j].ledger_new)
			ledger_drop(&e->ledger, &r->units[j].le);
	return -1;
}

/* `noted`: the batch's ledger write succeeded. A fault undone here is
 * dropped from the ledger in memory; *dirty says the caller must write. */
static int
apply_unit(struct engine *e, struct run *r, struct unit *u, int noted,
    int *dirty)
{
	char err[512] = "";
	enum toxi_result tr;

	if (u->active)
		return 0;
	if (u->is_node) {
		if (node_restart(e, u, err, sizeof err) != 0)
			goto failed;
		goto applied;
	}
	if (!noted) {
		snprintf(err, sizeof err, "cannot write the ledger %.400s",
		    e->ledger.path);
		goto failed;
	}
	if (u->le.kind == LEDGER_DOWN)
		tr = toxi_set_enabled(&e->toxi, u->le.server, 0, err,
		    sizeof err);
	else
		tr = toxi_add_toxic(&e->toxi, u->le.server, u->le.toxic,
		    u->le.type, u->stream, u->toxicity, u->attrs, err,
		    sizeof err);
	if (tr != TOXI_OK) {
		char err2[256];
		if (undo_entry(e, &u->le, err2, sizeof err2) != TOXI_ERROR)
			*dirty |= ledger_drop(&e->ledger, &u->le);
		goto failed;
	}
applied:
	u->active = 1;
	u->napplied++;
	if (u->napplied == 1)
		u->applied_wall = now_wall();
	fault_metrics(e, u, 1);
	fault_event(r, u, "apply", NULL);
	log_info("applied %s on %s", fault_type_text(u->type), u->le.server);
	return 0;
failed:
	log_warn("%s: %s", r->id, err);
	fault_event(r, u, "apply", err);
	if (!r->apply_error[0])
		snprintf(r->apply_error, sizeof r->apply_error,
		    "cannot apply %s on %s: %s", fault_type_text(u->type),
		    u->le.server, err);
	return -1;
}

/* A fault removed is dropped from the ledger in memory; *dirty says the
 * caller must write it. */
static int
remove_unit(struct engine *e, struct run *r, struct unit *u, int *dirty)
{
	char err[512] = "";
	enum toxi_result tr;

	if (!u->active)
		return 0;
	u->active = 0;
	u->removed_wall = now_wall();
	if (!u->is_node) {
		tr = undo_entry(e, &u->le, err, sizeof err);
		if (tr == TOXI_ERROR) {
			/* Stays in the ledger; retried while idle. */
			log_warn("%s: cannot remove %s on %s: %s", r->id,
			    fault_type_text(u->type), u->le.server, err);
		} else
			*dirty |= ledger_drop(&e->ledger, &u->le);
	}
	fault_metrics(e, u, 0);
	fault_event(r, u, "remove", err[0] ? err : NULL);
	log_info("removed %s on %s", fault_type_text(u->type), u->le.server);
	return 0;
}

static void
ledger_flush(struct engine *e, int dirty)
{
	/* A crash before this write leaves entries for faults already gone:
	 * the next cleanup finds them gone. */
	if (dirty && ledger_write(&e->ledger) != 0)
		log_error("cannot write the ledger %s", e->ledger.path);
}

static int
apply_all(struct engine *e, struct run *r)
{
	int rc = 0, dirty = 0;
	int noted = ledger_note_all(e, r) == 0;

	for (size_t i = 0; i < r->nunits; i++)
		if (apply_unit(e, r, &r->units[i], noted, &dirty) != 0)
			rc = -1;
	ledger_flush(e, dirty);
	if (rc == 0)
		verdict_fault_applied(&r->verdict, now_mono_ms());
	r->faults_on = 1;
	return rc;
}

static void
remove_all(struct engine *e, struct run *r)
{
	int dirty = 0;

	for (size_t i = 0; i < r->nunits; i++)
		remove_unit(e, r, &r->units[i], &dirty);
	ledger_flush(e, dirty);
	r->faults_on = 0;
}

/* What goes to the proxy for one fault on one server and stream. */
static int
make_unit(struct run *r, size_t fi, const char *server, const char *stream,
    struct unit *u)
{
	const struct fault_spec *f = &r->spec.faults[fi];
	const char *ttype = fault_type_text(f->type);

	memset(u, 0, sizeof *u);
	u->fault = fi;
	u->type = f->type;
	u->toxicity = f->toxicity;
	strlcpy_r(u->stream, stream, sizeof u->stream);
	strlcpy_r(u->le.server, server, sizeof u->le.server);
	if (f->type == FAULT_NODE_RESTART) {
		u->is_node = 1;
		u->down_ms = (uint64_t)fault_attr(f, "down_ms",
		    (double)r->dur[PHASE_TESTING]);
		if (u->down_ms > r->dur[PHASE_TESTING])
			u->down_ms = r->dur[PHASE_TESTING];
		u->attrs = json_pack("{s:I}", "down_ms",
		    (json_int_t)u->down_ms);
		return u->attrs ? 0 : -1;
	}
	if (f->type == FAULT_DOWN) {
		u->le.kind = LEDGER_DOWN;
		strlcpy_r(u->le.toxic, "down", sizeof u->le.toxic);
		strlcpy_r(u->le.type, "down", sizeof u->le.type);
		u->attrs = json_object();
		return u->attrs ? 0 : -1;
	}
	u->le.kind = LEDGER_TOXIC;
	if (fault_to_toxic(f, r->proxy_builtin, u->le.type, sizeof u->le.type,
	    &u->attrs, &r->loss_approximated) != 0)
		return -1;
	ttype = u->le.type;
	snprintf(u->le.toxic, sizeof u->le.toxic, "reliabd-%zu-%s-%s", fi,
	    ttype, stream);
	return 0;
}

static int
build_units(struct run *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->spec.nfaults; i++)
		n += r->spec.faults[i].nservers *
		    (r->spec.faults[i].stream == STREAM_BOTH ? 2 : 1);
	r->units = calloc(n ? n : 1, sizeof *r->units);
	if (!r->units)
		return -1;
	for (size_t i = 0; i < r->spec.nfaults; i++) {
		const struct fault_spec *f = &r->spec.faults[i];
		for (size_t s = 0; s < f->nservers; s++) {
			if (f->stream == STREAM_BOTH) {
				if (make_unit(r, i, f->servers[s], "downstream",
				    &r->units[r->nunits++]) != 0 ||
				    make_unit(r, i, f->servers[s], "upstream",
				    &r->units[r->nunits++]) != 0)
					return -1;
			} else if (make_unit(r, i, f->servers[s],
			    fault_stream_text(f->stream),
			    &r->units[r->nunits++]) != 0) {
				return -1;
			}
		}
	}
	return 0;
}

/* ---- runs ---- */

static void
enter_phase(struct engine *e, struct run *r, enum phase p)
{
	uint64_t now = now_mono_ms();
	double wall = now_wall();

	verdict_phase_end(&r->verdict, now, wall);
	r->phase = p;
	r->phase_start_mono = now;
	r->phase_start_wall = wall;
	r->phase_end_mono = now + r->dur[p];
	verdict_phase_start(&r->verdict, p, now, wall);
	/* Faults change before anything is published: the proxy is what
	 * the timing promise is about. */
	if (p == PHASE_TESTING) {
		apply_all(e, r);
		if (r->spec.pattern_on_ms)
			r->next_toggle = now + r->spec.pattern_on_ms;
	} else if (p == PHASE_RECOVERY) {
		r->next_toggle = 0;
		remove_all(e, r);
		verdict_fault_removed(&r->verdict, now);
	}
	publish_phase(e, r);
}

/* Figures rounded, so the journal reads well: times to the ms, ratios
 * and latencies to 6 decimals. */
static double
round_to(double v, double unit)
{
	return round(v / unit) * unit;
}

static json_t *
phase_json(const struct run *r, enum phase p)
{
	const struct phase_stats *ps = &r->verdict.phases[p];

	if (ps->start_wall == 0)
		return json_pack("{s:n,s:n,s:I}", "start", "end",
		    "duration_ms", (json_int_t)r->dur[p]);
	return json_pack("{s:f,s:f,s:I,s:I,s:f,s:o}", "start",
	    round_to(ps->start_wall, 1e-3), "end", round_to(ps->end_wall, 1e-3),
	    "duration_ms", (json_int_t)r->dur[p], "ops", (json_int_t)ps->ops,
	    "error_rate", round_to(ps->error_rate, 1e-6), "p99_ms",
	    ps->p99_ms >= 0 ? json_real(round_to(ps->p99_ms, 1e-3)) :
	    json_null());
}

static json_t *
opt_real(double v, int known)
{
	return known ? json_real(round_to(v, 1e-6)) : json_null();
}

static json_t *
run_record(struct run *r, enum run_status st, const char *reason)
{
	const struct verdict *v = &r->verdict;
	json_t *rec, *faults, *tto;

	faults = json_array();
	tto = json_object();
	if (!faults || !tto)
		goto nomem;
	for (size_t i = 0; i < r->nunits; i++) {
		const struct unit *u = &r->units[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:f,s:O,s:I,s:o,s:o}",
		    "server", u->le.server, "type", fault_type_text(u->type),
		    "toxic", u->is_node ? "" : u->le.toxic, "stream",
		    u->stream, "toxicity", u->toxicity, "attributes",
		    u->attrs ? u->attrs : json_null(), "applied_count",
		    (json_int_t)u->napplied, "applied",
		    opt_real(u->applied_wall, u->napplied > 0), "removed",
		    opt_real(u->removed_wall, u->removed_wall > 0));
		if (!o || json_array_append_new(faults, o))
			goto nomem;
		if (!u->is_node)
			json_object_set_new(o, "toxic_type",
			    json_string(u->le.type));
	}
	for (size_t k = 0; k < v->naffected; k++)
		json_object_set_new(tto, v->affected[k],
		    opt_real((double)v->time_to_open_ms[k] / 1000.0,
		    v->time_to_open_ms[k] >= 0));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:f,s:f,s:s,s:s,"
	    "s:{s:o,s:o,s:o},s:o,"
	    "s:{s:o,s:o,s:o,s:f,s:o,s:I},s:b,s:{s:s,s:b}}",
	    "id", r->id, "batch", "", "scenario", r->spec.name, "source",
	    spec_source_text(r->spec.source), "loop", (json_int_t)r->loop,
	    "started", round_to(r->started_wall, 1e-3), "ended",
	    round_to(now_wall(), 1e-3), "status",
	    run_status_text(st), "reason", reason,
	    "phases",
	    "stabilization", phase_json(r, PHASE_STABILIZATION),
	    "testing", phase_json(r, PHASE_TESTING),
	    "recovery", phase_json(r, PHASE_RECOVERY),
	    "faults", faults,
	    "figures",
	    "time_to_open_s", tto,
	    "time_to_recover_s", opt_real(
		(double)v->time_to_recover_ms / 1000.0,
		v->time_to_recover_ms >= 0),
	    "baseline_error_rate", opt_real(v->baseline_error_rate,
		v->baseline_error_rate >= 0),
	    "peak_error_rate", round_to(v->peak_error_rate, 1e-6),
	    "other_error_rate", opt_real(v->other_error_rate,
		v->other_error_rate >= 0),
	    "samples", (json_int_t)v->nsamples,
	    "loss_approximated", r->loss_approximated,
	    "proxy", "version", r->proxy_version, "builtin",
	    r->proxy_builtin);
	return rec;
nomem:
	json_decref(faults);
	json_decref(tto);
	return NULL;
}

static void start_run(struct engine *e);

static void
finish_run(struct engine *e, int abort_run, const char *abort_reason)
{
	struct run *r = e->run;
	enum run_status st;
	char reason[1024] = "";
	json_t *rec;
	struct metric *m;
	const struct verdict *v = &r->verdict;

	remove_all(e, r);
	verdict_phase_end(&r->verdict, now_mono_ms(), now_wall());
	if (e->sampler)
		sampler_set_active(e->sampler, 0);
	if (abort_run) {
		st = RUN_ABORTED;
		snprintf(reason, sizeof reason, "%s", abort_reason);
		verdict_finish(&r->verdict, reason + strlen(reason), 0);
	} else {
		st = verdict_finish(&r->verdict, reason, sizeof reason);
		if (r->apply_error[0]) {
			st = RUN_FAILED;
			snprintf(reason, sizeof reason, "%s", r->apply_error);
		}
	}
	e->job_runs++;
	if (st != RUN_SUCCESS) {
		e->job_failed = 1;
		e->job_bad++;
	}
	if (e->reg) {
		if ((m = metric_get(e->f_runs, r->spec.name,
		    run_status_text(st))))
			metric_inc(m);
		for (size_t k = 0; k < v->naffected; k++) {
			if (v->time_to_open_ms[k] >= 0) {
				if ((m = metric_get(e->f_tto, r->spec.name,
				    v->affected[k])))
					metric_set(m,
					    (double)v->time_to_open_ms[k] /
					    1000.0);
			} else {
				metric_hide(e->f_tto, r->spec.name,
				    v->affected[k]);
			}
		}
		if (v->time_to_recover_ms >= 0) {
			if ((m = metric_get(e->f_ttr, r->spec.name)))
				metric_set(m,
				    (double)v->time_to_recover_ms / 1000.0);
		} else {
			metric_hide(e->f_ttr, r->spec.name);
		}
	}
	rec = run_record(r, st, reason);
	if (rec) {
		json_object_set_new(rec, "batch", json_string(e->batch));
		if (journal_append(e->opt.state_dir, rec) != 0)
			log_error("%s: the run could not be journaled", r->id);
		channel_event("run", json_incref(rec));
		json_decref(e->last_run);
		e->last_run = rec;
	} else {
		log_error("out of memory: run %s not journaled", r->id);
	}
	log_info("%s %s: %s%s%s", r->id, r->spec.name, run_status_text(st),
	    reason[0] ? ": " : "", reason);
	/* Idle after the verdict: a watcher that sees idle has the run. */
	r->phase = PHASE_IDLE;
	r->phase_start_wall = now_wall();
	publish_phase(e, r);
	free_run(r);
	e->run = NULL;
}

/* The job is over: reliabctl's --wait learns the outcome from this. */
static void
job_done(struct engine *e, int aborted)
{
	json_t *ev = json_pack("{s:s,s:s,s:I,s:I}", "run", e->batch,
	    "status", aborted ? "aborted" : (e->job_failed ? "failed" :
	    "success"), "runs", (json_int_t)e->job_runs, "failed",
	    (json_int_t)e->job_bad);

	e->busy = 0;
	if (ev)
		channel_event("done", ev);
	log_info("%s: done, %u runs, %u not successful", e->batch,
	    e->job_runs, e->job_bad);
}

/* The next run of the job, or the end of it. */
static void
next_run(struct engine *e)
{
	if (!e->busy)
		return;
	e->pidx++;
	if (e->pidx >= e->nplist) {
		e->pidx = 0;
		e->iteration++;
		if (!e->job.forever && e->iteration >= e->job.loop) {
			job_done(e, 0);
			return;
		}
	}
	start_run(e);
}

static void
start_run(struct engine *e)
{
	struct run *r;
	char err[256];

	/* A removal that failed earlier (a busy proxy) is retried before
	 * every run: a looping job never goes idle, where the retry lives. */
	if (e->ledger.n > 0 && engine_cleanup(e) != 0)
		log_warn("%zu fault(s) from an earlier run could not be removed; "
			 "this run starts with them applied",
		    e->ledger.n);
	r = calloc(1, sizeof *r);
	if (!r) {
		log_error("out of memory: job %s stopped", e->batch);
		e->busy = 0;
		e->job_failed = 1;
		return;
	}
	r->spec = e->plist[e->pidx];
	r->dur[PHASE_STABILIZATION] = e->job.stabilization_ms ?
	    e->job.stabilization_ms : r->spec.stabilization_ms;
	r->dur[PHASE_TESTING] = e->job.testing_ms ? e->job.testing_ms :
	    r->spec.testing_ms;
	r->dur[PHASE_RECOVERY] = e->job.recovery_ms ? e->job.recovery_ms :
	    r->spec.recovery_ms;
	r->loop = e->iteration + 1;
	snprintf(r->id, sizeof r->id, "%s-%u", e->batch, ++e->seq);
	r->started_wall = now_wall();
	/* Which proxy this is decides how `loss` is expressed. */
	if (toxi_probe(&e->toxi, err, sizeof err) == TOXI_OK) {
		r->proxy_builtin = e->toxi.builtin;
		strlcpy_r(r->proxy_version, e->toxi.version,
		    sizeof r->proxy_version);
	} else {
		log_warn("%s: proxy API: %s", r->id, err);
		r->proxy_builtin = 1;
		strlcpy_r(r->proxy_version, "unknown",
		    sizeof r->proxy_version);
	}
	if (build_units(r) != 0) {
		log_error("out of memory: job %s stopped", e->batch);
		free_run(r);
		e->busy = 0;
		e->job_failed = 1;
		return;
	}
	verdict_init(&r->verdict, &r->spec);
	e->run = r;
	/* The verdict points into the run, which is on the heap: stable. */
	r->verdict.spec = &r->spec;
	if (e->sampler)
		sampler_set_active(e->sampler, 1);
	enter_phase(e, r, PHASE_STABILIZATION);
}

int
engine_tick(struct engine *e)
{
	uint64_t now;
	struct run *r;
	int64_t wait;

	for (int guard = 0; guard < 16; guard++) {
		now = now_mono_ms();
		r = e->run;
		if (!r) {
			if (e->busy) {
				start_run(e);
				continue;
			}
			if (e->ledger.n == 0)
				return -1;
			/* Something could not be removed: keep trying. */
			if (now >= e->next_cleanup) {
				engine_cleanup(e);
				e->next_cleanup = now + CLEANUP_RETRY_MS;
			}
			return e->ledger.n ? CLEANUP_RETRY_MS : -1;
		}
		if (r->phase == PHASE_TESTING && r->next_toggle &&
		    now >= r->next_toggle && now < r->phase_end_mono) {
			if (r->faults_on) {
				remove_all(e, r);
				r->next_toggle = now + r->spec.pattern_off_ms;
			} else {
				apply_all(e, r);
				r->next_toggle = now + r->spec.pattern_on_ms;
			}
			continue;
		}
		if (now >= r->phase_end_mono) {
			if (now - r->phase_end_mono > 50)
				log_warn("%s: %s ended %llu ms late (the "
				    "machine is busy?)", r->id,
				    phase_text(r->phase), (unsigned long long)(
				    now - r->phase_end_mono));
			if (r->phase == PHASE_RECOVERY) {
				finish_run(e, 0, NULL);
				next_run(e);
			} else {
				enter_phase(e, r, r->phase + 1);
			}
			continue;
		}
		wait = (int64_t)(r->phase_end_mono - now);
		if (r->phase == PHASE_TESTING && r->next_toggle &&
		    (int64_t)(r->next_toggle - now) < wait)
			wait = (int64_t)(r->next_toggle - now);
		return (int)(wait > 0 ? wait : 0);
	}
	return 0;
}

void
engine_samples(struct engine *e)
{
	size_t n;

	if (!e->sampler)
		return;
	n = sampler_drain(e->sampler, e->samples, SAMPLER_QUEUE);
	if (!e->run)
		return;
	for (size_t i = 0; i < n; i++)
		verdict_add_sample(&e->run->verdict, &e->samples[i]);
	if (n) {
		e->ops_rate = e->samples[n - 1].ops_rate;
		e->error_rate = e->samples[n - 1].error_rate;
		e->sampled_mono = e->samples[n - 1].mono_ms;
	}
}

int
engine_stop(struct engine *e, const char *reason)
{
	int was = e->busy || e->run;

	if (e->run)
		finish_run(e, 1, reason);
	if (e->busy)
		job_done(e, 1);
	return was;
}

int
engine_start(struct engine *e, const struct run_args *job, json_t **result,
    enum proto_err *code, char *msg, size_t msglen)
{
	struct scenario_spec *pl;
	size_t n = 0;
	int all;
	char stamp[32];
	struct tm tm;
	time_t t;
	json_t *names;

	if (result)
		*result = NULL;
	if (e->busy) {
		*code = PROTO_E_BUSY;
		snprintf(msg, msglen, "run %s is going on; stop it first",
		    e->run ? e->run->id : e->batch);
		return -1;
	}
	if (job->nnames == 0 || (!job->forever && job->loop < 1)) {
		*code = PROTO_E_BAD_ARGUMENTS;
		snprintf(msg, msglen, "no scenario named, or loop < 1");
		return -1;
	}
	/* User files may have changed: read them again. */
	if (load_catalogue(e, NULL, NULL) != 0) {
		*code = PROTO_E_INTERNAL;
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	all = job->nnames == 1 && strcmp(job->names[0], "all") == 0;
	pl = calloc(all ? (e->cat.n ? e->cat.n : 1) : job->nnames, sizeof *pl);
	if (!pl) {
		*code = PROTO_E_INTERNAL;
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if (all) {
		for (size_t i = 0; i < e->cat.n; i++) {
			/* Node restarts need managed nodes and reliabd. */
			if (spec_needs_nodes(&e->cat.specs[i]) &&
			    (!e->opt.nnodes || !e->opt.have_channel))
				continue;
			pl[n++] = e->cat.specs[i];
		}
		if (n == 0) {
			free(pl);
			*code = PROTO_E_UNKNOWN_SCENARIO;
			snprintf(msg, msglen, "no scenario to run");
			return -1;
		}
	} else {
		for (size_t i = 0; i < job->nnames; i++) {
			const struct scenario_spec *s =
			    catalogue_find(&e->cat, job->names[i]);
			char near[512];

			if (!s) {
				*code = PROTO_E_UNKNOWN_SCENARIO;
				if (catalogue_suggest(&e->cat, job->names[i],
				    near, sizeof near, 5))
					snprintf(msg, msglen,
					    "unknown scenario \"%s\"; close "
					    "matches: %s", job->names[i],
					    near);
				else
					snprintf(msg, msglen,
					    "unknown scenario \"%s\" (no close "
					    "match; `list` shows them all)",
					    job->names[i]);
				free(pl);
				return -1;
			}
			if (spec_needs_nodes(s) && !e->opt.have_channel) {
				*code = PROTO_E_BAD_ARGUMENTS;
				snprintf(msg, msglen,
				    "%s restarts managed nodes: it runs under "
				    "reliabd only", s->name);
				free(pl);
				return -1;
			}
			for (size_t f = 0; f < s->nfaults; f++) {
				const struct fault_spec *fs = &s->faults[f];
				for (size_t k = 0; k < fs->nservers; k++) {
					int ok = 0;
					const char *const *l =
					    fs->type == FAULT_NODE_RESTART ?
					    e->opt.nodes : e->opt.servers;
					size_t ln =
					    fs->type == FAULT_NODE_RESTART ?
					    e->opt.nnodes : e->opt.nservers;
					if (ln == 0 &&
					    fs->type != FAULT_NODE_RESTART)
						ok = 1;
					for (size_t j = 0; j < ln; j++)
						if (strcmp(l[j],
						    fs->servers[k]) == 0)
							ok = 1;
					if (!ok) {
						*code = PROTO_E_BAD_ARGUMENTS;
						snprintf(msg, msglen,
						    "%s: %s \"%s\" is not "
						    "configured", s->name,
						    fs->type ==
						    FAULT_NODE_RESTART ?
						    "node" : "server",
						    fs->servers[k]);
						free(pl);
						return -1;
					}
				}
			}
			pl[n++] = *s;
		}
	}
	free(e->plist);
	e->plist = pl;
	e->nplist = n;
	e->pidx = 0;
	e->iteration = 0;
	e->seq = 0;
	e->job = *job;
	if (e->job.loop < 1)
		e->job.loop = 1;
	e->job_failed = 0;
	e->job_runs = e->job_bad = 0;
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(e->batch, sizeof e->batch, "%s-%04x", stamp,
	    (unsigned)((now_mono_ns() / 1000) ^ (unsigned)getpid()) & 0xffff);
	e->busy = 1;
	start_run(e);
	if (result) {
		names = json_array();
		for (size_t i = 0; names && i < n; i++)
			json_array_append_new(names, json_string(pl[i].name));
		*result = json_pack("{s:s,s:o,s:I,s:b}", "run", e->batch,
		    "scenarios", names ? names : json_array(), "loop",
		    (json_int_t)e->job.loop, "forever", e->job.forever);
	}
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
	return json_pack("{s:o,s:I}", "scenarios", arr, "errors",
	    (json_int_t)e->cat.errors);
}

json_t *
engine_status_json(struct engine *e)
{
	struct run *r = e->run;
	json_t *o;

	if (!r)
		o = json_pack("{s:s,s:s}", "state", e->busy ? "running" :
		    "idle", "phase", "idle");
	else
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:I,s:i,s:i,s:b,"
		    "s:i,s:i,s:I}",
		    "state", "running", "run", r->id, "batch", e->batch,
		    "scenario", r->spec.name, "phase", phase_text(r->phase),
		    "phase_started", r->phase_start_wall, "phase_ends",
		    r->phase_start_wall + (double)r->dur[r->phase] / 1000.0,
		    "duration_ms", (json_int_t)r->dur[r->phase], "loop",
		    (int)r->loop, "loops", (int)e->job.loop, "forever",
		    e->job.forever, "index", (int)e->pidx + 1, "count",
		    (int)e->nplist, "ledger", (json_int_t)e->ledger.n);
	/* The loadgen as last sampled (within 2 s), for a live line. */
	if (o && r && e->sampled_mono &&
	    now_mono_ms() - e->sampled_mono < 2000) {
		json_object_set_new(o, "ops_rate", json_real(e->ops_rate));
		json_object_set_new(o, "error_rate", json_real(e->error_rate));
	}
	if (o && e->last_run) {
		json_t *lr = json_pack("{s:O,s:O,s:O}", "id",
		    json_object_get(e->last_run, "id"), "scenario",
		    json_object_get(e->last_run, "scenario"), "status",
		    json_object_get(e->last_run, "status"));
		if (lr)
			json_object_set_new(o, "last_run", lr);
	}
	return o;
}

int
engine_reload(struct engine *e)
{
	return load_catalogue(e, NULL, NULL);
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
