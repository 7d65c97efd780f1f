/* The scenario job reliabd forwarded, and the run in flight as the
 * worker's events tell it. A worker that dies (kill -9, a crash) cannot
 * journal its own run, so reliabd does: the run becomes an `aborted`
 * record of the worker's shape with the phases seen so far, watchers get
 * its `run` event and the job's `done`, and what is left of the job is
 * sent again once the restarted worker is ready (it cleans its ledger
 * first), or `status` says why it cannot be. Below control.c: the
 * supervisor, events.c and cmd-status.c call it; watchers are told
 * through d->broadcast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "reliabd.h"
#include "scenario/journal.h"
#include "scenario/runargs.h"
#include "util.h"

static const char *const phase_names[3] = { "stabilization", "testing",
	"recovery" };

const char *
job_state_text(enum job_state st)
{
	switch (st) {
	case JOB_NONE:
		return "none";
	case JOB_RUNNING:
		return "running";
	case JOB_RESUMING:
		return "resuming";
	case JOB_RESENT:
		return "resent";
	case JOB_LOST:
		return "lost";
	}
	return "unknown";
}

/* The one place j->state changes. */
static void
job_set_state(struct scenario_job *j, enum job_state st, const char *why)
{
	if (j->state != st)
		log_debug("job %s: %s -> %s", j->batch,
		    job_state_text(j->state), job_state_text(st));
	j->state = st;
	strlcpy_r(j->why, why ? why : "", sizeof(j->why));
	if (st == JOB_NONE) {
		json_decref(j->args);
		j->args = NULL;
	}
}

static void
run_clear(struct job_run *r)
{
	json_decref(r->faults);
	memset(r, 0, sizeof(*r));
}

void
job_free(struct reliabd *d)
{
	job_set_state(&d->job, JOB_NONE, NULL);
	run_clear(&d->job.run);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int
phase_index(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, phase_names[i]) == 0)
			return i;
	return -1;
}

/* "BATCH-SEQ", as the worker names a run: the job and the place in it. */
static void
run_place(struct scenario_job *j, const char *id, json_int_t loop)
{
	const char *dash = strrchr(id, '-');
	size_t n;

	if (dash == NULL || (n = (size_t)(dash - id)) >= sizeof(j->last_batch))
		return;
	memcpy(j->last_batch, id, n);
	j->last_batch[n] = '\0';
	j->last_seq = (unsigned)strtoul(dash + 1, NULL, 10);
	j->last_loop = loop;
}

static void
on_phase(struct scenario_job *j, const json_t *msg)
{
	struct job_run *r = &j->run;
	const char *id = str(msg, "run");
	int p = phase_index(str(msg, "phase"));

	if (p < 0 || *id == '\0' || strlen(id) >= sizeof(r->id))
		return;
	if (!r->active || strcmp(r->id, id) != 0) {
		run_clear(r);
		r->active = 1;
		strlcpy_r(r->id, id, sizeof(r->id));
		strlcpy_r(r->scenario, str(msg, "scenario"),
		    sizeof(r->scenario));
		r->loop = json_integer_value(json_object_get(msg, "loop"));
		r->started = json_number_value(json_object_get(msg, "started"));
		r->faults = json_array();
		run_place(j, id, r->loop);
	}
	r->phase_start[p] = json_number_value(json_object_get(msg, "started"));
	r->phase_ms[p] = json_integer_value(json_object_get(msg,
	    "duration_ms"));
}

