/* status: the daemon, each child, every client's load and the current
 * run. */
#include <unistd.h>

#include "ac-config.h"
#include "reliabd.h"
#include "util.h"

/* Every client: its name, loadgen, state, metrics and last second's
 * load (null unless running). The first is the one `load` shows: the
 * client "default", or the first configured, as the scenario worker
 * samples. */
static json_t *
clients_json(struct reliabd *d, struct child **sampled)
{
	json_t *arr = json_array();
	struct child *c;

	*sampled = child_find_client(d, CONFIG_DEFAULT_CLIENT);
	TAILQ_FOREACH(c, &d->children, entry) {
		json_t *o;

		if (c->kind != KIND_LOADGEN || c->removed)
			continue;
		if (*sampled == NULL)
			*sampled = c;
		o = json_pack("{s:s, s:s, s:s, s:s}", "name", c->client,
		    "child", c->name, "state", child_state_text(c->state),
		    "metrics", c->metrics_live[0] ? c->metrics_live
						  : c->metrics_addr);
		if (o == NULL)
			continue;
		if (c->external)
			json_object_set_new(o, "external", json_string(
			    c->scraped ? "url" : "command"));
		if (c->last_stats && c->state == CHILD_RUNNING)
			json_object_set(o, "load", c->last_stats);
		else
			json_object_set_new(o, "load", json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
cmd_status(struct cmd_ctx *ctx, json_t *args)
{
	struct reliabd *d = ctx->d;
	struct child *c, *lg, *sc;
	json_t *res, *children, *job;

	(void)args;
	children = json_array();
	res = json_pack("{s:s, s:s, s:I, s:f, s:s, s:s, s:o}", "version",
	    PACKAGE_VERSION, "state", daemon_state_text(d->state), "pid",
	    (json_int_t)getpid(), "uptime_s",
	    (double)(now_mono_ms() - d->started_ms) / 1000.0, "config",
	    d->config_path, "metrics",
	    d->metrics_live[0] ? d->metrics_live : d->cfg.metrics, "children",
	    children);
	if (res == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "out of memory");
	TAILQ_FOREACH(c, &d->children, entry)
		json_array_append_new(children, child_status_json(c));
	json_object_set_new(res, "clients", clients_json(d, &lg));
	if (lg && lg->last_stats && lg->state == CHILD_RUNNING)
		json_object_set(res, "load", lg->last_stats);
	else
		json_object_set_new(res, "load", json_null());
	sc = child_find_kind(d, KIND_SCENARIO);
	job = job_status_json(d);
	if (sc && sc->last_phase && sc->state == CHILD_RUNNING)
		json_object_set(res, "scenario", sc->last_phase);
	else if (job && json_object_get(job, "why"))
		/* Why the job is not running (its worker died, or is
		 * fatal), where reliabctl shows a notice. */
		json_object_set_new(res, "scenario", json_pack("{s:s, s:O}",
		    "phase", "idle", "notice", json_object_get(job, "why")));
	else
		json_object_set_new(res, "scenario", json_null());
	json_object_set_new(res, "job", job ? job : json_null());
	return proto_reply_ok(ctx->id, res);
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.fn = cmd_status,
	.args = no_args,
	.help = "children, current run, load",
};
