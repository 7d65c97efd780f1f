/* Events: what workers report on their channel, and reliabd's own, kept
 * for `status` and streamed to `watch` clients through d->broadcast
 * (control.c's, registered by the supervisor: the commands that emit
 * events sit below control.c). */
#include <string.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

#define EVENT_FIELD_MAX 128

void
events_emit(struct reliabd *d, const char *name, json_t *fields)
{
	json_t *ev = json_pack("{s:s, s:s, s:f}", "event", name, "source",
	    "reliabd", "time", now_wall());

	if (ev == NULL) {
		json_decref(fields);
		return;
	}
	if (fields)
		json_object_update(ev, fields);
	json_decref(fields);
	if (d->broadcast)
		d->broadcast(d, ev);
	json_decref(ev);
}

void
events_from_child(struct child *c, json_t *msg)
{
	const char *name = json_string_value(json_object_get(msg, "event"));
	json_t *ev;

	if (name == NULL || strlen(name) > EVENT_FIELD_MAX)
		return;
	if (strcmp(name, "ready") == 0) {
		child_ready(c,
		    json_string_value(json_object_get(msg, "metrics")));
	} else if (strcmp(name, "stats") == 0) {
		json_decref(c->last_stats);
		c->last_stats = json_incref(msg);
		/* Once a second: the status line only, not a watcher's line
		 * nor the target file. */
		notify_status(c->d);
		return;
	} else if (strcmp(name, "phase") == 0) {
		json_decref(c->last_phase);
		c->last_phase = json_incref(msg);
		notify_status(c->d);
	}
	if (c->kind == KIND_SCENARIO)
		job_event(c->d, name, msg);
	ev = json_deep_copy(msg);
	if (ev == NULL)
		return;
	json_object_set_new(ev, "source", json_string(c->name));
	if (json_object_get(ev, "time") == NULL)
		json_object_set_new(ev, "time", json_real(now_wall()));
	if (c->d->broadcast)
		c->d->broadcast(c->d, ev);
	json_decref(ev);
}