/* A fault the run applied or removed, kept in the record's shape. */
static void
on_fault(struct scenario_job *j, const json_t *msg)
{
	struct job_run *r = &j->run;
	const char *action = str(msg, "action");
	json_t *u = NULL, *v;
	size_t i;

	if (!r->active || strcmp(str(msg, "run"), r->id) != 0 ||
	    json_object_get(msg, "error") != NULL || r->faults == NULL)
		return;
	json_array_foreach(r->faults, i, v)
		if (strcmp(str(v, "server"), str(msg, "server")) == 0 &&
		    strcmp(str(v, "type"), str(msg, "type")) == 0 &&
		    strcmp(str(v, "toxic"), str(msg, "toxic")) == 0)
			u = v;
	if (u == NULL) {
		if (json_array_size(r->faults) >= 64)
			return; /* bounded: a scenario has a few */
		u = json_pack("{s:s, s:s, s:s, s:n, s:O, s:O, s:I, s:n, s:n}",
		    "server", str(msg, "server"), "type", str(msg, "type"),
		    "toxic", str(msg, "toxic"), "stream", "toxicity",
		    json_object_get(msg, "toxicity") ?
			json_object_get(msg, "toxicity") : json_null(),
		    "attributes", json_object_get(msg, "attributes") ?
			json_object_get(msg, "attributes") : json_null(),
		    "applied_count", (json_int_t)0, "applied", "removed");
		if (u == NULL || json_array_append_new(r->faults, u) < 0)
			return;
	}
	if (strcmp(action, "apply") == 0) {
		json_object_set_new(u, "applied_count", json_integer(
		    json_integer_value(json_object_get(u, "applied_count")) +
		    1));
		if (json_is_null(json_object_get(u, "applied")))
			json_object_set_new(u, "applied",
			    json_real(now_wall()));
	} else if (strcmp(action, "remove") == 0) {
		json_object_set_new(u, "removed", json_real(now_wall()));
	}
}

void
job_event(struct reliabd *d, const char *name, const json_t *msg)
{
	struct scenario_job *j = &d->job;

	if (strcmp(name, "phase") == 0) {
		on_phase(j, msg);
	} else if (strcmp(name, "fault") == 0) {
		on_fault(j, msg);
	} else if (strcmp(name, "run") == 0) {
		/* The worker journaled it: not ours to record. */
		if (j->run.active && strcmp(str(msg, "id"), j->run.id) == 0)
			run_clear(&j->run);
		if (strcmp(str(msg, "batch"), j->batch) == 0) {
			j->runs++;
			if (strcmp(str(msg, "status"), "success") != 0)
				j->bad++;
		}
	} else if (strcmp(name, "done") == 0) {
		if (j->state == JOB_RUNNING &&
		    strcmp(str(msg, "run"), j->batch) == 0)
			job_set_state(j, JOB_NONE, NULL);
	}
}

void
job_forwarded(struct child *c, const char *cmd, const json_t *args,
    const struct proto_msg *reply)
{
	struct scenario_job *j = &c->d->job;
	const char *batch;

	if (c->kind != KIND_SCENARIO || strcmp(cmd, "start-scenario") != 0)
		return;
	if (reply == NULL) {
		/* No answer: the worker died (sent again once it is back) or
		 * did not answer in time (tried again at its next start). */
		if (j->state == JOB_RESENT)
			job_set_state(j, JOB_RESUMING, "the scenario worker "
			    "did not answer; the job is sent again when it "
			    "restarts");
		return;
	}
	if (!reply->ok) {
		/* An operator's start refused leaves the job as it was. */
		if (j->state == JOB_RESENT) {
			char why[sizeof(j->why)];

			snprintf(why, sizeof(why), "the scenario worker "
			    "refused the job: %.120s", reply->message);
			log_warn("job %s not resumed: %s", j->batch,
			    reply->message);
			job_set_state(j, JOB_LOST, why);
		}
		return;
	}
	batch = json_string_value(json_object_get(reply->result, "run"));
	if (batch == NULL || strlen(batch) >= sizeof(j->batch)) {
		log_warn("the scenario worker named no job; it is not "
			 "resumed if the worker dies");
		job_set_state(j, JOB_NONE, NULL);
		return;
	}
	json_decref(j->args);
	j->args = json_deep_copy(args);
	if (j->args)
		json_object_del(j->args, "wait");
	strlcpy_r(j->batch, batch, sizeof(j->batch));
	j->runs = j->bad = 0;
	job_set_state(j, j->args ? JOB_RUNNING : JOB_NONE, NULL);
}

/* "signal 9" or "exit 3": the reason's wording. */
static void
death_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "status %#x", status);
}

static json_t *
phase_json(const struct job_run *r, int p, double died)
{
	double end = died;

	if (r->phase_start[p] == 0)
		return json_pack("{s:n, s:n, s:n}", "start", "end",
		    "duration_ms");
	for (int q = p + 1; q < 3; q++)
		if (r->phase_start[q] != 0) {
			end = r->phase_start[q];
			break;
		}
	return json_pack("{s:f, s:f, s:I, s:n, s:n, s:n}", "start",
	    r->phase_start[p], "end", end, "duration_ms", r->phase_ms[p],
	    "ops", "error_rate", "p99_ms");
}

