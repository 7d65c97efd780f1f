/* A request a worker answers (list, start-scenario, stop, the
 * playlist): sent down its channel, and answered when its reply comes
 * (pending.c). Beside cmd.c, not in it: the commands call this, and
 * cmd.c calls the commands. */
#include "reliabd.h"

/* start-scenario tells the worker where each client's /metrics is now:
 * a port-0 client's real port is known only here (the loadgen reported
 * it), and a restarted one may have a new port. Sent as a copy, the
 * caller's args untouched; a job sent again (job.c) comes through
 * cmd_forward_start again and gets the addresses of that time. */
static json_t *
clients_json(struct reliabd *d)
{
	json_t *cl = json_object();
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry)
		if (cl != NULL && c->kind == KIND_LOADGEN && !c->removed)
			json_object_set_new(cl, c->client,
			    json_string(c->metrics_live[0] ? c->metrics_live
			    : c->metrics_addr));
	return cl;
}

static json_t *
with_clients(struct reliabd *d, const json_t *args)
{
	json_t *a = json_copy((json_t *)args);

	if (a == NULL || json_object_set_new(a, "clients",
	    clients_json(d)) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

void
cmd_forward_clients(struct reliabd *d)
{
	struct cmd_ctx ctx = { .d = d };
	json_t *args = json_pack("{s:o}", "clients", clients_json(d));
	json_t *reply;

	if (args == NULL)
		return;
	/* No scenario worker running: it gets them with its next run. */
	reply = cmd_forward(&ctx, KIND_SCENARIO, "clients", args, 5000);
	json_decref(reply);
	json_decref(args);
}

json_t *
cmd_forward(struct cmd_ctx *ctx, enum kind kind, const char *cmd,
    json_t *args, uint64_t timeout_ms)
{
	struct child *c = child_find_kind(ctx->d, kind);

	if (c == NULL)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "no %s worker is configured", kind_text(kind));
	if (c->chan == NULL || c->state != CHILD_RUNNING)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "the %s worker is %s", c->name, child_state_text(c->state));
	if (pending_add(c, ctx, cmd, args, timeout_ms) < 0)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "cannot reach the %s worker", c->name);
	return NULL;
}

json_t *
cmd_forward_start(struct cmd_ctx *ctx, const json_t *args)
{
	json_t *sent, *reply;

	if (!json_is_object(args))
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "start-scenario's arguments are not an object");
	if ((sent = with_clients(ctx->d, args)) == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "out of memory");
	reply = cmd_forward(ctx, KIND_SCENARIO, "start-scenario", sent, 5000);
	json_decref(sent);
	return reply;
}

void
cmd_forward_drop_conn(struct reliabd *d, struct ctl_conn *conn)
{
	pending_forget_conn(d, conn);
}
