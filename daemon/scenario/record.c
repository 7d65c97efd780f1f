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

json_t *
run_record(const struct run *r, const char *batch, enum run_status st,
    const char *reason, double ended_wall)
{
	const struct verdict *v = &r->verdict;
	json_t *rec, *faults, *tto;

	faults = json_array();
	tto = json_object();
	if (!faults || !tto)
		goto nomem;
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
	    "id", r->id, "batch", batch, "scenario", r->spec.name, "source",
	    spec_source_text(r->spec.source), "loop", (json_int_t)r->loop,
	    "started", round_to(r->started_wall, 1e-3), "ended",
	    round_to(ended_wall, 1e-3), "status",
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
	    "loss_approximated", r->faults.loss_approximated,
	    "proxy", "version", r->proxy_version, "builtin",
	    r->proxy_builtin);
	return rec;
nomem:
	json_decref(faults);
	json_decref(tto);
	return NULL;
}

