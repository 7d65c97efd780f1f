/* load start|stop: the load generator on request; a stopped one is not
 * restarted until started again. */
#include <string.h>

#include "reliabd.h"

static json_t *
cmd_load(struct cmd_ctx *ctx, json_t *args)
{
	const char *action = NULL;
	struct child *c;
	char msg[128];

	if (proto_arg_string(args, "action", 1, &action, msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	if (strcmp(action, "start") != 0 && strcmp(action, "stop") != 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "action must be \"start\" or \"stop\", not \"%.32s\"",
		    action);
	c = child_find_kind(ctx->d, KIND_LOADGEN);
	if (c == NULL)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "no load generator is configured");
	if (strcmp(action, "stop") == 0) {
		child_stop(c);
	} else if (ctx->d->state == DAEMON_STOPPING) {
		/* Its stage may be over: it would meet servers going away. */
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "reliabd is stopping");
	} else {
		c->failures = 0;
		if (c->pid <= 0)
			child_start(c);
		else
			c->want_up = 1;
	}
	/* Watchers see the load go and come: a gap in a run's figures
	 * then has its cause on the same screen. */
	events_emit(ctx->d, "load", json_pack("{s:s, s:s, s:s}", "action",
	    action, "name", c->name, "state", child_state_text(c->state)));
	return proto_reply_ok(ctx->id,
	    json_pack("{s:s, s:s}", "loadgen", child_state_text(c->state),
		"action", action));
}

static const char *const load_args[] = { "action", NULL };

const struct cmd_entry cmd_load_entry = {
	.name = "load",
	.fn = cmd_load,
	.args = load_args,
	.help = "start or stop the load generator",
};
