/* Metrics, channel events and the journal (see publish.h). */
#include "publish.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "util.h"

int
publisher_init(struct publisher *p, struct metrics_registry *reg,
    const char *state_dir, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->reg = reg;
	p->state_dir = state_dir;
	if (!reg)
		return 0;
	p->f_phase = metrics_gauge(reg, "scenario_phase",
	    "Current phase: 0 idle, 1 stabilization, 2 testing, 3 recovery",
	    "scenario");
	p->f_pdur = metrics_gauge(reg, "scenario_phase_duration_seconds",
	    "Configured length of the phase", "scenario,phase");
	p->f_pstart = metrics_gauge(reg,
	    "scenario_phase_start_timestamp_seconds",
	    "Unix time the phase began", "scenario,phase");
	p->f_runs = metrics_counter(reg, "scenario_runs_total",
	    "Finished runs by verdict", "scenario,status");
	p->f_active = metrics_gauge(reg, "toxiproxy_toxic_active",
	    "Whether the fault is applied on the server (0/1)",
	    "server,type");
	p->f_config = metrics_gauge(reg, "toxiproxy_toxic_config",
	    "Parameters of the applied fault", "server,type,param");
	p->f_tto = metrics_gauge(reg, "scenario_time_to_open_seconds",
	    "Seconds from fault applied to the server's breaker opening, "
	    "last run", "scenario,server");
	p->f_ttr = metrics_gauge(reg, "scenario_time_to_recover_seconds",
	    "Seconds from fault removed to the error rate back under the "
	    "baseline, last run", "scenario");
	if (!p->f_phase || !p->f_pdur || !p->f_pstart || !p->f_runs ||
	    !p->f_active || !p->f_config || !p->f_tto || !p->f_ttr) {
		snprintf(err, errlen, "cannot declare the metrics");
		return -1;
	}
	return 0;
}

void
publisher_free(struct publisher *p)
{
	json_decref(p->last_run);
	p->last_run = NULL;
}

void
publish_catalogue(struct publisher *p, const struct catalogue *cat)
{
	if (!p->reg)
		return;
	for (size_t i = 0; i < cat->n; i++) {
		const char *n = cat->specs[i].name;
		struct metric *m;

		/* Created at 0; a running one keeps its value. */
		(void)metric_get(p->f_phase, n);
		for (int s = RUN_SUCCESS; s <= RUN_ABORTED; s++) {
			m = metric_get(p->f_runs, n,
			    run_status_text((enum run_status)s));
			if (m)
				metric_add(m, 0);
		}
	}
}

void
publish_phase(struct publisher *p, const struct run *r)
{
	struct metric *m;
	json_t *ev;

	if (p->reg && r->phase != PHASE_IDLE) {
		/* Durations first, so a scrape never sees the start of a
		 * phase with the previous run's length. */
		for (int ph = PHASE_STABILIZATION; ph <= PHASE_RECOVERY; ph++)
			if ((m = metric_get(p->f_pdur, r->spec.name,
			    phase_text((enum phase)ph))))
				metric_set(m, (double)r->dur[ph] / 1000.0);
		if ((m = metric_get(p->f_pstart, r->spec.name,
		    phase_text(r->phase))))
			metric_set(m, r->phase_start_wall);
	}
	if (p->reg && (m = metric_get(p->f_phase, r->spec.name)))
		metric_set(m, (double)r->phase);
	ev = json_pack("{s:s,s:s,s:s,s:f,s:I,s:i}", "run", r->id, "scenario",
	    r->spec.name, "phase", phase_text(r->phase), "started",
	    r->phase_start_wall, "duration_ms",
	    (json_int_t)(r->phase == PHASE_IDLE ? 0 : r->dur[r->phase]),
	    "loop", (int)r->loop);
	if (ev && p->notice)
		json_object_set_new(ev, "notice", json_string(p->notice));
	if (ev)
		channel_event("phase", ev);
	log_info("%s %s: %s", r->id, r->spec.name, phase_text(r->phase));
}

void
publish_notice(struct publisher *p, const char *notice)
{
	json_t *ev;

	p->notice = notice && *notice ? notice : NULL;
	if (!p->notice)
		return;
	ev = json_pack("{s:s,s:s,s:f,s:I}", "phase", "idle", "notice",
	    p->notice, "started", now_wall(), "duration_ms", (json_int_t)0);
	if (ev)
		channel_event("phase", ev);
}

static void
fault_metrics(struct publisher *p, const struct fault_unit *u)
{
	const char *type = fault_type_text(u->type);
	const char *key;
	json_t *v;
	struct metric *m;

	if (!p->reg)
		return;
	if ((m = metric_get(p->f_active, u->le.server, type)))
		metric_set(m, u->active ? 1 : 0);
	if (u->active) {
		if ((m = metric_get(p->f_config, u->le.server, type,
		    "toxicity")))
			metric_set(m, u->toxicity);
	} else {
		metric_hide(p->f_config, u->le.server, type, "toxicity");
	}
	if (!u->attrs)
		return;
	json_object_foreach(u->attrs, key, v) {
		if (u->active) {
			if ((m = metric_get(p->f_config, u->le.server, type,
			    key)))
				metric_set(m, json_number_value(v));
		} else {
			metric_hide(p->f_config, u->le.server, type, key);
		}
	}
}

void
publish_fault(struct publisher *p, const struct fault_set *s,
    const struct fault_unit *u, const char *action, const char *error)
{
	json_t *ev;

	/* A failed apply changed nothing on the proxy. */
	if (!(error && strcmp(action, "apply") == 0))
		fault_metrics(p, u);
	ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f}", "action", action,
	    "run", s->run_id, "scenario", s->scenario, "server",
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
run_metrics(struct publisher *p, const struct run *r, enum run_status st)
{
	const struct verdict *v = &r->verdict;
	struct metric *m;

	if (!p->reg)
		return;
	if ((m = metric_get(p->f_runs, r->spec.name, run_status_text(st))))
		metric_inc(m);
	for (size_t k = 0; k < v->naffected; k++) {
		if (v->time_to_open_ms[k] >= 0) {
			if ((m = metric_get(p->f_tto, r->spec.name,
			    v->affected[k])))
				metric_set(m,
				    (double)v->time_to_open_ms[k] / 1000.0);
		} else {
			metric_hide(p->f_tto, r->spec.name, v->affected[k]);
		}
	}
	if (v->time_to_recover_ms >= 0) {
		if ((m = metric_get(p->f_ttr, r->spec.name)))
			metric_set(m, (double)v->time_to_recover_ms / 1000.0);
	} else {
		metric_hide(p->f_ttr, r->spec.name);
	}
}

void
publish_run(struct publisher *p, const struct run *r, enum run_status st,
    const char *reason, const char *batch, double wall)
{
	json_t *rec;

	run_metrics(p, r, st);
	rec = run_record(r, batch, st, reason, wall);
	if (!rec) {
		log_error("out of memory: run %s not journaled", r->id);
		return;
	}
	if (journal_append(p->state_dir, rec) != 0)
		log_error("%s: the run could not be journaled", r->id);
	channel_event("run", json_incref(rec));
	json_decref(p->last_run);
	p->last_run = rec;
}

void
publish_done(struct publisher *p, const struct playlist *pl, int aborted)
{
	json_t *ev = json_pack("{s:s,s:s,s:I,s:I}", "run", pl->batch,
	    "status", aborted ? "aborted" : (pl->failed ? "failed" :
	    "success"), "runs", (json_int_t)pl->runs, "failed",
	    (json_int_t)pl->bad);

	(void)p;
	if (ev)
		channel_event("done", ev);
}