/* The record the worker would have written, from what reliabd saw: no
 * figures (the worker sampled them, and died with them). */
static json_t *
run_record(const struct scenario_job *j, const char *reason, double died)
{
	const struct job_run *r = &j->run;
	const char *batch = j->last_batch;

	return json_pack("{s:s, s:s, s:s, s:n, s:I, s:f, s:f, s:s, s:s, "
			 "s:{s:o, s:o, s:o}, s:O, "
			 "s:{s:{}, s:n, s:n, s:n, s:n, s:I}, s:b, "
			 "s:{s:s, s:n}, s:s}",
	    "id", r->id, "batch", batch, "scenario", r->scenario, "source",
	    "loop", r->loop, "started", r->started, "ended", died, "status",
	    "aborted", "reason", reason, "phases", "stabilization",
	    phase_json(r, 0, died), "testing", phase_json(r, 1, died),
	    "recovery", phase_json(r, 2, died), "faults",
	    r->faults ? r->faults : json_null(), "figures", "time_to_open_s",
	    "time_to_recover_s", "baseline_error_rate", "peak_error_rate",
	    "other_error_rate", "samples", (json_int_t)0, "loss_approximated",
	    0, "proxy", "version", "unknown", "builtin", "recorded_by",
	    "reliabd");
}

static void
broadcast(struct reliabd *d, const char *name, json_t *ev)
{
	if (ev == NULL)
		return;
	json_object_set_new(ev, "event", json_string(name));
	json_object_set_new(ev, "source", json_string("reliabd"));
	json_object_set_new(ev, "time", json_real(now_wall()));
	if (d->broadcast)
		d->broadcast(d, ev);
	json_decref(ev);
}

/* The run in flight, journaled as aborted and told to watchers. */
static void
record_aborted(struct reliabd *d, const char *how)
{
	struct scenario_job *j = &d->job;
	char reason[128];
	json_t *rec;

	snprintf(reason, sizeof(reason), "scenario worker died (%s)", how);
	rec = run_record(j, reason, now_wall());
	if (rec == NULL) {
		log_error("out of memory: run %s not journaled", j->run.id);
		return;
	}
	if (journal_append(d->cfg.state_dir, rec) != 0)
		log_error("%s: the run could not be journaled", j->run.id);
	else
		log_warn("%s %s: aborted: %s", j->run.id, j->run.scenario,
		    reason);
	if (strcmp(j->last_batch, j->batch) == 0) {
		j->runs++;
		j->bad++;
	}
	broadcast(d, "run", rec);
}

static int
names_have_all(const json_t *names)
{
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v)
		if (strcmp(json_string_value(v), "all") == 0)
			return 1;
	return 0;
}

/* What is left of the job after `seq` runs started (the last one
 * aborted): the args to send again, or NULL when nothing is. A forever
 * job goes on with the scenario after the aborted one; a loop of N, with
 * the rest of its pass and the passes after it. */
static json_t *
job_left(const struct scenario_job *j)
{
	const json_t *names = json_object_get(j->args, "names");
	size_t n = json_array_size(names), next, i;
	json_int_t loop = json_integer_value(json_object_get(j->args, "loop"));
	uint64_t total, left;
	json_t *a, *list;

	if (strcmp(j->last_batch, j->batch) != 0 || j->last_seq == 0)
		return json_deep_copy(j->args); /* no run of it started */
	if (n == 0 || (a = json_deep_copy(j->args)) == NULL)
		return NULL;
	if (loop < 1)
		loop = 1;
	if (names_have_all(names)) {
		/* How many "all" holds is the worker's: whole passes. */
		if (json_is_true(json_object_get(a, "forever")))
			return a;
		if (loop - j->last_loop < 1) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(a, "loop",
		    json_integer(loop - j->last_loop));
		return a;
	}
	next = j->last_seq % n;
	if (json_is_true(json_object_get(a, "forever"))) {
		left = n; /* one pass from the next, and round again */
	} else {
		total = (uint64_t)loop * n;
		left = total > j->last_seq ? total - j->last_seq : 0;
		if (left == 0) {
			json_decref(a);
			return NULL;
		}
		if (next == 0 || left > RUN_NAMES_MAX) {
			/* Whole passes (a partial one too long to list is
			 * dropped). */
			if (next != 0)
				log_warn("job %s: the rest of pass %lld is "
					 "skipped", j->batch,
				    (long long)j->last_loop);
			if (left / n == 0) {
				json_decref(a);
				return NULL;
			}
			json_object_set_new(a, "loop",
			    json_integer((json_int_t)(left / n)));
			return a;
		}
		json_object_set_new(a, "loop", json_integer(1));
	}
	list = json_array();
	for (i = 0; list && i < left; i++)
		json_array_append(list, json_array_get(names, (next + i) % n));
	if (list == NULL) {
		json_decref(a);
		return NULL;
	}
	json_object_set_new(a, "names", list);
	return a;
}

