/* The run record (see record.h). */
#include "record.h"

#include <math.h>

/* Figures rounded, so the journal reads well: times to the ms, ratios
 * and latencies to 6 decimals. */
static double
round_to(double v, double unit)
{
	return round(v / unit) * unit;
}

static json_t *
opt_real(double v, int known)
{
	return known ? json_real(round_to(v, 1e-6)) : json_null();
}

/* A latency in ms, or null when unknown (< 0). */
static json_t *
opt_ms(double ms)
{
	return ms >= 0 ? json_real(round_to(ms, 1e-3)) : json_null();
}

/* Failed operations by kind, only the kinds that happened. */
static json_t *
errors_json(const struct phase_stats *ps)
{
	json_t *o = json_object();

	for (int k = 0; o && k < ERRK__COUNT; k++)
		if (ps->errors[k] > 0)
			json_object_set_new(o, err_kind_text((enum err_kind)k),
			    json_integer((json_int_t)ps->errors[k]));
	return o;
}

static json_t *
servers_json(const struct phase_stats *ps)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < ps->nservers; i++) {
		const struct server_stats *s = &ps->servers[i];
		json_object_set_new(o, s->name, json_pack("{s:I,s:o,s:o,s:o,"
		    "s:o}", "ops", (json_int_t)s->ops, "ops_rate",
		    opt_real(s->ops_rate, s->ops_rate >= 0), "error_rate",
		    opt_real(s->error_rate, s->error_rate >= 0), "p50_ms",
		    opt_ms(s->p50_ms), "p99_ms", opt_ms(s->p99_ms)));
	}
	return o;
}

