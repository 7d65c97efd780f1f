/* Metrics, channel events and the journal (see publish.h). */
#include "publish.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "series.h"
#include "series_prune.h"
#include "util.h"

static void
journal_rotated(const char *dir)
{
	(void)series_prune_unjournaled(dir);
}

int
publisher_init(struct publisher *p, struct metrics_registry *reg,
    const char *state_dir, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->reg = reg;
	p->state_dir = state_dir;
	/* The run series go with the journal's rotation. */
	journal_on_rotate(journal_rotated);
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
	series_writer_close(p->series);
	p->series = NULL;
}

void
publish_servers(struct publisher *p, const char *const *servers, size_t n)
{
	p->servers = servers;
	p->nservers = n;
}

/* The series of run `id`, if it is the one being written. */
static struct series_writer *
series_of(struct publisher *p, const char *id)
{
	if (!p->series || !id || strcmp(series_writer_run(p->series), id))
		return NULL;
	return p->series;
}

/* A run begins (its first phase): its series file is created, the
 * directory kept under its cap first (listed at the first run, and
 * again once the series written since may have filled it). */
static void
series_begin(struct publisher *p, const struct run *r)
{
	const char *clients[RUN_CLIENTS_MAX];
	struct series_meta m = {.state_dir = p->state_dir, .run = r->id,
		.scenario = r->spec.name, .clients = clients,
		.start = r->started_wall, .servers = p->servers,
		.nservers = p->nservers};

	/* A run of no named client samples one, "default". */
	for (size_t i = 0; i < r->nclients && r->clients[i][0]; i++)
		clients[m.nclients++] = r->clients[i];

	series_writer_close(p->series);
	if (!p->series_counted ||
	    p->series_bytes + SERIES_WRITER_CAP > SERIES_DIR_CAP) {
		series_prune_cap(p->state_dir,
		    SERIES_DIR_CAP - SERIES_WRITER_CAP, NULL,
		    &p->series_bytes);
		p->series_counted = 1;
	}
	p->series = series_writer_open(&m);
}

/* The run's series is over: the end line, synced. */
static void
series_finish(struct publisher *p, double wall, enum run_status st)
{
	series_writer_phase(p->series, wall, "done");
	p->series_bytes += series_writer_bytes(p->series);
	series_writer_end(p->series, wall, run_status_text(st));
	p->series = NULL;
}

void
publish_samples(struct publisher *p, const struct run *r, size_t client,
    const struct lg_sample *s, size_t n)
{
	struct series_writer *w = r ? series_of(p, r->id) : NULL;

	for (size_t i = 0; w && i < n; i++)
		series_writer_sample(w, client, &s[i]);
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
	struct series_writer *w;
	json_t *ev;

	if (r->phase == PHASE_STABILIZATION && !series_of(p, r->id))
		series_begin(p, r);
	if (r->phase != PHASE_IDLE && (w = series_of(p, r->id)))
		series_writer_phase(w, r->phase_start_wall,
		    phase_text(r->phase));
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

/* A fault in a few words for the series: "downstream latency=1000
 * jitter=0", the toxicity when it is not 1. */
static void
fault_detail(const struct fault_unit *u, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t n;

	n = (size_t)snprintf(buf, len, "%s", u->stream);
	if (n < len && u->toxicity < 1.0)
		n += (size_t)snprintf(buf + n, len - n, " toxicity=%g",
		    u->toxicity);
	if (u->is_node && n < len)
		n += (size_t)snprintf(buf + n, len - n, " down_ms=%llu",
		    (unsigned long long)u->down_ms);
	json_object_foreach(u->attrs, key, v) {
		if (n >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%g",
		    n ? " " : "", key, json_number_value(v));
	}
}

void
publish_fault(struct publisher *p, const struct fault_set *s,
    const struct fault_unit *u, const char *action, const char *error)
{
	struct series_writer *w = series_of(p, s->run_id);
	json_t *ev;

	if (w) {
		char detail[200];

		fault_detail(u, detail, sizeof detail);
		series_writer_fault(w, now_wall(), action,
		    fault_type_text(u->type), u->le.server, detail, error);
	}

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
	/* The series ends before the record is journaled: a reader that
	 * finds the record finds the whole series. */
	if (series_of(p, r->id))
		series_finish(p, wall, st);
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