void
job_worker_died(struct reliabd *d, struct child *c)
{
	struct scenario_job *j = &d->job;
	char how[64], why[sizeof(j->why)];
	json_t *left;

	/* `status` shows no run of a dead worker. */
	json_decref(c->last_phase);
	c->last_phase = NULL;
	death_text(c->last_status, how, sizeof(how));
	if (j->run.active)
		record_aborted(d, how);
	if (j->state == JOB_RUNNING) {
		broadcast(d, "done", json_pack("{s:s, s:s, s:I, s:I}", "run",
		    j->batch, "status", "aborted", "runs",
		    (json_int_t)j->runs, "failed", (json_int_t)j->bad));
		left = job_left(j);
		json_decref(j->args);
		j->args = left;
		if (left == NULL)
			job_set_state(j, JOB_NONE, NULL);
		else
			job_set_state(j, JOB_RESUMING, NULL);
	}
	run_clear(&j->run);
	if (j->state != JOB_RESUMING)
		return;
	if (c->state == CHILD_FATAL) {
		snprintf(why, sizeof(why), "the scenario worker died (%s) and "
		    "went fatal; job %s is not resumed", how, j->batch);
		log_error("%s", why);
		job_set_state(j, JOB_LOST, why);
	} else if (!c->want_up || d->state == DAEMON_STOPPING) {
		job_set_state(j, JOB_NONE, NULL);
	} else {
		snprintf(why, sizeof(why), "the scenario worker died (%s); "
		    "job %s goes on when it is back", how, j->batch);
		job_set_state(j, JOB_RESUMING, why);
	}
}

int
job_worker_ready(struct reliabd *d)
{
	struct scenario_job *j = &d->job;
	struct cmd_ctx ctx = { .d = d };
	json_t *reply;
	char why[sizeof(j->why)];

	if (j->state != JOB_RESUMING || j->args == NULL)
		return 0;
	log_info("resuming job %s", j->batch);
	job_set_state(j, JOB_RESENT, "sent again to the restarted worker");
	reply = cmd_forward_start(&ctx, j->args);
	if (reply) {
		snprintf(why, sizeof(why), "job %s could not be sent again: "
		    "%s", j->batch, json_string_value(json_object_get(
			json_object_get(reply, "error"), "message")));
		log_warn("%s", why);
		job_set_state(j, JOB_LOST, why);
		json_decref(reply);
	}
	return 1;
}

void
job_stop(struct reliabd *d)
{
	if (d->job.state != JOB_RUNNING && d->job.state != JOB_NONE) {
		log_info("job %s: dropped on request", d->job.batch);
		job_set_state(&d->job, JOB_NONE, NULL);
	}
}

json_t *
job_status_json(const struct reliabd *d)
{
	const struct scenario_job *j = &d->job;
	json_t *o;

	if (j->state == JOB_NONE)
		return NULL;
	o = json_pack("{s:s, s:s, s:O, s:I, s:I}", "state",
	    job_state_text(j->state), "batch", j->batch, "args",
	    j->args ? j->args : json_null(), "runs", (json_int_t)j->runs,
	    "failed", (json_int_t)j->bad);
	if (o && j->why[0])
		json_object_set_new(o, "why", json_string(j->why));
	return o;
}
