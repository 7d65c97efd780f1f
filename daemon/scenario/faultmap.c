/* Scenario faults to Toxiproxy toxics. */
#include <math.h>
#include <stdio.h>

#include "faultmap.h"
#include "util.h"

int
fault_to_toxic(const struct fault_spec *f, int builtin, char *type,
    size_t typelen, json_t **attrs, int *approximated)
{
	json_t *a;

	*attrs = NULL;
	if (f->type == FAULT_DOWN || f->type == FAULT_NODE_RESTART)
		return -1;
	a = json_object();
	if (!a)
		return -1;
	if (f->type == FAULT_LOSS && !builtin) {
		double p = fault_attr(f, "rate", 0);
		*approximated = 1;
		if (p >= 1.0) {
			strlcpy_r(type, "timeout", typelen);
			if (json_object_set_new(a, "timeout", json_integer(0)))
				goto nomem;
		} else {
			json_int_t ms = (json_int_t)lround(LOSS_RTO_MS * p /
			    (1.0 - p));
			strlcpy_r(type, "latency", typelen);
			if (json_object_set_new(a, "latency", json_integer(ms)) ||
			    json_object_set_new(a, "jitter", json_integer(ms)))
				goto nomem;
		}
		*attrs = a;
		return 0;
	}
	strlcpy_r(type, fault_type_text(f->type), typelen);
	for (size_t i = 0; i < f->nattrs; i++) {
		double v = f->attrs[i].value;
		/* Toxiproxy's attributes are integers, except loss's rate. */
		json_t *jv = v == floor(v) && fabs(v) < 9e15 ?
		    json_integer((json_int_t)v) : json_real(v);
		if (json_object_set_new(a, f->attrs[i].name, jv))
			goto nomem;
	}
	*attrs = a;
	return 0;
nomem:
	json_decref(a);
	return -1;
}