static json_t *
phase_json(const struct run *r, const struct verdict *v, enum phase p)
{
	const struct phase_stats *ps = &v->phases[p];
	json_t *o;

	if (ps->start_wall == 0)
		return json_pack("{s:n,s:n,s:I}", "start", "end",
		    "duration_ms", (json_int_t)r->dur[p]);
	o = json_pack("{s:f,s:f,s:I,s:I,s:f,s:o}", "start",
	    round_to(ps->start_wall, 1e-3), "end", round_to(ps->end_wall, 1e-3),
	    "duration_ms", (json_int_t)r->dur[p], "ops", (json_int_t)ps->ops,
	    "error_rate", round_to(ps->error_rate, 1e-6), "p99_ms",
	    opt_ms(ps->p99_ms));
	if (o && json_object_update_new(o, json_pack("{s:o,s:o,s:o,s:o}",
	    "ops_rate", opt_real(ps->ops_rate, ps->ops_rate >= 0), "p50_ms",
	    opt_ms(ps->p50_ms), "errors", errors_json(ps), "servers",
	    servers_json(ps))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Every check of the steady-state hypothesis, in the verdict's order. */
static json_t *
checks_json(const struct verdict *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->nchecks; i++) {
		const struct check *c = &v->checks[i];
		double unit = c->unit == UNIT_MS ? 1e-3 : 1e-6;
		json_t *o = json_pack("{s:s,s:o,s:o,s:f,s:o,s:s,s:s,s:s}",
		    "check", c->name, "phase", c->phase == PHASE_IDLE ?
		    json_null() : json_string(phase_text(c->phase)), "server",
		    c->server[0] ? json_string(c->server) : json_null(),
		    "expected", round_to(c->expected, unit), "measured",
		    c->have_measured ? json_real(round_to(c->measured, unit)) :
		    json_null(), "unit", check_unit_text(c->unit), "result",
		    check_result_text(c->result), "why", c->why);
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A verdict's figures (the "figures" object). */
static json_t *
figures_json(const struct verdict *v)
{
	json_t *tto = json_object();

	if (!tto)
		return NULL;
	for (size_t k = 0; k < v->naffected; k++)
		json_object_set_new(tto, v->affected[k],
		    opt_real((double)v->time_to_open_ms[k] / 1000.0,
		    v->time_to_open_ms[k] >= 0));
	return json_pack("{s:o,s:o,s:o,s:f,s:o,s:I,s:o,s:o}",
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
	    "throughput_ratio",
	    opt_real(v->throughput_ratio, v->throughput_ratio >= 0),
	    "recovered_throughput_ratio",
	    opt_real(v->recovered_throughput_ratio,
		v->recovered_throughput_ratio >= 0));
}

/* The phases, figures and checks of one verdict, as the record's top
 * level has them (the first client's) and each client's entry. */
static json_t *
judged_json(const struct run *r, const struct verdict *v)
{
	return json_pack("{s:{s:o,s:o,s:o},s:o,s:o}", "phases",
	    "stabilization", phase_json(r, v, PHASE_STABILIZATION),
	    "testing", phase_json(r, v, PHASE_TESTING),
	    "recovery", phase_json(r, v, PHASE_RECOVERY),
	    "figures", figures_json(v), "checks", checks_json(v));
}

/* Every client side by side: its name, own verdict and reason, and what
 * it was judged on. */
static json_t *
clients_json(const struct run *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->nclients; i++) {
		json_t *o = judged_json(r, r->verdicts[i]);

		if (!o || json_object_update_new(o, json_pack("{s:s,s:s,s:s}",
		    "name", r->clients[i], "status",
		    run_status_text(r->client_status[i]), "reason",
		    r->client_reason[i])) != 0 ||
		    json_array_append_new(a, o) != 0) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
run_record(const struct run *r, const char *batch, enum run_status st,
    const char *reason, double ended_wall)
{
	json_t *rec, *faults;

	faults = json_array();
	if (!faults)
		return NULL;
	for (size_t i = 0; i < r->faults.n; i++) {
		const struct fault_unit *u = &r->faults.units[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:f,s:O,s:I,s:o,s:o}",
		    "server", u->le.server, "type", fault_type_text(u->type),
		    "toxic", u->is_node ? "" : u->le.toxic, "stream",
		    u->stream, "toxicity", u->toxicity, "attributes",
		    u->attrs ? u->attrs : json_null(), "applied_count",
		    (json_int_t)u->napplied, "applied",
		    opt_real(u->applied_wall, u->napplied > 0), "removed",
		    opt_real(u->removed_wall, u->removed_wall > 0));
		if (!o || json_array_append_new(faults, o)) {
			json_decref(faults);
			return NULL;
		}
		if (!u->is_node)
			json_object_set_new(o, "toxic_type",
			    json_string(u->le.type));
	}
	rec = json_pack("{s:s,s:s,s:s,s:s,s:I,s:f,s:f,s:s,s:s,s:o,"
	    "s:b,s:{s:s,s:b},s:b}",
	    "id", r->id, "batch", batch, "scenario", r->spec.name, "source",
	    spec_source_text(r->spec.source), "loop", (json_int_t)r->loop,
	    "started", round_to(r->started_wall, 1e-3), "ended",
	    round_to(ended_wall, 1e-3), "status",
	    run_status_text(st), "reason", reason,
	    "faults", faults,
	    "loss_approximated", r->faults.loss_approximated,
	    "proxy", "version", r->proxy_version, "builtin",
	    r->proxy_builtin, "compare", r->compare);
	/* The top level keeps the first client's phases, figures and
	 * checks, as a record had them before several clients: older
	 * readers read it unchanged. */
	if (rec && (json_object_update_new(rec, judged_json(r,
	    r->verdicts[0])) != 0 || !json_object_get(rec, "checks"))) {
		json_decref(rec);
		return NULL;
	}
	if (rec && r->clients[0][0]) {
		json_t *cl = clients_json(r);

		if (!cl || json_object_set_new(rec, "clients", cl) != 0) {
			json_decref(rec);
			return NULL;
		}
	}
	return rec;
}
